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
// the full trace's. The ratios are SHARDS-adj's by default: misses over
// rate * requests, the references the sample should have caught, rather
// than over the references it did catch. A hot page caught (or missed)
// moves the sample's reference count far from rate * requests, and nearly
// all of that page's references are hits; counting the difference as hits
// at the smallest distance (the paper's adjustment) takes them back out.
// For any other policy, a miniature simulation (Waldspurger, Saemundsson,
// Ahmad and Park, USENIX ATC 2017): the policy simulated on the sample with a
// cache of round(c * rate) pages estimates the miss ratio at c, its misses
// over rate * requests likewise.
//
// Minimum miniature (ATC 2017 bounds the miniature from below, at 100
// pages in its experiments): a size c sampled at rate R is a
// miniature of round(c * R) pages, a handful when c is small (a 1% cache of
// a trace of 7,075 pages at R = 0.01 is one page), and a miniature that
// small behaves nothing like the full cache. So each size gets its own
// rate: R when c * R >= min_mini pages, else min_mini / c rounded up to the
// next power of 2^(1/4) (so that `--sizes all` needs a few dozen samples,
// not one per size), at most 1, which is the exact simulation (exact stack
// distances for LRU). The requested rate is then the lowest rate used, not
// the rate of every size: sizes under min_mini / R pages are sampled more,
// up to exactly, and the rate each size used is reported with it. The
// default, 4096 pages, and the errors it gives on the shipped traces (not
// all within 0.01 at R = 0.01) are in papers/eviction/mrc.md; the bounds
// tests/policy/mrc_test.cpp asserts are empirical.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "pagepool/policy.hpp"

namespace pagepool::policy {

/// LRU's stack distances of a trace, folded for misses at any size.
class lru_curve {
 public:
  lru_curve() = default;
  /// Exact: one pass over `trace`.
  static lru_curve exact(std::span<const std::uint32_t> trace);
  /// SHARDS estimate from a sample drawn at `rate` (0 < rate <= 1; the
  /// filter's own rate, shards_rate()) of a trace of `requests` requests:
  /// distances and counts scaled by 1/rate. With `adjust` (SHARDS-adj),
  /// ratios are over `requests`; without, over the sample's references
  /// scaled (plain fixed-rate SHARDS).
  static lru_curve from_sample(std::span<const std::uint32_t> sample, double rate,
                               std::uint64_t requests, bool adjust = true);

  /// Misses of an LRU cache of c pages (cold misses included); a fraction
  /// for an estimate.
  [[nodiscard]] double misses(std::size_t c) const noexcept;
  [[nodiscard]] double miss_ratio(std::size_t c) const noexcept {
    return total_ <= 0 ? 0.0 : std::min(1.0, misses(c) / total_);
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

/// The rate shards_sample() really samples at when asked for `rate`: its
/// threshold is a whole number out of 2^24.
[[nodiscard]] double shards_rate(double rate) noexcept;

/// The sampling rate for a cache of c pages when `rate` is asked for and a
/// miniature must hold at least `min_mini` pages: `rate` if c * rate >=
/// min_mini, else min_mini / c rounded up to a power of 2^(1/4), at most 1.
/// min_mini = 0: always `rate`.
[[nodiscard]] double rate_for_size(std::size_t c, double rate, std::size_t min_mini) noexcept;

/// How a sampled curve is drawn (pagepool-bench mrc --sample, --min-mini).
struct sampling {
  double rate = 0.01;           ///< the requested rate, in (0, 1]
  std::size_t min_mini = 4096;  ///< the smallest miniature cache, in pages (mrc.md: why 4096)
  bool adjust = true;           ///< SHARDS-adj: ratios over rate * requests
  std::uint64_t seed = 0;       ///< the sample's hash seed
};

/// One size of a sampled curve.
struct sampled_point {
  std::size_t c = 0;                ///< the cache size estimated
  double miss_ratio = 0;            ///< its estimate
  double rate = 1;                  ///< the rate its sample was drawn at (1: exact)
  std::size_t mini_c = 0;           ///< the miniature cache (c for LRU, whose curve has no cache)
  std::size_t sample_requests = 0;  ///< the references of that sample
};

/// Policy `kind`'s estimated miss ratio at each size of `cs` over `trace`:
/// SHARDS for LRU, miniature simulations for the others, each size at
/// rate_for_size(); a size whose rate is 1 is exact (stack distances for
/// LRU, one simulation for the others).
[[nodiscard]] std::vector<sampled_point> sampled_curve(policy_kind kind,
                                                       std::span<const std::uint32_t> trace,
                                                       std::span<const std::size_t> cs,
                                                       const sampling& s);

}  // namespace pagepool::policy
