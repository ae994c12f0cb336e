// bench/pagepool-bench/progress.cpp: the reporter thread of progress.hpp.
#include "progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace pagepool::bench {

namespace {
constexpr auto tty_period = std::chrono::milliseconds(200);
constexpr double tty_first_draw_s = 1.0;
constexpr double line_period_s = 5.0;
}  // namespace

progress::progress(std::string label, std::uint64_t total, bool show_rate)
    : label_(std::move(label)), total_(total), show_rate_(show_rate), start_(std::chrono::steady_clock::now()) {
  reporter_ = std::thread([this] { report_loop(); });
}

progress::~progress() { finish(); }

void progress::finish() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (reporter_.joinable()) reporter_.join();
  std::lock_guard<std::mutex> g(mu_);
  erase_locked();
}

void progress::erase_locked() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

void progress::report_loop() {
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  double last_line = 0.0;
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    cv_.wait_for(lk, tty_period, [this] { return stop_; });
    if (stop_) return;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (tty) {
      if (elapsed >= tty_first_draw_s) draw(true, elapsed);
    } else if (elapsed - last_line >= line_period_s) {
      last_line = elapsed;
      draw(false, elapsed);
    }
  }
}

void progress::draw(bool tty, double elapsed) {
  const std::uint64_t done = done_.load(std::memory_order_relaxed);  // relaxed: a statistic
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  if (total_ == 0) {
    std::fprintf(stderr, tty ? "\r\033[K%s: %llu done, %.2f M/s" : "%s: %llu done, %.2f M/s\n", label_.c_str(),
                 static_cast<unsigned long long>(done), rate / 1e6);
  } else {
    const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
    const double eta = rate > 0 ? static_cast<double>(total_ - std::min(done, total_)) / rate : 0.0;
    char rate_text[48] = "";
    if (show_rate_) std::snprintf(rate_text, sizeof rate_text, " %.2f M/s,", rate / 1e6);
    if (tty) {
      constexpr int width = 30;
      const int full = static_cast<int>(frac * width);
      char bar[width + 1];
      for (int i = 0; i < width; ++i) bar[i] = i < full ? '#' : '.';
      bar[width] = '\0';
      std::fprintf(stderr, "\r\033[K%s [%s] %5.1f%%%s %.0f s left", label_.c_str(), bar, frac * 100.0, rate_text,
                   eta);
    } else {
      std::fprintf(stderr, "%s: %.1f%%%s %.0f s left\n", label_.c_str(), frac * 100.0, rate_text, eta);
    }
  }
  std::fflush(stderr);
  drawn_ = tty;
}

}  // namespace pagepool::bench
