// src/io/scratch_page.hpp: a page buffer per thread, 4 KiB-aligned (so that
// O_DIRECT accepts it), for copies that write-back and eviction write from.
#pragma once

#include <cstddef>

namespace pagepool::internal {

/// This thread's scratch buffer of at least `size` bytes (it grows as
/// needed, and is freed at thread exit); nullptr if it cannot be allocated.
std::byte* scratch_page(std::size_t size) noexcept;

}  // namespace pagepool::internal
