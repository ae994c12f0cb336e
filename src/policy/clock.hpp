// src/policy/clock.hpp: CLOCK with usage counts (the pool's default policy).
//
// Algorithm. The frames form a circle that a hand sweeps (Corbató, "A paging
// experiment with the Multics system", 1968; the count generalisation is
// "GCLOCK", Smith, 1978). Each frame's usage bits are its count: a hit sets
// it to at least 1 (on_hit_usage = max(u, 1)), a priority may set it higher.
// To evict, the hand looks at frame after frame:
//
//   frame f under the hand
//     +-- usage u > 0 --> set_usage(f, u, u-1) (a lost race is ignored), next
//     +-- usage 0 -----> claim(f): success -> f is the victim; the hand rests
//                                  one past it
//                        failure (pinned or busy) -> next
//
// With default priorities the counts are 0 or 1 and this is textbook
// one-bit CLOCK (second chance) exactly, as REFERENCE.md defines it: the hand
// starts at frame 0 and the frames are filled 0..c-1 before any eviction.
//
// Concurrency in the pool (model lock_free). Nothing is latched. The only
// state of its own is the hand, one atomic counter (frame = hand mod size);
// the counts live in the frames' state words, changed through the view's CAS.
// A sweeping thread takes the hand in batches of 8 positions with one
// fetch_add, so that threads evicting at once look at different frames and
// share one cache line only once per 8 frames. When it finds its victim it
// keeps the part of its batch it did not look at, in a small thread-local
// table keyed by the policy instance's serial number, and its next evict
// on this instance goes on from there before it takes a new batch (issue
// 12: no write to the hand's line per victim; before, a CAS gave the rest
// back). A lone thread therefore looks at exactly the positions textbook
// CLOCK's hand passes, in order: after its batch ends, nobody else moved the
// hand, so its next fetch_add returns the position that follows.
//
// What it approximates with several threads: the hand is split into the
// threads' private stretches of at most 8 positions, each swept in order; a
// stretch a thread keeps while another thread sweeps the rest of the circle
// is looked at a little later than textbook CLOCK would (at most 7 frames
// per thread), and a stretch left by a thread that stops evicting (or whose
// table slot another instance took) is skipped for that turn.
// A hit costs only the pin's CAS (on_hit_usage); on_insert, on_hit and
// on_remove are no-ops and on_demote is one relaxed exchange: CLOCK tracks
// nothing per frame, it relies on the view to refuse frames that hold no
// page (claim fails), as the pool's view does for free and loading frames.
//
// Priorities. A count above 1 survives that many extra passes of the hand; a
// demoted frame (very_low or discard) has count 0 (the pool sets it) and is
// hinted (on_demote), so the next eviction takes it before the hand moves.
//
// Bound. After (usage_max + 2) full turns of the hand (rounded up to whole
// batches) without a claim, evict returns no_frame (contract, point 4): by
// then every count has worn down to 0, so only pinned frames remain. A turn
// in which no count could be aged either (every frame pinned or busy) ends
// the search at once.
//
// Cost. O(1) amortised per eviction when counts are low; a hit is free.
// size() returns 0: CLOCK keeps no per-frame state and no count of pages.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pagepool/policy.hpp"

namespace pagepool::policy {

namespace internal {
/// A thread's unswept rest [next, end) of its last batch of hand positions
/// on the CLOCK instance whose serial is `owner` (0: none).
struct clock_stretch {
  std::uint64_t owner, next, end;
};
inline constexpr std::uint32_t clock_stretch_slots = 8;
inline thread_local clock_stretch clock_stretches[clock_stretch_slots];  // zero-initialised
}  // namespace internal

class clock_policy {
 public:
  static constexpr std::string_view name = "clock";
  static constexpr concurrency_model model = concurrency_model::lock_free;
  /// Positions the hand takes per fetch_add.
  static constexpr std::uint32_t batch = 8;

  // relaxed: a unique number, nothing published through it.
  explicit clock_policy(std::uint32_t /*capacity*/) noexcept
      : serial_(next_serial().fetch_add(1, std::memory_order_relaxed)) {}

  static constexpr std::uint32_t on_hit_usage(std::uint32_t u) noexcept { return u > 0 ? u : 1; }

  void on_insert(frame_id /*f*/, page_key /*k*/) noexcept {}
  void on_hit(frame_id /*f*/, page_key /*k*/) noexcept {}
  /// A very_low or discarded page (the pool set its count to 0): remembered
  /// in a small ring of hints that evict() tries before moving the hand, so
  /// that such pages go before any page the hand would reach first, as list
  /// policies do by moving them to their eviction end. A hint is only that:
  /// a full ring overwrites the oldest, and a hinted frame is taken only if
  /// its count is still 0 when evict() looks (it may hold a newer page by
  /// then, one that was not referenced since it was loaded).
  void on_demote(frame_id f) noexcept {
    // relaxed (all hint operations): hints publish nothing; a frame is
    // claimed through the view's CAS, which orders what matters.
    const std::uint32_t i = hint_next_.fetch_add(1, std::memory_order_relaxed) % hint_slots;
    if (hints_[i].exchange(f, std::memory_order_relaxed) == no_frame)
      hint_count_.fetch_add(1, std::memory_order_relaxed);
  }
  void on_remove(frame_id /*f*/) noexcept {}

  template <class V>
  frame_id evict(page_key /*incoming*/, V& view) noexcept {
    const std::uint32_t n = view.size();
    if (n == 0) return no_frame;
    if (hint_count_.load(std::memory_order_relaxed) != 0) {  // relaxed: see on_demote
      for (auto& h : hints_) {
        if (h.load(std::memory_order_relaxed) == no_frame) continue;
        const frame_id f = h.exchange(no_frame, std::memory_order_relaxed);
        if (f == no_frame) continue;
        hint_count_.fetch_sub(1, std::memory_order_relaxed);
        if (f < n && view.usage(f) == 0 && view.claim(f)) return f;
      }
    }
    const std::uint64_t limit = std::uint64_t{n} * (usage_max + 2);
    std::uint64_t aged = 0, turn_end = n;
    stretch& mine = internal::clock_stretches[serial_ % stretch_slots];
    for (std::uint64_t looked = 0; looked < limit;) {
      if (looked >= turn_end) {  // a whole turn: stop early if nothing could even be aged
        if (aged == 0) return no_frame;
        aged = 0;
        turn_end += n;
      }
      std::uint64_t start, end;
      if (mine.owner == serial_ && mine.next < mine.end) {  // the rest of this thread's batch
        start = mine.next;
        end = mine.end;
      } else {
        // relaxed: the hand is a hint that spreads sweeping threads apart; it
        // publishes nothing, and two threads on one frame meet in its CAS.
        start = hand_.fetch_add(batch, std::memory_order_relaxed);
        end = start + batch;
      }
      mine.owner = 0;
      looked += end - start;
      for (std::uint64_t pos = start; pos < end; ++pos) {
        const auto f = static_cast<frame_id>(pos % n);
        if (const std::uint32_t u = view.usage(f); u > 0) {
          if (view.set_usage(f, u, u - 1)) ++aged;  // a lost race (a hit, a pin) leaves it be
          continue;
        }
        if (!view.claim(f)) continue;
        mine = {serial_, pos + 1, end};  // kept for this thread's next evict
        return f;
      }
    }
    return no_frame;
  }

  /// Always 0: CLOCK tracks no pages (see above).
  [[nodiscard]] std::size_t size() const noexcept { return 0; }

 private:
  static std::atomic<std::uint64_t>& next_serial() noexcept {
    static std::atomic<std::uint64_t> n{1};
    return n;
  }
  using stretch = internal::clock_stretch;
  static constexpr std::uint32_t stretch_slots = internal::clock_stretch_slots;

  std::uint64_t serial_;
  std::atomic<std::uint64_t> hand_{0};
  static constexpr std::uint32_t hint_slots = 16;
  std::atomic<std::uint32_t> hints_[hint_slots] = {
      no_frame, no_frame, no_frame, no_frame, no_frame, no_frame, no_frame, no_frame,
      no_frame, no_frame, no_frame, no_frame, no_frame, no_frame, no_frame, no_frame};
  std::atomic<std::uint32_t> hint_next_{0};
  std::atomic<std::uint32_t> hint_count_{0};  // hints in the ring (a hint for evict)
};

static_assert(eviction_policy<clock_policy>);

}  // namespace pagepool::policy
