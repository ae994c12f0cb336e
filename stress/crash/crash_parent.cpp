// stress/crash/crash_parent.cpp: the parent of pagepool-crash: iterations of
// spawn, kill with SIGKILL, check the files with pread.
//
// One iteration, as a state machine (the parent is single-threaded):
//
//   spawn ──fork, exec `self child ...`──> starting
//   starting ──'ready' record──> running           (kill plan armed)
//   starting ──early plan's delay ran out──> kill  (a kill while the pool opens)
//   running ──plan fires: a random delay after 'ready', or just after the
//             k-th 'begin' (a sync under way)──> kill
//   starting | running ──pipe EOF (the child ended by itself)──> reaped, FAIL
//   kill ──SIGKILL; read the pipe to EOF; waitpid──> reaped
//   reaped ──pread every page of every file──> checked
//
// Records are handled as they arrive and again while the pipe is drained
// after the kill: a record wholly in the pipe was sent before the child
// died, so an ack there counts; a trailing part of a record does not.
//
// The check, per page p of file f, with floor[f][p] the highest version any
// ack reported for it (or, when this child resumed the previous one's files,
// the version the previous check found on disk, if higher):
//   - the page read with pread (zeros past the end of the file) is all zero
//     or whole (crash_page.hpp); anything else is a torn page: FAIL;
//   - its version (0 for all zero) is at least floor[f][p]; less is a lost
//     acknowledged write: FAIL.
// And the file's size is a whole number of pages, no more than the child
// used. The 'ready' record, the versions the child read through its pool at
// start, must equal what the parent's previous check found on disk.
//
// The pieces: crash_plan.cpp picks each iteration's shape and kill plan,
// crash_check.cpp reads the child's pipe and checks the files, and
// crash_parent.hpp holds what they share (the totals, `iteration`); this
// file runs the iterations (spawn, kill, reap, check) and prints the totals.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "crash.hpp"
#include "crash_parent.hpp"
#include "testkit/rng.hpp"

namespace pagepool::stress::crash {

namespace {

using clock_type = std::chrono::steady_clock;

using testkit::splitmix64;  // spreads a seed: nearby seeds, unrelated streams

/// How long a child may take to open its pool and read its files.
constexpr auto ready_limit = std::chrono::seconds(120);
/// A sync plan whose k-th sync never begins falls back to a kill this late.
constexpr auto sync_plan_limit = std::chrono::seconds(3);

using parent_detail::check_files;
using parent_detail::describe_status;
using parent_detail::iteration;
using parent_detail::pick;
using parent_detail::plan_kind;
using parent_detail::plan_name;
using parent_detail::read_some;
using parent_detail::totals;

}  // namespace

int run_parent(const parent_options& o, const std::string& self_exe) {
  std::printf("pagepool-crash --seed %llu --iterations %u --seconds %g --max-page-size %zu\n",
              static_cast<unsigned long long>(o.seed), o.iterations, o.seconds, o.max_page_size);
  std::fflush(stdout);
  std::string base = o.dir.empty() ? std::filesystem::temp_directory_path().string() : o.dir;
  std::string tmpl = base + "/pagepool-crash-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::fprintf(stderr, "pagepool-crash: cannot make a directory in %s: %s\n", base.c_str(),
                 std::strerror(errno));
    return 1;
  }
  const std::string dir = tmpl;
  // A child that a sanitizer reports on must not go on until it is killed:
  // make ThreadSanitizer stop it, so the report shows as a failed child.
  // (AddressSanitizer stops by default; UBSan is built without recovery.)
  if (const char* t = std::getenv("TSAN_OPTIONS");
      t == nullptr || std::strstr(t, "halt_on_error") == nullptr) {
    const std::string v = std::string(t == nullptr ? "" : t) +
                          (t == nullptr || *t == 0 ? "" : ":") + "halt_on_error=1";
    ::setenv("TSAN_OPTIONS", v.c_str(), 1);
  }

  totals t;
  const auto start = clock_type::now();
  const auto end = start + std::chrono::duration_cast<clock_type::duration>(
                               std::chrono::duration<double>(o.seconds));
  shape prev;
  bool have_prev = false;
  std::vector<std::vector<std::uint32_t>> prev_found;

  for (std::uint64_t i = 0; i < o.iterations && clock_type::now() < end; ++i) {
    std::mt19937_64 rng(splitmix64(o.seed ^ splitmix64(i + 1)));
    auto [s, plan] = pick(rng, o, have_prev ? &prev : nullptr, dir);
    if (!s.resume) {
      for (unsigned f = 0; f < 2; ++f) ::unlink(s.file_path(f).c_str());
    } else {
      ++t.resumed;
    }
    ++t.iterations;
    iteration it(s, i, t);
    it.floor.assign(s.files, std::vector<std::uint32_t>(s.pages, 0));
    if (s.resume) it.floor = prev_found;  // what the previous child left must not go backwards
    if (o.verbose)
      std::printf("# iteration %llu: %s; kill plan %s (%lld us, sync %u)\n",
                  static_cast<unsigned long long>(i), s.describe().c_str(), plan_name(plan.kind),
                  static_cast<long long>(plan.delay.count()), plan.kth_sync);

    // Spawn: everything the child needs is built before fork; between fork
    // and exec it makes only async-signal-safe calls.
    std::vector<std::string> args{self_exe, "child"};
    for (auto& a : s.child_args()) args.push_back(a);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      std::fprintf(stderr, "pagepool-crash: pipe2: %s\n", std::strerror(errno));
      return 1;
    }
    const pid_t parent_pid = ::getpid();
    const auto spawned = clock_type::now();
    const pid_t pid = ::fork();
    if (pid < 0) {
      std::fprintf(stderr, "pagepool-crash: fork: %s\n", std::strerror(errno));
      return 1;
    }
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the child must not outlive the parent
      if (::getppid() != parent_pid) ::_exit(5);
      if (fds[1] == report_fd) {
        ::fcntl(report_fd, F_SETFD, 0);
      } else if (::dup2(fds[1], report_fd) < 0) {
        ::_exit(6);
      }
      ::execv(self_exe.c_str(), argv.data());
      ::_exit(7);
    }
    ::close(fds[1]);
    const int rfd = fds[0];

    // Run until the plan fires (or the child ends by itself).
    clock_type::time_point kill_at =
        plan.kind == plan_kind::early ? spawned + plan.delay : clock_type::time_point::max();
    bool eof = false;
    while (!eof) {
      const auto now = clock_type::now();
      if (now >= kill_at) break;
      if (!it.ready && plan.kind != plan_kind::early && now - spawned > ready_limit) {
        it.fail("the child was not ready after " + std::to_string(ready_limit.count()) + " s");
        break;
      }
      const auto wait = std::min(kill_at - now, std::chrono::duration_cast<clock_type::duration>(
                                                    std::chrono::milliseconds(100)));
      pollfd pfd{rfd, POLLIN, 0};
      const int ms = static_cast<int>(
          std::chrono::duration_cast<std::chrono::microseconds>(wait).count() / 1000);
      const int pr = ::poll(&pfd, 1, ms);
      if (pr < 0 && errno != EINTR) break;
      if (pr <= 0) continue;
      if (!read_some(rfd, it)) eof = true;
      const bool was_ready = it.ready;
      const unsigned begun_before = it.begun;
      it.parse();
      const auto at = clock_type::now();
      if (!was_ready && it.ready) {
        if (plan.kind == plan_kind::delay) kill_at = at + plan.delay;
        if (plan.kind == plan_kind::sync) kill_at = at + sync_plan_limit;
      }
      if (plan.kind == plan_kind::sync && begun_before < plan.kth_sync && it.begun >= plan.kth_sync)
        kill_at = at + plan.delay;
    }
    if (!eof) {
      ::kill(pid, SIGKILL);
      ++t.kills;
      ++(plan.kind == plan_kind::early  ? t.early_kills
         : plan.kind == plan_kind::sync ? t.sync_plan_kills
                                        : t.delay_kills);
    }
    while (read_some(rfd, it)) it.parse();
    it.parse();
    if (!it.buf.empty()) ++t.partial_records;  // cut short by the kill: not an acknowledgement
    ::close(rfd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (eof || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
      it.fail("the child " + describe_status(status) +
              (eof ? " before it was killed" : " instead of by the SIGKILL"));
    if (!it.open_syncs.empty()) ++t.kills_in_sync;

    // The child's view at start must be what the previous check found.
    if (it.ready) {
      for (unsigned f = 0; f < s.files && !it.failed; ++f)
        for (std::uint32_t pg = 0; pg < s.pages; ++pg) {
          const std::uint32_t want = s.resume ? prev_found[f][pg] : 0;
          if (it.ready_versions[f][pg] != want) {
            it.fail("at start the child read version " + std::to_string(it.ready_versions[f][pg]) +
                    " of file " + std::to_string(f) + " page " + std::to_string(pg) +
                    " through its pool; pread found " + std::to_string(want));
            break;
          }
        }
    }
    prev_found = check_files(it);
    if (it.any_ack) {
      t.writes_acked += it.last_ack.writes;
      t.rw_evict += it.last_ack.rw_evict;
      t.page_out += it.last_ack.page_out;
      t.background_writes += it.last_ack.background_writes;
      t.page_trickle += it.last_ack.page_trickle;
    }
    if (o.verbose)
      std::printf("iteration %llu: %s after %.1f ms; syncs begun %u; %s\n",
                  static_cast<unsigned long long>(i), eof ? "ended by itself" : "killed",
                  std::chrono::duration<double, std::milli>(clock_type::now() - spawned).count(),
                  it.begun, it.failed ? "FAIL" : "ok");
    if (it.failed) {
      std::fprintf(
          stderr,
          "FAIL [iteration %llu] shape: %s; kill plan %s (%lld us, sync %u); files kept in %s\n",
          static_cast<unsigned long long>(i), s.describe().c_str(), plan_name(plan.kind),
          static_cast<long long>(plan.delay.count()), plan.kth_sync, dir.c_str());
      break;  // keep the files as they are for inspection
    }
    prev = s;
    have_prev = true;
    if (!o.verbose && (i + 1) % 50 == 0) {
      std::printf("... %llu iterations, %llu acknowledged syncs, %llu pages checked\n",
                  static_cast<unsigned long long>(i + 1), static_cast<unsigned long long>(t.acks),
                  static_cast<unsigned long long>(t.pages_checked));
      std::fflush(stdout);
    }
  }

  const double wall = std::chrono::duration<double>(clock_type::now() - start).count();
  auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf(
      "iterations %llu (%llu resumed the previous files), kills %llu (early %llu, at a random "
      "delay %llu, "
      "aimed at a sync %llu; a sync under way at %llu of them)\n",
      u(t.iterations), u(t.resumed), u(t.kills), u(t.early_kills), u(t.delay_kills),
      u(t.sync_plan_kills), u(t.kills_in_sync));
  std::printf(
      "syncs begun %llu, acknowledged %llu (pool %llu, file %llu), incomplete %llu; trickles %llu; "
      "records cut short by a kill %llu\n",
      u(t.syncs_begun), u(t.acks), u(t.pool_acks), u(t.file_acks), u(t.incomplete), u(t.trickles),
      u(t.partial_records));
  std::printf(
      "pages verified %llu (acknowledged %llu, whole %llu, zero %llu, newer than acknowledged "
      "%llu); "
      "lost %llu, torn %llu\n",
      u(t.pages_checked), u(t.pages_acked), u(t.pages_whole), u(t.pages_zero), u(t.pages_newer),
      u(t.lost), u(t.torn));
  std::printf(
      "at the last ack of each child: writes %llu, dirty evictions %llu, pages written %llu "
      "(background writer %llu, trickle %llu)\n",
      u(t.writes_acked), u(t.rw_evict), u(t.page_out), u(t.background_writes), u(t.page_trickle));
  std::printf("failures %llu, wall %.1f s: %s\n", u(t.failures), wall,
              t.failures == 0 ? "PASS" : "FAIL");
  std::fflush(stdout);
  if (t.failures == 0 && !o.keep) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  } else {
    std::printf("files kept in %s\n", dir.c_str());
  }
  return t.failures == 0 ? 0 : 1;
}

}  // namespace pagepool::stress::crash