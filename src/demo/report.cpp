// src/demo/report.cpp: failed checks, counters and progress lines
// (report.hpp).

#include "report.hpp"

#include <cinttypes>
#include <cstdio>

namespace pagepool_demo {

namespace {

std::atomic<std::uint64_t> g_failures{0};
std::mutex g_print_mutex;

}  // namespace

void fail(const std::string& what) {
  const std::uint64_t n = g_failures.fetch_add(1, std::memory_order_relaxed);
  if (n < 10) {
    std::lock_guard lock(g_print_mutex);
    std::fprintf(stderr, "  CHECK FAILED: %s\n", what.c_str());
  } else if (n == 10) {
    std::lock_guard lock(g_print_mutex);
    std::fprintf(stderr, "  (further failures counted, not printed)\n");
  }
}

void fail_ec(const char* what, std::uint64_t pgno, std::error_code ec) {
  fail(std::string(what) + " page " + std::to_string(pgno) + ": " + ec.message());
}

std::uint64_t failures() noexcept {
  return g_failures.load();  // (J1): called at exit, after every join
}

std::mutex& print_mutex() noexcept { return g_print_mutex; }

counters counters::of(const pagepool::pool_stats& s) {
  return {s.cache_hit, s.cache_miss,  s.page_in,      s.page_out,      s.ro_evict,
          s.rw_evict,  s.page_create, s.page_trickle, s.hash_searches, s.io_wait};
}

counters counters::operator-(const counters& o) const {
  return {hit - o.hit,
          miss - o.miss,
          page_in - o.page_in,
          page_out - o.page_out,
          ro_evict - o.ro_evict,
          rw_evict - o.rw_evict,
          page_create - o.page_create,
          page_trickle - o.page_trickle,
          hash_searches - o.hash_searches,
          io_wait - o.io_wait};
}

double ratio(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

void print_delta(const counters& d) {
  std::printf("    hits %" PRIu64 ", misses %" PRIu64 " (hit ratio %.1f%%), page_in %" PRIu64
              ", page_out %" PRIu64 ", ro_evict %" PRIu64 ", rw_evict %" PRIu64 "\n",
              d.hit, d.miss, ratio(d.hit, d.hit + d.miss), d.page_in, d.page_out, d.ro_evict,
              d.rw_evict);
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

void print_progress(pagepool::pool& pool, const counters& base, double secs, std::uint64_t ops) {
  const counters d = counters::of(pool.stats()) - base;
  std::lock_guard lock(g_print_mutex);
  std::printf("    [%4.1fs] %10" PRIu64 " ops, hit ratio %5.1f%%, rw_evict %" PRIu64 "\n", secs, ops,
              ratio(d.hit, d.hit + d.miss), d.rw_evict);
  std::fflush(stdout);
}

}  // namespace pagepool_demo
