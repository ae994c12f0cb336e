// tests/fuzz/fuzz_common.hpp: what every part of pagepool_api_fuzz shares:
// the pagepool names it uses, the fuzzer's fixed sizes (frame size, handle
// slots, the cap on model worlds and on calls per input) and the error codes
// the model predicts (E(errno), ok, not_found, incomplete).
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <system_error>

#include "pagepool/pagepool.hpp"

namespace pagepool_fuzz {

using pagepool::file;
using pagepool::get_flags;
using pagepool::open_flags;
using pagepool::pgno_t;
using pagepool::pool;
using pagepool::priority;
using pagepool::put_flags;

constexpr std::uint64_t no_limit = ~0ull;
constexpr std::size_t frame_size = 4096;
constexpr int nhandles = 4;
constexpr std::size_t max_worlds = 16;
constexpr int max_ops = 400;

constexpr std::uint32_t no_slot = ~0u;

/// The region (of nreg) that page p of the file in pool slot `slot` lives in:
/// "the region its hash selects" (pool.hpp). A mirror of pool_impl::route_of
/// (src/core/pool_impl.hpp), which the model needs to predict ENOMEM per
/// region; if route_of changes, this must follow (the "regions" seed fails).
inline unsigned region_of(std::uint32_t slot, pgno_t p, unsigned nreg) {
  if (nreg <= 1) return 0;
  std::uint64_t x = (std::uint64_t{slot} << 32) | p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return static_cast<unsigned>(((x >> 32) * nreg) >> 32);
}
/// Frames of region r when `frames` are split evenly between nreg regions
/// (pool.hpp: create and resize; the first frames % nreg get one more).
inline std::size_t region_share(unsigned r, std::size_t frames, unsigned nreg) {
  return frames / nreg + (r < frames % nreg ? 1 : 0);
}

inline std::error_code E(int e) { return pagepool::errno_code(e); }
inline const std::error_code ok{};
inline std::error_code not_found() { return make_error_code(pagepool::errc::page_not_found); }
inline std::error_code incomplete() { return make_error_code(pagepool::errc::incomplete); }

}  // namespace pagepool_fuzz
