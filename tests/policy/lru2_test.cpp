// Unit tests of src/policy/lru2.hpp: a hand-checked LRU-2 run with c = 3
// (times count every request), a pinned candidate in the ordered set, and
// the undo of a failed eviction.
#include "policy/lru2.hpp"

#include <cstdint>

#include <gtest/gtest.h>

#include "policy_test_support.hpp"

namespace pagepool::policy {
namespace {

using test::stepper;

// t  request  result                          once (FIFO)   twice (by 2nd last ref)
// 1  1        miss                            1
// 2  2        miss                            1 2
// 3  1        hit: 1 -> ordered, key 1        2             1:1
// 4  3        miss                            2 3           1:1
// 5  4        miss, evicts 2 (FIFO first)     3 4           1:1
// 6  3        hit, key 4                      4             1:1 3:4
// 7  4        hit, key 5                      -             1:1 3:4 4:5
// 8  5        miss, evicts 1 (smallest key)   5             3:4 4:5
// 9  5        hit, key 8                      -             3:4 4:5 5:8
// 10 3        hit, key 6                      -             4:5 3:6 5:8
// 11 6        miss, evicts 4                  6             3:6 5:8
// 12 2        miss (its history was dropped), evicts 6 (once-referenced first)
TEST(Lru2, HandCheckedRun) {
  stepper<lru2_policy> s(3);
  struct expect_step {
    std::uint32_t page;
    bool hit;
    std::uint32_t evicted;  // 0: none
  };
  const expect_step steps[] = {{1, false, 0}, {2, false, 0}, {1, true, 0},  {3, false, 0},
                               {4, false, 2}, {3, true, 0},  {4, true, 0},  {5, false, 1},
                               {5, true, 0},  {3, true, 0},  {6, false, 4}, {2, false, 6}};
  for (const auto& e : steps) {
    const auto r = s.access(e.page);
    EXPECT_EQ(r.hit, e.hit) << e.page;
    if (e.evicted != 0) {
      EXPECT_EQ(r.evicted_page, e.evicted) << e.page;
    }
  }
  EXPECT_EQ(s.p.now(), 12u);
  EXPECT_EQ(s.p.once_count(), 1u);
}

// A pinned page with the oldest second reference is stepped over and keeps
// its place: it is the victim once unpinned.
TEST(Lru2, PinnedCandidateKeepsItsPlace) {
  stepper<lru2_policy> s(2);
  for (std::uint32_t pg : {1u, 2u, 1u, 2u}) s.access(pg);  // both twice: 1:1, 2:2
  const frame_id f1 = 0;                                   // page 1's frame
  s.view.pin(f1, true);
  EXPECT_EQ(s.access(3).evicted_page, 2u);
  s.view.pin(f1, false);
  s.access(3);  // hit: 3 -> ordered, key 5
  EXPECT_EQ(s.access(4).evicted_page, 1u);
}

TEST(Lru2, FailedEvictionIsUndone) {
  stepper<lru2_policy> s(2);
  for (std::uint32_t pg : {1u, 2u, 1u, 2u}) s.access(pg);
  const frame_id v = s.p.evict(page_key::of(0, 9), s.view);
  ASSERT_EQ(v, 0u);  // page 1, key 1
  s.p.on_insert(v, page_key::of(0, 1));
  EXPECT_EQ(s.p.size(), 2u);
  EXPECT_EQ(s.p.once_count(), 0u);
  EXPECT_EQ(s.p.evict(page_key::of(0, 9), s.view), 0u);  // still the first
}

}  // namespace
}  // namespace pagepool::policy
