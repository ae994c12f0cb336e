// Shared by the unit tests of src/frame/frame.hpp's frame_ops
// (frame_ops_test.cpp, frame_ops_claim_write_test.cpp): the aliases, the
// printer of pin_result for gtest, the word builders (ver, use, writers), the
// hit rules and the reader's put the tests pass to frame_ops, and test_frame,
// a frame whose state word a test stores directly. Words are built with
// frame_state's fields (see the header comment of frame_ops_test.cpp).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <ostream>

#include "frame/frame.hpp"

namespace pagepool::internal {
namespace {

using fs = frame_state;
using word = fs::word;
using frame_ops::pin_result;

}  // namespace
namespace frame_ops {
inline void PrintTo(pin_result r, std::ostream* os) {
  switch (r) {
    case pin_result::pinned:
      *os << "pinned";
      return;
    case pin_result::busy:
      *os << "busy";
      return;
    case pin_result::full:
      *os << "full";
      return;
    case pin_result::changed:
      *os << "changed";
      return;
  }
  *os << "pin_result(" << static_cast<int>(r) << ")";
}
}  // namespace frame_ops
namespace {

constexpr word ver(std::uint32_t v) { return word{v} << fs::version_shift; }
constexpr word use(word u) { return u << fs::usage_shift; }
constexpr word writers(word n) { return n << fs::writers_shift; }

// The hit rule of a policy that leaves usage alone.
constexpr auto no_rule = [](word w) { return w; };
// A hit rule that counts a hit in the usage bits (CLOCK-like), capped.
constexpr auto count_hit = [](word w) {
  return fs::with_usage(w, std::min<word>(fs::usage(w) + 1, fs::usage_max));
};
// The put of a reader: one pin less, nothing else.
constexpr auto put_read = [](word s) -> word {
  return fs::pins(s) == 0 ? 0 : fs::unpinned(s, false);
};

// A frame whose word is `s`.
struct test_frame {
  frame fr;
  explicit test_frame(word s) { fr.state.store(s, std::memory_order_relaxed); }
  word now() const { return fr.state.load(std::memory_order_relaxed); }
};
}  // namespace
}  // namespace pagepool::internal
