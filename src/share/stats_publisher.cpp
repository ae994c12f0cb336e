// src/share/stats_publisher.cpp: see stats_publisher.hpp.
#include "share/stats_publisher.hpp"

#include <cerrno>
#include <system_error>

namespace pagepool::internal {

std::error_code stats_publisher::start(std::chrono::milliseconds period,
                                       std::function<void()> publish) noexcept {
  std::lock_guard g(mu_);
  if (thread_.joinable() || period.count() <= 0) return {EINVAL, std::generic_category()};
  period_ = period;
  publish_ = std::move(publish);
  stop_ = false;
  try {
    thread_ = std::thread([this] { loop(); });
  } catch (const std::system_error&) {
    return {EAGAIN, std::generic_category()};
  }
  return {};
}

void stats_publisher::loop() {
  std::unique_lock lk(mu_);
  while (!stop_) {
    lk.unlock();
    publish_();
    lk.lock();
    cv_.wait_for(lk, period_, [this] { return stop_; });
  }
}

void stats_publisher::stop() noexcept {
  std::thread t;
  {
    std::lock_guard g(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
    t = std::move(thread_);
  }
  cv_.notify_one();
  t.join();
}

void stats_publisher::forget() noexcept {
  if (thread_.joinable()) thread_.detach();
}

}  // namespace pagepool::internal
