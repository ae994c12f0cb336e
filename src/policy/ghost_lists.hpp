// src/policy/ghost_lists.hpp: N FIFO/LRU lists of page keys (ghost entries),
// with O(1) lookup, removal from the middle and trimming at the oldest end.
//
// S3-FIFO's ghost queue G and ARC's B1 and B2 remember pages that were
// evicted, by key only. A ghost entry lives in a slot (0..capacity-1); the
// slots are linked into their lists by a frame_lists<N> over slot indices, a
// key_table finds a key's slot, and free slots wait on a stack. Everything is
// allocated by the constructor: pushing, finding and erasing never allocate.
//
// A key is in at most one list. Pushing when every slot is taken drops the
// oldest entry of the longest list first (the policies trim before they push,
// so that is a safety net, not a policy decision).
//
// Not thread-safe: used under the region's policy latch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "pagepool/policy.hpp"
#include "policy/frame_lists.hpp"
#include "policy/key_table.hpp"

namespace pagepool::policy::internal {

template <std::size_t N>
class ghost_lists {
 public:
  static constexpr std::uint8_t none = frame_lists<N>::none;

  explicit ghost_lists(std::uint32_t capacity)
      : lists_(capacity), keys_(capacity), map_(capacity) {
    free_.reserve(capacity);
    for (std::uint32_t s = capacity; s > 0; --s) free_.push_back(s - 1);
  }

  [[nodiscard]] std::uint32_t capacity() const noexcept { return lists_.capacity(); }
  [[nodiscard]] std::size_t size(std::size_t l) const noexcept { return lists_.size(l); }
  [[nodiscard]] std::size_t total() const noexcept { return lists_.total(); }

  /// The list that holds `k`, or none.
  [[nodiscard]] std::uint8_t find(page_key k) const noexcept {
    const std::uint32_t s = map_.find(k.v);
    return s == key_table::npos ? none : lists_.list_of(s);
  }

  /// Removes `k`; returns the list it was in, or none.
  std::uint8_t erase(page_key k) noexcept {
    const std::uint32_t s = map_.erase(k.v);
    if (s == key_table::npos) return none;
    const std::uint8_t l = lists_.list_of(s);
    lists_.remove(s);
    free_.push_back(s);
    return l;
  }

  /// Drops the oldest entry of list l; false if l is empty.
  bool pop_oldest(std::size_t l) noexcept {
    const std::uint32_t s = lists_.oldest(l);
    if (s == frame_lists<N>::nil) return false;
    map_.erase(keys_[s].v);
    lists_.remove(s);
    free_.push_back(s);
    return true;
  }

  /// Adds `k` (not in any list) at the newest end of list l.
  void push_newest(std::size_t l, page_key k) noexcept {
    if (capacity() == 0) return;
    if (free_.empty()) {
      std::size_t longest = 0;
      for (std::size_t i = 1; i < N; ++i)
        if (lists_.size(i) > lists_.size(longest)) longest = i;
      pop_oldest(longest);
    }
    const std::uint32_t s = free_.back();
    free_.pop_back();
    keys_[s] = k;
    map_.insert_or_assign(k.v, s);  // never grows: at most capacity entries
    lists_.push_newest(l, s);
  }

 private:
  frame_lists<N> lists_;
  std::vector<page_key> keys_;
  key_table map_;
  std::vector<std::uint32_t> free_;
};

}  // namespace pagepool::policy::internal
