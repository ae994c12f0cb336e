// tests/concurrency/shared_handles_test.cpp: many handles on one file.
//
// Several handles on one physical file share one copy of each page (file.hpp;
// invariant 1). Four threads each open their own handle on the same path, at
// the same time, and stamp their own pages (pgno % 4 == tid) through it in a
// pool far smaller than the file, so pages written through one handle are
// evicted and read back through another. Then every thread reads every
// owner's pages through its own handle against the oracle, and in lock-step
// rounds all threads pin one page each through their own handles and must get
// one address. Last, each thread stamps a few of its pages again (so dirty
// pages are cached at the end) and closes its handle, concurrently.
//
// Two endings: with a fifth handle kept open, pool->sync() must succeed and the
// file (pread) must hold the oracle's versions; with every handle closed, the
// dirty pages still cached must not be lost: pool->close() writes them
// (pool.hpp: "Writes every modified page"; invariant 3).

#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <cstdint>
#include <latch>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "concurrency/concurrency_support.hpp"

namespace pagepool::conctest {
namespace {

constexpr std::size_t kThreads = 4;
constexpr std::size_t kPages = 256;
constexpr std::size_t kPageSize = 1024;
constexpr std::size_t kFrames = 32;
constexpr unsigned kRegions = 2;
constexpr std::size_t kSameFrameRounds = 16;
constexpr std::size_t kLastWrites = 6;  // per thread: 24 dirty pages, 32 frames

void run_shared_handles(bool keep_a_handle_open) {
  const std::uint32_t seed = test_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  failure_log log(seed);
  temp_dir dir;
  const std::string path = dir.file("shared.db");
  write_stamp_file(path, kPages, kPageSize, 0);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());

  auto pool = make_pool(kFrames, kPageSize, kRegions);
  ASSERT_NE(pool, nullptr);
  std::unique_ptr<file> main_handle;
  file_id main_id{};
  if (keep_a_handle_open) {
    main_handle = open_rw(*pool, path, kPageSize);
    ASSERT_NE(main_handle, nullptr);
    ASSERT_FALSE(main_handle->get_fileid(main_id));
  }

  std::vector<std::uint64_t> oracle(kPages, 0);
  std::vector<file_id> ids(kThreads);
  std::vector<void*> same_addr(kThreads, nullptr);
  std::vector<pgno_t> same_pages(kSameFrameRounds);
  {
    std::mt19937 rng(seed);
    for (auto& p : same_pages) p = static_cast<pgno_t>(rng() % kPages);
  }
  std::latch opened(static_cast<std::ptrdiff_t>(kThreads));
  std::barrier<> phase(static_cast<std::ptrdiff_t>(kThreads));
  const std::size_t ops = scaled(10000);
  const auto budget = phase_budget();

  auto worker = [&](std::size_t tid) {
    std::mt19937 rng(seed + 31337u * static_cast<std::uint32_t>(tid + 1));
    // Open concurrently with the other threads.
    opened.arrive_and_wait();
    auto f = pool->file_create();
    std::error_code ec = f ? f->open(path, open_flags::create, 0, kPageSize)
                           : make_error_code(std::errc::not_enough_memory);
    if (ec) {
      log.fail(fail_msg() << "thread " << tid << " open: " << describe(ec));
      f.reset();
    } else if (auto iec = f->get_fileid(ids[tid])) {
      log.fail(fail_msg() << "thread " << tid << " get_fileid: " << describe(iec));
    }
    phase.arrive_and_wait();  // everyone open

    // Phase 1: stamp own pages through own handle.
    std::vector<pgno_t> mine;
    for (std::size_t p = tid; p < kPages; p += kThreads) mine.push_back(static_cast<pgno_t>(p));
    const auto deadline = clock_type::now() + budget;
    for (std::size_t i = 0; f && i < ops && !log.failed(); ++i) {
      if ((i & 31u) == 0 && clock_type::now() > deadline) break;
      const pgno_t pg = mine[rng() % mine.size()];
      const bool dirty_at_get = rng() % 2 == 0;
      void* page = nullptr;
      pgno_t n = pg;
      if (auto gec = f->get(&n, dirty_at_get ? get_flags::dirty : get_flags::none, &page)) {
        log.fail(fail_msg() << "thread " << tid << " get page " << pg << ": " << describe(gec));
        break;
      }
      if (auto m = stamp_mismatch(page, kPageSize, pg, oracle[pg]); !m.empty()) {
        log.fail(fail_msg() << "thread " << tid << " (own handle): " << m);
        (void)f->put(page);
        break;
      }
      stamp_page(page, kPageSize, pg, ++oracle[pg]);
      if (auto pec = f->put(page, priority::unchanged,
                            dirty_at_get ? put_flags::none : put_flags::dirty)) {
        log.fail(fail_msg() << "thread " << tid << " put page " << pg << ": " << describe(pec));
        break;
      }
    }
    phase.arrive_and_wait();  // all writing done

    // Phase 2: read everyone's pages through own handle.
    const auto deadline2 = clock_type::now() + budget / 2;
    for (std::size_t i = 0; f && i < ops && !log.failed(); ++i) {
      if ((i & 31u) == 0 && clock_type::now() > deadline2) break;
      const pgno_t pg = static_cast<pgno_t>(rng() % kPages);
      void* page = nullptr;
      pgno_t n = pg;
      if (auto gec = f->get(&n, get_flags::none, &page)) {
        log.fail(fail_msg() << "thread " << tid << " read page " << pg << ": " << describe(gec));
        break;
      }
      if (auto m = stamp_mismatch(page, kPageSize, pg, oracle[pg]); !m.empty())
        log.fail(fail_msg() << "thread " << tid << " reading page of thread " << pg % kThreads
                            << " through another handle: " << m);
      if (auto pec = f->put(page))
        log.fail(fail_msg() << "thread " << tid << " put page " << pg << ": " << describe(pec));
    }

    // Phase 3: lock-step, all handles pin one page: one frame.
    for (pgno_t pg : same_pages) {
      phase.arrive_and_wait();
      void* page = nullptr;
      pgno_t n = pg;
      if (!f) {
        same_addr[tid] = nullptr;
      } else if (auto gec = f->get(&n, get_flags::none, &page)) {
        log.fail(fail_msg() << "thread " << tid << " same-page get " << pg << ": " << describe(gec));
      } else if (auto m = stamp_mismatch(page, kPageSize, pg, oracle[pg]); !m.empty()) {
        log.fail(fail_msg() << "thread " << tid << " same-page round: " << m);
      }
      same_addr[tid] = page;
      phase.arrive_and_wait();
      for (std::size_t u = 0; u < kThreads; ++u)
        if (same_addr[u] != nullptr && page != nullptr && same_addr[u] != page)
          log.fail(fail_msg() << "page " << pg << " pinned through handle " << tid << " at " << page
                              << " and through handle " << u << " at " << same_addr[u]);
      phase.arrive_and_wait();
      if (page != nullptr) {
        if (auto pec = f->put(page))
          log.fail(fail_msg() << "thread " << tid << " same-page put " << pg << ": " << describe(pec));
      }
    }

    // Phase 4: stamp a few own pages again, so that dirty pages are still
    // cached when the handles close (the reads above pushed the others out).
    for (std::size_t k = 0; f && k < kLastWrites && !log.failed(); ++k) {
      const pgno_t pg = mine[(tid * 7 + k * 13) % mine.size()];
      void* page = nullptr;
      pgno_t n = pg;
      if (auto gec = f->get(&n, get_flags::dirty, &page)) {
        log.fail(fail_msg() << "thread " << tid << " last get page " << pg << ": " << describe(gec));
        break;
      }
      if (auto m = stamp_mismatch(page, kPageSize, pg, oracle[pg]); !m.empty())
        log.fail(fail_msg() << "thread " << tid << " last write: " << m);
      stamp_page(page, kPageSize, pg, ++oracle[pg]);
      if (auto pec = f->put(page))
        log.fail(fail_msg() << "thread " << tid << " last put page " << pg << ": " << describe(pec));
    }

    // Close concurrently; nothing is pinned through this handle.
    if (f) {
      if (auto cec = f->close()) log.fail(fail_msg() << "thread " << tid << " close: " << describe(cec));
    }
  };

  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) threads.emplace_back(worker, t);
  for (auto& t : threads) t.join();
  EXPECT_FALSE(log.failed()) << log.report();
  for (std::size_t t = 1; t < kThreads; ++t)
    EXPECT_EQ(ids[t], ids[0]) << "handles on one path have different file ids";
  if (keep_a_handle_open) {
    EXPECT_EQ(ids[0], main_id);
  }

  if (keep_a_handle_open) {
    std::error_code ec = pool->sync();
    ASSERT_FALSE(ec) << "sync, nothing pinned: " << describe(ec) << "; seed " << seed;
    std::string disk = check_disk(path, kPageSize, oracle);
    EXPECT_TRUE(disk.empty()) << "file after sync differs from the oracle (seed " << seed << "):"
                              << disk;
    // The remaining handle sees the same pages.
    for (pgno_t p = 0; p < kPages; ++p) {
      void* page = nullptr;
      pgno_t n = p;
      ASSERT_FALSE(main_handle->get(&n, get_flags::none, &page)) << "page " << p;
      auto m = stamp_mismatch(page, kPageSize, p, oracle[p]);
      EXPECT_TRUE(m.empty()) << "through the main handle: " << m;
      ASSERT_FALSE(main_handle->put(page));
    }
    EXPECT_FALSE(main_handle->close());
    main_handle.reset();
  }
  // With every handle closed, the pool still holds dirty pages of the file
  // (unless all happened to be evicted); close must write them.
  std::error_code ec = pool->close();
  ASSERT_FALSE(ec) << "pool close: " << describe(ec);
  std::string disk = check_disk(path, kPageSize, oracle);
  EXPECT_TRUE(disk.empty())
      << "file after pool close differs from the oracle (seed " << seed << "):" << disk;
}

TEST(SharedHandles, ThreadsWithOwnHandlesShareFramesThenSyncWritesAll) {
  run_shared_handles(true);
}

TEST(SharedHandles, DirtyPagesSurviveLastHandleCloseAndPoolCloseWritesThem) {
  run_shared_handles(false);
}

}  // namespace
}  // namespace pagepool::conctest
