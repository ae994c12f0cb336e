// tests/concurrency/policy_churn_test.cpp: every eviction policy under
// concurrent use, and live policy swaps, against an exact oracle.
//
// Three workers get random pages of a 384-page file (one page in four for
// writing: a new version stamp) through a pool of 24 frames in 2 regions, so
// that eviction with write-back never stops; a fourth thread keeps 4 pages
// pinned and checks them. Every access holds the test's own per-page mutex
// while the page is pinned, so each get must see exactly the oracle's
// version. In the swap variant a fifth thread changes the pool's policy every
// millisecond, cycling through all of them. At the end the pool is synced and
// the file must hold every page's last version.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "concurrency/concurrency_support.hpp"

namespace pagepool::conctest {
namespace {

constexpr std::size_t kPages = 384;
constexpr std::size_t kPageSize = 1024;
constexpr std::size_t kFrames = 24;
constexpr unsigned kRegions = 2;
constexpr std::size_t kWorkers = 3;
constexpr std::size_t kPinned = 4;

constexpr policy_kind kAll[] = {policy_kind::clock, policy_kind::lru,    policy_kind::fifo,
                                policy_kind::sieve, policy_kind::s3fifo, policy_kind::arc,
                                policy_kind::twoq,  policy_kind::lirs,   policy_kind::wtinylfu,
                                policy_kind::lru2,  policy_kind::clockpro};

void run_churn(policy_kind start, bool swap) {
  const std::uint32_t seed = test_seed();
  SCOPED_TRACE("seed " + std::to_string(seed) + ", policy " + std::string(policy_name(start)) +
               (swap ? ", swapping" : ""));
  failure_log log(seed);
  temp_dir dir;
  const std::string path = dir.file("churn.db");
  write_stamp_file(path, kPages, kPageSize, 1);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());

  pool_options o;
  o.cache_frames = kFrames;
  o.frame_size = kPageSize;
  o.regions = kRegions;
  o.policy = start;
  std::unique_ptr<pool> p;
  ASSERT_FALSE(pool::create(o, p));
  auto f = open_rw(*p, path, kPageSize);
  ASSERT_NE(f, nullptr);

  std::vector<std::uint64_t> version(kPages, 1);  // guarded by locks[pg]
  std::vector<std::mutex> locks(kPages);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> ops{0}, swaps{0};

  auto worker = [&](std::uint32_t id) {
    std::mt19937 rng(seed + id);
    // Pages 0..kPinned-1 belong to the pinning thread.
    std::uniform_int_distribution<pgno_t> pick(kPinned, kPages - 1);
    while (!stop.load(std::memory_order_relaxed) && !log.failed()) {
      // A skewed choice: half the gets go to the first 32 pages after the pinned ones.
      pgno_t pg = pick(rng);
      if (rng() & 1) pg = static_cast<pgno_t>(kPinned + pg % 32);
      const bool write = (rng() & 3) == 0;
      std::lock_guard g(locks[pg]);
      pgno_t n = pg;
      void* page = nullptr;
      if (auto ec = f->get(&n, write ? get_flags::dirty : get_flags::none, &page)) {
        log.fail("get " + std::to_string(pg) + ": " + describe(ec));
        return;
      }
      if (auto v = stamp_version(page, kPageSize, pg); !v || *v != version[pg])
        log.fail(stamp_mismatch(page, kPageSize, pg, version[pg]));
      if (write) stamp_page(page, kPageSize, pg, ++version[pg]);
      const priority pr = (rng() % 8 == 0) ? priority::very_low
                          : (rng() % 8 == 0) ? priority::very_high
                                             : priority::unchanged;
      if (auto ec = f->put(page, pr)) log.fail("put " + std::to_string(pg) + ": " + describe(ec));
      ops.fetch_add(1, std::memory_order_relaxed);
    }
  };
  auto pinner = [&] {
    std::array<void*, kPinned> pages{};
    for (pgno_t pg = 0; pg < kPinned; ++pg) {
      pgno_t n = pg;
      if (auto ec = f->get(&n, get_flags::dirty, &pages[pg])) {
        log.fail("pin " + std::to_string(pg) + ": " + describe(ec));
        return;
      }
      stamp_page(pages[pg], kPageSize, pg, ++version[pg]);
    }
    while (!stop.load(std::memory_order_relaxed) && !log.failed()) {
      for (pgno_t pg = 0; pg < kPinned; ++pg)
        if (auto v = stamp_version(pages[pg], kPageSize, pg); !v || *v != version[pg])
          log.fail("pinned " + stamp_mismatch(pages[pg], kPageSize, pg, version[pg]));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    for (pgno_t pg = 0; pg < kPinned; ++pg)
      if (auto ec = f->put(pages[pg])) log.fail("unpin: " + describe(ec));
  };
  auto swapper = [&] {
    std::size_t i = 0;
    while (!stop.load(std::memory_order_relaxed) && !log.failed()) {
      if (auto ec = p->set_policy(kAll[i++ % std::size(kAll)])) log.fail("set_policy: " + describe(ec));
      swaps.fetch_add(1, std::memory_order_relaxed);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };

  std::vector<std::thread> ts;
  ts.emplace_back(pinner);
  for (std::uint32_t i = 0; i < kWorkers; ++i) ts.emplace_back(worker, i);
  if (swap) ts.emplace_back(swapper);
  const auto t0 = clock_type::now();
  while (ms_since(t0) < phase_budget().count() / 2 && !log.failed())
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop.store(true);
  for (auto& t : ts) t.join();
  ASSERT_FALSE(log.failed()) << log.report();
  EXPECT_GT(ops.load(), 1000u);
  if (swap) {
    EXPECT_GT(swaps.load(), 5u);
  }

  ASSERT_FALSE(p->sync());
  EXPECT_EQ(check_disk(path, kPageSize, version), "");
  ASSERT_FALSE(f->close());
}

class PolicyChurn : public ::testing::TestWithParam<policy_kind> {};

TEST_P(PolicyChurn, ContentsMatchTheOracleUnderEviction) { run_churn(GetParam(), false); }

INSTANTIATE_TEST_SUITE_P(AllPolicies, PolicyChurn, ::testing::ValuesIn(kAll),
                         [](const auto& pi) { return std::string(policy_name(pi.param)); });

TEST(PolicySwapChurn, ContentsMatchTheOracleWhilePoliciesChange) { run_churn(policy_kind::clock, true); }

}  // namespace
}  // namespace pagepool::conctest
