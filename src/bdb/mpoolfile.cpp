// src/bdb/mpoolfile.cpp: DB_MPOOLFILE's methods over pagepool::file.
//
// Life of a DB_MPOOLFILE:
//
//   memp_fcreate --> configured --open--> open --close--> (freed)
//                        |                                  ^
//                        +--close---------------------------+
//   (DB_ENV->close closes and frees any still open)
//
// Flags are translated one by one; an unknown bit is EINVAL before anything
// changes. The page methods add no locking: pagepool::file is thread-safe.
// get and put add only their argument checks to pagepool::file::get/put;
// every report (formatting, the environment's settings) is on an error path.
#include <cerrno>
#include <cstring>
#include <new>
#include <string>

#include "bdb/bdb_internal.hpp"

namespace pagepool::bdb {

namespace {

mpf_state* need(DB_MPOOLFILE* mpf) { return mpf_of(mpf); }

int not_open(mpf_state* m, const char* method) {
  report(m->env, 0, "%s: method not permitted before handle's open method", method);
  return EINVAL;
}

int after_open(mpf_state* m, const char* method) {
  report(m->env, 0, "%s: method not permitted after handle's open method", method);
  return EINVAL;
}

int mpf_close(DB_MPOOLFILE* mpf, u_int32_t flags) {
  mpf_state* m = need(mpf);
  if (m == nullptr) return EINVAL;
  int ret = 0;
  if (flags != 0) {
    report(m->env, 0, "DB_MPOOLFILE->close: flags must be 0");
    ret = EINVAL;  // BDB: the handle is gone whatever the result
  }
  const int rc = close_mpoolfile(m, false);
  return ret != 0 ? ret : rc;
}

int mpf_open(DB_MPOOLFILE* mpf, const char* path, u_int32_t flags, int mode, std::size_t pagesize) {
  mpf_state* m = need(mpf);
  if (m == nullptr) return EINVAL;
  if (m->opened) {
    report(m->env, 0, "DB_MPOOLFILE->open: the handle is already open");
    return EINVAL;
  }
  if (m->env->pool->forked()) {
    report_forked(m->env, "DB_MPOOLFILE->open");
    return EINVAL;
  }
  constexpr u_int32_t ok = DB_CREATE | DB_DIRECT | DB_NOMMAP | DB_ODDFILESIZE | DB_RDONLY;
  if (flags & DB_MULTIVERSION) {
    report(m->env, 0, "DB_MPOOLFILE->open: DB_MULTIVERSION requires transactions, which pagepool does not have");
    return EINVAL;
  }
  if ((flags & ~ok) != 0) {
    report(m->env, 0, "DB_MPOOLFILE->open: unknown or unsupported flags 0x%x", flags & ~ok);
    return EINVAL;
  }
  dbenv_state* e = m->env;
  u_int32_t env_flags;
  std::string home;
  {
    std::lock_guard g(e->mu);
    env_flags = e->env_flags;
    try {
      home = e->home;
    } catch (...) {
      return ENOMEM;
    }
  }
  // Files of every page size share the cache (set_mp_pagesize is only the
  // default class's size, as BDB's sizing hint).
  if (pagesize < 512 || pagesize > 65536 || (pagesize & (pagesize - 1)) != 0) {
    report(e, 0, "DB_MPOOLFILE->open: page size %zu is not a power of two from 512 to 65536",
           pagesize);
    return EINVAL;
  }
  if (env_flags & DB_NOMMAP) flags |= DB_NOMMAP;
  if (env_flags & DB_DIRECT_DB) flags |= DB_DIRECT;
  std::optional<std::string> p;
  try {
    if (path != nullptr) {
      // BDB: relative names are relative to the environment's home.
      const bool nofile = pagepool::any(m->file->get_file_flags(), pagepool::file_flags::nofile);
      if (!home.empty() && path[0] != '/' && !nofile)
        p = home + "/" + path;
      else
        p = std::string(path);
    }
  } catch (...) {
    return ENOMEM;
  }
  if (auto ec = m->file->open(p, static_cast<pagepool::open_flags>(flags), mode, pagesize)) {
    const int rc = to_int(ec);
    if (rc == EINVAL)
      report(e, 0, "DB_MPOOLFILE->open: %s: invalid argument (flags 0x%x, page size %zu)",
             path ? path : "(temporary)", flags, pagesize);
    else
      report(e, rc, "DB_MPOOLFILE->open: %s", path ? path : "(temporary)");
    return rc;
  }
  m->opened = true;
  try {
    if (p) m->path = *p;
  } catch (...) {
  }
  return 0;
}

// get passes its flags, and put and set_priority their priority, to pagepool
// as they are.
static_assert(DB_MPOOL_CREATE == static_cast<u_int32_t>(pagepool::get_flags::create) &&
                  DB_MPOOL_DIRTY == static_cast<u_int32_t>(pagepool::get_flags::dirty) &&
                  DB_MPOOL_EDIT == static_cast<u_int32_t>(pagepool::get_flags::edit) &&
                  DB_MPOOL_LAST == static_cast<u_int32_t>(pagepool::get_flags::last) &&
                  DB_MPOOL_NEW == static_cast<u_int32_t>(pagepool::get_flags::new_page),
              "DB_MPOOLFILE->get passes its flags to pagepool::file::get unchanged");
static_assert(DB_PRIORITY_UNCHANGED == static_cast<int>(pagepool::priority::unchanged) &&
                  DB_PRIORITY_VERY_LOW == static_cast<int>(pagepool::priority::very_low) &&
                  DB_PRIORITY_LOW == static_cast<int>(pagepool::priority::low) &&
                  DB_PRIORITY_DEFAULT == static_cast<int>(pagepool::priority::normal) &&
                  DB_PRIORITY_HIGH == static_cast<int>(pagepool::priority::high) &&
                  DB_PRIORITY_VERY_HIGH == static_cast<int>(pagepool::priority::very_high),
              "DB_MPOOLFILE->put and set_priority pass priorities to pagepool unchanged");

/// A page method's EINVAL in a forked child is the fork's (the handle refuses
/// there, pool.hpp forked()): said so, rather than blamed on the arguments.
bool refused_after_fork(const mpf_state* m, int rc, const char* method) noexcept {
  if (rc != EINVAL || !m->env->pool->forked()) return false;
  report_forked(m->env, method);
  return true;
}

int mpf_get(DB_MPOOLFILE* mpf, db_pgno_t* pgnoaddr, DB_TXN* txn, u_int32_t flags, void* pagep) {
  mpf_state* m = need(mpf);
  if (m == nullptr) return EINVAL;
  if (!m->opened) return not_open(m, "DB_MPOOLFILE->get");
  if (txn != nullptr) {
    report(m->env, 0, "DB_MPOOLFILE->get: pagepool has no transactions; txn must be NULL");
    return EINVAL;
  }
  constexpr u_int32_t ok = DB_MPOOL_CREATE | DB_MPOOL_DIRTY | DB_MPOOL_EDIT | DB_MPOOL_LAST | DB_MPOOL_NEW;
  if ((flags & ~ok) != 0 || pgnoaddr == nullptr || pagep == nullptr) {
    report(m->env, 0, "DB_MPOOLFILE->get: invalid flags 0x%x or a NULL argument", flags);
    return EINVAL;
  }
  // The C flag values are pagepool::get_flags' own (the static_assert above).
  const int rc = to_int(m->file->get(pgnoaddr, static_cast<pagepool::get_flags>(flags),
                                     static_cast<void**>(pagep)));
  (void)refused_after_fork(m, rc, "DB_MPOOLFILE->get");
  return rc;
}

/// put/set flags: DB_MPOOL_DISCARD, DB_MPOOL_DIRTY, DB_MPOOL_CLEAN.
bool put_flags_of(u_int32_t flags, pagepool::put_flags& out) {
  using pf = pagepool::put_flags;
  if ((flags & ~static_cast<u_int32_t>(DB_MPOOL_DISCARD | DB_MPOOL_DIRTY | DB_MPOOL_CLEAN)) != 0)
    return false;
  out = pf::none;
  if (flags & DB_MPOOL_DISCARD) out |= pf::discard;
  if (flags & DB_MPOOL_DIRTY) out |= pf::dirty;
  if (flags & DB_MPOOL_CLEAN) out |= pf::clean;
  return true;
}

int mpf_put(DB_MPOOLFILE* mpf, void* page, DB_CACHE_PRIORITY prio, u_int32_t flags) {
  mpf_state* m = need(mpf);
  if (m == nullptr) return EINVAL;
  if (!m->opened) return not_open(m, "DB_MPOOLFILE->put");
  pagepool::put_flags pf;
  if (!put_flags_of(flags, pf)) {
    report(m->env, 0, "DB_MPOOLFILE->put: invalid flags 0x%x", flags);
    return EINVAL;
  }
  const int rc = to_int(m->file->put(page, static_cast<pagepool::priority>(prio), pf));
  if (refused_after_fork(m, rc, "DB_MPOOLFILE->put")) return rc;
  if (rc == EINVAL) {
    // The same check order as the library's: a pointer not pinned here
    // first, then the flags, then the priority.
    if ((flags & DB_MPOOL_CLEAN) != 0 && (flags & DB_MPOOL_DIRTY) != 0 &&
        prio >= DB_PRIORITY_UNCHANGED && prio <= DB_PRIORITY_VERY_HIGH)
      report(m->env, 0, "DB_MPOOLFILE->put: DB_MPOOL_CLEAN and DB_MPOOL_DIRTY together (or the "
                        "page was not got through this handle, or was already put)");
    else
      report(m->env, 0, "DB_MPOOLFILE->put: the page was not got through this handle, was "
                        "already put, or the priority %d is unknown", static_cast<int>(prio));
  }
  return rc;
}

int mpf_set(DB_MPOOLFILE* mpf, void* page, u_int32_t flags) {
  mpf_state* m = need(mpf);
  if (m == nullptr) return EINVAL;
  if (!m->opened) return not_open(m, "DB_MPOOLFILE->set");
  pagepool::put_flags pf;
  if (!put_flags_of(flags, pf)) {
    report(m->env, 0, "DB_MPOOLFILE->set: invalid flags 0x%x", flags);
    return EINVAL;
  }
  const int rc = to_int(m->file->set(page, pf));
  (void)refused_after_fork(m, rc, "DB_MPOOLFILE->set");
  return rc;
}

int mpf_sync(DB_MPOOLFILE* mpf) {
  mpf_state* m = need(mpf);
  if (m == nullptr) return EINVAL;
  if (!m->opened) return not_open(m, "DB_MPOOLFILE->sync");
  if (m->env->pool->forked()) {
    report_forked(m->env, "DB_MPOOLFILE->sync");
    return EINVAL;
  }
  return sync_with_wait([&] { return m->file->sync(); });
}

int set_clear_len(DB_MPOOLFILE* mpf, u_int32_t n) {
  mpf_state* m = need(mpf);
  if (m == nullptr) return EINVAL;
  if (m->opened) return after_open(m, "DB_MPOOLFILE->set_clear_len");
  return to_int(m->file->set_clear_len(n));
}
int get_clear_len(DB_MPOOLFILE* mpf, u_int32_t* n) {
  mpf_state* m = need(mpf);
  if (m == nullptr || n == nullptr) return EINVAL;
  *n = m->file->clear_len();
  return 0;
}

int set_fileid(DB_MPOOLFILE* mpf, u_int8_t* id) {
  mpf_state* m = need(mpf);
  if (m == nullptr || id == nullptr) return EINVAL;
  if (m->opened) return after_open(m, "DB_MPOOLFILE->set_fileid");
  pagepool::file_id fid;
  std::memcpy(fid.data(), id, DB_FILE_ID_LEN);
  return to_int(m->file->set_fileid(fid));
}
int get_fileid(DB_MPOOLFILE* mpf, u_int8_t* id) {
  mpf_state* m = need(mpf);
  if (m == nullptr || id == nullptr) return EINVAL;
  pagepool::file_id fid;
  if (auto ec = m->file->get_fileid(fid)) {
    report(m->env, 0, "DB_MPOOLFILE->get_fileid: the file has no id before open or set_fileid");
    return to_int(ec);
  }
  std::memcpy(id, fid.data(), DB_FILE_ID_LEN);
  return 0;
}

int set_flags(DB_MPOOLFILE* mpf, u_int32_t flags, int onoff) {
  mpf_state* m = need(mpf);
  if (m == nullptr) return EINVAL;
  if ((flags & ~static_cast<u_int32_t>(DB_MPOOL_NOFILE | DB_MPOOL_UNLINK)) != 0) {
    report(m->env, 0, "DB_MPOOLFILE->set_flags: invalid flags 0x%x", flags);
    return EINVAL;
  }
  if ((flags & DB_MPOOL_NOFILE) && m->opened) return after_open(m, "DB_MPOOLFILE->set_flags(DB_MPOOL_NOFILE)");
  return to_int(m->file->set_flags(static_cast<pagepool::file_flags>(flags), onoff != 0));
}
int get_flags(DB_MPOOLFILE* mpf, u_int32_t* flags) {
  mpf_state* m = need(mpf);
  if (m == nullptr || flags == nullptr) return EINVAL;
  *flags = static_cast<u_int32_t>(m->file->get_file_flags());
  return 0;
}

int set_ftype(DB_MPOOLFILE* mpf, int ftype) {
  mpf_state* m = need(mpf);
  if (m == nullptr) return EINVAL;
  if (m->opened) return after_open(m, "DB_MPOOLFILE->set_ftype");
  return to_int(m->file->set_ftype(ftype));
}
int get_ftype(DB_MPOOLFILE* mpf, int* ftype) {
  mpf_state* m = need(mpf);
  if (m == nullptr || ftype == nullptr) return EINVAL;
  *ftype = m->file->ftype();
  return 0;
}

int set_lsn_offset(DB_MPOOLFILE* mpf, int32_t off) {
  mpf_state* m = need(mpf);
  if (m == nullptr) return EINVAL;
  if (m->opened) return after_open(m, "DB_MPOOLFILE->set_lsn_offset");
  return to_int(m->file->set_lsn_offset(off));
}
int get_lsn_offset(DB_MPOOLFILE* mpf, int32_t* off) {
  mpf_state* m = need(mpf);
  if (m == nullptr || off == nullptr) return EINVAL;
  *off = m->file->lsn_offset();
  return 0;
}

int set_maxsize(DB_MPOOLFILE* mpf, u_int32_t gbytes, u_int32_t bytes) {
  mpf_state* m = need(mpf);
  if (m == nullptr) return EINVAL;
  return to_int(m->file->set_maxsize((std::uint64_t{gbytes} << 30) + bytes));
}
int get_maxsize(DB_MPOOLFILE* mpf, u_int32_t* gbytes, u_int32_t* bytes) {
  mpf_state* m = need(mpf);
  if (m == nullptr) return EINVAL;
  const std::uint64_t v = m->file->maxsize();
  if (gbytes) *gbytes = static_cast<u_int32_t>(v >> 30);
  if (bytes) *bytes = static_cast<u_int32_t>(v & ((1u << 30) - 1));
  return 0;
}

int set_pgcookie(DB_MPOOLFILE* mpf, DBT* dbt) {
  mpf_state* m = need(mpf);
  if (m == nullptr || dbt == nullptr) return EINVAL;
  if (m->opened) return after_open(m, "DB_MPOOLFILE->set_pgcookie");
  if (dbt->size != 0 && dbt->data == nullptr) return EINVAL;
  try {
    const auto* b = static_cast<const std::uint8_t*>(dbt->data);
    m->cookie.assign(b, b + dbt->size);
  } catch (...) {
    return ENOMEM;
  }
  return to_int(m->file->set_pgcookie(
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(m->cookie.data()), m->cookie.size())));
}
int get_pgcookie(DB_MPOOLFILE* mpf, DBT* dbt) {
  mpf_state* m = need(mpf);
  if (m == nullptr || dbt == nullptr) return EINVAL;
  if (m->opened) {
    // The file's cookie: another handle's open may have replaced it.
    try {
      const std::vector<std::byte> c = m->file->pgcookie();
      const auto* b = reinterpret_cast<const std::uint8_t*>(c.data());
      m->cookie.assign(b, b + c.size());
    } catch (...) {
      return ENOMEM;
    }
  }
  dbt->data = m->cookie.empty() ? nullptr : m->cookie.data();
  dbt->size = static_cast<u_int32_t>(m->cookie.size());
  return 0;
}

int set_priority(DB_MPOOLFILE* mpf, DB_CACHE_PRIORITY prio) {
  mpf_state* m = need(mpf);
  if (m == nullptr) return EINVAL;
  const int p = static_cast<int>(prio);
  if (p < DB_PRIORITY_VERY_LOW || p > DB_PRIORITY_VERY_HIGH) {
    report(m->env, 0, "DB_MPOOLFILE->set_priority: unknown priority %d", p);
    return EINVAL;
  }
  return to_int(m->file->set_priority(static_cast<pagepool::priority>(p)));
}
int get_priority(DB_MPOOLFILE* mpf, DB_CACHE_PRIORITY* prio) {
  mpf_state* m = need(mpf);
  if (m == nullptr || prio == nullptr) return EINVAL;
  *prio = static_cast<DB_CACHE_PRIORITY>(static_cast<int>(m->file->get_priority()));
  return 0;
}

int get_last_pgno(DB_MPOOLFILE* mpf, db_pgno_t* pgno) {
  mpf_state* m = need(mpf);
  if (m == nullptr || pgno == nullptr) return EINVAL;
  if (!m->opened) return not_open(m, "DB_MPOOLFILE->get_last_pgno");
  return to_int(m->file->get_last_pgno(pgno));
}

}  // namespace

void init_mpoolfile(mpf_state& m) noexcept {
  DB_MPOOLFILE& a = m.api;
  a.dbenv = &m.env->api;
  a.api_internal = &m;
  a.close = mpf_close;
  a.get = mpf_get;
  a.get_clear_len = get_clear_len;
  a.get_fileid = get_fileid;
  a.get_flags = get_flags;
  a.get_ftype = get_ftype;
  a.get_last_pgno = get_last_pgno;
  a.get_lsn_offset = get_lsn_offset;
  a.get_maxsize = get_maxsize;
  a.get_pgcookie = get_pgcookie;
  a.get_priority = get_priority;
  a.open = mpf_open;
  a.put = mpf_put;
  a.set = mpf_set;
  a.set_clear_len = set_clear_len;
  a.set_fileid = set_fileid;
  a.set_flags = set_flags;
  a.set_ftype = set_ftype;
  a.set_lsn_offset = set_lsn_offset;
  a.set_maxsize = set_maxsize;
  a.set_pgcookie = set_pgcookie;
  a.set_priority = set_priority;
  a.sync = mpf_sync;
}

int close_mpoolfile(mpf_state* m, bool from_env_close) noexcept {
  dbenv_state* e = m->env;
  int ret = 0;
  if (m->opened) {
    if (auto ec = m->file->close(); ec == std::errc::device_or_resource_busy) {
      // Pages are still pinned through this handle. BDB (DIAGNOSTIC builds)
      // panics; pagepool releases the pins, keeps their changes, and says so.
      report(e, 0, "%s: pages were still pinned through this handle; their pins are released",
             from_env_close ? "DB_ENV->close" : "DB_MPOOLFILE->close");
      ret = EINVAL;
    } else if (ec) {
      ret = to_int(ec);
    }
  }
  m->file.reset();  // closes (releasing pins) if still open
  {
    std::lock_guard g(e->mu);
    // Constant time with 100,000 handles open: the last takes its place.
    mpf_state* last = e->files.back();
    e->files[m->env_index] = last;
    last->env_index = m->env_index;
    e->files.pop_back();
  }
  delete m;
  return ret;
}

}  // namespace pagepool::bdb
