// Unit tests of src/policy/twoq.hpp: a hand-checked run of the full 2Q
// (A1in FIFO, A1out ghosts, Am LRU) with c = 4 (Kin = 1, Kout = 2), the
// order in which a ghost hit and the victim's ghost meet in a full A1out,
// and the undo of a failed eviction.
#include "policy/twoq.hpp"

#include <cstdint>

#include <gtest/gtest.h>

#include "policy_test_support.hpp"

namespace pagepool::policy {
namespace {

using test::stepper;

page_key key(std::uint32_t pg) { return page_key::of(0, pg); }

TEST(TwoQ, ThresholdsAreTheReferenceDefaults) {
  twoq_policy p(707);
  EXPECT_EQ(p.kin(), 176u);   // floor(0.25 * 707)
  EXPECT_EQ(p.kout(), 353u);  // floor(0.5 * 707)
  p.resize(4);
  EXPECT_EQ(p.kin(), 1u);
  EXPECT_EQ(p.kout(), 2u);
}

// c = 4: 1 2 3 4 fill A1in. Then (A1in and A1out newest first):
//   5: |A1in| = 4 > 1: 1 out, A1out = 1            A1in = 5 4 3 2
//   6: 2 out, A1out = 2 1                          A1in = 6 5 4 3
//   7: 3 out, A1out full: 1 dropped, A1out = 3 2   A1in = 7 6 5 4
//   2: in A1out (taken out first: A1out = 3), 4 out, A1out = 4 3; 2 -> Am
//   3: in A1out, 5 out, A1out = 5 4; 3 -> Am       Am = 3 2, A1in = 7 6
//   6: hit in A1in, nothing moves; 2: hit in Am, Am = 2 3
//   8: 6 out, A1out = 6 5                          A1in = 8 7
//   7: in A1out? no (dropped long ago): 7 is resident -> hit (A1in)
//   9: 7 out, A1out = 7 6                          A1in = 9 8
//   7: ghost hit: 8 out, A1out = 8 6; 7 -> Am      Am = 7 2 3, A1in = 9
//  10: |A1in| = 1, not > Kin: Am's LRU 3 goes, no ghost; A1in = 10 9
TEST(TwoQ, HandCheckedRun) {
  stepper<twoq_policy> s(4);
  for (std::uint32_t pg : {1u, 2u, 3u, 4u}) EXPECT_FALSE(s.access(pg).hit);
  struct expect_step {
    std::uint32_t page;
    bool hit;
    std::uint32_t evicted;
    std::size_t a1in, am, a1out;
  };
  const expect_step steps[] = {
      {5, false, 1, 4, 0, 1}, {6, false, 2, 4, 0, 2}, {7, false, 3, 4, 0, 2},
      {2, false, 4, 3, 1, 2}, {3, false, 5, 2, 2, 2}, {6, true, 0, 2, 2, 2},
      {2, true, 0, 2, 2, 2},  {8, false, 6, 2, 2, 2}, {7, true, 0, 2, 2, 2},
      {9, false, 7, 2, 2, 2}, {7, false, 8, 1, 3, 2}, {10, false, 3, 2, 2, 2},
  };
  for (const auto& e : steps) {
    const auto r = s.access(e.page);
    EXPECT_EQ(r.hit, e.hit) << e.page;
    if (!e.hit) {
      EXPECT_EQ(r.evicted_page, e.evicted) << e.page;
    }
    EXPECT_EQ(s.p.a1in_size(), e.a1in) << e.page;
    EXPECT_EQ(s.p.am_size(), e.am) << e.page;
    EXPECT_EQ(s.p.a1out_size(), e.a1out) << e.page;
  }
  // A1out = 8 6: the ghost hit on 2 (step 4) kept 3 in a full A1out, so 3
  // was still a ghost when it came back (step 5).
  EXPECT_TRUE(s.p.in_a1out(key(8)));
  EXPECT_TRUE(s.p.in_a1out(key(6)));
  EXPECT_FALSE(s.p.in_a1out(key(3)));
}

// A hit in Am moves the page to the MRU end. After 1..7 2 3 (the run above)
// Am = 3 2, A1in = 7 6, A1out = 5 4; a hit on 2 makes Am = 2 3; the ghost
// hit on 5 takes A1in's 6 (|A1in| = 2 > 1) and puts 5 in Am = 5 2 3; then
// |A1in| = 1 and a new page takes Am's LRU: 3, where without the hit it
// would have been 2.
TEST(TwoQ, HitInAmMovesToMru) {
  stepper<twoq_policy> s(4);
  for (std::uint32_t pg : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 2u, 3u}) s.access(pg);
  ASSERT_EQ(s.p.am_size(), 2u);
  EXPECT_TRUE(s.access(2).hit);
  EXPECT_EQ(s.access(5).evicted_page, 6u);
  EXPECT_EQ(s.p.a1in_size(), 1u);
  EXPECT_EQ(s.access(11).evicted_page, 3u);
}

// Point 5: a victim that could not be evicted comes back to its queue and
// leaves A1out; the incoming page's ghost, taken by the evict, is gone.
TEST(TwoQ, FailedEvictionIsUndone) {
  twoq_policy p(4);
  basic_frames view(4);
  for (frame_id f = 0; f < 4; ++f) p.on_insert(f, key(f + 1));
  const frame_id v = p.evict(key(9), view);
  ASSERT_EQ(v, 0u);
  EXPECT_TRUE(p.in_a1out(key(1)));
  p.on_insert(v, key(1));  // the write of page 1 failed: it stays
  EXPECT_FALSE(p.in_a1out(key(1)));
  EXPECT_EQ(p.a1in_size(), 4u);
  EXPECT_EQ(p.size(), 4u);
}

}  // namespace
}  // namespace pagepool::policy
