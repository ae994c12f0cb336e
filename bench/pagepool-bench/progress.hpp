// bench/pagepool-bench/progress.hpp: progress of a long step on stderr.
//
// Workers add what they finished to one relaxed counter (a few times a
// second's worth of work at a time); a reporter thread reads it. On a
// terminal (isatty(stderr)) the reporter redraws one bar in place every
// 200 ms, from the first second on, and erases it at the end; otherwise it
// prints a plain line at most every 5 s, and nothing for a step that ends
// sooner. Nothing reaches stdout, so the results there stay machine-readable.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

namespace pagepool::bench {

class progress {
 public:
  /// Starts reporting `label` with `total` units to do (0: unknown); with
  /// show_rate, the units per second too (in millions).
  progress(std::string label, std::uint64_t total, bool show_rate = true);
  /// Stops (as finish()).
  ~progress();
  progress(const progress&) = delete;
  progress& operator=(const progress&) = delete;

  /// Records n more units done; any thread.
  void advance(std::uint64_t n) noexcept {
    // relaxed: a statistic read by the reporter; nothing is published with it.
    done_.fetch_add(n, std::memory_order_relaxed);
  }
  /// Stops the reporter and clears the bar (idempotent).
  void finish();
  /// Runs print (which writes whole lines to stdout) with the bar erased,
  /// so results and the bar do not share a line; the bar returns at the
  /// next tick.
  template <class Print>
  void print_above(Print&& print) {
    std::lock_guard<std::mutex> g(mu_);
    erase_locked();
    print();
    std::fflush(stdout);
  }

 private:
  void report_loop();
  void erase_locked();  // mu_ held (or the reporter stopped)
  void draw(bool tty, double elapsed);

  std::string label_;
  std::uint64_t total_;
  bool show_rate_;
  std::atomic<std::uint64_t> done_{0};
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // under mu_
  bool drawn_ = false; // a bar is on the screen; under mu_
  std::thread reporter_;
};

}  // namespace pagepool::bench
