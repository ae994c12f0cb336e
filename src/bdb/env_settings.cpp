// src/bdb/env_settings.cpp: DB_ENV settings that pagepool keeps for their
// getters but has no use for, and DB_ENV->stat_print.
//
// Each is checked as Berkeley DB checks it (an unknown `which`, a bad mode
// string, a setter after open where Berkeley DB allows it only before) and
// then kept, so that a program that sets and reads them works unchanged:
//   - set_verbose / get_verbose: pagepool has none of the subsystems these
//     messages come from, so it writes none;
//   - set_data_len / get_data_len: the length of data items printed (none);
//   - set_shm_key: DB_SYSTEM_MEM needs one (env.cpp: EINVAL without, as in
//     Berkeley DB); the pool's files there are named by the home, not by it
//     (README, "Where pagepool differs from Berkeley DB 5.3");
//   - set_timeout: lock, transaction and register timeouts (none of them);
//   - set_intermediate_dir_mode: pagepool creates no directories;
//   - set_memory_init / set_memory_max: region memory of other subsystems;
//   - get_alloc: what set_alloc set (env_config.cpp);
//   - is_bigendian: the byte order of this machine.
// stat_print prints the only subsystem there is: the memory pool's
// statistics, through memp_stat_print.
//
// When each may be called: set_shm_key, set_intermediate_dir_mode,
// set_memory_init and set_memory_max before open (EINVAL after); the others
// at any time.
#include <bit>
#include <cerrno>
#include <cstring>

#include "bdb/bdb_internal.hpp"

namespace pagepool::bdb {

namespace {

constexpr std::uint32_t all_verbose =
    DB_VERB_BACKUP | DB_VERB_DEADLOCK | DB_VERB_FILEOPS | DB_VERB_FILEOPS_ALL | DB_VERB_RECOVERY |
    DB_VERB_REGISTER | DB_VERB_REPLICATION | DB_VERB_REPMGR_CONNFAIL | DB_VERB_REPMGR_MISC |
    DB_VERB_REP_ELECT | DB_VERB_REP_LEASE | DB_VERB_REP_MISC | DB_VERB_REP_MSGS | DB_VERB_REP_SYNC |
    DB_VERB_REP_SYSTEM | DB_VERB_REP_TEST | DB_VERB_WAITSFOR;

/// Berkeley DB takes one DB_VERB_* value at a time.
bool one_verbose_flag(std::uint32_t which) {
  return std::has_single_bit(which) && (which & all_verbose) != 0;
}

int set_verbose(DB_ENV* dbenv, u_int32_t which, int onoff) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (!one_verbose_flag(which)) {
    report(e, 0, "DB_ENV->set_verbose: 0x%x: not one DB_VERB_* value", which);
    return EINVAL;
  }
  if (onoff)
    e->verbose |= which;
  else
    e->verbose &= ~which;
  return 0;
}

int get_verbose(DB_ENV* dbenv, u_int32_t which, int* onoffp) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (!one_verbose_flag(which)) {
    report(e, 0, "DB_ENV->get_verbose: 0x%x: not one DB_VERB_* value", which);
    return EINVAL;
  }
  if (onoffp) *onoffp = (e->verbose & which) != 0;
  return 0;
}

int set_data_len(DB_ENV* dbenv, u_int32_t len) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->data_len = len;
  return 0;
}

int get_data_len(DB_ENV* dbenv, u_int32_t* lenp) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (lenp) *lenp = e->data_len;
  return 0;
}

int stat_print(DB_ENV* dbenv, u_int32_t flags) {
  dbenv_state* e = env_of(dbenv);
  constexpr u_int32_t known = DB_STAT_ALL | DB_STAT_CLEAR | DB_STAT_SUBSYSTEM;
  if ((flags & ~known) != 0) {
    report(e, 0, "DB_ENV->stat_print: unknown flags 0x%x", flags & ~known);
    return EINVAL;
  }
  // memp_stat_print checks that the environment is open with a pool.
  return dbenv->memp_stat_print(dbenv, flags & (DB_STAT_ALL | DB_STAT_CLEAR));
}

int set_shm_key(DB_ENV* dbenv, long key) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (e->opened) return refuse_after_open(e, "DB_ENV->set_shm_key");
  e->shm_key = key;
  return 0;
}

int get_shm_key(DB_ENV* dbenv, long* keyp) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (keyp) *keyp = e->shm_key;
  return 0;
}

/// The timeout `which` names, or nullptr if it names none.
db_timeout_t* timeout_of(dbenv_state* e, u_int32_t which) {
  switch (which) {
    case DB_SET_LOCK_TIMEOUT:
      return &e->lock_timeout;
    case DB_SET_TXN_TIMEOUT:
      return &e->txn_timeout;
    case DB_SET_REG_TIMEOUT:
      return &e->reg_timeout;
    default:
      return nullptr;
  }
}

int set_timeout(DB_ENV* dbenv, db_timeout_t timeout, u_int32_t which) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  db_timeout_t* t = timeout_of(e, which);
  if (t == nullptr) {
    report(e, 0,
           "DB_ENV->set_timeout: 0x%x: not one of DB_SET_LOCK_TIMEOUT, "
           "DB_SET_TXN_TIMEOUT, DB_SET_REG_TIMEOUT",
           which);
    return EINVAL;
  }
  *t = timeout;
  return 0;
}

int get_timeout(DB_ENV* dbenv, db_timeout_t* timeoutp, u_int32_t which) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  db_timeout_t* t = timeout_of(e, which);
  if (t == nullptr) {
    report(e, 0,
           "DB_ENV->get_timeout: 0x%x: not one of DB_SET_LOCK_TIMEOUT, "
           "DB_SET_TXN_TIMEOUT, DB_SET_REG_TIMEOUT",
           which);
    return EINVAL;
  }
  if (timeoutp) *timeoutp = *t;
  return 0;
}

/// A mode in the form "rwxrwxrwx", each letter possibly '-'.
bool valid_dir_mode(const char* mode) {
  if (mode == nullptr || std::strlen(mode) != 9) return false;
  for (int i = 0; i < 9; ++i) {
    const char want = "rwx"[i % 3];
    if (mode[i] != want && mode[i] != '-') return false;
  }
  return true;
}

int set_intermediate_dir_mode(DB_ENV* dbenv, const char* mode) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (e->opened) return refuse_after_open(e, "DB_ENV->set_intermediate_dir_mode");
  if (!valid_dir_mode(mode)) {
    report(e, 0, "DB_ENV->set_intermediate_dir_mode: illegal mode \"%s\"",
           mode != nullptr ? mode : "(null)");
    return EINVAL;
  }
  try {
    e->dir_mode = mode;
  } catch (...) {
    return ENOMEM;
  }
  e->dir_mode_set = true;
  return 0;
}

int get_intermediate_dir_mode(DB_ENV* dbenv, const char** modep) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (modep) *modep = e->dir_mode_set ? e->dir_mode.c_str() : nullptr;
  return 0;
}

bool valid_mem_config(DB_MEM_CONFIG type) { return type >= DB_MEM_LOCK && type <= DB_MEM_THREAD; }

int set_memory_init(DB_ENV* dbenv, DB_MEM_CONFIG type, u_int32_t count) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (e->opened) return refuse_after_open(e, "DB_ENV->set_memory_init");
  if (!valid_mem_config(type)) {
    report(e, 0, "DB_ENV->set_memory_init: unknown object type %d", static_cast<int>(type));
    return EINVAL;
  }
  e->memory_init[static_cast<std::size_t>(type)] = count;
  return 0;
}

int get_memory_init(DB_ENV* dbenv, DB_MEM_CONFIG type, u_int32_t* countp) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (!valid_mem_config(type)) {
    report(e, 0, "DB_ENV->get_memory_init: unknown object type %d", static_cast<int>(type));
    return EINVAL;
  }
  if (countp) *countp = e->memory_init[static_cast<std::size_t>(type)];
  return 0;
}

int set_memory_max(DB_ENV* dbenv, u_int32_t gbytes, u_int32_t bytes) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (e->opened) return refuse_after_open(e, "DB_ENV->set_memory_max");
  e->memory_max = gbytes * gigabyte + bytes;
  return 0;
}

int get_memory_max(DB_ENV* dbenv, u_int32_t* gbytesp, u_int32_t* bytesp) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  split_bytes(e->memory_max, gbytesp, bytesp);
  return 0;
}

int get_alloc(DB_ENV* dbenv, void* (**mp)(std::size_t), void* (**rp)(void*, std::size_t),
              void (**fp)(void*)) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (mp) *mp = e->db_malloc;
  if (rp) *rp = e->db_realloc;
  if (fp) *fp = e->db_free;
  return 0;
}

int is_bigendian() { return std::endian::native == std::endian::big ? 1 : 0; }

}  // namespace

void init_env_settings(DB_ENV& a) noexcept {
  a.get_alloc = get_alloc;
  a.get_data_len = get_data_len;
  a.get_intermediate_dir_mode = get_intermediate_dir_mode;
  a.get_memory_init = get_memory_init;
  a.get_memory_max = get_memory_max;
  a.get_shm_key = get_shm_key;
  a.get_timeout = get_timeout;
  a.get_verbose = get_verbose;
  a.is_bigendian = is_bigendian;
  a.set_data_len = set_data_len;
  a.set_intermediate_dir_mode = set_intermediate_dir_mode;
  a.set_memory_init = set_memory_init;
  a.set_memory_max = set_memory_max;
  a.set_shm_key = set_shm_key;
  a.set_timeout = set_timeout;
  a.set_verbose = set_verbose;
  a.stat_print = stat_print;
}

}  // namespace pagepool::bdb
