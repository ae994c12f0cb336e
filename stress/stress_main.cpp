// pagepool-stress: seeded, time-bounded workloads against the pool, every page
// read checked against an oracle of version stamps (testkit/page_oracle.hpp), every file
// checked after a final sync, close and reopen. README.md in this folder says
// how to run it and how to replay a failure.
//
// Output: first, the command line that replays this run (its seed included,
// chosen at random when --seed is not given); then, per workload, a header
// line (its sizes and the command that replays that workload alone) and a
// summary line (operations, checks, errors); failures go to stderr as they
// happen. Exit status: 0 when every check passed, 1 when one failed, 2 for a
// bad command line.

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "harness.hpp"
#include "swarm.hpp"

namespace {

using namespace pagepool::stress;

struct workload_entry {
  const char* name;
  workload_result (*run)(run_context&);
};

constexpr workload_entry workloads[] = {
    {"skew", run_skew},   {"small-cache", run_small_cache}, {"sync-race", run_sync_race},
    {"churn", run_churn}, {"resize", run_resize},           {"all-pinned", run_all_pinned},
};

/// A scratch directory under $TMPDIR (or /tmp), removed with everything in it.
class scratch_dir {
 public:
  scratch_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pagepool-stress-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~scratch_dir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

int run(const config& cfg) {
  std::printf("%s\n", cfg.command_line(cfg.workload, cfg.seconds).c_str());
  std::fflush(stdout);
  scratch_dir scratch;
  if (scratch.path().empty()) {
    std::fprintf(stderr, "pagepool-stress: cannot make a directory in %s\n",
                 std::filesystem::temp_directory_path().c_str());
    return 1;
  }
  std::vector<const workload_entry*> chosen;
  for (const auto& w : workloads)
    if (cfg.workload == "all" || cfg.workload == w.name) chosen.push_back(&w);
  const double share = cfg.seconds / static_cast<double>(chosen.size());

  thread_tally all;
  std::uint64_t errors = 0;
  std::vector<std::string> failed;
  for (const workload_entry* w : chosen) {
    const std::filesystem::path dir = scratch.path() / w->name;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    run_context ctx(cfg, w->name, share, dir);
    workload_result r = w->run(ctx);
    const double took = std::chrono::duration<double>(clock_type::now() - ctx.start).count();
    std::string chaos;
    if (r.total.swaps + r.total.resizes != 0)
      chaos = msg() << " | chaos: " << r.total.swaps << " policy swaps, " << r.total.resizes << " resizes";
    if (r.total.starved != 0)
      chaos += msg() << " | " << r.total.starved << " gets starved past alloc_timeout, tried once more";
    std::printf("%s: ops %llu, checks %llu, errors %llu | %s%s | %.2f s\n", w->name,
                static_cast<unsigned long long>(r.total.ops), static_cast<unsigned long long>(r.total.checks),
                static_cast<unsigned long long>(ctx.log.count()), r.detail.c_str(), chaos.c_str(), took);
    std::fflush(stdout);
    all += r.total;
    errors += ctx.log.count();
    if (ctx.log.failed()) failed.push_back(cfg.command_line(w->name, share));
    std::filesystem::remove_all(dir, ec);
  }
  std::printf("total: ops %llu, checks %llu, errors %llu: %s\n", static_cast<unsigned long long>(all.ops),
              static_cast<unsigned long long>(all.checks), static_cast<unsigned long long>(errors),
              errors == 0 ? "PASS" : "FAIL");
  for (const auto& line : failed) std::printf("replay: %s\n", line.c_str());
  std::fflush(stdout);
  return errors == 0 ? 0 : 1;
}

/// A power of two from 512 to 65536 (or 0, where `zero_ok`).
CLI::Validator page_size_validator(bool zero_ok) {
  return CLI::Validator(
      [zero_ok](std::string& s) -> std::string {
        const unsigned long v = std::strtoul(s.c_str(), nullptr, 10);
        if (zero_ok && v == 0) return {};
        if (v < 512 || v > 65536 || (v & (v - 1)) != 0)
          return std::string(zero_ok ? "not 0 or " : "not ") + "a power of two from 512 to 65536: " + s;
        return {};
      },
      "POW2", "power of two");
}

/// Every policy's name, as the library spells it.
std::vector<std::string> policy_names() {
  std::vector<std::string> v;
  for (int k = 0; k < pagepool::policy_kind_count; ++k)
    v.emplace_back(pagepool::policy_name(static_cast<pagepool::policy_kind>(k)));
  return v;
}

/// The names of the workloads (the swarm draws among them).
std::vector<std::string> workload_names() {
  std::vector<std::string> v;
  for (const auto& w : workloads) v.emplace_back(w.name);
  return v;
}

/// --swarm N: seeds seed, seed + 1, ..., each with the configuration it
/// draws (swarm.hpp), each for --seconds. Ends with one line counting the
/// configurations that failed, and the replay line of each.
int run_swarm(const config& base, std::uint64_t count) {
  std::vector<std::string> failed;
  const std::vector<std::string> names = workload_names();
  const auto start = clock_type::now();
  for (std::uint64_t i = 0; i < count; ++i) {
    const config c = draw_config(base.seed + i, base, names);
    std::printf("## swarm %llu/%llu\n", static_cast<unsigned long long>(i + 1),
                static_cast<unsigned long long>(count));
    if (run(c) != 0) failed.push_back(c.command_line(c.workload, c.seconds));
  }
  const double took = std::chrono::duration<double>(clock_type::now() - start).count();
  std::printf("swarm: %llu configurations from seed %llu, %zu failed, %.1f s: %s\n",
              static_cast<unsigned long long>(count), static_cast<unsigned long long>(base.seed),
              failed.size(), took, failed.empty() ? "PASS" : "FAIL");
  for (const auto& line : failed) std::printf("swarm replay: %s\n", line.c_str());
  std::fflush(stdout);
  return failed.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  config cfg;
  CLI::App app{"pagepool-stress: seeded, time-bounded workloads against pagepool, every read checked "
               "against an oracle of version stamps"};
  app.add_option("--threads", cfg.threads, "threads per workload")->check(CLI::Range(2u, 1024u))->capture_default_str();
  app.add_option("--seconds", cfg.seconds, "wall time of the run (split evenly between the workloads of 'all')")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI::Option* seed = app.add_option("--seed", cfg.seed, "seed of every random choice (default: a random one, printed)");
  app.add_option("--cache-pages", cfg.cache_pages, "frames in the pool (workloads raise it to what their threads need)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24))
      ->capture_default_str();
  app.add_option("--file-pages", cfg.file_pages, "pages of data, split among a workload's files")
      ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 26))
      ->capture_default_str();
  std::vector<std::string> names = workload_names();
  names.insert(names.begin(), "all");
  app.add_option("--workload", cfg.workload, "all, or one of: skew, small-cache, sync-race, churn, resize, all-pinned")
      ->check(CLI::IsMember(names))
      ->capture_default_str();
  app.add_option("--regions", cfg.regions, "regions of the pool")->check(CLI::Range(1u, 256u))->capture_default_str();
  app.add_option("--page-size", cfg.page_size, "page and frame size in bytes: a power of two from 512 to 65536")
      ->check(page_size_validator(false))
      ->capture_default_str();
  app.add_option("--enomem-bound-ms", cfg.enomem_bound_ms,
                 "all-pinned: the longest a get may take to fail with ENOMEM")
      ->check(CLI::Range(1u, 600000u))
      ->capture_default_str();
  app.add_option("--frame-size", cfg.frame_size, "frame size of the pool (at least the page size; 0: the page size)")
      ->check(page_size_validator(true))
      ->capture_default_str();
  app.add_option("--policy", cfg.policy, "eviction policy every pool starts with")
      ->check(CLI::IsMember(policy_names()))
      ->capture_default_str();
  app.add_flag("--policy-swaps", cfg.policy_swaps, "a chaos thread swaps the live pool's policy at random");
  app.add_flag("--resize", cfg.resize,
               "a chaos thread resizes the live pool (skew, small-cache and churn; resize has its own)");
  app.add_flag("--background-writer", cfg.bg_writer, "every pool runs the background writer");
  app.add_option("--max-open-fd", cfg.max_open_fd, "pool_options::max_open_fd (0: no bound)")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  app.add_option("--max-write", cfg.max_write, "pool_options::max_write (0: no bound)")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  app.add_flag("--checksums", cfg.checksums, "data files of a type with CRC32C page checksums (trailer)");
  app.add_flag("--region-files", cfg.region_files,
               "every pool's memory in region files mapped shared (pool_options::region_files)");
  std::uint64_t swarm = 0;
  app.add_option("--swarm", swarm,
                 "run N seeds from --seed, each drawing its whole configuration (all options but --seconds), "
                 "each for --seconds")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 32));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (seed->count() == 0) cfg.seed = std::random_device{}();
  if (cfg.frame_size != 0 && cfg.frame_size < cfg.page_size) {
    std::fprintf(stderr, "pagepool-stress: --frame-size %zu is smaller than --page-size %zu\n", cfg.frame_size,
                 cfg.page_size);
    return 2;
  }
  if (swarm != 0) return run_swarm(cfg, swarm);
  return run(cfg);
}
