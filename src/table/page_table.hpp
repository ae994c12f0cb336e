// src/table/page_table.hpp: one region's page table, (file, pgno) -> frame.
//
// A chained hash table: an array of buckets, each a latch and the index of
// the first frame of its chain; a chain continues through the frames' `next`
// indices. Everything is an index, never a pointer, so the table can live in
// a mapping shared between processes. This file owns every chain walk and
// every change of a chain; nothing else reads or writes a bucket.
//
//   bucket b: [latch | head] --> frame f1 --next--> frame f2 --next--> no_frame
//
// Chains change only under the bucket's exclusive latch, and only while the
// frame being linked or unlinked is owned (busy) by the thread changing it.
// Two lookups share one walk:
//   - latched (find): under the bucket's shared latch, exact;
//   - latch-free (find_unlatched): keys and links read as hints, with the
//     frame's state word loaded before its key (P4 in frame/frame.hpp); the
//     caller pins with a CAS from exactly that word, which fails if the frame
//     changed identity since. Frames are type-stable and links are always
//     frame indices below the region's cap, so a chain changed under the walk
//     ends in a false miss (the caller then looks again under the latch),
//     never a bad access.
//
// Buckets are sized for the frames a region may hold (load factor about 1 at
// the region's largest), eight bytes each, so a bucket line holds eight heads.
#pragma once

#include <atomic>
#include <cstdint>

#include "frame/frame.hpp"
#include "stats/sharded_counter.hpp"
#include "table/bucket_latch.hpp"

namespace pagepool::internal {

struct bucket {
  bucket_latch latch;
  std::atomic<std::uint32_t> head{no_frame};  // relaxed: changed under latch
};
static_assert(sizeof(bucket) == 8, "bucket layout changed");

/// The table's statistics (BDB: the region's st_hash_* fields). The
/// latch-free hit counts nothing here: its searches are derived from the
/// files' hit counters when statistics are read (stats/statistics.cpp).
struct table_counters {
  counter latched_searches;  // finds under the latch
  counter latched_hits;      // of those, hits (counted by the caller)
  counter examined;          // chain entries examined beyond the first
  counter nowait, wait;      // latch acquisitions without / with waiting
};
struct table_stats {
  sharded<table_counters> c;
  std::atomic<std::uint64_t> longest{0};  // relaxed max: longest chain seen
};

class page_table {
 public:
  page_table() = default;
  page_table(bucket* buckets, frame* frames, std::uint32_t nbuckets, table_stats* stats) noexcept
      : buckets_(buckets), frames_(frames), mask_(nbuckets - 1), stats_(stats) {}

  std::uint32_t nbuckets() const noexcept { return mask_ + 1; }
  std::uint32_t bucket_of(std::uint64_t hash) const noexcept {
    return static_cast<std::uint32_t>(hash) & mask_;
  }
  bucket& at(std::uint32_t b) noexcept { return buckets_[b]; }
  /// The first frame of bucket b's chain (a hint), to prefetch early.
  std::uint32_t head_hint(std::uint32_t b) const noexcept {
    return buckets_[b].head.load(std::memory_order_relaxed);
  }

  /// Latch-free lookup: the frame whose key is (file, pgno) in bucket b's
  /// chain, with `s` its state word read before its key (P4), or no_frame.
  /// `extra` counts the entries examined beyond the first.
  [[gnu::always_inline]] std::uint32_t find_unlatched(std::uint32_t b, std::uint32_t file,
                                                      std::uint32_t pgno, frame_state::word& s,
                                                      std::uint32_t& extra) const noexcept {
    std::uint32_t f = buckets_[b].head.load(std::memory_order_relaxed);
    for (extra = 0; f != no_frame && extra < max_walk; ++extra) {
      const frame& fr = frames_[f];
      s = fr.state.load(std::memory_order_acquire);  // (P4)
      if (fr.pgno.load(std::memory_order_relaxed) == pgno &&
          fr.file.load(std::memory_order_relaxed) == file)
        return f;
      f = fr.next.load(std::memory_order_relaxed);
    }
    return no_frame;
  }

  /// Latched lookup, exact: the caller holds b's latch (shared or exclusive).
  /// Counts the search.
  std::uint32_t find(std::uint32_t b, std::uint32_t file, std::uint32_t pgno) noexcept {
    std::uint64_t examined = 0;
    std::uint32_t f = buckets_[b].head.load(std::memory_order_relaxed);
    while (f != no_frame) {
      ++examined;
      const frame& fr = frames_[f];
      if (fr.pgno.load(std::memory_order_relaxed) == pgno &&
          fr.file.load(std::memory_order_relaxed) == file)
        break;
      f = fr.next.load(std::memory_order_relaxed);
    }
    const thread_shard t = this_thread_shard();
    auto& c = stats_->c.shard(t);
    c.latched_searches.add(1, t.owned);
    if (examined > 1) c.examined.add(examined - 1, t.owned);
    std::uint64_t cur = stats_->longest.load(std::memory_order_relaxed);
    while (examined > cur &&
           !stats_->longest.compare_exchange_weak(cur, examined, std::memory_order_relaxed)) {
    }
    return f;
  }

  /// Takes b's latch shared / exclusive, counting whether it waited.
  void lock_shared(std::uint32_t b) noexcept { count_wait(buckets_[b].latch.lock_shared()); }
  void unlock_shared(std::uint32_t b) noexcept { buckets_[b].latch.unlock_shared(); }
  void lock(std::uint32_t b) noexcept { count_wait(buckets_[b].latch.lock()); }
  void unlock(std::uint32_t b) noexcept { buckets_[b].latch.unlock(); }

  /// Insert-if-absent: makes blank frame f (E', owned) the loading frame of
  /// (file, pgno) in bucket b, state L with one pin, unless that page is in
  /// the table already. Returns the L word, or 0 if present.
  frame_state::word insert_loading(std::uint32_t b, std::uint32_t f, std::uint32_t file,
                                   std::uint32_t pgno) noexcept {
    lock(b);
    if (find(b, file, pgno) != no_frame) {
      unlock(b);
      return 0;
    }
    frame& fr = frames_[f];
    fr.file.store(file, std::memory_order_relaxed);
    fr.pgno.store(pgno, std::memory_order_relaxed);
    // Getters that find it see busy and wait for publish(); the latch's
    // release publishes key and link.
    const frame_state::word l = frame_ops::start_loading(fr);
    fr.next.store(buckets_[b].head.load(std::memory_order_relaxed), std::memory_order_relaxed);
    buckets_[b].head.store(f, std::memory_order_relaxed);
    unlock(b);
    return l;
  }

  /// Erase: unlinks frame f, which the caller owns (busy), from bucket b.
  void erase(std::uint32_t b, std::uint32_t f) noexcept {
    lock(b);
    unlink_locked(b, f);
    unlock(b);
  }

 private:
  static constexpr std::uint32_t max_walk = 32;  // a longer chain: look again under the latch
  void count_wait(bool waited) noexcept {
    const thread_shard t = this_thread_shard();
    auto& c = stats_->c.shard(t);
    (waited ? c.wait : c.nowait).add(1, t.owned);
  }
  void unlink_locked(std::uint32_t b, std::uint32_t f) noexcept;

  bucket* buckets_ = nullptr;
  frame* frames_ = nullptr;
  std::uint32_t mask_ = 0;
  table_stats* stats_ = nullptr;
};

}  // namespace pagepool::internal
