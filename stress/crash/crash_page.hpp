// stress/crash/crash_page.hpp: the page format of the crash harness: every
// page says which page and which version it is, and carries a CRC-32 over all
// of its other bytes, so that a page read back after a SIGKILL is told to be
// absent (all zero), whole (some version of this page), or torn / foreign.
//
// Layout of a page of `page_size` bytes (native byte order; the parent and the
// child are the same binary on the same machine):
//
//   offset 0   u64  magic "PPCRASH1"
//   offset 8   u32  file number (0 or 1)
//   offset 12  u32  page number
//   offset 16  u64  version (> 0; the page's writes are numbered 1, 2, ...)
//   offset 24  u32  number of the writer thread (for failure messages)
//   offset 28  u32  0
//   offset 32  ...  a pseudo-random stream seeded by (file, page, version),
//                   so that two versions differ in every word
//   last 4     u32  zlib crc32 of bytes [0, page_size - 4)
//
// Version 0 is a page of zero bytes: a hole, or a page past the end of the
// file. A page is `whole` if its magic, file and page number and CRC are
// right; anything else but all zeros is `torn` (a mix of two writes, a
// partial write, another page's bytes, garbage).
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace pagepool::stress::crash {

inline constexpr std::uint64_t page_magic =
    0x3148534152435050ull;  // "PPCRASH1" read as little-endian bytes
inline constexpr std::size_t page_header = 32;

/// The CRC-32 (zlib's, the IEEE polynomial) of `n` bytes.
inline std::uint32_t crc_of(const void* data, std::size_t n) noexcept {
  // zlib takes a uInt length: feed the bytes in chunks that fit.
  uLong crc = ::crc32(0L, Z_NULL, 0);
  const auto* p = static_cast<const Bytef*>(data);
  while (n > 0) {
    const auto chunk = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    crc = ::crc32(crc, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

/// Writes version `version` of page (file_no, pgno) over `page`, CRC last.
/// The caller holds the page pinned for writing: nothing else reads it now.
inline void fill_page(void* page, std::size_t page_size, std::uint32_t file_no, std::uint32_t pgno,
                      std::uint64_t version, std::uint32_t writer) noexcept {
  auto* b = static_cast<unsigned char*>(page);
  const std::uint32_t zero = 0;
  std::memcpy(b + 0, &page_magic, 8);
  std::memcpy(b + 8, &file_no, 4);
  std::memcpy(b + 12, &pgno, 4);
  std::memcpy(b + 16, &version, 8);
  std::memcpy(b + 24, &writer, 4);
  std::memcpy(b + 28, &zero, 4);
  // splitmix64 stream: every 8-byte word of the body depends on all three.
  std::uint64_t x = (std::uint64_t{file_no} << 56) ^ (std::uint64_t{pgno} << 24) ^
                    (version * 0x9E3779B97F4A7C15ull);
  const std::size_t body_end = page_size - 4;
  for (std::size_t off = page_header; off < body_end; off += 8) {
    x += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    std::memcpy(b + off, &z, std::min<std::size_t>(8, body_end - off));
  }
  const std::uint32_t crc = crc_of(b, body_end);
  std::memcpy(b + body_end, &crc, 4);
}

/// What a page read back holds.
struct page_verdict {
  enum kind_t { zero, whole, torn } kind = zero;
  std::uint64_t version = 0;  // for whole pages
  std::uint32_t writer = 0;   // for whole pages
  std::string why;            // for torn pages
};

/// Classifies page (file_no, pgno) as read back into `page`.
inline page_verdict check_page(const void* page, std::size_t page_size, std::uint32_t file_no,
                               std::uint32_t pgno) {
  const auto* b = static_cast<const unsigned char*>(page);
  page_verdict v;
  if (std::all_of(b, b + page_size, [](unsigned char c) { return c == 0; })) return v;
  v.kind = page_verdict::torn;
  std::uint64_t magic = 0, version = 0;
  std::uint32_t f = 0, p = 0, writer = 0, crc = 0;
  std::memcpy(&magic, b + 0, 8);
  std::memcpy(&f, b + 8, 4);
  std::memcpy(&p, b + 12, 4);
  std::memcpy(&version, b + 16, 8);
  std::memcpy(&writer, b + 24, 4);
  std::memcpy(&crc, b + page_size - 4, 4);
  if (magic != page_magic) {
    v.why = "bad magic";
  } else if (f != file_no || p != pgno) {
    v.why = "the header names file " + std::to_string(f) + " page " + std::to_string(p);
  } else if (version == 0) {
    v.why = "version 0 in a page that is not all zero";
  } else if (crc != crc_of(b, page_size - 4)) {
    v.why = "CRC mismatch (header says version " + std::to_string(version) + ")";
  } else {
    v.kind = page_verdict::whole;
    v.version = version;
    v.writer = writer;
  }
  return v;
}

}  // namespace pagepool::stress::crash
