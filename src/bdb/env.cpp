// src/bdb/env.cpp: DB_ENV (db_env_create and the environment's methods),
// db_strerror and db_version, over pagepool::pool.
//
// Life of a DB_ENV:
//
//   db_env_create --> configured --open--> open --close--> (freed)
//                        |                   |
//                        +--remove--> (freed)+ set_cachesize resizes,
//                        +--close---> (freed)  memp_* work
//
// Before-open setters return EINVAL after open ("method not permitted after
// handle's open method"); memp_* return EINVAL before open or when the
// environment was opened without DB_INIT_MPOOL.
#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "bdb/bdb_internal.hpp"

namespace pagepool::bdb {

namespace {

constexpr std::uint64_t gb = 1ull << 30;

std::uint32_t known_open_flags() {
  return DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE | DB_THREAD | DB_SYSTEM_MEM | DB_USE_ENVIRON |
         DB_USE_ENVIRON_ROOT | DB_LOCKDOWN | DB_INIT_MUTEX;
}

struct unsupported {
  std::uint32_t flag;
  const char* name;
};
constexpr unsupported unsupported_open[] = {
    {DB_INIT_CDB, "DB_INIT_CDB"},   {DB_INIT_LOCK, "DB_INIT_LOCK"},
    {DB_INIT_LOG, "DB_INIT_LOG"},   {DB_INIT_REP, "DB_INIT_REP"},
    {DB_INIT_TXN, "DB_INIT_TXN"},   {DB_RECOVER, "DB_RECOVER"},
    {DB_RECOVER_FATAL, "DB_RECOVER_FATAL"}, {DB_REGISTER, "DB_REGISTER"},
    {DB_FAILCHK, "DB_FAILCHK"},
};

int after_open(env_state* e, const char* method) {
  report(e, 0, "%s: method not permitted after handle's open method", method);
  return EINVAL;
}

/// The pool of an open environment with a memory pool, or nullptr after
/// reporting why not.
pagepool::pool* need_pool(env_state* e, const char* method) {
  if (e == nullptr) return nullptr;
  if (!e->opened) {
    report(e, 0, "%s: method not permitted before handle's open method", method);
    return nullptr;
  }
  if (!e->pool) {
    report(e, 0, "%s: interface requires an environment configured for the memory pool (DB_INIT_MPOOL)",
           method);
    return nullptr;
  }
  return e->pool.get();
}

void split_bytes(std::uint64_t total, u_int32_t* gbytesp, u_int32_t* bytesp) {
  if (gbytesp) *gbytesp = static_cast<u_int32_t>(total / gb);
  if (bytesp) *bytesp = static_cast<u_int32_t>(total % gb);
}

// ----------------------------------------------------------------- messages

void env_err(const DB_ENV* dbenv, int error, const char* fmt, ...) {
  std::va_list ap;
  va_start(ap, fmt);
  vreport(env_of(dbenv), error == 0 ? 0 : error, fmt, ap);
  va_end(ap);
}

void env_errx(const DB_ENV* dbenv, const char* fmt, ...) {
  std::va_list ap;
  va_start(ap, fmt);
  vreport(env_of(dbenv), 0, fmt, ap);
  va_end(ap);
}

void set_errcall(DB_ENV* dbenv, void (*fn)(const DB_ENV*, const char*, const char*)) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->errcall = fn;
}
void get_errcall(DB_ENV* dbenv, void (**fn)(const DB_ENV*, const char*, const char*)) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (fn) *fn = e->errcall;
}
void set_errfile(DB_ENV* dbenv, FILE* f) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->errfile = f;
}
void get_errfile(DB_ENV* dbenv, FILE** f) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (f) *f = e->errfile;
}
void set_errpfx(DB_ENV* dbenv, const char* pfx) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  try {
    e->errpfx = pfx ? pfx : "";
    e->errpfx_set = pfx != nullptr;
  } catch (...) {
  }
}
void get_errpfx(DB_ENV* dbenv, const char** pfx) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (pfx) *pfx = e->errpfx_set ? e->errpfx.c_str() : nullptr;
}
void set_msgfile(DB_ENV* dbenv, FILE* f) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->msgfile = f;
}
void get_msgfile(DB_ENV* dbenv, FILE** f) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (f) *f = e->msgfile;
}
void set_msgcall(DB_ENV* dbenv, void (*fn)(const DB_ENV*, const char*)) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->msgcall = fn;
}

// ------------------------------------------------------------ configuration

int set_alloc(DB_ENV* dbenv, void* (*m)(std::size_t), void* (*r)(void*, std::size_t),
              void (*f)(void*)) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (e->opened) return after_open(e, "DB_ENV->set_alloc");
  e->db_malloc = m;
  e->db_realloc = r;
  e->db_free = f;
  return 0;
}

constexpr std::uint64_t cache_min_bytes = 20 * 1024;

int set_cachesize(DB_ENV* dbenv, u_int32_t gbytes, u_int32_t bytes, int ncache) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  // BDB raises a cache smaller than its minimum (20KB) to the minimum.
  const std::uint64_t total = std::max<std::uint64_t>(gbytes * gb + bytes, cache_min_bytes);
  if (!e->opened) {
    if (ncache <= 0) ncache = 1;
    if (ncache > 1024) {
      report(e, 0, "DB_ENV->set_cachesize: %d caches: at most 1024", ncache);
      return EINVAL;
    }
    e->cache_bytes = total;
    e->ncache = ncache;
    return 0;
  }
  // After open: resize the live cache; ncache is ignored (BDB).
  pagepool::pool* p = e->pool.get();
  if (p == nullptr) {
    report(e, 0, "DB_ENV->set_cachesize: interface requires an environment configured for the memory pool (DB_INIT_MPOOL)");
    return EINVAL;
  }
  const std::size_t fs = p->frame_size();
  const std::size_t frames = std::max<std::size_t>(total / fs, p->regions());
  if (frames > p->max_frames()) {
    report(e, 0,
           "DB_ENV->set_cachesize: %llu bytes is more than the cache's maximum of %llu bytes; "
           "call DB_ENV->set_cache_max before DB_ENV->open",
           static_cast<unsigned long long>(total),
           static_cast<unsigned long long>(p->max_frames() * fs));
    return EINVAL;
  }
  return to_int(p->resize(frames));
}

int get_cachesize(DB_ENV* dbenv, u_int32_t* gbytesp, u_int32_t* bytesp, int* ncachep) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (e->opened && e->pool) {
    split_bytes(std::uint64_t{e->pool->frames()} * e->pool->frame_size(), gbytesp, bytesp);
    if (ncachep) *ncachep = static_cast<int>(e->pool->regions());
    return 0;
  }
  split_bytes(e->cache_bytes, gbytesp, bytesp);
  if (ncachep) *ncachep = e->ncache;
  return 0;
}

int set_cache_max(DB_ENV* dbenv, u_int32_t gbytes, u_int32_t bytes) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (e->opened) return after_open(e, "DB_ENV->set_cache_max");
  e->cache_max = gbytes * gb + bytes;
  return 0;
}

int get_cache_max(DB_ENV* dbenv, u_int32_t* gbytesp, u_int32_t* bytesp) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  std::uint64_t m = e->cache_max;
  if (e->opened && e->pool)
    m = std::uint64_t{e->pool->max_frames()} * e->pool->frame_size();
  else if (m == 0)
    m = std::max<std::uint64_t>(e->cache_bytes, 1) * 4;
  split_bytes(m, gbytesp, bytesp);
  return 0;
}

int set_mp_mmapsize(DB_ENV* dbenv, std::size_t n) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->mmapsize = n == 0 ? (10u << 20) : n;  // BDB: 0 means the default, 10 MB
  if (e->pool) e->pool->set_mmap_size(e->mmapsize);
  return 0;
}
int get_mp_mmapsize(DB_ENV* dbenv, std::size_t* n) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (n) *n = e->pool ? e->pool->mmap_size() : e->mmapsize;
  return 0;
}

int set_mp_max_openfd(DB_ENV* dbenv, int n) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (n < 0) {
    report(e, 0, "DB_ENV->set_mp_max_openfd: %d is negative", n);
    return EINVAL;
  }
  e->max_openfd = n;
  if (e->pool) return to_int(e->pool->set_max_open_fd(n));
  return 0;
}
int get_mp_max_openfd(DB_ENV* dbenv, int* n) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (n) *n = e->pool ? e->pool->max_open_fd() : e->max_openfd;
  return 0;
}

int set_mp_max_write(DB_ENV* dbenv, int n, db_timeout_t sleep_us) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (n < 0) {
    report(e, 0, "DB_ENV->set_mp_max_write: %d is negative", n);
    return EINVAL;
  }
  e->maxwrite = n;
  e->maxwrite_sleep = sleep_us;
  if (e->pool) return to_int(e->pool->set_max_write(n, std::chrono::microseconds(sleep_us)));
  return 0;
}
int get_mp_max_write(DB_ENV* dbenv, int* n, db_timeout_t* sleep_us) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (n) *n = e->maxwrite;
  if (sleep_us) *sleep_us = e->maxwrite_sleep;
  return 0;
}

int set_mp_pagesize(DB_ENV* dbenv, u_int32_t n) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (e->opened) return after_open(e, "DB_ENV->set_mp_pagesize");
  if (n > 65536) {
    report(e, 0, "DB_ENV->set_mp_pagesize: %u is larger than the largest page size, 65536", n);
    return EINVAL;
  }
  e->mp_pagesize = n;
  return 0;
}
int get_mp_pagesize(DB_ENV* dbenv, u_int32_t* n) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (n) *n = e->mp_pagesize ? e->mp_pagesize : 4096;
  return 0;
}

int set_mp_tablesize(DB_ENV* dbenv, u_int32_t n) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (e->opened) return after_open(e, "DB_ENV->set_mp_tablesize");
  e->mp_tablesize = n;  // advisory: pagepool sizes its table from the frame count
  return 0;
}
int get_mp_tablesize(DB_ENV* dbenv, u_int32_t* n) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (n) *n = e->mp_tablesize;
  return 0;
}
int set_mp_mtxcount(DB_ENV* dbenv, u_int32_t n) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (e->opened) return after_open(e, "DB_ENV->set_mp_mtxcount");
  e->mp_mtxcount = n;  // advisory: pagepool has one latch per bucket
  return 0;
}
int get_mp_mtxcount(DB_ENV* dbenv, u_int32_t* n) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (n) *n = e->mp_mtxcount;
  return 0;
}

int set_flags(DB_ENV* dbenv, u_int32_t flags, int onoff) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if ((flags & ~static_cast<u_int32_t>(DB_NOMMAP | DB_DIRECT_DB)) != 0) {
    report(e, 0, "DB_ENV->set_flags: 0x%x: only DB_NOMMAP and DB_DIRECT_DB apply to a memory pool",
           flags);
    return EINVAL;
  }
  if (onoff)
    e->env_flags |= flags;
  else
    e->env_flags &= ~flags;
  return 0;
}
int get_flags(DB_ENV* dbenv, u_int32_t* flags) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (flags) *flags = e->env_flags;
  return 0;
}

int set_tmp_dir(DB_ENV* dbenv, const char* dir) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (e->opened) return after_open(e, "DB_ENV->set_tmp_dir");
  if (dir == nullptr) return EINVAL;
  try {
    e->tmp_dir = dir;
  } catch (...) {
    return ENOMEM;
  }
  e->tmp_dir_set = true;
  return 0;
}
int get_tmp_dir(DB_ENV* dbenv, const char** dir) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (dir) *dir = e->tmp_dir_set ? e->tmp_dir.c_str() : nullptr;
  return 0;
}

int get_home(DB_ENV* dbenv, const char** home) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (home) *home = e->home_set ? e->home.c_str() : nullptr;
  return 0;
}

int get_open_flags(DB_ENV* dbenv, u_int32_t* flags) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (!e->opened) {
    report(e, 0, "DB_ENV->get_open_flags: method not permitted before handle's open method");
    return EINVAL;
  }
  if (flags) *flags = e->open_flags;
  return 0;
}

/// Hands the environment's log-flush function (or none) to the pool.
void apply_log_flush(env_state* e) {
  const auto fn = e->log_flush;
  if (fn == nullptr) {
    e->pool->set_log_flush({});
    return;
  }
  DB_ENV* self = &e->api;
  e->pool->set_log_flush([self, fn](const pagepool::lsn& l) {
    const DB_LSN c{l.file, l.offset};
    return fn(self, &c);
  });
}

int set_log_flush(DB_ENV* dbenv, int (*fn)(DB_ENV*, const DB_LSN*)) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->log_flush = fn;
  if (e->pool) apply_log_flush(e);
  return 0;
}

// ------------------------------------------------------------ open / close

void apply_page_io(env_state* e, int ftype) {
  const pgio_fn in = e->pgin[ftype], out = e->pgout[ftype];
  DB_ENV* self = &e->api;
  auto wrap = [self](pgio_fn fn) -> pagepool::page_io_fn {
    if (fn == nullptr) return {};
    return [self, fn](pgno_t pgno, void* page, std::span<const std::byte> cookie) {
      DBT c{};
      c.data = const_cast<std::byte*>(cookie.data());
      c.size = static_cast<u_int32_t>(cookie.size());
      return fn(self, pgno, page, &c);
    };
  };
  (void)e->pool->register_page_io(ftype, wrap(in), wrap(out));
}

int env_open(DB_ENV* dbenv, const char* home, u_int32_t flags, int mode) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  (void)mode;  // no region files: nothing is created with it
  if (e->opened) {
    report(e, 0, "DB_ENV->open: the environment is already open");
    return EINVAL;
  }
  for (const auto& u : unsupported_open) {
    if (flags & u.flag) {
      report(e, 0,
             "DB_ENV->open: %s: pagepool provides only the memory pool (DB_INIT_MPOOL); "
             "it has no transaction, locking, logging or replication subsystem",
             u.name);
      return EINVAL;
    }
  }
  if ((flags & ~known_open_flags()) != 0) {
    report(e, 0, "DB_ENV->open: unknown flags 0x%x", flags & ~known_open_flags());
    return EINVAL;
  }
  std::string h;
  try {
    if (home != nullptr) {
      h = home;
    } else if (flags & (DB_USE_ENVIRON | DB_USE_ENVIRON_ROOT)) {
      if (const char* v = std::getenv("DB_HOME")) h = v;
    }
  } catch (...) {
    return ENOMEM;
  }
  if (!h.empty()) {
    struct stat st;
    if (::stat(h.c_str(), &st) != 0) {
      const int rc = errno;
      report(e, rc, "DB_ENV->open: %s", h.c_str());
      return rc;
    }
    if (!S_ISDIR(st.st_mode)) {
      report(e, ENOTDIR, "DB_ENV->open: %s", h.c_str());
      return ENOTDIR;
    }
  }
  std::unique_ptr<pagepool::pool> p;
  if (flags & DB_INIT_MPOOL) {
    pagepool::pool_options o;
    o.frame_size = e->frame_size();
    o.regions = static_cast<unsigned>(e->ncache);
    o.cache_frames = std::max<std::size_t>(e->cache_bytes / o.frame_size, o.regions);
    if (e->cache_max != 0) {
      if (e->cache_max < e->cache_bytes) {
        report(e, 0, "DB_ENV->open: cache_max (%llu bytes) is below the cache size (%llu bytes)",
               static_cast<unsigned long long>(e->cache_max),
               static_cast<unsigned long long>(e->cache_bytes));
        return EINVAL;
      }
      o.cache_max_bytes = e->cache_max;
    }
    o.mmap_size = e->mmapsize;
    o.max_open_fd = e->max_openfd;
    o.max_write = e->maxwrite;
    o.max_write_sleep = std::chrono::microseconds(e->maxwrite_sleep);
    try {
      if (e->tmp_dir_set) o.temp_dir = e->tmp_dir;
    } catch (...) {
      return ENOMEM;
    }
    if (auto ec = pagepool::pool::create(o, p)) {
      report(e, to_int(ec), "DB_ENV->open: cannot create a cache of %llu bytes in %d regions",
             static_cast<unsigned long long>(e->cache_bytes), e->ncache);
      return to_int(ec);
    }
  }
  e->home = std::move(h);
  e->home_set = home != nullptr || !e->home.empty();
  e->pool = std::move(p);
  e->opened = true;
  e->open_flags = flags;
  if (e->pool) {
    for (int t = 1; t < 128; ++t)
      if (e->registered[t]) apply_page_io(e, t);
    if (e->log_flush) apply_log_flush(e);
  }
  return 0;
}

int env_close(DB_ENV* dbenv, u_int32_t flags) {
  env_state* e = env_of(dbenv);
  if (e == nullptr) return EINVAL;
  int ret = 0;
  if (flags != 0 && flags != 0x1 /* DB_FORCESYNC */) {
    report(e, 0, "DB_ENV->close: unknown flags 0x%x", flags);
    ret = EINVAL;  // BDB: the handle is gone whatever the result
  }
  // DB_MPOOLFILEs still open are closed with the environment (BDB discards
  // them too); their pins are released.
  std::vector<mpf_state*> open_files;
  {
    std::lock_guard g(e->mu);
    open_files = e->files;
  }
  for (mpf_state* m : open_files) {
    const int rc = close_mpoolfile(m, true);
    if (rc != 0 && ret == 0) ret = rc;
  }
  if (e->pool) {
    if (auto ec = e->pool->close(); ec && ret == 0) {
      ret = to_int(ec);
      report(e, ret, "DB_ENV->close: writing modified pages");
    }
    e->pool.reset();
  }
  delete e;
  return ret;
}

int env_remove(DB_ENV* dbenv, const char* home, u_int32_t flags) {
  env_state* e = env_of(dbenv);
  if (e == nullptr) return EINVAL;
  (void)home;  // no region files exist to remove
  int ret = 0;
  if (e->opened) {
    report(e, 0, "DB_ENV->remove: method not permitted after handle's open method");
    ret = EINVAL;
  } else if ((flags & ~static_cast<u_int32_t>(DB_FORCE | DB_USE_ENVIRON | DB_USE_ENVIRON_ROOT)) != 0) {
    report(e, 0, "DB_ENV->remove: unknown flags 0x%x", flags);
    ret = EINVAL;
  }
  if (e->opened) {
    // BDB: the handle may not be used again whatever remove returns.
    env_close(dbenv, 0);
    return ret;
  }
  delete e;
  return ret;
}

// ------------------------------------------------------------------ memp_*

int memp_fcreate(DB_ENV* dbenv, DB_MPOOLFILE** mpfp, u_int32_t flags) {
  env_state* e = env_of(dbenv);
  if (e == nullptr || mpfp == nullptr) return EINVAL;
  std::lock_guard g(e->mu);
  pagepool::pool* p = need_pool(e, "DB_ENV->memp_fcreate");
  if (p == nullptr) return EINVAL;
  if (flags != 0) {
    report(e, 0, "DB_ENV->memp_fcreate: flags must be 0");
    return EINVAL;
  }
  auto* m = new (std::nothrow) mpf_state();
  if (m == nullptr) return ENOMEM;
  m->env = e;
  m->file = p->file_create();
  if (!m->file) {
    delete m;
    return ENOMEM;
  }
  try {
    e->files.push_back(m);
  } catch (...) {
    delete m;
    return ENOMEM;
  }
  init_mpoolfile(*m);
  *mpfp = &m->api;
  return 0;
}

int memp_register(DB_ENV* dbenv, int ftype, pgio_fn pgin, pgio_fn pgout) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (ftype < 1 || ftype > 127) {
    report(e, 0, "DB_ENV->memp_register: file type %d: must be 1 to 127", ftype);
    return EINVAL;
  }
  e->pgin[ftype] = pgin;
  e->pgout[ftype] = pgout;
  e->registered[ftype] = true;
  if (e->pool) apply_page_io(e, ftype);
  return 0;
}

int memp_stat(DB_ENV* dbenv, DB_MPOOL_STAT** gspp, DB_MPOOL_FSTAT*** fspp, u_int32_t flags) {
  env_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  pagepool::pool* p = need_pool(e, "DB_ENV->memp_stat");
  if (p == nullptr) return EINVAL;
  if (flags != 0 && flags != DB_STAT_CLEAR) {
    report(e, 0, "DB_ENV->memp_stat: flags must be 0 or DB_STAT_CLEAR");
    return EINVAL;
  }
  const bool clear = flags == DB_STAT_CLEAR;
  std::vector<pagepool::file_stats> files;
  try {
    files = p->file_statistics(false);
  } catch (...) {
    return ENOMEM;
  }
  // The pool's counts include the files'; read both, then clear both (BDB:
  // "reset statistics after returning their values").
  const pagepool::pool_stats st = p->stats(clear);
  if (clear) {
    try {
      (void)p->file_statistics(true);
    } catch (...) {
    }
  }
  DB_MPOOL_STAT* gs = nullptr;
  DB_MPOOL_FSTAT** fs = nullptr;
  if (gspp != nullptr) {
    gs = static_cast<DB_MPOOL_STAT*>(env_malloc(e, sizeof(DB_MPOOL_STAT)));
    if (gs == nullptr) return ENOMEM;
  }
  if (fspp != nullptr && !files.empty()) {
    // One block, freed with one free(): the NULL-terminated pointer array,
    // then the structs, then the names.
    auto name_of = [](const pagepool::file_stats& f) -> const char* {
      return f.file_name.empty() ? "unknown" : f.file_name.c_str();
    };
    std::size_t names = 0;
    for (auto& f : files) names += std::strlen(name_of(f)) + 1;
    const std::size_t ptrs = sizeof(DB_MPOOL_FSTAT*) * (files.size() + 1);
    const std::size_t structs = sizeof(DB_MPOOL_FSTAT) * files.size();
    auto* block = static_cast<char*>(env_malloc(e, ptrs + structs + names));
    if (block == nullptr) {
      if (gs) (e->db_free ? e->db_free : std::free)(gs);
      return ENOMEM;
    }
    fs = reinterpret_cast<DB_MPOOL_FSTAT**>(block);
    auto* recs = reinterpret_cast<DB_MPOOL_FSTAT*>(block + ptrs);
    char* name = block + ptrs + structs;
    for (std::size_t i = 0; i < files.size(); ++i) {
      const auto& f = files[i];
      DB_MPOOL_FSTAT* r = &recs[i];
      std::memset(r, 0, sizeof *r);
      r->st_pagesize = f.pagesize;
      r->st_map = static_cast<u_int32_t>(f.map);
      r->st_cache_hit = f.cache_hit;
      r->st_cache_miss = f.cache_miss;
      r->st_page_create = f.page_create;
      r->st_page_in = f.page_in;
      r->st_page_out = f.page_out;
      const std::size_t len = std::strlen(name_of(f)) + 1;
      std::memcpy(name, name_of(f), len);
      r->file_name = name;
      name += len;
      fs[i] = r;
    }
    fs[files.size()] = nullptr;
  }
  if (gs != nullptr) {
    std::memset(gs, 0, sizeof *gs);
    split_bytes(st.cache_bytes, &gs->st_gbytes, &gs->st_bytes);
    gs->st_ncache = st.ncache;
    gs->st_max_ncache = st.ncache;
    gs->st_mmapsize = st.mmapsize;
    gs->st_maxopenfd = st.maxopenfd;
    gs->st_maxwrite = st.maxwrite;
    gs->st_maxwrite_sleep = st.maxwrite_sleep;
    gs->st_pages = st.pages;
    gs->st_map = static_cast<u_int32_t>(st.map);
    gs->st_cache_hit = st.cache_hit;
    gs->st_cache_miss = st.cache_miss;
    gs->st_page_create = st.page_create;
    gs->st_page_in = st.page_in;
    gs->st_page_out = st.page_out;
    gs->st_ro_evict = st.ro_evict;
    gs->st_rw_evict = st.rw_evict;
    gs->st_page_trickle = st.page_trickle;
    gs->st_page_clean = st.page_clean;
    gs->st_page_dirty = st.page_dirty;
    gs->st_hash_buckets = st.hash_buckets;
    gs->st_hash_mutexes = st.hash_mutexes;
    gs->st_pagesize = e->mp_pagesize ? e->mp_pagesize : 4096;
    gs->st_hash_searches = static_cast<u_int32_t>(st.hash_searches);
    gs->st_hash_longest = st.hash_longest;
    gs->st_hash_examined = st.hash_examined;
    gs->st_hash_nowait = st.hash_nowait;
    gs->st_hash_wait = st.hash_wait;
    gs->st_alloc = st.alloc;
    gs->st_alloc_pages = st.alloc_pages;
    gs->st_alloc_max_pages = st.alloc_max_pages;
    gs->st_io_wait = st.io_wait;
    gs->st_regsize = st.cache_bytes / std::max<std::uint32_t>(st.ncache, 1);
    gs->st_regmax = std::uint64_t{p->max_frames()} * p->frame_size() / std::max<std::uint32_t>(st.ncache, 1);
    *gspp = gs;
  }
  if (fspp != nullptr) *fspp = fs;  // BDB: NULL when there are no files
  return 0;
}

int memp_stat_print(DB_ENV* dbenv, u_int32_t flags) {
  env_state* e = env_of(dbenv);
  constexpr u_int32_t ok = DB_STAT_ALL | DB_STAT_ALLOC | DB_STAT_CLEAR | DB_STAT_MEMP_HASH;
  {
    std::lock_guard g(e->mu);
    if (need_pool(e, "DB_ENV->memp_stat_print") == nullptr) return EINVAL;
    if ((flags & ~ok) != 0) {
      report(e, 0, "DB_ENV->memp_stat_print: unknown flags 0x%x", flags & ~ok);
      return EINVAL;
    }
  }
  DB_MPOOL_STAT* gs = nullptr;
  DB_MPOOL_FSTAT** fs = nullptr;
  if (int rc = memp_stat(dbenv, &gs, &fs, flags & DB_STAT_CLEAR)) return rc;
  auto u = [](uintmax_t v) { return static_cast<unsigned long long>(v); };
  message(e, "Default cache region information:");
  message(e, "%lluGB %lluB\tTotal cache size", u(gs->st_gbytes), u(gs->st_bytes));
  message(e, "%llu\tNumber of caches", u(gs->st_ncache));
  message(e, "%llu\tMaximum number of caches", u(gs->st_max_ncache));
  message(e, "%llu\tPool individual cache size", u(gs->st_regsize));
  message(e, "%llu\tPool individual cache max", u(gs->st_regmax));
  message(e, "%llu\tMaximum memory-mapped file size", u(gs->st_mmapsize));
  message(e, "%lld\tMaximum open file descriptors", static_cast<long long>(gs->st_maxopenfd));
  message(e, "%lld\tMaximum sequential buffer writes", static_cast<long long>(gs->st_maxwrite));
  message(e, "%llu\tSleep after writing maximum sequential buffers", u(gs->st_maxwrite_sleep));
  message(e, "%llu\tRequested pages mapped into the process' address space", u(gs->st_map));
  message(e, "%llu\tRequested pages found in the cache", u(gs->st_cache_hit));
  message(e, "%llu\tRequested pages not found in the cache", u(gs->st_cache_miss));
  message(e, "%llu\tPages created in the cache", u(gs->st_page_create));
  message(e, "%llu\tPages read into the cache", u(gs->st_page_in));
  message(e, "%llu\tPages written from the cache to the backing file", u(gs->st_page_out));
  message(e, "%llu\tClean pages forced from the cache", u(gs->st_ro_evict));
  message(e, "%llu\tDirty pages forced from the cache", u(gs->st_rw_evict));
  message(e, "%llu\tDirty pages written by trickle-sync thread", u(gs->st_page_trickle));
  message(e, "%llu\tCurrent total page count", u(gs->st_pages));
  message(e, "%llu\tCurrent clean page count", u(gs->st_page_clean));
  message(e, "%llu\tCurrent dirty page count", u(gs->st_page_dirty));
  message(e, "%llu\tNumber of hash buckets used for page location", u(gs->st_hash_buckets));
  message(e, "%llu\tAssumed page size used", u(gs->st_pagesize));
  message(e, "%llu\tTotal number of times hash chains searched for a page", u(gs->st_hash_searches));
  message(e, "%llu\tThe longest hash chain searched for a page", u(gs->st_hash_longest));
  message(e, "%llu\tTotal number of hash chain entries checked for page", u(gs->st_hash_examined));
  message(e, "%llu\tThe number of hash bucket locks that required waiting", u(gs->st_hash_wait));
  message(e, "%llu\tThe number of hash bucket locks granted without waiting", u(gs->st_hash_nowait));
  if (flags & (DB_STAT_ALL | DB_STAT_ALLOC)) {
    message(e, "%llu\tThe number of page allocations", u(gs->st_alloc));
    message(e, "%llu\tThe number of pages examined during allocations", u(gs->st_alloc_pages));
    message(e, "%llu\tThe max number of pages examined for an allocation", u(gs->st_alloc_max_pages));
  }
  message(e, "%llu\tThreads waited on page I/O", u(gs->st_io_wait));
  if (fs != nullptr) {
    for (DB_MPOOL_FSTAT** f = fs; *f != nullptr; ++f) {
      message(e, "Pool File: %s", (*f)->file_name);
      message(e, "%llu\tPage size", u((*f)->st_pagesize));
      message(e, "%llu\tRequested pages mapped into the process' address space", u((*f)->st_map));
      message(e, "%llu\tRequested pages found in the cache", u((*f)->st_cache_hit));
      message(e, "%llu\tRequested pages not found in the cache", u((*f)->st_cache_miss));
      message(e, "%llu\tPages created in the cache", u((*f)->st_page_create));
      message(e, "%llu\tPages read into the cache", u((*f)->st_page_in));
      message(e, "%llu\tPages written from the cache to the backing file", u((*f)->st_page_out));
    }
  }
  void (*fr)(void*) = e->db_free ? e->db_free : std::free;
  fr(gs);
  if (fs) fr(fs);
  return 0;
}

int memp_sync(DB_ENV* dbenv, DB_LSN* lsnp) {
  env_state* e = env_of(dbenv);
  pagepool::pool* p;
  {
    std::lock_guard g(e->mu);
    p = need_pool(e, "DB_ENV->memp_sync");
  }
  if (p == nullptr) return EINVAL;
  std::optional<pagepool::lsn> upto;
  if (lsnp != nullptr) upto = pagepool::lsn{lsnp->file, lsnp->offset};
  return sync_with_wait([&] { return p->sync(upto); });
}

int memp_trickle(DB_ENV* dbenv, int pct, int* nwrotep) {
  env_state* e = env_of(dbenv);
  pagepool::pool* p;
  {
    std::lock_guard g(e->mu);
    p = need_pool(e, "DB_ENV->memp_trickle");
  }
  if (p == nullptr) return EINVAL;
  if (pct < 1 || pct > 100) {
    report(e, 0, "DB_ENV->memp_trickle: %d: the percentage must be 1 to 100", pct);
    return EINVAL;
  }
  int n = 0;
  const int rc = to_int(p->trickle(pct, &n));
  if (nwrotep) *nwrotep = n;
  return rc;
}

}  // namespace

// ---------------------------------------------------------------- helpers

std::uint32_t env_state::frame_size() const noexcept {
  const std::uint32_t want = std::max<std::uint32_t>(mp_pagesize, 4096);
  return std::bit_ceil(want);
}

int to_int(std::error_code ec) noexcept {
  if (!ec) return 0;
  if (ec.category() == pagepool::category()) {
    switch (static_cast<pagepool::errc>(ec.value())) {
      case pagepool::errc::page_not_found: return DB_PAGE_NOTFOUND;
      case pagepool::errc::incomplete: return DB_PP_INCOMPLETE;
      // Berkeley DB's page-in returns DB_RUNRECOVERY for a checksum error
      // (and panics the environment; pagepool does not: see checksum.hpp).
      case pagepool::errc::page_corrupt: return DB_RUNRECOVERY;
    }
    return EINVAL;
  }
  return ec.value();
}

void vreport(const env_state* env, int error, const char* fmt, std::va_list ap) noexcept {
  char msg[1024];
  std::vsnprintf(msg, sizeof msg, fmt, ap);
  char full[1200];
  if (error != 0)
    std::snprintf(full, sizeof full, "%s: %s", msg, db_strerror(error));
  else
    std::snprintf(full, sizeof full, "%s", msg);
  // BDB: the callback, if set, is called; the file, if set, is written; and
  // with neither, the message goes to stderr. Both set means both happen.
  if (env != nullptr && env->errcall != nullptr)
    env->errcall(&env->api, env->errpfx_set ? env->errpfx.c_str() : nullptr, full);
  if (env != nullptr && env->errcall != nullptr && env->errfile == nullptr) return;
  FILE* out = env != nullptr && env->errfile != nullptr ? env->errfile : stderr;
  if (env != nullptr && env->errpfx_set)
    std::fprintf(out, "%s: %s\n", env->errpfx.c_str(), full);
  else
    std::fprintf(out, "%s\n", full);
  std::fflush(out);
}

void report(const env_state* env, int error, const char* fmt, ...) noexcept {
  std::va_list ap;
  va_start(ap, fmt);
  vreport(env, error, fmt, ap);
  va_end(ap);
}

void message(const env_state* env, const char* fmt, ...) noexcept {
  char msg[1024];
  std::va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (env->msgcall != nullptr) {
    env->msgcall(&env->api, msg);
    return;
  }
  FILE* out = env->msgfile != nullptr ? env->msgfile : stdout;
  std::fprintf(out, "%s\n", msg);
}

void* env_malloc(const env_state* env, std::size_t n) noexcept {
  return env->db_malloc ? env->db_malloc(n) : std::malloc(n);
}

}  // namespace pagepool::bdb

using namespace pagepool::bdb;

extern "C" int db_env_create(DB_ENV** dbenvp, u_int32_t flags) {
  if (dbenvp == nullptr) return EINVAL;
  if (flags != 0 && flags != DB_CXX_NO_EXCEPTIONS) return EINVAL;
  auto* e = new (std::nothrow) env_state();
  if (e == nullptr) return ENOMEM;
  DB_ENV& a = e->api;
  a.api_internal = e;
  a.close = env_close;
  a.err = env_err;
  a.errx = env_errx;
  a.get_cache_max = get_cache_max;
  a.get_cachesize = get_cachesize;
  a.get_errcall = get_errcall;
  a.get_errfile = get_errfile;
  a.get_errpfx = get_errpfx;
  a.get_flags = get_flags;
  a.get_home = get_home;
  a.get_mp_max_openfd = get_mp_max_openfd;
  a.get_mp_max_write = get_mp_max_write;
  a.get_mp_mmapsize = get_mp_mmapsize;
  a.get_mp_mtxcount = get_mp_mtxcount;
  a.get_mp_pagesize = get_mp_pagesize;
  a.get_mp_tablesize = get_mp_tablesize;
  a.get_msgfile = get_msgfile;
  a.get_open_flags = get_open_flags;
  a.get_tmp_dir = get_tmp_dir;
  a.memp_fcreate = memp_fcreate;
  a.memp_register = memp_register;
  a.memp_stat = memp_stat;
  a.memp_stat_print = memp_stat_print;
  a.memp_sync = memp_sync;
  a.memp_trickle = memp_trickle;
  a.open = env_open;
  a.remove = env_remove;
  a.set_alloc = set_alloc;
  a.set_cache_max = set_cache_max;
  a.set_cachesize = set_cachesize;
  a.set_errcall = set_errcall;
  a.set_errfile = set_errfile;
  a.set_errpfx = set_errpfx;
  a.set_flags = set_flags;
  a.set_log_flush = set_log_flush;
  a.set_mp_max_openfd = set_mp_max_openfd;
  a.set_mp_max_write = set_mp_max_write;
  a.set_mp_mmapsize = set_mp_mmapsize;
  a.set_mp_mtxcount = set_mp_mtxcount;
  a.set_mp_pagesize = set_mp_pagesize;
  a.set_mp_tablesize = set_mp_tablesize;
  a.set_msgcall = set_msgcall;
  a.set_msgfile = set_msgfile;
  a.set_tmp_dir = set_tmp_dir;
  *dbenvp = &a;
  return 0;
}

extern "C" char* db_strerror(int error) {
  switch (error) {
    case DB_BUFFER_SMALL:
      return const_cast<char*>("DB_BUFFER_SMALL: User memory too small for return value");
    case DB_LOCK_DEADLOCK:
      return const_cast<char*>("DB_LOCK_DEADLOCK: Locker killed to resolve a deadlock");
    case DB_NOTFOUND: return const_cast<char*>("DB_NOTFOUND: No matching key/data pair found");
    case DB_PAGE_NOTFOUND: return const_cast<char*>("DB_PAGE_NOTFOUND: Requested page not found");
    case DB_RUNRECOVERY: return const_cast<char*>("DB_RUNRECOVERY: Fatal error, run database recovery");
    case DB_VERSION_MISMATCH:
      return const_cast<char*>("DB_VERSION_MISMATCH: Database environment version mismatch");
    case DB_PP_INCOMPLETE:
      return const_cast<char*>(
          "DB_PP_INCOMPLETE: modified pages stayed pinned during sync and were not written");
    default: break;
  }
  // The manual: "If the error number error is greater than or equal to 0,
  // then the string returned by the system function strerror(3) is returned."
  if (error >= 0) return std::strerror(error);
  thread_local char buf[64];
  std::snprintf(buf, sizeof buf, "Unknown error: %d", error);
  return buf;
}

extern "C" char* db_version(int* major, int* minor, int* patch) {
  if (major) *major = DB_VERSION_MAJOR;
  if (minor) *minor = DB_VERSION_MINOR;
  if (patch) *patch = DB_VERSION_PATCH;
  return const_cast<char*>(DB_VERSION_STRING);
}
