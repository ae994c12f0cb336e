// src/policy/frame_lists.hpp: up to N intrusive doubly linked lists over the
// indices 0..capacity-1, each index in at most one list.
//
// The list policies keep their queues here: FIFO and LRU one list, SIEVE one,
// S3-FIFO two (S and M), ARC two (T1 and T2), and the ghost lists the same
// structure over ghost slots. The links are two arrays indexed by frame
// (newer and older neighbour), plus one byte per frame saying which list holds
// it, all allocated by the constructor: moving, inserting and removing are
// O(1) and never allocate.
//
// Orientation: every list runs from its newest end (where FIFO and LRU put a
// new page, LRU's MRU end) to its oldest end (where eviction looks first):
//
//   newest(l) <-> ... <-> older(f) ... <-> oldest(l)
//      ^ newer(x) points this way       older(x) points that way v
//
// Not thread-safe: the policies that use it run under the region's latch.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace pagepool::policy::internal {

template <std::size_t N>
class frame_lists {
  static_assert(N >= 1 && N < 255, "frame_lists: 1..254 lists");

 public:
  static constexpr std::uint32_t nil = 0xFFFFFFFFu;
  static constexpr std::uint8_t none = 0xFF;

  explicit frame_lists(std::uint32_t capacity)
      : newer_(capacity, nil), older_(capacity, nil), list_(capacity, none) {
    newest_.fill(nil);
    oldest_.fill(nil);
    size_.fill(0);
  }

  [[nodiscard]] std::uint32_t capacity() const noexcept { return static_cast<std::uint32_t>(list_.size()); }
  /// The list that holds `f`, or none.
  [[nodiscard]] std::uint8_t list_of(std::uint32_t f) const noexcept { return list_[f]; }
  [[nodiscard]] bool contains(std::uint32_t f) const noexcept { return list_[f] != none; }
  [[nodiscard]] std::size_t size(std::size_t l) const noexcept { return size_[l]; }
  [[nodiscard]] std::size_t total() const noexcept {
    std::size_t t = 0;
    for (std::size_t s : size_) t += s;
    return t;
  }
  [[nodiscard]] std::uint32_t newest(std::size_t l) const noexcept { return newest_[l]; }
  [[nodiscard]] std::uint32_t oldest(std::size_t l) const noexcept { return oldest_[l]; }
  /// The neighbour towards the newest end, or nil.
  [[nodiscard]] std::uint32_t newer(std::uint32_t f) const noexcept { return newer_[f]; }
  /// The neighbour towards the oldest end, or nil.
  [[nodiscard]] std::uint32_t older(std::uint32_t f) const noexcept { return older_[f]; }

  /// Puts an untracked `f` at the newest end of list l.
  void push_newest(std::size_t l, std::uint32_t f) noexcept {
    newer_[f] = nil;
    older_[f] = newest_[l];
    if (newest_[l] != nil) newer_[newest_[l]] = f; else oldest_[l] = f;
    newest_[l] = f;
    list_[f] = static_cast<std::uint8_t>(l);
    ++size_[l];
  }

  /// Puts an untracked `f` at the oldest end of list l.
  void push_oldest(std::size_t l, std::uint32_t f) noexcept {
    older_[f] = nil;
    newer_[f] = oldest_[l];
    if (oldest_[l] != nil) older_[oldest_[l]] = f; else newest_[l] = f;
    oldest_[l] = f;
    list_[f] = static_cast<std::uint8_t>(l);
    ++size_[l];
  }

  /// Takes `f` out of its list; a no-op for an untracked f.
  void remove(std::uint32_t f) noexcept {
    const std::uint8_t l = list_[f];
    if (l == none) return;
    const std::uint32_t n = newer_[f], o = older_[f];
    if (n != nil) older_[n] = o; else newest_[l] = o;
    if (o != nil) newer_[o] = n; else oldest_[l] = n;
    newer_[f] = older_[f] = nil;
    list_[f] = none;
    --size_[l];
  }

  void move_to_newest(std::size_t l, std::uint32_t f) noexcept {
    remove(f);
    push_newest(l, f);
  }
  void move_to_oldest(std::size_t l, std::uint32_t f) noexcept {
    remove(f);
    push_oldest(l, f);
  }

 private:
  std::vector<std::uint32_t> newer_, older_;
  std::vector<std::uint8_t> list_;
  std::array<std::uint32_t, N> newest_{}, oldest_{};
  std::array<std::size_t, N> size_{};
};

}  // namespace pagepool::policy::internal
