// src/policy/lirs.hpp: LIRS, Low Inter-reference Recency Set (Jiang and
// Zhang, "LIRS: an efficient low inter-reference recency set replacement
// policy to improve buffer cache performance", SIGMETRICS 2002, section 3.3).
//
// Algorithm. A resident page is LIR (low inter-reference recency) or HIR.
// Stack S holds, most recent first, the LIR pages and the HIR pages (resident
// or not: non-resident ones are metadata only) referenced more recently than
// the least recent LIR page; its bottom is always an LIR page ("pruning"
// drops HIR entries from the bottom until it is). Queue Q holds the resident
// HIR pages, the next victims first. With Lhirs = H and Llirs = c - H:
//
//   LIR page x (a hit): x to S's top; prune.
//   resident HIR x in S (a hit): x to S's top, out of Q, becomes LIR; while
//       the LIR set is over Llirs, demote();
//   resident HIR x not in S (a hit): x to S's top (HIR) and Q's end;
//   miss on x with a non-resident entry in S: x to S's top; while the LIR
//       set is full, demote(); x becomes a resident LIR page;
//   miss on x not in S: if the LIR set is not full, x is LIR; else x is
//       resident HIR at S's top and Q's end.
//   A miss with the cache full first evicts Q's front page (it stays in S,
//   non-resident, if it has an entry there).
//   demote(): S's bottom (LIR) leaves S and goes to Q's end as HIR (if Q is
//       full, Q's front page is evicted first); prune.
// The number of S entries is bounded: after every request, while S holds
// more than 2c entries, the non-resident entry that became non-resident
// longest ago is dropped from S.
//
// Reference and parameters. This is libCacheSim's LIRS.c (commit aa0fc40914b2)
// with one difference, which makes it the paper's algorithm again: on a hit
// to a resident HIR page not in S, libCacheSim also demotes the bottom LIR
// page while the LIR set is full, which can evict a page on a hit (or leave
// c + 1 pages that hit); no cache of c frames can do that, and the paper does
// not. Everything else follows that code (papers/eviction/
// reference_libcachesim.md gives the one-line patch and the counts, exact):
//   H = Lhirs = max(1, floor(0.01 c))   libCacheSim's hirs_ratio = 0.01
//                                       (the paper suggests 1% too);
//   Llirs = c - H;
//   S bound 2c entries, non-resident entries dropped oldest-non-resident
//   first (libCacheSim's limitStack);
//   pruning stops at S's last entry (a lone HIR entry stays).
//
// How it maps onto the hooks. evict(x, view) makes the miss's part up to the
// placement (demote and the victim from Q), remembering x; on_insert(f, x)
// places it. on_hit makes the hit cases. A miss with a free frame demotes
// without evicting.
//
// Concurrency in the pool (model batched_hits): everything under the region's
// policy latch; hits change S and Q, so they are queued per thread and
// applied in batches under the latch (BP-Wrapper, as LRU and ARC); on_hit
// checks that the frame still holds the key the hit was for. Two threads'
// misses interleave between evict and on_insert, so the hooks keep the lists
// consistent whatever came between: on_insert takes an entry it makes
// resident out of the non-resident list even when its own evict already did
// (another thread's evict of the same page that found no victim puts it
// back), evicted() marks non-resident only the victim's own entry, drop_entry
// unmaps a key only if the entry is still the key's, and on_demote demotes
// only the frame's own LIR entry. Without them a resident entry could sit in
// the non-resident list and be pushed into it twice, looping its links:
// limit_stack then spun forever under the policy latch (a swarm hang, about
// one `resize` run in ten with LIRS and 8 threads; Lirs.
// AFailedEvictOfThePageBetweenEvictAndInsertLeavesItResident). A lone
// thread's run never takes these guards, so the exact counts are unchanged.
//
// Priorities. The usage bits are credits for Q (policy.hpp, point 3): a Q
// candidate with credit u > 0 is spared (u - 1) and goes to Q's end; a
// demoted frame (on_demote) becomes HIR at Q's front. LIR pages are never
// victims directly: if Q has nothing to take (pinned, or empty), S's bottom
// LIR page is demoted into Q and tried, up to every LIR page once.
//
// Cost. O(1) per hook, but pruning and demotion are amortised O(1) (each
// entry is pruned at most once per push). Memory: per frame 17 bytes (Q
// links and key); S and its non-resident list have 2c + 2 entry slots of
// about 70 bytes each (two link pairs, key, frame, flags, the hash table's
// share), all allocated by the constructor.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "pagepool/policy.hpp"
#include "policy/frame_lists.hpp"
#include "policy/key_table.hpp"
#include "policy/list_sweep.hpp"

namespace pagepool::policy {

class lirs_policy {
  using lists = internal::frame_lists<1>;
  using key_table = internal::key_table;
  static constexpr std::uint32_t nil = lists::nil;

 public:
  static constexpr std::string_view name = "lirs";
  static constexpr concurrency_model model = concurrency_model::batched_hits;
  static constexpr double hir_ratio = 0.01;  ///< H = max(1, floor(hir_ratio * c))

  explicit lirs_policy(std::uint32_t capacity)
      : q_(capacity),
        fkey_(capacity),
        tracked_(capacity, 0),
        s_(2 * capacity + 2),
        nh_(2 * capacity + 2),
        skey_(2 * capacity + 2),
        sframe_(2 * capacity + 2, nil),
        slir_(2 * capacity + 2, 0),
        map_(2 * capacity + 2) {
    free_.reserve(2 * capacity + 2);
    for (std::uint32_t s = 2 * capacity + 2; s > 0; --s) free_.push_back(s - 1);
    resize(capacity);
  }

  /// The cache size c (contract, point 8): sets H and Llirs.
  void resize(std::uint32_t c) noexcept {
    c_ = std::min(c, q_.capacity());
    h_ = std::max<std::size_t>(1, static_cast<std::size_t>(hir_ratio * static_cast<double>(c_)));
    l_ = c_ > h_ ? c_ - h_ : 0;
  }

  static constexpr std::uint32_t on_hit_usage(std::uint32_t u) noexcept { return u; }

  void on_insert(frame_id f, page_key k) noexcept {
    if (f >= q_.capacity()) return;
    forget_frame(f);  // a tracked frame forgets its old page
    fkey_[f] = k;
    tracked_[f] = 1;
    const bool pending = pending_valid_ && pending_key_ == k;
    pending_valid_ = false;
    std::uint32_t s = map_.find(k.v);
    if (s != key_table::npos && sframe_[s] != nil) {  // resident elsewhere: forget that
      forget_frame(sframe_[s]);
      s = map_.find(k.v);
    }
    if (!pending && s != key_table::npos && sframe_[s] == nil) {
      // A non-resident entry, no evict before (a free frame): as the miss.
      s_.move_to_newest(0, s);
      nh_.remove(s);
      while (lirs_ + 1 > l_ && lirs_ > 0) demote();
    }
    if (s != key_table::npos && sframe_[s] == nil) {  // becomes resident LIR
      // Out of the non-resident list, whatever the evict before did: another
      // thread's evict of the same page that found no victim may have put
      // the entry back meanwhile (a no-op for a lone thread).
      nh_.remove(s);
      sframe_[s] = f;
      if (lirs_ + 1 <= l_) {
        slir_[s] = 1;
        ++lirs_;
      } else {  // c = 1: Llirs is 0, no page can be LIR; a resident HIR page
        q_.push_newest(0, f);
      }
    } else if (lirs_ + 1 <= l_) {  // a new LIR page
      s = new_entry(k);
      sframe_[s] = f;
      slir_[s] = 1;
      ++lirs_;
    } else {  // a new resident HIR page
      s = new_entry(k);
      sframe_[s] = f;
      q_.push_newest(0, f);
    }
    limit_stack();
  }

  void on_hit(frame_id f, page_key k) noexcept {
    if (f >= q_.capacity() || !is_tracked(f) || fkey_[f] != k) return;
    const std::uint32_t s = map_.find(k.v);
    if (s != key_table::npos && slir_[s]) {  // an LIR page
      s_.move_to_newest(0, s);
      prune();
    } else if (s != key_table::npos && l_ == 0) {  // c = 1: no page can be LIR
      s_.move_to_newest(0, s);
      q_.move_to_newest(0, f);
    } else if (s != key_table::npos) {  // resident HIR in S: becomes LIR
      s_.move_to_newest(0, s);
      q_.remove(f);
      while (lirs_ + 1 > l_ && lirs_ > 0) demote();
      slir_[s] = 1;
      ++lirs_;
    } else {  // resident HIR not in S: stays HIR
      q_.move_to_newest(0, f);
      sframe_[new_entry(k)] = f;
    }
    limit_stack();
  }

  void on_demote(frame_id f) noexcept {
    if (f >= q_.capacity() || !is_tracked(f)) return;
    const std::uint32_t s = map_.find(fkey_[f].v);
    if (s != key_table::npos && slir_[s] && sframe_[s] == f && !q_.contains(f)) {
      drop_entry(s);
      --lirs_;
      q_.push_oldest(0, f);
      prune();
    } else {
      q_.move_to_oldest(0, f);
    }
  }

  void on_remove(frame_id f) noexcept {
    if (f < q_.capacity() && is_tracked(f)) forget_frame(f);
  }

  template <class V>
  frame_id evict(page_key x, V& view) noexcept {
    const std::uint32_t s = map_.find(x.v);
    if (s != key_table::npos && sframe_[s] == nil) {
      // A non-resident entry: to S's top; the LIR set makes room for x.
      s_.move_to_newest(0, s);
      nh_.remove(s);
      frame_id v = no_frame;
      if (lirs_ + 1 > l_ && lirs_ > 0) {
        // demote(), taking Q's front as the victim if Q is full.
        v = q_.size(0) + 1 > h_ ? take_from_q(view) : no_frame;
        const frame_id g = pop_lir();
        if (g != nil) q_.push_newest(0, g);
        prune();
      }
      if (v == no_frame) v = take_from_q(view);
      if (v == no_frame) v = take_by_demoting(view);
      if (v == no_frame) v = take_from_q(view);  // every LIR page was demoted: credits worn down there
      if (v == no_frame) {  // x's entry stays, non-resident again
        nh_.push_newest(0, s);
        return no_frame;
      }
      pending_valid_ = true;
      pending_key_ = x;
      return v;
    }
    frame_id v = take_from_q(view);
    if (v == no_frame) v = take_by_demoting(view);
    if (v == no_frame) v = take_from_q(view);  // every LIR page was demoted: credits worn down there
    if (v == no_frame) return no_frame;
    pending_valid_ = true;
    pending_key_ = x;
    return v;
  }

  /// Frames tracked.
  [[nodiscard]] std::size_t size() const noexcept { return lirs_ + q_.size(0); }
  [[nodiscard]] std::size_t lir_count() const noexcept { return lirs_; }
  [[nodiscard]] std::size_t hir_resident_count() const noexcept { return q_.size(0); }
  [[nodiscard]] std::size_t stack_size() const noexcept { return s_.size(0); }
  [[nodiscard]] std::size_t hir_limit() const noexcept { return h_; }
  /// Entries of S whose page is not resident (the non-resident list).
  [[nodiscard]] std::size_t nonresident_count() const noexcept { return nh_.size(0); }
  /// 2 if `k` is an LIR page, 1 a resident HIR page, 0 otherwise.
  [[nodiscard]] int status(page_key k) const noexcept {
    const std::uint32_t s = map_.find(k.v);
    if (s != key_table::npos && slir_[s]) return 2;
    for (std::uint32_t f = q_.oldest(0); f != nil; f = q_.newer(f))
      if (fkey_[f] == k) return 1;
    return 0;
  }

 private:
  [[nodiscard]] bool is_tracked(frame_id f) const noexcept {
    return f < tracked_.size() && tracked_[f];
  }

  std::uint32_t new_entry(page_key k) noexcept {
    if (free_.empty()) drop_oldest_nonresident();
    if (free_.empty()) return nil;  // cannot happen: 2c + 2 slots
    const std::uint32_t s = free_.back();
    free_.pop_back();
    skey_[s] = k;
    sframe_[s] = nil;
    slir_[s] = 0;
    map_.insert_or_assign(k.v, s);
    s_.push_newest(0, s);
    return s;
  }
  void drop_entry(std::uint32_t s) noexcept {
    s_.remove(s);
    nh_.remove(s);
    if (map_.find(skey_[s].v) == s) map_.erase(skey_[s].v);  // not a newer entry of the key's
    sframe_[s] = nil;
    slir_[s] = 0;
    free_.push_back(s);
  }
  void drop_oldest_nonresident() noexcept {
    const std::uint32_t t = nh_.oldest(0);
    if (t != nil) drop_entry(t);
  }
  // Stack pruning: HIR entries leave S's bottom until it is an LIR entry
  // (or S's last entry).
  void prune() noexcept {
    while (s_.size(0) > 1) {
      const std::uint32_t t = s_.oldest(0);
      if (slir_[t]) break;
      drop_entry(t);
    }
  }
  void limit_stack() noexcept {
    while (s_.size(0) > 2 * c_ && nh_.size(0) > 0) drop_oldest_nonresident();
  }
  // S's bottom LIR page leaves S (it becomes HIR); its frame, or nil.
  frame_id pop_lir() noexcept {
    // S's bottom is an LIR entry after every operation of a lone thread;
    // prune first so that it is one here too whatever order the pool's
    // notifications came in (a removal of a page whose entry was at the
    // bottom, under concurrency, can leave HIR entries there), or the LIR
    // pages above could never be demoted and a miss would find no victim.
    prune();
    const std::uint32_t t = s_.oldest(0);
    if (t == nil || !slir_[t]) return nil;
    const frame_id g = sframe_[t];
    drop_entry(t);
    --lirs_;
    return g;
  }
  // demote() without a victim: Q may go over H (a free frame, or a hit).
  void demote() noexcept {
    const frame_id g = pop_lir();
    if (g != nil) q_.push_newest(0, g);
    prune();
  }
  // Q's front page (credits spared, pins stepped over), made non-resident.
  template <class V>
  frame_id take_from_q(V& view) noexcept {
    const frame_id v = internal::sweep_oldest(q_, 0, view);
    if (v != no_frame) evicted(v);
    return v;
  }
  // Q had nothing to take: demote LIR pages into Q one at a time and try each
  // that has no credit. If none could be taken (pinned, or every one with a
  // credit from a priority), every LIR page is in Q by then, and the caller
  // sweeps Q once more, which wears credits down (contract, point 4): LIRS
  // then never leaves a miss without a victim while an unpinned page is
  // resident. A lone thread with default priorities takes the first candidate,
  // so the exact replay never gets here.
  template <class V>
  frame_id take_by_demoting(V& view) noexcept {
    for (std::size_t n = lirs_; n > 0; --n) {
      const frame_id g = pop_lir();
      if (g == nil) break;
      q_.push_newest(0, g);
      prune();
      if (g < view.size() && view.usage(g) == 0 && view.claim(g)) {
        q_.remove(g);
        evicted(g);
        return g;
      }
    }
    return no_frame;
  }
  void evicted(frame_id v) noexcept {
    tracked_[v] = 0;
    const std::uint32_t s = map_.find(fkey_[v].v);
    // Only v's own entry becomes non-resident. Under concurrency the key's
    // entry may be another frame's (the pool told the policy of a page in a
    // frame while the page's entry for an earlier frame had been pruned from
    // S, so two frames were tracked with one key for a while), and marking
    // that one would push an entry already in the non-resident list into it
    // again: the list's links then loop, and limit_stack spun forever under
    // the policy latch (swarm seed 5016, `resize` with LIRS, 3-4 runs in 40).
    // A lone thread never gets here with another frame's entry.
    if (s != key_table::npos && sframe_[s] == v) {
      sframe_[s] = nil;
      slir_[s] = 0;
      nh_.push_newest(0, s);
    }
  }
  // The frame's page leaves without becoming a non-resident entry.
  void forget_frame(frame_id f) noexcept {
    if (!is_tracked(f)) return;
    tracked_[f] = 0;
    q_.remove(f);
    const std::uint32_t s = map_.find(fkey_[f].v);
    if (s != key_table::npos && sframe_[s] == f) {
      if (slir_[s]) --lirs_;
      drop_entry(s);
      prune();
    }
  }

  lists q_;                     // resident HIR frames, front = oldest
  std::vector<page_key> fkey_;  // per frame
  std::vector<std::uint8_t> tracked_;
  lists s_, nh_;  // over entry slots: S, and its non-resident entries
  std::vector<page_key> skey_;
  std::vector<frame_id> sframe_;  // nil: non-resident
  std::vector<std::uint8_t> slir_;
  key_table map_;  // key -> entry slot
  std::vector<std::uint32_t> free_;
  std::size_t c_ = 0, h_ = 1, l_ = 0, lirs_ = 0;
  page_key pending_key_{};
  bool pending_valid_ = false;
};

static_assert(eviction_policy<lirs_policy>);

}  // namespace pagepool::policy
