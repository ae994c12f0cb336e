// src/policy/wtinylfu.hpp: W-TinyLFU (Einziger, Friedman and Manes, "TinyLFU:
// a highly efficient cache admission policy", ACM TOS 2017; the policy of
// Caffeine): a small LRU window in front of a segmented-LRU main cache, and a
// frequency sketch deciding which of the window's victim and the main cache's
// victim stays.
//
// Algorithm. c frames: a window W (LRU) of w frames, a main cache of
// M = c - w frames split into probation P and protected S (an SLRU: two LRU
// segments), and a count-min sketch (count_min.hpp) of the recent frequency
// of pages. For a request x:
//
//   x in W (a hit):  x to W's MRU end.
//   x in P (a hit):  x to S's MRU end; while |S| > Smax, S's LRU page goes
//                    to P's MRU end. The sketch counts x (see aging).
//   x in S (a hit):  x to S's MRU end. The sketch counts x.
//   a miss, cache full: repeat
//       W empty              -> the main victim (P's LRU page, or S's if P is
//                               empty) is evicted; done;
//       |main| < M           -> W's LRU page v moves into the main cache (to
//                               P if P has room, else to S), the sketch counts
//                               v, and the loop goes on (only while the cache
//                               first fills);
//       otherwise, v = W's LRU page, m = the main victim:
//         estimate(v) > estimate(m) -> m is evicted, v moves into P; done
//         otherwise                 -> v is evicted; done
//       (either way the sketch counts v);
//   then x enters W's MRU end and the sketch counts x.
// Aging: every 32 M hits in the main cache, every counter is halved.
//
// Reference and parameters: libCacheSim's WTinyLFU.c with main-cache=SLRU
// (commit aa0fc40914b2), whose defaults are
//   w = floor(0.01 c), here at least 1      window-size=0.01
//   Pmax = floor(M / 5), Smax = M - Pmax    SLRU seg-size=1:4
//   sketch: error 0.001, 10 hashes, ceil(14.38 M) counters, XXH64 seeds
//           0x12345678 / 0x12344321 (count_min.hpp)
//   aging:  halve every 32 M main-cache hits
// with three changes, each because the reference can do what no cache of c
// frames can (papers/eviction/reference_libcachesim.md has the patch and
// both sets of counts): (1) after the window's victim wins, the reference
// goes on comparing the next window page, evicting a second page for one
// miss; here one miss evicts one page, as in the paper and Caffeine; (2) with
// c < 100 its window is 0 and it caches nothing; here w >= 1; (3) it sizes
// S as floor(0.8 M), so P and S can hold M - 1 pages and a hit in P can
// evict one; here S takes the remainder. With these changes the reference's
// counts are reproduced exactly, given the same page numbers (the sketch
// hashes them: a renumbered trace makes other, equally valid, decisions).
//
// Differences from Caffeine, kept from the reference: no doorkeeper Bloom
// filter, window hits do not count in the sketch, new pages may go straight
// to S while the cache first fills, the window is not adapted (hill
// climbing) and ties go to the main victim's side.
//
// How it maps onto the hooks. evict(x, view) runs the loop above and returns
// the evicted frame; on_insert(f, x) puts x in W and counts it. on_hit makes
// the hit cases.
//
// Concurrency in the pool (model batched_hits): everything under the region's
// policy latch; hits move pages and count in the sketch, so they are queued
// per thread and applied in batches (BP-Wrapper, as LRU and ARC); on_hit
// checks that the frame still holds the key the hit was for.
//
// Priorities. The usage bits are credits (policy.hpp, point 3): a victim the
// rule chose with credit u > 0 is spared (u - 1) and moved to the MRU end of
// its segment, and the rule runs again. A demoted frame (on_demote) leaves
// its segment for a list of demoted frames, which evict takes first, before
// any duel (a hit on one brings it back to W). A pinned victim is stepped
// over: the victim is then the first frame that can be claimed in the
// demoted list, P, S and W, oldest first.
//
// Cost. O(k) = O(10) sketch work per request; evict O(1) per loop turn (the
// loop moves at most w pages, only while the cache first fills). Memory: per
// frame 18 bytes (links, segment, key) plus the sketch, about 58 bytes per
// main-cache frame; all allocated by the constructor.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "pagepool/policy.hpp"
#include "policy/count_min.hpp"
#include "policy/frame_lists.hpp"
#include "policy/list_sweep.hpp"

namespace pagepool::policy {

class wtinylfu_policy {
  using lists = internal::frame_lists<4>;
  static constexpr std::size_t W = 0, P = 1, S = 2;
  static constexpr std::size_t D = 3;  // demoted by a priority: the next victims
  static constexpr std::uint32_t nil = lists::nil;

 public:
  static constexpr std::string_view name = "wtinylfu";
  static constexpr concurrency_model model = concurrency_model::batched_hits;
  static constexpr double window_ratio = 0.01;  ///< w = max(1, floor(window_ratio * c))

  explicit wtinylfu_policy(std::uint32_t capacity)
      : l_(capacity), keys_(capacity), sketch_(capacity) {
    resize(capacity);
  }

  /// The cache size c (contract, point 8): the window, the segments, and the
  /// sketch (cleared when its size changes).
  void resize(std::uint32_t c) noexcept {
    c_ = std::min(c, l_.capacity());
    w_ = std::max<std::size_t>(1, static_cast<std::size_t>(static_cast<double>(c_) * window_ratio));
    m_ = c_ > w_ ? c_ - w_ : 0;
    pmax_ = static_cast<std::size_t>(1.0 / 5.0 * static_cast<double>(m_));
    smax_ = m_ - pmax_;
    if (m_ != sketch_m_) {
      sketch_.set_entries(static_cast<std::uint32_t>(m_));
      sketch_m_ = m_;
      main_hits_ = 0;
    }
  }

  static constexpr std::uint32_t on_hit_usage(std::uint32_t u) noexcept { return u; }

  void on_insert(frame_id f, page_key k) noexcept {
    if (f >= l_.capacity()) return;
    l_.remove(f);  // a tracked frame forgets its old page
    keys_[f] = k;
    if (victim_valid_ && victim_key_ == k) {  // an eviction undone (point 5)
      victim_valid_ = false;
      l_.push_newest(victim_list_, f);
      return;
    }
    victim_valid_ = false;
    l_.push_newest(W, f);
    sketch_.add(k.v);
  }

  void on_hit(frame_id f, page_key k) noexcept {
    if (f >= l_.capacity() || !l_.contains(f) || keys_[f] != k) return;
    const std::uint8_t seg = l_.list_of(f);
    if (seg == W || seg == D) {  // a demoted page referenced again: as new
      l_.move_to_newest(W, f);
      return;
    }
    if (seg == S) {
      l_.move_to_newest(S, f);
    } else {
      l_.move_to_newest(S, f);
      while (l_.size(S) > smax_) l_.move_to_newest(P, l_.oldest(S));
    }
    sketch_.add(k.v);
    if (++main_hits_ >= 32 * m_) {
      main_hits_ = 0;
      sketch_.halve();
    }
  }

  void on_demote(frame_id f) noexcept {
    if (f >= l_.capacity() || !l_.contains(f)) return;
    l_.move_to_newest(D, f);
  }
  void on_remove(frame_id f) noexcept {
    if (f < l_.capacity()) l_.remove(f);
  }

  template <class V>
  frame_id evict(page_key /*incoming*/, V& view) noexcept {
    if (l_.size(D) > 0) {  // demoted pages go first, oldest demotion first
      if (const frame_id d = internal::sweep_oldest(l_, D, view); d != no_frame) {
        victim_list_ = D;
        victim_key_ = keys_[d];
        victim_valid_ = true;
        return d;
      }
    }
    const std::size_t budget = (l_.total() + 1) * (usage_max + 2);
    for (std::size_t turn = 0; turn < budget; ++turn) {
      if (l_.size(W) == 0) return take(main_victim(), view);
      const frame_id v = l_.oldest(W);
      if (l_.size(P) + l_.size(S) < m_) {  // the main cache is not full yet
        l_.move_to_newest(l_.size(P) < pmax_ ? P : (l_.size(S) < smax_ ? S : P), v);
        sketch_.add(keys_[v].v);
        continue;
      }
      const frame_id m = main_victim();
      const bool admit = m != nil && sketch_.estimate(keys_[v].v) > sketch_.estimate(keys_[m].v);
      const frame_id loser = admit ? m : v;
      if (const std::uint32_t u = loser < view.size() ? view.usage(loser) : 0; u > 0) {
        // A credit: spared, and the rule runs again.
        if (!view.set_usage(loser, u, u - 1)) return fallback(view);
        l_.move_to_newest(l_.list_of(loser), loser);
        continue;
      }
      if (loser >= view.size() || !view.claim(loser)) return fallback(view);
      victim_list_ = l_.list_of(loser);
      victim_key_ = keys_[loser];
      victim_valid_ = true;
      l_.remove(loser);
      if (admit) l_.move_to_newest(P, v);
      sketch_.add(keys_[v].v);
      return loser;
    }
    return fallback(view);
  }

  /// Frames tracked.
  [[nodiscard]] std::size_t size() const noexcept { return l_.total(); }
  [[nodiscard]] std::size_t window_size() const noexcept { return l_.size(W); }
  [[nodiscard]] std::size_t probation_size() const noexcept { return l_.size(P); }
  [[nodiscard]] std::size_t protected_size() const noexcept { return l_.size(S); }
  [[nodiscard]] std::size_t window_max() const noexcept { return w_; }
  [[nodiscard]] std::size_t protected_max() const noexcept { return smax_; }
  [[nodiscard]] std::uint32_t frequency(page_key k) const noexcept { return sketch_.estimate(k.v); }
  [[nodiscard]] const internal::count_min& sketch() const noexcept { return sketch_; }

 private:
  // The main cache's victim: P's LRU page, or S's if P is empty; nil if none.
  [[nodiscard]] frame_id main_victim() const noexcept {
    return l_.size(P) > 0 ? l_.oldest(P) : l_.oldest(S);
  }
  template <class V>
  frame_id take(frame_id f, V& view) noexcept {
    if (f == nil) return fallback(view);
    if (f < view.size() && view.usage(f) == 0 && view.claim(f)) {
      victim_list_ = l_.list_of(f);
      victim_key_ = keys_[f];
      victim_valid_ = true;
      l_.remove(f);
      return f;
    }
    return fallback(view);
  }
  // Pinned or credited victims: the first frame that can be taken, P, S, W.
  template <class V>
  frame_id fallback(V& view) noexcept {
    for (std::size_t seg : {D, P, S, W}) {
      const frame_id f = internal::sweep_oldest(l_, seg, view);
      if (f != no_frame) {
        victim_list_ = seg;
        victim_key_ = keys_[f];
        victim_valid_ = true;
        return f;
      }
    }
    return no_frame;
  }

  lists l_;
  std::vector<page_key> keys_;
  internal::count_min sketch_;
  std::size_t c_ = 0, w_ = 1, m_ = 0, pmax_ = 0, smax_ = 0, sketch_m_ = ~std::size_t{0};
  std::size_t main_hits_ = 0;
  page_key victim_key_{};
  std::size_t victim_list_ = W;
  bool victim_valid_ = false;
};

static_assert(eviction_policy<wtinylfu_policy>);

}  // namespace pagepool::policy
