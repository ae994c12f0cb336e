// src/policy/fifo.hpp: FIFO (first in, first out).
//
// Algorithm. One queue of the region's resident frames in load order; a new
// page enters at the head, the victim is the tail, hits change nothing
// (Belady, "A study of replacement algorithms for a virtual-storage
// computer", IBM Systems Journal 1966, where FIFO is one of the policies
// compared with MIN).
//
// Concurrency in the pool (model region_latch). Insert, remove, demote and
// evict run under the region's policy latch (a spin latch, policy_host.hpp),
// taken once per miss (a clean victim's insert shares the evict's
// acquisition). A hit costs only the pin's CAS: on_hit_usage leaves the usage
// bits as they are and on_hit is never called. What it approximates with
// several threads: FIFO of the merged stream of misses in the order they
// took the latch; a frame pinned by another thread at the tail is stepped
// over and keeps its place.
//
// Priorities. The usage bits are credits (contract, point 3): a candidate
// victim with credit u > 0 is spared (u - 1) and moved to the head, as if
// loaded again; a demoted frame (on_demote) moves to the tail. With default
// priorities the bits stay 0 and the policy is exact FIFO.
//
// Pinned frames are stepped over and keep their place (list_sweep.hpp).
//
// Cost. O(1) for every hook; evict is O(1) when the tail frame can be taken,
// O(candidates looked at) otherwise, at most size() * (usage_max + 2).
// Memory: 9 bytes of links per frame, allocated once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pagepool/policy.hpp"
#include "policy/frame_lists.hpp"
#include "policy/list_sweep.hpp"

namespace pagepool::policy {

class fifo_policy {
 public:
  static constexpr std::string_view name = "fifo";
  static constexpr concurrency_model model = concurrency_model::region_latch;

  explicit fifo_policy(std::uint32_t capacity) : lists_(capacity) {}

  static constexpr std::uint32_t on_hit_usage(std::uint32_t u) noexcept { return u; }

  void on_insert(frame_id f, page_key /*k*/) noexcept {
    // A tracked frame forgets its old page and counts as loaded now.
    if (f < lists_.capacity()) lists_.move_to_newest(0, f);
  }
  /// Hits change nothing in FIFO.
  void on_hit(frame_id /*f*/, page_key /*k*/) noexcept {}
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
};

static_assert(eviction_policy<fifo_policy>);

}  // namespace pagepool::policy
