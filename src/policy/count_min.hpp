// src/policy/count_min.hpp: the frequency sketch of W-TinyLFU (wtinylfu.hpp):
// a count-min sketch with periodic halving ("aging"), sized and hashed as
// libCacheSim's minimalIncrementCBF.c (commit aa0fc40914b2), so that a replay
// makes exactly its admission decisions.
//
// Shape. For a cache of M entries and a target error e = 0.001:
//   bits per entry  b = -ln(e) / ln(2)^2       (14.38)
//   hash functions  k = ceil(ln(2) * b)        (10)
//   counters        n = ceil(b * M), at least 2k
// all in double arithmetic with the reference's constants, so n and k agree
// with it to the last unit. Counters are 32-bit.
//
// Hashing (double hashing, Kirsch and Mitzenmacher): a page's 64-bit id x is
// hashed twice with XXH64 over its 8 little-endian bytes, seeds 0x12345678 and
// 0x12344321; the low 32 bits of each are a and b, and counter i (0..k-1) is
// (a + i * b) mod n in 32-bit unsigned arithmetic. XXH64 (Yann Collet's
// xxHash, 64-bit variant) is written below from its specification for this
// one input length.
//
// add(x) increments all k counters of x (a counter hit twice by the k indices
// is incremented twice); estimate(x) is the smallest of them; halve() shifts
// every counter right by one (the reset that ages the counts: TinyLFU's
// "reset", Einziger et al., ACM TOS 2017).
//
// Not thread-safe: used under the region's policy latch. Memory: 4n bytes,
// about 58 bytes per entry, allocated by the constructor for the largest M.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace pagepool::policy::internal {

/// XXH64 of the 8 little-endian bytes of v, with seed `seed`.
[[nodiscard]] constexpr std::uint64_t xxh64_of_u64(std::uint64_t v, std::uint64_t seed) noexcept {
  constexpr std::uint64_t p1 = 0x9E3779B185EBCA87ull, p2 = 0xC2B2AE3D27D4EB4Full,
                          p3 = 0x165667B19E3779F9ull, p4 = 0x85EBCA77C2B2AE63ull,
                          p5 = 0x27D4EB2F165667C5ull;
  auto rotl = [](std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); };
  std::uint64_t h = seed + p5 + 8;  // inputs shorter than 32 bytes
  std::uint64_t lane = v * p2;      // one 8-byte lane: round(0, v)
  lane = rotl(lane, 31) * p1;
  h ^= lane;
  h = rotl(h, 27) * p1 + p4;
  h ^= h >> 33;  // avalanche
  h *= p2;
  h ^= h >> 29;
  h *= p3;
  h ^= h >> 32;
  return h;
}

class count_min {
 public:
  static constexpr double error = 0.001;
  static constexpr std::uint64_t seed_a = 0x12345678, seed_b = 0x12344321;

  /// A sketch for caches of up to max_entries entries (allocated now).
  explicit count_min(std::uint32_t max_entries) : counters_(shape(max_entries).n, 0) {
    set_entries(max_entries);
  }

  /// Resizes for `entries` (at most the constructor's) and clears the counts.
  void set_entries(std::uint32_t entries) noexcept {
    const sizes s = shape(entries);
    k_ = s.k;
    n_ = std::min<std::uint32_t>(s.n, static_cast<std::uint32_t>(counters_.size()));
    std::fill(counters_.begin(), counters_.end(), 0u);
  }

  [[nodiscard]] std::uint32_t hashes() const noexcept { return k_; }
  [[nodiscard]] std::uint32_t counters() const noexcept { return n_; }

  [[nodiscard]] std::uint32_t estimate(std::uint64_t x) const noexcept {
    const auto [a, b] = hash(x);
    std::uint32_t m = 0xFFFFFFFFu;
    for (std::uint32_t i = 0; i < k_; ++i) m = std::min(m, counters_[(a + i * b) % n_]);
    return m;
  }
  void add(std::uint64_t x) noexcept {
    const auto [a, b] = hash(x);
    for (std::uint32_t i = 0; i < k_; ++i) ++counters_[(a + i * b) % n_];
  }
  void halve() noexcept {
    for (std::uint32_t i = 0; i < n_; ++i) counters_[i] >>= 1;
  }

 private:
  struct sizes {
    std::uint32_t k, n;
  };
  static sizes shape(std::uint32_t entries) noexcept {
    const double b = -std::log(error) / 0.480453013918201;  // ln(2)^2
    const auto k = static_cast<std::uint32_t>(std::ceil(0.693147180559945 * b));
    const double n = std::min(std::ceil(b * static_cast<double>(entries)), 2147483647.0);
    auto nn = static_cast<std::uint32_t>(n);
    if (nn < k) nn = 2 * k;
    return {k, nn};
  }
  struct pair {
    std::uint32_t a, b;
  };
  static pair hash(std::uint64_t x) noexcept {
    return {static_cast<std::uint32_t>(xxh64_of_u64(x, seed_a)),
            static_cast<std::uint32_t>(xxh64_of_u64(x, seed_b))};
  }

  std::vector<std::uint32_t> counters_;
  std::uint32_t k_ = 1, n_ = 1;
};

}  // namespace pagepool::policy::internal
