// stress/harness.hpp: what every workload of the stress driver shares: the
// configuration, the failure log, per-thread tallies and heartbeats, the team
// of threads, the data files and the checks that end every workload.
//
// A workload is a function run_context& -> workload_result. It makes its own
// pool and data files in its own scratch directory, runs a team of threads
// until its deadline, joins them, and hands the pool to finish(), which checks
// the files against the oracle after a final sync, a close and a reopen.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "pagepool/pagepool.hpp"
#include "data_file.hpp"
#include "testkit/stamp_file.hpp"
#include "testkit/zipf.hpp"

namespace pagepool::stress {

using clock_type = std::chrono::steady_clock;

/// The command line: every option, so that one printed line replays a run.
struct config {
  unsigned threads = 4;
  double seconds = 30.0;
  std::uint64_t seed = 0;
  std::size_t cache_pages = 256;
  std::size_t file_pages = 4096;
  std::string workload = "all";
  unsigned regions = 2;
  std::size_t page_size = 4096;
  /// How long a get may take to fail with ENOMEM when every frame is pinned.
  unsigned enomem_bound_ms = 100;
  // What the swarm also varies (swarm.hpp); the defaults are the fixed shape
  // the workloads had before it.
  std::size_t frame_size = 0;    ///< frame size of the pool; 0: the page size
  std::string policy = "clock";  ///< the eviction policy every pool starts with
  bool policy_swaps = false;     ///< the chaos thread swaps the policy of the live pool
  bool resize = false;           ///< the chaos thread resizes the live pool (where the workload allows)
  bool bg_writer = false;        ///< every pool runs the background writer
  int max_open_fd = 0;           ///< pool_options::max_open_fd (0: no bound; a workload may set its own)
  int max_write = 0;             ///< pool_options::max_write (0: no bound)
  bool checksums = false;        ///< files of a checksummed type (CRC32C trailer: register_checksum)
  bool region_files = false;     ///< every pool's memory in region files (a home of its own in the run's directory)

  /// The pool's frame size.
  [[nodiscard]] std::size_t frame_bytes() const noexcept { return frame_size ? frame_size : page_size; }
  /// How the pages of the data files are stamped (file number aside).
  [[nodiscard]] testkit::stamp_layout layout() const noexcept { return {page_size, checksums, 0}; }
  /// The bytes of a page the stamps cover: all but the last word when the
  /// checksum trailer owns the last four bytes.
  [[nodiscard]] std::size_t stamp_bytes() const noexcept { return layout().stamp_bytes(); }
  /// The command line that runs `workload` for `seconds` with this configuration.
  [[nodiscard]] std::string command_line(std::string_view workload_name, double secs) const;
};

/// The file type of every data file when checksums are on.
inline constexpr int checksum_ftype = 1;

/// An error_code as "category:value (message)".
std::string describe(const std::error_code& ec);

/// Failures from any thread of one workload: every one is counted, the first
/// few are printed at once (so that a run that later hangs still shows them).
class failure_log {
 public:
  explicit failure_log(std::string workload) : workload_(std::move(workload)) {}
  void fail(const std::string& msg);
  [[nodiscard]] bool failed() const noexcept { return count_.load(std::memory_order_relaxed) != 0; }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::uint64_t printed = 20;
  std::string workload_;
  std::atomic<std::uint64_t> count_{0};
  std::mutex print_mu_;
};

/// Builds a message from stream insertions: msg() << "page " << pg.
class msg {
 public:
  template <typename T>
  msg& operator<<(const T& v) {
    os_ << v;
    return *this;
  }
  operator std::string() const { return os_.str(); }  // NOLINT(google-explicit-constructor)

 private:
  std::ostringstream os_;
};

/// What one thread did. Summed over the team when it joins.
struct thread_tally {
  std::uint64_t ops = 0;        // pool and file calls made
  std::uint64_t checks = 0;     // oracle checks made (passed or failed)
  std::uint64_t gets = 0;       // successful gets of pages of the data files
  std::uint64_t reads = 0;      // pages read and checked without writing
  std::uint64_t writes = 0;     // versions committed
  std::uint64_t in_flight = 0;  // reads checked while a writer was at the page (per-word check)
  std::uint64_t enomem = 0;     // gets that failed with ENOMEM where that was allowed
  std::uint64_t swaps = 0;      // policy swaps by the chaos thread
  std::uint64_t resizes = 0;    // resizes by the chaos thread
  std::uint64_t starved = 0;    // gets that reached alloc_timeout with ENOMEM and were tried once more
  thread_tally& operator+=(const thread_tally& o) noexcept;
};

/// What a thread is doing now, for the watchdog's report of a hang.
struct heartbeat {
  std::atomic<const char*> what{"starting"};
  std::atomic<std::uint64_t> detail{0};
  void at(const char* w, std::uint64_t d = 0) noexcept {
    what.store(w, std::memory_order_relaxed);
    detail.store(d, std::memory_order_relaxed);
  }
};

/// One workload's run: its configuration, seed, scratch directory, time
/// budget, failure log and heartbeats.
struct run_context {
  run_context(const config& c, std::string workload_name, double secs,
              std::filesystem::path scratch);
  const config& cfg;
  std::string name;
  double seconds;
  std::uint64_t seed;  // derived from cfg.seed and the name: the same whether run alone or in "all"
  std::filesystem::path dir;
  failure_log log;
  clock_type::time_point start;
  std::vector<std::unique_ptr<heartbeat>> beats;
  /// The workload's pool while its team runs (make_pool sets it, finish
  /// clears it): what the chaos thread (chaos.hpp) swaps and resizes.
  pool* live = nullptr;
  /// The frames the workload gave its pool: the chaos thread resizes between
  /// this and pool::max_frames.
  std::size_t live_frames = 0;
  /// The workload pool's alloc_timeout (page_ops.cpp: an ENOMEM before it is
  /// always a failure).
  std::chrono::milliseconds alloc_timeout{0};

  /// The end of the timed part.
  [[nodiscard]] clock_type::time_point deadline() const noexcept;
  /// The fewest frames per region that keep ENOMEM impossible in traffic where
  /// each thread holds at most two pins (and syncs and evictions hold a few).
  [[nodiscard]] std::size_t min_frames() const noexcept {
    return std::size_t{cfg.regions} * (2 * std::size_t{cfg.threads} + 2);
  }
  /// Prints the workload's header line (sizes and the replay command).
  void announce(const std::string& shape) const;
  /// The chaos thread may resize this workload's pool: not where the
  /// workload resizes it itself or checks its size (resize, sync-race,
  /// all-pinned).
  [[nodiscard]] bool chaos_may_resize() const noexcept {
    return cfg.resize && name != "resize" && name != "sync-race" && name != "all-pinned";
  }
};

/// The state of one worker thread.
struct worker {
  worker(run_context& c, std::size_t id);
  run_context& ctx;
  std::size_t tid;
  std::mt19937_64 rng;
  thread_tally tally;
  heartbeat& hb;
  /// Reused by the checks, so that they do not allocate.
  std::vector<std::uint64_t> buf;

  [[nodiscard]] std::uint64_t below(std::uint64_t n) noexcept { return rng() % n; }
  [[nodiscard]] bool chance(unsigned percent) noexcept { return rng() % 100 < percent; }
  [[nodiscard]] bool time_left() const noexcept { return clock_type::now() < ctx.deadline(); }
  void fail(const std::string& m) { ctx.log.fail(msg() << "thread " << tid << ": " << m); }
};

/// Runs fn(worker&) on `threads` threads, and the chaos thread beside them
/// where the configuration asks for one (chaos.hpp), joins them, and returns
/// the summed tallies. A watchdog reports what each thread was doing and aborts if the
/// team is still running long after the workload's deadline (a hang).
thread_tally run_team(run_context& ctx, std::size_t threads, const std::function<void(worker&)>& fn);

/// Zipf-skewed pages: rank r in [0, n) with probability proportional to
/// 1 / (r + 1)^theta, scattered over the file (and over the regions) by a
/// permutation seeded with the workload's seed; drawn with a worker's rng.
using testkit::zipf_pages;

/// A pool with `frames` frames of cfg.frame_bytes() bytes in cfg.regions
/// regions, and a long alloc_timeout (ENOMEM only when every frame really is
/// pinned), with the policy, background writer, max_open_fd, max_write and
/// (where the chaos thread resizes) cache_max_bytes the configuration asks
/// for; the caller may change the options first. make_pool also registers the
/// checksum type when the configuration has checksums.
pool_options pool_options_for(const run_context& ctx, std::size_t frames);
std::unique_ptr<pool> make_pool(run_context& ctx, const pool_options& o);

/// A new handle on `path`, opened read-write with create; nullptr (and a
/// failure logged) if that fails.
std::unique_ptr<file> open_handle(run_context& ctx, pool& p, const std::string& path,
                                  open_flags flags = open_flags::create);

/// The data files of a workload, in its scratch directory: `count` files of
/// `pages` pages, every page of version `initial` (written with pwrite, with
/// the CRC32C trailer when checksums are on; 0 makes empty files).
std::vector<std::unique_ptr<data_file>> make_files(run_context& ctx, std::size_t count,
                                                   std::size_t pages, std::uint64_t initial);

/// The end of every workload, once every thread has joined and every pin is
/// put: a pool sync must succeed and leave nothing dirty; with
/// `exact_get_stats`, the pool's hits and misses must add up to the gets made
/// (a quiescent snapshot is exact); then the handles and the pool are closed,
/// and every page of every file must hold exactly its last committed version,
/// read with pread and then through a fresh pool (read-write, then
/// read-only). Adds its checks to `total`.
void finish(run_context& ctx, std::unique_ptr<pool>& p, std::vector<std::unique_ptr<file>>& handles,
            const std::vector<std::unique_ptr<data_file>>& files, thread_tally& total,
            bool exact_get_stats);

/// What a workload reports.
struct workload_result {
  thread_tally total;
  std::string detail;  // the workload's own figures, for its summary line
};

/// The workloads (stress/workloads/*.cpp).
workload_result run_skew(run_context& ctx);
workload_result run_small_cache(run_context& ctx);
workload_result run_sync_race(run_context& ctx);
workload_result run_churn(run_context& ctx);
workload_result run_resize(run_context& ctx);
workload_result run_all_pinned(run_context& ctx);

}  // namespace pagepool::stress
