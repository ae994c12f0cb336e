// src/bdb/env_memp.cpp: the DB_ENV memory-pool methods: memp_fcreate (a
// DB_MPOOLFILE in this environment), memp_stat and memp_stat_print (the
// pool's and each file's statistics, laid out as BDB lays them out),
// memp_sync and memp_trickle (writing modified pages).
//
// Each returns EINVAL before open or when the environment was opened without
// DB_INIT_MPOOL. memp_register is with the other callbacks
// (env_callbacks.cpp).
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>

#include "bdb/bdb_internal.hpp"

namespace pagepool::bdb {

namespace {

/// The pool of an open environment with a memory pool, or nullptr after
/// reporting why not.
pagepool::pool* need_pool(dbenv_state* e, const char* method) {
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
  if (e->pool->forked()) {
    report_forked(e, method);
    return nullptr;
  }
  return e->pool.get();
}

int memp_fcreate(DB_ENV* dbenv, DB_MPOOLFILE** mpfp, u_int32_t flags) {
  dbenv_state* e = env_of(dbenv);
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
    m->env_index = e->files.size();
    e->files.push_back(m);
  } catch (...) {
    delete m;
    return ENOMEM;
  }
  init_mpoolfile(*m);
  *mpfp = &m->api;
  return 0;
}

int memp_stat(DB_ENV* dbenv, DB_MPOOL_STAT** gspp, DB_MPOOL_FSTAT*** fspp, u_int32_t flags) {
  dbenv_state* e = env_of(dbenv);
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
  dbenv_state* e = env_of(dbenv);
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
  dbenv_state* e = env_of(dbenv);
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
  dbenv_state* e = env_of(dbenv);
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

void init_env_memp(DB_ENV& a) noexcept {
  a.memp_fcreate = memp_fcreate;
  a.memp_stat = memp_stat;
  a.memp_stat_print = memp_stat_print;
  a.memp_sync = memp_sync;
  a.memp_trickle = memp_trickle;
}

}  // namespace pagepool::bdb
