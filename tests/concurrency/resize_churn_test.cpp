// tests/concurrency/resize_churn_test.cpp: the cache grows and shrinks while
// threads get, stamp and put pages (BDB: DB_ENV->set_cachesize after open).
//
// Three worker threads share a file of 192 pages in a pool of 3 regions whose
// size a fourth thread keeps changing between 3 and 96 frames. Each worker
// owns the pages with pgno % 3 == tid and keeps an oracle of the version it
// last wrote to each; every get checks the page holds exactly that version (a
// write lost by a shrink, a page in two frames, or a frame reused while
// pinned shows up as a wrong stamp), then writes the next. Workers also hold
// a few pins across resizes. ENOMEM is allowed (the resizer may leave fewer
// frames than the workers pin); nothing else is. At the end the pool is
// synced and the file, read with pread, must hold exactly the oracle.

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "concurrency/concurrency_support.hpp"

namespace pagepool::conctest {
namespace {

constexpr std::size_t kThreads = 3;
constexpr std::size_t kPages = 192;
constexpr std::size_t kPageSize = 1024;
constexpr unsigned kRegions = 3;

void run_resize_churn(bool region_files) {
  const std::uint32_t seed = test_seed();
  failure_log log(seed);
  temp_dir dir;
  const std::string path = dir.file("churn");
  pool_options o;
  o.cache_frames = 48;
  o.frame_size = kPageSize;
  o.regions = kRegions;
  o.cache_max_bytes = 96 * kPageSize;
  o.alloc_timeout = std::chrono::milliseconds(5);
  if (region_files) {  // the pool's memory in files mapped shared (pool_options::region_files)
    o.home = dir.path().string();
    o.region_files = true;
    o.publish_period = std::chrono::milliseconds(0);
  }
  std::unique_ptr<pool> p;
  ASSERT_FALSE(pool::create(o, p));
  auto f = open_rw(*p, path, kPageSize);
  ASSERT_TRUE(f);

  std::vector<std::vector<std::uint64_t>> oracle(kThreads, std::vector<std::uint64_t>(kPages, 0));
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> ops{0}, resizes{0}, enomem{0};
  const auto budget = phase_budget();

  auto worker = [&](std::size_t tid) {
    std::mt19937 rng(seed + static_cast<std::uint32_t>(tid));
    std::vector<std::pair<pgno_t, void*>> held;  // pins kept across iterations
    auto& mine = oracle[tid];
    while (!stop.load(std::memory_order_relaxed) && !log.failed()) {
      const auto pg = static_cast<pgno_t>((rng() % (kPages / kThreads)) * kThreads + tid);
      bool is_held = false;
      for (auto& h : held) is_held |= h.first == pg;
      if (is_held) continue;  // one pin per page per thread keeps the oracle simple
      pgno_t n = pg;
      void* page = nullptr;
      auto ec = f->get(&n, get_flags::create | get_flags::dirty, &page);
      if (ec == std::errc::not_enough_memory) {
        enomem.fetch_add(1, std::memory_order_relaxed);
        if (!held.empty()) {  // let go of something and retry later
          if (auto e2 = f->put(held.back().second, priority::unchanged, put_flags::dirty))
            log.fail(fail_msg() << "put of held page " << held.back().first << ": " << describe(e2));
          held.pop_back();
        }
        continue;
      }
      if (ec) {
        log.fail(fail_msg() << "get " << pg << ": " << describe(ec));
        return;
      }
      const auto v = stamp_version(page, kPageSize, pg);
      if (!v || *v != mine[pg]) {
        log.fail(fail_msg() << "page " << pg << ": " << stamp_mismatch(page, kPageSize, pg, mine[pg]));
        (void)f->put(page);
        return;
      }
      stamp_page(page, kPageSize, pg, ++mine[pg]);
      ops.fetch_add(1, std::memory_order_relaxed);
      if (held.size() < 3 && rng() % 8 == 0) {
        held.emplace_back(pg, page);
        continue;
      }
      if (auto e2 = f->put(page, priority::unchanged, put_flags::dirty)) {
        log.fail(fail_msg() << "put " << pg << ": " << describe(e2));
        return;
      }
      if (!held.empty() && rng() % 4 == 0) {
        if (auto e2 = f->put(held.front().second, priority::unchanged, put_flags::dirty))
          log.fail(fail_msg() << "put of held page " << held.front().first << ": " << describe(e2));
        held.erase(held.begin());
      }
    }
    for (auto& h : held)
      if (auto e2 = f->put(h.second, priority::unchanged, put_flags::dirty))
        log.fail(fail_msg() << "final put " << h.first << ": " << describe(e2));
  };
  auto resizer = [&] {
    std::mt19937 rng(seed ^ 0x5EEDu);
    while (!stop.load(std::memory_order_relaxed) && !log.failed()) {
      const std::size_t n = kRegions + rng() % (96 - kRegions + 1);
      if (auto ec = p->resize(n)) {
        log.fail(fail_msg() << "resize(" << n << "): " << describe(ec));
        return;
      }
      if (p->frames() != n) log.fail(fail_msg() << "frames() " << p->frames() << " after resize(" << n << ")");
      resizes.fetch_add(1, std::memory_order_relaxed);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  };

  std::vector<std::thread> team;
  for (std::size_t t = 0; t < kThreads; ++t) team.emplace_back(worker, t);
  team.emplace_back(resizer);
  const auto t0 = clock_type::now();
  while (ms_since(t0) < budget.count() && !log.failed() && ops.load() < scaled(200000))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop.store(true);
  for (auto& t : team) t.join();
  ASSERT_FALSE(log.failed()) << log.report();
  EXPECT_GT(resizes.load(), 10u);
  EXPECT_GT(ops.load(), 1000u);

  ASSERT_FALSE(p->resize(48));
  ASSERT_FALSE(p->sync());
  std::vector<std::uint64_t> merged(kPages, 0);
  for (std::size_t pg = 0; pg < kPages; ++pg) merged[pg] = oracle[pg % kThreads][pg];
  ASSERT_FALSE(f->close());
  // Pages never written are holes past the end or zero pages: both read as 0.
  const std::string diff = check_disk(path, kPageSize, merged);
  EXPECT_EQ(diff, "") << "seed " << seed;
  const pool_stats st = p->stats();
  EXPECT_LE(st.pages, 48u);
  ::testing::Test::RecordProperty("ops", static_cast<int>(ops.load()));
  ::testing::Test::RecordProperty("resizes", static_cast<int>(resizes.load()));
}

TEST(ResizeChurn, StampsSurviveGrowAndShrink) { run_resize_churn(false); }
// Grow commits a region file's memory and retirement punches it out again,
// racing the workers (src/region/region.cpp).
TEST(ResizeChurn, StampsSurviveGrowAndShrinkInRegionFiles) { run_resize_churn(true); }

}  // namespace
}  // namespace pagepool::conctest
