// pagepool/stats.hpp: statistics snapshots. BDB: DB_MPOOL_STAT, DB_MPOOL_FSTAT.
//
// Counters are sharded and relaxed while the pool runs; a snapshot taken while
// threads work is approximate, one taken when the pool is quiescent is exact.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "pagepool/types.hpp"

namespace pagepool {

/// One file's counters. BDB: DB_MPOOL_FSTAT.
struct file_stats {
  std::string file_name;        ///< the path given to open, or "" for a temporary file
  std::uint32_t pagesize = 0;   ///< st_pagesize
  std::uint64_t map = 0;        ///< st_map: gets served from an mmapped file
  std::uint64_t cache_hit = 0;  ///< st_cache_hit
  std::uint64_t cache_miss = 0; ///< st_cache_miss: gets that had to read the page (pages made past the end count as page_create only)
  std::uint64_t page_create = 0;///< st_page_create: pages made by NEW or CREATE
  std::uint64_t page_in = 0;    ///< st_page_in: pages read from the file
  std::uint64_t page_out = 0;   ///< st_page_out: pages written to the file
  std::uint64_t optimistic_reads = 0;    ///< pagepool: optimistic reads begun on a resident page
  std::uint64_t optimistic_failures = 0; ///< pagepool: of those, reads a writer or eviction invalidated
  std::uint64_t checksum_failures = 0;   ///< pagepool: pages read that failed their checksum (checksum.hpp)
  bool direct_io = false;       ///< pagepool: the file's I/O bypasses the OS cache (DB_DIRECT granted)
};

/// The whole pool. BDB: DB_MPOOL_STAT (fields that apply to pagepool).
struct pool_stats {
  std::uint64_t cache_bytes = 0;    ///< page memory, exactly as configured (st_gbytes/st_bytes)
  std::uint32_t ncache = 0;         ///< regions (st_ncache)
  std::uint32_t frame_size = 0;     ///< the default page size, pool_options::frame_size (st_pagesize)
  std::uint32_t frames = 0;         ///< cache_bytes / frame_size: pages of the default size the pool holds
  std::uint64_t mmapsize = 0;       ///< st_mmapsize
  std::int32_t maxopenfd = 0;       ///< st_maxopenfd
  std::int32_t maxwrite = 0;        ///< st_maxwrite
  std::uint32_t maxwrite_sleep = 0; ///< st_maxwrite_sleep, microseconds
  std::uint32_t pages = 0;          ///< st_pages: frames holding a page now, of every page size
  /// pagepool: of those, pages of 512 << i bytes (512 B .. 64 KiB)
  std::array<std::uint32_t, 8> pages_by_size{};
  /// pagepool: bytes of page memory held by frames in use (the byte budget's
  /// count, pool.hpp "Page sizes"; at most cache_bytes once a shrink is over)
  std::uint64_t page_bytes = 0;
  std::uint32_t page_clean = 0;     ///< st_page_clean: pages - page_dirty
  std::uint32_t page_dirty = 0;     ///< st_page_dirty
  std::uint64_t map = 0;            ///< st_map
  std::uint64_t cache_hit = 0;      ///< st_cache_hit
  std::uint64_t cache_miss = 0;     ///< st_cache_miss: gets that had to read the page (pages made past the end count as page_create only)
  std::uint64_t page_create = 0;    ///< st_page_create
  std::uint64_t page_in = 0;        ///< st_page_in
  std::uint64_t page_out = 0;       ///< st_page_out
  std::uint64_t optimistic_reads = 0;    ///< pagepool: optimistic reads begun on a resident page
  std::uint64_t optimistic_failures = 0; ///< pagepool: of those, reads a writer or eviction invalidated
  std::uint64_t checksum_failures = 0;   ///< pagepool: pages read that failed their checksum (checksum.hpp)
  std::uint64_t ro_evict = 0;       ///< st_ro_evict: clean pages evicted
  std::uint64_t rw_evict = 0;       ///< st_rw_evict: dirty pages evicted (written first)
  std::uint64_t page_donated = 0;   ///< pagepool: of those, evicted to make room for a page of another size
  std::uint64_t page_trickle = 0;   ///< st_page_trickle: pages written by trickle
  std::uint32_t hash_buckets = 0;   ///< st_hash_buckets
  std::uint32_t hash_mutexes = 0;   ///< st_hash_mutexes (one latch per bucket)
  std::uint64_t hash_searches = 0;  ///< st_hash_searches
  std::uint32_t hash_longest = 0;   ///< st_hash_longest: longest chain walked (max over regions)
  std::uint64_t hash_examined = 0;  ///< st_hash_examined
  std::uint64_t hash_nowait = 0;    ///< st_hash_nowait: bucket latches taken at once
  std::uint64_t hash_wait = 0;      ///< st_hash_wait: bucket latches that had to wait
  std::uint64_t io_wait = 0;        ///< st_io_wait: gets that waited for another thread's I/O
  std::uint64_t alloc = 0;          ///< st_alloc: frame allocations
  std::uint64_t alloc_pages = 0;    ///< st_alloc_pages: frames examined by eviction
  std::uint64_t alloc_max_pages = 0;///< st_alloc_max_pages: most examined by one allocation
  std::uint64_t write_sleeps = 0;   ///< pagepool: sleeps taken for set_mp_max_write
  std::uint64_t fd_closed = 0;      ///< pagepool: descriptors closed for set_mp_max_openfd
  std::uint32_t open_fds = 0;       ///< pagepool: descriptors held by the pool now
  std::uint64_t background_passes = 0;       ///< pagepool: passes of the background writer
  std::uint64_t background_writes = 0;       ///< pagepool: pages it wrote
  std::uint64_t background_write_errors = 0; ///< pagepool: its passes that met a write error
  // pagepool: where threads meet on a miss (issue 12; relaxed counters, exact once quiescent).
  // A get that waited for a busy frame under the bucket latch (a pin retry) counts in io_wait.
  std::uint64_t free_latch_nowait = 0;  ///< pagepool: region free-list latch taken at once
  std::uint64_t free_latch_wait = 0;    ///< pagepool: region free-list latch taken after waiting
  std::uint64_t policy_latch_nowait = 0;///< pagepool: policy latch taken at once (latched policies only)
  std::uint64_t policy_latch_wait = 0;  ///< pagepool: policy latch taken after waiting
  std::uint64_t claim_retries = 0;      ///< pagepool: victim claim CASes lost to another thread
  std::uint64_t usage_retries = 0;      ///< pagepool: ageing CASes (usage count down) lost to another thread
  std::uint64_t load_races = 0;         ///< pagepool: misses whose page another thread put in the table first (frame given back)
  std::uint64_t evict_calls = 0;        ///< pagepool: calls of the policy's evict
  std::uint64_t evict_victims = 0;      ///< pagepool: victims those calls gave (victims per call: the eviction batch size)
  std::uint64_t policy_hits_dropped = 0;///< pagepool: hits a batched_hits policy (LRU, ARC, ...) never saw: a thread's full hit buffer met the region's policy latch held by another thread and was dropped, not waited for (BP-Wrapper; zero single-threaded)
  std::uint64_t direct_fallbacks = 0;  ///< pagepool: opens with DB_DIRECT whose file system refused O_DIRECT (buffered I/O instead)
};

}  // namespace pagepool
