// tests/testkit/zipf_test.cpp: testkit/zipf.hpp draws the distribution it
// claims, for fixed seeds; testkit/rng.hpp and the scatter permutation give
// the sequences that seeded runs are replayed by.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include "testkit/rng.hpp"
#include "testkit/zipf.hpp"

namespace pagepool::testkit {
namespace {

// Frequencies of ranks drawn directly from the distribution.
std::vector<double> rank_frequencies(const zipf_distribution& z, std::uint64_t samples, std::uint64_t seed) {
  std::vector<double> f(z.size(), 0.0);
  rng r(seed);
  for (std::uint64_t i = 0; i < samples; ++i) f[z(r)] += 1.0;
  for (auto& x : f) x /= static_cast<double>(samples);
  return f;
}

TEST(ZipfDistribution, ProbabilitiesFollowThePowerLawAndSumToOne) {
  for (double theta : {0.0, 0.5, 0.99, 1.0, 1.5}) {
    const zipf_distribution z(1000, theta);
    double sum = 0.0;
    for (std::uint64_t k = 0; k < z.size(); ++k) sum += z.probability(k);
    EXPECT_NEAR(sum, 1.0, 1e-9) << "theta " << theta;
    for (std::uint64_t k : {1u, 9u, 99u, 999u})
      EXPECT_NEAR(z.probability(k) / z.probability(0), std::pow(static_cast<double>(k + 1), -theta), 1e-9)
          << "theta " << theta << " rank " << k;
  }
}

TEST(ZipfDistribution, RankFrequenciesMatchTheDistributionForAFixedSeed) {
  constexpr std::uint64_t samples = 2'000'000;
  for (double theta : {0.5, 0.99, 1.2}) {
    const zipf_distribution z(1000, theta);
    const std::vector<double> f = rank_frequencies(z, samples, 42);
    // Each of the top 50 ranks within 5 standard deviations of its binomial count.
    for (std::uint64_t k = 0; k < 50; ++k) {
      const double p = z.probability(k);
      const double sd = std::sqrt(p * (1 - p) / samples);
      EXPECT_NEAR(f[k], p, 5 * sd + 1e-6) << "theta " << theta << " rank " << k;
    }
    // The log-log slope of frequency against rank over ranks 1..100 is -theta.
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int n = 0;
    for (std::uint64_t k = 0; k < 100; ++k) {
      const double x = std::log(static_cast<double>(k + 1));
      const double y = std::log(f[k]);
      sx += x, sy += y, sxx += x * x, sxy += x * y, ++n;
    }
    const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    EXPECT_NEAR(slope, -theta, 0.05) << "theta " << theta;
  }
}

TEST(ZipfDistribution, RejectsNoPagesAndANegativeTheta) {
  EXPECT_THROW(zipf_distribution(0, 0.99), std::invalid_argument);
  EXPECT_THROW(zipf_distribution(10, -0.1), std::invalid_argument);
}

TEST(ZipfDistribution, RankOfEveryUniformDrawIsInRange) {
  const zipf_distribution z(10, 0.99);
  EXPECT_EQ(z.rank(0.0), 0u);
  EXPECT_EQ(z.rank(1.0), 9u);  // what a std:: distribution may return at its edge
  EXPECT_LT(z.rank(std::nextafter(1.0, 0.0)), 10u);
}

TEST(ZipfDistribution, DrawsFromAStandardGeneratorFollowTheDistributionToo) {
  // The stress driver draws with std::mt19937_64.
  const zipf_distribution z(100, 0.99);
  std::mt19937_64 g(3);
  constexpr int samples = 400000;
  std::vector<double> f(z.size(), 0.0);
  for (int i = 0; i < samples; ++i) f[z(g)] += 1.0;
  for (std::uint64_t k = 0; k < 10; ++k) {
    const double p = z.probability(k);
    EXPECT_NEAR(f[k] / samples, p, 5 * std::sqrt(p * (1 - p) / samples)) << "rank " << k;
  }
}

TEST(ZipfPages, ScatterIsAPermutationAndTheHottestPageIsRankZeros) {
  const zipf_pages z(500, 0.99, 7);
  std::vector<int> seen(z.size(), 0);
  for (std::uint64_t k = 0; k < z.size(); ++k) ++seen[z.page_of_rank(k)];
  for (std::size_t p = 0; p < seen.size(); ++p) ASSERT_EQ(seen[p], 1) << p;
  rng r(1);
  std::vector<int> count(z.size(), 0);
  for (int i = 0; i < 100000; ++i) ++count[z(r)];
  std::uint32_t hottest = 0;
  for (std::uint32_t p = 0; p < count.size(); ++p)
    if (count[p] > count[hottest]) hottest = p;
  EXPECT_EQ(hottest, z.page_of_rank(0));
  const zipf_pages plain(500, 0.99, 7, false);
  for (std::uint32_t k = 0; k < 500; ++k) ASSERT_EQ(plain.page_of_rank(k), k);
}

// Seeded runs (pagepool-bench run, the stress driver's workloads, the demo)
// are replayed by their seed: these values must not change.
TEST(Sequences, RngAndSplitmixArePinned) {
  rng r(42);
  EXPECT_EQ(r(), 0x15780b2e0c2ec716ull);
  EXPECT_EQ(r(), 0x6104d9866d113a7eull);
  EXPECT_EQ(r(), 0xae17533239e499a1ull);
  EXPECT_EQ(r(), 0xecb8ad4703b360a1ull);
  static_assert(splitmix64(0) == 0xe220a8397b1dcdafull);
}

TEST(Sequences, ZipfRanksAndScatterArePinned) {
  const zipf_distribution z(1000, 0.99);
  rng r(5);
  const std::vector<std::uint64_t> ranks = {4, 53, 76, 273, 28, 208, 25, 248, 8, 9};
  for (std::size_t i = 0; i < ranks.size(); ++i) EXPECT_EQ(z(r), ranks[i]) << "draw " << i;
  const zipf_pages pages(500, 0.99, 7);
  const std::vector<std::uint32_t> hottest = {366, 199, 335, 355, 142, 299};
  for (std::size_t k = 0; k < hottest.size(); ++k) EXPECT_EQ(pages.page_of_rank(k), hottest[k]) << "rank " << k;
}

}  // namespace
}  // namespace pagepool::testkit
