// src/io/checksum.hpp: CRC32C and the page checksum field (stamp / verify).
//
// Two CRC32C engines compute the same function:
//   - crc32c_hw: the SSE4.2 crc32 instruction, eight bytes at a time (x86-64
//     only; compiled for that target alone, so the library still runs on a
//     CPU without SSE4.2);
//   - crc32c_sw: slicing-by-8 over tables built at compile time, for every
//     other CPU.
// crc32c() (the public one, pagepool/checksum.hpp) picks one at its first
// call with __builtin_cpu_supports("sse4.2") and keeps it.
//
// Debian packages checked for a CRC32C library before writing this: Google's
// crc32c (libcrc32c-dev) is not in Debian 12; ISA-L (libisal-dev) has
// crc32_iscsi, but as one entry point of a large SIMD library with its own
// init/xor convention, which is more dependency than the 60 lines here; zlib
// and libiberty only have the other polynomial (CRC-32/ISO-HDLC).
//
// The page field: the CRC covers the page except the 4 field bytes (the bytes
// before it, then the bytes after it) and is stored little-endian.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pagepool/checksum.hpp"

namespace pagepool::internal {

/// Table-driven CRC32C, continuing from `crc` (0 to start).
std::uint32_t crc32c_sw(const void* data, std::size_t n, std::uint32_t crc) noexcept;
/// Whether this CPU has the SSE4.2 crc32 instruction (false off x86-64).
bool crc32c_hw_available() noexcept;
/// SSE4.2 CRC32C; call only when crc32c_hw_available().
std::uint32_t crc32c_hw(const void* data, std::size_t n, std::uint32_t crc) noexcept;

/// Byte offset of the checksum field in a page of `page_size` bytes, or -1 if
/// the field does not fit.
std::ptrdiff_t checksum_field(const checksum_options& o, std::size_t page_size) noexcept;

/// The CRC of `page` without its field at `field`.
std::uint32_t page_crc(const std::byte* page, std::size_t page_size, std::size_t field) noexcept;

/// Writes the page's CRC into its field (little-endian).
void stamp_checksum(std::byte* page, std::size_t page_size, std::size_t field) noexcept;

enum class checksum_verdict {
  ok,       ///< the field matches the CRC
  blank,    ///< the whole page is zero: never written
  corrupt,  ///< neither
};
checksum_verdict verify_checksum(const std::byte* page, std::size_t page_size,
                                 std::size_t field) noexcept;

}  // namespace pagepool::internal
