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

inline std::error_code E(int e) { return pagepool::errno_code(e); }
inline const std::error_code ok{};
inline std::error_code not_found() { return make_error_code(pagepool::errc::page_not_found); }
inline std::error_code incomplete() { return make_error_code(pagepool::errc::incomplete); }

}  // namespace pagepool_fuzz
