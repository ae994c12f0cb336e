// tests/unit/share/latch_churn.hpp: the record registry_helper's
// "latch-churn" mode keeps under an owned_latch in a shared page, at offset
// 128 (after the latch and the "count" mode's counter), and
// owned_latch_test.cpp reads. a and b move together, a first; owner is the
// holder's id while it changes them. A holder killed between the two leaves
// them apart, and its taker puts b back level with a. Accessed with relaxed
// atomic_refs: the test reads ops while helpers run.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pagepool::test {

struct churn_record {
  std::uint64_t a, b;
  std::uint64_t repairs;  // takeovers from a dead holder
  std::uint64_t ops;      // changes made (the test's progress)
  std::uint32_t owner;
};
inline constexpr std::size_t churn_offset = 128;

}  // namespace pagepool::test
