// tests/concurrency/page_io_swap_test.cpp: page-in/out functions and the log
// flush replaced while other threads read and write pages through them.
//
// A replaced function is freed through the pool's epoch domain only after
// every thread that may still be running it has left its guard. Each
// registered function owns a canary that its destructor kills; a call that
// finds its canary dead (or, under AddressSanitizer, touches freed memory)
// means a function was freed while in use. The page-out function encodes a
// page (XOR with a key) and the page-in function decodes it, so a page that
// went out through one function object and came back through another is still
// checked exactly: three worker threads own pages by pgno % 3 and check the
// version stamp they last wrote on every get, under constant eviction.

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "concurrency/concurrency_support.hpp"

namespace pagepool::conctest {
namespace {

constexpr std::size_t kThreads = 3;
constexpr std::size_t kPages = 96;
constexpr std::size_t kPageSize = 1024;
constexpr std::uint8_t kKey = 0x5A;

struct canary {
  std::atomic<bool> alive{true};
};

/// A page-in/out function that XORs the page with kKey and checks its canary.
struct xor_codec {
  std::shared_ptr<canary> c;
  std::atomic<std::uint64_t>* dead_calls;
  xor_codec(std::atomic<std::uint64_t>* dead) : c(std::make_shared<canary>()), dead_calls(dead) {}
  xor_codec(const xor_codec&) = default;
  ~xor_codec() {
    if (c.use_count() == 1) c->alive.store(false);
  }
  int operator()(pgno_t, void* page, std::span<const std::byte>) const {
    if (!c->alive.load()) dead_calls->fetch_add(1);
    auto* b = static_cast<std::uint8_t*>(page);
    for (std::size_t i = 0; i < kPageSize; ++i) b[i] ^= kKey;
    return 0;
  }
};

TEST(PageIoSwap, FunctionsReplacedWhileInUseAreNeverFreedUnderACaller) {
  const std::uint32_t seed = test_seed();
  failure_log log(seed);
  temp_dir dir;
  const std::string path = dir.file("swap");
  pool_options o;
  o.cache_frames = 12;
  o.frame_size = kPageSize;
  o.regions = 2;
  std::unique_ptr<pool> p;
  ASSERT_FALSE(pool::create(o, p));
  std::atomic<std::uint64_t> dead_calls{0}, swaps{0}, ops{0};
  ASSERT_FALSE(p->register_page_io(3, xor_codec(&dead_calls), xor_codec(&dead_calls)));
  auto f = p->file_create();
  ASSERT_TRUE(f);
  ASSERT_FALSE(f->set_ftype(3));
  ASSERT_FALSE(f->set_lsn_offset(0));  // so that every write calls the log flush too
  ASSERT_FALSE(f->open(path, open_flags::create, 0, kPageSize));
  // Version-0 pages are all zeros on the page and XOR-encoded on disk: make
  // every page exist (page-out encodes it) before the workers start.
  for (pgno_t pg = 0; pg < kPages; ++pg) {
    pgno_t n = pg;
    void* page = nullptr;
    ASSERT_FALSE(f->get(&n, get_flags::create | get_flags::dirty, &page));
    stamp_page(page, kPageSize, pg, 0);  // page-in ran on the made page: zero it again
    ASSERT_FALSE(f->put(page));
  }
  ASSERT_FALSE(p->sync());

  std::vector<std::vector<std::uint64_t>> oracle(kThreads, std::vector<std::uint64_t>(kPages, 0));
  std::atomic<bool> stop{false};
  auto worker = [&](std::size_t tid) {
    std::mt19937 rng(seed + static_cast<std::uint32_t>(tid));
    auto& mine = oracle[tid];
    while (!stop.load(std::memory_order_relaxed) && !log.failed()) {
      if (!owned_stamp_step(*f, tid, kThreads, kPages, kPageSize, mine, rng, log)) return;
      ops.fetch_add(1, std::memory_order_relaxed);
    }
  };
  auto swapper = [&] {
    while (!stop.load(std::memory_order_relaxed) && !log.failed()) {
      if (auto ec = p->register_page_io(3, xor_codec(&dead_calls), xor_codec(&dead_calls))) {
        log.fail(fail_msg() << "register_page_io: " << describe(ec));
        return;
      }
      auto c = std::make_shared<canary>();
      p->set_log_flush([c, &dead_calls](const lsn&) {
        if (!c->alive.load()) dead_calls.fetch_add(1);
        return 0;
      });
      swaps.fetch_add(1, std::memory_order_relaxed);
      std::this_thread::yield();
    }
  };
  std::vector<std::thread> team;
  for (std::size_t t = 0; t < kThreads; ++t) team.emplace_back(worker, t);
  team.emplace_back(swapper);
  const auto budget = phase_budget();
  const auto t0 = clock_type::now();
  while (ms_since(t0) < budget.count() && !log.failed() && ops.load() < scaled(100000))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop.store(true);
  for (auto& t : team) t.join();
  ASSERT_FALSE(log.failed()) << log.report();
  EXPECT_EQ(dead_calls.load(), 0u) << "a function ran after it was freed";
  EXPECT_GT(swaps.load(), 10u);
  EXPECT_GT(ops.load(), 100u);
  ASSERT_FALSE(p->sync());
  // Read back through the pool after dropping every cached page.
  ASSERT_FALSE(f->close());
  f = p->file_create();
  ASSERT_TRUE(f);
  ASSERT_FALSE(f->set_ftype(3));
  ASSERT_FALSE(f->open(path, open_flags::none, 0, kPageSize));
  for (pgno_t pg = 0; pg < kPages; ++pg) {
    pgno_t n = pg;
    void* page = nullptr;
    ASSERT_FALSE(f->get(&n, get_flags::none, &page));
    const auto v = stamp_version(page, kPageSize, pg);
    EXPECT_TRUE(v && *v == oracle[pg % kThreads][pg]) << "page " << pg << " seed " << seed;
    ASSERT_FALSE(f->put(page));
  }
  ASSERT_FALSE(f->close());
}

}  // namespace
}  // namespace pagepool::conctest
