// src/flush/background_writer.hpp: the optional background writer, a thread
// that keeps a share of the frames clean so that application threads rarely
// have to write a dirty victim themselves (a trickle in the background).
//
// States (mu_ guards every field below but nudged_ and running_):
//
//   stopped --start(percent, period)--> running --stop()--------------> stopping
//      ^          (thread created)        |  ^    (stop_ set, cv notified)    |
//      |                                  |  |                                |
//      |               start() again: new |  | pass every period, or sooner   |
//      |               percent and period |  | when nudged (an application    |
//      |               taken at the next  +--+ thread wrote a dirty victim)   |
//      |               pass                                                   |
//      +----------------------------- thread joined -------------------------+
//
// A pass is the owner's function (the pool: write unpinned dirty pages
// until `percent` of the frames are clean, writeback::clean_to), run without
// the mutex. The writer knows nothing of pages.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>

namespace pagepool::internal {

class background_writer {
 public:
  /// One pass, given the percentage of frames to keep clean.
  using pass_fn = std::function<void(int percent)>;

  /// `pass` runs each pass; it is the writer's for its whole life.
  explicit background_writer(pass_fn pass) noexcept : pass_(std::move(pass)) {}
  background_writer(const background_writer&) = delete;
  background_writer& operator=(const background_writer&) = delete;
  ~background_writer() { stop(); }

  /// Starts the thread, or (running) changes its settings from the next
  /// pass. EINVAL for a percentage outside 1..100 or a period not positive;
  /// EAGAIN if no thread could be started.
  std::error_code start(int percent, std::chrono::milliseconds period) noexcept;
  /// Stops and joins the thread; nothing if it is not running.
  void stop() noexcept;
  /// In a forked child, where the thread does not exist: lets go of its
  /// handle without joining it (a join would wait forever).
  void forget() noexcept;
  bool running() noexcept;
  /// An application thread wrote a dirty victim: run a pass early.
  void nudge() noexcept;

 private:
  void loop() noexcept;
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
  const pass_fn pass_;
  bool stop_ = false;
  int percent_ = 0;
  std::chrono::milliseconds period_{100};
  std::atomic<bool> running_{false};  // relaxed: a hint for nudges
  std::atomic<bool> nudged_{false};   // relaxed: see nudge()
};

}  // namespace pagepool::internal
