// src/bdb/env_db_config.cpp: the environment's DB_CONFIG file, read by
// DB_ENV->open (reference: "DB_CONFIG keys ... The file is read at open and
// overrides API calls made earlier").
//
// HOME/DB_CONFIG holds one setting per line: a name and its arguments,
// separated by blanks; blank lines and lines whose first non-blank character
// is '#' are skipped; names and flag names are case-insensitive. Each line
// calls the DB_ENV method of the same name (so a line is accepted, refused
// and reported exactly as the call would be), in file order, before the
// environment opens. A line that is not a setting is EINVAL and fails the
// open: "line N: NAME: incorrect name-value pair" (the wrong number or form
// of arguments, a number out of range, an unknown flag name) or
// "unrecognized name-value pair: LINE" (an unknown name).
//
// What a line does:
//   the memory pool's settings (set_cachesize, set_cache_max,
//   set_mp_mmapsize, set_mp_max_openfd, set_mp_max_write, set_mp_mtxcount,
//   set_mp_pagesize, set_mp_tablesize), the environment's (set_flags,
//   set_verbose, set_shm_key, set_tmp_dir, set_thread_count, set_timeout's
//   set_lock_timeout / set_txn_timeout / set_reg_timeout, set_data_len,
//   set_memory_init, set_memory_max, set_intermediate_dir_mode, the data
//   directories), and set_open_flags (db_private, db_register, db_thread,
//   db_init_rep: added to or taken from the open's flags): the call;
//   the other subsystems' settings Berkeley DB accepts there (locking,
//   logging, transactions, replication, mutexes): checked for form, and
//   otherwise without effect, as they are in Berkeley DB for a subsystem the
//   open does not start (pagepool has none of them: an open that asks for
//   one is refused);
//   set_region_dir DIR (pagepool's own): where an environment without
//   DB_PRIVATE keeps its pool's region files (pool_options::region_dir),
//   for example a tmpfs mounted with huge pages, instead of the home (or of
//   /dev/shm with DB_SYSTEM_MEM). Berkeley DB would refuse the line.
#include <strings.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "bdb/bdb_internal.hpp"

namespace pagepool::bdb {

namespace {

struct name_value {
  const char* name;
  u_int32_t value;
};

constexpr name_value env_flag_names[] = {
    {"db_auto_commit", DB_AUTO_COMMIT},     {"db_cdb_alldb", DB_CDB_ALLDB},
    {"db_direct_db", DB_DIRECT_DB},         {"db_dsync_db", DB_DSYNC_DB},
    {"db_multiversion", DB_MULTIVERSION},   {"db_nolocking", DB_NOLOCKING},
    {"db_nommap", DB_NOMMAP},               {"db_nopanic", DB_NOPANIC},
    {"db_overwrite", DB_OVERWRITE},         {"db_region_init", DB_REGION_INIT},
    {"db_time_notgranted", DB_TIME_NOTGRANTED}, {"db_txn_nosync", DB_TXN_NOSYNC},
    {"db_txn_nowait", DB_TXN_NOWAIT},       {"db_txn_snapshot", DB_TXN_SNAPSHOT},
    {"db_txn_write_nosync", DB_TXN_WRITE_NOSYNC}, {"db_yieldcpu", DB_YIELDCPU},
};
// set_flags also takes the log's flags, which configure a subsystem pagepool
// does not have.
constexpr const char* log_flag_names[] = {"db_log_autoremove", "db_log_direct", "db_log_dsync",
                                          "db_log_in_memory", "db_log_zero", "db_log_nosync"};
constexpr name_value verbose_names[] = {
    {"db_verb_backup", DB_VERB_BACKUP},
    {"db_verb_deadlock", DB_VERB_DEADLOCK},
    {"db_verb_fileops", DB_VERB_FILEOPS},
    {"db_verb_fileops_all", DB_VERB_FILEOPS_ALL},
    {"db_verb_recovery", DB_VERB_RECOVERY},
    {"db_verb_register", DB_VERB_REGISTER},
    {"db_verb_replication", DB_VERB_REPLICATION},
    {"db_verb_rep_elect", DB_VERB_REP_ELECT},
    {"db_verb_rep_lease", DB_VERB_REP_LEASE},
    {"db_verb_rep_misc", DB_VERB_REP_MISC},
    {"db_verb_rep_msgs", DB_VERB_REP_MSGS},
    {"db_verb_rep_sync", DB_VERB_REP_SYNC},
    {"db_verb_rep_system", DB_VERB_REP_SYSTEM},
    {"db_verb_rep_test", DB_VERB_REP_TEST},
    {"db_verb_repmgr_connfail", DB_VERB_REPMGR_CONNFAIL},
    {"db_verb_repmgr_misc", DB_VERB_REPMGR_MISC},
    {"db_verb_waitsfor", DB_VERB_WAITSFOR},
};
constexpr name_value open_flag_names[] = {
    {"db_init_rep", DB_INIT_REP},
    {"db_private", DB_PRIVATE},
    {"db_register", DB_REGISTER},
    {"db_thread", DB_THREAD},
};
constexpr name_value memory_names[] = {
    {"db_mem_lock", DB_MEM_LOCK},         {"db_mem_locker", DB_MEM_LOCKER},
    {"db_mem_lockobject", DB_MEM_LOCKOBJECT}, {"db_mem_transaction", DB_MEM_TRANSACTION},
    {"db_mem_thread", DB_MEM_THREAD},     {"db_mem_logid", DB_MEM_LOGID},
};
// Settings of subsystems pagepool does not have, with their argument count.
struct inert_key {
  const char* name;
  unsigned args;  // 0: any (a string or a list)
};
constexpr inert_key inert_keys[] = {
    {"mutex_set_align", 1},    {"mutex_set_increment", 1}, {"mutex_set_init", 1},
    {"mutex_set_max", 1},      {"mutex_set_tas_spins", 1}, {"set_tas_spins", 1},
    {"rep_set_clockskew", 2},  {"rep_set_limit", 2},       {"rep_set_nsites", 1},
    {"rep_set_priority", 1},   {"rep_set_request", 2},     {"rep_set_config", 0},
    {"rep_set_timeout", 2},    {"repmgr_set_ack_policy", 1}, {"repmgr_site", 0},
    {"set_lg_bsize", 1},       {"set_lg_dir", 1},          {"db_log_dir", 1},
    {"set_lg_filemode", 1},    {"set_lg_max", 1},          {"set_lg_regionmax", 1},
    {"log_set_config", 0},     {"set_lk_max_lockers", 1},  {"set_lk_max_locks", 1},
    {"set_lk_max_objects", 1}, {"set_lk_partitions", 1},   {"set_lk_tablesize", 1},
    {"set_lk_detect", 1},      {"set_tx_max", 1},          {"set_intermediate_dir", 1},
};

bool same(const std::string& a, const char* b) { return ::strcasecmp(a.c_str(), b) == 0; }

template <typename Table>
bool lookup(const Table& t, const std::string& name, u_int32_t& out) {
  for (const auto& e : t)
    if (same(name, e.name)) {
      out = e.value;
      return true;
    }
  return false;
}

// A whole decimal number in [0, max] (Berkeley DB's DB_CONFIG numbers are
// never negative).
bool number(const std::string& s, unsigned long long max, unsigned long long& out) {
  if (s.empty() || s[0] == '-' || s[0] == '+') return false;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (errno != 0 || end == s.c_str() || *end != '\0' || v > max) return false;
  out = v;
  return true;
}

// "on" (or nothing) or "off".
bool on_off(const std::vector<std::string>& a, std::size_t i, int& onoff) {
  onoff = 1;
  if (a.size() <= i) return true;
  if (same(a[i], "off")) onoff = 0;
  else if (!same(a[i], "on")) return false;
  return a.size() == i + 1;
}

struct line_parser {
  DB_ENV* dbenv;
  dbenv_state* e;
  u_int32_t& open_flags;
  const std::vector<std::string>& a;  // a[0] the name
  // 1: not a setting's form; 2: not a setting at all.
  int bad = 0;

  bool args(std::size_t n) {
    if (a.size() == n + 1) return true;
    bad = 1;
    return false;
  }
  bool num(std::size_t i, unsigned long long max, unsigned long long& v) {
    if (number(a[i], max, v)) return true;
    bad = 1;
    return false;
  }

  int run() {
    const std::string& n = a[0];
    unsigned long long x = 0, y = 0, z = 0;
    u_int32_t flag = 0;
    int onoff = 1;
    if (same(n, "set_cachesize")) {
      if (!args(3) || !num(1, UINT32_MAX, x) || !num(2, UINT32_MAX, y) || !num(3, INT_MAX, z)) return EINVAL;
      return dbenv->set_cachesize(dbenv, static_cast<u_int32_t>(x), static_cast<u_int32_t>(y),
                                  static_cast<int>(z));
    }
    if (same(n, "set_cache_max") || same(n, "set_memory_max")) {
      if (!args(2) || !num(1, UINT_MAX, x) || !num(2, UINT_MAX, y)) return EINVAL;
      auto fn = same(n, "set_cache_max") ? dbenv->set_cache_max : dbenv->set_memory_max;
      return fn(dbenv, static_cast<u_int32_t>(x), static_cast<u_int32_t>(y));
    }
    if (same(n, "set_mp_mmapsize")) {
      if (!args(1) || !num(1, UINT_MAX, x)) return EINVAL;
      return dbenv->set_mp_mmapsize(dbenv, static_cast<std::size_t>(x));
    }
    if (same(n, "set_mp_max_openfd")) {
      if (!args(1) || !num(1, INT_MAX, x)) return EINVAL;
      return dbenv->set_mp_max_openfd(dbenv, static_cast<int>(x));
    }
    if (same(n, "set_mp_max_write")) {
      if (!args(2) || !num(1, INT_MAX, x) || !num(2, INT_MAX, y)) return EINVAL;
      return dbenv->set_mp_max_write(dbenv, static_cast<int>(x), static_cast<db_timeout_t>(y));
    }
    if (same(n, "set_mp_mtxcount") || same(n, "set_mp_pagesize") || same(n, "set_mp_tablesize") ||
        same(n, "set_thread_count") || same(n, "set_data_len")) {
      if (!args(1) || !num(1, UINT_MAX, x)) return EINVAL;
      auto fn = same(n, "set_mp_mtxcount")    ? dbenv->set_mp_mtxcount
                : same(n, "set_mp_pagesize")  ? dbenv->set_mp_pagesize
                : same(n, "set_mp_tablesize") ? dbenv->set_mp_tablesize
                : same(n, "set_thread_count") ? dbenv->set_thread_count
                                              : dbenv->set_data_len;
      return fn(dbenv, static_cast<u_int32_t>(x));
    }
    if (same(n, "set_shm_key")) {
      if (!args(1) || !num(1, LONG_MAX, x)) return EINVAL;
      return dbenv->set_shm_key(dbenv, static_cast<long>(x));
    }
    if (same(n, "set_tmp_dir") || same(n, "db_tmp_dir") || same(n, "set_data_dir") ||
        same(n, "db_data_dir") || same(n, "add_data_dir") || same(n, "set_create_dir") ||
        same(n, "set_metadata_dir") || same(n, "set_intermediate_dir_mode")) {
      if (!args(1)) return EINVAL;
      auto fn = same(n, "set_tmp_dir") || same(n, "db_tmp_dir")    ? dbenv->set_tmp_dir
                : same(n, "set_data_dir") || same(n, "db_data_dir") ? dbenv->set_data_dir
                : same(n, "add_data_dir")                           ? dbenv->add_data_dir
                : same(n, "set_create_dir")                         ? dbenv->set_create_dir
                : same(n, "set_metadata_dir")                       ? dbenv->set_metadata_dir
                                                                    : dbenv->set_intermediate_dir_mode;
      return fn(dbenv, a[1].c_str());
    }
    if (same(n, "set_region_dir")) {
      if (!args(1)) return EINVAL;
      return set_region_dir(e, a[1]);
    }
    if (same(n, "set_flags")) {
      if (a.size() < 2 || !on_off(a, 2, onoff)) return bad = 1, EINVAL;
      if (lookup(env_flag_names, a[1], flag)) return dbenv->set_flags(dbenv, flag, onoff);
      for (const char* l : log_flag_names)
        if (same(a[1], l)) return 0;  // the log's: no log here
      return bad = 1, EINVAL;
    }
    if (same(n, "set_verbose")) {
      if (a.size() < 2 || !on_off(a, 2, onoff) || !lookup(verbose_names, a[1], flag))
        return bad = 1, EINVAL;
      return dbenv->set_verbose(dbenv, flag, onoff);
    }
    if (same(n, "set_open_flags")) {
      if (a.size() < 2 || !on_off(a, 2, onoff) || !lookup(open_flag_names, a[1], flag))
        return bad = 1, EINVAL;
      if (onoff)
        open_flags |= flag;
      else
        open_flags &= ~flag;
      return 0;
    }
    if (same(n, "set_lock_timeout") || same(n, "set_txn_timeout") || same(n, "set_reg_timeout")) {
      if (!args(1) || !num(1, UINT32_MAX, x)) return EINVAL;
      const u_int32_t which = same(n, "set_lock_timeout") ? DB_SET_LOCK_TIMEOUT
                              : same(n, "set_txn_timeout") ? DB_SET_TXN_TIMEOUT
                                                           : DB_SET_REG_TIMEOUT;
      return dbenv->set_timeout(dbenv, static_cast<db_timeout_t>(x), which);
    }
    if (same(n, "set_memory_init")) {
      if (!args(2) || !lookup(memory_names, a[1], flag) || !num(2, UINT32_MAX, x))
        return bad = 1, EINVAL;
      return dbenv->set_memory_init(dbenv, static_cast<DB_MEM_CONFIG>(flag), static_cast<u_int32_t>(x));
    }
    if (same(n, "set_region_init")) {
      if (!args(1) || !num(1, 1, x)) return EINVAL;
      return dbenv->set_flags(dbenv, DB_REGION_INIT, static_cast<int>(x));
    }
    for (const inert_key& k : inert_keys)
      if (same(n, k.name)) {
        if (k.args != 0 && a.size() != k.args + 1) return bad = 1, EINVAL;
        return 0;
      }
    bad = 2;
    return EINVAL;
  }
};

}  // namespace

int set_region_dir(dbenv_state* e, const std::string& dir) {
  std::lock_guard g(e->mu);
  if (e->opened) return refuse_after_open(e, "DB_CONFIG set_region_dir");
  try {
    e->region_dir = dir;
  } catch (...) {
    return ENOMEM;
  }
  return 0;
}

int read_db_config(DB_ENV* dbenv, const std::string& home, u_int32_t& open_flags) {
  dbenv_state* e = env_of(dbenv);
  std::ifstream in;
  std::string path;
  try {
    path = (home.empty() ? std::string(".") : home) + "/DB_CONFIG";
    in.open(path);
  } catch (...) {
    return ENOMEM;
  }
  if (!in.is_open()) return 0;  // none: nothing to override
  std::string line;
  for (int lc = 1;; ++lc) {
    std::vector<std::string> a;
    try {
      if (!std::getline(in, line)) break;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::size_t i = 0;
      while (i < line.size()) {
        while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
        if (i == line.size()) break;
        if (a.empty() && line[i] == '#') break;  // a comment
        std::size_t j = i;
        while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j]))) ++j;
        a.emplace_back(line, i, j - i);
        i = j;
      }
    } catch (...) {
      return ENOMEM;
    }
    if (a.empty()) continue;
    if (a.size() < 2) {
      report(e, 0, "line %d: %s: incorrect name-value pair", lc, a[0].c_str());
      return EINVAL;
    }
    line_parser p{dbenv, e, open_flags, a};
    const int ret = p.run();
    if (p.bad == 1) {
      report(e, 0, "line %d: %s: incorrect name-value pair", lc, a[0].c_str());
      return EINVAL;
    }
    if (p.bad == 2) {
      report(e, 0, "unrecognized name-value pair: %s", line.c_str());
      return EINVAL;
    }
    if (ret != 0) return ret;  // the method reported why
  }
  return 0;
}

}  // namespace pagepool::bdb
