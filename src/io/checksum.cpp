// src/io/checksum.cpp: CRC32C (hardware and table engines) and the page
// field. The design is in io/checksum.hpp and pagepool/checksum.hpp;
// register_checksum is with the pool's facade (core/pool.cpp).
#include "io/checksum.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif


namespace pagepool::internal {

namespace {

/// CRC32C's polynomial 0x1EDC6F41, bit-reversed (the CRC is computed LSB first).
constexpr std::uint32_t castagnoli_reflected = 0x82F63B78u;

/// tables[0][b]: the CRC register after shifting byte b through it.
/// tables[k][b]: the same byte followed by k zero bytes, so that eight bytes
/// fold in with eight look-ups (slicing-by-8).
using crc_tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr crc_tables make_tables() {
  crc_tables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1u) != 0 ? castagnoli_reflected : 0u);
    t[0][i] = c;
  }
  for (std::size_t k = 1; k < 8; ++k)
    for (std::uint32_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFFu];
  return t;
}

constexpr crc_tables tables = make_tables();
static_assert(tables[0][0x80] == castagnoli_reflected, "byte 0x80 shifts to the polynomial");

/// Little-endian 32-bit load, whatever the host's byte order.
inline std::uint32_t load_le32(const unsigned char* p) noexcept {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
         std::uint32_t{p[3]} << 24;
}

}  // namespace

std::uint32_t crc32c_sw(const void* data, std::size_t n, std::uint32_t crc) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t c = ~crc;
  while (n >= 8) {
    const std::uint32_t lo = c ^ load_le32(p);
    const std::uint32_t hi = load_le32(p + 4);
    c = tables[7][lo & 0xFFu] ^ tables[6][(lo >> 8) & 0xFFu] ^ tables[5][(lo >> 16) & 0xFFu] ^
        tables[4][lo >> 24] ^ tables[3][hi & 0xFFu] ^ tables[2][(hi >> 8) & 0xFFu] ^
        tables[1][(hi >> 16) & 0xFFu] ^ tables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ tables[0][(c ^ *p++) & 0xFFu];
  return ~c;
}

#if defined(__x86_64__)
bool crc32c_hw_available() noexcept {
  __builtin_cpu_init();  // in case the first call comes from a static constructor
  return __builtin_cpu_supports("sse4.2") != 0;
}

__attribute__((target("sse4.2"))) std::uint32_t crc32c_hw(const void* data, std::size_t n,
                                                          std::uint32_t crc) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t c = ~crc;
  // Bytes up to an 8-byte boundary, then words (the instruction is the same
  // CRC fed 8 bytes little-endian, which x86 is), then the tail.
  while (n > 0 && (reinterpret_cast<std::uintptr_t>(p) & 7u) != 0) {
    c = _mm_crc32_u8(c, *p++);
    --n;
  }
  std::uint64_t c64 = c;
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    c64 = _mm_crc32_u64(c64, w);
    p += 8;
    n -= 8;
  }
  c = static_cast<std::uint32_t>(c64);
  while (n-- > 0) c = _mm_crc32_u8(c, *p++);
  return ~c;
}
#else
bool crc32c_hw_available() noexcept { return false; }
std::uint32_t crc32c_hw(const void* data, std::size_t n, std::uint32_t crc) noexcept {
  return crc32c_sw(data, n, crc);  // no such instruction here
}
#endif

std::ptrdiff_t checksum_field(const checksum_options& o, std::size_t page_size) noexcept {
  if (page_size < 4) return -1;
  switch (o.where) {
    case checksum_options::place::trailer: return static_cast<std::ptrdiff_t>(page_size - 4);
    case checksum_options::place::offset:
      if (o.offset > page_size - 4) return -1;
      return static_cast<std::ptrdiff_t>(o.offset);
  }
  return -1;
}

std::uint32_t page_crc(const std::byte* page, std::size_t page_size, std::size_t field) noexcept {
  const std::uint32_t head = pagepool::crc32c(page, field);
  return pagepool::crc32c(page + field + 4, page_size - field - 4, head);
}

void stamp_checksum(std::byte* page, std::size_t page_size, std::size_t field) noexcept {
  const std::uint32_t c = page_crc(page, page_size, field);
  for (int i = 0; i < 4; ++i) page[field + i] = static_cast<std::byte>(c >> (8 * i));
}

checksum_verdict verify_checksum(const std::byte* page, std::size_t page_size,
                                 std::size_t field) noexcept {
  const std::uint32_t stored = load_le32(reinterpret_cast<const unsigned char*>(page + field));
  if (stored == page_crc(page, page_size, field)) return checksum_verdict::ok;
  // The CRC of a zero page is not zero, so an all-zero page never matches;
  // it is a page that was never written, not a damaged one.
  if (stored == 0) {
    bool zero = true;
    for (std::size_t i = 0; i < page_size && zero; ++i) zero = page[i] == std::byte{0};
    if (zero) return checksum_verdict::blank;
  }
  return checksum_verdict::corrupt;
}

}  // namespace pagepool::internal

namespace pagepool {

std::uint32_t crc32c(const void* data, std::size_t n, std::uint32_t crc) noexcept {
  using engine = std::uint32_t (*)(const void*, std::size_t, std::uint32_t) noexcept;
  static const engine pick =
      internal::crc32c_hw_available() ? &internal::crc32c_hw : &internal::crc32c_sw;
  return pick(data, n, crc);
}

}  // namespace pagepool
