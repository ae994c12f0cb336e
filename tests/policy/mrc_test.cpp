// Miss-ratio curves (src/policy/mrc.hpp): the exact LRU curve against a
// replay at every size, SHARDS' sample, the rate of each size (minimum
// miniature), SHARDS-adj, and the sampled curves against the exact ones on
// the shipped traces (skipped loudly without ../shared).
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

TEST(Mrc, RateForSizeKeepsTheMiniatureAtLeastMinMiniPages) {
  EXPECT_EQ(rate_for_size(100000, 0.01, 256), 0.01);  // 1,000 pages: the rate asked for
  EXPECT_EQ(rate_for_size(100000, 0.01, 0), 0.01);    // no minimum
  EXPECT_EQ(rate_for_size(10, 0.01, 0), 0.01);
  EXPECT_EQ(rate_for_size(100, 0.01, 256), 1.0);  // 256 / 100 > 1: exact
  EXPECT_EQ(rate_for_size(0, 0.01, 256), 1.0);
  EXPECT_EQ(rate_for_size(5, 2.0, 0), 1.0);
  for (std::size_t c = 1; c < 200000; c = c * 3 / 2 + 1) {
    for (const std::size_t m : {64u, 256u, 4096u}) {
      const double r = rate_for_size(c, 0.01, m);
      EXPECT_LE(r, 1.0);
      EXPECT_GE(r, 0.01);
      if (r < 1.0) {
        EXPECT_GE(static_cast<double>(c) * r, static_cast<double>(m) * (1 - 1e-12)) << c << " " << m;
      }
      if (r > 0.01 && r < 1.0) {
        // a power of 2^(1/4), and no more than one step above m / c
        const double q = 4.0 * std::log2(r);
        EXPECT_NEAR(q, std::round(q), 1e-9) << c;
        EXPECT_LT(r, std::exp2(0.25) * static_cast<double>(m) / static_cast<double>(c)) << c;
      }
    }
  }
}

TEST(Mrc, ShardsAdjRatiosAreOverTheExpectedReferences) {
  // A sample that caught twice the expected references: plain SHARDS
  // divides by what it caught, SHARDS-adj by rate * requests.
  const std::vector<std::uint32_t> sample{1, 2, 1, 2, 1, 2};  // 2 cold misses, 4 hits at distance 2
  const lru_curve plain = lru_curve::from_sample(sample, 0.5, 6, false);
  const lru_curve adj = lru_curve::from_sample(sample, 0.5, 6, true);
  EXPECT_DOUBLE_EQ(plain.misses(4), 4.0);  // 2 cold misses, scaled by 2
  EXPECT_DOUBLE_EQ(adj.misses(4), 4.0);    // the counts are the same
  EXPECT_DOUBLE_EQ(plain.miss_ratio(4), 4.0 / 12.0);
  EXPECT_DOUBLE_EQ(adj.miss_ratio(4), 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(adj.miss_ratio(1), 1.0);  // 12 misses over 6 requests: clamped
  EXPECT_DOUBLE_EQ(shards_rate(0.01), 167772.0 / 16777216.0);  // the filter's own rate
}

TEST(Mrc, SizesSampledAtRateOneAreExact) {
  const auto t = zipf_trace(30000, 2000, 0.9, 9);
  const std::vector<std::size_t> cs{20, 100, 300, 1000};
  sampling s;
  s.rate = 0.01;
  s.min_mini = 300;  // 20, 100 and 300 pages at rate 1; 1000 at 0.3 rounded up: 2^(-3/2)
  for (const policy_kind k : {policy_kind::lru, policy_kind::clock, policy_kind::arc, policy_kind::lirs}) {
    const auto pts = sampled_curve(k, t, cs, s);
    ASSERT_EQ(pts.size(), cs.size());
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(pts[i].rate, 1.0);
      EXPECT_EQ(pts[i].mini_c, cs[i]);
      EXPECT_EQ(pts[i].sample_requests, t.size());
      EXPECT_DOUBLE_EQ(pts[i].miss_ratio, static_cast<double>(simulate_misses_of(k, t, static_cast<std::uint32_t>(cs[i]))) /
                                              static_cast<double>(t.size()))
          << policy_name(k) << " c=" << cs[i];
    }
    EXPECT_DOUBLE_EQ(pts[3].rate, shards_rate(std::exp2(-1.5)));
    EXPECT_LT(pts[3].sample_requests, t.size());
    if (k != policy_kind::lru) {
      EXPECT_EQ(pts[3].mini_c, static_cast<std::size_t>(std::llround(1000 * pts[3].rate)));
    }
  }
}

// The shipped traces: exact LRU equals REFERENCE.md's counts; with the
// default sampling (1%, a miniature of at least sampling{}.min_mini pages,
// SHARDS-adj), every policy's estimate at 1%, 5% and 10% of the unique
// pages is within 0.01 of its exact simulation on the three traces the
// tests read (measured worst 0.0087, papers/eviction/mrc.md, which also
// says where the bound does not hold: LRU-2 on cloudphysics_w106, ARC and
// W-TinyLFU on arc_p6). The bound is for hash seed 0 (the default): the
// sample is one draw, and seed 2 puts cloudphysicsio_4k at 0.0116.
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

TEST(MrcShipped, SampledCurvesAtOnePercentAreWithinOneHundredth) {
  for (const auto& s : traces) {
    std::string why;
    const std::vector<std::uint32_t>* tp = test::shared_trace(s.file, why);
    if (tp == nullptr) {
      if (why.rfind("SKIPPED", 0) == 0) GTEST_SKIP() << why;
      FAIL() << why;
    }
    const std::vector<std::uint32_t>& t = *tp;
    sampling how;  // the defaults pagepool-bench mrc --sample uses
    how.rate = 0.01;
    const std::vector<std::size_t> cs(std::begin(s.c), std::end(s.c));
    for (int k = 0; k < policy_kind_count; ++k) {
      const auto kind = static_cast<policy_kind>(k);
      const auto pts = sampled_curve(kind, t, cs, how);
      for (const auto& p : pts) {
        const double exact = static_cast<double>(simulate_misses_of(kind, t, static_cast<std::uint32_t>(p.c))) /
                             static_cast<double>(t.size());
        EXPECT_NEAR(p.miss_ratio, exact, 0.01)
            << s.file << " " << policy_name(kind) << " c=" << p.c << " rate=" << p.rate;
      }
    }
  }
}

}  // namespace
}  // namespace pagepool::policy
