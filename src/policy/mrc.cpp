// src/policy/mrc.cpp: exact LRU stack distances and SHARDS (policy/mrc.hpp).
#include "policy/mrc.hpp"

#include <algorithm>
#include <cmath>

#include "policy/key_table.hpp"

namespace pagepool::policy {

namespace {

/// A Fenwick (binary indexed) tree of counts over positions 0..n-1.
class fenwick {
 public:
  explicit fenwick(std::size_t n) : t_(n + 1, 0) {}
  void add(std::size_t i, std::int32_t v) noexcept {
    for (++i; i < t_.size(); i += i & (~i + 1)) t_[i] += v;
  }
  /// Sum over positions [0, i).
  [[nodiscard]] std::int64_t prefix(std::size_t i) const noexcept {
    std::int64_t s = 0;
    for (; i > 0; i -= i & (~i + 1)) s += t_[i];
    return s;
  }

 private:
  std::vector<std::int32_t> t_;
};

std::uint64_t mix(std::uint64_t x) noexcept {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

/// Stack distances of `trace`: hist[d] requests at distance d (1-based),
/// `cold` first references, `unique` pages.
void distances(std::span<const std::uint32_t> trace, std::vector<std::uint64_t>& hist,
               std::uint64_t& cold, std::uint64_t& unique) {
  internal::key_table last(1024);  // page -> time of its latest reference
  fenwick marks(trace.size());
  std::int64_t marked = 0;  // the number of 1s in the tree: pages seen
  hist.assign(1, 0);
  cold = 0;
  for (std::size_t t = 0; t < trace.size(); ++t) {
    const std::uint32_t page = trace[t];
    const std::uint32_t prev = last.find(page);
    if (prev == internal::key_table::npos) {
      ++cold;
      ++marked;
    } else {
      // Pages referenced after prev (each counted once, at its latest
      // time), plus this one.
      const auto d = static_cast<std::size_t>(marked - marks.prefix(std::size_t{prev} + 1) + 1);
      if (d >= hist.size()) hist.resize(std::max(d + 1, hist.size() * 2), 0);
      ++hist[d];
      marks.add(prev, -1);
    }
    marks.add(t, 1);
    last.insert_or_assign(page, static_cast<std::uint32_t>(t));
  }
  unique = static_cast<std::uint64_t>(marked);
}

}  // namespace

lru_curve lru_curve::exact(std::span<const std::uint32_t> trace) {
  std::vector<std::uint64_t> hist;
  std::uint64_t cold = 0, unique = 0;
  distances(trace, hist, cold, unique);
  lru_curve c;
  c.requests_ = trace.size();
  c.total_ = static_cast<double>(trace.size());
  c.unique_ = unique;
  c.cold_ = static_cast<double>(cold);
  c.beyond_.assign(hist.size(), 0);
  double above = c.cold_;
  for (std::size_t d = hist.size(); d-- > 0;) {
    c.beyond_[d] = above;
    above += static_cast<double>(hist[d]);
  }
  return c;
}

lru_curve lru_curve::from_sample(std::span<const std::uint32_t> sample, double rate,
                                 std::uint64_t requests) {
  std::vector<std::uint64_t> hist;
  std::uint64_t cold = 0, unique = 0;
  distances(sample, hist, cold, unique);
  lru_curve c;
  c.requests_ = requests;
  const double w = 1.0 / rate;
  c.unique_ = static_cast<std::uint64_t>(std::llround(static_cast<double>(unique) * w));
  c.cold_ = static_cast<double>(cold) * w;
  // Scaled distance of sample distance d: ceil(d / rate); each sampled
  // reference stands for 1/rate of the trace's. The curve's total is the
  // sample's, scaled (fixed-rate SHARDS): miss ratios are misses over the
  // sample's references, so a sample that caught more or fewer references
  // than rate * requests does not push a ratio past 1.
  std::vector<double> scaled;  // weight at scaled distance
  for (std::size_t d = 1; d < hist.size(); ++d) {
    if (hist[d] == 0) continue;
    const auto sd = static_cast<std::size_t>(std::ceil(static_cast<double>(d) * w));
    if (sd >= scaled.size()) scaled.resize(sd + 1, 0);
    scaled[sd] += static_cast<double>(hist[d]) * w;
  }
  if (scaled.size() < 2) scaled.resize(2, 0);
  c.total_ = static_cast<double>(sample.size()) * w;
  c.beyond_.assign(scaled.size(), 0);
  double above = c.cold_;
  for (std::size_t d = scaled.size(); d-- > 0;) {
    c.beyond_[d] = above;
    above += scaled[d];
  }
  return c;
}

double lru_curve::misses(std::size_t c) const noexcept {
  if (c < beyond_.size()) return std::max(0.0, beyond_[c]);
  return cold_;
}

std::vector<std::uint32_t> shards_sample(std::span<const std::uint32_t> trace, double rate,
                                         std::uint64_t seed) {
  constexpr std::uint64_t modulus = 1ull << 24;
  const auto threshold = static_cast<std::uint64_t>(std::llround(rate * modulus));
  std::vector<std::uint32_t> out;
  out.reserve(static_cast<std::size_t>(static_cast<double>(trace.size()) * rate * 1.2) + 16);
  const std::uint64_t s = mix(seed + 0x9E3779B97F4A7C15ull);
  for (const std::uint32_t p : trace)
    if ((mix(p ^ s) & (modulus - 1)) < threshold) out.push_back(p);
  return out;
}

}  // namespace pagepool::policy
