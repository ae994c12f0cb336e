// Unit tests of src/policy/arc.hpp: a hand-checked run of Fig. 4 with its
// adaptation of p, a comparison with a literal transcription of Fig. 4 on
// random requests (misses and p after every request), pins, credits and the
// hooks the pool calls outside the replay.
#include "policy/arc.hpp"

#include <algorithm>
#include <cstdint>
#include <list>
#include <random>
#include <unordered_map>
#include <vector>

#include <gtest/gtest.h>

#include "policy_test_support.hpp"

namespace pagepool::policy {
namespace {

using test::stepper;

// Hand-checked, c = 4. 1 2 3 4 fill T1 (f0..f3); hits on 1 and 2 move them
// to T2. Then:
//   5: case IV, |T1| = 2 > p = 0: T1's LRU 3 (f2) -> B1.     T1 = 5 4
//   6: case IV: 4 (f3) -> B1.                                B1 = 4 3
//   3: in B1, |B1| >= |B2|: p = 1; |T1| = 2 > 1: 5 (f2) -> B1; 3 -> T2
//   7: case IV, |T1| = 1, not > p: T2's LRU 1 (f0) -> B2
//   1: in B2, |B2| = 1 < |B1| = 2: p = max(0, 1 - 2) = 0; |T1| = 2 > 0:
//      6 (f3) -> B1; 1 -> T2
TEST(Arc, HandCheckedRunOfFigureFour) {
  stepper<arc_policy> s(4);
  for (std::uint32_t pg : {1u, 2u, 3u, 4u, 1u, 2u}) s.access(pg);
  EXPECT_EQ(s.p.t1_size(), 2u);
  EXPECT_EQ(s.p.t2_size(), 2u);

  struct expect_step {
    std::uint32_t page;
    std::uint32_t evicted;
    double p;
    std::size_t t1, t2, b1, b2;
  };
  const expect_step steps[] = {
      {5, 3, 0.0, 2, 2, 1, 0},
      {6, 4, 0.0, 2, 2, 2, 0},
      {3, 5, 1.0, 1, 3, 2, 0},
      {7, 1, 1.0, 2, 2, 2, 1},
      {1, 6, 0.0, 1, 3, 3, 0},
  };
  for (const auto& e : steps) {
    const auto r = s.access(e.page);
    ASSERT_FALSE(r.hit) << e.page;
    EXPECT_EQ(r.evicted_page, e.evicted) << e.page;
    EXPECT_DOUBLE_EQ(s.p.target(), e.p) << e.page;
    EXPECT_EQ(s.p.t1_size(), e.t1) << e.page;
    EXPECT_EQ(s.p.t2_size(), e.t2) << e.page;
    EXPECT_EQ(s.p.b1_size(), e.b1) << e.page;
    EXPECT_EQ(s.p.b2_size(), e.b2) << e.page;
  }
  EXPECT_EQ(s.p.ghost_of(page_key::of(0, 6)), 1);
  EXPECT_EQ(s.p.ghost_of(page_key::of(0, 1)), 0);
}

// Fig. 4 transcribed as literally as possible (std::list, MRU at the front),
// independent of the frame machinery: the oracle for the comparison below.
class arc_oracle {
 public:
  explicit arc_oracle(std::size_t c) : c_(c) {}
  double p = 0;

  bool request(std::uint32_t x) {  // true on a miss
    if (in(t1_, x) || in(t2_, x)) {  // case I
      erase(t1_, x);
      erase(t2_, x);
      t2_.push_front(x);
      return false;
    }
    const double c = static_cast<double>(c_);
    const auto b1 = static_cast<double>(b1_.size()), b2 = static_cast<double>(b2_.size());
    if (in(b1_, x)) {  // case II
      p = std::min(p + (b1 >= b2 ? 1.0 : b2 / b1), c);
      replace(x);
      erase(b1_, x);
      t2_.push_front(x);
      return true;
    }
    if (in(b2_, x)) {  // case III
      p = std::max(p - (b2 >= b1 ? 1.0 : b1 / b2), 0.0);
      replace(x);
      erase(b2_, x);
      t2_.push_front(x);
      return true;
    }
    if (t1_.size() + b1_.size() == c_) {  // case IV A
      if (t1_.size() < c_) {
        b1_.pop_back();
        replace(x);
      } else {
        t1_.pop_back();
      }
    } else {  // case IV B
      const std::size_t total = t1_.size() + t2_.size() + b1_.size() + b2_.size();
      if (total >= c_) {
        if (total == 2 * c_) b2_.pop_back();
        replace(x);
      }
    }
    t1_.push_front(x);
    return true;
  }

 private:
  void replace(std::uint32_t x) {
    const auto t1 = static_cast<double>(t1_.size());
    if (!t1_.empty() && (t1 > p || (in(b2_, x) && t1 == p))) {
      b1_.push_front(t1_.back());
      t1_.pop_back();
    } else {
      b2_.push_front(t2_.back());
      t2_.pop_back();
    }
  }
  static bool in(const std::list<std::uint32_t>& l, std::uint32_t x) {
    return std::find(l.begin(), l.end(), x) != l.end();
  }
  static void erase(std::list<std::uint32_t>& l, std::uint32_t x) { l.remove(x); }

  std::size_t c_;
  std::list<std::uint32_t> t1_, t2_, b1_, b2_;
};

TEST(Arc, AgreesWithALiteralFigureFourOnRandomRequests) {
  std::mt19937 rng(2003);
  for (std::uint32_t c : {1u, 2u, 3u, 5u, 8u, 13u}) {
    for (int run = 0; run < 4; ++run) {
      // A skewed mix of a small hot set and a wider range, so that all four
      // cases and fractional adaptations occur.
      stepper<arc_policy> s(c);
      arc_oracle o(c);
      std::uint64_t mine = 0, theirs = 0;
      for (int i = 0; i < 3000; ++i) {
        const std::uint32_t x = rng() % 4 == 0 ? rng() % (4 * c + 3) : rng() % (c + 2);
        mine += s.access(x).hit ? 0 : 1;
        theirs += o.request(x) ? 1 : 0;
        ASSERT_EQ(mine, theirs) << "c=" << c << " request " << i;
        ASSERT_DOUBLE_EQ(s.p.target(), o.p) << "c=" << c << " request " << i;
      }
    }
  }
}

TEST(Arc, PinnedT1FallsBackToT2AndNothingChangesWithoutAVictim) {
  arc_policy p(2);
  basic_frames v(2);
  p.on_insert(0, page_key{1});
  p.on_insert(1, page_key{2});
  p.on_hit(1, page_key{2});  // 2 -> T2
  v.pin(0, true);
  // REPLACE picks T1 (|T1| = 1 > p = 0), whose only frame is pinned: T2.
  EXPECT_EQ(p.evict(page_key{3}, v), 1u);
  EXPECT_EQ(p.b2_size(), 1u);
  p.on_insert(1, page_key{3});
  v.pin(1, true);
  const double before = p.target();
  EXPECT_EQ(p.evict(page_key{2}, v), no_frame);  // 2 is in B2
  EXPECT_EQ(p.target(), before);
  EXPECT_EQ(p.ghost_of(page_key{2}), 2) << "a failed evict keeps the ghost";
  EXPECT_EQ(p.size(), 2u);
}

TEST(Arc, CreditsSpareWithinTheListAndDemoteGoesToItsLruEnd) {
  arc_policy p(3);
  basic_frames v(3);
  for (frame_id f = 0; f < 3; ++f) p.on_insert(f, page_key{f});
  v.hit(0, 1);
  EXPECT_EQ(p.evict(page_key{10}, v), 1u);  // 0 spared, to T1's MRU end
  EXPECT_EQ(v.usage(0), 0u);
  p.on_insert(1, page_key{10});  // T1: 10 0 2
  p.on_demote(0);                // T1: 10 2 0
  EXPECT_EQ(p.evict(page_key{11}, v), 0u);
  EXPECT_EQ(p.t1_size(), 2u);
}

TEST(Arc, HooksOutsideTheReplay) {
  arc_policy p(2);
  basic_frames v(2);
  p.on_insert(0, page_key{1});
  p.on_insert(1, page_key{2});
  p.on_hit(0, page_key{99});  // stale key: ignored
  EXPECT_EQ(p.t2_size(), 0u);
  p.on_hit(1, page_key{2});  // T1: 1, T2: 2
  // An undone eviction: 1 goes to B1, then comes back to T1 with no ghost.
  EXPECT_EQ(p.evict(page_key{3}, v), 0u);
  EXPECT_EQ(p.ghost_of(page_key{1}), 1);
  p.on_insert(0, page_key{1});
  EXPECT_EQ(p.ghost_of(page_key{1}), 0);
  EXPECT_EQ(p.t1_size(), 1u);
  EXPECT_EQ(p.t2_size(), 1u);
  // Evicted for real this time; then back through a free frame: a B1 hit
  // that adapts p without REPLACE.
  EXPECT_EQ(p.evict(page_key{3}, v), 0u);
  p.on_insert(0, page_key{3});
  p.on_remove(1);               // page 2 leaves (no ghost): frame 1 is free
  p.on_remove(1);               // no-op
  EXPECT_EQ(p.ghost_of(page_key{2}), 0);
  p.on_insert(1, page_key{1});  // 1 is in B1: p = 1, 1 -> T2
  EXPECT_EQ(p.ghost_of(page_key{1}), 0);
  EXPECT_EQ(p.t2_size(), 1u);
  EXPECT_EQ(p.t1_size(), 1u);
  EXPECT_DOUBLE_EQ(p.target(), 1.0);
}

}  // namespace
}  // namespace pagepool::policy
