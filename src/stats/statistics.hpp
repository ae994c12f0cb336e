// src/stats/statistics.hpp: folding the pool's counters into the snapshots
// pagepool::pool_stats and pagepool::file_stats.
//
// The counters are sharded (stats/sharded_counter.hpp) and spread over the
// regions (region/region.hpp: the table's and the allocator's), the files
// (stats/counters.hpp, file_counters) and the pool (pool_counters). The pool
// walks its regions and its file table and hands each piece to a
// stats_folder; the folder knows what every counter means and derives what
// is not counted on the hot path (the latch-free hits' table searches).
// With `clear`, each counter is cleared as it is read (BDB's DB_STAT_CLEAR;
// a clear racing with counting may lose either, as BDB's does).
#pragma once

#include <cstdint>

#include "pagepool/stats.hpp"
#include "region/region.hpp"
#include "stats/counters.hpp"

namespace pagepool::internal {

class stats_folder {
 public:
  /// `st` already holds the pool's configuration figures.
  stats_folder(pool_stats st, bool clear) noexcept : st_(st), clear_(clear) {}

  /// A region: its pages (valid, dirty), its table and its allocator.
  void add_region(region& rg) noexcept;
  /// The same from a region's memory: its header and its frames (another
  /// process's, mapped read-only: pool::inspect, never with `clear`).
  void add_region(region_header& h, const frame* frames) noexcept;
  /// The counters of file states already freed.
  void add_retired(sharded<file_counters>& c) noexcept;
  /// One open file state's counters, and whether it holds a descriptor.
  void add_file(sharded<file_counters>& c, bool fd_open) noexcept;
  /// The snapshot, with the pool's own counters.
  pool_stats finish(sharded<pool_counters>& pc) noexcept;

  /// One file's snapshot (its counters; the caller fills in name, page size
  /// and direct I/O).
  static file_stats file_entry(sharded<file_counters>& c, bool clear) noexcept;

 private:
  pool_stats st_;
  bool clear_;
  std::uint64_t latched_hits_ = 0;
  std::uint64_t files_[std::size(file_counter_fields)] = {};
};

}  // namespace pagepool::internal
