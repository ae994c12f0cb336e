// tests/concurrency/all_pinned_enomem_test.cpp: every frame pinned.
//
// DESIGN.md, eviction: "When every frame is pinned, get fails fast with ENOMEM
// after a bounded effort, never a sleep loop"; file.hpp: get's ENOMEM is
// "every frame pinned", and nothing changes on error.
//
// Four threads pin distinct pages until the pool's every frame holds a pinned
// page (a get may see ENOMEM on the way, when the region its page hashes to is
// already full; that page is skipped). Then, with every frame pinned:
//   * a get of any page not cached (plain, CREATE past the end, NEW) fails
//     with std::errc::not_enough_memory;
//   * the failed CREATE / NEW change nothing (the last page number stays);
//   * a get of a pinned page is a hit and succeeds, at the same address.
// The pinned pages hold distinct frames (count == frames, distinct addresses)
// and the file's contents. After every pin is put, gets of any page succeed
// again, concurrently, with the right contents.
//
// "Fails fast" without a clock: no test here asserts wall time (timings vary
// with the machine and are never asserted in tests). The failing gets return
// (the ctest timeout catches a hang), and the test
// ZeroAllocTimeoutGivesUpAfterABoundedSearch bounds the effort with the pool's
// own count of frames examined (st_alloc_pages) when alloc_timeout is 0. The
// latency itself is measured by pagepool-stress --workload all-pinned, which
// reports the worst one.

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "concurrency/concurrency_support.hpp"

namespace pagepool::conctest {
namespace {

constexpr std::size_t kThreads = 4;
constexpr std::size_t kPages = 256;
constexpr std::size_t kPageSize = 1024;
constexpr std::size_t kFrames = 16;
constexpr std::uint64_t kDiskVersion = 5;

void run_all_pinned(unsigned regions) {
  const std::uint32_t seed = test_seed();
  SCOPED_TRACE("seed " + std::to_string(seed) + ", regions " + std::to_string(regions));
  failure_log log(seed);
  temp_dir dir;
  const std::string path = dir.file("pinned.db");
  write_stamp_file(path, kPages, kPageSize, kDiskVersion);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());

  pool_options o;
  o.cache_frames = kFrames;
  o.frame_size = kPageSize;
  o.regions = regions;
  o.alloc_timeout = std::chrono::milliseconds(20);
  std::unique_ptr<pool> pool;
  ASSERT_FALSE(pool::create(o, pool));
  ASSERT_EQ(pool->frames(), kFrames);
  auto f = open_rw(*pool, path, kPageSize);
  ASSERT_NE(f, nullptr);

  std::atomic<std::size_t> next_page{0};
  std::atomic<std::size_t> pinned_total{0};
  std::atomic<std::uint64_t> fill_enomem{0};
  std::vector<std::vector<std::pair<pgno_t, void*>>> pins(kThreads);
  std::barrier<> phase(static_cast<std::ptrdiff_t>(kThreads));
  std::mutex max_mu;
  long long max_enomem_ms = 0;

  auto timed_get = [&](pgno_t* pg, get_flags flags, void** page, long long* ms) {
    const auto t0 = clock_type::now();
    std::error_code ec = f->get(pg, flags, page);
    *ms = ms_since(t0);
    if (ec == std::errc::not_enough_memory) {
      std::lock_guard<std::mutex> lock(max_mu);
      if (*ms > max_enomem_ms) max_enomem_ms = *ms;
    }
    return ec;
  };

  auto worker = [&](std::size_t tid) {
    std::mt19937 rng(seed + 65537u * static_cast<std::uint32_t>(tid + 1));
    auto& mine = pins[tid];
    long long ms = 0;

    // Fill: pin distinct pages until every frame is pinned.
    while (pinned_total.load(std::memory_order_acquire) < kFrames && !log.failed()) {
      const std::size_t i = next_page.fetch_add(1);
      if (i >= kPages) {
        log.fail(fail_msg() << "ran out of pages before " << kFrames << " frames were pinned ("
                            << pinned_total.load() << " pinned): do this file's pages reach every region?");
        break;
      }
      pgno_t pg = static_cast<pgno_t>(i);
      void* page = nullptr;
      std::error_code ec = timed_get(&pg, get_flags::none, &page, &ms);
      if (ec == std::errc::not_enough_memory) {
        fill_enomem.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (ec) {
        log.fail(fail_msg() << "fill get page " << i << ": " << describe(ec));
        break;
      }
      if (auto m = stamp_mismatch(page, kPageSize, pg, kDiskVersion); !m.empty())
        log.fail(fail_msg() << "fill: " << m);
      mine.emplace_back(pg, page);
      pinned_total.fetch_add(1, std::memory_order_acq_rel);
    }
    phase.arrive_and_wait();  // every frame pinned (or failed)

    if (!log.failed() && tid == 0) {
      std::set<void*> addrs;
      std::size_t n = 0;
      for (const auto& v : pins)
        for (const auto& [pg, a] : v) {
          addrs.insert(a);
          ++n;
        }
      if (n != kFrames || addrs.size() != n)
        log.fail(fail_msg() << n << " pages pinned at " << addrs.size()
                            << " distinct addresses in a pool of " << kFrames
                            << " frames (a page was pinned without a frame of its own)");
    }
    phase.arrive_and_wait();

    if (!log.failed()) {
      // Uncached pages: plain get, CREATE past the end, NEW.
      for (int k = 0; k < 4; ++k) {
        const std::size_t i = next_page.fetch_add(1) % kPages;
        bool pinned_here = false;
        for (const auto& v : pins)
          for (const auto& pr : v) pinned_here |= pr.first == i;
        if (pinned_here) continue;  // wrapped around onto a pinned page: a hit, not a test
        pgno_t pg = static_cast<pgno_t>(i);
        void* page = nullptr;
        std::error_code ec = timed_get(&pg, get_flags::none, &page, &ms);
        if (ec != std::errc::not_enough_memory)
          log.fail(fail_msg() << "all frames pinned: get of uncached page " << i << " returned "
                              << describe(ec) << ", expected ENOMEM");
        if (!ec) (void)f->put(page);
      }
      {
        pgno_t pg = static_cast<pgno_t>(kPages + 3 * tid + 1);  // past the end
        void* page = nullptr;
        std::error_code ec = timed_get(&pg, get_flags::create, &page, &ms);
        if (ec != std::errc::not_enough_memory)
          log.fail(fail_msg() << "all frames pinned: CREATE of page " << (kPages + 3 * tid + 1)
                              << " returned " << describe(ec) << ", expected ENOMEM");
        if (!ec) (void)f->put(page);
      }
      {
        pgno_t pg = 0;
        void* page = nullptr;
        std::error_code ec = timed_get(&pg, get_flags::new_page, &page, &ms);
        if (ec != std::errc::not_enough_memory)
          log.fail(fail_msg() << "all frames pinned: NEW returned " << describe(ec)
                              << ", expected ENOMEM");
        if (!ec) (void)f->put(page);
      }
      // A pinned page is a hit: no frame needed.
      if (!mine.empty()) {
        const auto [pg0, addr0] = mine[rng() % mine.size()];
        pgno_t pg = pg0;
        void* page = nullptr;
        std::error_code ec = f->get(&pg, get_flags::none, &page);
        if (ec) {
          log.fail(fail_msg() << "all frames pinned: get of pinned page " << pg0 << " failed: "
                              << describe(ec));
        } else {
          if (page != addr0)
            log.fail(fail_msg() << "pinned page " << pg0 << " at " << addr0 << " got again at " << page);
          if (auto pec = f->put(page)) log.fail(fail_msg() << "put of second pin: " << describe(pec));
        }
      }
    }
    phase.arrive_and_wait();

    if (!log.failed() && tid == 0) {
      pgno_t last = 0;
      if (auto ec = f->get_last_pgno(&last))
        log.fail(fail_msg() << "get_last_pgno: " << describe(ec));
      else if (last != kPages - 1)
        log.fail(fail_msg() << "failed CREATE / NEW changed the last page to " << last
                            << " (expected " << (kPages - 1) << ")");
    }
    // The pinned pages still hold the file's contents; unpin them.
    for (const auto& [pg, a] : mine) {
      if (auto m = stamp_mismatch(a, kPageSize, pg, kDiskVersion); !m.empty())
        log.fail(fail_msg() << "pinned page after the ENOMEM phase: " << m);
      if (auto ec = f->put(a)) log.fail(fail_msg() << "put page " << pg << ": " << describe(ec));
    }
    mine.clear();
    phase.arrive_and_wait();

    // Unpinned: gets succeed again, concurrently, with eviction.
    const std::size_t ops = scaled(400);
    for (std::size_t i = 0; i < ops && !log.failed(); ++i) {
      pgno_t pg = static_cast<pgno_t>(rng() % kPages);
      const pgno_t want = pg;
      void* page = nullptr;
      if (auto ec = f->get(&pg, get_flags::none, &page)) {
        log.fail(fail_msg() << "after unpinning, get page " << want << ": " << describe(ec));
        break;
      }
      if (auto m = stamp_mismatch(page, kPageSize, want, kDiskVersion); !m.empty())
        log.fail(fail_msg() << "after unpinning: " << m);
      if (auto ec = f->put(page)) log.fail(fail_msg() << "put page " << want << ": " << describe(ec));
    }
  };

  const auto t0 = clock_type::now();
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) threads.emplace_back(worker, t);
  for (auto& t : threads) t.join();
  EXPECT_FALSE(log.failed()) << log.report();
  ::testing::Test::RecordProperty("fill_enomem", std::to_string(fill_enomem.load()));
  ::testing::Test::RecordProperty("max_enomem_ms", std::to_string(max_enomem_ms));
  ::testing::Test::RecordProperty("total_ms", std::to_string(ms_since(t0)));

  // Nothing was written; the file is as it was.
  std::vector<std::uint64_t> oracle(kPages, kDiskVersion);
  EXPECT_EQ(file_size(path), kPages * kPageSize);
  std::string disk = check_disk(path, kPageSize, oracle);
  EXPECT_TRUE(disk.empty()) << disk;
  EXPECT_FALSE(f->close());
  f.reset();
  EXPECT_FALSE(pool->close());
}

TEST(AllPinned, EnomemWhenEveryFrameIsPinnedOneRegion) { run_all_pinned(1); }

TEST(AllPinned, EnomemWhenEveryFrameIsPinnedTwoRegions) { run_all_pinned(2); }

// pool.hpp: alloc_timeout is "how long a get may look for a frame when every
// frame is pinned before it fails with ENOMEM"; DESIGN.md: "a bounded effort,
// never a sleep loop". With alloc_timeout 0 the get may not look again once
// its search found every frame pinned: it fails with ENOMEM after at most a
// few sweeps of its region (kMaxSweeps: room for a policy that ages usage
// bits on the way), counted by st_alloc_pages, changing nothing.
TEST(AllPinned, ZeroAllocTimeoutGivesUpAfterABoundedSearch) {
  constexpr std::uint64_t kMaxSweeps = 16;
  temp_dir dir;
  const std::string path = dir.file("pinned0.db");
  write_stamp_file(path, kPages, kPageSize, kDiskVersion);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  pool_options o;
  o.cache_frames = kFrames;
  o.frame_size = kPageSize;
  o.regions = 1;
  o.alloc_timeout = std::chrono::milliseconds(0);
  std::unique_ptr<pool> pool;
  ASSERT_FALSE(pool::create(o, pool));
  auto f = open_rw(*pool, path, kPageSize);
  ASSERT_NE(f, nullptr);

  std::vector<void*> pinned;
  for (pgno_t pg = 0; pg < kFrames; ++pg) {
    pgno_t n = pg;
    void* page = nullptr;
    ASSERT_FALSE(f->get(&n, get_flags::none, &page)) << "pinning page " << pg << " of " << kFrames;
    pinned.push_back(page);
  }
  const pool_stats before = pool->stats();
  std::uint64_t failed_gets = 0;
  auto expect_enomem = [&](pgno_t pg, get_flags flags, const char* what) {
    void* page = nullptr;
    const std::error_code ec = f->get(&pg, flags, &page);
    EXPECT_EQ(ec, std::errc::not_enough_memory) << what << ": " << describe(ec);
    if (!ec) (void)f->put(page);
    ++failed_gets;
  };
  for (pgno_t pg = kFrames; pg < kFrames + 4; ++pg)
    expect_enomem(pg, get_flags::none, "get of an uncached page");
  expect_enomem(static_cast<pgno_t>(kPages + 1), get_flags::create, "CREATE past the end");
  expect_enomem(0, get_flags::new_page, "NEW");
  const pool_stats after = pool->stats();
  // A quiescent snapshot is exact (stats.hpp).
  EXPECT_GE(after.alloc - before.alloc, failed_gets) << "each failed get looked for a frame";
  EXPECT_LE(after.alloc_pages - before.alloc_pages, failed_gets * kMaxSweeps * kFrames)
      << "frames examined by " << failed_gets
      << " gets that failed with alloc_timeout 0, in a region of " << kFrames << " frames";
  RecordProperty("alloc_pages_per_failed_get",
                 std::to_string((after.alloc_pages - before.alloc_pages) / failed_gets));

  // Nothing changed: the end of the file, the pinned pages and their contents.
  pgno_t last = 0;
  EXPECT_FALSE(f->get_last_pgno(&last));
  EXPECT_EQ(last, kPages - 1);
  for (pgno_t pg = 0; pg < kFrames; ++pg) {
    pgno_t n = pg;
    void* again = nullptr;
    ASSERT_FALSE(f->get(&n, get_flags::none, &again)) << "a pinned page is a hit";
    EXPECT_EQ(again, pinned[pg]);
    EXPECT_EQ(stamp_mismatch(again, kPageSize, pg, kDiskVersion), "");
    EXPECT_FALSE(f->put(again));
    EXPECT_FALSE(f->put(pinned[pg]));
  }
  EXPECT_FALSE(f->close());
  f.reset();
  EXPECT_FALSE(pool->close());
}

}  // namespace
}  // namespace pagepool::conctest
