// testkit/zipf.hpp: Zipf-distributed ranks and pages, the one skewed stream of
// the tests, the stress driver, pagepool-bench and the demo.
//
// zipf_distribution draws rank k (0-based) of n with probability
// (k+1)^-theta / H(n, theta), for any theta >= 0, from a precomputed CDF by
// binary search: exact, unlike Gray et al.'s rejection-free approximation,
// and defined at theta = 1 and above. zipf_pages maps the ranks onto pages
// through a seeded permutation, so that the hot pages are not neighbours (nor
// all in one region of the pool).
//
// Both are immutable once built: one instance serves every thread, each
// thread drawing from its own generator. With testkit::rng every draw is the
// same on every platform; any other uniform random bit generator (the stress
// driver's std::mt19937_64) works too, through std::uniform_real_distribution.
// tests/testkit/zipf_test.cpp checks the distribution and pins the sequences.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "testkit/rng.hpp"

namespace pagepool::testkit {

/// Zipf over ranks 0..n-1: P(k) = (k+1)^-theta / sum_{j=1..n} j^-theta.
class zipf_distribution {
 public:
  zipf_distribution(std::uint64_t n, double theta) : theta_(theta), cdf_(n) {
    if (n == 0 || !(theta >= 0.0)) throw std::invalid_argument("zipf: n > 0 and theta >= 0");
    double sum = 0.0;
    for (std::uint64_t k = 0; k < n; ++k) {
      sum += std::pow(static_cast<double>(k + 1), -theta);
      cdf_[k] = sum;
    }
    for (auto& c : cdf_) c /= sum;
    cdf_.back() = 1.0;
  }

  [[nodiscard]] std::uint64_t size() const noexcept { return cdf_.size(); }
  [[nodiscard]] double theta() const noexcept { return theta_; }
  /// The probability of rank k.
  [[nodiscard]] double probability(std::uint64_t k) const noexcept {
    return k == 0 ? cdf_[0] : cdf_[k] - cdf_[k - 1];
  }
  /// The rank of a uniform draw u in [0, 1): the first k whose CDF exceeds u.
  [[nodiscard]] std::uint64_t rank(double u) const noexcept {
    const auto k = static_cast<std::uint64_t>(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
    return std::min<std::uint64_t>(k, cdf_.size() - 1);  // u == 1.0 from a std:: distribution
  }
  /// A rank, drawn from testkit::rng (the same on every platform).
  [[nodiscard]] std::uint64_t operator()(rng& r) const noexcept { return rank(r.unit()); }
  /// A rank, drawn from any other uniform random bit generator.
  template <std::uniform_random_bit_generator G>
  [[nodiscard]] std::uint64_t operator()(G& g) const {
    return rank(std::uniform_real_distribution<double>(0.0, 1.0)(g));
  }

 private:
  double theta_;
  std::vector<double> cdf_;
};

/// Zipf over pages 0..n-1: rank k is page page_of_rank(k), a seeded
/// permutation (Fisher-Yates with testkit::rng), or page k without scatter.
class zipf_pages {
 public:
  zipf_pages(std::uint64_t n, double theta, std::uint64_t seed, bool scatter = true)
      : ranks_(n, theta), perm_(n) {
    for (std::uint64_t i = 0; i < n; ++i) perm_[i] = static_cast<std::uint32_t>(i);
    if (!scatter) return;
    rng r(seed ^ 0x5CA77E5ull);
    for (std::uint64_t i = n - 1; i > 0; --i) std::swap(perm_[i], perm_[r.below(i + 1)]);
  }

  [[nodiscard]] const zipf_distribution& ranks() const noexcept { return ranks_; }
  [[nodiscard]] std::uint64_t size() const noexcept { return perm_.size(); }
  /// The page of rank k.
  [[nodiscard]] std::uint32_t page_of_rank(std::uint64_t k) const noexcept { return perm_[k]; }
  /// A page, drawn from `g` (testkit::rng or any uniform random bit generator).
  template <typename G>
  [[nodiscard]] std::uint32_t operator()(G& g) const {
    return perm_[ranks_(g)];
  }

 private:
  zipf_distribution ranks_;
  std::vector<std::uint32_t> perm_;
};

}  // namespace pagepool::testkit
