// src/policy/frame_heap.hpp: an indexed binary min-heap of frames, ordered by
// a 64-bit priority and then a 64-bit tie-breaker (LRU-2's queue of pages by
// their second most recent reference, lru2.hpp).
//
// Each frame is in the heap at most once; pos_[f] says where, so that a
// frame's priority can change or the frame can leave from the middle in
// O(log n). The arrays are sized for every frame by the constructor: nothing
// allocates afterwards.
//
// Not thread-safe: used under the region's policy latch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace pagepool::policy::internal {

class frame_heap {
 public:
  static constexpr std::uint32_t npos = 0xFFFFFFFFu;

  explicit frame_heap(std::uint32_t capacity)
      : pos_(capacity, npos), prio_(capacity, 0), tie_(capacity, 0) {
    heap_.reserve(capacity);
  }

  [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }
  [[nodiscard]] bool contains(std::uint32_t f) const noexcept { return pos_[f] != npos; }
  /// The frame with the smallest (priority, tie), or npos if empty.
  [[nodiscard]] std::uint32_t top() const noexcept { return heap_.empty() ? npos : heap_[0]; }
  [[nodiscard]] std::uint64_t priority(std::uint32_t f) const noexcept { return prio_[f]; }

  /// Adds f, or moves it if it is there already.
  void set(std::uint32_t f, std::uint64_t prio, std::uint64_t tie) noexcept {
    prio_[f] = prio;
    tie_[f] = tie;
    if (pos_[f] == npos) {
      pos_[f] = static_cast<std::uint32_t>(heap_.size());
      heap_.push_back(f);  // never grows past the reserved capacity
      up(pos_[f]);
    } else {
      up(pos_[f]);
      down(pos_[f]);
    }
  }

  /// Takes f out; a no-op if it is not there.
  void erase(std::uint32_t f) noexcept {
    const std::uint32_t i = pos_[f];
    if (i == npos) return;
    pos_[f] = npos;
    const std::uint32_t last = heap_.back();
    heap_.pop_back();
    if (last == f) return;
    heap_[i] = last;
    pos_[last] = i;
    up(i);
    down(pos_[last]);
  }

 private:
  [[nodiscard]] bool less(std::uint32_t a, std::uint32_t b) const noexcept {
    return prio_[a] != prio_[b] ? prio_[a] < prio_[b] : tie_[a] < tie_[b];
  }
  void swap_at(std::uint32_t i, std::uint32_t j) noexcept {
    std::swap(heap_[i], heap_[j]);
    pos_[heap_[i]] = i;
    pos_[heap_[j]] = j;
  }
  void up(std::uint32_t i) noexcept {
    while (i > 0) {
      const std::uint32_t p = (i - 1) / 2;
      if (!less(heap_[i], heap_[p])) return;
      swap_at(i, p);
      i = p;
    }
  }
  void down(std::uint32_t i) noexcept {
    const auto n = static_cast<std::uint32_t>(heap_.size());
    for (;;) {
      const std::uint32_t l = 2 * i + 1, r = l + 1;
      std::uint32_t m = i;
      if (l < n && less(heap_[l], heap_[m])) m = l;
      if (r < n && less(heap_[r], heap_[m])) m = r;
      if (m == i) return;
      swap_at(i, m);
      i = m;
    }
  }

  std::vector<std::uint32_t> heap_;
  std::vector<std::uint32_t> pos_;
  std::vector<std::uint64_t> prio_, tie_;
};

}  // namespace pagepool::policy::internal
