// tests/concurrency/optimistic_read_test.cpp: optimistic readers against
// writers and eviction, checked against an oracle.
//
// Two writer threads own the pages of a 96-page file by pgno % 2 and stamp a
// new version into a page under a pin to write (get_flags::dirty), then
// publish the version they committed. Two reader threads call
// file::read_optimistic on random pages: every run that validates must have
// seen a whole stamp (never torn, never another page's), of a version at
// least the committed one read before the call and at most one past the
// committed one read after it. The pool has 24 frames, so readers also meet
// pages being evicted and read back (validation failures, the pinned path).
// At the end the file, read with pread after sync, holds the oracle.

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "concurrency/concurrency_support.hpp"

namespace pagepool::conctest {
namespace {

constexpr std::size_t kWriters = 2;
constexpr std::size_t kReaders = 2;
constexpr std::size_t kPages = 96;
constexpr std::size_t kPageSize = 1024;

TEST(OptimisticRead, ValidatedReadsMatchTheOracleUnderWritersAndEviction) {
  const std::uint32_t seed = test_seed();
  failure_log log(seed);
  temp_dir dir;
  const std::string path = dir.file("opt");
  pool_options o;
  o.cache_frames = 24;
  o.frame_size = kPageSize;
  o.regions = 2;
  std::unique_ptr<pool> p;
  ASSERT_FALSE(pool::create(o, p));
  auto f = open_rw(*p, path, kPageSize);
  ASSERT_TRUE(f);
  for (pgno_t pg = 0; pg < kPages; ++pg) {  // every page exists at version 0
    pgno_t n = pg;
    void* page = nullptr;
    ASSERT_FALSE(f->get(&n, get_flags::create, &page));
    ASSERT_FALSE(f->put(page));
  }

  std::vector<std::atomic<std::uint64_t>> committed(kPages);
  std::vector<std::uint64_t> oracle(kPages, 0);  // written by each page's owner only
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> writes{0}, reads{0};

  auto writer = [&](std::size_t tid) {
    std::mt19937 rng(seed + static_cast<std::uint32_t>(tid));
    while (!stop.load(std::memory_order_relaxed) && !log.failed()) {
      const auto pg = static_cast<pgno_t>((rng() % (kPages / kWriters)) * kWriters + tid);
      pgno_t n = pg;
      void* page = nullptr;
      if (auto ec = f->get(&n, get_flags::dirty, &page)) {
        log.fail(fail_msg() << "writer get " << pg << ": " << describe(ec));
        return;
      }
      stamp_page(page, kPageSize, pg, ++oracle[pg]);
      if (auto ec = f->put(page)) {
        log.fail(fail_msg() << "writer put " << pg << ": " << describe(ec));
        return;
      }
      committed[pg].store(oracle[pg], std::memory_order_release);
      writes.fetch_add(1, std::memory_order_relaxed);
    }
  };
  auto reader = [&](std::size_t tid) {
    std::mt19937 rng(seed ^ (0xABCDu + static_cast<std::uint32_t>(tid)));
    while (!stop.load(std::memory_order_relaxed) && !log.failed()) {
      const auto pg = static_cast<pgno_t>(rng() % kPages);
      const std::uint64_t lo = committed[pg].load(std::memory_order_acquire);
      std::optional<std::uint64_t> seen;
      if (auto ec = f->read_optimistic(pg, [&](const std::byte* page) {
            seen = stamp_version(page, kPageSize, pg);
          })) {
        log.fail(fail_msg() << "read_optimistic " << pg << ": " << describe(ec));
        return;
      }
      const std::uint64_t hi = committed[pg].load(std::memory_order_acquire);
      if (!seen) {
        log.fail(fail_msg() << "page " << pg << ": a validated read saw a torn or foreign page");
        return;
      }
      if (*seen < lo || *seen > hi + 1) {
        log.fail(fail_msg() << "page " << pg << ": version " << *seen << " outside [" << lo << ", "
                            << hi + 1 << "]");
        return;
      }
      reads.fetch_add(1, std::memory_order_relaxed);
    }
  };

  std::vector<std::thread> team;
  for (std::size_t t = 0; t < kWriters; ++t) team.emplace_back(writer, t);
  for (std::size_t t = 0; t < kReaders; ++t) team.emplace_back(reader, t);
  const auto budget = phase_budget();
  const auto t0 = clock_type::now();
  while (ms_since(t0) < budget.count() && !log.failed() && reads.load() < scaled(400000))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop.store(true);
  for (auto& t : team) t.join();
  ASSERT_FALSE(log.failed()) << log.report();
  EXPECT_GT(writes.load(), 100u);
  EXPECT_GT(reads.load(), 100u);
  const pool_stats st = p->stats();
  EXPECT_GT(st.optimistic_reads, 0u);

  ASSERT_FALSE(p->sync());
  ASSERT_FALSE(f->close());
  EXPECT_EQ(check_disk(path, kPageSize, oracle), "") << "seed " << seed;
}

}  // namespace
}  // namespace pagepool::conctest
