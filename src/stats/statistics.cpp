// src/stats/statistics.cpp: folding the sharded counters into snapshots
// (stats/statistics.hpp).
#include "stats/statistics.hpp"

#include <algorithm>
#include <bit>
#include <iterator>

namespace pagepool::internal {

namespace {
constexpr auto& file_fields = file_counter_fields;
constexpr counter region_counters::*region_fields[] = {
    &region_counters::io_wait, &region_counters::alloc, &region_counters::alloc_pages,
    &region_counters::ro_evict, &region_counters::rw_evict, &region_counters::free_nowait,
    &region_counters::free_wait, &region_counters::policy_nowait, &region_counters::policy_wait,
    &region_counters::claim_lost, &region_counters::usage_lost, &region_counters::load_lost,
    &region_counters::evict_calls, &region_counters::victims, &region_counters::donated,
    &region_counters::hits_dropped};
constexpr counter table_counters::*table_fields[] = {
    &table_counters::latched_searches, &table_counters::latched_hits, &table_counters::examined,
    &table_counters::nowait, &table_counters::wait};
constexpr counter pool_counters::*pool_fields[] = {
    &pool_counters::page_trickle, &pool_counters::write_sleeps, &pool_counters::fd_closed,
    &pool_counters::bg_passes,    &pool_counters::bg_writes,    &pool_counters::bg_errors,
    &pool_counters::direct_fallback};
}  // namespace

void stats_folder::add_region(region& rg) noexcept { add_region(rg.hdr(), &rg.frame_at(0)); }

void stats_folder::add_region(region_header& h, const frame* frames) noexcept {
  pool_stats& st = st_;
  // The region's page size class (core/page_classes.cpp): 512 << cls bytes.
  const auto cls = static_cast<std::size_t>(std::countr_zero(h.frame_size)) - 9;
  // acquire: as region::scan_end (RG1).
  const std::uint32_t end = h.high.load(std::memory_order_acquire);  // (RG1)
  for (std::uint32_t i = 0; i < end; ++i) {
    // relaxed: a figure; statistics order nothing.
    const auto s = frames[i].state.load(std::memory_order_relaxed);
    if (!(s & frame_state::valid)) continue;
    ++st.pages;
    ++st.pages_by_size[cls];
    if (s & frame_state::dirty) ++st.page_dirty;
  }
  st.hash_buckets += h.nbuckets;
  // The latch-free hits' searches are added in finish(), from the files'
  // counters.
  const auto& tc = h.table.c;
  st.hash_searches += tc.sum<&table_counters::latched_searches>();
  st.hash_examined +=
      tc.sum<&table_counters::latched_searches>() + tc.sum<&table_counters::examined>();
  latched_hits_ += tc.sum<&table_counters::latched_hits>();
  st.hash_nowait += tc.sum<&table_counters::nowait>();
  st.hash_wait += tc.sum<&table_counters::wait>();
  st.io_wait += h.counters.sum<&region_counters::io_wait>();
  st.alloc += h.counters.sum<&region_counters::alloc>();
  st.alloc_pages += h.counters.sum<&region_counters::alloc_pages>();
  st.ro_evict += h.counters.sum<&region_counters::ro_evict>();
  st.rw_evict += h.counters.sum<&region_counters::rw_evict>();
  st.page_donated += h.counters.sum<&region_counters::donated>();
  st.free_latch_nowait += h.counters.sum<&region_counters::free_nowait>();
  st.free_latch_wait += h.counters.sum<&region_counters::free_wait>();
  st.policy_latch_nowait += h.counters.sum<&region_counters::policy_nowait>();
  st.policy_latch_wait += h.counters.sum<&region_counters::policy_wait>();
  st.claim_retries += h.counters.sum<&region_counters::claim_lost>();
  st.usage_retries += h.counters.sum<&region_counters::usage_lost>();
  st.load_races += h.counters.sum<&region_counters::load_lost>();
  st.evict_calls += h.counters.sum<&region_counters::evict_calls>();
  st.evict_victims += h.counters.sum<&region_counters::victims>();
  st.policy_hits_dropped += h.counters.sum<&region_counters::hits_dropped>();
  st.hash_longest = std::max<std::uint32_t>(
      st.hash_longest, static_cast<std::uint32_t>(h.table.longest.load(std::memory_order_relaxed)));
  st.alloc_max_pages =
      std::max<std::uint64_t>(st.alloc_max_pages, h.alloc_max_pages.load(std::memory_order_relaxed));
  if (clear_) {
    for (auto f : region_fields) h.counters.clear(f);
    for (auto f : table_fields) h.table.c.clear(f);
    h.table.longest.store(0, std::memory_order_relaxed);
    h.alloc_max_pages.store(0, std::memory_order_relaxed);
  }
}

void stats_folder::add_retired(sharded<file_counters>& c) noexcept {
  for (std::size_t k = 0; k < std::size(file_fields); ++k) {
    files_[k] += c.sum(file_fields[k]);
    if (clear_) c.clear(file_fields[k]);
  }
}

void stats_folder::add_file(sharded<file_counters>& c, bool fd_open) noexcept {
  add_retired(c);
  if (fd_open) ++st_.open_fds;
}

pool_stats stats_folder::finish(sharded<pool_counters>& pc) noexcept {
  pool_stats& st = st_;
  st.hash_mutexes = st.hash_buckets;
  st.page_clean = st.pages - st.page_dirty;
  const std::uint64_t* s = files_;
  st.cache_hit = s[0];
  st.cache_miss = s[1];
  st.page_create = s[2];
  st.page_in = s[3];
  st.page_out = s[4];
  st.map = s[5];
  st.optimistic_reads = s[6];
  st.optimistic_failures = s[7];
  st.checksum_failures = s[8];
  // Derived: every hit not made under a latch was a latch-free search that
  // examined one entry plus the file's `walk` beyond it. (Clearing races
  // with counting, as everywhere in statistics: never below zero.)
  const std::uint64_t free_hits = s[0] > latched_hits_ ? s[0] - latched_hits_ : 0;
  st.hash_searches += free_hits;
  st.hash_examined += free_hits + s[9];
  st.page_trickle = pc.sum<&pool_counters::page_trickle>();
  st.write_sleeps = pc.sum<&pool_counters::write_sleeps>();
  st.fd_closed = pc.sum<&pool_counters::fd_closed>();
  st.background_passes = pc.sum<&pool_counters::bg_passes>();
  st.background_writes = pc.sum<&pool_counters::bg_writes>();
  st.background_write_errors = pc.sum<&pool_counters::bg_errors>();
  st.direct_fallbacks = pc.sum<&pool_counters::direct_fallback>();
  if (clear_)
    for (auto f : pool_fields) pc.clear(f);
  return st;
}

file_stats stats_folder::file_entry(sharded<file_counters>& c, bool clear) noexcept {
  file_stats f;
  f.cache_hit = c.sum<&file_counters::hit>();
  f.cache_miss = c.sum<&file_counters::miss>();
  f.page_create = c.sum<&file_counters::create>();
  f.page_in = c.sum<&file_counters::in>();
  f.page_out = c.sum<&file_counters::out>();
  f.map = c.sum<&file_counters::map>();
  f.optimistic_reads = c.sum<&file_counters::opt_read>();
  f.optimistic_failures = c.sum<&file_counters::opt_fail>();
  f.checksum_failures = c.sum<&file_counters::sum_fail>();
  // Clearing a file's counters also clears its share of the pool's totals,
  // which are sums over the files (BDB's DB_STAT_CLEAR on FSTAT).
  if (clear)
    for (auto f2 : file_counter_fields) c.clear(f2);
  return f;
}

}  // namespace pagepool::internal
