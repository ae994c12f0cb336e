// src/port/cache_line.hpp: the cache-line size, and a CPU pause for spin loops.
#pragma once

#include <cstddef>

namespace pagepool::internal {

/// Destructive interference size on the machines pagepool targets (x86-64,
/// AArch64). Fixed rather than std::hardware_destructive_interference_size so
/// that the layout of shared state does not change with compiler flags.
inline constexpr std::size_t cache_line = 64;

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace pagepool::internal
