// bench/pagepool-bench/main.cpp: pagepool-bench, eviction and throughput measurements through the real pool.
//
//   pagepool-bench replay  --policy P --cache-pages C [...] TRACE
//   pagepool-bench compare TRACE [--sizes 1%,5%,10%] [--policies ...] [--json F] [--plot F]
//   pagepool-bench convert IN OUT [--size B]          (IN in any format below; OUT oracleGeneral)
//   pagepool-bench mrc     TRACE [--policy lru|P] [--sizes LIST|all] [--sample RATE] [--min-mini M]
//                          [--no-adjust] [--json F] [--plot F]
//   pagepool-bench run     --workload hit|zipf|scan|write|mixed|loop|shift|uniform [...]
//   pagepool-bench stat    HOME [--live] [--json F] (a live pool's statistics, db_stat -m)
//
// Before the command: --format txt|oracleGeneral|csv|block (default: from
// the name), --csv-key N, --csv-size N, --block-offset N, --block-size N,
// --block-page B. README.md in this folder documents each command and its
// output. Exit
// status: 0 success; 1 a failure (an unreadable trace, a pool error); 2 a
// bad command line (CLI11's message).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"

namespace {

using namespace pagepool::bench;

/// A CLI11 validator built from one of the parse_* functions.
template <class T, class Parse>
CLI::Validator parses_as(Parse parse, const char* desc) {
  return CLI::Validator(
      [parse](std::string& s) -> std::string {
        T v;
        return parse(s, v) ? std::string() : "not " + std::string("a valid value: ") + s;
      },
      desc, "");
}

const std::string policy_help =
    "clock, lru, fifo, sieve, s3fifo, arc, 2q, lirs, wtinylfu, lru2, clockpro "
    "(or opt: Belady's MIN, offline)";

CLI::Validator power_of_two_page() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        const unsigned long v = std::strtoul(s.c_str(), nullptr, 10);
        if (v < 512 || v > 65536 || (v & (v - 1)) != 0) return "not a power of two from 512 to 65536: " + s;
        return {};
      },
      "POW2", "power of two");
}

bool parse_policy_list(const std::vector<std::string>& names, std::vector<policy_choice>& out) {
  out.clear();
  for (const auto& n : names) {
    policy_choice p;
    if (!parse_policy_choice(n, p)) return false;
    out.push_back(p);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pagepool-bench: eviction policies and throughput through the real pool"};
  app.require_subcommand(1);

  // --- how traces are read (every command that reads one)
  std::string t_format;
  auto& ti = trace_input();
  app.add_option("--format", t_format, "trace format: txt, oracleGeneral, csv or block (default: from the "
                                       "name: *oracleGeneral* or *.bin, *.csv*, else txt); any of them may be "
                                       "gzip or zstd compressed")
      ->check(CLI::IsMember({"txt", "oracleGeneral", "csv", "block"}));
  app.add_option("--csv-key", ti.opts.key_column, "csv: the key's column (1-based)")
      ->check(CLI::Range(1u, 1000u))
      ->capture_default_str();
  app.add_option("--csv-size", ti.opts.size_column, "csv: the object size's column (1-based; 0: none)")
      ->check(CLI::Range(0u, 1000u))
      ->capture_default_str();
  app.add_option("--block-offset", ti.opts.offset_column, "block: the byte offset's column (1-based)")
      ->check(CLI::Range(1u, 1000u))
      ->capture_default_str();
  app.add_option("--block-size", ti.opts.length_column, "block: the request size's column (1-based)")
      ->check(CLI::Range(1u, 1000u))
      ->capture_default_str();
  app.add_option("--block-page", ti.opts.page_size, "block: bytes per page when offsets become pages")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30))
      ->capture_default_str();

  // --- replay
  replay_options ro;
  std::string r_policy = "clock", r_cache, r_backing = "memory";
  CLI::App* replay = app.add_subcommand("replay", "replay a trace through the pool; ends with "
                                                  "'requests=R misses=M miss_ratio=X'");
  replay->add_option("--policy", r_policy, policy_help)
      ->check(parses_as<policy_choice>(parse_policy_choice, "POLICY"))
      ->capture_default_str();
  replay->add_option("--cache-pages", r_cache, "frames: a number of pages, or a share of the trace's unique pages "
                                               "(\"10%\": max(1, floor(unique * 10 / 100)))")
      ->required()
      ->check(parses_as<size_choice>(parse_size_choice, "PAGES|PCT%"));
  replay->add_option("--regions", ro.regions, "regions of the pool")->check(CLI::Range(1u, 256u))->capture_default_str();
  replay->add_option("--threads", ro.threads, "threads; request i goes to thread i % T (T > 1 also replays "
                                              "single-threaded and compares)")
      ->check(CLI::Range(1u, 1024u))
      ->capture_default_str();
  replay->add_option("--backing", r_backing, "where the data file lives: memory or file ($TMPDIR)")
      ->check(CLI::IsMember({"memory", "file"}))
      ->capture_default_str();
  replay->add_option("--page-size", ro.page_size, "page and frame size in bytes")
      ->check(power_of_two_page())
      ->capture_default_str();
  replay->add_option("--max-skew", ro.max_skew, "with threads: the most requests a thread may run ahead of the "
                                               "slowest (0: no bound)")
      ->capture_default_str();
  replay->add_option("--json", ro.json, "write the results to this file");
  replay->add_option("trace", ro.trace, "trace: one page number per line, optionally gzipped")->required();

  // --- compare
  compare_options co;
  std::vector<std::string> c_sizes{"1%", "5%", "10%"};
  std::vector<std::string> c_policies{"clock", "lru",  "fifo",     "sieve", "s3fifo", "arc",
                                      "2q",    "lirs", "wtinylfu", "lru2",  "clockpro", "opt"};
  std::string c_backing = "memory";
  CLI::App* compare = app.add_subcommand("compare", "every policy at several cache sizes, against OPT");
  compare->add_option("trace", co.trace, "trace: one page number per line, optionally gzipped")->required();
  compare->add_option("--sizes", c_sizes, "cache sizes: pages, or shares of the unique pages (1%,5%,10%)")
      ->delimiter(',')
      ->check(parses_as<size_choice>(parse_size_choice, "PAGES|PCT%"))
      ->capture_default_str();
  compare->add_option("--policies", c_policies, "policies (" + policy_help + "); OPT is always computed")
      ->delimiter(',')
      ->check(parses_as<policy_choice>(parse_policy_choice, "POLICY"))
      ->capture_default_str();
  compare->add_option("--regions", co.regions, "regions of the pool")->check(CLI::Range(1u, 256u))->capture_default_str();
  compare->add_option("--threads", co.threads, "threads per replay")->check(CLI::Range(1u, 1024u))->capture_default_str();
  compare->add_option("--backing", c_backing, "memory or file")
      ->check(CLI::IsMember({"memory", "file"}))
      ->capture_default_str();
  compare->add_option("--page-size", co.page_size, "page and frame size in bytes")
      ->check(power_of_two_page())
      ->capture_default_str();
  compare->add_option("--max-skew", co.max_skew, "with threads: the most requests a thread may run ahead of "
                                                "the slowest (0: no bound)")
      ->capture_default_str();
  compare->add_option("--json", co.json, "write the results to this file");
  compare->add_option("--plot", co.plot, "draw miss ratio against cache size (.png or .svg; needs gnuplot "
                                         "or python3-matplotlib)");

  // --- stat
  stat_options so;
  CLI::App* stat = app.add_subcommand("stat", "a live pool's statistics from another process "
                                              "(Berkeley DB's db_stat -m): the processes attached to "
                                              "HOME and what each last published");
  stat->add_option("home", so.home, "the pool's home (pool_options::home, DB_ENV->open's home)")
      ->required();
  stat->add_option("--json", so.json, "also write them as JSON to this file");
  stat->add_flag("--live", so.live, "read the pool's counts from its memory now (a pool made with "
                                    "region files) instead of what each process last published");

  // --- convert
  convert_options vo;
  CLI::App* convert = app.add_subcommand("convert", "write a trace as libCacheSim's oracleGeneral "
                                                    "(24-byte records with next access times)");
  convert->add_option("in", vo.in, "the trace to read")->required();
  convert->add_option("out", vo.out, "the oracleGeneral file to write")->required();
  convert->add_option("--size", vo.size, "object size of each record when the input has none")
      ->check(CLI::Range(1u, 0xFFFFFFFFu))
      ->capture_default_str();

  // --- mrc
  mrc_options mo;
  std::string m_policy = "lru";
  std::vector<std::string> m_sizes{"1%", "2%", "5%", "10%", "20%", "50%", "100%"};
  CLI::App* mrc = app.add_subcommand("mrc", "miss-ratio curve: a policy's miss ratio at many cache sizes "
                                            "(exact LRU in one pass; SHARDS sampling with --sample); one "
                                            "line 'c=N miss_ratio=X' per size");
  mrc->add_option("trace", mo.trace, "trace: one page number per line, optionally gzipped")->required();
  mrc->add_option("--policy", m_policy,
                  "clock, lru, fifo, sieve, s3fifo, arc, 2q, lirs, wtinylfu, lru2, clockpro")
      ->check(CLI::IsMember({"clock", "lru", "fifo", "sieve", "s3fifo", "arc", "2q", "lirs", "wtinylfu",
                             "lru2", "clockpro"}))
      ->capture_default_str();
  mrc->add_option("--sizes", m_sizes, "cache sizes: pages, or shares of the unique pages; 'all' for every "
                                      "size from 1 to the unique pages")
      ->delimiter(',')
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            size_choice z;
            return s == "all" || parse_size_choice(s, z) ? std::string() : "not a size: " + s;
          },
          "PAGES|PCT%|all", ""))
      ->capture_default_str();
  mrc->add_option("--sample", mo.sample, "SHARDS sampling rate in (0, 1]; 1 or absent: exact")
      ->check(CLI::Range(1e-6, 1.0));
  mrc->add_option("--min-mini", mo.min_mini,
                  "with --sample: the smallest miniature cache in pages; a size c with c * RATE below it is "
                  "sampled at min-mini / c (rounded up to a power of 2^(1/4); 1: exact); 0: RATE for every size")
      ->capture_default_str();
  bool m_no_adjust = false;
  mrc->add_flag("--no-adjust", m_no_adjust,
                "with --sample: ratios over the sample's references instead of SHARDS-adj's rate * requests");
  mrc->add_option("--seed", mo.seed, "seed of the sample's hash")->capture_default_str();
  mrc->add_option("--json", mo.json, "write the curve to this file");
  mrc->add_option("--plot", mo.plot, "draw the curve (.png or .svg; needs gnuplot or python3-matplotlib)");

  // --- run
  run_options uo;
  std::vector<std::string> u_policies{"clock", "lru",  "fifo",     "sieve", "s3fifo",
                                      "arc",   "2q",   "lirs", "wtinylfu", "lru2", "clockpro"};
  std::string u_backing = "memory", u_handles = "shared";
  double write_share = -1;
  CLI::App* run = app.add_subcommand("run", "synthetic workloads: throughput and hit ratio per policy and thread "
                                            "count");
  run->add_option("--workload", uo.workload, "hit (uniform, all resident), zipf, scan (hot set + scan), write "
                                             "(zipf, writes), mixed (zipf, scan, loop, shift in turn), loop, "
                                             "shift (moving hot set), uniform")
      ->check(CLI::IsMember({"hit", "zipf", "scan", "write", "mixed", "loop", "shift", "uniform"}))
      ->capture_default_str();
  run->add_option("--theta", uo.spec.theta, "zipf skew (any value >= 0)")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  run->add_option("--threads", uo.threads, "thread counts to sweep")
      ->delimiter(',')
      ->check(CLI::Range(1u, 1024u))
      ->capture_default_str();
  run->add_option("--policies", u_policies,
                  "policies (clock, lru, fifo, sieve, s3fifo, arc, 2q, lirs, wtinylfu, lru2, "
                  "clockpro)")
      ->delimiter(',')
      ->check(parses_as<policy_choice>(parse_policy_choice, "POLICY"))
      ->capture_default_str();
  run->add_option("--seconds", uo.seconds, "timed seconds per (policy, threads)")
      ->check(CLI::Range(0.01, 3600.0))
      ->capture_default_str();
  run->add_option("--warmup", uo.warmup_seconds, "warm-up seconds before each timed run")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  run->add_option("--pages", uo.spec.pages, "pages of data")
      ->check(CLI::Range(1u, 1u << 24))
      ->capture_default_str();
  run->add_option("--cache-pages", uo.cache_pages, "frames (default: pages / 10; hit: pages)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 26));
  run->add_option("--hot-pages", uo.spec.hot_pages, "scan, shift: hot set size (default pages / 10)")
      ->check(CLI::Range(1u, 1u << 24));
  run->add_option("--hot-share", uo.spec.hot_share, "scan, shift: share of requests to the hot set")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  run->add_option("--loop-pages", uo.spec.loop_pages, "loop: loop length (default pages / 2)")
      ->check(CLI::Range(1u, 1u << 24));
  run->add_option("--write-share", write_share, "share of requests that write (default 1 for write, else 0)")
      ->check(CLI::Range(0.0, 1.0));
  run->add_option("--regions", uo.regions, "regions of the pool")->check(CLI::Range(1u, 256u))->capture_default_str();
  run->add_option("--backing", u_backing, "memory or file")
      ->check(CLI::IsMember({"memory", "file"}))
      ->capture_default_str();
  run->add_option("--handles", u_handles,
                  "shared: every thread gets and puts through one handle on the file; per-thread: one handle each; "
                  "private: a pool of its own per thread, sharing nothing (the machine's ceiling for the scaling)")
      ->check(CLI::IsMember({"shared", "per-thread", "private"}))
      ->capture_default_str();
  run->add_option("--page-size", uo.page_size, "page and frame size in bytes")
      ->check(power_of_two_page())
      ->capture_default_str();
  run->add_option("--seed", uo.seed, "seed of the request streams")->capture_default_str();
  run->add_option("--region-dir", uo.region_dir,
                  "the pool's memory in region files (mapped shared) in a new directory here, "
                  "e.g. /dev/shm (pool_options::region_files)");
  run->add_option("--json", uo.json, "write the results to this file");
  run->add_option("--plot", uo.plot, "draw throughput against threads (.png or .svg)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (!t_format.empty()) {
    (void)pagepool::policy::parse_trace_format(t_format, ti.opts.format);
    ti.format_given = true;
  }
  if (convert->parsed()) return run_convert_command(vo);
  if (stat->parsed()) return run_stat_command(so);
  if (replay->parsed()) {
    (void)parse_policy_choice(r_policy, ro.policy);
    (void)parse_size_choice(r_cache, ro.cache);
    ro.back = r_backing == "file" ? backing::file : backing::memory;
    return run_replay_command(ro);
  }
  if (compare->parsed()) {
    for (const auto& s : c_sizes) {
      size_choice z;
      (void)parse_size_choice(s, z);
      co.sizes.push_back(z);
    }
    (void)parse_policy_list(c_policies, co.policies);
    co.back = c_backing == "file" ? backing::file : backing::memory;
    return run_compare_command(co);
  }
  if (mrc->parsed()) {
    (void)parse_policy_choice(m_policy, mo.policy);
    mo.adjust = !m_no_adjust;
    for (const auto& s : m_sizes) {
      if (s == "all") {
        mo.all_sizes = true;
        continue;
      }
      size_choice z;
      (void)parse_size_choice(s, z);
      mo.sizes.push_back(z);
    }
    return run_mrc_command(mo);
  }
  (void)parse_policy_list(u_policies, uo.policies);
  uo.back = u_backing == "file" ? backing::file : backing::memory;
  uo.share = u_handles == "shared"       ? run_options::sharing::shared
             : u_handles == "per-thread" ? run_options::sharing::per_thread
                                         : run_options::sharing::private_pool;
  if (uo.workload == "hit" || uo.workload == "uniform") uo.spec.kind = shape::uniform;
  else if (uo.workload == "zipf" || uo.workload == "write") uo.spec.kind = shape::zipf;
  else if (uo.workload == "scan") uo.spec.kind = shape::scan;
  else if (uo.workload == "loop") uo.spec.kind = shape::loop;
  else if (uo.workload == "shift") uo.spec.kind = shape::shift;
  else uo.spec.kind = shape::mixed;
  uo.spec.write_share = write_share >= 0 ? write_share : (uo.workload == "write" ? 1.0 : 0.0);
  return run_run_command(uo);
}
