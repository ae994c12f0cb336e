// tests/concurrency/sync_vs_writers_test.cpp: sync and trickle racing writers.
//
// Invariant 5: after sync returns success, every page that was dirty and
// unpinned when it started is on disk; a pinned dirty page is reported
// (errc::incomplete), not silently skipped. Invariant 3: no path loses a dirty
// page.
//
// Three writer threads stamp their own pages (pgno % 3 == tid) of a 256-page
// file in a 32-frame pool, publishing after each put the version just put
// (put_version[pgno]). A fourth thread loops over:
//   * a concurrent sync (pool->sync() or file->sync()): before calling it, it
//     snapshots put_version; the call may return success or errc::incomplete
//     (a writer holds a pin), nothing else. After a success, every page must be
//     on disk (pread) with at least its snapshot version: its put completed
//     before the sync started, so it was dirty-and-unpinned (must be written),
//     clean (already written), evicted (written then), or pinned again by its
//     owner (then sync either met it pinned and dirty, hence incomplete, or
//     met it put again, and wrote a later version).
//   * a paused sync: the writers are parked between operations (no pins held),
//     so sync must succeed, and the disk must then hold exactly put_version.
//   * trickle with a random percentage, which must succeed.
// After the writers stop, a final sync must succeed and the file must hold
// exactly the oracle's versions.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "concurrency/concurrency_support.hpp"

namespace pagepool::conctest {
namespace {

constexpr std::size_t kWriters = 3;
constexpr std::size_t kPages = 256;
constexpr std::size_t kPageSize = 1024;
constexpr std::size_t kFrames = 32;
constexpr unsigned kRegions = 2;

TEST(SyncVsWriters, SuccessfulSyncCoversEveryPutBeforeIt) {
  const std::uint32_t seed = test_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  failure_log log(seed);
  temp_dir dir;
  const std::string path = dir.file("sync.db");
  write_stamp_file(path, kPages, kPageSize, 0);
  ASSERT_FALSE(HasFatalFailure());

  auto pool = make_pool(kFrames, kPageSize, kRegions);
  ASSERT_NE(pool, nullptr);
  auto f = open_rw(*pool, path, kPageSize);
  ASSERT_NE(f, nullptr);

  std::vector<std::uint64_t> oracle(kPages, 0);  // each entry: its owner's only
  std::unique_ptr<std::atomic<std::uint64_t>[]> put_version(new std::atomic<std::uint64_t>[kPages]);
  for (std::size_t p = 0; p < kPages; ++p) put_version[p].store(0);

  // Pause protocol: the syncer raises pause_req and waits until every writer
  // is parked (between operations, holding no pin) or done; it lowers it and
  // waits until none is parked before it may pause again.
  std::atomic<bool> pause_req{false};
  std::atomic<int> parked{0};
  std::atomic<int> done{0};

  const std::size_t ops = scaled(10000);
  constexpr std::uint64_t kMinSyncs = 7;
  std::atomic<std::uint64_t> sync_iterations{0};
  const auto budget = phase_budget();
  std::atomic<std::uint64_t> write_ops{0};

  auto writer = [&](std::size_t tid) {
    std::mt19937 rng(seed + 7919u * static_cast<std::uint32_t>(tid + 1));
    std::vector<pgno_t> mine;
    for (std::size_t p = tid; p < kPages; p += kWriters) mine.push_back(static_cast<pgno_t>(p));
    const auto deadline = clock_type::now() + budget;
    // Run for `ops` operations and at least kMinSyncs syncer iterations (so
    // that paused and racing syncs both happen), within the time budget.
    for (std::size_t i = 0;
         (i < ops || sync_iterations.load(std::memory_order_relaxed) < kMinSyncs) && !log.failed();
         ++i) {
      if (pause_req.load(std::memory_order_acquire)) {
        parked.fetch_add(1, std::memory_order_acq_rel);
        while (pause_req.load(std::memory_order_acquire)) std::this_thread::yield();
        parked.fetch_sub(1, std::memory_order_acq_rel);
      }
      if ((i & 31u) == 0 && clock_type::now() > deadline) break;
      const pgno_t pg = mine[rng() % mine.size()];
      const bool dirty_at_get = rng() % 2 == 0;
      void* page = nullptr;
      pgno_t n = pg;
      if (auto ec = f->get(&n, dirty_at_get ? get_flags::dirty : get_flags::none, &page)) {
        log.fail(fail_msg() << "writer " << tid << " get page " << pg << ": " << describe(ec));
        break;
      }
      if (auto m = stamp_mismatch(page, kPageSize, pg, oracle[pg]); !m.empty()) {
        log.fail(fail_msg() << "writer " << tid << ": " << m);
        (void)f->put(page);
        break;
      }
      const std::uint64_t v = oracle[pg] + 1;
      stamp_page(page, kPageSize, pg, v);
      oracle[pg] = v;
      if (auto ec = f->put(page, priority::unchanged,
                           dirty_at_get ? put_flags::none : put_flags::dirty)) {
        log.fail(fail_msg() << "writer " << tid << " put page " << pg << ": " << describe(ec));
        break;
      }
      put_version[pg].store(v, std::memory_order_release);
      write_ops.fetch_add(1, std::memory_order_relaxed);
    }
    done.fetch_add(1, std::memory_order_acq_rel);
  };

  std::atomic<std::uint64_t> syncs_ok{0}, syncs_incomplete{0}, syncs_paused{0}, trickles{0};
  auto syncer = [&] {
    std::mt19937 rng(seed ^ 0x5A5A5A5Au);
    std::vector<std::uint64_t> snap(kPages);
    std::vector<std::uint8_t> buf;
    disk_reader disk(path);
    if (!disk.ok()) {
      log.fail("syncer cannot open the file for pread");
      return;
    }
    for (std::uint64_t i = 0; done.load(std::memory_order_acquire) < static_cast<int>(kWriters) &&
                              !log.failed();
         ++i) {
      const bool paused = i % 3 == 1;
      if (paused) {
        pause_req.store(true, std::memory_order_release);
        while (parked.load(std::memory_order_acquire) + done.load(std::memory_order_acquire) !=
               static_cast<int>(kWriters))
          std::this_thread::yield();
      }
      for (std::size_t p = 0; p < kPages; ++p) snap[p] = put_version[p].load(std::memory_order_acquire);
      const bool whole_pool = rng() % 2 == 0;
      std::error_code ec = whole_pool ? pool->sync() : f->sync();
      const char* what = whole_pool ? "pool->sync()" : "file->sync()";
      if (paused) {
        if (ec) {
          log.fail(fail_msg() << what << " with every writer parked (no pin held) returned "
                              << describe(ec) << ", expected success");
        } else {
          // Nothing runs: the disk must hold exactly what was put.
          for (pgno_t p = 0; p < kPages; ++p) {
            auto v = disk.version(p, kPageSize, buf);
            if (!v || *v != snap[p]) {
              log.fail(fail_msg() << "after a paused " << what << " (sync #" << i << "), on disk: "
                                  << stamp_mismatch(buf.data(), kPageSize, p, snap[p]));
              break;
            }
          }
        }
        syncs_paused.fetch_add(1, std::memory_order_relaxed);
        pause_req.store(false, std::memory_order_release);
        while (parked.load(std::memory_order_acquire) != 0) std::this_thread::yield();
      } else if (ec == make_error_code(errc::incomplete)) {
        syncs_incomplete.fetch_add(1, std::memory_order_relaxed);
      } else if (ec) {
        log.fail(fail_msg() << what << " racing writers returned " << describe(ec)
                            << ", expected success or errc::incomplete");
      } else {
        syncs_ok.fetch_add(1, std::memory_order_relaxed);
        for (pgno_t p = 0; p < kPages; ++p) {
          auto v = disk.version(p, kPageSize, buf);
          if (!v) {
            log.fail(fail_msg() << "after " << what << " (sync #" << i << "), page " << p
                                << " on disk is not a whole stamp (read repeatedly)");
            break;
          }
          if (*v < snap[p]) {
            log.fail(fail_msg() << "after a successful " << what << " (sync #" << i << "), page "
                                << p << " is on disk at version " << *v << ", but version "
                                << snap[p] << " was put before the sync started");
            break;
          }
        }
      }
      int written = -1;
      const int pct = 1 + static_cast<int>(rng() % 100);
      if (auto tec = pool->trickle(pct, &written)) {
        log.fail(fail_msg() << "trickle(" << pct << ") racing writers: " << describe(tec));
      } else if (written < 0) {
        log.fail(fail_msg() << "trickle(" << pct << ") reported " << written << " pages written");
      }
      trickles.fetch_add(1, std::memory_order_relaxed);
      sync_iterations.fetch_add(1, std::memory_order_relaxed);
    }
  };

  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kWriters; ++t) threads.emplace_back(writer, t);
  threads.emplace_back(syncer);
  for (auto& t : threads) t.join();
  ASSERT_FALSE(log.failed()) << log.report();

  std::error_code ec = pool->sync();
  ASSERT_FALSE(ec) << "final sync, nothing pinned: " << describe(ec) << "; seed " << seed;
  EXPECT_EQ(pool->stats().page_dirty, 0u);
  std::string disk = check_disk(path, kPageSize, oracle);
  EXPECT_TRUE(disk.empty()) << "file after the final sync differs from the oracle (seed " << seed
                            << "):" << disk;
  for (std::size_t p = 0; p < kPages; ++p)
    ASSERT_EQ(put_version[p].load(), oracle[p]) << "page " << p;

  EXPECT_GT(write_ops.load(), 0u);
  EXPECT_GT(syncs_paused.load() + syncs_ok.load() + syncs_incomplete.load(), 0u)
      << "the syncer never ran a sync";
  RecordProperty("write_ops", std::to_string(write_ops.load()));
  RecordProperty("syncs_ok", std::to_string(syncs_ok.load()));
  RecordProperty("syncs_incomplete", std::to_string(syncs_incomplete.load()));
  RecordProperty("syncs_paused", std::to_string(syncs_paused.load()));
  RecordProperty("trickles", std::to_string(trickles.load()));
  EXPECT_FALSE(f->close());
  f.reset();
  EXPECT_FALSE(pool->close());
}

}  // namespace
}  // namespace pagepool::conctest
