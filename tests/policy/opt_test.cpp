// Unit tests of src/policy/opt.hpp: Belady's MIN against hand-checked counts
// and a brute-force MIN (a linear scan for the farthest next use).
#include "policy/opt.hpp"

#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "policy/fifo.hpp"
#include "policy/lru.hpp"
#include "policy/simulate.hpp"
#include "policy_test_support.hpp"

namespace pagepool::policy {
namespace {

using test::belady_string;

// Hand-checked: with 3 frames, 4 evicts 3 (used last), 5 evicts 4, 3 evicts 1
// (never used again), 4 evicts 2 or 3: seven misses. With 4 frames: six.
TEST(Opt, BeladyStringSevenMissesWithThreeFramesSixWithFour) {
  EXPECT_EQ(opt_misses(belady_string, 3), 7u);
  EXPECT_EQ(opt_misses(belady_string, 4), 6u);
}

TEST(Opt, EdgeCases) {
  const std::vector<std::uint32_t> none;
  EXPECT_EQ(opt_misses(none, 3), 0u);
  EXPECT_EQ(opt_misses(belady_string, 0), belady_string.size());
  EXPECT_EQ(opt_misses(belady_string, 5), 5u) << "only cold misses";
  EXPECT_EQ(opt_misses(belady_string, 100), 5u);
  const std::vector<std::uint32_t> same(50, 7);
  EXPECT_EQ(opt_misses(same, 1), 1u);
  const std::vector<std::uint32_t> alt = {1, 2, 1, 2, 1, 2};
  EXPECT_EQ(opt_misses(alt, 1), 6u);
}

std::uint64_t brute_force_min(const std::vector<std::uint32_t>& t, std::size_t c) {
  std::set<std::uint32_t> cache;
  std::uint64_t misses = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (cache.count(t[i]) != 0) continue;
    ++misses;
    if (cache.size() == c) {
      std::uint32_t victim = 0;
      std::size_t farthest = 0;
      for (std::uint32_t pg : cache) {
        std::size_t j = i + 1;
        while (j < t.size() && t[j] != pg) ++j;
        if (j >= farthest) {
          farthest = j;
          victim = pg;
        }
      }
      cache.erase(victim);
    }
    cache.insert(t[i]);
  }
  return misses;
}

TEST(Opt, AgreesWithABruteForceMinAndBoundsOnlinePolicies) {
  std::mt19937 rng(1966);
  for (std::size_t c : {1u, 2u, 4u, 9u, 25u}) {
    std::vector<std::uint32_t> t(3000);
    for (auto& x : t) x = rng() % 3 == 0 ? rng() % 200 : rng() % 30;
    const std::uint64_t opt = opt_misses(t, c);
    EXPECT_EQ(opt, brute_force_min(t, c)) << "c=" << c;
    EXPECT_LE(opt, simulate_misses<lru_policy>(t, static_cast<std::uint32_t>(c)));
    EXPECT_LE(opt, simulate_misses<fifo_policy>(t, static_cast<std::uint32_t>(c)));
  }
}

}  // namespace
}  // namespace pagepool::policy
