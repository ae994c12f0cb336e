// tests/concurrency/pinned_never_evicted_test.cpp: pins hold under eviction.
//
// Invariant 2: a pinned frame is never evicted, recycled or moved; its address
// stays valid until the matching put. One thread pins K = 8 pages of a 512-page
// file (some clean, some dirty, some through page_handle) in a pool of 32
// frames in 2 regions, and keeps them pinned while three churn threads cycle
// through the other pages, dirtying half of what they get, so that eviction
// (with write-back) never stops. The pinning thread keeps checking that its
// pages hold what it last wrote, that a second get of a pinned page returns the
// same address, and it modifies its pages in place (marking them dirty with
// set()) while they stay pinned. At the end the pinned pages still hold their
// last contents at their original addresses; after they are put and the pool
// synced, the file holds every page's last version (invariant 3).

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "concurrency/concurrency_support.hpp"

namespace pagepool::conctest {
namespace {

constexpr std::size_t kPages = 512;
constexpr std::size_t kPageSize = 1024;
constexpr std::size_t kFrames = 32;
constexpr unsigned kRegions = 2;
constexpr std::size_t kPinned = 8;  // at most 8 + 3 churn pins in one 16-frame region
constexpr std::size_t kChurners = 3;
constexpr std::uint64_t kDiskVersion = 1;

struct pinned_page {
  pgno_t pgno = 0;
  void* addr = nullptr;  // from get (raw) or h.data()
  page_handle h;         // set for the page_handle-pinned ones
  bool via_handle = false;
};

TEST(PinnedNeverEvicted, PinnedPagesKeepAddressAndContentsUnderChurn) {
  const std::uint32_t seed = test_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  failure_log log(seed);
  temp_dir dir;
  const std::string path = dir.file("pinned.db");
  write_stamp_file(path, kPages, kPageSize, kDiskVersion);
  ASSERT_FALSE(HasFatalFailure());

  auto pool = make_pool(kFrames, kPageSize, kRegions);
  ASSERT_NE(pool, nullptr);
  auto f = open_rw(*pool, path, kPageSize);
  ASSERT_NE(f, nullptr);

  // The oracle: the version each page should hold. A pinned page's entry is
  // written only by the pinner, a churned page's only by its churner.
  std::vector<std::uint64_t> oracle(kPages, kDiskVersion);
  std::mt19937 setup_rng(seed);
  std::set<pgno_t> pinned_set;
  while (pinned_set.size() < kPinned) pinned_set.insert(static_cast<pgno_t>(setup_rng() % kPages));
  std::vector<std::vector<pgno_t>> churn_pages(kChurners);
  {
    std::size_t i = 0;
    for (pgno_t p = 0; p < kPages; ++p)
      if (pinned_set.count(p) == 0) churn_pages[i++ % kChurners].push_back(p);
  }

  std::barrier<> start(static_cast<std::ptrdiff_t>(kChurners + 1));
  std::atomic<std::size_t> churners_left{kChurners};
  std::atomic<std::uint64_t> churn_ops{0};
  std::atomic<std::uint64_t> pinner_checks{0};
  std::vector<pinned_page> pins(kPinned);

  auto pinner = [&] {
    std::mt19937 rng(seed ^ 0xA5A5A5A5u);
    std::size_t i = 0;
    for (pgno_t pg : pinned_set) {
      pinned_page& pp = pins[i];
      pp.pgno = pg;
      pgno_t n = pg;
      std::error_code ec;
      if (i % 3 == 0) {  // page_handle, dirty
        ec = f->get(n, get_flags::dirty, pp.h);
        pp.via_handle = true;
        pp.addr = pp.h.data();
      } else {  // raw pointer: even ones dirty at get, odd ones clean
        ec = f->get(&n, i % 2 == 0 ? get_flags::dirty : get_flags::none, &pp.addr);
      }
      if (ec) {
        log.fail(fail_msg() << "pinner get page " << pg << ": " << describe(ec));
        pp.addr = nullptr;
      } else if (auto m = stamp_mismatch(pp.addr, kPageSize, pg, oracle[pg]); !m.empty()) {
        log.fail(fail_msg() << "pinner first read: " << m);
      } else if (i % 2 == 0) {
        stamp_page(pp.addr, kPageSize, pg, ++oracle[pg]);
      }
      ++i;
    }
    start.arrive_and_wait();

    // While the churn runs: check, re-get, modify in place.
    std::uint64_t round = 0;
    while (churners_left.load(std::memory_order_acquire) != 0 && !log.failed()) {
      for (auto& pp : pins) {
        if (pp.addr == nullptr) continue;
        if (auto m = stamp_mismatch(pp.addr, kPageSize, pp.pgno, oracle[pp.pgno]); !m.empty()) {
          log.fail(fail_msg() << "pinned page changed under its pin (round " << round << "): " << m);
          continue;
        }
        // A second pin of a pinned page is a hit on the same frame.
        void* again = nullptr;
        pgno_t n = pp.pgno;
        if (auto ec = f->get(&n, get_flags::none, &again)) {
          log.fail(fail_msg() << "second get of pinned page " << pp.pgno << ": " << describe(ec));
        } else {
          if (again != pp.addr)
            log.fail(fail_msg() << "pinned page " << pp.pgno << " pinned at " << pp.addr
                                << " was got again at " << again);
          if (auto pec = f->put(again))
            log.fail(fail_msg() << "put of second pin of page " << pp.pgno << ": " << describe(pec));
        }
        // Now and then, write the next version in place and mark it dirty
        // without unpinning.
        if (rng() % 4 == 0) {
          stamp_page(pp.addr, kPageSize, pp.pgno, ++oracle[pp.pgno]);
          std::error_code ec = pp.via_handle ? pp.h.set(put_flags::dirty)
                                             : f->set(pp.addr, put_flags::dirty);
          if (ec) log.fail(fail_msg() << "set(dirty) on pinned page " << pp.pgno << ": " << describe(ec));
        }
      }
      pinner_checks.fetch_add(1, std::memory_order_relaxed);
      ++round;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  };

  const std::size_t ops = scaled(15000);
  const auto budget = phase_budget();
  auto churner = [&](std::size_t id) {
    std::mt19937 rng(seed + 104729u * static_cast<std::uint32_t>(id + 1));
    const auto& mine = churn_pages[id];
    start.arrive_and_wait();
    const auto deadline = clock_type::now() + budget;
    for (std::size_t i = 0; i < ops && !log.failed(); ++i) {
      if ((i & 31u) == 0 && clock_type::now() > deadline) break;
      const pgno_t pg = mine[rng() % mine.size()];
      const bool write = rng() % 2 == 0;
      void* page = nullptr;
      pgno_t n = pg;
      if (auto ec = f->get(&n, write ? get_flags::dirty : get_flags::none, &page)) {
        log.fail(fail_msg() << "churner " << id << " get page " << pg << ": " << describe(ec));
        continue;
      }
      for (const auto& pp : pins)
        if (pp.addr == page)
          log.fail(fail_msg() << "churner " << id << " got page " << pg
                              << " in the frame of pinned page " << pp.pgno << " (" << page << ")");
      if (auto m = stamp_mismatch(page, kPageSize, pg, oracle[pg]); !m.empty())
        log.fail(fail_msg() << "churner " << id << ": " << m);
      else if (write)
        stamp_page(page, kPageSize, pg, ++oracle[pg]);
      if (auto ec = f->put(page, rng() % 8 == 0 ? priority::very_low : priority::unchanged))
        log.fail(fail_msg() << "churner " << id << " put page " << pg << ": " << describe(ec));
      churn_ops.fetch_add(1, std::memory_order_relaxed);
    }
    churners_left.fetch_sub(1, std::memory_order_release);
  };

  std::vector<std::thread> threads;
  threads.emplace_back(pinner);
  for (std::size_t c = 0; c < kChurners; ++c) threads.emplace_back(churner, c);
  for (auto& t : threads) t.join();

  // The pins are still held: contents and addresses as last left.
  std::set<void*> addrs;
  for (auto& pp : pins) {
    ASSERT_NE(pp.addr, nullptr) << log.report();
    addrs.insert(pp.addr);
    if (pp.via_handle) {
      EXPECT_EQ(pp.h.data(), pp.addr);
    }
    auto m = stamp_mismatch(pp.addr, kPageSize, pp.pgno, oracle[pp.pgno]);
    EXPECT_TRUE(m.empty()) << "after the churn: " << m << "; seed " << seed;
  }
  EXPECT_EQ(addrs.size(), kPinned) << "two pinned pages share a frame";
  EXPECT_FALSE(log.failed()) << log.report();

  pool_stats st = pool->stats();
  EXPECT_GT(st.ro_evict + st.rw_evict, kFrames)
      << "the churn did not evict: the test proved nothing (seed " << seed << ")";
  EXPECT_GT(pinner_checks.load(), 0u);

  // A sync while the dirty pages are pinned cannot write them: incomplete.
  std::error_code ec = pool->sync();
  EXPECT_EQ(ec, make_error_code(errc::incomplete))
      << "sync with pinned dirty pages returned " << describe(ec);

  // Unpin; everything must reach the file.
  for (auto& pp : pins) {
    if (pp.via_handle) {
      EXPECT_FALSE(pp.h.release(priority::unchanged, put_flags::dirty));
    } else {
      EXPECT_FALSE(f->put(pp.addr, priority::unchanged, put_flags::dirty));
    }
  }
  ec = pool->sync();
  ASSERT_FALSE(ec) << "sync with nothing pinned: " << describe(ec);
  std::string disk = check_disk(path, kPageSize, oracle);
  EXPECT_TRUE(disk.empty()) << "file after sync differs from the oracle (seed " << seed << "):" << disk;
  RecordProperty("churn_ops", std::to_string(churn_ops.load()));
  EXPECT_FALSE(f->close());
  f.reset();
  EXPECT_FALSE(pool->close());
}

}  // namespace
}  // namespace pagepool::conctest
