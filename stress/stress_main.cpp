// pagepool-stress: seeded, time-bounded workloads against the pool, every page
// read checked against an oracle of version stamps (oracle.hpp), every file
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
    std::printf("%s: ops %llu, checks %llu, errors %llu | %s | %.2f s\n", w->name,
                static_cast<unsigned long long>(r.total.ops), static_cast<unsigned long long>(r.total.checks),
                static_cast<unsigned long long>(ctx.log.count()), r.detail.c_str(), took);
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
  std::vector<std::string> names{"all"};
  for (const auto& w : workloads) names.emplace_back(w.name);
  app.add_option("--workload", cfg.workload, "all, or one of: skew, small-cache, sync-race, churn, resize, all-pinned")
      ->check(CLI::IsMember(names))
      ->capture_default_str();
  app.add_option("--regions", cfg.regions, "regions of the pool")->check(CLI::Range(1u, 256u))->capture_default_str();
  app.add_option("--page-size", cfg.page_size, "page and frame size in bytes: a power of two from 512 to 65536")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            const unsigned long v = std::strtoul(s.c_str(), nullptr, 10);
            if (v < 512 || v > 65536 || (v & (v - 1)) != 0) return "not a power of two from 512 to 65536: " + s;
            return {};
          },
          "POW2", "power of two"))
      ->capture_default_str();
  app.add_option("--enomem-bound-ms", cfg.enomem_bound_ms,
                 "all-pinned: the longest a get may take to fail with ENOMEM")
      ->check(CLI::Range(1u, 600000u))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (seed->count() == 0) cfg.seed = std::random_device{}();
  return run(cfg);
}
