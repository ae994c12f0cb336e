// src/flush/background_writer.cpp: the optional background writer, a thread
// that keeps a share of the frames clean so that application threads rarely
// have to write a dirty victim themselves (a trickle in the background).
//
// States (bg_mu_ guards every field below but bg_nudged_ and bg_running_):
//
//   stopped --start(percent, period)--> running --stop()/close()--> stopping
//      ^          (thread created)        |  ^    (bg_stop_ set, cv notified)   |
//      |                                  |  |                                  |
//      |               start() again: new |  | pass every period, or sooner     |
//      |               percent and period |  | when nudged (an application      |
//      |               taken at the next  +--+ thread wrote a dirty victim)     |
//      |               pass                                                     |
//      +----------------------------- thread joined ---------------------------+
//
// A pass counts the dirty frames and writes unpinned dirty pages (the trickle
// engine, write_back(pass_kind::trickle)) until `percent` of the frames are
// clean; every write follows the write-ahead rule. A failed write leaves its
// page dirty for a later pass or sync and is counted.
#include <chrono>
#include <thread>

#include "core/pool_impl.hpp"

namespace pagepool::internal {

namespace {
std::error_code err(int e) { return {e, std::generic_category()}; }
}  // namespace

std::error_code pool_impl::start_background_writer(int percent,
                                                    std::chrono::milliseconds period) noexcept {
  if (percent < 1 || percent > 100 || period.count() <= 0) return err(EINVAL);
  if (closed.load(std::memory_order_relaxed)) return err(EINVAL);
  std::lock_guard g(bg_mu_);
  bg_percent_ = percent;
  bg_period_ = period;
  if (bg_thread_.joinable()) {
    bg_cv_.notify_one();  // running: the new settings apply from the next pass
    return {};
  }
  bg_stop_ = false;
  try {
    bg_thread_ = std::thread([this] { background_loop(); });
  } catch (...) {
    return err(EAGAIN);  // no thread could be started
  }
  bg_running_.store(true, std::memory_order_relaxed);
  return {};
}

void pool_impl::stop_background_writer() noexcept {
  std::thread t;
  {
    std::lock_guard g(bg_mu_);
    if (!bg_thread_.joinable()) return;
    bg_stop_ = true;
    bg_running_.store(false, std::memory_order_relaxed);
    t = std::move(bg_thread_);
  }
  bg_cv_.notify_one();
  t.join();
}

bool pool_impl::background_writer_running() noexcept {
  std::lock_guard g(bg_mu_);
  return bg_thread_.joinable();
}

void pool_impl::nudge_background_writer() noexcept {
  // relaxed (both): hints; the mutex below orders the flag with the wait.
  if (!bg_running_.load(std::memory_order_relaxed)) return;
  if (bg_nudged_.exchange(true, std::memory_order_relaxed)) return;  // one per pass
  // Passing through the mutex puts this nudge either before the writer's
  // predicate check (it sees the flag) or after it blocked (the notify wakes
  // it): never in between, where a notify would be lost.
  { std::lock_guard g(bg_mu_); }
  bg_cv_.notify_one();
}

void pool_impl::background_loop() noexcept {
  std::unique_lock lk(bg_mu_);
  for (;;) {
    bg_cv_.wait_for(lk, bg_period_, [this] {
      return bg_stop_ || bg_nudged_.load(std::memory_order_relaxed);
    });
    if (bg_stop_) return;
    bg_nudged_.store(false, std::memory_order_relaxed);
    const int percent = bg_percent_;
    lk.unlock();
    pool_counters_.add<&pool_counters::bg_passes>();
    if (!closed.load(std::memory_order_relaxed)) {
      std::int64_t n = 0;
      if (clean_to(percent, n)) pool_counters_.add<&pool_counters::bg_errors>();
      pool_counters_.add<&pool_counters::bg_writes>(static_cast<std::uint64_t>(n));
    }
    lk.lock();
  }
}

}  // namespace pagepool::internal
