// bench/pagepool-bench/commands.hpp: the subcommands of pagepool-bench,
// each a function of its parsed options returning the process's exit status
// (0 success, 1 failure: an unreadable trace, a pool error; a bad command
// line never gets here: CLI11 reports it and main exits with 2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "policy/trace_formats.hpp"
#include "rig.hpp"
#include "workloads.hpp"

namespace pagepool::bench {

/// A policy name of the command line: a pool policy, or OPT (offline).
struct policy_choice {
  bool opt = false;
  policy_kind kind = policy_kind::clock;
  [[nodiscard]] std::string name() const;
};
/// Parses a policy name (pagepool::parse_policy: "clock", "lru", ..., "lru2") or "opt".
[[nodiscard]] bool parse_policy_choice(const std::string& s, policy_choice& out);
/// Every pool policy, in policy_kind order.
[[nodiscard]] std::vector<policy_choice> all_pool_policies();

/// A cache size of the command line: pages, or a percentage of the trace's
/// unique pages ("10%").
struct size_choice {
  bool percent = false;
  double value = 0;
  [[nodiscard]] std::string label() const;
  [[nodiscard]] std::size_t pages(std::uint64_t unique) const;
};
[[nodiscard]] bool parse_size_choice(const std::string& s, size_choice& out);

struct replay_options {
  std::string trace;
  policy_choice policy;
  size_choice cache;
  unsigned regions = 1;
  unsigned threads = 1;
  backing back = backing::memory;
  std::size_t page_size = 512;
  std::size_t max_skew = 256;
  std::string json;
};
int run_replay_command(const replay_options& o);

struct compare_options {
  std::string trace;
  std::vector<size_choice> sizes;
  std::vector<policy_choice> policies;  // OPT is always computed
  unsigned regions = 1;
  unsigned threads = 1;
  backing back = backing::memory;
  std::size_t page_size = 512;
  std::size_t max_skew = 256;
  std::string json;
  std::string plot;
};
int run_compare_command(const compare_options& o);

struct run_options {
  std::string workload = "zipf";
  workload_spec spec;
  std::vector<unsigned> threads{1, 2};
  std::vector<policy_choice> policies;
  double seconds = 2.0;
  double warmup_seconds = 0.5;
  std::size_t cache_pages = 0;  // 0: pages / 10 (hit: pages)
  unsigned regions = 1;
  backing back = backing::memory;
  /// One handle on the data file shared by every thread (the default, as
  /// an application that opens its file once uses it), one per thread, or
  /// a pool of its own per thread (private: the threads share nothing, so
  /// its threads/1-thread ratio is what the machine allows for this work,
  /// the ceiling of the shared pool's scaling).
  enum class sharing { shared, per_thread, private_pool };
  sharing share = sharing::shared;
  std::size_t page_size = 512;
  std::uint64_t seed = 1;
  std::string json;
  std::string plot;
  std::string region_dir;  ///< the pool's memory in region files here (pool_options::region_files)
};
int run_run_command(const run_options& o);

struct convert_options {
  std::string in, out;
  std::uint32_t size = 4096;  // object size of each record when the input has none
};
/// Writes the trace (read as trace_input() says) as oracleGeneral.
int run_convert_command(const convert_options& o);

struct mrc_options {
  std::string trace;
  policy_choice policy{false, policy_kind::lru};
  std::vector<size_choice> sizes;
  bool all_sizes = false;  // every size from 1 to the trace's unique pages
  double sample = 0;            // SHARDS rate in (0, 1); 0 or 1: exact
  std::size_t min_mini = 4096;  // smallest miniature cache: small sizes sampled at a higher rate
  bool adjust = true;           // SHARDS-adj: ratios over rate * requests (--no-adjust: the sample's)
  std::uint64_t seed = 0;       // the sample's hash seed
  std::string json;
  std::string plot;
};
int run_mrc_command(const mrc_options& o);

struct stat_options {
  std::string home;
  std::string json;
  bool live = false;  // read the pool's memory (pool::inspect), not the publications
};
int run_stat_command(const stat_options& o);

/// How traces are read (pagepool-bench's global options --format, --csv-key,
/// ...); the format comes from the file's name unless --format was given.
struct trace_input_options {
  policy::trace_options opts;
  bool format_given = false;
};
[[nodiscard]] trace_input_options& trace_input();

/// Reads a trace in the format trace_input() says (txt, oracleGeneral, csv,
/// block; plain, gzip or zstd) through the trace library; false with a
/// message in err.
[[nodiscard]] bool load_trace(const std::string& path, std::vector<std::uint32_t>& out, std::string& err);

/// Writes j (pretty) to path; false with a message.
[[nodiscard]] bool write_json_file(const std::string& path, const std::string& text, std::string& err);

}  // namespace pagepool::bench
