// Unit tests of src/policy/sieve.hpp: the hand that stays where it stopped,
// the wrap from head to tail, quick demotion of new pages, pins and credits.
#include "policy/sieve.hpp"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "policy/clock.hpp"
#include "policy/simulate.hpp"
#include "policy_test_support.hpp"

namespace pagepool::policy {
namespace {

using test::stepper;

// Hand-checked, 4 frames. 1 2 3 4 fill f0..f3 (queue head..tail: 4 3 2 1),
// hits on 1 and 3. 5: the hand clears 1, takes 2 (f1), rests at 3.
// 6: clears 3, takes 4 (f3), rests at 5. 7: takes 5 (f1), rests at 6.
// 8: takes 6 (f3). 9: takes 7 (f1). Pages 1 and 3 survive: new pages behind
// the hand are sifted out first. (CLOCK would take page 1 at request 7.)
TEST(Sieve, HandStaysWhereItStoppedAndNewPagesGoFirst) {
  const std::vector<std::uint32_t> req = {1, 2, 3, 4, 1, 3, 5, 6, 7, 8, 9};
  stepper<sieve_policy> s(4);
  std::vector<frame_id> victims;
  std::vector<std::uint32_t> evicted;
  for (std::uint32_t pg : req) {
    const auto r = s.access(pg);
    if (r.victim != no_frame) {
      victims.push_back(r.victim);
      evicted.push_back(r.evicted_page);
    }
  }
  EXPECT_EQ(victims, (std::vector<frame_id>{1, 3, 1, 3, 1}));
  EXPECT_EQ(evicted, (std::vector<std::uint32_t>{2, 4, 5, 6, 7}));
  EXPECT_EQ(s.frame_of(1), 0u);
  EXPECT_EQ(s.frame_of(3), 2u);

  stepper<clock_policy> c(4);
  std::vector<std::uint32_t> clock_evicted;
  for (std::uint32_t pg : req) {
    const auto r = c.access(pg);
    if (r.victim != no_frame) clock_evicted.push_back(r.evicted_page);
  }
  EXPECT_EQ(clock_evicted[2], 1u) << "the sequence no longer tells SIEVE from CLOCK";
}

// All three visited: the hand clears 1, 2, 3, passes the head, wraps to the
// tail and takes 1; it rests at 2, which it takes next.
TEST(Sieve, HandWrapsFromHeadToTail) {
  stepper<sieve_policy> s(3);
  for (std::uint32_t pg : {1u, 2u, 3u, 1u, 2u, 3u}) s.access(pg);
  const auto r4 = s.access(4);
  EXPECT_EQ(r4.evicted_page, 1u);
  EXPECT_EQ(r4.victim, 0u);
  const auto r5 = s.access(5);
  EXPECT_EQ(r5.evicted_page, 2u);
  for (frame_id f = 0; f < 3; ++f) EXPECT_EQ(s.view.usage(f), 0u);
}

TEST(Sieve, VictimAtTheHeadSendsTheHandToTheTail) {
  sieve_policy p(3);
  basic_frames v(3);
  for (frame_id f = 0; f < 3; ++f) p.on_insert(f, page_key{f});  // head 2 1 0 tail
  v.hit(0, 1);
  v.hit(1, 1);
  EXPECT_EQ(p.evict(page_key{}, v), 2u);  // the head; the hand wraps
  p.on_insert(2, page_key{9});            // the new head
  v.hit(0, 1);
  EXPECT_EQ(p.evict(page_key{}, v), 1u);  // from the tail: 0 spared, 1 taken
}

TEST(Sieve, RemovingTheFrameUnderTheHandMovesTheHandOn) {
  sieve_policy p(4);
  basic_frames v(4);
  for (frame_id f = 0; f < 4; ++f) p.on_insert(f, page_key{f});  // head 3 2 1 0
  v.hit(0, 1);
  EXPECT_EQ(p.evict(page_key{}, v), 1u);  // hand rests at 2
  p.on_remove(2);                         // hand to 3
  p.on_remove(2);                         // no-op
  // From 3: 3 cleared, wrap, 0 cleared, 3 taken. (Had the hand gone back to
  // the tail, 0 and 3 would be cleared in that order and 0 taken.)
  v.hit(0, 1);
  v.hit(3, 1);
  EXPECT_EQ(p.evict(page_key{}, v), 3u);
  EXPECT_EQ(p.size(), 1u);
}

TEST(Sieve, PinnedAndCreditedFrames) {
  sieve_policy p(3);
  basic_frames v(3);
  for (frame_id f = 0; f < 3; ++f) p.on_insert(f, page_key{f});
  v.pin(0, true);
  v.hit(1, 3);  // a priority's count: three passes
  EXPECT_EQ(p.evict(page_key{}, v), 2u);
  EXPECT_EQ(v.usage(1), 2u);
  v.pin(2, true);  // (2 is no longer tracked; pinning it changes nothing)
  // 0 pinned, 1 wears down: 2 -> 1 -> 0, then taken.
  EXPECT_EQ(p.evict(page_key{}, v), 1u);
  EXPECT_EQ(p.evict(page_key{}, v), no_frame);
  EXPECT_EQ(p.size(), 1u);
  v.pin(0, false);
  EXPECT_EQ(p.evict(page_key{}, v), 0u);
}

TEST(Sieve, OnHitUsageIsAVisitedBit) {
  EXPECT_EQ(sieve_policy::on_hit_usage(0), 1u);
  EXPECT_EQ(sieve_policy::on_hit_usage(1), 1u);
  EXPECT_EQ(sieve_policy::on_hit_usage(4), 4u);
}

}  // namespace
}  // namespace pagepool::policy
