// src/bdb/env_config.cpp: the DB_ENV settings and their getters: the
// cache (set_cachesize, set_cache_max), the memory pool's tuning (mmap size,
// open descriptors, write bursts, page size, table size, mutex count), the
// allocator (set_alloc), DB_NOMMAP / DB_DIRECT_DB (set_flags) and the
// temporary directory.
//
// When each may be called:
//   before open only (EINVAL after: "method not permitted after handle's open
//   method"): set_alloc, set_cache_max, set_mp_pagesize, set_mp_tablesize,
//   set_mp_mtxcount, set_tmp_dir;
//   also after open, on the live pool: set_cachesize (a resize),
//   set_mp_mmapsize, set_mp_max_openfd, set_mp_max_write;
//   at any time: set_flags (read by each DB_MPOOLFILE->open).
// A getter reads the live pool where the pool holds the value, else the
// value set.
#include <algorithm>
#include <cerrno>
#include <chrono>

#include "bdb/bdb_internal.hpp"

namespace pagepool::bdb {

namespace {

int after_open(dbenv_state* e, const char* method) {
  report(e, 0, "%s: method not permitted after handle's open method", method);
  return EINVAL;
}

int set_alloc(DB_ENV* dbenv, void* (*m)(std::size_t), void* (*r)(void*, std::size_t),
              void (*f)(void*)) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (e->opened) return after_open(e, "DB_ENV->set_alloc");
  e->db_malloc = m;
  e->db_realloc = r;
  e->db_free = f;
  return 0;
}

constexpr std::uint64_t cache_min_bytes = 20 * 1024;

int set_cachesize(DB_ENV* dbenv, u_int32_t gbytes, u_int32_t bytes, int ncache) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  // BDB raises a cache smaller than its minimum (20KB) to the minimum.
  const std::uint64_t total = std::max<std::uint64_t>(gbytes * gigabyte + bytes, cache_min_bytes);
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
  dbenv_state* e = env_of(dbenv);
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
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (e->opened) return after_open(e, "DB_ENV->set_cache_max");
  e->cache_max = gbytes * gigabyte + bytes;
  return 0;
}

int get_cache_max(DB_ENV* dbenv, u_int32_t* gbytesp, u_int32_t* bytesp) {
  dbenv_state* e = env_of(dbenv);
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
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->mmapsize = n == 0 ? (10u << 20) : n;  // BDB: 0 means the default, 10 MB
  if (e->pool) e->pool->set_mmap_size(e->mmapsize);
  return 0;
}
int get_mp_mmapsize(DB_ENV* dbenv, std::size_t* n) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (n) *n = e->pool ? e->pool->mmap_size() : e->mmapsize;
  return 0;
}

int set_mp_max_openfd(DB_ENV* dbenv, int n) {
  dbenv_state* e = env_of(dbenv);
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
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (n) *n = e->pool ? e->pool->max_open_fd() : e->max_openfd;
  return 0;
}

int set_mp_max_write(DB_ENV* dbenv, int n, db_timeout_t sleep_us) {
  dbenv_state* e = env_of(dbenv);
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
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (n) *n = e->maxwrite;
  if (sleep_us) *sleep_us = e->maxwrite_sleep;
  return 0;
}

int set_mp_pagesize(DB_ENV* dbenv, u_int32_t n) {
  dbenv_state* e = env_of(dbenv);
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
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (n) *n = e->mp_pagesize ? e->mp_pagesize : 4096;
  return 0;
}

int set_mp_tablesize(DB_ENV* dbenv, u_int32_t n) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (e->opened) return after_open(e, "DB_ENV->set_mp_tablesize");
  e->mp_tablesize = n;  // advisory: pagepool sizes its table from the frame count
  return 0;
}
int get_mp_tablesize(DB_ENV* dbenv, u_int32_t* n) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (n) *n = e->mp_tablesize;
  return 0;
}
int set_mp_mtxcount(DB_ENV* dbenv, u_int32_t n) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (e->opened) return after_open(e, "DB_ENV->set_mp_mtxcount");
  e->mp_mtxcount = n;  // advisory: pagepool has one latch per bucket
  return 0;
}
int get_mp_mtxcount(DB_ENV* dbenv, u_int32_t* n) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (n) *n = e->mp_mtxcount;
  return 0;
}

int set_flags(DB_ENV* dbenv, u_int32_t flags, int onoff) {
  dbenv_state* e = env_of(dbenv);
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
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (flags) *flags = e->env_flags;
  return 0;
}

int set_tmp_dir(DB_ENV* dbenv, const char* dir) {
  dbenv_state* e = env_of(dbenv);
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
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (dir) *dir = e->tmp_dir_set ? e->tmp_dir.c_str() : nullptr;
  return 0;
}

}  // namespace

void init_env_config(DB_ENV& a) noexcept {
  a.get_cache_max = get_cache_max;
  a.get_cachesize = get_cachesize;
  a.get_flags = get_flags;
  a.get_mp_max_openfd = get_mp_max_openfd;
  a.get_mp_max_write = get_mp_max_write;
  a.get_mp_mmapsize = get_mp_mmapsize;
  a.get_mp_mtxcount = get_mp_mtxcount;
  a.get_mp_pagesize = get_mp_pagesize;
  a.get_mp_tablesize = get_mp_tablesize;
  a.get_tmp_dir = get_tmp_dir;
  a.set_alloc = set_alloc;
  a.set_cache_max = set_cache_max;
  a.set_cachesize = set_cachesize;
  a.set_flags = set_flags;
  a.set_mp_max_openfd = set_mp_max_openfd;
  a.set_mp_max_write = set_mp_max_write;
  a.set_mp_mmapsize = set_mp_mmapsize;
  a.set_mp_mtxcount = set_mp_mtxcount;
  a.set_mp_pagesize = set_mp_pagesize;
  a.set_mp_tablesize = set_mp_tablesize;
  a.set_tmp_dir = set_tmp_dir;
}

}  // namespace pagepool::bdb
