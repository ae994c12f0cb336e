// Unit tests of src/policy/lirs.hpp: a hand-checked run with c = 5
// (H = 1 resident HIR page, Llirs = 4) through every case of the algorithm:
// filling the LIR set, a new HIR page, a miss on a non-resident entry in S
// (demotion with a victim), an LIR hit with pruning, hits on a resident HIR
// page outside and inside S.
#include "policy/lirs.hpp"

#include <cstdint>

#include <gtest/gtest.h>

#include "policy_test_support.hpp"

namespace pagepool::policy {
namespace {

using test::stepper;

int status(const lirs_policy& p, std::uint32_t pg) { return p.status(page_key::of(0, pg)); }

// S top first; Q front first.
//   1 2 3 4: LIR.                     S = 4 3 2 1
//   5: LIR set full: resident HIR.    S = 5 4 3 2 1, Q = 5
//   6: full: Q's 5 evicted (non-resident in S); 6 HIR: Q = 6
//   5: non-resident in S: to the top; demote 1 (Q full: 6 evicted first,
//      non-resident in S); 1 to Q; 5 LIR.   S = 5 6 4 3 2, Q = 1
//   2: LIR hit (S's bottom): S = 2 5 6 4 3; 3 is LIR, nothing pruned
//   1: resident HIR not in S: S = 1 2 5 6 4 3 (1 HIR), Q = 1
//   1: resident HIR in S: LIR; 3 demoted to Q.   S = 1 2 5 6 4, Q = 3
//   7: Q's 3 evicted; 7 resident HIR.            Q = 7
TEST(Lirs, HandCheckedRun) {
  stepper<lirs_policy> s(5);
  EXPECT_EQ(s.p.hir_limit(), 1u);
  for (std::uint32_t pg : {1u, 2u, 3u, 4u}) s.access(pg);
  EXPECT_EQ(s.p.lir_count(), 4u);
  s.access(5);
  EXPECT_EQ(status(s.p, 5), 1);
  EXPECT_EQ(s.access(6).evicted_page, 5u);
  const auto r5 = s.access(5);
  EXPECT_FALSE(r5.hit);
  EXPECT_EQ(r5.evicted_page, 6u);
  EXPECT_EQ(status(s.p, 5), 2);
  EXPECT_EQ(status(s.p, 1), 1);
  EXPECT_EQ(s.p.stack_size(), 5u);
  EXPECT_TRUE(s.access(2).hit);
  EXPECT_EQ(s.p.stack_size(), 5u);
  EXPECT_TRUE(s.access(1).hit);
  EXPECT_EQ(status(s.p, 1), 1);
  EXPECT_EQ(s.p.stack_size(), 6u);
  EXPECT_TRUE(s.access(1).hit);
  EXPECT_EQ(status(s.p, 1), 2);
  EXPECT_EQ(status(s.p, 3), 1);
  EXPECT_EQ(s.p.stack_size(), 5u);  // 3 left S, 4 is the bottom
  EXPECT_EQ(s.access(7).evicted_page, 3u);
  EXPECT_EQ(s.p.lir_count(), 4u);
  EXPECT_EQ(s.p.hir_resident_count(), 1u);
}

// Two threads miss on one non-resident page: A's evict takes a victim for it,
// then B's evict of the same page finds none (every frame pinned) and puts the
// entry back in the non-resident list, then A inserts the page. The entry is
// resident now and must be out of that list (before the fix it stayed in, was
// pushed into it a second time when the page was evicted, and the list's
// links looped: limit_stack spun forever under the policy latch).
TEST(Lirs, AFailedEvictOfThePageBetweenEvictAndInsertLeavesItResident) {
  stepper<lirs_policy> s(5);
  for (std::uint32_t pg : {1u, 2u, 3u, 4u, 5u, 6u}) s.access(pg);  // 5 non-resident in S
  ASSERT_EQ(s.p.nonresident_count(), 1u);
  const page_key five = page_key::of(0, 5);
  const frame_id v = s.p.evict(five, s.view);  // thread A: 6's frame
  ASSERT_NE(v, no_frame);
  EXPECT_EQ(s.page_in(v), 6u);
  for (frame_id f = 0; f < 5; ++f) s.view.pin(f, true);
  EXPECT_EQ(s.p.evict(five, s.view), no_frame);  // thread B: everything pinned
  for (frame_id f = 0; f < 5; ++f) s.view.pin(f, false);
  s.view.reset(v);
  s.p.on_insert(v, five);  // thread A places page 5
  EXPECT_EQ(status(s.p, 5), 2);
  // B's failed evict demoted every LIR page and pruned S down to page 5's
  // entry, 6's non-resident entry with them: nothing in S is non-resident.
  EXPECT_EQ(s.p.stack_size(), 1u);
  EXPECT_EQ(s.p.nonresident_count(), 0u) << "page 5's resident entry is in the non-resident list";
}

// Pruning: a hit on the bottom LIR page takes the HIR entries that are then at
// the bottom out of S (they stay resident in Q). c = 5: 1-4 LIR, hits on 2 3 4,
// 5 resident HIR, hits on 2 3 4 again: S = 4 3 2 5 1. The hit on 1 makes it
// 1 4 3 2 5, and 5 is pruned: S = 1 4 3 2.
TEST(Lirs, LirHitAtTheBottomPrunes) {
  stepper<lirs_policy> s(5);
  for (std::uint32_t pg : {1u, 2u, 3u, 4u, 2u, 3u, 4u, 5u, 2u, 3u, 4u}) s.access(pg);
  EXPECT_EQ(s.p.stack_size(), 5u);
  EXPECT_TRUE(s.access(1).hit);
  EXPECT_EQ(s.p.stack_size(), 4u);
  EXPECT_EQ(status(s.p, 5), 1);  // still resident, in Q
}

// S never holds more than 2c entries after a request: a scan of new pages
// leaves non-resident entries behind, and the oldest go.
TEST(Lirs, StackIsBoundedByTwiceTheCache) {
  stepper<lirs_policy> s(5);
  for (std::uint32_t pg = 1; pg <= 100; ++pg) {
    s.access(pg);
    EXPECT_LE(s.p.stack_size(), 10u) << pg;
  }
  EXPECT_EQ(s.p.size(), 5u);
}

}  // namespace
}  // namespace pagepool::policy
