// src/demo/report.hpp: how the demo reports: failed checks (counted from any
// thread, the first few printed), the pool's counters between two snapshots,
// and timed phases that print a progress line every second.
//
// Synchronization (papers/design/memory-ordering.md): the counters the threads
// share (failures, ops, stop) are relaxed, except where a count is read after
// its writers were joined:
//   (J1) failures and ops read with a plain load() (seq_cst) once every thread
//        that wrote them was joined (failures() at exit; ops in the phases,
//        after run_timed). Not an edge: std::thread::join orders the threads'
//        writes before the read, and relaxed would do as well.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "pagepool/pagepool.hpp"

namespace pagepool_demo {

using clock_type = std::chrono::steady_clock;

// --- failed checks ------------------------------------------------------------

/// Counts a failed check and prints the first few.
void fail(const std::string& what);
/// A call on page `pgno` that returned `ec`.
void fail_ec(const char* what, std::uint64_t pgno, std::error_code ec);
/// Fails with `what` unless `ok`.
inline void check(bool ok, const std::string& what) {
  if (!ok) fail(what);
}
/// The checks that failed; called once every thread was joined (J1).
std::uint64_t failures() noexcept;
/// Held by whoever prints while worker threads run.
std::mutex& print_mutex() noexcept;

// --- counters -------------------------------------------------------------------

/// The pool's counters the phases report, and their difference between two
/// snapshots.
struct counters {
  std::uint64_t hit = 0, miss = 0, page_in = 0, page_out = 0, ro_evict = 0, rw_evict = 0,
                page_create = 0, page_trickle = 0, hash_searches = 0, io_wait = 0;

  static counters of(const pagepool::pool_stats& s);
  counters operator-(const counters& o) const;
};

/// `part` as a percentage of `whole` (0 when whole is 0).
double ratio(std::uint64_t part, std::uint64_t whole);
/// One line: hits, misses, hit ratio, pages in and out, evictions.
void print_delta(const counters& d);
double seconds_since(clock_type::time_point t0);
/// Prints a progress line: `ops` so far and the pool's live counters since `base`.
void print_progress(pagepool::pool& pool, const counters& base, double secs, std::uint64_t ops);

// --- timed phases ---------------------------------------------------------------

/// Runs `body(thread_index, stop)` on n threads for `seconds`, printing a
/// progress line every second from the pool's (approximate, live) counters.
template <typename Body>
void run_timed(pagepool::pool& pool, unsigned n, double seconds, const std::atomic<std::uint64_t>& ops,
               Body body_fn) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> team;
  team.reserve(n);
  const auto t0 = clock_type::now();
  const counters base = counters::of(pool.stats());
  for (unsigned t = 0; t < n; ++t) team.emplace_back([&, t] { body_fn(t, stop); });
  double next = 1.0;
  while (true) {
    const double left = seconds - seconds_since(t0);
    if (left <= 0) break;
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(left, 0.05)));
    if (seconds_since(t0) >= next && next < seconds) {
      print_progress(pool, base, seconds_since(t0), ops.load(std::memory_order_relaxed));
      next += 1.0;
    }
  }
  stop.store(true, std::memory_order_relaxed);
  for (auto& th : team) th.join();
}

}  // namespace pagepool_demo
