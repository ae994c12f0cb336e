// src/demo/write_phases.cpp: the phases that write: c. updates from several
// threads, with dirty evictions and the background writer, and e. pages
// dirtied through page_handle::set, then written back by trickle.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>

#include "demo.hpp"
#include "report.hpp"
#include "testkit/page_stamp.hpp"
#include "testkit/rng.hpp"

namespace pagepool_demo {

// c. Updates. Thread t owns the pages whose number is t modulo the thread
// count, so that no two threads write one page (a pin does not latch page
// contents) and oracle_[p] has one writer. Each update checks that the page
// still holds the version last written, evicted and read back or not.
std::uint64_t demo::phase_updates() {
  std::printf("c. updates (get dirty, check, write version + 1, put), %u threads, %.1f s\n", opt_.threads,
              opt_.seconds);
  const std::uint64_t nthreads = opt_.threads;
  std::atomic<std::uint64_t> ops{0};
  // The background writer keeps half the frames clean meanwhile, so that
  // fewer gets have to write a dirty victim themselves.
  if (auto ec = pool_->start_background_writer(50, std::chrono::milliseconds(10)))
    fail_ec("start_background_writer", 0, ec);
  const std::uint64_t bg0 = pool_->stats().background_writes;
  const counters before = counters::of(pool_->stats());
  const auto t0 = clock_type::now();
  run_timed(*pool_, opt_.threads, opt_.seconds, ops, [&](unsigned t, const std::atomic<bool>& stop) {
    testkit::rng rng(opt_.seed * 1000 + 200 + t);
    std::uint64_t n = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      // Half skewed, half uniform: hot pages are rewritten in the cache, cold
      // ones are dirtied and pushed out by the others.
      std::uint64_t p = (n & 1) ? rng.below(opt_.pages) : zipf_(rng);
      p = p - p % nthreads + t;
      if (p >= opt_.pages) {
        if (opt_.pages <= t) break;  // this thread owns no page
        p = t;
      }
      update(static_cast<pgno_t>(p));
      ++n;
      if ((n & 255) == 0) ops.fetch_add(256, std::memory_order_relaxed);
    }
    ops.fetch_add(n & 255, std::memory_order_relaxed);
  });
  const double secs = seconds_since(t0);
  pool_->stop_background_writer();
  const counters d = counters::of(pool_->stats()) - before;
  const std::uint64_t bg = pool_->stats().background_writes - bg0;
  const std::uint64_t total = ops.load();  // (J1): run_timed joined the threads
  std::uint64_t touched = 0;
  for (const std::uint64_t v : oracle_) touched += v != initial_version;
  std::printf("    %" PRIu64 " updates of %" PRIu64 " distinct pages in %.2f s (%.0f/s)\n", total, touched, secs,
              static_cast<double>(total) / secs);
  print_delta(d);
  std::printf("    background writer: %" PRIu64 " pages written; gets wrote %" PRIu64
              " dirty victims themselves\n",
              bg, d.rw_evict);
  check(d.hit + d.miss == total, "updates: hits + misses == gets");
  check(d.page_out >= d.rw_evict + bg, "updates: every dirty eviction and background write wrote its page");
  std::printf("\n");
  return total;
}

// e. Dirty a share of the cache through page_handle::set, then ask trickle
// to make 75% of the frames clean.
std::uint64_t demo::phase_trickle() {
  constexpr int percent = 75;
  const std::uint64_t want_dirty = std::min<std::uint64_t>(opt_.frames / 2, opt_.pages);
  std::printf("e. trickle: %" PRIu64 " pages dirtied through page_handle::set, then trickle(%d)\n", want_dirty,
              percent);
  std::uint64_t gets = 0;
  for (std::uint64_t p = 0; p < want_dirty; ++p) {
    const auto pgno = static_cast<pgno_t>(p);
    pagepool::page_handle h;
    pgno_t q = pgno;
    ++gets;
    if (auto ec = file_->get(q, pagepool::get_flags::none, h)) {
      fail_ec("get", pgno, ec);
      continue;
    }
    if (auto err = testkit::stamp_mismatch(h.data(), page_size, pgno, oracle_[pgno]); !err.empty()) fail(err);
    if (auto ec = h.set(pagepool::put_flags::dirty)) {
      fail_ec("set dirty", pgno, ec);
      continue;
    }
    testkit::stamp_page(h.data(), page_size, pgno, oracle_[pgno] + 1);
    ++oracle_[pgno];
    if (auto ec = h.release()) fail_ec("put", pgno, ec);
  }
  const pagepool::pool_stats before = pool_->stats();
  int written = 0;
  const auto t0 = clock_type::now();
  if (auto ec = pool_->trickle(percent, &written)) fail("trickle: " + ec.message());
  const double secs = seconds_since(t0);
  const pagepool::pool_stats after = pool_->stats();
  std::printf(
      "    dirty pages before %u, trickle wrote %d in %.3f s, dirty pages after %u "
      "(%.1f%% of the frames clean)\n",
      before.page_dirty, written, secs, after.page_dirty, 100.0 - ratio(after.page_dirty, after.frames));
  check(before.page_dirty > 0, "pages dirtied through set() show as dirty");
  check(after.page_dirty * 100 <= after.frames * (100 - percent),
        "after trickle(75), at most 25% of the frames are dirty");
  check(after.page_trickle - before.page_trickle == static_cast<std::uint64_t>(written),
        "page_trickle counts the pages trickle wrote");
  std::printf("\n");
  return gets;
}

}  // namespace pagepool_demo
