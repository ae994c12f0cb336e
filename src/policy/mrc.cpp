// src/policy/mrc.cpp: exact LRU stack distances and SHARDS (policy/mrc.hpp).
#include "policy/mrc.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "policy/key_table.hpp"
#include "policy/simulate_any.hpp"

namespace pagepool::policy {

namespace {

constexpr std::uint64_t modulus = 1ull << 24;  // the sample's hash is taken modulo 2^24

/// shards_sample()'s threshold for `rate`: at least 1, so that a rate
/// keeps some pages and shards_rate() is never 0.
std::uint64_t threshold_of(double rate) noexcept {
  const auto t =
      static_cast<std::uint64_t>(std::llround(std::min(1.0, rate) * static_cast<double>(modulus)));
  return std::max<std::uint64_t>(1, t);
}

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
                                 std::uint64_t requests, bool adjust) {
  std::vector<std::uint64_t> hist;
  std::uint64_t cold = 0, unique = 0;
  distances(sample, hist, cold, unique);
  lru_curve c;
  c.requests_ = requests;
  const double w = 1.0 / rate;
  c.unique_ = static_cast<std::uint64_t>(std::llround(static_cast<double>(unique) * w));
  c.cold_ = static_cast<double>(cold) * w;
  // Scaled distance of sample distance d: ceil(d / rate); each sampled
  // reference stands for 1/rate of the trace's.
  std::vector<double> scaled;  // weight at scaled distance
  for (std::size_t d = 1; d < hist.size(); ++d) {
    if (hist[d] == 0) continue;
    const auto sd = static_cast<std::size_t>(std::ceil(static_cast<double>(d) * w));
    if (sd >= scaled.size()) scaled.resize(sd + 1, 0);
    scaled[sd] += static_cast<double>(hist[d]) * w;
  }
  if (scaled.size() < 2) scaled.resize(2, 0);
  // The total the ratios are over. SHARDS-adj: the trace's requests, the
  // sample's expected references scaled; the difference from the sample's
  // own references counts as hits at the smallest distance, which leaves
  // every miss count as it is (misses(c) for c >= 1 never includes the
  // smallest bucket) and only moves the denominator. Plain fixed-rate
  // SHARDS: the sample's references, scaled. miss_ratio() clamps at 1 for
  // a sample that caught fewer references than expected.
  c.total_ = adjust ? static_cast<double>(requests) : static_cast<double>(sample.size()) * w;
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
  const std::uint64_t threshold = threshold_of(rate);
  std::vector<std::uint32_t> out;
  out.reserve(static_cast<std::size_t>(static_cast<double>(trace.size()) * rate * 1.2) + 16);
  const std::uint64_t s = mix(seed + 0x9E3779B97F4A7C15ull);
  for (const std::uint32_t p : trace)
    if ((mix(p ^ s) & (modulus - 1)) < threshold) out.push_back(p);
  return out;
}

double shards_rate(double rate) noexcept {
  return static_cast<double>(threshold_of(rate)) / static_cast<double>(modulus);
}

double rate_for_size(std::size_t c, double rate, std::size_t min_mini) noexcept {
  rate = std::min(1.0, rate);
  if (c == 0) return 1.0;
  const double want = static_cast<double>(min_mini) / static_cast<double>(c);
  if (want <= rate) return rate;
  // Rounded up to a power of 2^(1/4): at least min_mini pages, and a few
  // dozen distinct rates at most over every size (one sample each).
  return std::min(1.0, std::exp2(std::ceil(4.0 * std::log2(want)) / 4.0));
}

std::vector<sampled_point> sampled_curve(policy_kind kind, std::span<const std::uint32_t> trace,
                                         std::span<const std::size_t> cs, const sampling& s) {
  // Sizes grouped by their sample's threshold: each sample (and, for LRU,
  // its curve) is drawn once and dropped before the next, so memory stays
  // at one sample however many rates `--sizes all` needs. A rate of 1 is
  // the trace itself, never copied.
  std::vector<std::uint64_t> th(cs.size());
  for (std::size_t i = 0; i < cs.size(); ++i)
    th[i] = threshold_of(rate_for_size(cs[i], s.rate, s.min_mini));
  std::vector<std::size_t> order(cs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return th[a] < th[b]; });

  const auto n = static_cast<double>(trace.size());
  std::vector<sampled_point> out(cs.size());
  for (std::size_t g = 0; g < order.size();) {
    const std::uint64_t t = th[order[g]];
    std::size_t end = g;
    while (end < order.size() && th[order[end]] == t) ++end;
    const bool exact = t >= modulus;
    const double rate = exact ? 1.0 : static_cast<double>(t) / static_cast<double>(modulus);
    std::vector<std::uint32_t> drawn;
    if (!exact) drawn = shards_sample(trace, rate, s.seed);
    const std::span<const std::uint32_t> sample =
        exact ? trace : std::span<const std::uint32_t>(drawn);
    lru_curve curve;
    if (kind == policy_kind::lru)
      curve = exact ? lru_curve::exact(trace)
                    : lru_curve::from_sample(sample, rate, trace.size(), s.adjust);
    for (; g < end; ++g) {
      const std::size_t c = cs[order[g]];
      sampled_point& p = out[order[g]];
      p.c = c;
      p.rate = rate;
      p.sample_requests = sample.size();
      if (kind == policy_kind::lru) {
        p.mini_c = c;
        p.miss_ratio = curve.miss_ratio(c);
      } else if (exact) {
        p.mini_c = c;
        p.miss_ratio = trace.empty() ? 0.0
                                     : static_cast<double>(simulate_misses_of(
                                           kind, trace, static_cast<std::uint32_t>(c))) /
                                           n;
      } else {
        p.mini_c = std::max<std::size_t>(
            1, static_cast<std::size_t>(std::llround(static_cast<double>(c) * rate)));
        // SHARDS-adj: over the references the sample should have caught
        // (rate * requests); else over those it caught. An empty sample
        // tells nothing: every request a miss, as before.
        const double over = s.adjust ? rate * n : static_cast<double>(sample.size());
        p.miss_ratio =
            sample.empty() || over <= 0
                ? 1.0
                : std::min(1.0, static_cast<double>(simulate_misses_of(
                                    kind, sample, static_cast<std::uint32_t>(p.mini_c))) /
                                    over);
      }
    }
  }
  return out;
}

}  // namespace pagepool::policy
