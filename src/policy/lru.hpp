// src/policy/lru.hpp: exact LRU (least recently used).
//
// Algorithm. One list of the region's resident frames from most to least
// recently used; a hit moves the page to the MRU end, a new page enters there,
// and the victim is the LRU end (the textbook policy; e.g. Mattson et al.,
// "Evaluation techniques for storage hierarchies", IBM Systems Journal 1970,
// where LRU is the stack algorithm of reference).
//
// Concurrency in the pool (model batched_hits). Insert, remove, demote and
// evict run under the region's policy latch (a spin latch, policy_host.hpp).
// A hit must move the page, which a latch per hit would serialise; instead
// the pool queues the hit in a per-thread buffer (BP-Wrapper: Ding, Jiang and
// Zhang, ICDE 2009) and applies it under the latch of the thread's next evict
// and insert on the region (one acquisition per miss for all three). A hit
// never waits for the latch: a buffer that fills (64 entries) between two
// misses is applied only if a try-lock gets the latch, and dropped if another
// thread holds it (as Caffeine's read buffers are). A hit therefore costs the
// pin's CAS and a store into a thread-local buffer; on_hit checks that the
// frame still holds the key the hit was for, so a batch that arrives after
// the frame changed pages is harmless. on_hit_usage leaves the usage bits
// alone.
//
// What it approximates with several threads: LRU of the merged stream in
// which each thread's hits are moved up to its next miss (a page hit by one
// thread may be evicted by another before the hit is applied), minus the hits
// dropped under contention. Single-threaded, nothing is dropped or moved
// across a call, and the policy is exact.
//
// Priorities. The usage bits are credits (contract, point 3): a candidate
// victim with credit u > 0 is spared (u - 1) and moved to the MRU end; a
// demoted frame (on_demote) moves to the LRU end. With default priorities the
// bits stay 0 and the policy is exact LRU.
//
// Pinned frames are stepped over and keep their place (list_sweep.hpp).
//
// Cost. O(1) for every hook; evict is O(1) when the LRU frame can be taken,
// O(candidates looked at) otherwise, at most size() * (usage_max + 2).
// Memory: 9 bytes of links and 8 of key per frame, allocated once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "pagepool/policy.hpp"
#include "policy/frame_lists.hpp"
#include "policy/list_sweep.hpp"

namespace pagepool::policy {

class lru_policy {
 public:
  static constexpr std::string_view name = "lru";
  static constexpr concurrency_model model = concurrency_model::batched_hits;

  explicit lru_policy(std::uint32_t capacity) : lists_(capacity), keys_(capacity) {}

  static constexpr std::uint32_t on_hit_usage(std::uint32_t u) noexcept { return u; }

  void on_insert(frame_id f, page_key k) noexcept {
    if (f >= lists_.capacity()) return;
    keys_[f] = k;
    lists_.move_to_newest(0, f);  // a tracked frame forgets its old page
  }
  void on_hit(frame_id f, page_key k) noexcept {
    if (f < lists_.capacity() && lists_.contains(f) && keys_[f] == k) lists_.move_to_newest(0, f);
  }
  void on_demote(frame_id f) noexcept {
    if (f < lists_.capacity() && lists_.contains(f)) lists_.move_to_oldest(0, f);
  }
  void on_remove(frame_id f) noexcept {
    if (f < lists_.capacity()) lists_.remove(f);
  }
  template <class V>
  frame_id evict(page_key /*incoming*/, V& view) noexcept {
    return internal::sweep_oldest(lists_, 0, view);
  }
  /// Frames tracked.
  [[nodiscard]] std::size_t size() const noexcept { return lists_.size(0); }

 private:
  internal::frame_lists<1> lists_;
  std::vector<page_key> keys_;
};

static_assert(eviction_policy<lru_policy>);

}  // namespace pagepool::policy
