// stress/page_stamp.hpp: the page format of the stress driver. Every 8-byte
// word of a page says which version of which page it belongs to, so that a
// torn page, a stale page or another page's bytes are told apart word by word.
//
// Version 0 is a page of zero bytes: what get_flags::create makes, what a hole
// or a read past the end of a file gives. A page of version v > 0 holds, in
// word i, (v << 32) | low(i), where
//   low(0) = pgno,
//   low(1) = 'S' 'T' << 16 | file number,
//   low(i) = a 32-bit hash of (file number, pgno, v, i) for i >= 2.
// A word whose high half is 0 must be 0 (version 0); any other word must have
// the low half its high half predicts. So a word is "whole" if it is a word of
// some version of this page, and a page is "whole" if all its words are of one
// version. Versions are kept below 2^32.
//
// Pages in the pool are read and written with relaxed std::atomic_ref loads and
// stores of whole words (see oracle.hpp for why): page memory is size_t-aligned
// (page_handle.hpp), so each word is single-copy atomic and a reader racing a
// writer sees, in each word, one version or the other, never a mix.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "pagepool/types.hpp"

namespace pagepool::stress {

inline constexpr std::uint32_t stamp_magic = 0x5354u;  // "ST"
inline constexpr std::uint64_t max_version = std::numeric_limits<std::uint32_t>::max();

/// The low half of word `i` of version `version` (> 0) of page (file_no, pgno).
constexpr std::uint32_t stamp_low(std::uint16_t file_no, pgno_t pgno, std::uint64_t version,
                                  std::size_t i) noexcept {
  if (i == 0) return pgno;
  if (i == 1) return stamp_magic << 16 | file_no;
  // splitmix64 finaliser over all four inputs: neighbouring words, versions and
  // pages differ in about half their bits.
  std::uint64_t x = (std::uint64_t{file_no} << 48) ^ (std::uint64_t{pgno} << 16) ^
                    (version * 0x9E3779B97F4A7C15ull) ^ (std::uint64_t{i} << 40) ^ i;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  x ^= x >> 31;
  return static_cast<std::uint32_t>(x);
}

/// Word `i` of version `version` of page (file_no, pgno).
constexpr std::uint64_t stamp_word(std::uint16_t file_no, pgno_t pgno, std::uint64_t version,
                                   std::size_t i) noexcept {
  if (version == 0) return 0;
  return (version & 0xFFFFFFFFull) << 32 | stamp_low(file_no, pgno, version, i);
}

/// What a scan of a page found.
struct stamp_scan {
  /// Every word is a whole word of some version of this page.
  bool whole = true;
  /// The first word that is not (when !whole), and its value.
  std::size_t bad_index = 0;
  std::uint64_t bad_word = 0;
  /// The lowest and highest version among the whole words.
  std::uint64_t min_version = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_version = 0;

  /// Every word is of version v.
  [[nodiscard]] bool is_exactly(std::uint64_t v) const noexcept {
    return whole && min_version == v && max_version == v;
  }
};

/// Scans `words` words given by load(i) as page (file_no, pgno).
template <typename Load>
stamp_scan scan_stamp(Load&& load, std::size_t words, std::uint16_t file_no, pgno_t pgno) {
  stamp_scan s;
  for (std::size_t i = 0; i < words; ++i) {
    const std::uint64_t w = load(i);
    const std::uint64_t v = w >> 32;
    const bool ok = v == 0 ? w == 0 : static_cast<std::uint32_t>(w) == stamp_low(file_no, pgno, v, i);
    if (!ok) {
      if (s.whole) {
        s.whole = false;
        s.bad_index = i;
        s.bad_word = w;
      }
      continue;
    }
    if (v < s.min_version) s.min_version = v;
    if (v > s.max_version) s.max_version = v;
  }
  return s;
}

/// Scans a page in the pool, word by word with relaxed atomic loads.
inline stamp_scan scan_pool_page(const void* page, std::size_t page_size, std::uint16_t file_no,
                                 pgno_t pgno) {
  // atomic_ref needs a non-const object; nothing is stored through it here.
  auto* w = static_cast<std::uint64_t*>(const_cast<void*>(page));
  return scan_stamp(
      [w](std::size_t i) { return std::atomic_ref<std::uint64_t>(w[i]).load(std::memory_order_relaxed); },
      page_size / sizeof(std::uint64_t), file_no, pgno);
}

/// Scans a private buffer (a page read from disk with pread).
inline stamp_scan scan_buffer(const std::uint64_t* words, std::size_t page_size,
                              std::uint16_t file_no, pgno_t pgno) {
  return scan_stamp([words](std::size_t i) { return words[i]; }, page_size / sizeof(std::uint64_t),
                    file_no, pgno);
}

/// Writes version `version` over a page in the pool with relaxed atomic stores.
inline void store_pool_page(void* page, std::size_t page_size, std::uint16_t file_no, pgno_t pgno,
                            std::uint64_t version) {
  auto* w = static_cast<std::uint64_t*>(page);
  for (std::size_t i = 0; i < page_size / sizeof(std::uint64_t); ++i)
    std::atomic_ref<std::uint64_t>(w[i]).store(stamp_word(file_no, pgno, version, i),
                                                std::memory_order_relaxed);
}

/// Fills a private buffer with version `version` (for pwrite).
inline void fill_buffer(std::uint64_t* words, std::size_t page_size, std::uint16_t file_no,
                        pgno_t pgno, std::uint64_t version) {
  for (std::size_t i = 0; i < page_size / sizeof(std::uint64_t); ++i)
    words[i] = stamp_word(file_no, pgno, version, i);
}

}  // namespace pagepool::stress
