// src/flush/background_writer.cpp: the background writer's thread (the state
// machine is drawn in flush/background_writer.hpp).
#include "flush/background_writer.hpp"

namespace pagepool::internal {

std::error_code background_writer::start(int percent,
                                         std::chrono::milliseconds period) noexcept {
  if (percent < 1 || percent > 100 || period.count() <= 0) return {EINVAL, std::generic_category()};
  std::lock_guard g(mu_);
  percent_ = percent;
  period_ = period;
  if (thread_.joinable()) {
    cv_.notify_one();  // running: the new settings apply from the next pass
    return {};
  }
  stop_ = false;
  try {
    thread_ = std::thread([this] { loop(); });
  } catch (...) {
    return {EAGAIN, std::generic_category()};  // no thread could be started
  }
  running_.store(true, std::memory_order_relaxed);
  return {};
}

void background_writer::stop() noexcept {
  std::thread t;
  {
    std::lock_guard g(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
    running_.store(false, std::memory_order_relaxed);
    t = std::move(thread_);
  }
  cv_.notify_one();
  t.join();
}

void background_writer::forget() noexcept {
  // The child's only thread: the mutex was not held at fork by this
  // object's users unless a start or stop raced with fork (not supported).
  if (thread_.joinable()) thread_.detach();
  running_.store(false, std::memory_order_relaxed);
}

bool background_writer::running() noexcept {
  std::lock_guard g(mu_);
  return thread_.joinable();
}

void background_writer::nudge() noexcept {
  // relaxed (both): hints; the mutex below orders the flag with the wait.
  if (!running_.load(std::memory_order_relaxed)) return;
  if (nudged_.exchange(true, std::memory_order_relaxed)) return;  // one per pass
  // Passing through the mutex puts this nudge either before the writer's
  // predicate check (it sees the flag) or after it blocked (the notify wakes
  // it): never in between, where a notify would be lost.
  { std::lock_guard g(mu_); }
  cv_.notify_one();
}

void background_writer::loop() noexcept {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait_for(lk, period_, [this] { return stop_ || nudged_.load(std::memory_order_relaxed); });
    if (stop_) return;
    nudged_.store(false, std::memory_order_relaxed);
    const int percent = percent_;
    lk.unlock();
    pass_(percent);
    lk.lock();
  }
}

}  // namespace pagepool::internal
