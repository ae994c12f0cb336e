// src/policy/s3fifo.hpp: S3-FIFO (Yang, Zhang, Qiu, Yue and Rashmi, "FIFO
// queues are all you need for cache eviction", SOSP 2023).
//
// Algorithm (the variant REFERENCE.md defines). Three FIFO queues: a small
// queue S of max(1, floor(c / 10)) frames, a main queue M of the rest, and a
// ghost queue G of page keys (no frames) holding as many keys as M's share.
// Each page has a frequency 0..3 (0 when loaded, +1 per hit, capped at 3).
//
//   miss on key k: k in G -> k leaves G, the page enters M at its head
//                  else   -> the page enters S at its head
//   one eviction:
//     |M| > M's share, or S empty:  evict from M
//        M's tail f: freq > 0 -> back to M's head with freq - 1, next
//                    freq 0   -> claim(f): f is the victim (no ghost)
//     else: pop S's tail f:
//        freq >= 2 -> f moves to M's head with freq 0, pop the next
//        else      -> claim(f): f is the victim, its key joins G's head
//                     (G drops its oldest key when full)
//     S emptied by moves without a victim -> evict from M
//
// M may exceed its share after moves from S; that is corrected at the next
// eviction. The ghost test for the incoming key is made before the eviction
// (as libCacheSim's implementation does), so that the eviction's own ghost
// insert cannot push the incoming key out of G first: evict(k) takes k out of
// G and remembers that it was there, and the on_insert(f, k) that follows
// uses that answer. An on_insert without an evict before it (a free frame)
// makes the ghost test itself.
//
// The frequency is the frame's usage bits: on_hit_usage(u) = u < 3 ? u + 1 :
// u; reinsertion into M decrements it and the move from S to M resets it,
// both through set_usage (which fails for a pinned frame: that frame is then
// stepped over and stays where it is).
//
// Concurrency in the pool (model region_latch). Insert, remove and evict run
// under the region's policy latch (a spin latch, policy_host.hpp), taken once
// per miss (a clean victim's insert shares the evict's acquisition); a hit
// costs only the pin's CAS (on_hit is a no-op, never called). What it
// approximates with several threads: S3-FIFO of the merged stream, misses in
// the order they took the latch, frequencies counted by the pin CAS as they
// happen; a frame pinned by another thread is stepped over. on_demote is a no-op too: the pool sets a demoted
// frame's usage to 0, so it leaves S or M at the next visit of its tail.
// Priorities above 3 are honoured as extra reinsertions in M.
//
// A victim the pool could not evict after all (contract, point 5) comes back
// through on_insert with its old key: its ghost entry, if any, is dropped and
// it returns to the head of the queue it left.
//
// Cost. O(1) per hook; evict amortised O(1) (every move or reinsertion
// consumes frequency that a hit added); at most (|S| + |M|) * (usage_max + 2)
// candidates before no_frame. Memory: 17 bytes per frame, and a ghost slot
// (about 50 bytes, the hash table's share included) per frame of M's share,
// all allocated by the constructor.
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

class s3fifo_policy {
  using lists = internal::frame_lists<2>;
  static constexpr std::size_t S = 0, M = 1;

 public:
  static constexpr std::string_view name = "s3fifo";
  static constexpr concurrency_model model = concurrency_model::region_latch;
  /// The frequency cap (2 bits).
  static constexpr std::uint32_t freq_max = 3;
  /// A page leaves S for M with at least this frequency.
  static constexpr std::uint32_t promote_freq = 2;

  explicit s3fifo_policy(std::uint32_t capacity)
      : q_(capacity), keys_(capacity), ghost_(capacity) {
    resize(capacity);
  }

  /// The cache size c the queues are split by: the frames in service, at
  /// most the constructor's capacity (contract, point 8). S gets
  /// max(1, floor(c/10)), M the rest, G as many keys as M; G drops its
  /// oldest keys at once if it holds more.
  void resize(std::uint32_t c) noexcept {
    const std::size_t n = std::min<std::size_t>(c, q_.capacity());
    small_cap_ = std::max<std::size_t>(1, n / 10);
    main_cap_ = n > small_cap_ ? n - small_cap_ : 0;
    while (ghost_.total() > main_cap_ && ghost_.pop_oldest(0)) {
    }
  }

  static constexpr std::uint32_t on_hit_usage(std::uint32_t u) noexcept {
    return u < freq_max ? u + 1 : u;
  }

  void on_insert(frame_id f, page_key k) noexcept {
    if (f >= q_.capacity()) return;
    q_.remove(f);  // a tracked frame forgets its old page
    keys_[f] = k;
    if (victim_valid_ && victim_key_ == k) {  // an eviction undone (point 5)
      victim_valid_ = false;
      ghost_.erase(k);
      q_.push_newest(victim_queue_, f);
      return;
    }
    bool was_ghost;
    if (pending_valid_ && pending_key_ == k) {
      was_ghost = pending_ghost_;
      pending_valid_ = false;
      victim_valid_ = false;  // the eviction for k is complete
    } else {
      was_ghost = ghost_.erase(k) != ghost_.none;
    }
    q_.push_newest(was_ghost ? M : S, f);
  }
  void on_hit(frame_id /*f*/, page_key /*k*/) noexcept {}
  void on_demote(frame_id /*f*/) noexcept {}
  void on_remove(frame_id f) noexcept {
    if (f < q_.capacity()) q_.remove(f);
  }

  template <class V>
  frame_id evict(page_key k, V& view) noexcept {
    // The ghost test first (see above); a repeated evict for the same key
    // (the previous one found nothing) keeps the first answer.
    if (!pending_valid_ || !(pending_key_ == k)) {
      pending_key_ = k;
      pending_ghost_ = ghost_.erase(k) != ghost_.none;
      pending_valid_ = true;
    }
    if (q_.size(M) > main_cap_ || q_.size(S) == 0) {
      const frame_id v = evict_main(view);
      return v != no_frame ? v : evict_small(view);
    }
    const frame_id v = evict_small(view);
    return v != no_frame ? v : evict_main(view);
  }

  /// Frames tracked (S and M).
  [[nodiscard]] std::size_t size() const noexcept { return q_.total(); }
  /// S's and M's share of the frames, and the ghost capacity (= M's share).
  [[nodiscard]] std::size_t small_capacity() const noexcept { return small_cap_; }
  [[nodiscard]] std::size_t main_capacity() const noexcept { return main_cap_; }
  /// Frames in S, in M; keys in G.
  [[nodiscard]] std::size_t small_size() const noexcept { return q_.size(S); }
  [[nodiscard]] std::size_t main_size() const noexcept { return q_.size(M); }
  [[nodiscard]] std::size_t ghost_size() const noexcept { return ghost_.total(); }
  /// Whether `k` is remembered in G.
  [[nodiscard]] bool in_ghost(page_key k) const noexcept { return ghost_.find(k) != ghost_.none; }

 private:
  // Pops S's tail until a victim is claimed (see the diagram above); frames
  // that cannot be moved or claimed (pinned) are stepped over and stay.
  template <class V>
  frame_id evict_small(V& view) noexcept {
    const std::uint32_t in_service = view.size();
    std::uint32_t f = q_.oldest(S);
    while (f != lists::nil) {
      const std::uint32_t next = q_.newer(f);
      if (f < in_service) {
        const std::uint32_t u = view.usage(f);
        if (u >= promote_freq) {
          // Promotion resets the frequency; a priority credit above the
          // frequency range (pool.hpp, "Priorities") is kept.
          if (view.set_usage(f, u, u > freq_max ? u : 0)) q_.move_to_newest(M, f);
        } else if (view.claim(f)) {
          q_.remove(f);
          if (main_cap_ > 0) {  // G holds main_cap_ keys: drop its oldest when full
            while (ghost_.total() >= main_cap_ && ghost_.pop_oldest(0)) {
            }
            ghost_.push_newest(0, keys_[f]);
          }
          remember_victim(f, S);
          return f;
        }
      }
      f = next;
    }
    return no_frame;
  }
  // FIFO-reinsertion over M: list_sweep's credits are exactly S3-FIFO's
  // "back to the head with freq - 1".
  template <class V>
  frame_id evict_main(V& view) noexcept {
    const frame_id v = internal::sweep_oldest(q_, M, view);
    if (v != no_frame) remember_victim(v, M);
    return v;
  }
  void remember_victim(frame_id f, std::size_t queue) noexcept {
    victim_valid_ = true;
    victim_key_ = keys_[f];
    victim_queue_ = queue;
  }

  std::size_t small_cap_ = 1;
  std::size_t main_cap_ = 0;
  lists q_;
  std::vector<page_key> keys_;
  internal::ghost_lists<1> ghost_;
  // The incoming key of the last evict, and whether it was in G.
  page_key pending_key_{};
  bool pending_ghost_ = false;
  bool pending_valid_ = false;
  // The last victim, so that a failed eviction can be undone (point 5).
  page_key victim_key_{};
  std::size_t victim_queue_ = S;
  bool victim_valid_ = false;
};

static_assert(eviction_policy<s3fifo_policy>);

}  // namespace pagepool::policy
