// src/policy/lru2.hpp: LRU-K with K = 2 (O'Neil, O'Neil and Weikum, "The
// LRU-K page replacement algorithm for database disk buffering", SIGMOD
// 1993), as libCacheSim's LRU_K.cpp defines it.
//
// Algorithm. Time t counts requests (hits and misses, from 1). Each resident
// page remembers its last two reference times. The backward 2-distance of a
// page is t minus its second most recent reference time, infinite for a page
// referenced once since it came in. The victim is the page with the largest
// backward 2-distance: first the pages referenced only once, oldest first
// (FIFO among them: infinite distances are ordered by arrival), then the page
// whose second most recent reference is the oldest. A hit records t; a page
// referenced a second time leaves the FIFO for the ordered set.
//
// Reference and parameters: libCacheSim's cpp/LRU_K.cpp at commit
// 2dfe06b9faa2 (2025; the snapshot aa0fc40 of 2024 that gives the other
// reference counts has no LRU-K, papers/eviction/reference_libcachesim.md
// says how the file was run), whose defaults are
//   K = 2;
//   no correlated reference period (every hit counts as a reference);
//   no retained information period: a page's history is dropped when it is
//   evicted, so a page that comes back starts again as referenced once
//   (the paper keeps history for a while after eviction; the reference, and
//   so this class, does not);
//   ties between equal second-reference times (impossible: one request, one
//   page) would go to the smaller page key.
// In a single-threaded replay with c frames this reproduces the reference's
// miss counts exactly.
//
// How it maps onto the hooks. on_insert records the miss's time and puts the
// page at the FIFO's newest end; on_hit records the hit's time; evict takes
// the FIFO's oldest page, or the ordered set's first.
//
// Concurrency in the pool (model batched_hits): everything under the region's
// policy latch; hits must record their time, so they are queued per thread
// and applied in batches (BP-Wrapper, as LRU and ARC), which is also when
// their time is taken: under concurrency t is the order in which the latch
// sees the requests. on_hit checks that the frame still holds the key the hit
// was for.
//
// Priorities. The usage bits are credits (policy.hpp, point 3): a candidate
// with credit u > 0 is spared (u - 1) and counts as referenced now (to the
// FIFO's newest end, or its second reference time becomes t); a demoted frame
// (on_demote) becomes the next FIFO victim. Pinned candidates are stepped
// over and keep their place.
//
// Cost. O(1) per hit on a once-referenced page, O(log c) otherwise (the
// indexed heap, frame_heap.hpp); evict O(log c) when the first candidate can
// be taken. Memory: per frame 9 bytes of FIFO links, 8 of key, 16 of times,
// 20 of heap, and 4 of scratch; all allocated by the constructor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "pagepool/policy.hpp"
#include "policy/frame_heap.hpp"
#include "policy/frame_lists.hpp"
#include "policy/list_sweep.hpp"

namespace pagepool::policy {

class lru2_policy {
 public:
  static constexpr std::string_view name = "lru2";
  static constexpr concurrency_model model = concurrency_model::batched_hits;
  static constexpr int K = 2;  ///< the K of LRU-K

  explicit lru2_policy(std::uint32_t capacity)
      : fifo_(capacity), heap_(capacity), keys_(capacity), last_(capacity, 0) {
    skipped_.reserve(capacity);
  }

  static constexpr std::uint32_t on_hit_usage(std::uint32_t u) noexcept { return u; }

  void on_insert(frame_id f, page_key k) noexcept {
    if (f >= fifo_.capacity()) return;
    fifo_.remove(f);  // a tracked frame forgets its old page
    heap_.erase(f);
    keys_[f] = k;
    if (victim_valid_ && victim_key_ == k) {  // an eviction undone (point 5)
      victim_valid_ = false;
      last_[f] = victim_last_;
      if (victim_in_heap_)
        heap_.set(f, victim_prio_, k.v);
      else
        fifo_.push_newest(0, f);
      return;
    }
    victim_valid_ = false;
    last_[f] = ++t_;
    fifo_.push_newest(0, f);
  }

  void on_hit(frame_id f, page_key k) noexcept {
    if (f >= fifo_.capacity() || keys_[f] != k) return;
    if (fifo_.contains(f)) {  // the second reference: to the ordered set
      fifo_.remove(f);
    } else if (!heap_.contains(f)) {
      return;  // untracked
    }
    heap_.set(f, last_[f], k.v);  // the 2nd most recent reference: the last one so far
    last_[f] = ++t_;
  }

  void on_demote(frame_id f) noexcept {
    if (f >= fifo_.capacity() || (!fifo_.contains(f) && !heap_.contains(f))) return;
    heap_.erase(f);
    fifo_.move_to_oldest(0, f);
  }
  void on_remove(frame_id f) noexcept {
    if (f >= fifo_.capacity()) return;
    fifo_.remove(f);
    heap_.erase(f);
  }

  template <class V>
  frame_id evict(page_key /*incoming*/, V& view) noexcept {
    if (fifo_.size(0) > 0) {
      const frame_id v = internal::sweep_oldest(fifo_, 0, view);
      if (v != no_frame) return took(v, false);
    }
    return evict_from_heap(view);
  }

  /// Frames tracked.
  [[nodiscard]] std::size_t size() const noexcept { return fifo_.size(0) + heap_.size(); }
  /// Pages referenced once since they came in.
  [[nodiscard]] std::size_t once_count() const noexcept { return fifo_.size(0); }
  /// The request clock.
  [[nodiscard]] std::uint64_t now() const noexcept { return t_; }

 private:
  template <class V>
  frame_id evict_from_heap(V& view) noexcept {
    const std::size_t budget = heap_.size() * (usage_max + 2);
    frame_id v = no_frame;
    skipped_.clear();
    for (std::size_t tries = 0; tries < budget && heap_.size() > 0; ++tries) {
      const frame_id f = heap_.top();
      if (f < view.size()) {
        if (const std::uint32_t u = view.usage(f); u > 0) {
          if (view.set_usage(f, u, u - 1)) {
            heap_.set(f, t_, keys_[f].v);  // spared: as if referenced now
            continue;
          }
        } else if (view.claim(f)) {
          v = f;
          break;
        }
      }
      heap_.erase(f);  // pinned or out of service: set aside, put back below
      skipped_.push_back(f);
    }
    for (const frame_id f : skipped_) heap_.set(f, heap_.priority(f), keys_[f].v);
    skipped_.clear();
    if (v == no_frame) return no_frame;
    return took(v, true);
  }
  frame_id took(frame_id v, bool from_heap) noexcept {
    victim_valid_ = true;
    victim_key_ = keys_[v];
    victim_last_ = last_[v];
    victim_in_heap_ = from_heap;
    victim_prio_ = from_heap ? heap_.priority(v) : 0;
    heap_.erase(v);
    return v;
  }

  internal::frame_lists<1> fifo_;  // referenced once, oldest first
  internal::frame_heap heap_;      // referenced twice or more, by 2nd last reference
  std::vector<page_key> keys_;
  std::vector<std::uint64_t> last_;  // per frame: the last reference's time
  std::vector<frame_id> skipped_;
  std::uint64_t t_ = 0;
  page_key victim_key_{};
  std::uint64_t victim_last_ = 0, victim_prio_ = 0;
  bool victim_in_heap_ = false;
  bool victim_valid_ = false;
};

static_assert(eviction_policy<lru2_policy>);

}  // namespace pagepool::policy
