// testkit/rng.hpp: seeded random numbers that are the same on every platform:
// splitmix64 (to spread a seed) and xoshiro256** (a fast generator for
// request streams). std::mt19937_64 is portable too, but std:: distributions
// are not; everything drawn from this generator is.
#pragma once

#include <cstdint>
#include <limits>

namespace pagepool::testkit {

/// splitmix64's finaliser after one step (Steele, Lea and Flood): spreads a
/// seed so that nearby seeds give unrelated streams.
constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// xoshiro256** (Blackman and Vigna), seeded through splitmix64. A uniform
/// random bit generator, so std::shuffle and the like take it too.
class rng {
 public:
  using result_type = std::uint64_t;

  /// The state is four successive outputs of splitmix64 from `seed`.
  explicit rng(std::uint64_t seed) noexcept {
    for (auto& w : s_) {
      w = splitmix64(seed);
      seed += 0x9E3779B97F4A7C15ull;
    }
  }
  std::uint64_t next() noexcept {
    const std::uint64_t r = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return r;
  }
  std::uint64_t operator()() noexcept { return next(); }
  static constexpr std::uint64_t min() noexcept { return 0; }
  static constexpr std::uint64_t max() noexcept { return std::numeric_limits<std::uint64_t>::max(); }

  /// Uniform in [0, n), n > 0 (Lemire's multiply-shift; the bias is below
  /// n / 2^64, far under anything a run can measure).
  std::uint64_t below(std::uint64_t n) noexcept {
    __extension__ using u128 = unsigned __int128;  // GCC and Clang; -Wpedantic is told
    return static_cast<std::uint64_t>((static_cast<u128>(next()) * n) >> 64);
  }
  /// Uniform in [0, 1), from the top 53 bits.
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace pagepool::testkit
