// The policy contract (include/pagepool/policy.hpp) checked against every
// built-in policy with one body each (typed tests): pinned frames, the bound
// on evict, credits, removal, and re-insertion of a tracked frame.
#include <cstdint>
#include <random>
#include <set>
#include <unordered_map>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "policy/arc.hpp"
#include "policy/clock.hpp"
#include "policy/clockpro.hpp"
#include "policy/fifo.hpp"
#include "policy/lirs.hpp"
#include "policy/lru.hpp"
#include "policy/lru2.hpp"
#include "policy/s3fifo.hpp"
#include "policy/sieve.hpp"
#include "policy/twoq.hpp"
#include "policy/wtinylfu.hpp"
#include "policy_test_support.hpp"

namespace pagepool::policy {
namespace {

using test::stepper;

template <class P>
class Contract : public ::testing::Test {};
using all_policies =
    ::testing::Types<clock_policy, fifo_policy, lru_policy, sieve_policy, s3fifo_policy, arc_policy,
                     twoq_policy, lirs_policy, wtinylfu_policy, lru2_policy, clockpro_policy>;
TYPED_TEST_SUITE(Contract, all_policies);

// Point 4: a pinned frame is never the victim, whatever the requests; the
// other frames keep being replaced; unpinned, it can go again.
TYPED_TEST(Contract, APinnedFrameIsNeverChosen) {
  constexpr std::uint32_t c = 8;
  stepper<TypeParam> s(c);
  std::mt19937 rng(11);
  for (std::uint32_t pg = 0; pg < c; ++pg) s.access(pg);
  const frame_id pinned = s.frame_of(0);
  s.view.pin(pinned, true);
  std::set<frame_id> victims;
  for (int i = 0; i < 2000; ++i) {
    const auto r = s.access(static_cast<std::uint32_t>(rng() % 40));
    ASSERT_NE(r.victim, pinned) << "request " << i;
    if (!r.hit) {
      ASSERT_NE(r.victim, no_frame) << "seven frames were free to take";
    }
    if (r.victim != no_frame) victims.insert(r.victim);
  }
  EXPECT_EQ(victims.size(), c - 1);
  EXPECT_EQ(s.frame_of(0), pinned) << "the pinned page is still resident";
  // Unpinned, it is a candidate again: draining the policy takes every frame.
  s.view.pin(pinned, false);
  std::set<frame_id> drained;
  for (std::uint32_t i = 0; i < c; ++i) {
    const frame_id f = s.p.evict(page_key::of(0, 5000 + i), s.view);
    drained.insert(f);
    if (f != no_frame) s.view.pin(f, true);  // claimed: busy, as in the pool
  }
  EXPECT_EQ(drained.size(), c);
  EXPECT_EQ(drained.count(pinned), 1u);
  EXPECT_EQ(drained.count(no_frame), 0u);
}

// Point 4: with every frame pinned, evict gives up (bounded) and returns
// no_frame; the policy still tracks every frame; one unpin is found.
TYPED_TEST(Contract, AllPinnedGivesNoFrameAndKeepsEveryFrame) {
  constexpr std::uint32_t c = 5;
  stepper<TypeParam> s(c);
  for (std::uint32_t pg = 0; pg < c; ++pg) s.access(pg);
  s.access(2);
  s.access(3);
  const std::size_t tracked = s.p.size();
  for (frame_id f = 0; f < c; ++f) s.view.pin(f, true);
  EXPECT_EQ(s.p.evict(page_key::of(0, 99), s.view), no_frame);
  EXPECT_EQ(s.p.evict(page_key::of(0, 99), s.view), no_frame);
  EXPECT_EQ(s.p.size(), tracked);
  s.view.pin(3, false);
  EXPECT_EQ(s.p.evict(page_key::of(0, 99), s.view), 3u);
}

// Point 3: a frame with the highest credit outlives c - 1 evictions of
// frames without credit.
TYPED_TEST(Contract, AFrameWithFullCreditOutlivesTheOthers) {
  constexpr std::uint32_t c = 10;
  stepper<TypeParam> s(c);
  for (std::uint32_t pg = 0; pg < c; ++pg) s.access(pg);
  const frame_id f = s.frame_of(0);  // the first candidate of every policy
  s.view.hit(f, usage_max);
  for (std::uint32_t pg = 100; pg < 100 + c - 1; ++pg) {
    const auto r = s.access(pg);
    ASSERT_NE(r.victim, no_frame);
    ASSERT_NE(r.victim, f) << "page " << pg;
  }
}

// The policies that track frames (all but CLOCK, which relies on the
// pool's view to refuse frames that hold no page).
template <class P>
class TrackingContract : public ::testing::Test {};
using tracking_policies =
    ::testing::Types<fifo_policy, lru_policy, sieve_policy, s3fifo_policy, arc_policy, twoq_policy,
                     lirs_policy, wtinylfu_policy, lru2_policy, clockpro_policy>;
TYPED_TEST_SUITE(TrackingContract, tracking_policies);

// Points 1 and 6: on_remove untracks (and is a no-op twice or for a frame
// never inserted); a removed frame is never a victim; on_insert of a tracked
// frame does not track it twice.
TYPED_TEST(TrackingContract, RemoveAndReinsertKeepTheBookkeepingRight) {
  constexpr std::uint32_t c = 6;
  TypeParam p(c);
  basic_frames v(c);
  for (frame_id f = 0; f < c; ++f) p.on_insert(f, page_key{f});
  p.on_insert(2, page_key{20});
  p.on_insert(2, page_key{21});
  EXPECT_EQ(p.size(), c);
  p.on_remove(4);
  p.on_remove(4);
  p.on_remove(1);
  EXPECT_EQ(p.size(), c - 2);
  std::set<frame_id> got;
  for (;;) {
    const frame_id f = p.evict(page_key{100}, v);
    if (f == no_frame) break;
    ASSERT_TRUE(got.insert(f).second) << "frame " << f << " returned twice";
  }
  EXPECT_EQ(got, (std::set<frame_id>{0, 2, 3, 5}));
  EXPECT_EQ(p.size(), 0u);
}

// Points 1 and 3-6 together, as the pool mixes them: requests, removals,
// demotions, pins and credits in a random order, from many seeds and cache
// sizes (1..24). Every victim must be a frame that holds a page and is not
// pinned, and nothing may crash; the states the exact replay never reaches
// (a hand at a removed page, a pinned front of a queue) are reached here.
TYPED_TEST(TrackingContract, RandomChurnOnlyEverGivesUnpinnedFramesThatHoldAPage) {
  for (unsigned seed = 1; seed <= 60; ++seed) {
    std::mt19937 rng(seed);
    const std::uint32_t c = 1 + static_cast<std::uint32_t>(rng() % 24);
    TypeParam p(c);
    basic_frames view(c);
    std::vector<std::int64_t> page_of(c, -1);
    std::vector<bool> pinned(c, false);
    std::unordered_map<std::int64_t, frame_id> where;
    for (int i = 0; i < 4000; ++i) {
      const unsigned op = static_cast<unsigned>(rng() % 100);
      const auto f = static_cast<frame_id>(rng() % c);
      if (op < 80) {  // a request
        const auto pg = static_cast<std::uint32_t>(rng() % (3 * c + 3));
        if (const auto it = where.find(pg); it != where.end()) {
          view.hit(it->second, TypeParam::on_hit_usage(view.usage(it->second)));
          p.on_hit(it->second, page_key::of(0, pg));
          continue;
        }
        frame_id g = 0;
        while (g < c && page_of[g] >= 0) ++g;
        if (g == c) {
          g = p.evict(page_key::of(0, pg), view);
          if (g == no_frame) continue;
          ASSERT_LT(g, c) << "seed " << seed;
          ASSERT_GE(page_of[g], 0) << "seed " << seed << ": a victim that holds no page";
          ASSERT_FALSE(pinned[g]) << "seed " << seed << ": a pinned victim";
          where.erase(page_of[g]);
          view.reset(g);
        }
        page_of[g] = pg;
        where[pg] = g;
        p.on_insert(g, page_key::of(0, pg));
      } else if (op < 85) {  // the page leaves other than by evict
        if (page_of[f] >= 0 && !pinned[f]) {
          p.on_remove(f);
          where.erase(page_of[f]);
          page_of[f] = -1;
          view.reset(f);
        }
      } else if (op < 90) {  // put very_low
        if (page_of[f] >= 0) {
          view.hit(f, 0);
          p.on_demote(f);
        }
      } else if (op < 95) {
        pinned[f] = !pinned[f];
        view.pin(f, pinned[f]);
      } else if (page_of[f] >= 0) {  // a priority's credit
        view.hit(f, static_cast<std::uint32_t>(rng() % (usage_max + 1)));
      }
    }
  }
}

TYPED_TEST(Contract, EveryMissOfAReplayFindsAVictim) {
  constexpr std::uint32_t c = 7;
  stepper<TypeParam> s(c);
  std::mt19937 rng(5);
  for (int i = 0; i < 5000; ++i) {
    const auto r = s.access(static_cast<std::uint32_t>(rng() % 30));
    ASSERT_TRUE(r.hit || r.frame != no_frame);
    ASSERT_LT(r.frame, c);
  }
  if constexpr (!std::is_same_v<TypeParam, clock_policy>) {
    EXPECT_EQ(s.p.size(), c);
  }
}

// Two threads miss on one page: A's evict takes a victim for it, B's evict
// for the same page finds every frame pinned (no_frame), then A places the
// page. Done many times over a churning cache, then a long replay: every miss
// still finds a victim holding a page, and the cache holds c distinct pages.
// A black-box check: LIRS's old bug in this interleaving (the page's entry
// left in its non-resident list) does not show here within the replay (its
// loop needed more), and lirs_test.cpp checks that list itself.
TYPED_TEST(Contract, AFailedEvictOfAPageBetweenAnotherEvictForItAndItsInsertLeavesThePolicySound) {
  constexpr std::uint32_t c = 8, pages = 24;
  stepper<TypeParam> s(c);
  std::mt19937 rng(17);
  for (std::uint32_t pg = 0; pg < c; ++pg) s.access(pg);
  for (int round = 0; round < 300; ++round) {
    for (int i = 0; i < 12; ++i) s.access(static_cast<std::uint32_t>(rng() % pages));
    std::uint32_t pg = static_cast<std::uint32_t>(rng() % pages);
    while (s.frame_of(pg) != no_frame) pg = (pg + 1) % pages;
    const page_key k = page_key::of(0, pg);
    const frame_id v = s.p.evict(k, s.view);  // thread A
    ASSERT_NE(v, no_frame) << "round " << round;
    for (frame_id f = 0; f < c; ++f) s.view.pin(f, true);
    ASSERT_EQ(s.p.evict(k, s.view), no_frame) << "round " << round;  // thread B
    for (frame_id f = 0; f < c; ++f) s.view.pin(f, false);
    s.place(v, pg);  // thread A
    ASSERT_EQ(s.frame_of(pg), v);
  }
  for (int i = 0; i < 3000; ++i) {
    const auto r = s.access(static_cast<std::uint32_t>(rng() % pages));
    ASSERT_TRUE(r.hit || r.frame != no_frame) << "request " << i;
  }
  std::set<std::uint32_t> resident;
  for (frame_id f = 0; f < c; ++f) resident.insert(s.page_in(f));
  EXPECT_EQ(resident.size(), c);
  for (std::uint32_t pg : resident) EXPECT_NE(s.frame_of(pg), no_frame);
  if constexpr (!std::is_same_v<TypeParam, clock_policy>) {
    EXPECT_EQ(s.p.size(), c);
  }
}

}  // namespace
}  // namespace pagepool::policy
