// src/policy/sieve.hpp: SIEVE (Zhang, Yang, Yue, Vigfusson and Rashmi,
// "SIEVE is simpler than LRU: an efficient turn-key eviction algorithm for
// web caches", NSDI 2024).
//
// Algorithm. One FIFO queue: a new page enters at the head with visited = 0,
// a hit sets visited = 1 and moves nothing. A hand (initially at the tail)
// walks from the tail towards the head:
//
//   frame f under the hand
//     +-- visited (usage u > 0) --> set_usage(f, u, u-1), hand to the newer
//     |                             neighbour (past the head: the tail)
//     +-- not visited -----------> claim(f): success -> f is the victim; the
//                                  hand rests at its newer neighbour (past
//                                  the head: the tail)
//                                  failure (pinned) -> f stays, hand moves on
//
// Unlike CLOCK, a survivor keeps its place: pages that were never hit collect
// near the tail and are sifted out quickly ("quick demotion"), while hit pages
// stay in place ("lazy promotion"). The hand resting at the victim's newer
// neighbour, not at the tail, is what makes it SIEVE rather than FIFO with
// second chance. A removed frame under the hand (on_remove, or on_insert of a
// tracked frame) moves the hand to its newer neighbour, as an eviction would.
//
// The visited bit is the frame's usage bits read as a boolean (usage > 0):
// on_hit_usage = max(u, 1), and the hand "clears" it by decrementing by one,
// so a priority that set the count higher buys that many extra passes.
//
// Concurrency in the pool (model region_latch). Insert, remove and evict run
// under the region's policy latch (a spin latch, policy_host.hpp), taken once
// per miss (a clean victim's insert shares the evict's acquisition); a hit
// costs only the pin's CAS, which applies on_hit_usage (on_hit is never
// called; it is a no-op). What it approximates with several threads: SIEVE
// of the merged request stream, except that a frame pinned by another thread
// when the hand reaches it keeps its visited bit (set_usage fails) or is
// stepped over (claim fails), as a single thread's pinned frames are. on_demote is
// a no-op as well: the pool sets a demoted frame's usage to 0, and the hand
// takes an unvisited frame when it reaches it; moving it would break the
// FIFO order SIEVE's analysis depends on.
//
// Cost. O(1) per hook; evict O(frames the hand passes), amortised O(1): each
// pass clears a bit that a hit set. At most size() * (usage_max + 2)
// candidates are looked at before no_frame. Memory: 9 bytes per frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pagepool/policy.hpp"
#include "policy/frame_lists.hpp"

namespace pagepool::policy {

class sieve_policy {
  using lists = internal::frame_lists<1>;

 public:
  static constexpr std::string_view name = "sieve";
  static constexpr concurrency_model model = concurrency_model::region_latch;

  explicit sieve_policy(std::uint32_t capacity) : q_(capacity) {}

  static constexpr std::uint32_t on_hit_usage(std::uint32_t u) noexcept { return u > 0 ? u : 1; }

  void on_insert(frame_id f, page_key /*k*/) noexcept {
    if (f >= q_.capacity()) return;
    untrack(f);  // a tracked frame forgets its old page
    q_.push_newest(0, f);
  }
  void on_hit(frame_id /*f*/, page_key /*k*/) noexcept {}
  void on_demote(frame_id /*f*/) noexcept {}
  void on_remove(frame_id f) noexcept {
    if (f < q_.capacity()) untrack(f);
  }

  template <class V>
  frame_id evict(page_key /*incoming*/, V& view) noexcept {
    const std::size_t budget = q_.size(0) * (usage_max + 2);
    const std::uint32_t in_service = view.size();
    std::uint32_t f = hand_ != lists::nil ? hand_ : q_.oldest(0);
    for (std::size_t tries = 0; f != lists::nil && tries < budget; ++tries) {
      if (f < in_service) {
        if (const std::uint32_t u = view.usage(f); u > 0) {
          view.set_usage(f, u, u - 1);  // fails only if pinned: then it stays visited
        } else if (view.claim(f)) {
          hand_ = q_.newer(f);  // nil: past the head, the tail next time
          q_.remove(f);
          return f;
        }
      }
      f = newer_or_wrap(f);
    }
    hand_ = f;
    return no_frame;
  }

  /// Frames tracked.
  [[nodiscard]] std::size_t size() const noexcept { return q_.size(0); }

 private:
  [[nodiscard]] std::uint32_t newer_or_wrap(std::uint32_t f) const noexcept {
    const std::uint32_t n = q_.newer(f);
    return n != lists::nil ? n : q_.oldest(0);
  }
  void untrack(frame_id f) noexcept {
    if (!q_.contains(f)) return;
    if (hand_ == f) {
      hand_ = q_.newer(f);  // nil: past the head, i.e. the tail next time
    }
    q_.remove(f);
  }

  lists q_;
  std::uint32_t hand_ = lists::nil;  // nil: at the tail
};

static_assert(eviction_policy<sieve_policy>);

}  // namespace pagepool::policy
