// port/br_latch.hpp: a big-reader latch's shared holds write no shared
// line; these tests check that it still excludes. A writer that changes the
// guarded value never does so while a reader holds the latch shared, with
// nested holds, holds of several latches at once, and more holds than a
// thread has fast entries (the slow path); and readers see a writer's change
// once it let go. The oracle: each reader reads the guarded value at the
// start and end of its hold (they must agree, and never be the writer's
// transient "closed" value -1), and a reader that starts after a writer
// returned sees at least that writer's value.
#include "port/br_latch.hpp"

#include <array>
#include <chrono>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace pagepool::internal {
namespace {

struct guarded {
  br_latch mu;
  // Plain: every access is under mu (ThreadSanitizer checks that claim).
  std::int64_t value = 0;
};

constexpr int latches = 5;  // one more than a thread's fast entries

TEST(BrLatch, WritersNeverChangeTheValueUnderAReader) {
  std::array<guarded, latches> g;
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> published{0};  // the last round the writer finished on g[0]
  std::atomic<std::uint64_t> bad{0}, reads{0};
  std::vector<std::thread> team;
  for (int t = 0; t < 3; ++t) {
    team.emplace_back([&, t] {
      // relaxed: only ends the loop.
      while (!stop.load(std::memory_order_relaxed)) {
        // acquire: pairs with the writer's release; the hold must see at
        // least that round.
        const std::int64_t floor = published.load(std::memory_order_acquire);
        // t0: g[0], nested in itself; t1: g[0] and g[1]; t2: all five, the
        // fifth past the thread's fast entries.
        const int n = t == 0 ? 1 : (t == 1 ? 2 : latches);
        std::vector<std::shared_lock<br_latch>> held;
        std::array<std::int64_t, latches> seen{};
        for (int i = 0; i < n; ++i) {
          held.emplace_back(g[i].mu);
          seen[i] = g[i].value;
          if (seen[i] < 0) bad.fetch_add(1, std::memory_order_relaxed);
        }
        if (seen[0] < floor) bad.fetch_add(1, std::memory_order_relaxed);
        if (t == 0) {
          std::shared_lock inner(g[0].mu);
          if (g[0].value != seen[0]) bad.fetch_add(1, std::memory_order_relaxed);
        }
        for (int k = 0; k < 20; ++k) std::this_thread::yield();
        for (int i = 0; i < n; ++i)
          if (g[i].value != seen[i]) bad.fetch_add(1, std::memory_order_relaxed);
        reads.fetch_add(1, std::memory_order_relaxed);  // relaxed: a count
      }
    });
  }
  std::thread writer([&] {
    // On a loaded machine the writer could finish its rounds before any
    // reader ran, and `reads > 0` fail (this test failed once in a full
    // ctest -j2 run, its output not kept, and not in 800 runs since; that is
    // the one failure timing alone can cause): it starts after three reads.
    while (reads.load(std::memory_order_relaxed) < 3) std::this_thread::yield();
    for (std::int64_t round = 1; round <= 200; ++round) {
      for (int i = latches - 1; i >= 0; --i) {
        std::unique_lock lk(g[i].mu);
        g[i].value = -1;  // "closed": no reader may ever see it
        std::this_thread::yield();
        g[i].value = round;
      }
      // release: see the readers' acquire.
      published.store(round, std::memory_order_release);
    }
  });
  writer.join();
  stop.store(true, std::memory_order_relaxed);  // relaxed: see the readers
  for (auto& th : team) th.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
  for (auto& x : g) {
    std::shared_lock lk(x.mu);
    EXPECT_EQ(x.value, 200);
  }
}

TEST(BrLatch, AWriterWaitsForTheSharedHold) {
  guarded g;
  std::atomic<int> phase{0};
  // The reader holds the latch for 20 ms of sleep, one scheduling event,
  // after the writer has said it is about to lock. (It used to hold for 2,000
  // yields: on a loaded machine whose CPU quota runs out, each yield can cost
  // a whole quota period, and a CI run spent its 300 s timeout there.)
  std::thread reader([&] {
    std::shared_lock lk(g.mu);
    phase.store(1, std::memory_order_release);  // release: the hold is taken
    while (phase.load(std::memory_order_acquire) != 3) std::this_thread::yield();  // acquire: see below
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(g.value, 0);  // the writer is still waiting
    phase.store(2, std::memory_order_release);  // release: about to let go
  });
  while (phase.load(std::memory_order_acquire) != 1) std::this_thread::yield();  // acquire: see above
  phase.store(3, std::memory_order_release);  // release: the writer is about to lock
  {
    std::unique_lock lk(g.mu);
    EXPECT_EQ(phase.load(std::memory_order_acquire), 2);  // acquire: the reader let go first
    g.value = 7;
  }
  reader.join();
}

}  // namespace
}  // namespace pagepool::internal
