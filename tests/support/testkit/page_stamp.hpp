// testkit/page_stamp.hpp: the version-stamp page format of the tests, the
// stress driver and the demo. Every 8-byte word of a page says which version
// of which page it belongs to, so that a torn page, a stale page or another
// page's bytes are told apart word by word, without an oracle.
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
// version. Versions are kept below 2^32. The file number tells the files of a
// run apart (0 where there is one file).
//
// A stamp covers the first `bytes` bytes of a page, a multiple of 8: all of it,
// or all but the last word where pagepool's CRC32C trailer owns the last four
// bytes (crc32c_trailer.hpp). This is the on-disk format of the stress
// driver's data files (stress/README.md); tests/testkit/page_stamp_test.cpp
// pins it.
//
// Pages are read and written with relaxed std::atomic_ref loads and stores of
// whole words: page memory is size_t-aligned (page_handle.hpp), so each word
// is single-copy atomic and a reader racing a writer (an optimistic read, the
// stress oracle's seqlock: page_oracle.hpp) sees, in each word, one version or
// the other, never a mix, and no data race. On a private buffer the same
// loads and stores are plain ones.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "pagepool/types.hpp"

namespace pagepool::testkit {

inline constexpr std::uint32_t stamp_magic = 0x5354u;  // "ST"
/// The highest version a stamp holds.
inline constexpr std::uint64_t max_stamp_version = std::numeric_limits<std::uint32_t>::max();

/// The low half of word `i` of version `version` (> 0) of page (file_no, pgno).
constexpr std::uint32_t stamp_low(pgno_t pgno, std::uint64_t version, std::size_t i,
                                  std::uint16_t file_no) noexcept {
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
constexpr std::uint64_t stamp_word(pgno_t pgno, std::uint64_t version, std::size_t i,
                                   std::uint16_t file_no) noexcept {
  if (version == 0) return 0;
  return (version & 0xFFFFFFFFull) << 32 | stamp_low(pgno, version, i, file_no);
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

/// Scans the first `bytes` bytes of `page` as page (file_no, pgno), word by
/// word with relaxed atomic loads.
inline stamp_scan scan_page(const void* page, std::size_t bytes, pgno_t pgno,
                            std::uint16_t file_no = 0) noexcept {
  // atomic_ref needs a non-const object; nothing is stored through it here.
  auto* w = static_cast<std::uint64_t*>(const_cast<void*>(page));
  stamp_scan s;
  for (std::size_t i = 0; i < bytes / sizeof(std::uint64_t); ++i) {
    const std::uint64_t x = std::atomic_ref<std::uint64_t>(w[i]).load(std::memory_order_relaxed);
    const std::uint64_t v = x >> 32;
    const bool ok = v == 0 ? x == 0 : static_cast<std::uint32_t>(x) == stamp_low(pgno, v, i, file_no);
    if (!ok) {
      if (s.whole) {
        s.whole = false;
        s.bad_index = i;
        s.bad_word = x;
      }
      continue;
    }
    if (v < s.min_version) s.min_version = v;
    if (v > s.max_version) s.max_version = v;
  }
  return s;
}

/// Writes version `version` (<= max_stamp_version; 0: zeros) of page
/// (file_no, pgno) over the first `bytes` bytes of `page`, word by word with
/// relaxed atomic stores.
inline void stamp_page(void* page, std::size_t bytes, pgno_t pgno, std::uint64_t version,
                       std::uint16_t file_no = 0) noexcept {
  auto* w = static_cast<std::uint64_t*>(page);
  for (std::size_t i = 0; i < bytes / sizeof(std::uint64_t); ++i)
    std::atomic_ref<std::uint64_t>(w[i]).store(stamp_word(pgno, version, i, file_no),
                                                std::memory_order_relaxed);
}

/// The version of page (file_no, pgno) that `page` holds if it is a whole
/// stamp of one version (0 for zeros); std::nullopt if it is torn or foreign.
inline std::optional<std::uint64_t> stamp_version(const void* page, std::size_t bytes, pgno_t pgno,
                                                  std::uint16_t file_no = 0) noexcept {
  const stamp_scan s = scan_page(page, bytes, pgno, file_no);
  if (!s.whole) return std::nullopt;
  if (s.max_version == 0) return 0;  // all zeros (or no word at all)
  if (s.min_version != s.max_version) return std::nullopt;
  return s.max_version;
}

/// Describes a scan for a failure message: the first word that is no version
/// of page (file_no, pgno), and the versions of the whole words.
std::string describe_scan(const stamp_scan& s, pgno_t pgno, std::uint16_t file_no = 0);

/// "" if `page` holds exactly version `expected` of page (file_no, pgno), else
/// what it holds instead ("page 7: expected version 3, found ...").
std::string stamp_mismatch(const void* page, std::size_t bytes, pgno_t pgno, std::uint64_t expected,
                           std::uint16_t file_no = 0);

}  // namespace pagepool::testkit
