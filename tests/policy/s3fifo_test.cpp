// Unit tests of src/policy/s3fifo.hpp: S and M shares, promotion at
// frequency 2, the ghost queue (a ghost hit goes to M; G keeps M's share of
// keys), FIFO-reinsertion in M, pins, and an undone eviction.
#include "policy/s3fifo.hpp"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "policy_test_support.hpp"

namespace pagepool::policy {
namespace {

using test::stepper;

TEST(S3Fifo, SharesAreATenthAndTheRest) {
  EXPECT_EQ(s3fifo_policy(10).small_capacity(), 1u);
  EXPECT_EQ(s3fifo_policy(10).main_capacity(), 9u);
  EXPECT_EQ(s3fifo_policy(35).small_capacity(), 3u);
  EXPECT_EQ(s3fifo_policy(35).main_capacity(), 32u);
  EXPECT_EQ(s3fifo_policy(1).small_capacity(), 1u);
  EXPECT_EQ(s3fifo_policy(1).main_capacity(), 0u);
}

TEST(S3Fifo, FrequencyIsCappedAtThree) {
  EXPECT_EQ(s3fifo_policy::on_hit_usage(0), 1u);
  EXPECT_EQ(s3fifo_policy::on_hit_usage(2), 3u);
  EXPECT_EQ(s3fifo_policy::on_hit_usage(3), 3u);
}

// Hand-checked, 10 frames (S 1, M 9, G 9 keys). Pages 0..9 fill f0..f9, all
// in S. Page 0 hit twice (freq 2), page 1 once (freq 1).
//   10: S's tail 0 has freq 2 -> M; next 1 has freq 1 -> evicted, G = [1].
//    1: a ghost hit: S's tail 2 is evicted (G = [2]), 1 enters M.
//   11..20: S's tail goes each time (3..12); G keeps the newest 9 keys.
TEST(S3Fifo, PromotionGhostHitAndGhostCapacity) {
  stepper<s3fifo_policy> s(10);
  for (std::uint32_t pg = 0; pg < 10; ++pg) s.access(pg);
  s.access(0);
  s.access(0);
  s.access(1);
  EXPECT_EQ(s.p.small_size(), 10u);

  auto r = s.access(10);
  EXPECT_EQ(r.victim, 1u);
  EXPECT_EQ(r.evicted_page, 1u);
  EXPECT_EQ(s.view.usage(0), 0u) << "promotion resets the frequency";
  EXPECT_EQ(s.p.main_size(), 1u);
  EXPECT_TRUE(s.p.in_ghost(page_key::of(0, 1)));

  r = s.access(1);
  EXPECT_EQ(r.evicted_page, 2u);
  EXPECT_FALSE(s.p.in_ghost(page_key::of(0, 1)));
  EXPECT_TRUE(s.p.in_ghost(page_key::of(0, 2)));
  EXPECT_EQ(s.p.main_size(), 2u);
  EXPECT_EQ(s.p.small_size(), 8u);

  std::vector<std::uint32_t> evicted;
  for (std::uint32_t pg = 11; pg <= 20; ++pg) evicted.push_back(s.access(pg).evicted_page);
  EXPECT_EQ(evicted, (std::vector<std::uint32_t>{3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
  EXPECT_EQ(s.p.ghost_size(), 9u);
  EXPECT_FALSE(s.p.in_ghost(page_key::of(0, 2)));
  EXPECT_FALSE(s.p.in_ghost(page_key::of(0, 3)));
  EXPECT_TRUE(s.p.in_ghost(page_key::of(0, 4)));
  EXPECT_TRUE(s.p.in_ghost(page_key::of(0, 12)));
  EXPECT_NE(s.frame_of(0), no_frame);
  EXPECT_NE(s.frame_of(1), no_frame);
}

// Hand-checked, 2 frames (S 1, M 1, G 1 key). 1 2 fill; 1 hit twice.
//   3: 1 (freq 2) -> M; 2 evicted (f1), G = [2].
//   2: ghost hit; M is at its share, so S's tail 3 goes (f1), G = [3];
//      2 enters M: M = [2, 1], over its share.
//   1 hit (freq 1). 4: M is over its share: 1 goes back to M's head with
//      freq 0, 2 (freq 0) is evicted (f1); 4 enters S.
TEST(S3Fifo, MainQueueReinsertsWithOneLessFrequency) {
  stepper<s3fifo_policy> s(2);
  for (std::uint32_t pg : {1u, 2u, 1u, 1u}) s.access(pg);
  auto r = s.access(3);
  EXPECT_EQ(r.evicted_page, 2u);
  EXPECT_EQ(r.victim, 1u);
  r = s.access(2);
  EXPECT_EQ(r.evicted_page, 3u);
  EXPECT_EQ(s.p.main_size(), 2u);
  EXPECT_TRUE(s.p.in_ghost(page_key::of(0, 3)));
  EXPECT_FALSE(s.p.in_ghost(page_key::of(0, 2)));
  EXPECT_TRUE(s.access(1).hit);
  r = s.access(4);
  EXPECT_EQ(r.evicted_page, 2u);
  EXPECT_EQ(s.view.usage(s.frame_of(1)), 0u);
  EXPECT_EQ(s.p.main_size(), 1u);
  EXPECT_EQ(s.p.small_size(), 1u);
  EXPECT_FALSE(s.p.in_ghost(page_key::of(0, 2))) << "M's victims leave no ghost";
}

TEST(S3Fifo, PinnedFramesAreSteppedOverInBothQueues) {
  s3fifo_policy p(4);  // S 1, M 3
  basic_frames v(4);
  for (frame_id f = 0; f < 4; ++f) p.on_insert(f, page_key{f});
  v.pin(0, true);
  EXPECT_EQ(p.evict(page_key{100}, v), 1u);
  EXPECT_EQ(p.small_size(), 3u);
  v.pin(2, true);
  v.pin(3, true);
  EXPECT_EQ(p.evict(page_key{101}, v), no_frame);
  EXPECT_EQ(p.size(), 3u);
  v.pin(3, false);
  EXPECT_EQ(p.evict(page_key{101}, v), 3u);
}

TEST(S3Fifo, AnUndoneEvictionReturnsThePageWithoutAGhost) {
  s3fifo_policy p(2);
  basic_frames v(2);
  p.on_insert(0, page_key{10});
  p.on_insert(1, page_key{11});
  EXPECT_EQ(p.evict(page_key{12}, v), 0u);
  EXPECT_TRUE(p.in_ghost(page_key{10}));
  p.on_insert(0, page_key{10});  // the pool could not write it: back it comes
  EXPECT_FALSE(p.in_ghost(page_key{10}));
  EXPECT_EQ(p.small_size(), 2u);
  EXPECT_EQ(p.evict(page_key{12}, v), 1u);
  p.on_insert(1, page_key{12});
  EXPECT_EQ(p.small_size(), 2u);
  EXPECT_TRUE(p.in_ghost(page_key{11}));
}

TEST(S3Fifo, InsertWithoutEvictMakesTheGhostTestItself) {
  s3fifo_policy p(3);
  basic_frames v(3);
  for (frame_id f = 0; f < 3; ++f) p.on_insert(f, page_key{f});
  EXPECT_EQ(p.evict(page_key{7}, v), 0u);
  p.on_insert(0, page_key{7});
  p.on_remove(1);  // a page leaves; its frame is free
  p.on_insert(1, page_key{0});  // page 0 comes back: a ghost hit
  EXPECT_EQ(p.main_size(), 1u);
  EXPECT_FALSE(p.in_ghost(page_key{0}));
}

}  // namespace
}  // namespace pagepool::policy
