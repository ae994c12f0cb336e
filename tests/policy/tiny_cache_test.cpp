// tests/policy/tiny_cache_test.cpp: every policy with caches of one, two and
// three frames. With one frame every policy must be the same cache (a hit
// exactly when a request repeats the one before it), and with two or three
// no policy may run out of victims; a miniature simulation (SHARDS at 1% of
// a small trace) asks for exactly such caches. LIRS with one frame (no room
// for an LIR page) made its first victimless miss here.

#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "pagepool/policy.hpp"
#include "policy/simulate_any.hpp"

namespace pagepool::policy {
namespace {

std::vector<std::uint32_t> skewed_trace(std::size_t n, std::uint32_t pages, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint32_t> t;
  t.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    // Repeats of the previous page, a small hot set, and a long tail.
    const std::uint32_t r = rng() % 10;
    if (r < 2 && !t.empty()) t.push_back(t.back());
    else if (r < 6) t.push_back(rng() % 4);
    else t.push_back(rng() % pages);
  }
  return t;
}

TEST(TinyCache, OneFrameIsTheSameCacheForEveryPolicy) {
  const auto t = skewed_trace(20000, 500, 7);
  std::uint64_t want = 0;
  for (std::size_t i = 0; i < t.size(); ++i) want += (i == 0 || t[i] != t[i - 1]) ? 1 : 0;
  for (int k = 0; k < policy_kind_count; ++k) {
    const auto kind = static_cast<policy_kind>(k);
    EXPECT_EQ(simulate_misses_of(kind, t, 1), want) << policy_name(kind);
  }
}

TEST(TinyCache, TwoAndThreeFramesAlwaysFindAVictim) {
  const auto t = skewed_trace(20000, 500, 11);
  for (std::uint32_t c : {2u, 3u}) {
    // One frame's misses bound every larger cache's from above only for
    // stack policies; what every policy must do is finish the trace with at
    // most one miss per request and at least one per distinct page.
    std::vector<bool> seen(500, false);
    std::uint64_t distinct = 0;
    for (std::uint32_t p : t)
      if (!seen[p]) seen[p] = true, ++distinct;
    for (int k = 0; k < policy_kind_count; ++k) {
      const auto kind = static_cast<policy_kind>(k);
      const std::uint64_t m = simulate_misses_of(kind, t, c);
      EXPECT_GE(m, distinct) << policy_name(kind) << " c=" << c;
      EXPECT_LE(m, t.size()) << policy_name(kind) << " c=" << c;
    }
  }
}

}  // namespace
}  // namespace pagepool::policy
