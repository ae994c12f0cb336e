// ThreadSanitizer-only tests of src/epoch/epoch_domain.hpp: "retire, then
// free after the last guard exit" is a happens-before edge.
//
// A reader writes a plain (non-atomic) field of the object it loaded under a
// guard; the deleter reads and overwrites that field, also plainly. The only
// thing that orders the two is the domain's chain of edges: guard exit (R3)
// -> the advance's scan (R5) -> the advance (R6) -> the reclaimer's load of
// the epoch (R8) -> the deleter. If any link were missing (or relaxed), TSan
// would report a data race between the reader's write and the deleter; the
// test process then exits non-zero (TSan's exitcode, or halt_on_error=1).
//
// The threads take care not to synchronize with each other in any other way
// after the reader's last write: the main thread does not join the reader,
// and takes no lock, before the deleter has run.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "epoch/epoch_domain.hpp"

namespace pagepool::internal {
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

using clock_type = std::chrono::steady_clock;

struct object {
  long field = 0;  // plain: written by readers, then by the deleter
};

std::atomic<bool> freed{false};
long seen_by_deleter = 0;  // plain: written by the deleter, read after it ran

void check_and_free(void* p) {
  auto* o = static_cast<object*>(p);
  seen_by_deleter = o->field;  // plain read: races with the reader without the edge
  o->field = -1;               // plain write: likewise
  delete o;
  freed.store(true, std::memory_order_relaxed);  // relaxed: a progress flag, orders nothing
}

/// Collects until the deleter has run (or 10 s pass).
bool collect_until_freed(epoch_domain& d) {
  const auto deadline = clock_type::now() + std::chrono::seconds(10);
  while (!freed.load(std::memory_order_relaxed)) {
    if (clock_type::now() > deadline) return false;
    d.collect();
    std::this_thread::yield();
  }
  return true;
}

TEST(EpochHappensBefore, LastWriteUnderAGuardHappensBeforeTheDeleter) {
  if (!tsan) GTEST_SKIP() << "meaningful only under ThreadSanitizer";
  epoch_domain d;
  freed = false;
  std::atomic<object*> shared{new object};
  std::atomic<bool> inside{false}, may_leave{false}, done{false};
  std::thread reader([&] {
    epoch_domain::guard g = d.enter();
    object* o = shared.load(std::memory_order_acquire);
    o->field = 1;
    inside.store(true, std::memory_order_release);
    while (!may_leave.load(std::memory_order_acquire)) std::this_thread::yield();
    // The last write: main learns of it only through the domain's edges.
    o->field = 2;
    g.reset();  // (R3)
    while (!done.load(std::memory_order_acquire)) std::this_thread::yield();
  });
  while (!inside.load(std::memory_order_acquire)) std::this_thread::yield();
  object* old = shared.exchange(nullptr, std::memory_order_acq_rel);  // unlink
  d.retire(old, check_and_free);
  d.collect();
  d.collect();
  EXPECT_FALSE(freed.load()) << "freed while the reader's guard was alive";
  may_leave.store(true, std::memory_order_release);
  EXPECT_TRUE(collect_until_freed(d));
  EXPECT_EQ(seen_by_deleter, 2);
  done.store(true, std::memory_order_release);
  reader.join();
}

TEST(EpochHappensBefore, AnExitedThreadsWritesHappenBeforeTheAdoptingDeleter) {
  if (!tsan) GTEST_SKIP() << "meaningful only under ThreadSanitizer";
  epoch_domain d;
  freed = false;
  { epoch_domain::guard g = d.enter(); }  // register now: no registry lock later
  // The thread writes the object, retires it, and exits: its batch goes to
  // the orphan list (R12) and the main thread adopts it (R13) and frees it
  // once the epoch allows (R7 -> R8). Main joins only afterwards.
  std::thread t([&] {
    auto* o = new object;
    o->field = 7;
    d.retire(o, check_and_free);
  });
  EXPECT_TRUE(collect_until_freed(d));
  EXPECT_EQ(seen_by_deleter, 7);
  t.join();
}

// Under load: readers write their own slot of whatever object they load;
// the deleter reads and poisons every slot. Any missing edge on any path
// (own list, threshold-triggered reclaim in the writer, collect) is a race.
struct multi {
  static constexpr int readers = 2;
  long slot[readers] = {};
};
std::atomic<long> multi_freed{0};
void free_multi(void* p) {
  auto* m = static_cast<multi*>(p);
  long sum = 0;
  for (long& s : m->slot) {
    sum += s;  // plain read
    s = -1;    // plain write
  }
  if (sum < 0) std::abort();  // a slot already poisoned: freed twice
  delete m;
  multi_freed.fetch_add(1, std::memory_order_relaxed);
}

TEST(EpochHappensBefore, ReadersWritesUnderLoadHappenBeforeEveryDeleter) {
  if (!tsan) GTEST_SKIP() << "meaningful only under ThreadSanitizer";
  epoch_domain d(8);  // small threshold: reclaim runs often, on the writer's thread
  multi_freed = 0;
  std::atomic<multi*> shared{new multi};
  std::atomic<bool> stop{false};
  std::atomic<long> retired{0};
  std::vector<std::thread> ts;
  ts.emplace_back([&] {
    long n = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      multi* old = shared.exchange(new multi, std::memory_order_acq_rel);
      d.retire(old, free_multi);
      ++n;
    }
    retired.store(n, std::memory_order_relaxed);
  });
  for (int r = 0; r < multi::readers; ++r)
    ts.emplace_back([&, r] {
      while (!stop.load(std::memory_order_relaxed)) {
        epoch_domain::guard g = d.enter();
        multi* m = shared.load(std::memory_order_acquire);
        ++m->slot[r];  // plain read-modify-write of this reader's slot
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  for (auto& t : ts) t.join();
  d.collect();
  EXPECT_GT(retired.load(), 0);
  EXPECT_EQ(multi_freed.load(), retired.load());
  delete shared.load();
}

}  // namespace
}  // namespace pagepool::internal
