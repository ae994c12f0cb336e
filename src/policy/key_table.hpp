// src/policy/key_table.hpp: a flat hash map from 64-bit keys to 32-bit values.
//
// The policies' ghost lists, the simulator's page table and OPT's page
// numbering map a page (a page_key, or a trace's page number) to a small
// index: a frame, a ghost slot, a dense page id. std::unordered_map would
// allocate a node per entry; this table is one array of {key, value} slots,
// sized at construction for the entries it is promised, so that a policy
// allocates nothing after its constructor.
//
// Open addressing with linear probing over a power-of-two array kept at most
// half full. A slot is empty when its value is `npos` (values are indices,
// never npos), so every 64-bit key, 0 included, can be stored. Deletion is
// backward-shift (Knuth, TAOCP vol. 3, 6.4, Algorithm R): the entries after
// the hole that would no longer be found are moved into it, so there are no
// tombstones and lookups never slow down as entries come and go.
//
// If more entries are inserted than promised, the array doubles (one
// allocation, amortised); the policies never let that happen.
//
// Not thread-safe: its users run under the region's policy latch or alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pagepool::policy::internal {

class key_table {
 public:
  static constexpr std::uint32_t npos = 0xFFFFFFFFu;

  /// A table for up to `max_entries` entries without growing.
  explicit key_table(std::size_t max_entries = 0) { reserve_slots(max_entries); }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  /// The value stored for `key`, or npos.
  [[nodiscard]] std::uint32_t find(std::uint64_t key) const noexcept {
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      const slot& s = slots_[i];
      if (s.value == npos) return npos;
      if (s.key == key) return s.value;
    }
  }

  /// Stores `value` (not npos) for `key`, replacing what was there.
  void insert_or_assign(std::uint64_t key, std::uint32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      slot& s = slots_[i];
      if (s.value == npos) {
        s = {key, value};
        ++size_;
        return;
      }
      if (s.key == key) {
        s.value = value;
        return;
      }
    }
  }

  /// Removes `key`; returns the value it had, or npos if it was absent.
  std::uint32_t erase(std::uint64_t key) noexcept {
    std::size_t i = home(key);
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].value == npos) return npos;
      if (slots_[i].key == key) break;
    }
    const std::uint32_t old = slots_[i].value;
    // Backward shift: walk the cluster after the hole at i; an entry whose
    // home is not cyclically in (i, j] would be cut off from its home by the
    // hole, so it moves into the hole, and the hole moves to j.
    for (std::size_t j = (i + 1) & mask_; slots_[j].value != npos; j = (j + 1) & mask_) {
      const std::size_t h = home(slots_[j].key);
      const bool stays = (i <= j) ? (i < h && h <= j) : (i < h || h <= j);
      if (!stays) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i].value = npos;
    --size_;
    return old;
  }

  void clear() noexcept {
    for (slot& s : slots_) s.value = npos;
    size_ = 0;
  }

 private:
  struct slot {
    std::uint64_t key = 0;
    std::uint32_t value = npos;
  };

  [[nodiscard]] std::size_t home(std::uint64_t key) const noexcept {
    // Fibonacci hashing after a xor-shift, so that consecutive page numbers
    // (the common case) spread over the whole array.
    key ^= key >> 31;
    key *= 0x9E3779B97F4A7C15ull;
    return static_cast<std::size_t>(key >> shift_);
  }

  void reserve_slots(std::size_t max_entries) {
    std::size_t n = 16;
    unsigned bits = 4;
    while (n < max_entries * 2) {
      n <<= 1;
      ++bits;
    }
    slots_.assign(n, slot{});
    mask_ = n - 1;
    shift_ = 64 - bits;
    size_ = 0;
  }

  void grow() {
    std::vector<slot> old;
    old.swap(slots_);
    reserve_slots(old.size());  // twice the entries the old array allowed
    for (const slot& s : old)
      if (s.value != npos) insert_or_assign(s.key, s.value);
  }

  std::vector<slot> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  std::size_t size_ = 0;
};

}  // namespace pagepool::policy::internal
