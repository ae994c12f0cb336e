// pagepool-crash: the crash-safety harness. The parent kills a child that
// writes and syncs through pagepool with SIGKILL at random moments, then
// checks with pread that every page an acknowledged sync covered holds that
// version or a later one, and that no page is torn (crash.hpp, README.md).
//
// Output: the command line that replays the run's choices (its seed
// included, random when --seed is not given), a progress line every 50
// iterations, and the figures at the end; failures go to stderr as they
// happen, and the run stops at the first failed iteration, leaving its files.
// Exit status: 0 when every check passed, 1 when one failed, 2 for a bad
// command line.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <climits>
#include <cstdio>
#include <random>
#include <string>

#include "crash.hpp"
#include "pagepool/testing.hpp"
#include "power.hpp"

int main(int argc, char** argv) {
  using namespace pagepool::stress::crash;
  using pagepool::stress::power::run_power_exhaustive;
  using pagepool::stress::power::run_power_random;
  parent_options po;
  shape s;
  CLI::App app{
      "pagepool-crash: SIGKILL a child that writes and syncs through pagepool, then check its "
      "files "
      "with pread: acknowledged syncs kept, no torn page"};
  app.add_option("--iterations", po.iterations,
                 "children to start and kill (the run stops earlier at --seconds)")
      ->check(CLI::Range(1u, 100000000u))
      ->capture_default_str();
  app.add_option("--seconds", po.seconds, "wall-time bound of the run, checked between iterations")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI::Option* seed = app.add_option(
      "--seed", po.seed, "seed of every random choice (default: a random one, printed)");
  app.add_option("--max-page-size", po.max_page_size,
                 "largest page size tried (512 up to this; pages larger than the OS page can be "
                 "torn by a kill, "
                 "see README.md)")
      ->check(CLI::IsMember({512, 1024, 2048, 4096, 8192, 16384, 32768, 65536}))
      ->capture_default_str();
  app.add_option("--dir", po.dir, "where the scratch directory goes (default: $TMPDIR or /tmp)");
  app.add_flag("--keep", po.keep, "keep the scratch directory after a run that passed");
  app.add_flag("-v,--verbose", po.verbose, "a line per iteration: its shape, kill plan and result");

  // --power-loss: the simulated power cut (power.hpp) instead of SIGKILL.
  pagepool::stress::power::power_options pw;
  bool power_loss = false;
  app.add_flag("--power-loss", power_loss,
               "cut the power of a simulated disk (power_io) instead of killing a child");
  app.add_option("--cuts", pw.cuts, "--power-loss: cuts to check (the run stops earlier at --seconds)")
      ->capture_default_str();
  app.add_flag("--exhaustive", pw.exhaustive,
               "--power-loss: every cut point of the scripted workloads, every survivor up to --bound");
  app.add_option("--bound", pw.bound, "--exhaustive: most survivors checked per cut point")
      ->capture_default_str();
  app.add_option("--mutate", pw.mutate,
                 "--power-loss: turn off fsyncs inside pagepool for the run (test hook)")
      ->check(CLI::IsMember({"skip-fsync", "skip-dir-fsync"}));
  app.add_option("--expect-loss-within", pw.expect_loss_within,
                 "pass only if a loss is found within this many cuts (with --mutate)");

  // The child's role: started by the parent, never by hand (hidden).
  CLI::App* child = app.add_subcommand("child", "")->group("");
  child->add_option("--page-size", s.page_size)->required();
  child->add_option("--pages", s.pages)->required();
  child->add_option("--files", s.files)->required()->check(CLI::Range(1u, 2u));
  child->add_option("--frames", s.frames)->required();
  child->add_option("--regions", s.regions)->required();
  child->add_option("--writers", s.writers)->required()->check(CLI::Range(1u, 64u));
  child->add_option("--syncers", s.syncers)->required()->check(CLI::Range(1u, 8u));
  child->add_option("--gate-percent", s.gate_percent)->required();
  child->add_option("--file-sync-percent", s.file_sync_percent)->required();
  child->add_option("--trickle-percent", s.trickle_percent)->required();
  child->add_option("--hot-percent", s.hot_percent)->required();
  child->add_option("--writer-pause-us", s.writer_pause_us)->required();
  child->add_option("--sync-pause-us", s.sync_pause_us)->required();
  child->add_option("--background-percent", s.background_percent)->required();
  child->add_option("--background-period-ms", s.background_period_ms)->required();
  child->add_option("--max-write", s.max_write)->required();
  child->add_option("--max-write-sleep-us", s.max_write_sleep_us)->required();
  child->add_option("--resize-pause-us", s.resize_pause_us)->required();
  child->add_option("--resume", s.resume)->required();
  child->add_option("--seed", s.seed)->required();
  child->add_option("--dir", s.dir)->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (child->parsed()) return run_child(s);

  if (seed->count() == 0) po.seed = std::random_device{}();
  if (power_loss) {
    using pagepool::testing::io_mutation;
    pw.seed = po.seed;
    pw.seconds = po.seconds;
    pw.verbose = po.verbose;
    pagepool::testing::set_io_mutation(pw.mutate == "skip-fsync"       ? io_mutation::skip_fsync
                                       : pw.mutate == "skip-dir-fsync" ? io_mutation::skip_dir_fsync
                                                                       : io_mutation::none);
    std::printf("pagepool-crash --power-loss%s --seed %llu%s%s\n", pw.exhaustive ? " --exhaustive" : "",
                static_cast<unsigned long long>(pw.seed), pw.mutate.empty() ? "" : " --mutate ",
                pw.mutate.c_str());
    std::fflush(stdout);
    return pw.exhaustive ? run_power_exhaustive(pw) : run_power_random(pw);
  }
  // The parent execs its own binary as the child.
  char self[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    std::fprintf(stderr, "pagepool-crash: cannot read /proc/self/exe\n");
    return 1;
  }
  self[n] = '\0';
  return run_parent(po, self);
}
