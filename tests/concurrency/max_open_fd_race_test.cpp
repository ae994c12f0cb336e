// tests/concurrency/max_open_fd_race_test.cpp: set_mp_max_openfd's reaping of
// lingering descriptors racing with write-back.
//
// With max_open_fd = 1, closing a file's last handle leaves its dirty pages
// cached and its descriptor open; the next reap closes descriptors beyond the
// limit. A write of such a page (by sync, or by an eviction inside a get) that
// had just opened the descriptor must not find it closed under it: the page is
// written (the file is reopened by path), never failed with EBADF. Found by
// stress/ (workload churn); three threads open a file, dirty pages and close it
// while a fourth syncs, and the content is checked at the end.

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "concurrency/concurrency_support.hpp"

namespace pagepool::conctest {
namespace {

constexpr std::size_t kPageSize = 1024;
constexpr pgno_t kPages = 8;
constexpr int kFiles = 3;

TEST(MaxOpenFdRace, WritesOfFilesWithoutHandlesNeverFailWithEbadf) {
  const std::uint32_t seed = test_seed();
  failure_log log(seed);
  temp_dir dir;
  pool_options o;
  o.cache_frames = 16;
  o.frame_size = kPageSize;
  o.max_open_fd = 1;
  std::unique_ptr<pool> p;
  ASSERT_FALSE(pool::create(o, p));
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> rounds{0}, syncs{0};
  // Each file is written by one thread only (file t), stamped with a round.
  std::vector<std::uint64_t> last_round(kFiles, 0);
  auto churner = [&](int t) {
    const std::string path = dir.file("f" + std::to_string(t));
    std::uint64_t round = 0;
    while (!stop.load(std::memory_order_relaxed) && !log.failed()) {
      auto f = p->file_create();
      if (auto ec = f->open(path, open_flags::create, 0, kPageSize)) {
        log.fail(fail_msg() << "open " << path << ": " << describe(ec));
        return;
      }
      ++round;
      for (pgno_t pg = 0; pg < kPages; ++pg) {
        pgno_t n = pg;
        void* page = nullptr;
        if (auto ec = f->get(&n, get_flags::create | get_flags::dirty, &page)) {
          log.fail(fail_msg() << "get " << pg << " of " << path << ": " << describe(ec));
          return;
        }
        stamp_page(page, kPageSize, pg, round);
        if (auto ec = f->put(page)) log.fail(fail_msg() << "put: " << describe(ec));
      }
      if (auto ec = f->close()) log.fail(fail_msg() << "close: " << describe(ec));
      last_round[t] = round;
      rounds.fetch_add(1, std::memory_order_relaxed);
    }
  };
  auto syncer = [&] {
    while (!stop.load(std::memory_order_relaxed) && !log.failed()) {
      auto ec = p->sync();
      if (ec && ec != errc::incomplete) log.fail(fail_msg() << "sync: " << describe(ec));
      syncs.fetch_add(1, std::memory_order_relaxed);
    }
  };
  std::vector<std::thread> team;
  for (int t = 0; t < kFiles; ++t) team.emplace_back(churner, t);
  team.emplace_back(syncer);
  const auto budget = phase_budget();
  const auto t0 = clock_type::now();
  while (ms_since(t0) < budget.count() && !log.failed())
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop.store(true);
  for (auto& t : team) t.join();
  ASSERT_FALSE(log.failed()) << log.report();
  EXPECT_GT(rounds.load(), 10u);
  EXPECT_GT(syncs.load(), 10u);
  ASSERT_FALSE(p->sync());
  for (int t = 0; t < kFiles; ++t) {
    const std::vector<std::uint64_t> want(kPages, last_round[t]);
    EXPECT_EQ(check_disk(dir.file("f" + std::to_string(t)), kPageSize, want), "") << "seed " << seed;
  }
}

}  // namespace
}  // namespace pagepool::conctest
