// bench/pagepool-bench/cmd_mrc.cpp: `pagepool-bench mrc`: a policy's miss
// ratio at many cache sizes (policy/mrc.hpp says how each method works).
//
//   LRU, no --sample:       exact, one pass (Mattson's stack distances)
//   LRU, --sample R:        fixed-rate SHARDS at rate R
//   other, no --sample:     exact, one single-threaded simulation per size
//   other, --sample R:      miniature simulations: the policy on a SHARDS
//                           sample at rate R, with round(c * R) pages
//
// stdout: one line per size, `c=N miss_ratio=X` (with `mini_c=M` for a
// miniature simulation), then one line `# policy=P method=M rate=R
// requests=N unique=U sample_requests=S seconds=T`. --json writes the same;
// --plot draws the curve.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "plot.hpp"
#include "policy/mrc.hpp"
#include "policy/simulate_any.hpp"

namespace pagepool::bench {

namespace {

struct point {
  std::size_t c = 0;
  std::size_t mini_c = 0;  // miniature simulation only
  double miss_ratio = 0;
};

/// The distinct pages of a trace (the exact LRU pass counts them too).
std::uint64_t count_unique(std::span<const std::uint32_t> t) {
  std::vector<std::uint32_t> v(t.begin(), t.end());
  std::sort(v.begin(), v.end());
  return static_cast<std::uint64_t>(std::unique(v.begin(), v.end()) - v.begin());
}

}  // namespace

int run_mrc_command(const mrc_options& o) {
  std::vector<std::uint32_t> trace;
  std::string err;
  if (!load_trace(o.trace, trace, err)) {
    std::fprintf(stderr, "pagepool-bench: %s\n", err.c_str());
    return 1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const bool lru = !o.policy.opt && o.policy.kind == policy_kind::lru;
  const bool sampled = o.sample > 0 && o.sample < 1;
  std::vector<std::uint32_t> sample;
  if (sampled) sample = policy::shards_sample(trace, o.sample, o.seed);

  policy::lru_curve curve;
  std::uint64_t unique = 0;
  if (lru) {
    curve = sampled ? policy::lru_curve::from_sample(sample, o.sample, trace.size())
                    : policy::lru_curve::exact(trace);
    unique = sampled ? count_unique(trace) : curve.unique();
  } else {
    unique = count_unique(trace);
  }

  std::vector<std::size_t> cs;
  if (o.all_sizes) {
    for (std::size_t c = 1; c <= unique; ++c) cs.push_back(c);
  } else {
    for (const auto& s : o.sizes) cs.push_back(s.pages(unique));
  }
  std::vector<point> pts;
  pts.reserve(cs.size());
  for (const std::size_t c : cs) {
    point p;
    p.c = c;
    if (lru) {
      p.miss_ratio = curve.miss_ratio(c);
    } else if (sampled) {
      p.mini_c = std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(c * o.sample)));
      p.miss_ratio = sample.empty() ? 1.0
                                    : static_cast<double>(policy::simulate_misses_of(
                                          o.policy.kind, sample, static_cast<std::uint32_t>(p.mini_c))) /
                                          static_cast<double>(sample.size());
    } else {
      p.miss_ratio = static_cast<double>(policy::simulate_misses_of(
                         o.policy.kind, trace, static_cast<std::uint32_t>(c))) /
                     static_cast<double>(trace.size());
    }
    pts.push_back(p);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const char* method = lru ? (sampled ? "shards" : "exact-stack") : (sampled ? "mini-sim" : "exact-sim");

  for (const auto& p : pts) {
    if (p.mini_c != 0)
      std::printf("c=%zu miss_ratio=%.6f mini_c=%zu\n", p.c, p.miss_ratio, p.mini_c);
    else
      std::printf("c=%zu miss_ratio=%.6f\n", p.c, p.miss_ratio);
  }
  std::printf("# policy=%s method=%s rate=%g requests=%zu unique=%llu sample_requests=%zu seconds=%.3f\n",
              o.policy.name().c_str(), method, sampled ? o.sample : 1.0, trace.size(),
              static_cast<unsigned long long>(unique), sampled ? sample.size() : trace.size(), secs);

  if (!o.json.empty()) {
    nlohmann::json j;
    j["trace"] = o.trace;
    j["policy"] = o.policy.name();
    j["method"] = method;
    j["rate"] = sampled ? o.sample : 1.0;
    j["requests"] = trace.size();
    j["unique"] = unique;
    j["seconds"] = secs;
    for (const auto& p : pts) {
      nlohmann::json e{{"c", p.c}, {"miss_ratio", p.miss_ratio}};
      if (p.mini_c != 0) e["mini_c"] = p.mini_c;
      j["points"].push_back(e);
    }
    if (!write_json_file(o.json, j.dump(2), err)) {
      std::fprintf(stderr, "pagepool-bench: %s\n", err.c_str());
      return 1;
    }
  }
  if (!o.plot.empty()) {
    plot_spec spec;
    spec.title = "miss-ratio curve: " + o.policy.name() + " (" + method + "), " + o.trace;
    spec.xlabel = "cache size (pages)";
    spec.ylabel = "miss ratio";
    spec.log_x = true;
    plot_series s;
    s.name = o.policy.name();
    for (const auto& p : pts) {
      s.x.push_back(static_cast<double>(p.c));
      s.y.push_back(p.miss_ratio);
    }
    spec.series.push_back(std::move(s));
    bool skipped = false;
    if (!draw_plot(spec, o.plot, skipped, err)) {
      std::fprintf(stderr, "pagepool-bench: %s\n", err.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace pagepool::bench
