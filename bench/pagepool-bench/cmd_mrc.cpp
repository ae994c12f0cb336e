// bench/pagepool-bench/cmd_mrc.cpp: `pagepool-bench mrc`: a policy's miss
// ratio at many cache sizes (policy/mrc.hpp says how each method works).
//
//   LRU, no --sample:       exact, one pass (Mattson's stack distances)
//   LRU, --sample R:        SHARDS-adj, each size at its own rate (below)
//   other, no --sample:     exact, one single-threaded simulation per size
//   other, --sample R:      miniature simulations: the policy on a SHARDS
//                           sample with round(c * rate) pages
//
// With --sample R, a size c is sampled at R when c * R >= --min-mini
// (default 4096) pages, else at a higher rate, up to 1 (exact); each size's
// rate is printed with it (policy::rate_for_size).
//
// stdout: one line per size, `c=N miss_ratio=X rate=R` (with `mini_c=M`
// for a miniature simulation; no rate without --sample), then one line
// `# policy=P method=M rate=R [min_mini=K [adjust=off]] requests=N
// unique=U sample_requests=S seconds=T` (R and S: the requested rate and
// its sample; min_mini with --sample, adjust=off with --no-adjust). --json
// writes the same; --plot draws the curve.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "plot.hpp"
#include "policy/mrc.hpp"
#include "policy/simulate_any.hpp"

namespace pagepool::bench {

namespace {

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
  // The summary line's sample_requests: the references a sample at the
  // requested rate keeps (drawn and dropped here; sampled_curve() draws
  // the samples it uses, one at a time).
  const std::size_t sample_requests =
      sampled ? policy::shards_sample(trace, o.sample, o.seed).size() : trace.size();

  policy::lru_curve curve;  // exact LRU only; sampled_curve() draws its own
  std::uint64_t unique = 0;
  if (lru && !sampled) {
    curve = policy::lru_curve::exact(trace);
    unique = curve.unique();
  } else {
    unique = count_unique(trace);
  }

  std::vector<std::size_t> cs;
  if (o.all_sizes) {
    for (std::size_t c = 1; c <= unique; ++c) cs.push_back(c);
  } else {
    for (const auto& s : o.sizes) cs.push_back(s.pages(unique));
  }
  // mini_c is printed for miniature simulations only (never for LRU, whose
  // sampled curve has no cache); rate and sample_requests only with --sample.
  std::vector<policy::sampled_point> pts;
  if (sampled) {
    policy::sampling how;
    how.rate = o.sample;
    how.min_mini = o.min_mini;
    how.adjust = o.adjust;
    how.seed = o.seed;
    pts = policy::sampled_curve(o.policy.kind, trace, cs, how);
  } else {
    pts.reserve(cs.size());
    for (const std::size_t c : cs) {
      policy::sampled_point p;
      p.c = c;
      p.miss_ratio = lru ? curve.miss_ratio(c)
                         : static_cast<double>(policy::simulate_misses_of(o.policy.kind, trace,
                                                                          static_cast<std::uint32_t>(c))) /
                               static_cast<double>(trace.size());
      pts.push_back(p);
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const char* method = lru ? (sampled ? "shards" : "exact-stack") : (sampled ? "mini-sim" : "exact-sim");

  for (const auto& p : pts) {
    std::printf("c=%zu miss_ratio=%.6f", p.c, p.miss_ratio);
    if (!lru && p.mini_c != 0) std::printf(" mini_c=%zu", p.mini_c);
    if (sampled) std::printf(" rate=%g", p.rate);
    std::printf("\n");
  }
  std::printf("# policy=%s method=%s rate=%g", o.policy.name().c_str(), method, sampled ? o.sample : 1.0);
  if (sampled) std::printf(" min_mini=%zu%s", o.min_mini, o.adjust ? "" : " adjust=off");
  std::printf(" requests=%zu unique=%llu sample_requests=%zu seconds=%.3f\n", trace.size(),
              static_cast<unsigned long long>(unique), sample_requests, secs);

  if (!o.json.empty()) {
    nlohmann::json j;
    j["trace"] = o.trace;
    j["policy"] = o.policy.name();
    j["method"] = method;
    j["rate"] = sampled ? o.sample : 1.0;
    if (sampled) {
      j["min_mini"] = o.min_mini;
      j["adjust"] = o.adjust;
    }
    j["requests"] = trace.size();
    j["unique"] = unique;
    j["seconds"] = secs;
    for (const auto& p : pts) {
      nlohmann::json e{{"c", p.c}, {"miss_ratio", p.miss_ratio}};
      if (!lru && p.mini_c != 0) e["mini_c"] = p.mini_c;
      if (sampled) {
        e["rate"] = p.rate;
        e["sample_requests"] = p.sample_requests;
      }
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
