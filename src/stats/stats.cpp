// src/stats/stats.cpp: folding the sharded counters into snapshots.
#include <algorithm>
#include <iterator>

#include "core/pool_impl.hpp"

namespace pagepool::internal {

namespace {
constexpr auto& file_fields = file_counter_fields;
constexpr int nfile_fields = static_cast<int>(std::size(file_fields));
constexpr counter region_counters::*region_fields[] = {
    &region_counters::io_wait, &region_counters::alloc, &region_counters::alloc_pages,
    &region_counters::ro_evict, &region_counters::rw_evict};
constexpr counter table_counters::*table_fields[] = {
    &table_counters::latched_searches, &table_counters::latched_hits, &table_counters::examined,
    &table_counters::nowait, &table_counters::wait};
}  // namespace

pool_stats pool_impl::stats(bool clear) noexcept {
  pool_stats st;
  st.cache_bytes = std::uint64_t{frames()} * frame_size_;
  st.ncache = static_cast<std::uint32_t>(regions_.size());
  st.frame_size = static_cast<std::uint32_t>(frame_size_);
  st.frames = static_cast<std::uint32_t>(frames());
  st.mmapsize = mmap_size.load(std::memory_order_relaxed);
  st.maxopenfd = max_open_fd.load(std::memory_order_relaxed);
  st.maxwrite = max_write.load(std::memory_order_relaxed);
  st.maxwrite_sleep = static_cast<std::uint32_t>(max_write_sleep_us.load(std::memory_order_relaxed));
  std::uint64_t latched_hits = 0;
  for (auto& rgp : regions_) {
    region& rg = *rgp;
    region_header& h = rg.hdr();
    for (std::uint32_t i = 0; i < rg.scan_end(); ++i) {
      const auto s = rg.frame_at(i).state.load(std::memory_order_relaxed);
      if (!(s & frame_state::valid)) continue;
      ++st.pages;
      if (s & frame_state::dirty) ++st.page_dirty;
    }
    st.hash_buckets += rg.nbuckets();
    // The latch-free hits' searches are added below, from the files' counters.
    const auto& tc = h.table.c;
    st.hash_searches += tc.sum<&table_counters::latched_searches>();
    st.hash_examined += tc.sum<&table_counters::latched_searches>() + tc.sum<&table_counters::examined>();
    latched_hits += tc.sum<&table_counters::latched_hits>();
    st.hash_nowait += tc.sum<&table_counters::nowait>();
    st.hash_wait += tc.sum<&table_counters::wait>();
    st.io_wait += h.counters.sum<&region_counters::io_wait>();
    st.alloc += h.counters.sum<&region_counters::alloc>();
    st.alloc_pages += h.counters.sum<&region_counters::alloc_pages>();
    st.ro_evict += h.counters.sum<&region_counters::ro_evict>();
    st.rw_evict += h.counters.sum<&region_counters::rw_evict>();
    st.hash_longest = std::max<std::uint32_t>(
        st.hash_longest, static_cast<std::uint32_t>(h.table.longest.load(std::memory_order_relaxed)));
    st.alloc_max_pages =
        std::max<std::uint64_t>(st.alloc_max_pages, h.alloc_max_pages.load(std::memory_order_relaxed));
    if (clear) {
      for (auto f : region_fields) h.counters.clear(f);
      for (auto f : table_fields) h.table.c.clear(f);
      h.table.longest.store(0, std::memory_order_relaxed);
      h.alloc_max_pages.store(0, std::memory_order_relaxed);
    }
  }
  st.hash_mutexes = st.hash_buckets;
  st.page_clean = st.pages - st.page_dirty;

  registry_latch.lock();
  std::uint64_t sums[nfile_fields] = {};
  for (int k = 0; k < nfile_fields; ++k) sums[k] = retired_.sum(file_fields[k]);
  for (std::uint32_t i = 0; i < max_files_; ++i) {
    file_shared& fs = files_[i];
    if (!fs.used.load(std::memory_order_relaxed)) continue;
    for (int k = 0; k < nfile_fields; ++k) sums[k] += fs.counters.sum(file_fields[k]);
    if (clear)
      for (auto f : file_fields) fs.counters.clear(f);
    file_local& fl = locals_[i];
    std::shared_lock lk(fl.fd_mu);
    if (fl.fd >= 0) ++st.open_fds;
  }
  if (clear) {
    for (auto f : file_fields) retired_.clear(f);
  }
  registry_latch.unlock();
  st.cache_hit = sums[0];
  st.cache_miss = sums[1];
  st.page_create = sums[2];
  st.page_in = sums[3];
  st.page_out = sums[4];
  st.map = sums[5];
  st.optimistic_reads = sums[6];
  st.optimistic_failures = sums[7];
  st.checksum_failures = sums[8];
  // Derived: every hit not made under a latch was a latch-free search that
  // examined one entry plus the file's `walk` beyond it. (Clearing races
  // with counting, as everywhere in statistics: never below zero.)
  const std::uint64_t free_hits = sums[0] > latched_hits ? sums[0] - latched_hits : 0;
  st.hash_searches += free_hits;
  st.hash_examined += free_hits + sums[9];
  st.page_trickle = pool_counters_.sum<&pool_counters::page_trickle>();
  st.write_sleeps = pool_counters_.sum<&pool_counters::write_sleeps>();
  st.fd_closed = pool_counters_.sum<&pool_counters::fd_closed>();
  st.background_passes = pool_counters_.sum<&pool_counters::bg_passes>();
  st.background_writes = pool_counters_.sum<&pool_counters::bg_writes>();
  st.background_write_errors = pool_counters_.sum<&pool_counters::bg_errors>();
  st.direct_fallbacks = pool_counters_.sum<&pool_counters::direct_fallback>();
  if (clear) {
    pool_counters_.clear(&pool_counters::bg_passes);
    pool_counters_.clear(&pool_counters::bg_writes);
    pool_counters_.clear(&pool_counters::bg_errors);
    pool_counters_.clear(&pool_counters::page_trickle);
    pool_counters_.clear(&pool_counters::write_sleeps);
    pool_counters_.clear(&pool_counters::fd_closed);
    pool_counters_.clear(&pool_counters::direct_fallback);
  }
  return st;
}

std::vector<file_stats> pool_impl::file_statistics(bool clear) noexcept {
  std::vector<file_stats> out;
  registry_latch.lock();
  try {
    for (std::uint32_t i = 0; i < max_files_; ++i) {
      file_shared& fs = files_[i];
      if (!fs.used.load(std::memory_order_relaxed)) continue;
      file_stats f;
      f.file_name = locals_[i].path;
      f.pagesize = fs.page_size;
      f.cache_hit = fs.counters.sum<&file_counters::hit>();
      f.cache_miss = fs.counters.sum<&file_counters::miss>();
      f.page_create = fs.counters.sum<&file_counters::create>();
      f.page_in = fs.counters.sum<&file_counters::in>();
      f.page_out = fs.counters.sum<&file_counters::out>();
      f.map = fs.counters.sum<&file_counters::map>();
      f.optimistic_reads = fs.counters.sum<&file_counters::opt_read>();
      f.optimistic_failures = fs.counters.sum<&file_counters::opt_fail>();
      f.checksum_failures = fs.counters.sum<&file_counters::sum_fail>();
      {
        file_local& fl = locals_[i];
        std::shared_lock lk(fl.fd_mu);
        f.direct_io = fl.direct;
      }
      // Clearing a file's counters also clears its share of the pool's
      // totals, which are sums over the files (BDB's DB_STAT_CLEAR on FSTAT).
      if (clear)
        for (auto c : file_fields) fs.counters.clear(c);
      out.push_back(std::move(f));
    }
  } catch (...) {
  }
  registry_latch.unlock();
  return out;
}

}  // namespace pagepool::internal
