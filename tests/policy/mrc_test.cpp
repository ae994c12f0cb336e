// Miss-ratio curves (src/policy/mrc.hpp): the exact LRU curve against a
// replay at every size, SHARDS' sample, and the sampled curves against the
// exact ones on the shipped traces (skipped loudly without ../shared).
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policy/lru.hpp"
#include "policy/mrc.hpp"
#include "policy/simulate.hpp"
#include "policy/simulate_any.hpp"
#include "policy/trace.hpp"
#include "shared_traces.hpp"
#include "testkit/rng.hpp"
#include "testkit/zipf.hpp"

#ifndef PAGEPOOL_SHARED_DIR
#error "PAGEPOOL_SHARED_DIR must name the shared directory (tests/policy/CMakeLists.txt)"
#endif

namespace pagepool::policy {
namespace {

std::vector<std::uint32_t> zipf_trace(std::size_t n, std::uint64_t pages, double theta, std::uint64_t seed) {
  testkit::rng r(seed);
  testkit::zipf_distribution z(pages, theta);
  std::vector<std::uint32_t> t(n);
  // Ranks spread over page numbers so that hot pages are not 0, 1, 2, ...
  for (auto& p : t) p = static_cast<std::uint32_t>((z(r) * 2654435761u) % 1000003u);
  return t;
}

TEST(Mrc, ExactLruEqualsAReplayAtEverySize) {
  for (const double theta : {0.0, 0.8, 1.2}) {
    const auto t = zipf_trace(20000, 600, theta, 7);
    const lru_curve c = lru_curve::exact(t);
    ASSERT_EQ(c.requests(), t.size());
    std::set<std::uint32_t> distinct(t.begin(), t.end());
    ASSERT_EQ(c.unique(), distinct.size());
    for (std::uint32_t size = 1; size <= c.unique() + 1; ++size)
      ASSERT_EQ(c.misses(size), static_cast<double>(simulate_misses<lru_policy>(t, size)))
          << "theta " << theta << ", c = " << size;
    EXPECT_EQ(c.misses(0), static_cast<double>(t.size()));  // no cache: every request misses
  }
}

TEST(Mrc, HandComputedStackDistances) {
  // a b c a b d a: distances -, -, -, 3, 3, -, 3 -> 4 cold misses.
  const std::vector<std::uint32_t> t{1, 2, 3, 1, 2, 4, 1};
  const lru_curve c = lru_curve::exact(t);
  EXPECT_EQ(c.misses(1), 7.0);
  EXPECT_EQ(c.misses(2), 7.0);
  EXPECT_EQ(c.misses(3), 4.0);
  EXPECT_EQ(c.misses(100), 4.0);
  EXPECT_EQ(c.unique(), 4u);
}

TEST(Mrc, ShardsSampleKeepsEveryReferenceOfAKeptPage) {
  const auto t = zipf_trace(50000, 5000, 0.9, 3);
  const auto s = shards_sample(t, 0.1, 11);
  std::set<std::uint32_t> kept(s.begin(), s.end());
  std::size_t expect = 0;
  for (const auto p : t) expect += kept.count(p);
  EXPECT_EQ(s.size(), expect);  // all of a kept page's references, in order
  std::set<std::uint32_t> all(t.begin(), t.end());
  const double share = static_cast<double>(kept.size()) / static_cast<double>(all.size());
  EXPECT_GT(share, 0.05);
  EXPECT_LT(share, 0.15);
  EXPECT_EQ(shards_sample(t, 1.0).size(), t.size());
}

TEST(Mrc, SampledCurveAtRateOneIsTheExactCurve) {
  const auto t = zipf_trace(20000, 800, 1.0, 5);
  const lru_curve e = lru_curve::exact(t);
  const lru_curve s = lru_curve::from_sample(shards_sample(t, 1.0), 1.0, t.size());
  for (std::size_t c = 1; c <= 800; c += 7) EXPECT_DOUBLE_EQ(s.miss_ratio(c), e.miss_ratio(c)) << c;
}

// The shipped traces: exact LRU equals REFERENCE.md's counts; the sampled
// curves (SHARDS for LRU, miniature simulations for CLOCK) at 10% within
// 0.01 of the exact ones on the two traces large enough for it (measured
// error 0.003-0.006; at 1% sampling these traces are too small: see
// papers/eviction/mrc.md).
struct shipped {
  const char* file;
  std::uint32_t c[3];
  std::uint64_t lru[3];
};
const shipped traces[] = {
    {"lirs_sprite.txt", {70, 353, 707}, {112114, 46061, 18121}},
    {"arc_oltp.txt", {1868, 9344, 18688}, {533560, 364938, 306044}},
    {"cloudphysicsio_4k.txt.gz", {2692, 13460, 26921}, {1024107, 1012954, 998105}},
};


TEST(MrcShipped, ExactLruMatchesTheReferenceCounts) {
  for (const auto& s : traces) {
    std::string why;
    const std::vector<std::uint32_t>* tp = test::shared_trace(s.file, why);
    if (tp == nullptr) {
      if (why.rfind("SKIPPED", 0) == 0) GTEST_SKIP() << why;
      FAIL() << why;
    }
    const std::vector<std::uint32_t>& t = *tp;
    const lru_curve c = lru_curve::exact(t);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(c.misses(s.c[i]), static_cast<double>(s.lru[i])) << s.file;
  }
}

TEST(MrcShipped, SampledCurvesAtTenPercentAreWithinOneHundredth) {
  for (const auto& s : {traces[1], traces[2]}) {
    std::string why;
    const std::vector<std::uint32_t>* tp = test::shared_trace(s.file, why);
    if (tp == nullptr) {
      if (why.rfind("SKIPPED", 0) == 0) GTEST_SKIP() << why;
      FAIL() << why;
    }
    const std::vector<std::uint32_t>& t = *tp;
    const double rate = 0.1;
    const auto sample = shards_sample(t, rate);
    const lru_curve exact = lru_curve::exact(t);
    const lru_curve est = lru_curve::from_sample(sample, rate, t.size());
    for (const std::uint32_t c : s.c) {
      EXPECT_NEAR(est.miss_ratio(c), exact.miss_ratio(c), 0.01) << s.file << " LRU c=" << c;
      const auto mini = static_cast<std::uint32_t>(std::llround(c * rate));
      const double clock_est = static_cast<double>(simulate_misses_of(policy_kind::clock, sample, mini)) /
                               static_cast<double>(sample.size());
      const double clock_exact = static_cast<double>(simulate_misses_of(policy_kind::clock, t, c)) /
                                 static_cast<double>(t.size());
      EXPECT_NEAR(clock_est, clock_exact, 0.01) << s.file << " CLOCK c=" << c;
    }
  }
}

}  // namespace
}  // namespace pagepool::policy
