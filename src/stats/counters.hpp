// src/stats/counters.hpp: the pool's and the files' statistics counters
// (sharded: stats/sharded_counter.hpp). The table's and the regions' own
// counters sit with them (table/page_table.hpp, region/region.hpp);
// stats/statistics.hpp folds them all into pagepool::pool_stats.
#pragma once

#include "stats/sharded_counter.hpp"

namespace pagepool::internal {

/// Per-file counters. A latch-free hit updates `hit` only (and `walk` when
/// its chain walk went past the first frame): the table's search counts are
/// derived from them when statistics are read (stats/statistics.cpp).
struct file_counters {
  counter hit, miss, create, in, out, map, opt_read, opt_fail, sum_fail;
  counter walk;  // chain entries a latch-free hit examined beyond the first
  // Not a statistic, and in no list below (never folded or cleared): the
  // frames holding the file's pages, counted per shard (file_shared's
  // frame_in / frame_out / no_frames; issue 12). It fits in the shard's
  // padding, and takes a shared read-modify-write off every miss.
  counter resident;
};
/// Every field of file_counters, for folding, clearing and snapshots.
inline constexpr counter file_counters::*file_counter_fields[] = {
    &file_counters::hit, &file_counters::miss, &file_counters::create,   &file_counters::in,
    &file_counters::out, &file_counters::map,  &file_counters::opt_read, &file_counters::opt_fail,
    &file_counters::sum_fail, &file_counters::walk};

/// Pool-wide counters of write-back, descriptors and the background writer.
struct pool_counters {
  counter page_trickle, write_sleeps, fd_closed, bg_passes, bg_writes, bg_errors;
  counter direct_fallback;  // opens with DB_DIRECT that the file system refused
};

}  // namespace pagepool::internal
