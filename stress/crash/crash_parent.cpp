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
#include "crash_page.hpp"
#include "testkit/rng.hpp"

namespace pagepool::stress::crash {

namespace {

using clock_type = std::chrono::steady_clock;

using testkit::splitmix64;  // spreads a seed: nearby seeds, unrelated streams

/// How long a child may take to open its pool and read its files.
constexpr auto ready_limit = std::chrono::seconds(120);
/// A sync plan whose k-th sync never begins falls back to a kill this late.
constexpr auto sync_plan_limit = std::chrono::seconds(3);
constexpr unsigned printed_failures = 20;

/// Figures over the whole run.
struct totals {
  std::uint64_t iterations = 0, kills = 0, early_kills = 0, delay_kills = 0, sync_plan_kills = 0;
  std::uint64_t kills_in_sync = 0;  // a sync had begun and not reported when the child died
  std::uint64_t resumed = 0;
  std::uint64_t syncs_begun = 0, acks = 0, pool_acks = 0, file_acks = 0, incomplete = 0,
                trickles = 0;
  std::uint64_t partial_records = 0;
  std::uint64_t pages_checked = 0, pages_acked = 0, pages_whole = 0, pages_zero = 0,
                pages_newer = 0;
  std::uint64_t lost = 0, torn = 0, failures = 0;
  std::uint64_t writes_acked = 0, rw_evict = 0, page_out = 0, background_writes = 0,
                page_trickle = 0;
};

enum class plan_kind { early, delay, sync };

const char* plan_name(plan_kind k) {
  switch (k) {
    case plan_kind::early:
      return "early";
    case plan_kind::delay:
      return "delay";
    case plan_kind::sync:
      return "sync";
  }
  return "?";
}

struct kill_plan {
  plan_kind kind = plan_kind::delay;
  std::chrono::microseconds delay{
      0};  // early: after spawn; delay: after ready; sync: after the k-th begin
  unsigned kth_sync = 1;
};

/// A shape and a kill plan for iteration `it`, from its own random stream.
/// With `prev`, the shape may resume the previous child's files (same page
/// size, files and pages).
std::pair<shape, kill_plan> pick(std::mt19937_64& rng, const parent_options& o, const shape* prev,
                                 const std::string& dir) {
  auto below = [&](std::uint64_t n) { return static_cast<unsigned>(rng() % n); };
  shape s;
  s.dir = dir;
  s.seed = rng();
  s.writers = 1 + below(6);
  s.syncers = 1 + (below(4) == 0 ? 1u : 0u);
  s.regions = 1 + below(8);
  unsigned max_shift = 0;
  while ((std::size_t{512} << (max_shift + 1)) <= o.max_page_size) ++max_shift;
  s.page_size = std::size_t{512} << below(max_shift + 1);
  s.files = below(3) == 0 ? 2 : 1;
  // Enough pages that the working set is several times the smallest cache.
  const std::size_t want = 3 * s.min_frames();
  const auto lo =
      static_cast<std::uint32_t>(std::max<std::size_t>(64, (want + s.files - 1) / s.files));
  const std::uint32_t hi = std::max<std::uint32_t>(lo, 2048);
  s.pages = static_cast<std::uint32_t>(
      std::exp(std::log(double(lo)) + std::uniform_real_distribution<double>(0, 1)(rng) *
                                          (std::log(double(hi)) - std::log(double(lo)))));
  if (prev != nullptr && below(2) == 0) {
    s.resume = true;
    s.page_size = prev->page_size;
    s.files = prev->files;
    s.pages = prev->pages;
  }
  const std::size_t total = std::size_t{s.pages} * s.files;
  // A cache of a half to a sixteenth of the working set, never below what
  // the child's pins need: eviction writes dirty pages all the time.
  s.frames = std::max(s.min_frames(), total / (2 + below(15)));
  s.gate_percent = std::array<unsigned, 3>{0, 50, 100}[below(3)];
  s.file_sync_percent = std::array<unsigned, 3>{0, 30, 70}[below(3)];
  s.trickle_percent = below(3) == 0 ? 20 : 0;
  s.hot_percent = below(2) == 0 ? 90 : 0;
  s.writer_pause_us = std::array<unsigned, 3>{0, 50, 500}[below(3)];
  s.sync_pause_us = std::array<unsigned, 3>{0, 2000, 20000}[below(3)];
  if (below(3) == 0) {
    s.background_percent = 10 + below(51);
    s.background_period_ms = 1 + below(20);
  }
  if (below(4) == 0) {
    s.max_write = 4 + below(29);
    s.max_write_sleep_us = 50 + below(451);
  }
  // A resizer thread in a third of the children: kills land in the middle of
  // grows and shrinks, with pinned and dirty pages past the new size.
  if (below(3) == 0) s.resize_pause_us = std::array<unsigned, 3>{200, 2000, 20000}[below(3)];

  kill_plan k;
  const unsigned r = below(10);
  if (r == 0) {
    k.kind = plan_kind::early;
    k.delay = std::chrono::microseconds(below(20000));
  } else if (r <= 3) {
    k.kind = plan_kind::sync;
    k.kth_sync = 1 + below(4);
    k.delay = std::chrono::microseconds(below(3) == 0 ? 0 : below(2000));
  } else {
    k.kind = plan_kind::delay;
    const unsigned most_ms = std::array<unsigned, 3>{20, 100, 400}[below(3)];
    k.delay = std::chrono::microseconds(below(most_ms * 1000 + 1));
  }
  return {s, k};
}

std::uint32_t get_u32(const unsigned char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

/// One iteration's view of the child's records.
struct iteration {
  iteration(const shape& sh, std::uint64_t i, totals& tot) : s(sh), it(i), t(tot) {}
  const shape& s;
  std::uint64_t it;
  totals& t;
  unsigned printed = 0;
  bool failed = false;
  bool ready = false;
  unsigned begun = 0;
  std::set<std::uint32_t> open_syncs;  // begun, not yet acked or incomplete
  std::vector<std::vector<std::uint32_t>> floor;
  std::vector<std::vector<std::uint32_t>> ready_versions;
  ack_head last_ack{};
  bool any_ack = false;
  std::vector<unsigned char> buf;

  void fail(const std::string& m) {
    failed = true;
    ++t.failures;
    if (printed++ < printed_failures)
      std::fprintf(stderr, "FAIL [iteration %llu] %s\n", static_cast<unsigned long long>(it),
                   m.c_str());
    if (printed == printed_failures)
      std::fprintf(stderr, "FAIL [iteration %llu] (further failures counted, not printed)\n",
                   static_cast<unsigned long long>(it));
    std::fflush(stderr);
  }

  /// Handles every whole record in buf; returns the types seen, in order.
  std::vector<record_type> parse() {
    std::vector<record_type> seen;
    std::size_t at = 0;
    while (buf.size() - at >= 12) {
      const unsigned char* h = buf.data() + at;
      if (get_u32(h) != record_magic) {
        fail("the child's report stream is garbled (bad record magic)");
        buf.clear();
        return seen;
      }
      const std::uint32_t len = get_u32(h + 8);
      if (buf.size() - at - 12 < len) break;
      const auto type = static_cast<record_type>(get_u32(h + 4));
      handle(type, h + 12, len);
      seen.push_back(type);
      at += 12 + len;
    }
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(at));
    return seen;
  }

  void handle(record_type type, const unsigned char* p, std::uint32_t len) {
    // Every record but a failure's starts with at least one u32.
    if (type != record_type::failure && len < (type == record_type::ready ? 8u : 4u)) {
      fail("record of type " + std::to_string(static_cast<std::uint32_t>(type)) + " too short");
      return;
    }
    switch (type) {
      case record_type::ready: {
        const std::uint32_t files = get_u32(p), pages = get_u32(p + 4);
        if (files != s.files || pages != s.pages || len != 8 + 4ull * files * pages) {
          fail("malformed ready record");
          return;
        }
        ready = true;
        ready_versions.assign(files, std::vector<std::uint32_t>(pages));
        for (std::uint32_t f = 0; f < files; ++f)
          for (std::uint32_t pg = 0; pg < pages; ++pg)
            ready_versions[f][pg] = get_u32(p + 8 + 4ull * (f * pages + pg));
        return;
      }
      case record_type::begin:
        ++begun;
        ++t.syncs_begun;
        open_syncs.insert(get_u32(p));
        return;
      case record_type::ack: {
        ack_head h;
        if (len < sizeof h) {
          fail("malformed ack record");
          return;
        }
        std::memcpy(&h, p, sizeof h);
        open_syncs.erase(h.sync_no);
        ++t.acks;
        ++(h.kind == 0 ? t.pool_acks : t.file_acks);
        std::size_t at = sizeof h;
        for (std::uint32_t c = 0; c < h.covered; ++c) {
          if (len < at + 8) return fail("malformed ack record");
          const std::uint32_t f = get_u32(p + at), pages = get_u32(p + at + 4);
          at += 8;
          if (f >= s.files || pages != s.pages || len < at + 4ull * pages)
            return fail("malformed ack record");
          for (std::uint32_t pg = 0; pg < pages; ++pg)
            floor[f][pg] = std::max(floor[f][pg], get_u32(p + at + 4ull * pg));
          at += 4ull * pages;
        }
        if (!any_ack || h.writes >= last_ack.writes) last_ack = h;
        any_ack = true;
        return;
      }
      case record_type::incomplete:
        open_syncs.erase(get_u32(p));
        ++t.incomplete;
        return;
      case record_type::trickle:
        ++t.trickles;
        return;
      case record_type::failure:
        fail("the child reports: " + std::string(reinterpret_cast<const char*>(p), len));
        return;
    }
    fail("unknown record type " + std::to_string(static_cast<std::uint32_t>(type)));
  }
};

/// Reads what the pipe holds now into it.buf; false at end of file.
bool read_some(int fd, iteration& it) {
  unsigned char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    it.buf.insert(it.buf.end(), chunk, chunk + n);
    return true;
  }
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return std::string("died of signal ") + std::to_string(WTERMSIG(status)) + " (" +
           ::strsignal(WTERMSIG(status)) + ")";
  return "status " + std::to_string(status);
}

/// pread of every page of every file against the floors; returns the
/// versions found (for the next iteration's floors and ready check).
std::vector<std::vector<std::uint32_t>> check_files(iteration& it) {
  const shape& s = it.s;
  std::vector<std::vector<std::uint32_t>> found(s.files, std::vector<std::uint32_t>(s.pages, 0));
  std::vector<unsigned char> page(s.page_size);
  for (unsigned f = 0; f < s.files; ++f) {
    const std::string path = s.file_path(f);
    const int fd = ::open(path.c_str(), O_RDONLY);
    off_t size = 0;
    if (fd < 0) {
      if (errno != ENOENT) it.fail("open " + path + ": " + std::strerror(errno));
    } else {
      struct stat st {};
      if (::fstat(fd, &st) != 0) it.fail("fstat " + path + ": " + std::strerror(errno));
      size = st.st_size;
    }
    if (size % static_cast<off_t>(s.page_size) != 0)
      it.fail("file " + std::to_string(f) + " is " + std::to_string(size) +
              " bytes, not a whole number of " + std::to_string(s.page_size) +
              "-byte pages (a partial page write)");
    if (static_cast<std::uint64_t>(size) > std::uint64_t{s.pages} * s.page_size)
      it.fail("file " + std::to_string(f) + " is " + std::to_string(size) +
              " bytes, longer than the " + std::to_string(s.pages) + " pages the child wrote");
    for (std::uint32_t pg = 0; pg < s.pages; ++pg) {
      std::fill(page.begin(), page.end(), 0);
      const off_t base = static_cast<off_t>(pg) * static_cast<off_t>(s.page_size);
      std::size_t done = 0;
      while (fd >= 0 && done < s.page_size) {
        const ssize_t n =
            ::pread(fd, page.data() + done, s.page_size - done, base + static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          it.fail("pread " + path + ": " + std::strerror(errno));
          break;
        }
        if (n == 0) break;  // past the end: zeros
        done += static_cast<std::size_t>(n);
      }
      const page_verdict v = check_page(page.data(), s.page_size, f, pg);
      const std::uint32_t fl = it.floor[f][pg];
      ++it.t.pages_checked;
      if (fl != 0) ++it.t.pages_acked;
      const std::string where = "file " + std::to_string(f) + " page " + std::to_string(pg);
      if (v.kind == page_verdict::torn) {
        ++it.t.torn;
        it.fail(where + " is torn: " + v.why + " (acknowledged version " + std::to_string(fl) +
                ")");
        continue;
      }
      ++(v.kind == page_verdict::zero ? it.t.pages_zero : it.t.pages_whole);
      found[f][pg] = static_cast<std::uint32_t>(v.version);
      if (v.version < fl) {
        ++it.t.lost;
        it.fail(where + " holds version " + std::to_string(v.version) + " but version " +
                std::to_string(fl) + " was acknowledged by a successful sync (a lost write)");
      } else if (v.version > fl) {
        ++it.t.pages_newer;
      }
    }
    if (fd >= 0) ::close(fd);
  }
  return found;
}

}  // namespace

std::vector<std::string> shape::child_args() const {
  auto n = [](auto v) { return std::to_string(v); };
  return {"--page-size",
          n(page_size),
          "--pages",
          n(pages),
          "--files",
          n(files),
          "--frames",
          n(frames),
          "--regions",
          n(regions),
          "--writers",
          n(writers),
          "--syncers",
          n(syncers),
          "--gate-percent",
          n(gate_percent),
          "--file-sync-percent",
          n(file_sync_percent),
          "--trickle-percent",
          n(trickle_percent),
          "--hot-percent",
          n(hot_percent),
          "--writer-pause-us",
          n(writer_pause_us),
          "--sync-pause-us",
          n(sync_pause_us),
          "--background-percent",
          n(background_percent),
          "--background-period-ms",
          n(background_period_ms),
          "--max-write",
          n(max_write),
          "--max-write-sleep-us",
          n(max_write_sleep_us),
          "--resize-pause-us",
          n(resize_pause_us),
          "--resume",
          resume ? "1" : "0",
          "--seed",
          n(seed),
          "--dir",
          dir};
}

std::string shape::describe() const {
  std::ostringstream os;
  os << files << " file(s) of " << pages << " pages of " << page_size << " B, " << frames
     << " frames in " << regions << " region(s), " << writers << " writer(s), " << syncers
     << " syncer(s), gated " << gate_percent << "%, file syncs " << file_sync_percent
     << "%, trickle " << trickle_percent << "%, hot " << hot_percent << "%, pauses "
     << writer_pause_us << "/" << sync_pause_us << " us";
  if (background_percent != 0)
    os << ", background writer " << background_percent << "% every " << background_period_ms
       << " ms";
  if (max_write != 0) os << ", max_write " << max_write << "/" << max_write_sleep_us << " us";
  if (resize_pause_us != 0) os << ", resized every " << resize_pause_us << " us at most";
  if (resume) os << ", resumed";
  return os.str();
}

std::string shape::file_path(unsigned i) const { return dir + "/data" + std::to_string(i) + ".db"; }

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
