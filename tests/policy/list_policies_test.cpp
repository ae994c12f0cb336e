// Unit tests of src/policy/fifo.hpp and lru.hpp: textbook decisions, hits,
// demotion, removal, re-insertion of a tracked frame, credits and pins.
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "policy/fifo.hpp"
#include "policy/lru.hpp"
#include "policy/simulate.hpp"
#include "policy_test_support.hpp"

namespace pagepool::policy {
namespace {

using test::belady_string;
using test::stepper;

TEST(Fifo, BeladysAnomalyNineMissesWithThreeFramesTenWithFour) {
  EXPECT_EQ(simulate_misses<fifo_policy>(belady_string, 3), 9u);
  EXPECT_EQ(simulate_misses<fifo_policy>(belady_string, 4), 10u);
}

// Hand-checked: 1 2 3 | 4 evicts 1 | 1 evicts 2 | 2 evicts 3 | 5 evicts 4 |
// 1 2 hit | 3 evicts 5 | 4 evicts 1 | 5 evicts 2: ten misses.
TEST(Lru, BeladyStringTenMissesWithThreeFramesEightWithFour) {
  stepper<lru_policy> s(3);
  std::vector<std::uint32_t> evicted;
  for (std::uint32_t pg : belady_string) {
    const auto r = s.access(pg);
    if (r.victim != no_frame) evicted.push_back(r.evicted_page);
  }
  EXPECT_EQ(evicted, (std::vector<std::uint32_t>{1, 2, 3, 4, 5, 1, 2}));
  EXPECT_EQ(simulate_misses<lru_policy>(belady_string, 3), 10u);
  EXPECT_EQ(simulate_misses<lru_policy>(belady_string, 4), 8u);
}

TEST(Lru, HitsMoveToMruButAStaleKeyDoesNothing) {
  lru_policy p(3);
  basic_frames v(3);
  for (frame_id f = 0; f < 3; ++f) p.on_insert(f, page_key{f + 100});
  p.on_hit(0, page_key{100});   // order now (MRU first) 0 2 1
  p.on_hit(1, page_key{999});   // frame 1 holds 101, not 999: ignored
  EXPECT_EQ(p.evict(page_key{}, v), 1u);
  EXPECT_EQ(p.evict(page_key{}, v), 2u);
  EXPECT_EQ(p.evict(page_key{}, v), 0u);
  EXPECT_EQ(p.evict(page_key{}, v), no_frame);
  EXPECT_EQ(p.size(), 0u);
}

TEST(Fifo, HitsChangeNothing) {
  fifo_policy p(3);
  basic_frames v(3);
  for (frame_id f = 0; f < 3; ++f) p.on_insert(f, page_key{f});
  p.on_hit(0, page_key{0});
  v.hit(0, fifo_policy::on_hit_usage(v.usage(0)));
  EXPECT_EQ(v.usage(0), 0u);
  EXPECT_EQ(p.evict(page_key{}, v), 0u);
}

template <class P>
class ListPolicy : public ::testing::Test {};
using list_policies = ::testing::Types<fifo_policy, lru_policy>;
TYPED_TEST_SUITE(ListPolicy, list_policies);

TYPED_TEST(ListPolicy, DemoteMovesToTheEvictionEnd) {
  TypeParam p(4);
  basic_frames v(4);
  for (frame_id f = 0; f < 4; ++f) p.on_insert(f, page_key{f});
  p.on_demote(2);
  p.on_demote(3);
  EXPECT_EQ(p.evict(page_key{}, v), 3u);
  EXPECT_EQ(p.evict(page_key{}, v), 2u);
  EXPECT_EQ(p.evict(page_key{}, v), 0u);
}

TYPED_TEST(ListPolicy, RemoveUntracksAndIsANoOpWhenUntracked) {
  TypeParam p(4);
  basic_frames v(4);
  for (frame_id f = 0; f < 3; ++f) p.on_insert(f, page_key{f});
  p.on_remove(0);
  p.on_remove(0);
  p.on_remove(3);  // never inserted
  p.on_remove(99);  // out of range
  p.on_demote(3);
  EXPECT_EQ(p.size(), 2u);
  EXPECT_EQ(p.evict(page_key{}, v), 1u);
  EXPECT_EQ(p.evict(page_key{}, v), 2u);
  EXPECT_EQ(p.evict(page_key{}, v), no_frame);
}

TYPED_TEST(ListPolicy, InsertOfATrackedFrameForgetsTheOldPage) {
  TypeParam p(3);
  basic_frames v(3);
  for (frame_id f = 0; f < 3; ++f) p.on_insert(f, page_key{f});
  p.on_insert(0, page_key{50});  // frame 0 changes page: now the newest
  EXPECT_EQ(p.size(), 3u);
  EXPECT_EQ(p.evict(page_key{}, v), 1u);
  EXPECT_EQ(p.evict(page_key{}, v), 2u);
  EXPECT_EQ(p.evict(page_key{}, v), 0u);
  EXPECT_EQ(p.evict(page_key{}, v), no_frame);
}

TYPED_TEST(ListPolicy, ACreditSparesTheCandidateAndMovesItToTheProtectedEnd) {
  TypeParam p(3);
  basic_frames v(3);
  for (frame_id f = 0; f < 3; ++f) p.on_insert(f, page_key{f});
  v.hit(0, 2);  // two credits on the oldest
  EXPECT_EQ(p.evict(page_key{}, v), 1u);
  EXPECT_EQ(v.usage(0), 1u);  // spent one; now the newest
  p.on_insert(1, page_key{10});  // newer than 0
  EXPECT_EQ(p.evict(page_key{}, v), 2u);
  p.on_insert(2, page_key{11});
  EXPECT_EQ(p.evict(page_key{}, v), 1u);  // 0 spared again (1 -> 0)
  EXPECT_EQ(v.usage(0), 0u);
  EXPECT_EQ(p.evict(page_key{}, v), 2u);
  EXPECT_EQ(p.evict(page_key{}, v), 0u);
}

TYPED_TEST(ListPolicy, PinnedCandidatesKeepTheirPlace) {
  TypeParam p(3);
  basic_frames v(3);
  for (frame_id f = 0; f < 3; ++f) p.on_insert(f, page_key{f});
  v.pin(0, true);
  EXPECT_EQ(p.evict(page_key{}, v), 1u);
  v.pin(0, false);
  EXPECT_EQ(p.evict(page_key{}, v), 0u);  // still the oldest
  v.pin(2, true);
  EXPECT_EQ(p.evict(page_key{}, v), no_frame);
  EXPECT_EQ(p.size(), 1u);  // and still tracked
  v.pin(2, false);
  EXPECT_EQ(p.evict(page_key{}, v), 2u);
}

TYPED_TEST(ListPolicy, FramesOutOfServiceAreNotTaken) {
  TypeParam p(4);
  basic_frames v(2);  // only frames 0 and 1 in service
  p.on_insert(3, page_key{3});
  p.on_insert(0, page_key{0});
  EXPECT_EQ(p.evict(page_key{}, v), 0u);
  EXPECT_EQ(p.evict(page_key{}, v), no_frame);
  EXPECT_EQ(p.size(), 1u);
}

}  // namespace
}  // namespace pagepool::policy
