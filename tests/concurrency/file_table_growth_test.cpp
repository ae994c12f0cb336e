// tests/concurrency/file_table_growth_test.cpp: the file table grows while
// pages are read and written (issue 13, part 4).
//
// Churner threads open new files (each stamped on page 0 with its own id),
// keep a window of them open, check and close the oldest, and now and then
// open again a file they closed long ago (found through the table's index,
// its page from the cache or the file). The table starts at its smallest
// chunk, so it grows under them. Worker threads meanwhile get and put pages
// of files of their own, each page checked against the last stamp the
// thread wrote. A syncer syncs (a full reap) and reads the statistics (a walk
// of every slot) throughout. Files live in make_memory_io(): thousands of
// opens cost no disk.

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "concurrency/concurrency_support.hpp"
#include "core/pool_impl.hpp"

namespace pagepool::conctest {
namespace {

constexpr std::size_t kPs = 512;
constexpr pgno_t kWorkerPages = 16;
constexpr std::size_t kWindow = 48;

std::uint64_t read_stamp(const void* page) {
  std::uint64_t v;
  std::memcpy(&v, page, sizeof v);
  return v;
}

void write_stamp(void* page, std::uint64_t v) {
  std::memcpy(page, &v, sizeof v);
  std::memset(static_cast<std::byte*>(page) + sizeof v, static_cast<int>(v & 0xFF), kPs - sizeof v);
}

bool stamp_whole(const void* page, std::uint64_t v) {
  if (read_stamp(page) != v) return false;
  const auto* b = static_cast<const std::uint8_t*>(page);
  for (std::size_t i = sizeof v; i < kPs; ++i)
    if (b[i] != static_cast<std::uint8_t>(v & 0xFF)) return false;
  return true;
}

TEST(FileTableGrowth, OpensAndClosesRaceGetsAndPutsWithAnOracle) {
  const std::uint32_t seed = test_seed();
  failure_log log(seed);
  pool_options o;
  o.cache_frames = 256;
  o.frame_size = kPs;
  o.max_files = 0;  // the smallest first chunk: the table grows during the run
  o.max_open_fd = 16;
  o.io = make_memory_io(kPs);
  std::unique_ptr<pool> p;
  ASSERT_FALSE(pool::create(o, p));
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> opened{0}, reopened{0}, worker_ops{0}, syncs{0};

  auto churner = [&](unsigned t) {
    std::mt19937 rng(seed + t);
    std::deque<std::pair<std::uint64_t, std::unique_ptr<file>>> window;
    auto name = [t](std::uint64_t n) { return "/churn/c" + std::to_string(t) + "/" + std::to_string(n); };
    auto stamp_of = [t](std::uint64_t n) { return (std::uint64_t{t + 1} << 40) | n; };
    auto check_page0 = [&](file& f, std::uint64_t n, const char* what) {
      void* page = nullptr;
      pgno_t pg = 0;
      if (auto ec = f.get(&pg, get_flags::none, &page)) {
        log.fail(fail_msg() << what << " get " << name(n) << ": " << describe(ec));
        return;
      }
      if (!stamp_whole(page, stamp_of(n)))
        log.fail(fail_msg() << what << " " << name(n) << ": stamp " << read_stamp(page) << ", want "
                            << stamp_of(n));
      (void)f.put(page);
    };
    std::uint64_t next = 0;
    while (!stop.load(std::memory_order_relaxed) && !log.failed()) {
      const std::uint64_t n = next++;
      auto f = p->file_create();
      if (auto ec = f->open(name(n), open_flags::create, 0, kPs)) {
        log.fail(fail_msg() << "open " << name(n) << ": " << describe(ec));
        return;
      }
      void* page = nullptr;
      pgno_t pg = 0;
      if (auto ec = f->get(&pg, get_flags::create, &page)) {
        log.fail(fail_msg() << "get new " << name(n) << ": " << describe(ec));
        return;
      }
      write_stamp(page, stamp_of(n));
      (void)f->put(page, priority::unchanged, put_flags::dirty);
      opened.fetch_add(1, std::memory_order_relaxed);
      window.emplace_back(n, std::move(f));
      if (window.size() > kWindow) {
        auto& [m, g] = window.front();
        check_page0(*g, m, "window");
        if (auto ec = g->close()) log.fail(fail_msg() << "close " << name(m) << ": " << describe(ec));
        window.pop_front();
      }
      if (n > 2 * kWindow && rng() % 8 == 0) {
        const std::uint64_t m = rng() % (n - kWindow - 1);  // closed by now
        auto g = p->file_create();
        if (auto ec = g->open(name(m), open_flags::none, 0, kPs)) {
          log.fail(fail_msg() << "reopen " << name(m) << ": " << describe(ec));
          return;
        }
        check_page0(*g, m, "reopened");
        if (auto ec = g->close()) log.fail(fail_msg() << "close " << name(m) << ": " << describe(ec));
        reopened.fetch_add(1, std::memory_order_relaxed);
      }
    }
    for (auto& [m, g] : window) (void)g->close();
  };

  auto worker = [&](unsigned t) {
    std::mt19937 rng(seed * 31 + t);
    auto f = open_rw(*p, "/stable/w" + std::to_string(t), kPs);
    if (!f) {
      log.fail("worker open");
      return;
    }
    std::vector<std::uint64_t> oracle(kWorkerPages, 0);  // 0: never written (a zero page)
    std::uint64_t stamp = std::uint64_t{t + 1} << 48;
    while (!stop.load(std::memory_order_relaxed) && !log.failed()) {
      pgno_t pg = rng() % kWorkerPages;
      void* page = nullptr;
      if (auto ec = f->get(&pg, get_flags::create, &page)) {
        log.fail(fail_msg() << "worker " << t << " get " << pg << ": " << describe(ec));
        return;
      }
      const bool ok = oracle[pg] == 0 ? read_stamp(page) == 0 : stamp_whole(page, oracle[pg]);
      if (!ok)
        log.fail(fail_msg() << "worker " << t << " page " << pg << ": stamp " << read_stamp(page)
                            << ", want " << oracle[pg]);
      oracle[pg] = ++stamp;
      write_stamp(page, oracle[pg]);
      (void)f->put(page, priority::unchanged, put_flags::dirty);
      worker_ops.fetch_add(1, std::memory_order_relaxed);
    }
    (void)f->close();
  };

  auto syncer = [&] {
    while (!stop.load(std::memory_order_relaxed) && !log.failed()) {
      // DB_INCOMPLETE: a page pinned by a thread at that moment.
      if (auto ec = p->sync(); ec && ec != make_error_code(errc::incomplete))
        log.fail(fail_msg() << "sync: " << describe(ec));
      (void)p->stats();  // walks every slot while the table grows
      syncs.fetch_add(1, std::memory_order_relaxed);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };

  std::vector<std::thread> ts;
  for (unsigned t = 0; t < 2; ++t) ts.emplace_back(churner, t);
  for (unsigned t = 0; t < 2; ++t) ts.emplace_back(worker, t);
  ts.emplace_back(syncer);
  std::this_thread::sleep_for(phase_budget());
  stop.store(true, std::memory_order_relaxed);
  for (auto& th : ts) th.join();

  EXPECT_FALSE(log.failed()) << log.report();
  // Every handle closed: a sync (after its writes) keeps set_mp_max_openfd's
  // bound exactly; between closes write-backs may reopen a few.
  EXPECT_FALSE(p->sync());
  EXPECT_LE(p->stats().open_fds, 16u);
  EXPECT_GT(opened.load(), 2 * kWindow) << "seed " << seed;
  EXPECT_GT(worker_ops.load(), 0u);
  EXPECT_GT(syncs.load(), 0u);
  EXPECT_GT(p->impl().file_slots(), 64u) << "the table did not grow";
  EXPECT_FALSE(p->close());
}

}  // namespace
}  // namespace pagepool::conctest
