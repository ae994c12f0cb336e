// src/demo/read_phases.cpp: the phases that only read: a. a sequential scan,
// b. Zipf-skewed reads from several threads, b2. the same reads without pins
// (file::read_optimistic), b3. every eviction policy swapped on the live pool.
// Every page read is checked against the oracle.

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "demo.hpp"
#include "report.hpp"
#include "testkit/page_stamp.hpp"
#include "testkit/rng.hpp"

namespace pagepool_demo {

// a. Every page once, in order: a cold cache, so every get misses and, once
// the frames are full, every miss evicts a clean page.
std::uint64_t demo::phase_scan() {
  std::printf("a. sequential scan of all %" PRIu64 " pages, each checked\n", opt_.pages);
  const counters before = counters::of(pool_->stats());
  const auto t0 = clock_type::now();
  const std::uint64_t step = std::max<std::uint64_t>(1, opt_.pages / 4);
  for (std::uint64_t p = 0; p < opt_.pages; ++p) {
    read_and_check(static_cast<pgno_t>(p));
    if ((p + 1) % step == 0 && p + 1 < opt_.pages) {
      std::printf("    %" PRIu64 " / %" PRIu64 " pages\n", p + 1, opt_.pages);
      std::fflush(stdout);
    }
  }
  const counters d = counters::of(pool_->stats()) - before;
  std::printf("    %" PRIu64 " pages in %.2f s\n", opt_.pages, seconds_since(t0));
  print_delta(d);
  check(d.miss == opt_.pages, "scan of a cold cache: every get is a miss");
  check(d.page_in == opt_.pages, "scan of a cold cache: every page is read once");
  check(d.rw_evict == 0, "scan: no dirty evictions (nothing was modified)");
  std::printf("\n");
  return opt_.pages;
}

// b. Skewed reads from several threads: the hot pages stay cached.
std::uint64_t demo::phase_zipf_reads() {
  std::printf("b. Zipf reads (theta 0.99), %u threads, %.1f s\n", opt_.threads, opt_.seconds);
  std::atomic<std::uint64_t> ops{0};
  const counters before = counters::of(pool_->stats());
  const auto t0 = clock_type::now();
  run_timed(*pool_, opt_.threads, opt_.seconds, ops, [&](unsigned t, const std::atomic<bool>& stop) {
    testkit::rng rng(opt_.seed * 1000 + 100 + t);
    std::uint64_t n = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      read_and_check(static_cast<pgno_t>(zipf_(rng)));
      ++n;
      if ((n & 255) == 0) ops.fetch_add(256, std::memory_order_relaxed);
    }
    ops.fetch_add(n & 255, std::memory_order_relaxed);
  });
  const double secs = seconds_since(t0);
  const counters d = counters::of(pool_->stats()) - before;
  const std::uint64_t total = ops.load();  // (J1): run_timed joined the threads
  std::printf("    %" PRIu64 " gets in %.2f s (%.0f gets/s)\n", total, secs, static_cast<double>(total) / secs);
  print_delta(d);
  check(d.hit + d.miss == total, "Zipf reads: hits + misses == gets");
  check(d.rw_evict == 0, "Zipf reads: no dirty evictions (nothing was modified)");
  std::printf("\n");
  return total;
}

// b2. The same reads without pins: file::read_optimistic runs the check on
// the page and keeps its verdict only if the frame's version did not move
// meanwhile (a page evicted under the read is read again; one that is not
// resident is read in and pinned first, by one get). The stamp is read with
// atomic word loads, so a read that races an eviction is defined behaviour.
// Returns those gets.
std::uint64_t demo::phase_optimistic_reads() {
  std::printf("b2. the same Zipf reads, optimistic (file::read_optimistic: no pin), %u threads, %.1f s\n",
              opt_.threads, opt_.seconds);
  std::atomic<std::uint64_t> ops{0};
  const pagepool::pool_stats s0 = pool_->stats();
  const auto t0 = clock_type::now();
  run_timed(*pool_, opt_.threads, opt_.seconds, ops, [&](unsigned t, const std::atomic<bool>& stop) {
    testkit::rng rng(opt_.seed * 1000 + 150 + t);
    std::uint64_t n = 0;
    std::string verdict;
    while (!stop.load(std::memory_order_relaxed)) {
      const auto pgno = static_cast<pgno_t>(zipf_(rng));
      auto ec = file_->read_optimistic(pgno, [&](const std::byte* page) {
        verdict = testkit::stamp_mismatch(page, page_size, pgno, oracle_[pgno]);
      });
      if (ec) fail_ec("read_optimistic", pgno, ec);
      else if (!verdict.empty()) fail(verdict);
      ++n;
      if ((n & 255) == 0) ops.fetch_add(256, std::memory_order_relaxed);
    }
    ops.fetch_add(n & 255, std::memory_order_relaxed);
  });
  const double secs = seconds_since(t0);
  const pagepool::pool_stats s1 = pool_->stats();
  const std::uint64_t total = ops.load();  // (J1): run_timed joined the threads
  const std::uint64_t tries = s1.optimistic_reads - s0.optimistic_reads;
  const std::uint64_t failed = s1.optimistic_failures - s0.optimistic_failures;
  // The gets read_optimistic made for pages that were not resident: a miss,
  // or a hit when another thread read the page in meanwhile.
  const std::uint64_t pinned = (s1.cache_hit - s0.cache_hit) + (s1.cache_miss - s0.cache_miss);
  std::printf("    %" PRIu64 " reads in %.2f s (%.0f reads/s): %" PRIu64 " optimistic attempts, %" PRIu64
              " invalidated by an eviction and retried, %" PRIu64
              " pages not resident, read in and pinned first (%" PRIu64 " misses)\n",
              total, secs, static_cast<double>(total) / secs, tries, failed, pinned,
              s1.cache_miss - s0.cache_miss);
  check(tries - failed == total, "optimistic reads: one validated attempt per read");
  check(pinned <= total, "optimistic reads: at most one get per read");
  check(s1.page_in - s0.page_in == s1.cache_miss - s0.cache_miss, "optimistic reads: every miss read its page");
  check(s1.rw_evict == s0.rw_evict, "optimistic reads: no dirty evictions");
  std::printf("\n");
  return pinned;
}

// b3. Every eviction policy on the live pool: set_policy swaps it (the
// resident pages stay), then one thread replays one fixed stream, the same
// for every policy: Zipf reads (theta 0.99) with every fourth request taken
// from a sequential scan of the whole file, which a scan-resistant policy
// keeps from flushing the hot pages. Every page is checked as elsewhere.
// Returns the gets made.
std::uint64_t demo::phase_policies() {
  using pagepool::policy_kind;
  const std::uint64_t per_policy = std::min<std::uint64_t>(200000, opt_.pages * 16);
  std::printf("b3. eviction policies, swapped on the live pool: %" PRIu64
              " requests each (Zipf 0.99 reads, every 4th a sequential scan), 1 thread\n",
              per_policy);
  std::printf("    %-9s %10s %10s %11s %12s\n", "policy", "hits", "misses", "hit ratio", "gets/s");
  std::uint64_t total = 0;
  // Every built-in policy, CLOCK (the default) last so that the pool ends
  // with it.
  std::vector<policy_kind> kinds;
  for (int i = 1; i < pagepool::policy_kind_count; ++i) kinds.push_back(static_cast<policy_kind>(i));
  kinds.push_back(policy_kind::clock);
  for (policy_kind k : kinds) {
    if (auto ec = pool_->set_policy(k)) {
      fail("set_policy(" + std::string(pagepool::policy_name(k)) + "): " + ec.message());
      return total;
    }
    check(pool_->policy() == k, "set_policy: the policy in force is the one set");
    testkit::rng rng(opt_.seed * 1000 + 300);  // the same stream for every policy
    std::uint64_t scan = 0;
    const counters before = counters::of(pool_->stats());
    const auto t0 = clock_type::now();
    for (std::uint64_t i = 0; i < per_policy; ++i) {
      const std::uint64_t p = (i % 4 == 3) ? scan++ % opt_.pages : zipf_(rng);
      read_and_check(static_cast<pgno_t>(p));
    }
    const double secs = seconds_since(t0);
    const counters d = counters::of(pool_->stats()) - before;
    std::printf("    %-9s %10" PRIu64 " %10" PRIu64 " %10.1f%% %12.0f\n",
                std::string(pagepool::policy_name(k)).c_str(), d.hit, d.miss, ratio(d.hit, d.hit + d.miss),
                static_cast<double>(per_policy) / secs);
    check(d.hit + d.miss == per_policy, "policies: hits + misses == gets");
    total += per_policy;
  }
  std::printf("\n");
  return total;
}

}  // namespace pagepool_demo
