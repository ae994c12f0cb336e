// tests/concurrency/page_sizes_churn_test.cpp: threads on files of four page
// sizes at once, in a pool far smaller than the files (pool.hpp, "Page
// sizes"): the classes take memory from each other all the time.
//
// Three workers share four files (512 B, 2 KiB, 16 KiB and 64 KiB pages,
// about 1.4 MiB in all) in a 256 KiB pool of 2 regions. Each worker owns the
// pages with pgno % 3 == tid of every file and keeps an oracle of the
// version it last stamped on each (the whole page is stamped): every get
// checks the page holds exactly that version (a page lost when its class
// gave up memory, written back at the wrong size, or read into a frame of
// another size shows up as a wrong stamp), then stamps the next. At the end
// the bytes held are within the budget, every class gave or took memory,
// and the files, read with pread after a sync, hold exactly the oracle.

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
constexpr std::size_t kSizes[] = {512, 2048, 16384, 65536};
constexpr std::size_t kPages[] = {384, 192, 36, 9};  // multiples of kThreads

void run_page_sizes_churn(bool region_files) {
  const std::uint32_t seed = test_seed();
  failure_log log(seed);
  temp_dir dir;
  pool_options o;
  o.cache_frames = 64;  // 256 KiB of 4 KiB frames; no file has 4 KiB pages
  o.regions = 2;
  o.alloc_timeout = std::chrono::milliseconds(200);
  if (region_files) {  // the pool's memory in files mapped shared (pool_options::region_files)
    o.home = dir.path().string();
    o.region_files = true;
    o.publish_period = std::chrono::milliseconds(0);
  }
  std::unique_ptr<pool> p;
  ASSERT_FALSE(pool::create(o, p));
  std::vector<std::string> paths;
  std::vector<std::unique_ptr<file>> files;
  for (std::size_t i = 0; i < 4; ++i) {
    paths.push_back(dir.file("f" + std::to_string(kSizes[i])));
    write_stamp_file(paths.back(), kPages[i], kSizes[i], 0);
    files.push_back(open_rw(*p, paths.back(), kSizes[i]));
    ASSERT_TRUE(files.back());
  }
  // oracle[thread][file][pgno]
  std::vector<std::vector<std::vector<std::uint64_t>>> oracle(kThreads);
  for (auto& t : oracle)
    for (std::size_t i = 0; i < 4; ++i) t.emplace_back(kPages[i], 0);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> ops{0};
  const auto budget = phase_budget();

  auto worker = [&](std::size_t tid) {
    std::mt19937 rng(seed + static_cast<std::uint32_t>(tid));
    while (!stop.load(std::memory_order_relaxed) && !log.failed()) {
      const std::size_t i = rng() % 4;
      if (!owned_stamp_step(*files[i], tid, kThreads, kPages[i], kSizes[i], oracle[tid][i], rng, log))
        return;
      ops.fetch_add(1, std::memory_order_relaxed);
    }
  };
  std::vector<std::thread> team;
  for (std::size_t t = 0; t < kThreads; ++t) team.emplace_back(worker, t);
  const auto t0 = clock_type::now();
  while (ms_since(t0) < budget.count() && !log.failed() && ops.load() < scaled(100000))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop.store(true);
  for (auto& t : team) t.join();
  ASSERT_FALSE(log.failed()) << log.report();
  EXPECT_GT(ops.load(), 500u);

  const pool_stats st = p->stats();
  EXPECT_LE(st.page_bytes, st.cache_bytes);
  EXPECT_GT(st.page_donated, 0u);
  std::uint64_t bytes = 0;
  for (std::size_t c = 0; c < 8; ++c) bytes += std::uint64_t{st.pages_by_size[c]} << (9 + c);
  EXPECT_EQ(bytes, st.page_bytes);  // quiescent: every frame in use holds a page

  ASSERT_FALSE(p->sync());
  for (std::size_t i = 0; i < 4; ++i) {
    std::vector<std::uint64_t> merged(kPages[i], 0);
    for (std::size_t pg = 0; pg < kPages[i]; ++pg) merged[pg] = oracle[pg % kThreads][i][pg];
    ASSERT_FALSE(files[i]->close());
    EXPECT_EQ(check_disk(paths[i], kSizes[i], merged), "") << "page size " << kSizes[i] << ", seed " << seed;
  }
  ::testing::Test::RecordProperty("ops", static_cast<int>(ops.load()));
}

TEST(PageSizesChurn, StampsSurviveClassesTradingMemory) { run_page_sizes_churn(false); }
// Donations keep a region file's memory (src/core/page_classes.cpp, give_free).
TEST(PageSizesChurn, StampsSurviveClassesTradingMemoryInRegionFiles) { run_page_sizes_churn(true); }

}  // namespace
}  // namespace pagepool::conctest
