// bench/pagepool-bench/cmd_replay.cpp: `pagepool-bench replay`: one trace, one
// policy, one cache size, through the real pool.
//
// stdout, in order: a line with the configuration; with --threads T > 1, the
// single-threaded replay's result and the relative difference of the
// T-thread miss ratio to it; the throughput; and, last, exactly
//   requests=R misses=M miss_ratio=X
// (for the T-thread run when T > 1). --policy opt computes Belady's MIN
// offline (shared/traces/REFERENCE.md's OPT), not through the pool.
#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "policy/opt.hpp"
#include "replay.hpp"

namespace pagepool::bench {

namespace {

nlohmann::json result_json(const replay_result& r) {
  return {{"requests", r.requests},         {"misses", r.misses},
          {"miss_ratio", r.miss_ratio()},   {"seconds", r.seconds},
          {"requests_per_s", r.requests_per_s()}, {"cpu_seconds", r.cpu_seconds},
          {"requests_per_cpu_s", r.requests_per_cpu_s()}, {"enomem_retries", r.enomem_retries},
          {"skew_waits", r.skew_waits}};
}

}  // namespace

int run_replay_command(const replay_options& o) {
  std::vector<std::uint32_t> raw;
  std::string err;
  if (!load_trace(o.trace, raw, err)) {
    std::fprintf(stderr, "pagepool-bench: %s\n", err.c_str());
    return 1;
  }
  const dense_trace d = densify(raw);
  raw = {};
  const std::size_t c = o.cache.pages(d.unique);
  std::printf("trace=%s requests=%zu unique=%u policy=%s cache_pages=%zu regions=%u threads=%u backing=%s "
              "page_size=%zu max_skew=%zu\n",
              o.trace.c_str(), d.pages.size(), d.unique, o.policy.name().c_str(), c, o.regions, o.threads,
              std::string(backing_name(o.back)).c_str(), o.page_size, o.max_skew);
  std::fflush(stdout);

  nlohmann::json j{{"command", "replay"},     {"trace", o.trace},       {"unique_pages", d.unique},
                   {"policy", o.policy.name()}, {"cache_pages", c},       {"regions", o.regions},
                   {"threads", o.threads},    {"backing", backing_name(o.back)}, {"page_size", o.page_size},
                   {"max_skew", o.max_skew}};
  replay_result res;
  if (o.policy.opt) {
    const auto t0 = std::chrono::steady_clock::now();
    res.misses = policy::opt_misses(d.pages, c);
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    res.requests = d.pages.size();
    std::printf("throughput: %.0f requests/s (offline OPT simulation, not through the pool)\n",
                res.requests_per_s());
    j["offline"] = true;
  } else {
    replay_config cfg;
    cfg.policy = o.policy.kind;
    cfg.cache_pages = c;
    cfg.regions = o.regions;
    cfg.back = o.back;
    cfg.page_size = o.page_size;
    cfg.max_skew = o.max_skew;
    replay_result single;
    if (o.threads > 1) {
      cfg.threads = 1;
      progress p("replay 1 thread", d.pages.size());
      if (!replay_trace(d.pages, d.unique, cfg, &p, single, err)) {
        p.finish();
        std::fprintf(stderr, "pagepool-bench: %s\n", err.c_str());
        return 1;
      }
    }
    cfg.threads = o.threads;
    {
      progress p("replay " + std::to_string(o.threads) + (o.threads == 1 ? " thread" : " threads"),
                 d.pages.size());
      if (!replay_trace(d.pages, d.unique, cfg, &p, res, err)) {
        p.finish();
        std::fprintf(stderr, "pagepool-bench: %s\n", err.c_str());
        return 1;
      }
    }
    if (o.threads > 1) {
      const double rel = single.miss_ratio() > 0 ? res.miss_ratio() / single.miss_ratio() - 1.0 : 0.0;
      std::printf("single_thread: requests=%llu misses=%llu miss_ratio=%.6f\n",
                  static_cast<unsigned long long>(single.requests), static_cast<unsigned long long>(single.misses),
                  single.miss_ratio());
      std::printf("relative_difference=%+.6f (%u-thread miss ratio / single-threaded - 1)\n", rel, o.threads);
      if (res.enomem_retries != 0)
        std::printf("enomem_retries=%llu (gets that found every frame pinned)\n",
                    static_cast<unsigned long long>(res.enomem_retries));
      j["single_thread"] = result_json(single);
      j["relative_difference"] = rel;
    }
    std::printf("throughput: %.0f requests/s (%.3f s; %.0f requests per CPU-second)\n", res.requests_per_s(),
                res.seconds, res.requests_per_cpu_s());
  }
  j["result"] = result_json(res);
  std::printf("requests=%llu misses=%llu miss_ratio=%.6f\n", static_cast<unsigned long long>(res.requests),
              static_cast<unsigned long long>(res.misses), res.miss_ratio());
  std::fflush(stdout);
  if (!o.json.empty() && !write_json_file(o.json, j.dump(2), err)) {
    std::fprintf(stderr, "pagepool-bench: %s\n", err.c_str());
    return 1;
  }
  return 0;
}

}  // namespace pagepool::bench
