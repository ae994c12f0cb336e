// src/policy/clockpro.hpp: CLOCK-Pro (Jiang, Chen and Zhang, "CLOCK-Pro: an
// effective improvement of the CLOCK replacement", USENIX ATC 2005), as the
// authors' own simulator (Song Jiang's clock-pro.c of 2005) defines it.
//
// Algorithm. One circular list (the clock) holds the resident pages, hot or
// cold, and non-resident cold pages still in their test period; new entries
// go in at the clock's head and three hands move round from the oldest
// entry towards the head:
//
//   HAND_cold  at a resident cold page: unreferenced or out of its test
//              period -> evicted (its entry stays, non-resident, if it is in
//              its test period; else it leaves the clock); referenced and in
//              its test period -> HAND_hot runs to demote a hot page, and the
//              page turns hot (moved to the head); the hand moves on.
//   HAND_hot   at a hot page: referenced -> the bit is cleared; else it turns
//              cold; either way it moves to the head. It passes cold pages
//              and stops after a demotion (or when it meets the page that
//              called it). Passing HAND_test moves HAND_test one step.
//   HAND_test  at a cold page: its test period ends (a non-resident one
//              leaves the clock). It also runs whenever more than c
//              non-resident pages are kept, removing the oldest.
//
//   A hit sets the page's reference bit (a hit on the same page as the
//   request just before it changes nothing: the simulator drops repeated
//   references). A miss, cache full: HAND_cold frees a frame; a page not in
//   the clock enters at the head as a resident cold page in its test period;
//   a non-resident page in its test period turns hot (HAND_hot runs first
//   and demotes a hot page), unless HAND_hot met it and ended its test.
//
// Reference and parameters: clock-pro.c and clock-pro.h by Song Jiang
// (9/29/05), whose parameters are kept:
//   cold allocation fixed at max(2, floor(0.05 c)) pages (MIN = MAX
//   COLD_ALLOC_RATE 5%, LOWEST_COLD_ALLOC 2, ADAPTIVE_COLD_ALLOC off): the
//   first c - that many pages of a cold start are hot, the rest cold;
//   at most c non-resident pages (MAX_NONE_RES_PAGE = mem_size);
//   repeated consecutive references are dropped.
// The paper adapts the cold allocation; the simulator's default, followed
// here, does not. libCacheSim's 2025 ClockPro.c cannot serve as a reference
// (papers/eviction/reference_libcachesim.md says why). In a single-threaded
// replay with c >= 5 frames this reproduces the simulator's miss counts
// exactly.
//
// How it maps onto the hooks. evict(x, view) makes the whole miss but the
// frame: HAND_cold's victim is the frame returned, and x's entry is placed;
// on_insert(f, x) gives it the frame. An on_insert with no evict (a free
// frame) makes the cold-start placement (hot while more than the cold
// allocation is free, else cold in its test period).
//
// Concurrency in the pool (model batched_hits): everything under the region's
// policy latch. The reference bits live here, not in the frames' usage bits,
// because of the repeated-reference rule: hits are queued per thread and
// applied in batches (BP-Wrapper, as LRU and ARC), and on_hit compares each
// with the request before it in the latch's order. on_hit checks that the
// frame still holds the key the hit was for.
//
// Priorities. The usage bits are credits (policy.hpp, point 3): a cold page
// that HAND_cold would evict with credit u > 0 is spared (u - 1) and the hand
// moves on; a demoted frame (on_demote) turns cold, unreferenced and out of
// its test period, and HAND_cold is moved to it. A pinned page is passed
// over in the same way. Every loop is bounded (point 4).
//
// Cost. Amortised O(1) hand movement per miss (each hand passes each entry
// about once per revolution); hits O(1). Memory: per frame 12 bytes (key,
// entry); 2c + 2 clock entries of about 50 bytes (links, key, frame, flags,
// the hash table's share); all allocated by the constructor.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "pagepool/policy.hpp"
#include "policy/key_table.hpp"

namespace pagepool::policy {

class clockpro_policy {
  using key_table = internal::key_table;
  static constexpr std::uint32_t nil = 0xFFFFFFFFu;

 public:
  static constexpr std::string_view name = "clockpro";
  static constexpr concurrency_model model = concurrency_model::batched_hits;
  static constexpr double cold_ratio = 0.05;       ///< cold allocation, share of c
  static constexpr std::uint32_t lowest_cold = 2;  ///< ... but at least this

  explicit clockpro_policy(std::uint32_t capacity)
      : cap_(capacity),
        fslot_(capacity, nil),
        fkey_(capacity),
        next_(2 * capacity + 2, nil),
        prev_(2 * capacity + 2, nil),
        skey_(2 * capacity + 2),
        sframe_(2 * capacity + 2, nil),
        flags_(2 * capacity + 2, 0),
        map_(2 * capacity + 2) {
    free_.reserve(2 * capacity + 2);
    for (std::uint32_t s = 2 * capacity + 2; s > 0; --s) free_.push_back(s - 1);
    resize(capacity);
  }

  /// The cache size c (contract, point 8): the cold allocation and the bound
  /// on non-resident pages.
  void resize(std::uint32_t c) noexcept {
    c_ = std::min(c, cap_);
    cold_alloc_ = std::max<std::size_t>(
        lowest_cold, static_cast<std::size_t>(cold_ratio * static_cast<double>(c_)));
  }

  static constexpr std::uint32_t on_hit_usage(std::uint32_t u) noexcept { return u; }

  void on_insert(frame_id f, page_key k) noexcept {
    if (f >= cap_) return;
    if (pending_ != nil && skey_[pending_] == k && map_.find(k.v) == pending_) {
      give_frame(pending_, f, k);  // evict(k) placed it already
      pending_ = nil;
      return;
    }
    if (pending_ != nil) {  // an eviction undone (point 5): x never came in
      drop_entry(pending_);
      pending_ = nil;
    }
    forget_frame(f);  // a tracked frame forgets its old page
    note_request(k);
    if (const std::uint32_t old = map_.find(k.v); old != key_table::npos) drop_entry(old);
    const std::uint32_t s = new_entry(k);
    const std::size_t free_frames = c_ > residents_ ? c_ - residents_ : 0;
    if (free_frames > cold_alloc_) {
      set(s, hot);
      ++hot_count_;
    } else {
      set(s, in_test);
    }
    insert_head(s);
    give_frame(s, f, k);
  }

  void on_hit(frame_id f, page_key k) noexcept {
    if (f >= cap_ || fslot_[f] == nil || fkey_[f] != k) return;
    if (last_valid_ && last_ == k) return;  // a repeated reference
    note_request(k);
    set(fslot_[f], ref);
  }

  void on_demote(frame_id f) noexcept {
    if (f >= cap_ || fslot_[f] == nil) return;
    const std::uint32_t s = fslot_[f];
    if (is(s, hot)) --hot_count_;
    clear(s, hot | ref | in_test);
    cold_hand_ = s;
  }

  void on_remove(frame_id f) noexcept {
    if (f < cap_) forget_frame(f);
  }

  template <class V>
  frame_id evict(page_key x, V& view) noexcept {
    if (pending_ != nil) {  // an evict whose insert never came
      drop_entry(pending_);
      pending_ = nil;
    }
    note_request(x);
    frame_id v = no_frame;
    std::uint32_t s = map_.find(x.v);
    if (s != key_table::npos && sframe_[s] != nil) return no_frame;  // resident: not a miss
    for (int turn = 0; turn < 4; ++turn) {
      if (s == key_table::npos) {  // not in the clock: a new cold page
        if (v == no_frame) v = run_cold(view);
        if (v == no_frame) return no_frame;
        s = new_entry(x);
        set(s, resident | in_test);
        insert_head(s);
        break;
      }
      if (v == no_frame) v = run_cold(view);  // a non-resident page in its test period
      if (v == no_frame) return no_frame;
      s = map_.find(x.v);
      if (s == key_table::npos) continue;  // its test ended meanwhile
      const int matched = run_hot(s);
      const std::uint32_t now = map_.find(x.v);
      if (matched == 1 || (matched == 0 && now == key_table::npos)) {
        s = now;  // its test ended: as a page not in the clock
        continue;
      }
      if (now == key_table::npos) {  // matched == 2, HAND_hot ended its test: a fresh entry
        s = new_entry(x);
      } else {
        s = now;
        if (s == test_hand_) test_hand_ = prev_[test_hand_];
        unlink(s);
        --nonresident_;
      }
      clear(s, in_test | ref);
      set(s, resident | hot);
      ++hot_count_;
      insert_head(s);
      break;
    }
    if (s == key_table::npos || map_.find(x.v) != s) return v;  // cannot happen
    clear(s, ref);
    pending_ = s;
    return v;
  }

  /// Frames tracked.
  [[nodiscard]] std::size_t size() const noexcept { return residents_; }
  [[nodiscard]] std::size_t hot_count() const noexcept { return hot_count_; }
  [[nodiscard]] std::size_t nonresident_count() const noexcept { return nonresident_; }
  [[nodiscard]] std::size_t clock_size() const noexcept { return clock_size_; }
  [[nodiscard]] std::size_t cold_allocation() const noexcept { return cold_alloc_; }
  /// 'H' hot, 'C' resident cold, 'T' non-resident in test, 0 not in the clock.
  [[nodiscard]] char status(page_key k) const noexcept {
    const std::uint32_t s = map_.find(k.v);
    if (s == key_table::npos) return 0;
    if (is(s, hot)) return 'H';
    return is(s, resident) ? 'C' : 'T';
  }

 private:
  static constexpr std::uint8_t hot = 1, resident = 2, in_test = 4, ref = 8;
  [[nodiscard]] bool is(std::uint32_t s, std::uint8_t m) const noexcept {
    return (flags_[s] & m) != 0;
  }
  void set(std::uint32_t s, std::uint8_t m) noexcept {
    flags_[s] = static_cast<std::uint8_t>(flags_[s] | m);
  }
  void clear(std::uint32_t s, std::uint8_t m) noexcept {
    flags_[s] = static_cast<std::uint8_t>(flags_[s] & ~m);
  }

  void note_request(page_key k) noexcept {
    last_ = k;
    last_valid_ = true;
  }

  std::uint32_t new_entry(page_key k) noexcept {
    const std::uint32_t s = free_.back();  // 2c + 2 slots: never empty
    free_.pop_back();
    skey_[s] = k;
    sframe_[s] = nil;
    flags_[s] = 0;
    map_.insert_or_assign(k.v, s);
    return s;
  }
  void give_frame(std::uint32_t s, frame_id f, page_key k) noexcept {
    sframe_[s] = f;
    fslot_[f] = s;
    fkey_[f] = k;
    set(s, resident);
    ++residents_;
  }

  // The clock. Entries run from the head (newest) through next_ towards the
  // oldest; the hands move through prev_, from the oldest towards the head.
  void insert_head(std::uint32_t s) noexcept {
    if (head_ == nil) {
      next_[s] = prev_[s] = s;
    } else {
      next_[s] = head_;
      prev_[s] = prev_[head_];
      next_[prev_[head_]] = s;
      prev_[head_] = s;
    }
    head_ = s;
    ++clock_size_;
    // A hand with nowhere to be starts here (the simulator: the first page
    // sets HAND_hot and HAND_test, the first cold page HAND_cold).
    if (hot_hand_ == nil) hot_hand_ = s;
    if (test_hand_ == nil) test_hand_ = s;
    if (cold_hand_ == nil && !is(s, hot)) cold_hand_ = s;
  }
  // Takes s out of the ring; its test period and reference bit end. A hand
  // at s moves back one entry (the simulator never unlinks a page a hand is
  // at; in the pool, removals, pins and demotions can).
  void unlink(std::uint32_t s) noexcept {
    for (std::uint32_t* h : {&hot_hand_, &cold_hand_, &test_hand_})
      if (*h == s) *h = next_[s] == s ? nil : prev_[s];
    if (next_[s] == s) {
      head_ = nil;
    } else {
      next_[prev_[s]] = next_[s];
      prev_[next_[s]] = prev_[s];
      if (head_ == s) head_ = next_[s];
    }
    next_[s] = prev_[s] = nil;
    --clock_size_;
    clear(s, in_test | ref);
  }
  // Out of the clock for good: the entry is freed.
  void remove_for_good(std::uint32_t s) noexcept {
    unlink(s);
    map_.erase(skey_[s].v);
    flags_[s] = 0;
    free_.push_back(s);
  }
  // A page leaving the clock outside the algorithm: hands moved off it first.
  void drop_entry(std::uint32_t s) noexcept {
    const bool alone = next_[s] == s;
    for (std::uint32_t* h : {&hot_hand_, &cold_hand_, &test_hand_})
      if (*h == s) *h = alone ? nil : prev_[s];
    if (is(s, hot)) --hot_count_;
    if (is(s, resident)) {
      if (sframe_[s] != nil) {
        fslot_[sframe_[s]] = nil;
        --residents_;
      }
    } else if (next_[s] != nil) {
      --nonresident_;
    }
    sframe_[s] = nil;
    if (next_[s] != nil) {
      remove_for_good(s);
    } else {
      map_.erase(skey_[s].v);
      flags_[s] = 0;
      free_.push_back(s);
    }
  }
  void forget_frame(frame_id f) noexcept {
    if (fslot_[f] != nil) drop_entry(fslot_[f]);
  }

  [[nodiscard]] std::size_t budget() const noexcept {
    return 4 * (clock_size_ + 2) * (usage_max + 2);
  }

  // HAND_hot, called by the cold page `caller`: 2 if it met the caller and
  // demoted a hot page, 1 if it met the caller only, 0 if it demoted only.
  int run_hot(std::uint32_t caller) noexcept {
    bool done = false, matched = false, demoted = false;
    for (std::size_t n = budget(); n > 0 && hot_hand_ != nil && (!done || !is(hot_hand_, hot));
         --n) {
      if (is(hot_hand_, hot)) {
        if (is(hot_hand_, ref)) {
          clear(hot_hand_, ref);
        } else {
          clear(hot_hand_, hot);
          done = demoted = true;
          --hot_count_;
        }
        const std::uint32_t t = hot_hand_;
        if (test_hand_ == hot_hand_) test_hand_ = prev_[test_hand_];
        hot_hand_ = prev_[hot_hand_];
        unlink(t);
        insert_head(t);
      } else {
        if (hot_hand_ == caller) done = matched = true;
        hot_hand_ = prev_[hot_hand_];
      }
      if (next_[hot_hand_] == test_hand_) run_test(true);
    }
    return matched && demoted ? 2 : matched ? 1 : 0;
  }

  // HAND_test: one step (must_move), then the bound on non-resident pages.
  void run_test(bool must_move) noexcept {
    if (test_hand_ == nil) return;
    if (must_move) {
      if (!is(test_hand_, hot)) {
        clear(test_hand_, in_test | ref);
        if (!is(test_hand_, resident)) {
          test_hand_ = prev_[test_hand_];
          remove_for_good(next_[test_hand_]);
          --nonresident_;
        } else {
          test_hand_ = prev_[test_hand_];
        }
      } else {
        test_hand_ = prev_[test_hand_];
      }
    }
    if (nonresident_ > c_) {
      for (std::size_t n = clock_size_ + 1; n > 0 && test_hand_ != nil && is(test_hand_, resident);
           --n) {
        if (!is(test_hand_, hot)) clear(test_hand_, in_test | ref);
        test_hand_ = prev_[test_hand_];
      }
      if (test_hand_ == nil || is(test_hand_, resident)) return;  // not in the simulator
      test_hand_ = prev_[test_hand_];
      remove_for_good(next_[test_hand_]);
      --nonresident_;
    }
  }

  // HAND_cold: turns referenced cold pages in their test period hot, and
  // evicts the first other resident cold page; returns its frame.
  template <class V>
  frame_id run_cold(V& view) noexcept {
    for (std::size_t n = budget(); n > 0 && cold_hand_ != nil; --n) {
      const std::uint32_t s = cold_hand_;
      if (!is(s, hot) && is(s, resident) && (!is(s, ref) || !is(s, in_test))) {
        const frame_id f = sframe_[s];
        bool take = f != nil && f < view.size();
        if (take) {
          if (const std::uint32_t u = view.usage(f); u > 0) {
            take = false;  // a credit: spared
            (void)view.set_usage(f, u, u - 1);
          } else {
            take = view.claim(f);
          }
        }
        if (!take) {  // spared or pinned: the hand moves on
          cold_hand_ = prev_[cold_hand_];
          advance_cold();
          continue;
        }
        fslot_[f] = nil;
        sframe_[s] = nil;
        clear(s, resident);
        --residents_;
        cold_hand_ = prev_[cold_hand_];
        if (is(next_[cold_hand_], in_test)) {
          ++nonresident_;
        } else {
          remove_for_good(next_[cold_hand_]);
        }
        advance_cold();
        run_test(false);
        return f;
      }
      if (!is(s, resident)) {  // a non-resident entry (the simulator never stops here)
        cold_hand_ = prev_[cold_hand_];
        continue;
      }
      if (!is(s, hot)) {  // referenced, in its test period
        const int matched = run_hot(s);
        if (matched == 0 || matched == 2) {
          const std::uint32_t t = cold_hand_;
          cold_hand_ = prev_[cold_hand_];
          unlink(t);
          insert_head(t);
          set(t, hot);
          ++hot_count_;
        }
      }
      advance_cold();
    }
    return take_any(view);
  }
  // HAND_cold found nothing it may take (pinned or credited cold pages, or no
  // cold page left): the first resident page, hot or cold, that can be
  // claimed, from the oldest entry on; credits are worn down one per pass.
  template <class V>
  frame_id take_any(V& view) noexcept {
    if (head_ == nil) return no_frame;
    for (std::uint32_t pass = 0; pass <= usage_max + 1; ++pass) {
      std::uint32_t s = prev_[head_];  // the oldest entry
      for (std::size_t n = clock_size_; n > 0; --n, s = prev_[s]) {
        const frame_id f = sframe_[s];
        if (!is(s, resident) || f == nil || f >= view.size()) continue;
        if (const std::uint32_t u = view.usage(f); u > 0) {
          (void)view.set_usage(f, u, u - 1);
          continue;
        }
        if (!view.claim(f)) continue;
        fslot_[f] = nil;
        sframe_[s] = nil;
        clear(s, resident);
        --residents_;
        if (is(s, hot)) --hot_count_;
        const bool alone = next_[s] == s;
        for (std::uint32_t* h : {&hot_hand_, &cold_hand_, &test_hand_})
          if (*h == s) *h = alone ? nil : prev_[s];
        remove_for_good(s);
        return f;
      }
    }
    return no_frame;
  }
  // To the next cold page (the simulator's "while hot, move on").
  void advance_cold() noexcept {
    for (std::size_t n = clock_size_ + 1; n > 0 && cold_hand_ != nil && is(cold_hand_, hot); --n)
      cold_hand_ = prev_[cold_hand_];
  }

  std::uint32_t cap_;
  std::size_t c_ = 0, cold_alloc_ = lowest_cold;
  std::vector<std::uint32_t> fslot_;  // per frame: its clock entry
  std::vector<page_key> fkey_;
  std::vector<std::uint32_t> next_, prev_;  // per entry
  std::vector<page_key> skey_;
  std::vector<frame_id> sframe_;
  std::vector<std::uint8_t> flags_;
  key_table map_;  // key -> entry
  std::vector<std::uint32_t> free_;
  std::uint32_t head_ = nil, hot_hand_ = nil, cold_hand_ = nil, test_hand_ = nil;
  std::size_t residents_ = 0, hot_count_ = 0, nonresident_ = 0, clock_size_ = 0;
  page_key last_{};
  bool last_valid_ = false;
  std::uint32_t pending_ = nil;  // x's entry between evict(x) and on_insert(f, x)
};

static_assert(eviction_policy<clockpro_policy>);

}  // namespace pagepool::policy
