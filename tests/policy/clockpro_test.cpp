// Unit tests of src/policy/clockpro.hpp, hand-checked with c = 5 (cold
// allocation 2: a cold start makes pages 1-3 hot and 4-5 cold in their test
// period; the clock, head first, is then 5 4 3 2 1 and every hand is at 1 but
// HAND_cold, at 4).
#include "policy/clockpro.hpp"

#include <cstdint>
#include <initializer_list>

#include <gtest/gtest.h>

#include "policy_test_support.hpp"

namespace pagepool::policy {
namespace {

using test::stepper;

char status(const clockpro_policy& p, std::uint32_t pg) { return p.status(page_key::of(0, pg)); }

void run(stepper<clockpro_policy>& s, std::initializer_list<std::uint32_t> pages) {
  for (std::uint32_t pg : pages) s.access(pg);
}

TEST(ClockPro, ColdStartFillsHotPagesFirst) {
  stepper<clockpro_policy> s(5);
  EXPECT_EQ(s.p.cold_allocation(), 2u);
  run(s, {1, 2, 3, 4, 5});
  for (std::uint32_t pg : {1u, 2u, 3u}) EXPECT_EQ(status(s.p, pg), 'H') << pg;
  for (std::uint32_t pg : {4u, 5u}) EXPECT_EQ(status(s.p, pg), 'C') << pg;
}

// 6: HAND_cold at 4, unreferenced: evicted, and kept as a non-resident page
// in its test period. Then 4 again: HAND_cold evicts 5 (also kept); 4 is in
// its test period, so HAND_hot demotes 1 (unreferenced) and 4 turns hot.
TEST(ClockPro, ReturningTestPageTurnsHot) {
  stepper<clockpro_policy> s(5);
  run(s, {1, 2, 3, 4, 5});
  EXPECT_EQ(s.access(6).evicted_page, 4u);
  EXPECT_EQ(status(s.p, 4), 'T');
  EXPECT_EQ(status(s.p, 6), 'C');
  EXPECT_EQ(s.p.nonresident_count(), 1u);
  EXPECT_EQ(s.access(4).evicted_page, 5u);
  EXPECT_EQ(status(s.p, 4), 'H');
  EXPECT_EQ(status(s.p, 1), 'C');
  EXPECT_EQ(status(s.p, 5), 'T');
  EXPECT_EQ(s.p.hot_count(), 3u);
  EXPECT_EQ(s.p.nonresident_count(), 1u);
}

// A hit on 4 sets its bit: at 6, HAND_cold finds 4 referenced in its test
// period, HAND_hot demotes 1, 4 turns hot, and the hand evicts 5 instead.
TEST(ClockPro, ReferencedColdPageIsPromoted) {
  stepper<clockpro_policy> s(5);
  run(s, {1, 2, 3, 4, 5});
  EXPECT_TRUE(s.access(4).hit);
  EXPECT_EQ(s.access(6).evicted_page, 5u);
  EXPECT_EQ(status(s.p, 4), 'H');
  EXPECT_EQ(status(s.p, 1), 'C');
}

// The simulator drops a reference to the page referenced just before: 4 4
// sets no bit, so 4 is the victim at 6 as if it had not been hit.
TEST(ClockPro, RepeatedReferenceSetsNoBit) {
  stepper<clockpro_policy> s(5);
  run(s, {1, 2, 3, 4});
  EXPECT_TRUE(s.access(4).hit);
  run(s, {5});
  EXPECT_EQ(s.access(6).evicted_page, 4u);
}

// Non-resident pages are bounded by c: a scan leaves at most c of them.
TEST(ClockPro, NonResidentPagesAreBounded) {
  stepper<clockpro_policy> s(5);
  for (std::uint32_t pg = 1; pg <= 200; ++pg) {
    s.access(pg);
    EXPECT_LE(s.p.nonresident_count(), 5u) << pg;
    EXPECT_LE(s.p.clock_size(), 10u) << pg;
  }
  EXPECT_EQ(s.p.size(), 5u);
}

}  // namespace
}  // namespace pagepool::policy
