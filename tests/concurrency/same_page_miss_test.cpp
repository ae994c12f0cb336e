// tests/concurrency/same_page_miss_test.cpp: concurrent misses on one page.
//
// Invariant 6: concurrent misses on one page do one read, and all getters see
// the same frame. The file's pages are on disk and the pool is cold for them;
// eight threads, released together by a barrier, get the same page (or, in
// later rounds, 2, 4 or 8 pages, several threads per page). Every thread must
// see the page's on-disk contents; threads on one page must see one address,
// threads on different pages different addresses (invariant 1); and once the
// pool is quiescent again, page_in must have grown by exactly the number of
// distinct pages (invariant 8: quiescent statistics are exact). A second get
// of the now-resident pages must read nothing.
//
// Run twice: in a pool large enough for the whole file (pure miss path), and
// in a small one where every miss must also evict (miss + eviction path).

#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "concurrency/concurrency_support.hpp"

namespace pagepool::conctest {
namespace {

constexpr std::size_t kThreads = 8;
constexpr std::size_t kPageSize = 1024;
constexpr std::uint64_t kDiskVersion = 3;

struct miss_config {
  std::size_t frames;
  unsigned regions;
  std::size_t file_pages;
  std::vector<std::size_t> groups;  // distinct pages per round, one entry per round
};

std::uint64_t file_page_in(pool& p, const std::string& path) {
  for (const auto& fs : p.file_statistics())
    if (fs.file_name == path) return fs.page_in;
  return ~0ull;
}

void run_miss_rounds(const miss_config& cfg) {
  const std::uint32_t seed = test_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  failure_log log(seed);
  std::mt19937 rng(seed);
  temp_dir dir;
  const std::string path = dir.file("miss.db");
  write_stamp_file(path, cfg.file_pages, kPageSize, kDiskVersion);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());

  auto pool = make_pool(cfg.frames, kPageSize, cfg.regions);
  ASSERT_NE(pool, nullptr);
  auto f = open_rw(*pool, path, kPageSize, open_flags::nommap);
  ASSERT_NE(f, nullptr);

  // Each round uses pages never touched before, in a random order, so every one
  // is a cold miss. round_pages[r][t] is the page thread t gets in round r.
  std::vector<pgno_t> fresh(cfg.file_pages);
  for (std::size_t i = 0; i < fresh.size(); ++i) fresh[i] = static_cast<pgno_t>(i);
  std::shuffle(fresh.begin(), fresh.end(), rng);
  std::vector<std::vector<pgno_t>> round_pages;
  std::size_t next = 0;
  for (std::size_t k : cfg.groups) {
    ASSERT_LE(next + k, fresh.size());
    std::vector<pgno_t> per_thread(kThreads);
    for (std::size_t t = 0; t < kThreads; ++t) per_thread[t] = fresh[next + t % k];
    next += k;
    round_pages.push_back(per_thread);
  }

  std::vector<void*> addr(kThreads, nullptr);
  std::vector<void*> addr2(kThreads, nullptr);
  std::barrier<> sync_point(static_cast<std::ptrdiff_t>(kThreads + 1));

  // Workers: for each round, [A] get + check, [B] (main compares addresses) [C]
  // put, [D] (main checks page_in) [E] get again + check, [F] put, [G].
  auto worker = [&](std::size_t tid) {
    for (const auto& pages : round_pages) {
      const pgno_t pg = pages[tid];
      sync_point.arrive_and_wait();  // A: everyone starts at once
      for (int pass = 0; pass < 2; ++pass) {
        void* page = nullptr;
        pgno_t n = pg;
        if (auto ec = f->get(&n, get_flags::none, &page)) {
          log.fail(fail_msg() << "thread " << tid << " pass " << pass << " get page " << pg
                              << ": " << describe(ec));
          page = nullptr;
        } else if (auto m = stamp_mismatch(page, kPageSize, pg, kDiskVersion); !m.empty()) {
          log.fail(fail_msg() << "thread " << tid << " pass " << pass << ": " << m);
        }
        (pass == 0 ? addr : addr2)[tid] = page;
        sync_point.arrive_and_wait();  // B / E: every getter holds its pin
        sync_point.arrive_and_wait();  // C / F: main has compared addresses
        if (page != nullptr) {
          if (auto ec = f->put(page))
            log.fail(fail_msg() << "thread " << tid << " put page " << pg << ": " << describe(ec));
        }
        sync_point.arrive_and_wait();  // D / G: all put; main reads the counters
      }
    }
  };

  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) threads.emplace_back(worker, t);

  for (std::size_t r = 0; r < round_pages.size(); ++r) {
    const auto& pages = round_pages[r];
    const std::size_t k = cfg.groups[r];
    for (int pass = 0; pass < 2; ++pass) {
      const std::uint64_t in0 = pool->stats().page_in;
      const std::uint64_t fin0 = file_page_in(*pool, path);
      if (pass == 0) sync_point.arrive_and_wait();  // A
      sync_point.arrive_and_wait();                  // B / E
      const auto& a = pass == 0 ? addr : addr2;
      std::set<void*> distinct;
      for (std::size_t t = 0; t < kThreads; ++t) {
        if (a[t] == nullptr) continue;
        distinct.insert(a[t]);
        for (std::size_t u = 0; u < t; ++u) {
          if (a[u] == nullptr) continue;
          if ((pages[t] == pages[u]) != (a[t] == a[u]))
            log.fail(fail_msg() << "round " << r << " pass " << pass << ": threads " << u << " and "
                                << t << " got pages " << pages[u] << " and " << pages[t]
                                << " at addresses " << a[u] << " and " << a[t]);
        }
        if (pass == 1 && a[t] != addr[t])
          log.fail(fail_msg() << "round " << r << ": resident page " << pages[t]
                              << " moved from " << addr[t] << " to " << a[t]
                              << " between two gets with no eviction needed");
      }
      sync_point.arrive_and_wait();  // C / F
      sync_point.arrive_and_wait();  // D / G
      const std::uint64_t in1 = pool->stats().page_in;
      const std::uint64_t fin1 = file_page_in(*pool, path);
      const std::uint64_t want = pass == 0 ? k : 0;
      if (in1 - in0 != want)
        log.fail(fail_msg() << "round " << r << " pass " << pass << ": " << kThreads
                            << " concurrent gets of " << k << " page(s) did " << (in1 - in0)
                            << " reads (stats().page_in), expected " << want);
      if (fin1 - fin0 != want)
        log.fail(fail_msg() << "round " << r << " pass " << pass << ": file_statistics page_in grew by "
                            << (fin1 - fin0) << ", expected " << want);
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(log.failed()) << log.report();

  pool_stats st = pool->stats();
  std::size_t total_pages = 0;
  for (std::size_t k : cfg.groups) total_pages += k;
  EXPECT_EQ(st.page_in, total_pages) << "seed " << seed;
  EXPECT_EQ(st.page_out, 0u) << "nothing was dirtied, nothing should be written";
  EXPECT_EQ(st.page_create, 0u);
  EXPECT_FALSE(f->close());
  f.reset();
  EXPECT_FALSE(pool->close());
}

TEST(SamePageMiss, ConcurrentMissesReadOncePoolLargerThanFile) {
  miss_config cfg{128, 2, 64, {}};
  for (std::size_t k : {1, 2, 4, 8})
    for (int r = 0; r < 4; ++r) cfg.groups.push_back(k);  // 60 pages in all
  run_miss_rounds(cfg);
}

TEST(SamePageMiss, ConcurrentMissesReadOnceWhileEvicting) {
  // 32 frames, one region, 256 pages: after the first rounds every miss evicts.
  miss_config cfg{32, 1, 256, {}};
  const std::size_t rounds = std::max<std::size_t>(8, scaled(48));
  for (std::size_t r = 0; r < rounds; ++r) {
    const std::size_t k = std::size_t{1} << (r % 4);  // 1, 2, 4, 8
    cfg.groups.push_back(k);
  }
  std::size_t need = 0;
  for (std::size_t k : cfg.groups) need += k;
  if (need > cfg.file_pages) cfg.file_pages = need;
  run_miss_rounds(cfg);
}

}  // namespace
}  // namespace pagepool::conctest
