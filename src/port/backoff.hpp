// src/port/backoff.hpp: bounded exponential backoff for the few places that
// wait for another thread (a latch held by a writer, a frame in I/O).
//
// Spins with a CPU pause first, then yields, then sleeps briefly, so a waiter
// on a 2-core machine does not starve the thread it waits for.
#pragma once

#include <chrono>
#include <thread>

#include "port/cache_line.hpp"

namespace pagepool::internal {

class backoff {
 public:
  void pause() noexcept {
    if (step_ < 6) {
      for (unsigned i = 0; i < (1u << step_); ++i) cpu_relax();
    } else if (step_ < 20) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    if (step_ < 20) ++step_;
  }
  /// True once pause() has gone past spinning (the wait was a real one).
  [[nodiscard]] bool waited() const noexcept { return step_ > 0; }

 private:
  unsigned step_ = 0;
};

}  // namespace pagepool::internal
