// stress/crash/crash_plan.cpp: what one iteration of pagepool-crash's parent
// runs: pick() draws the child's workload shape (page size, files, pages,
// frames, threads, pauses, whether it resumes the previous child's files) and
// the kill plan (early, after a delay, or during the k-th sync) from the
// iteration's random stream; and the shape's rendering as the child's
// command line (shape::child_args), as text (shape::describe) and its file
// names (shape::file_path). Split from crash_parent.cpp.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "crash.hpp"
#include "crash_parent.hpp"

namespace pagepool::stress::crash {

namespace parent_detail {

const char* plan_name(plan_kind k) {
  switch (k) {
    case plan_kind::early:
      return "early";
    case plan_kind::delay:
      return "delay";
    case plan_kind::sync:
      return "sync";
  }
  return "?";
}

/// A shape and a kill plan for iteration `it`, from its own random stream.
/// With `prev`, the shape may resume the previous child's files (same page
/// size, files and pages).
std::pair<shape, kill_plan> pick(std::mt19937_64& rng, const parent_options& o, const shape* prev,
                                 const std::string& dir) {
  auto below = [&](std::uint64_t n) { return static_cast<unsigned>(rng() % n); };
  shape s;
  s.dir = dir;
  s.seed = rng();
  s.writers = 1 + below(6);
  s.syncers = 1 + (below(4) == 0 ? 1u : 0u);
  s.regions = 1 + below(8);
  unsigned max_shift = 0;
  while ((std::size_t{512} << (max_shift + 1)) <= o.max_page_size) ++max_shift;
  s.page_size = std::size_t{512} << below(max_shift + 1);
  s.files = below(3) == 0 ? 2 : 1;
  // Enough pages that the working set is several times the smallest cache.
  const std::size_t want = 3 * s.min_frames();
  const auto lo =
      static_cast<std::uint32_t>(std::max<std::size_t>(64, (want + s.files - 1) / s.files));
  const std::uint32_t hi = std::max<std::uint32_t>(lo, 2048);
  s.pages = static_cast<std::uint32_t>(
      std::exp(std::log(double(lo)) + std::uniform_real_distribution<double>(0, 1)(rng) *
                                          (std::log(double(hi)) - std::log(double(lo)))));
  if (prev != nullptr && below(2) == 0) {
    s.resume = true;
    s.page_size = prev->page_size;
    s.files = prev->files;
    s.pages = prev->pages;
  }
  const std::size_t total = std::size_t{s.pages} * s.files;
  // A cache of a half to a sixteenth of the working set, never below what
  // the child's pins need: eviction writes dirty pages all the time.
  s.frames = std::max(s.min_frames(), total / (2 + below(15)));
  s.gate_percent = std::array<unsigned, 3>{0, 50, 100}[below(3)];
  s.file_sync_percent = std::array<unsigned, 3>{0, 30, 70}[below(3)];
  s.trickle_percent = below(3) == 0 ? 20 : 0;
  s.hot_percent = below(2) == 0 ? 90 : 0;
  s.writer_pause_us = std::array<unsigned, 3>{0, 50, 500}[below(3)];
  s.sync_pause_us = std::array<unsigned, 3>{0, 2000, 20000}[below(3)];
  if (below(3) == 0) {
    s.background_percent = 10 + below(51);
    s.background_period_ms = 1 + below(20);
  }
  if (below(4) == 0) {
    s.max_write = 4 + below(29);
    s.max_write_sleep_us = 50 + below(451);
  }
  // A resizer thread in a third of the children: kills land in the middle of
  // grows and shrinks, with pinned and dirty pages past the new size.
  if (below(3) == 0) s.resize_pause_us = std::array<unsigned, 3>{200, 2000, 20000}[below(3)];

  kill_plan k;
  const unsigned r = below(10);
  if (r == 0) {
    k.kind = plan_kind::early;
    k.delay = std::chrono::microseconds(below(20000));
  } else if (r <= 3) {
    k.kind = plan_kind::sync;
    k.kth_sync = 1 + below(4);
    k.delay = std::chrono::microseconds(below(3) == 0 ? 0 : below(2000));
  } else {
    k.kind = plan_kind::delay;
    const unsigned most_ms = std::array<unsigned, 3>{20, 100, 400}[below(3)];
    k.delay = std::chrono::microseconds(below(most_ms * 1000 + 1));
  }
  return {s, k};
}

}  // namespace parent_detail

std::vector<std::string> shape::child_args() const {
  auto n = [](auto v) { return std::to_string(v); };
  return {"--page-size",
          n(page_size),
          "--pages",
          n(pages),
          "--files",
          n(files),
          "--frames",
          n(frames),
          "--regions",
          n(regions),
          "--writers",
          n(writers),
          "--syncers",
          n(syncers),
          "--gate-percent",
          n(gate_percent),
          "--file-sync-percent",
          n(file_sync_percent),
          "--trickle-percent",
          n(trickle_percent),
          "--hot-percent",
          n(hot_percent),
          "--writer-pause-us",
          n(writer_pause_us),
          "--sync-pause-us",
          n(sync_pause_us),
          "--background-percent",
          n(background_percent),
          "--background-period-ms",
          n(background_period_ms),
          "--max-write",
          n(max_write),
          "--max-write-sleep-us",
          n(max_write_sleep_us),
          "--resize-pause-us",
          n(resize_pause_us),
          "--resume",
          resume ? "1" : "0",
          "--seed",
          n(seed),
          "--dir",
          dir};
}

std::string shape::describe() const {
  std::ostringstream os;
  os << files << " file(s) of " << pages << " pages of " << page_size << " B, " << frames
     << " frames in " << regions << " region(s), " << writers << " writer(s), " << syncers
     << " syncer(s), gated " << gate_percent << "%, file syncs " << file_sync_percent
     << "%, trickle " << trickle_percent << "%, hot " << hot_percent << "%, pauses "
     << writer_pause_us << "/" << sync_pause_us << " us";
  if (background_percent != 0)
    os << ", background writer " << background_percent << "% every " << background_period_ms
       << " ms";
  if (max_write != 0) os << ", max_write " << max_write << "/" << max_write_sleep_us << " us";
  if (resize_pause_us != 0) os << ", resized every " << resize_pause_us << " us at most";
  if (resume) os << ", resumed";
  return os.str();
}

std::string shape::file_path(unsigned i) const { return dir + "/data" + std::to_string(i) + ".db"; }

}  // namespace pagepool::stress::crash
