// ThreadSanitizer-only test of the frame protocol: "unpin, then frame reuse"
// is a happens-before edge.
//
// A pool with one frame. Thread A pins page 0, writes its bytes plainly, and
// puts it. Thread B, told through a relaxed flag (which orders nothing), gets
// page 1: the only frame is reused, so B's eviction copies page 0's bytes
// (when dirty) and then clears the frame for page 1, both plain accesses to
// the memory A wrote. Only the unpin (P2, release) -> claim (E1, acquire)
// edge orders them; were it missing, TSan would report a race and the test
// process would fail (halt_on_error=1 in CI). B then checks the bytes that
// reached the file through the pool: the file holds what A wrote.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>

#include "pagepool/pagepool.hpp"
#include "support/temp_dir.hpp"

namespace pagepool {
namespace {

#if defined(__SANITIZE_THREAD__)
constexpr bool tsan = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool tsan = true;
#else
constexpr bool tsan = false;
#endif
#else
constexpr bool tsan = false;
#endif

constexpr std::size_t kPage = 1024;

void run(bool dirty) {
  test::temp_dir d;
  pool_options o;
  o.cache_frames = 1;
  o.frame_size = kPage;
  std::unique_ptr<pool> p;
  ASSERT_FALSE(pool::create(o, p));
  auto f = p->file_create();
  ASSERT_TRUE(f);
  ASSERT_FALSE(f->open(d.file("reuse"), open_flags::create, 0, kPage));
  // Every flag is relaxed: the threads order nothing between themselves. A
  // stays alive until B is done, and B registers with the pool's per-thread
  // counters before A writes, so that neither a thread's exit nor its first
  // registration (both take a mutex) can order A's writes before B's reads.
  std::atomic<bool> b_ready{false}, go{false}, done{false};
  std::atomic<int> failures{0};
  std::thread a([&] {
    while (!b_ready.load(std::memory_order_relaxed)) std::this_thread::yield();
    pgno_t n = 0;
    void* page = nullptr;
    if (f->get(&n, get_flags::create | (dirty ? get_flags::dirty : get_flags::none), &page)) {
      failures.fetch_add(1);
    } else {
      // Plain writes. The size is not a constant, so that the compiler calls
      // memset (which TSan intercepts) instead of expanding it inline.
      std::memset(page, 0xAB, f->page_size());
      if (f->put(page)) failures.fetch_add(1);
    }
    go.store(true, std::memory_order_relaxed);
    while (!done.load(std::memory_order_relaxed)) std::this_thread::yield();
  });
  std::thread b([&] {
    pgno_t n = 2;
    void* page = nullptr;
    if (f->get(&n, get_flags::create, &page) || f->put(page)) failures.fetch_add(1);  // warm-up
    b_ready.store(true, std::memory_order_relaxed);
    while (!go.load(std::memory_order_relaxed)) std::this_thread::yield();
    n = 1;
    // Reuses the only frame: evicts page 0 (writing it when dirty), clears it.
    if (f->get(&n, get_flags::create, &page) || f->put(page)) failures.fetch_add(1);
    if (dirty) {
      n = 0;
      if (f->get(&n, get_flags::none, &page)) {
        failures.fetch_add(1);
      } else {
        if (static_cast<unsigned char*>(page)[kPage - 1] != 0xAB) failures.fetch_add(1);
        if (f->put(page)) failures.fetch_add(1);
      }
    }
    done.store(true, std::memory_order_relaxed);
  });
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(p->stats().ro_evict + p->stats().rw_evict, 1u);
  ASSERT_FALSE(f->close());
}

TEST(FrameHappensBefore, UnpinOfADirtyPageHappensBeforeItsWriteBackAndReuse) {
  if (!tsan) GTEST_SKIP() << "only meaningful under ThreadSanitizer";
  for (int i = 0; i < 50; ++i) run(true);
}

TEST(FrameHappensBefore, UnpinOfACleanPageHappensBeforeItsFrameIsCleared) {
  if (!tsan) GTEST_SKIP() << "only meaningful under ThreadSanitizer";
  for (int i = 0; i < 50; ++i) run(false);
}

}  // namespace
}  // namespace pagepool
