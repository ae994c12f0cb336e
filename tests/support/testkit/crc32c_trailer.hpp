// testkit/crc32c_trailer.hpp: pagepool's CRC32C page trailer (checksum.hpp,
// place::trailer) written and checked from outside the pool, for files a test
// writes with pwrite and reads back with pread: the CRC32C of all but the last
// 4 bytes, stored little-endian in those 4 bytes; a page of zeros (a hole) is
// valid without one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pagepool/checksum.hpp"

namespace pagepool::testkit {

/// The trailer stored in the last 4 bytes of a page of `page_size` bytes.
inline std::uint32_t stored_crc32c_trailer(const void* page, std::size_t page_size) noexcept {
  const auto* b = static_cast<const unsigned char*>(page) + page_size - 4;
  return std::uint32_t{b[0]} | std::uint32_t{b[1]} << 8 | std::uint32_t{b[2]} << 16 |
         std::uint32_t{b[3]} << 24;
}

/// Stamps the trailer of `page`, as the pool's checksum page-out does.
inline void write_crc32c_trailer(void* page, std::size_t page_size) noexcept {
  auto* b = static_cast<unsigned char*>(page);
  const std::uint32_t crc = crc32c(b, page_size - 4);
  for (int i = 0; i < 4; ++i) b[page_size - 4 + i] = static_cast<unsigned char>(crc >> (8 * i));
}

/// The trailer matches the page, or the page is all zeros (a hole).
inline bool crc32c_trailer_ok(const void* page, std::size_t page_size) noexcept {
  if (stored_crc32c_trailer(page, page_size) == crc32c(page, page_size - 4)) return true;
  const auto* b = static_cast<const unsigned char*>(page);
  for (std::size_t i = 0; i < page_size; ++i)
    if (b[i] != 0) return false;
  return true;
}

}  // namespace pagepool::testkit
