// src/policy/arc.hpp: ARC, the Adaptive Replacement Cache (Megiddo and Modha,
// "ARC: a self-tuning, low overhead replacement cache", FAST 2003, Fig. 4).
//
// Algorithm. Resident pages are in T1 (seen once recently) or T2 (seen at
// least twice), both LRU lists; ghost lists B1 and B2 remember the keys
// recently evicted from T1 and T2. A real-valued target p (0..c) is T1's
// desired size. For a request x (c = the capacity):
//
//   I   x in T1 or T2 (a hit): x to T2's MRU end.
//   II  x in B1: p = min(c, p + max(1, |B2| / |B1|)); REPLACE(x);
//       x from B1 to T2's MRU end.
//   III x in B2: p = max(0, p - max(1, |B1| / |B2|)); REPLACE(x);
//       x from B2 to T2's MRU end.
//   IV  x nowhere:
//       |T1| + |B1| = c:  |T1| < c -> drop B1's LRU key; REPLACE(x)
//                         else     -> T1's LRU page is evicted, no ghost
//       |T1| + |B1| < c:  total >= c -> (total = 2c -> drop B2's LRU key);
//                                       REPLACE(x)
//       x to T1's MRU end.
//   REPLACE(x): if T1 is not empty and (|T1| > p, or x in B2 and |T1| = p),
//       T1's LRU page is evicted and its key goes to B1's MRU end;
//       else T2's LRU page is evicted and its key goes to B2's MRU end.
//
// (|B2| / |B1| and the comparisons with p are in real arithmetic: p is a
// double, as in the paper's figure; the reference counts depend on it.)
//
// How it maps onto the hooks. evict(x, view) is called with the incoming key:
// it is how REPLACE knows whether x is in B2, and evict makes the whole of
// cases II-IV but the final placement: it adapts p, trims the ghosts, takes
// the victim and moves its key to B1 or B2, and takes x out of its ghost
// list. The on_insert(f, x) that follows puts x at T2's MRU end (if it was a
// ghost) or T1's. An on_insert with no evict before it (the region had a free
// frame) makes cases II-IV itself, without REPLACE: adaptation, ghost
// trimming, placement. If evict finds no frame it changes neither p nor the
// ghosts, so the pool may ask again.
//
// Concurrency in the pool (model batched_hits). Everything runs under the
// region's policy latch (a spin latch, policy_host.hpp). Case I must move the
// page, so a hit is queued in a per-thread buffer and applied (on_hit) in a
// batch under the latch of the thread's next evict and insert on the region,
// one acquisition for all (BP-Wrapper, Ding et al., ICDE 2009): a hit costs
// the pin's CAS and a thread-local store, and never waits for the latch (a
// buffer that fills between misses is applied with a try-lock, and dropped
// when another thread holds the latch, as Caffeine's read buffers are).
// on_hit checks that the frame still holds the key the hit was for.
//
// What it approximates with several threads: ARC on the merged stream with
// each thread's hits applied at its next miss (T1 -> T2 promotions and T2
// moves a little late) and the hits dropped under contention left out; p's
// adaptation sees every ghost hit, since misses are never dropped. Exact
// single-threaded.
//
// Priorities. The usage bits are credits (contract, point 3): a candidate with
// credit u > 0 is spared (u - 1) and moved to the MRU end of its own list; a
// demoted frame (on_demote) moves to the LRU end of its list. A pinned
// candidate keeps its place; if the list REPLACE chose has nothing to take,
// the other list is searched (list_sweep.hpp).
//
// A victim the pool could not evict after all (contract, point 5) comes back
// through on_insert with its old key: its ghost entry is dropped and it
// returns to the MRU end of the list it left (p is not restored).
//
// Cost. O(1) per hook, evict O(1) when the LRU candidates can be taken.
// Memory: 17 bytes per frame, and 2c ghost slots (about 50 bytes each, the
// hash table's share included), all allocated by the constructor.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "pagepool/policy.hpp"
#include "policy/frame_lists.hpp"
#include "policy/ghost_lists.hpp"
#include "policy/list_sweep.hpp"

namespace pagepool::policy {

class arc_policy {
  using lists = internal::frame_lists<2>;
  using ghosts = internal::ghost_lists<2>;
  static constexpr std::size_t T1 = 0, T2 = 1;  // frame lists
  static constexpr std::size_t B1 = 0, B2 = 1;  // ghost lists

 public:
  static constexpr std::string_view name = "arc";
  static constexpr concurrency_model model = concurrency_model::batched_hits;

  explicit arc_policy(std::uint32_t capacity)
      : c_(capacity), t_(capacity), keys_(capacity), b_(2 * capacity) {}

  /// The cache size c the algorithm works with: the frames in service, at
  /// most the constructor's capacity (contract, point 8). The pool calls it
  /// at creation and after every resize; the lists shrink to the new bounds
  /// through the next requests' own trimming, and p is clamped to c.
  void resize(std::uint32_t c) noexcept {
    c_ = std::min<std::size_t>(c, t_.capacity());
    p_ = std::min(p_, static_cast<double>(c_));
  }

  static constexpr std::uint32_t on_hit_usage(std::uint32_t u) noexcept { return u; }

  void on_insert(frame_id f, page_key k) noexcept {
    if (f >= t_.capacity()) return;
    t_.remove(f);  // a tracked frame forgets its old page
    keys_[f] = k;
    if (victim_valid_ && victim_key_ == k) {  // an eviction undone (point 5)
      victim_valid_ = false;
      b_.erase(k);
      t_.push_newest(victim_list_, f);
      return;
    }
    if (pending_valid_ && pending_key_ == k) {  // evict(k) did cases II-IV
      pending_valid_ = false;
      victim_valid_ = false;
      t_.push_newest(pending_t2_ ? T2 : T1, f);
      return;
    }
    // No eviction was needed: cases II-IV without REPLACE.
    const std::uint8_t g = b_.find(k);
    if (g != ghosts::none) {
      p_ = adapted(g);
      b_.erase(k);
      t_.push_newest(T2, f);
      return;
    }
    if (t_.size(T1) + b_.size(B1) >= c_) {
      b_.pop_oldest(B1);
    } else if (t_.total() + b_.total() >= 2 * c_) {
      b_.pop_oldest(B2);
    }
    t_.push_newest(T1, f);
  }

  void on_hit(frame_id f, page_key k) noexcept {
    if (f < t_.capacity() && t_.contains(f) && keys_[f] == k) t_.move_to_newest(T2, f);
  }
  void on_demote(frame_id f) noexcept {
    if (f < t_.capacity() && t_.contains(f)) t_.move_to_oldest(t_.list_of(f), f);
  }
  void on_remove(frame_id f) noexcept {
    if (f < t_.capacity()) t_.remove(f);
  }

  template <class V>
  frame_id evict(page_key x, V& view) noexcept {
    const std::uint8_t g = b_.find(x);
    const double p = g == ghosts::none ? p_ : adapted(g);
    enum { keep, drop_b1_lru, drop_b2_lru } trim = keep;
    bool t1_no_ghost = false;  // case IV, |T1| = c: T1's LRU goes, no ghost
    if (g == ghosts::none) {
      if (t_.size(T1) + b_.size(B1) >= c_) {
        if (t_.size(T1) < c_) trim = drop_b1_lru; else t1_no_ghost = true;
      } else if (t_.total() + b_.total() >= 2 * c_) {
        trim = drop_b2_lru;
      }
    }
    // REPLACE's choice (or case IV's T1), then the other list if the chosen
    // one has nothing to take.
    const double t1 = static_cast<double>(t_.size(T1));
    const bool from_t1 = t1_no_ghost || (t_.size(T1) > 0 && (t1 > p || (g == B2 && t1 == p)));
    std::size_t from = from_t1 ? T1 : T2;
    frame_id v = internal::sweep_oldest(t_, from, view);
    if (v == no_frame) {
      from = from == T1 ? T2 : T1;
      v = internal::sweep_oldest(t_, from, view);
      t1_no_ghost = false;
    }
    if (v == no_frame) return no_frame;  // nothing changed but credits
    // Commit: p, the ghost trim, the victim's ghost, x out of its ghost list.
    p_ = p;
    if (trim == drop_b1_lru) b_.pop_oldest(B1);
    if (trim == drop_b2_lru) b_.pop_oldest(B2);
    if (g != ghosts::none) b_.erase(x);  // before the push: B1 + B2 stays <= 2c
    if (!t1_no_ghost) b_.push_newest(from == T1 ? B1 : B2, keys_[v]);
    pending_valid_ = true;
    pending_key_ = x;
    pending_t2_ = g != ghosts::none;
    victim_valid_ = true;
    victim_key_ = keys_[v];
    victim_list_ = from;
    return v;
  }

  /// Frames tracked (T1 and T2).
  [[nodiscard]] std::size_t size() const noexcept { return t_.total(); }
  /// The target size of T1.
  [[nodiscard]] double target() const noexcept { return p_; }
  [[nodiscard]] std::size_t t1_size() const noexcept { return t_.size(T1); }
  [[nodiscard]] std::size_t t2_size() const noexcept { return t_.size(T2); }
  [[nodiscard]] std::size_t b1_size() const noexcept { return b_.size(B1); }
  [[nodiscard]] std::size_t b2_size() const noexcept { return b_.size(B2); }
  /// 1 if `k` is in B1, 2 if in B2, 0 if in neither.
  [[nodiscard]] int ghost_of(page_key k) const noexcept {
    const std::uint8_t g = b_.find(k);
    return g == ghosts::none ? 0 : g + 1;
  }

 private:
  // p after a hit in ghost list g (cases II and III).
  [[nodiscard]] double adapted(std::uint8_t g) const noexcept {
    const auto b1 = static_cast<double>(b_.size(B1));
    const auto b2 = static_cast<double>(b_.size(B2));
    if (g == B1) return std::min(p_ + (b1 >= b2 ? 1.0 : b2 / b1), static_cast<double>(c_));
    return std::max(p_ - (b2 >= b1 ? 1.0 : b1 / b2), 0.0);
  }

  std::size_t c_;
  lists t_;
  std::vector<page_key> keys_;
  ghosts b_;
  double p_ = 0.0;
  // The incoming key of the last successful evict, and where it goes.
  page_key pending_key_{};
  bool pending_t2_ = false;
  bool pending_valid_ = false;
  // The last victim, so that a failed eviction can be undone (point 5).
  page_key victim_key_{};
  std::size_t victim_list_ = T1;
  bool victim_valid_ = false;
};

static_assert(eviction_policy<arc_policy>);

}  // namespace pagepool::policy
