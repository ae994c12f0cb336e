// bench/pagepool-bench/cmd_compare.cpp: `pagepool-bench compare`: every
// policy at several cache sizes on one trace, each through the real pool
// (replay.hpp), against OPT computed offline.
//
// stdout: a markdown table, one row per (size, policy): misses, miss ratio,
// and the distance to OPT at that size, absolute (miss ratio - OPT's) and
// relative (miss ratio / OPT's - 1); then the replay speed of each run.
// --json writes the same; --plot draws miss ratio against cache size.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "plot.hpp"
#include "policy/opt.hpp"
#include "replay.hpp"

namespace pagepool::bench {

int run_compare_command(const compare_options& o) {
  std::vector<std::uint32_t> raw;
  std::string err;
  if (!load_trace(o.trace, raw, err)) {
    std::fprintf(stderr, "pagepool-bench: %s\n", err.c_str());
    return 1;
  }
  const dense_trace d = densify(raw);
  raw = {};
  std::vector<policy_choice> pool_policies;
  for (const auto& p : o.policies)
    if (!p.opt) pool_policies.push_back(p);

  struct cell {
    std::string policy;
    replay_result r;
  };
  struct row {
    size_choice size;
    std::size_t c = 0;
    replay_result opt;
    std::vector<cell> cells;
  };
  std::vector<row> rows;
  const std::uint64_t total = o.sizes.size() * d.pages.size() * (pool_policies.size() + 1);
  progress prog("compare " + o.trace, total);
  for (const auto& s : o.sizes) {
    row r;
    r.size = s;
    r.c = s.pages(d.unique);
    const auto t0 = std::chrono::steady_clock::now();
    r.opt.misses = policy::opt_misses(d.pages, r.c);
    r.opt.requests = d.pages.size();
    r.opt.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    prog.advance(d.pages.size());
    for (const auto& p : pool_policies) {
      replay_config cfg;
      cfg.policy = p.kind;
      cfg.cache_pages = r.c;
      cfg.regions = o.regions;
      cfg.threads = o.threads;
      cfg.back = o.back;
      cfg.page_size = o.page_size;
      cfg.max_skew = o.max_skew;
      cell ce;
      ce.policy = p.name();
      if (!replay_trace(d.pages, d.unique, cfg, &prog, ce.r, err)) {
        prog.finish();
  std::stable_sort(rows.begin(), rows.end(), [](const row& x, const row& y) { return x.c < y.c; });
        std::fprintf(stderr, "pagepool-bench: %s at c=%zu: %s\n", ce.policy.c_str(), r.c, err.c_str());
        return 1;
      }
      r.cells.push_back(ce);
    }
    rows.push_back(std::move(r));
  }
  prog.finish();

  std::printf("trace %s: %zu requests, %u unique pages; %u thread(s), %u region(s), %s backing, %zu-byte pages\n\n",
              o.trace.c_str(), d.pages.size(), d.unique, o.threads, o.regions,
              std::string(backing_name(o.back)).c_str(), o.page_size);
  std::printf("| size | c | policy | misses | miss ratio | - OPT | / OPT - 1 | Mreq/s |\n");
  std::printf("|---:|---:|---|---:|---:|---:|---:|---:|\n");
  nlohmann::json j{{"command", "compare"},
                   {"trace", o.trace},
                   {"requests", d.pages.size()},
                   {"unique_pages", d.unique},
                   {"threads", o.threads},
                   {"regions", o.regions},
                   {"backing", backing_name(o.back)},
                   {"page_size", o.page_size},
                   {"max_skew", o.max_skew},
                   {"sizes", nlohmann::json::array()}};
  for (const auto& r : rows) {
    const double opt = r.opt.miss_ratio();
    nlohmann::json js{{"size", r.size.label()},
                      {"cache_pages", r.c},
                      {"opt", {{"misses", r.opt.misses}, {"miss_ratio", opt}, {"seconds", r.opt.seconds}}},
                      {"policies", nlohmann::json::array()}};
    std::printf("| %s | %zu | opt | %llu | %.4f | 0 | 0 | (offline) |\n", r.size.label().c_str(), r.c,
                static_cast<unsigned long long>(r.opt.misses), opt);
    for (const auto& ce : r.cells) {
      const double mr = ce.r.miss_ratio();
      const double abs_d = mr - opt;
      const double rel_d = opt > 0 ? mr / opt - 1.0 : 0.0;
      std::printf("| %s | %zu | %s | %llu | %.4f | %+.4f | %+.1f%% | %.2f |\n", r.size.label().c_str(), r.c,
                  ce.policy.c_str(), static_cast<unsigned long long>(ce.r.misses), mr, abs_d, rel_d * 100.0,
                  ce.r.requests_per_s() / 1e6);
      js["policies"].push_back({{"policy", ce.policy},
                                {"misses", ce.r.misses},
                                {"miss_ratio", mr},
                                {"opt_distance_abs", abs_d},
                                {"opt_distance_rel", rel_d},
                                {"seconds", ce.r.seconds},
                                {"requests_per_s", ce.r.requests_per_s()},
                                {"requests_per_cpu_s", ce.r.requests_per_cpu_s()},
                                {"enomem_retries", ce.r.enomem_retries}});
    }
    j["sizes"].push_back(js);
  }
  std::fflush(stdout);
  if (!o.json.empty() && !write_json_file(o.json, j.dump(2), err)) {
    std::fprintf(stderr, "pagepool-bench: %s\n", err.c_str());
    return 1;
  }
  if (!o.plot.empty()) {
    plot_spec ps;
    ps.title = "miss ratio against cache size: " + o.trace.substr(o.trace.find_last_of('/') + 1);
    ps.xlabel = "cache size (pages)";
    ps.ylabel = "miss ratio";
    ps.log_x = true;
    for (std::size_t k = 0; k <= pool_policies.size(); ++k) {
      plot_series s;
      s.name = k < pool_policies.size() ? pool_policies[k].name() : "opt";
      for (const auto& r : rows) {
        s.x.push_back(static_cast<double>(r.c));
        s.y.push_back(k < pool_policies.size() ? r.cells[k].r.miss_ratio() : r.opt.miss_ratio());
      }
      ps.series.push_back(std::move(s));
    }
    bool skipped = false;
    if (!draw_plot(ps, o.plot, skipped, err)) {
      std::fprintf(stderr, "pagepool-bench: %s\n", err.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace pagepool::bench
