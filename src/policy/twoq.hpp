// src/policy/twoq.hpp: 2Q, the "full version" (Johnson and Shasha, "2Q: a low
// overhead high performance buffer management replacement algorithm",
// VLDB 1994, Fig. 2 and section 2.2).
//
// Algorithm. Resident pages are in A1in (a FIFO of pages seen once) or Am (an
// LRU of pages seen again after they left A1in); A1out is a FIFO of the keys
// of pages evicted from A1in (a ghost queue, no frames). For a request x in a
// cache of c frames:
//
//   x in Am:     a hit; x to Am's MRU end.
//   x in A1in:   a hit; nothing moves (A1in is a FIFO: correlated references
//                right after the first one do not promote a page).
//   otherwise a miss; x is taken out of A1out if it is there, then, if the
//   cache is full, one page is reclaimed:
//                |A1in| > Kin -> A1in's oldest page is evicted and its key
//                                goes to A1out's newest end (A1out drops its
//                                oldest key first if it holds Kout keys);
//                otherwise    -> Am's LRU page is evicted (no ghost).
//                x was in A1out -> x to Am's MRU end, else to A1in's newest end.
//
// Parameters (the paper's recommended values, which are also the reference
// implementation's defaults, libCacheSim TwoQ.c "Ain-size-ratio=0.25,
// Aout-size-ratio=0.5"):
//   Kin  = floor(0.25 c)  the A1in threshold (A1in may be larger until the
//                         first reclaim finds it over Kin);
//   Kout = floor(0.5 c)   ghost keys kept in A1out.
// Am has no bound of its own: it holds what A1in does not. The reference
// refuses to cache anything when Kin = 0 (c < 4); here such a cache still
// demand-pages, and A1in gives up a page whenever it has one.
//
// How it maps onto the hooks. evict(x, view) is called with the incoming key:
// it takes x out of A1out (before the victim's key goes in, as the reference
// does: a full A1out then does not lose its oldest key to make room), picks
// the victim, and remembers where x goes; the on_insert(f, x) that follows
// puts it there. An on_insert with no evict before it (a free frame) checks
// A1out itself. If evict finds no frame it changes nothing.
//
// Concurrency in the pool (model batched_hits): everything under the region's
// policy latch; a hit in Am must move the page, so hits are queued per thread
// and applied (on_hit) in batches under the latch (BP-Wrapper, as LRU and
// ARC). A hit on an A1in page is a no-op in on_hit. on_hit checks that the
// frame still holds the key the hit was for.
//
// Priorities. The usage bits are credits (policy.hpp, point 3): a candidate
// with credit u > 0 is spared (u - 1) and moved to the newest end of its own
// queue; a demoted frame (on_demote) moves to the oldest end of its queue. A
// pinned candidate keeps its place; if the queue the rule chose has nothing
// to take, the other one is searched (list_sweep.hpp). With default
// priorities the bits stay 0 and the decisions are the ones above.
//
// A victim the pool could not evict after all (point 5) comes back through
// on_insert with its old key: its ghost key is dropped and it returns to the
// newest end of the queue it left.
//
// Cost. O(1) per hook; evict O(1) when the oldest candidate can be taken.
// Memory: 17 bytes per frame (links, queue byte, key) and capacity / 2 ghost
// slots (about 50 bytes each with the hash table's share), all allocated by
// the constructor.
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

class twoq_policy {
  static constexpr std::size_t A1in = 0, Am = 1;  // frame lists

 public:
  static constexpr std::string_view name = "2q";
  static constexpr concurrency_model model = concurrency_model::batched_hits;
  static constexpr double kin_ratio = 0.25;  ///< Kin = floor(kin_ratio * c)
  static constexpr double kout_ratio = 0.5;  ///< Kout = floor(kout_ratio * c)

  explicit twoq_policy(std::uint32_t capacity) : q_(capacity), keys_(capacity), out_(capacity / 2) {
    resize(capacity);
  }

  /// The cache size c (contract, point 8): sets Kin and Kout.
  void resize(std::uint32_t c) noexcept {
    const std::uint32_t cc = std::min(c, q_.capacity());
    kin_ = static_cast<std::size_t>(static_cast<double>(cc) * kin_ratio);
    kout_ = std::min<std::size_t>(static_cast<std::size_t>(static_cast<double>(cc) * kout_ratio),
                                  out_.capacity());
    while (out_.size(0) > kout_) out_.pop_oldest(0);
  }

  static constexpr std::uint32_t on_hit_usage(std::uint32_t u) noexcept { return u; }

  void on_insert(frame_id f, page_key k) noexcept {
    if (f >= q_.capacity()) return;
    q_.remove(f);  // a tracked frame forgets its old page
    keys_[f] = k;
    if (victim_valid_ && victim_key_ == k) {  // an eviction undone (point 5)
      victim_valid_ = false;
      out_.erase(k);
      q_.push_newest(victim_list_, f);
      return;
    }
    if (pending_valid_ && pending_key_ == k) {  // evict(k) decided already
      pending_valid_ = false;
      victim_valid_ = false;
      q_.push_newest(pending_am_ ? Am : A1in, f);
      return;
    }
    q_.push_newest(out_.erase(k) != ghosts::none ? Am : A1in, f);
  }

  void on_hit(frame_id f, page_key k) noexcept {
    if (f < q_.capacity() && q_.list_of(f) == Am && keys_[f] == k) q_.move_to_newest(Am, f);
  }
  void on_demote(frame_id f) noexcept {
    if (f < q_.capacity() && q_.contains(f)) q_.move_to_oldest(q_.list_of(f), f);
  }
  void on_remove(frame_id f) noexcept {
    if (f < q_.capacity()) q_.remove(f);
  }

  template <class V>
  frame_id evict(page_key x, V& view) noexcept {
    std::size_t from = q_.size(A1in) > kin_ ? A1in : Am;
    frame_id v = internal::sweep_oldest(q_, from, view);
    if (v == no_frame) {
      from = from == A1in ? Am : A1in;
      v = internal::sweep_oldest(q_, from, view);
    }
    if (v == no_frame) return no_frame;                    // nothing changed but credits
    const bool ghost_hit = out_.erase(x) != ghosts::none;  // before the push
    if (from == A1in && kout_ > 0) {
      if (out_.size(0) >= kout_) out_.pop_oldest(0);
      out_.push_newest(0, keys_[v]);
    }
    pending_valid_ = true;
    pending_key_ = x;
    pending_am_ = ghost_hit;
    victim_valid_ = true;
    victim_key_ = keys_[v];
    victim_list_ = from;
    return v;
  }

  /// Frames tracked (A1in and Am).
  [[nodiscard]] std::size_t size() const noexcept { return q_.total(); }
  [[nodiscard]] std::size_t a1in_size() const noexcept { return q_.size(A1in); }
  [[nodiscard]] std::size_t am_size() const noexcept { return q_.size(Am); }
  [[nodiscard]] std::size_t a1out_size() const noexcept { return out_.size(0); }
  [[nodiscard]] std::size_t kin() const noexcept { return kin_; }
  [[nodiscard]] std::size_t kout() const noexcept { return kout_; }
  /// Whether `k` is remembered in A1out.
  [[nodiscard]] bool in_a1out(page_key k) const noexcept { return out_.find(k) != ghosts::none; }

 private:
  using ghosts = internal::ghost_lists<1>;

  internal::frame_lists<2> q_;
  std::vector<page_key> keys_;
  ghosts out_;
  std::size_t kin_ = 0, kout_ = 0;
  // The incoming key of the last successful evict, and where it goes.
  page_key pending_key_{};
  bool pending_am_ = false;
  bool pending_valid_ = false;
  // The last victim, so that a failed eviction can be undone (point 5).
  page_key victim_key_{};
  std::size_t victim_list_ = A1in;
  bool victim_valid_ = false;
};

static_assert(eviction_policy<twoq_policy>);

}  // namespace pagepool::policy
