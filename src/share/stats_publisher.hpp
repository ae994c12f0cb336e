// src/share/stats_publisher.hpp: the thread that publishes a pool's
// statistics in its home's registry now and then (pool_options::
// publish_period; share/registry.hpp, "Statistics"), so that another
// process can read a live pool's numbers (pool::attached, pagepool-bench
// stat).
//
// Life of the thread:
//
//   idle --start--> running --stop (or destruction)--> idle   (joined)
//                     |  every period: publish()
//                     +--forget (a forked child: the thread is not there)--> idle
//
// One publication at start, then one per period. stop() wakes it at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>

namespace pagepool::internal {

class stats_publisher {
 public:
  stats_publisher() = default;
  ~stats_publisher() { stop(); }
  stats_publisher(const stats_publisher&) = delete;
  stats_publisher& operator=(const stats_publisher&) = delete;

  /// Starts the thread, calling `publish` at once and then every `period`
  /// (> 0). EINVAL if running or the period is not positive; EAGAIN if the
  /// thread cannot be made.
  std::error_code start(std::chrono::milliseconds period, std::function<void()> publish) noexcept;
  /// Stops and joins the thread (nothing if idle).
  void stop() noexcept;
  /// In a forked child: lets go of the thread's handle without joining it.
  void forget() noexcept;

 private:
  void loop();
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::chrono::milliseconds period_{0};
  std::function<void()> publish_;
  std::thread thread_;
};

}  // namespace pagepool::internal
