// src/policy/mrc.hpp: miss-ratio curves, the miss ratio of a policy at every
// cache size, without one full replay per size.
//
// Exact LRU (Mattson, Gecsei, Slutz and Traiger, "Evaluation techniques for
// storage hierarchies", IBM Systems Journal 1970): LRU has the inclusion
// property, so one pass that computes each request's stack distance d (the
// number of distinct pages referenced since the page's previous reference,
// itself included; a first reference is a cold miss) gives every size at
// once: a cache of c pages hits exactly the requests with d <= c. The pass
// keeps, in a Fenwick tree over request times, a 1 at the time of each
// page's latest reference; d is the count of 1s after the page's previous
// time, plus one. O(n log n) time, O(n) memory, for n requests.
//
// SHARDS (Waldspurger, Park, Garthwaite and Ahmad, FAST 2015): spatially
// hashed sampling keeps every reference to a page whose hash falls below
// rate * 2^24 (so a kept page keeps all its references), about `rate` of
// the pages. For LRU, the sample's stack distances scaled by 1/rate estimate
// the full trace's (fixed-rate SHARDS; ratios over the sample's own
// references, which a few hot pages caught or missed can move far from
// rate * requests).
// For any other policy, a miniature simulation (Waldspurger, Park, Garthwaite
// and Ahmad, USENIX ATC 2017): the policy simulated on the sample with a
// cache of round(c * rate) pages estimates the miss ratio at c. Error bounds
// are empirical (tests/policy/mrc_test.cpp and papers/eviction/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace pagepool::policy {

/// LRU's stack distances of a trace, folded for misses at any size.
class lru_curve {
 public:
  lru_curve() = default;
  /// Exact: one pass over `trace`.
  static lru_curve exact(std::span<const std::uint32_t> trace);
  /// SHARDS estimate from a sample drawn at `rate` (0 < rate <= 1) of a
  /// trace of `requests` requests: distances and counts scaled by 1/rate
  /// (fixed-rate SHARDS; ratios are over the sample's references).
  static lru_curve from_sample(std::span<const std::uint32_t> sample, double rate,
                               std::uint64_t requests);

  /// Misses of an LRU cache of c pages (cold misses included); a fraction
  /// for an estimate.
  [[nodiscard]] double misses(std::size_t c) const noexcept;
  [[nodiscard]] double miss_ratio(std::size_t c) const noexcept {
    return total_ <= 0 ? 0.0 : misses(c) / total_;
  }
  [[nodiscard]] std::uint64_t requests() const noexcept { return requests_; }
  /// Distinct pages (exact curve) or their estimate.
  [[nodiscard]] std::uint64_t unique() const noexcept { return unique_; }

 private:
  // beyond_[d]: requests (weighted) with stack distance > d, cold included,
  // for d = 0 .. max distance; past the end, cold_ alone.
  std::vector<double> beyond_;
  double cold_ = 0;
  double total_ = 0;  // requests the curve stands for (the sample's, scaled)
  std::uint64_t requests_ = 0;
  std::uint64_t unique_ = 0;
};

/// SHARDS' spatially hashed sample: every reference to a page whose hash
/// (a fixed 64-bit mix of the page number and `seed`) modulo 2^24 is below
/// rate * 2^24, in order.
[[nodiscard]] std::vector<std::uint32_t> shards_sample(std::span<const std::uint32_t> trace,
                                                       double rate, std::uint64_t seed = 0);

}  // namespace pagepool::policy
