// src/port/assert.hpp: PAGEPOOL_ASSERT(cond, "what broke").
//
// A broken invariant aborts with a message; it is never an exception. Checked
// in Debug builds and when PAGEPOOL_ASSERTS is defined, compiled out otherwise.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace pagepool::internal {
[[noreturn]] inline void assert_fail(const char* cond, const char* msg, const char* file, int line) {
  std::fprintf(stderr, "pagepool: %s:%d: assertion '%s' failed: %s\n", file, line, cond, msg);
  std::abort();
}
}  // namespace pagepool::internal

#if defined(PAGEPOOL_ASSERTS)
#define PAGEPOOL_ASSERT(cond, msg) \
  ((cond) ? (void)0 : ::pagepool::internal::assert_fail(#cond, msg, __FILE__, __LINE__))
#else
#define PAGEPOOL_ASSERT(cond, msg) ((void)0)
#endif
