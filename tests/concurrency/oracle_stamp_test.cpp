// tests/concurrency/oracle_stamp_test.cpp: version stamps under constant
// eviction with dirty write-back.
//
// Four threads share a file of 256 pages in a pool of 32 frames (2 regions), so
// almost every get evicts, and most victims are dirty. Each thread owns the
// pages with pgno % 4 == tid (no two threads write one page, as the pinning
// contract requires: pins do not latch contents) and keeps an oracle: the
// version it last wrote to each of its pages. Every get checks that the page
// holds the oracle's version (so a lost write-back, a stale read, a page in two
// frames or a frame handed out while in use shows up as a wrong stamp), then
// writes the next version. When all owners are done, one thread syncs (dirty
// pages still cached) and the file, read with pread, must hold exactly the
// oracle's versions; then every thread reads every owner's pages through the
// pool (clean eviction); after the join, sync and pread again.
//
// Invariants: 1 (one frame per page), 2 (pinned frames stay), 3 (a dirty page
// reaches the file before its frame is reused), 5 (sync), 8 (quiescent stats).

#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <cstdint>
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

struct stamp_run {
  file* f = nullptr;
  bool create_mode = false;  // every get passes CREATE (the file starts empty)
  std::vector<std::uint64_t> oracle = std::vector<std::uint64_t>(kPages, 0);
  std::atomic<std::uint64_t> write_ops{0};
  std::atomic<std::uint64_t> read_ops{0};
};

/// One get / check / stamp / put of an owned page, in one of four styles.
void owner_op(stamp_run& run, failure_log& log, std::mt19937& rng, pgno_t pg) {
  const get_flags base = run.create_mode ? get_flags::create : get_flags::none;
  const std::uint64_t cur = run.oracle[pg];
  const unsigned style = rng() % 5;
  if (style == 4) {  // page_handle, dirty at get, put by release()
    pgno_t n = pg;
    page_handle h;
    if (auto ec = run.f->get(n, base | get_flags::dirty, h)) {
      log.fail(fail_msg() << "get(handle) page " << pg << ": " << describe(ec));
      return;
    }
    if (h.pgno() != pg || h.bytes().size() != kPageSize) {
      log.fail(fail_msg() << "page_handle for page " << pg << " says pgno " << h.pgno()
                          << ", size " << h.bytes().size());
      return;
    }
    if (auto m = stamp_mismatch(h.data(), kPageSize, pg, cur); !m.empty()) {
      log.fail(fail_msg() << "owner read (handle): " << m);
      return;
    }
    stamp_page(h.data(), kPageSize, pg, cur + 1);
    run.oracle[pg] = cur + 1;
    if (auto ec = h.release()) log.fail(fail_msg() << "release page " << pg << ": " << describe(ec));
    run.write_ops.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // styles: 0 get dirty / put; 1 get / put dirty; 2 get dirty / put dirty|discard;
  // 3 get / check / put (read only).
  get_flags gf = base;
  if (style == 0 || style == 2) gf |= get_flags::dirty;
  void* page = nullptr;
  pgno_t n = pg;
  if (auto ec = run.f->get(&n, gf, &page)) {
    log.fail(fail_msg() << "get page " << pg << " (style " << style << "): " << describe(ec));
    return;
  }
  if (n != pg) log.fail(fail_msg() << "get of page " << pg << " changed *pgno to " << n);
  if (auto m = stamp_mismatch(page, kPageSize, pg, cur); !m.empty()) {
    log.fail(fail_msg() << "owner read (style " << style << "): " << m);
    (void)run.f->put(page);
    return;
  }
  put_flags pf = put_flags::none;
  priority prio = priority::unchanged;
  if (style != 3) {
    stamp_page(page, kPageSize, pg, cur + 1);
    run.oracle[pg] = cur + 1;
    if (style == 1) pf = put_flags::dirty;
    if (style == 2) {
      pf = put_flags::dirty | put_flags::discard;
      prio = priority::very_low;
    }
    run.write_ops.fetch_add(1, std::memory_order_relaxed);
  }
  if (auto ec = run.f->put(page, prio, pf))
    log.fail(fail_msg() << "put page " << pg << " (style " << style << "): " << describe(ec));
}

/// Reads page `pg` (any owner's) through the pool and checks the oracle.
void reader_op(stamp_run& run, failure_log& log, pgno_t pg) {
  void* page = nullptr;
  pgno_t n = pg;
  const get_flags gf = run.create_mode ? get_flags::create : get_flags::none;
  if (auto ec = run.f->get(&n, gf, &page)) {
    log.fail(fail_msg() << "reader get page " << pg << ": " << describe(ec));
    return;
  }
  if (auto m = stamp_mismatch(page, kPageSize, pg, run.oracle[pg]); !m.empty())
    log.fail(fail_msg() << "reader: " << m);
  if (auto ec = run.f->put(page)) log.fail(fail_msg() << "reader put page " << pg << ": " << describe(ec));
  run.read_ops.fetch_add(1, std::memory_order_relaxed);
}

void run_stamp_test(bool create_mode, bool region_files = false) {
  const std::uint32_t seed = test_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  failure_log log(seed);
  temp_dir dir;
  const std::string path = dir.file("stamp.db");
  if (!create_mode) {
    write_stamp_file(path, kPages, kPageSize, 0);  // 256 zero pages
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
  }

  auto pool = make_pool(kFrames, kPageSize, kRegions, region_files ? dir.path().string() : "");
  ASSERT_NE(pool, nullptr);
  ASSERT_EQ(pool->frames(), kFrames);
  auto f = open_rw(*pool, path, kPageSize);
  ASSERT_NE(f, nullptr);

  stamp_run run;
  run.f = f.get();
  run.create_mode = create_mode;
  const std::size_t ops = scaled(15000);
  const std::size_t reads = scaled(8000);
  const auto budget = phase_budget();
  std::barrier<> phase(static_cast<std::ptrdiff_t>(kThreads));

  auto worker = [&](std::size_t tid) {
    std::mt19937 rng(seed + static_cast<std::uint32_t>(tid) * 7919u);
    std::vector<pgno_t> owned;
    for (std::size_t p = tid; p < kPages; p += kThreads) owned.push_back(static_cast<pgno_t>(p));

    phase.arrive_and_wait();
    // First pass: every owned page once, in random order (in create mode this
    // creates them, concurrently with the other owners, in no particular order).
    std::vector<pgno_t> order = owned;
    std::shuffle(order.begin(), order.end(), rng);
    for (pgno_t pg : order) {
      if (log.failed()) break;
      owner_op(run, log, rng, pg);
    }
    // Random owned pages until the op count or the time budget runs out.
    const auto deadline = clock_type::now() + budget;
    for (std::size_t i = 0; i < ops && !log.failed(); ++i) {
      if ((i & 31u) == 0 && clock_type::now() > deadline) break;
      owner_op(run, log, rng, owned[rng() % owned.size()]);
    }

    // Every owner is done writing. Thread 0 syncs while the others wait (so
    // dirty pages are still cached, not yet pushed out by the reads below),
    // and the file must then hold exactly the oracle's versions.
    phase.arrive_and_wait();
    if (tid == 0 && !log.failed()) {
      if (auto ec = pool->sync()) {
        log.fail(fail_msg() << "sync after the writers, nothing pinned: " << describe(ec));
      } else {
        const std::uint32_t dirty = pool->stats().page_dirty;
        if (dirty != 0) log.fail(fail_msg() << dirty << " dirty pages left by a successful sync");
        if (auto d = check_disk(path, kPageSize, run.oracle); !d.empty())
          log.fail(fail_msg() << "file after the mid-run sync differs from the oracle:" << d);
      }
    }
    // Everyone may now read everyone's pages.
    phase.arrive_and_wait();
    const auto deadline2 = clock_type::now() + budget / 2;
    for (std::size_t i = 0; i < reads && !log.failed(); ++i) {
      if ((i & 31u) == 0 && clock_type::now() > deadline2) break;
      reader_op(run, log, static_cast<pgno_t>(rng() % kPages));
    }
  };

  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) threads.emplace_back(worker, t);
  for (auto& t : threads) t.join();
  ASSERT_FALSE(log.failed()) << log.report();

  // Quiescent: every page unpinned, so sync must write everything.
  std::error_code ec = pool->sync();
  ASSERT_FALSE(ec) << "sync with nothing pinned: " << describe(ec) << "; seed " << seed;
  pool_stats st = pool->stats();
  EXPECT_EQ(st.page_dirty, 0u) << "dirty pages left after a successful sync, nothing pinned";
  EXPECT_LE(st.pages, kFrames);
  EXPECT_GT(st.rw_evict, 0u) << "the test never evicted a dirty page: it did not test write-back";
  EXPECT_GE(st.page_out, st.rw_evict);

  EXPECT_EQ(file_size(path), kPages * kPageSize);
  std::string disk = check_disk(path, kPageSize, run.oracle);
  EXPECT_TRUE(disk.empty()) << "file after sync differs from the oracle (seed " << seed << "):"
                            << disk;

  // And the pool, single-threaded, agrees with the oracle for every page.
  for (pgno_t p = 0; p < kPages; ++p) reader_op(run, log, p);
  EXPECT_FALSE(log.failed()) << log.report();

  ASSERT_FALSE(f->close()) << "close";
  f.reset();
  ASSERT_FALSE(pool->close()) << "pool close";

  // Every write counted; the test ran at least the first pass.
  EXPECT_GE(run.write_ops.load(), kPages / 2) << "seed " << seed;
  std::uint64_t total = 0;
  for (auto v : run.oracle) total += v;
  EXPECT_EQ(total, run.write_ops.load()) << "oracle versions do not add up to the writes made";
  ::testing::Test::RecordProperty("write_ops", std::to_string(run.write_ops.load()));
  ::testing::Test::RecordProperty("read_ops", std::to_string(run.read_ops.load()));
}

TEST(OracleStamp, OwnersStampPresizedFileUnderDirtyEviction) { run_stamp_test(false); }

TEST(OracleStamp, OwnersCreatePagesOfEmptyFileUnderDirtyEviction) { run_stamp_test(true); }
// The same in a pool whose memory is region files mapped shared.
TEST(OracleStamp, OwnersStampPresizedFileInRegionFiles) { run_stamp_test(false, true); }

}  // namespace
}  // namespace pagepool::conctest
