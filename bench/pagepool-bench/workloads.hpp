// bench/pagepool-bench/workloads.hpp: the synthetic request streams of
// `pagepool-bench run` (and of tests/tools): seeded, deterministic, header-only.
//
// A stream yields requests (a page number and whether the request writes the
// page); each thread of a run owns one stream, seeded from the run's seed and
// the thread's index, so a run is replayed exactly by its seed.
//
// The shapes:
//
//   uniform   every page equally likely (the `hit` workload: pages <= frames)
//   zipf      rank k (0-based) drawn with probability (k+1)^-theta / H(n,theta),
//             any theta >= 0, exactly, and scattered over the pages by a
//             seeded permutation so the hot pages are not neighbours
//             (testkit/zipf.hpp: zipf_pages)
//   scan      a hot set [0, hot) drawn uniformly with probability hot_share,
//             otherwise the next page of one sequential scan over the cold
//             pages [hot, n) (wrapping): the pattern that floods LRU
//   loop      0, 1, ..., loop-1, 0, 1, ... (a loop a little larger than the
//             cache defeats LRU and FIFO entirely)
//   shift     a hot window of `hot` pages drawn with probability hot_share,
//             else a uniform page; the window moves by `hot` pages every
//             shift_every requests (a working set that changes)
//   mixed     the four above in turn (zipf, scan, loop, shift), phase_length
//             requests each: a workload whose best policy changes over time
//
// Any shape can write: write_share of the requests (drawn independently) are
// writes (the `write` workload is zipf with write_share 1 by default). Every
// draw comes from testkit::rng, so a stream is the same on every platform.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "testkit/rng.hpp"
#include "testkit/zipf.hpp"

namespace pagepool::bench {

enum class shape { uniform, zipf, scan, loop, shift, mixed };

/// Everything a stream needs; the defaults are those of `pagepool-bench run`.
struct workload_spec {
  shape kind = shape::zipf;
  std::uint32_t pages = 1u << 16;     ///< page numbers are 0..pages-1
  double theta = 0.99;                ///< zipf, and mixed's zipf phase
  std::uint32_t hot_pages = 0;        ///< scan/shift hot set; 0: pages / 10
  double hot_share = 0.8;             ///< share of requests to the hot set
  std::uint32_t loop_pages = 0;       ///< loop length; 0: pages / 2
  std::uint64_t shift_every = 0;      ///< shift: requests between moves; 0: 8 * pages
  std::uint64_t phase_length = 0;     ///< mixed: requests per phase; 0: 4 * pages
  double write_share = 0.0;           ///< share of requests that write
  bool scatter = true;                ///< zipf: scatter ranks over the pages

  [[nodiscard]] std::uint32_t hot() const noexcept {
    return std::max<std::uint32_t>(1, hot_pages != 0 ? std::min(hot_pages, pages) : pages / 10);
  }
  [[nodiscard]] std::uint32_t loop() const noexcept {
    return std::max<std::uint32_t>(1, loop_pages != 0 ? std::min(loop_pages, pages) : pages / 2);
  }
  [[nodiscard]] std::uint64_t shift_period() const noexcept {
    return shift_every != 0 ? shift_every : 8ull * pages;
  }
  [[nodiscard]] std::uint64_t phase() const noexcept {
    return phase_length != 0 ? phase_length : 4ull * pages;
  }
};

[[nodiscard]] inline std::string_view shape_name(shape s) noexcept {
  switch (s) {
    case shape::uniform: return "uniform";
    case shape::zipf: return "zipf";
    case shape::scan: return "scan";
    case shape::loop: return "loop";
    case shape::shift: return "shift";
    case shape::mixed: return "mixed";
  }
  return "?";
}

/// What a stream shares between threads: the zipf ranks and their pages,
/// built once per spec.
class workload_tables {
 public:
  workload_tables(const workload_spec& spec, std::uint64_t seed) : spec_(spec) {
    if (spec.pages == 0) throw std::invalid_argument("workload: pages > 0");
    if (spec.kind == shape::zipf || spec.kind == shape::mixed)
      zipf_ = std::make_unique<testkit::zipf_pages>(spec.pages, spec.theta, seed, spec.scatter);
  }
  [[nodiscard]] const workload_spec& spec() const noexcept { return spec_; }
  /// The zipf pages (zipf and mixed only).
  [[nodiscard]] const testkit::zipf_pages* zipf() const noexcept { return zipf_.get(); }
  /// The page of zipf rank k.
  [[nodiscard]] std::uint32_t page_of_rank(std::uint64_t k) const noexcept { return zipf_->page_of_rank(k); }

 private:
  workload_spec spec_;
  std::unique_ptr<testkit::zipf_pages> zipf_;
};

/// One request: a page and whether it is written.
struct request {
  std::uint32_t pgno = 0;
  bool write = false;
  friend bool operator==(const request&, const request&) = default;
};

/// One thread's stream. `tables` must outlive it.
class request_stream {
 public:
  request_stream(const workload_tables& tables, std::uint64_t seed, unsigned thread_index)
      : t_(&tables), s_(tables.spec()), r_(seed * 0x100000001B3ull + thread_index + 1) {
    // Threads start their scans and loops at different places, so that a
    // multi-threaded scan is not one page requested T times in a row.
    scan_pos_ = r_.below(std::max<std::uint32_t>(1, s_.pages - std::min(s_.hot(), s_.pages - 1)));
    loop_pos_ = r_.below(s_.loop());
  }

  request next() noexcept {
    request q;
    q.pgno = page(current_shape());
    q.write = s_.write_share > 0.0 && (s_.write_share >= 1.0 || r_.unit() < s_.write_share);
    ++count_;
    return q;
  }
  /// The shape the next request is drawn from (mixed rotates).
  [[nodiscard]] shape current_shape() const noexcept {
    if (s_.kind != shape::mixed) return s_.kind;
    constexpr shape order[] = {shape::zipf, shape::scan, shape::loop, shape::shift};
    return order[(count_ / s_.phase()) % 4];
  }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

 private:
  std::uint32_t page(shape k) noexcept {
    const std::uint32_t n = s_.pages;
    switch (k) {
      case shape::uniform:
        return static_cast<std::uint32_t>(r_.below(n));
      case shape::zipf:
        return (*t_->zipf())(r_);
      case shape::scan: {
        const std::uint32_t hot = std::min(s_.hot(), n - 1);
        if (hot == 0 || n == 1) return 0;
        if (r_.unit() < s_.hot_share) return static_cast<std::uint32_t>(r_.below(hot));
        const std::uint32_t p = hot + static_cast<std::uint32_t>(scan_pos_);
        scan_pos_ = (scan_pos_ + 1) % (n - hot);
        return p;
      }
      case shape::loop: {
        const auto p = static_cast<std::uint32_t>(loop_pos_);
        loop_pos_ = (loop_pos_ + 1) % s_.loop();
        return p;
      }
      case shape::shift: {
        if (r_.unit() >= s_.hot_share) return static_cast<std::uint32_t>(r_.below(n));
        const std::uint64_t hot = s_.hot();
        const std::uint64_t base = (count_ / s_.shift_period()) * hot;
        return static_cast<std::uint32_t>((base + r_.below(hot)) % n);
      }
      case shape::mixed:
        break;  // current_shape never returns mixed
    }
    return 0;
  }

  const workload_tables* t_;
  workload_spec s_;
  testkit::rng r_;
  std::uint64_t count_ = 0;
  std::uint64_t scan_pos_ = 0;
  std::uint64_t loop_pos_ = 0;
};

}  // namespace pagepool::bench
