// BP-Wrapper as issue 12 asks for it (core/policy_host.cpp): recording a hit
// of a batched_hits policy (LRU, ARC) never waits for the region's policy
// latch. A helper thread holds region 0's latch while the test thread makes
// 64 hits on one page, which fill its hit buffer; the flush finds the latch
// held and drops them instead of waiting. The oracle is LRU itself: with the
// hits dropped, the hit page is still the least recently used one and the
// next miss evicts it; with the hits applied (the same run, latch free), it
// is the most recently used one and survives. Should the flush wait, the
// test thread would block until the helper gives up its hold (after 10 s)
// and the test fails on the order of events, not on a time.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "core/pool_impl.hpp"
#include "pagepool/pagepool.hpp"

namespace pagepool {
namespace {

constexpr std::size_t kPs = 512;
constexpr int kFrames = 8;

struct rig {
  std::unique_ptr<pool> p;
  std::unique_ptr<file> f;
  rig() {
    pool_options o;
    o.cache_frames = kFrames;
    o.frame_size = kPs;
    o.policy = policy_kind::lru;
    o.io = make_memory_io(kPs);
    EXPECT_FALSE(pool::create(o, p));
    f = p->file_create();
    EXPECT_FALSE(f->open("/hits/data", open_flags::create, 0600, kPs));
  }
  void touch(pgno_t pg) {
    void* page = nullptr;
    ASSERT_FALSE(f->get(&pg, get_flags::create, &page));
    ASSERT_FALSE(f->put(page));
  }
  std::uint64_t hits() { return p->stats().cache_hit; }
};

// Pages 0..7 fill the frames (page 0 least recently used); 64 hits on page
// 0, with region 0's latch held by another thread or not; then a miss on
// page 8; then a get of page 0: whether that missed says which page page 8
// evicted.
bool page0_evicted(bool latch_held, bool& hits_waited, std::uint64_t& dropped) {
  rig r;
  for (pgno_t pg = 0; pg < kFrames; ++pg) r.touch(pg);
  internal::policy_latch& latch = r.p->impl().policy_latch_of(0);
  std::atomic<int> phase{0};  // 1: latch held; 2: the hits are done
  std::atomic<bool> released_by_timeout{false};
  std::thread holder;
  if (latch_held) {
    holder = std::thread([&] {
      std::lock_guard g(latch);
      phase.store(1, std::memory_order_release);  // release: pairs with the wait below
      for (int i = 0; i < 10000 && phase.load(std::memory_order_acquire) != 2; ++i)  // acquire: see below
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (phase.load(std::memory_order_acquire) != 2) released_by_timeout.store(true, std::memory_order_relaxed);
    });
    while (phase.load(std::memory_order_acquire) != 1) std::this_thread::yield();  // acquire: see above
  }
  for (int i = 0; i < 64; ++i) r.touch(0);
  // relaxed: read before this thread says it is done; set only after 10 s.
  hits_waited = released_by_timeout.load(std::memory_order_relaxed);
  phase.store(2, std::memory_order_release);  // release: the holder may let go
  if (holder.joinable()) holder.join();
  dropped = r.p->stats().policy_hits_dropped;
  r.touch(kFrames);  // a miss: evicts the least recently used page
  const std::uint64_t before = r.hits();
  r.touch(0);
  return r.hits() == before;  // page 0 missed: it was the victim
}

TEST(HitNeverWaits, ContendedFullHitBufferIsDroppedNotWaitedFor) {
  bool waited = false;
  std::uint64_t dropped = 0;
  EXPECT_FALSE(page0_evicted(false, waited, dropped)) << "applied hits make page 0 the most recently used";
  EXPECT_EQ(dropped, 0u) << "hits counted as dropped while the latch was free";
  EXPECT_TRUE(page0_evicted(true, waited, dropped)) << "the hits made while the latch was held were not dropped";
  EXPECT_FALSE(waited) << "recording a hit waited for the policy latch";
  // The 64 hits filled the thread's buffer (64 entries) once; its try-lock
  // found the latch held and dropped them all (pool_stats::policy_hits_dropped).
  EXPECT_EQ(dropped, 64u) << "pool_stats::policy_hits_dropped";
}

}  // namespace
}  // namespace pagepool
