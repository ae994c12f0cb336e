// Unit tests of src/epoch/epoch_domain.hpp: when a retired object may be
// freed, nesting, record reuse at thread exit, orphaned garbage, destruction,
// several domains, bounded garbage, the out-of-memory fallback, and a reader
// oracle under load.
#include "epoch/epoch_domain.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

namespace pagepool::internal {

// White-box access (friend of epoch_domain).
struct epoch_domain_test_access {
  /// This thread's next n batch allocations fail.
  static void fail_allocations(unsigned n) { epoch_domain::failing_allocations_ = n; }
};

namespace {

/// Counts its destruction.
struct tracked {
  explicit tracked(std::atomic<int>& c) : deletions(&c) {}
  tracked(const tracked&) = delete;
  tracked& operator=(const tracked&) = delete;
  ~tracked() { deletions->fetch_add(1, std::memory_order_relaxed); }
  std::atomic<int>* deletions;
};

/// A flag one thread raises and another waits for.
class signal {
 public:
  void raise() { v_.store(true, std::memory_order_release); }
  void wait() const {
    while (!v_.load(std::memory_order_acquire)) std::this_thread::yield();
  }

 private:
  std::atomic<bool> v_{false};
};

/// A thread that enters a guard of `d`, reports that it is inside, and stays
/// there until released.
class guard_holder {
 public:
  explicit guard_holder(epoch_domain& d)
      : t_([this, &d] {
          epoch_domain::guard g = d.enter();
          inside_.raise();
          release_.wait();
        }) {
    inside_.wait();
  }
  guard_holder(const guard_holder&) = delete;
  guard_holder& operator=(const guard_holder&) = delete;
  ~guard_holder() { leave(); }
  void leave() {
    release_.raise();
    if (t_.joinable()) t_.join();
  }

 private:
  signal inside_, release_;
  std::thread t_;
};

TEST(EpochDomain, RetiredObjectOutlivesAGuardOfAnotherThreadThatBeganBeforeIt) {
  epoch_domain d;
  std::atomic<int> deleted{0};
  guard_holder reader(d);
  d.retire(new tracked(deleted));
  for (int i = 0; i < 5; ++i) {
    d.collect();
    EXPECT_EQ(deleted.load(), 0) << "freed while a guard that began before the retire was alive";
  }
  EXPECT_EQ(d.pending(), 1u);
  reader.leave();
  d.collect();
  EXPECT_EQ(deleted.load(), 1);
  EXPECT_EQ(d.pending(), 0u);
}

TEST(EpochDomain, RetiredObjectOutlivesTheRetiringThreadsOwnGuard) {
  epoch_domain d;
  std::atomic<int> deleted{0};
  {
    epoch_domain::guard g = d.enter();
    d.retire(new tracked(deleted));
    d.collect();
    d.collect();
    EXPECT_EQ(deleted.load(), 0);
  }
  d.collect();
  EXPECT_EQ(deleted.load(), 1);
}

TEST(EpochDomain, EpochAdvancesOnlyWhenEveryActiveRecordHasObservedIt) {
  epoch_domain d;
  const std::uint64_t e = d.epoch();
  guard_holder reader(d);  // active, observed e
  EXPECT_TRUE(d.try_advance());
  EXPECT_EQ(d.epoch(), e + 1);
  EXPECT_FALSE(d.try_advance()) << "advanced past a record that has not observed e+1";
  EXPECT_EQ(d.epoch(), e + 1);
  reader.leave();
  EXPECT_TRUE(d.try_advance());
  EXPECT_EQ(d.epoch(), e + 2);
}

TEST(EpochDomain, NestedGuardsCountAndOnlyTheOutermostLeaves) {
  epoch_domain d;
  std::atomic<int> deleted{0};
  epoch_domain::guard outer = d.enter();
  {
    epoch_domain::guard inner(d);
    epoch_domain::guard innermost = d.enter();
  }
  // The inner guards are gone; the outer one must still hold E back.
  d.retire(new tracked(deleted));
  d.collect();
  d.collect();
  EXPECT_EQ(deleted.load(), 0) << "leaving a nested guard ended the outer region";
  EXPECT_EQ(d.pending(), 1u);
  outer.reset();
  d.collect();
  EXPECT_EQ(deleted.load(), 1);
}

TEST(EpochDomain, GuardsMoveAndReset) {
  epoch_domain d;
  std::atomic<int> deleted{0};
  epoch_domain::guard empty;
  EXPECT_FALSE(empty);
  epoch_domain::guard a = d.enter();
  EXPECT_TRUE(a);
  epoch_domain::guard b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_TRUE(b);
  d.retire(new tracked(deleted));
  d.collect();
  EXPECT_EQ(deleted.load(), 0) << "the moved-to guard must keep the region";
  a = std::move(b);
  a.reset();
  a.reset();  // idempotent
  EXPECT_FALSE(a);
  d.collect();
  EXPECT_EQ(deleted.load(), 1);
}

TEST(EpochDomain, CustomDeleterAndNullAreHandled) {
  epoch_domain d;
  static std::atomic<int> calls{0};
  calls = 0;
  int* p = static_cast<int*>(std::malloc(sizeof(int)));
  ASSERT_NE(p, nullptr);
  d.retire(p, [](void* q) {
    calls.fetch_add(1);
    std::free(q);
  });
  d.retire(static_cast<int*>(nullptr));
  d.retire(nullptr, [](void*) { calls.fetch_add(100); });
  EXPECT_EQ(d.pending(), 1u);
  d.collect();
  EXPECT_EQ(calls.load(), 1);
}

TEST(EpochDomain, ExitedThreadsRecordsAreReused) {
  epoch_domain d;
  std::atomic<int> deleted{0};
  constexpr int rounds = 250, width = 4;  // 1000 threads, at most 4 at a time
  for (int round = 0; round < rounds; ++round) {
    std::vector<std::thread> ts;
    for (int i = 0; i < width; ++i)
      ts.emplace_back([&] {
        epoch_domain::guard g = d.enter();
        d.retire(new tracked(deleted));
      });
    for (auto& t : ts) t.join();
  }
  EXPECT_LE(d.registered_records(), static_cast<std::size_t>(width))
      << "records of exited threads were not reused";
  d.collect();  // the exited threads' objects are on the orphan list
  EXPECT_EQ(deleted.load(), rounds * width);
  EXPECT_EQ(d.pending(), 0u);
}

TEST(EpochDomain, GarbageOfExitedThreadsIsAdoptedAndFreed) {
  epoch_domain d(16);  // small threshold: the threads also try to reclaim
  std::atomic<int> deleted{0};
  constexpr int threads = 8, each = 100;
  epoch_domain::guard g = d.enter();  // holds everything retired below
  std::vector<std::thread> ts;
  for (int i = 0; i < threads; ++i)
    ts.emplace_back([&] {
      for (int k = 0; k < each; ++k) d.retire(new tracked(deleted));
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(deleted.load(), 0);
  EXPECT_EQ(d.pending(), static_cast<std::size_t>(threads * each));
  g.reset();
  d.collect();
  EXPECT_EQ(deleted.load(), threads * each) << "orphaned garbage was not freed";
  EXPECT_EQ(d.pending(), 0u);
}

TEST(EpochDomain, DestroyingTheDomainFreesWhatIsStillRetired) {
  auto d = std::make_unique<epoch_domain>();
  std::atomic<int> deleted{0};
  signal retired, domain_gone;
  // A thread that retires, then outlives the domain (its exit must not touch it).
  std::thread t([&] {
    for (int k = 0; k < 50; ++k) d->retire(new tracked(deleted));
    retired.raise();
    domain_gone.wait();
  });
  retired.wait();
  {
    epoch_domain::guard g = d->enter();
    for (int k = 0; k < 100; ++k) d->retire(new tracked(deleted));
  }
  EXPECT_EQ(deleted.load(), 0);
  d.reset();
  EXPECT_EQ(deleted.load(), 150);
  domain_gone.raise();
  t.join();
  EXPECT_EQ(deleted.load(), 150);
}

TEST(EpochDomain, AThreadThatOutlivesADomainRegistersAfreshWithTheNext) {
  std::atomic<int> deleted{0};
  auto d1 = std::make_unique<epoch_domain>();
  signal used1, gone1, used2;
  std::unique_ptr<epoch_domain> d2;
  std::thread t([&] {
    { epoch_domain::guard g = d1->enter(); }
    used1.raise();
    gone1.wait();
    // d2 may well sit where d1 was: the cache is keyed by id, not address.
    epoch_domain::guard g = d2->enter();
    d2->retire(new tracked(deleted));
    used2.raise();
  });
  used1.wait();
  d1.reset();
  d2 = std::make_unique<epoch_domain>();
  gone1.raise();
  used2.wait();
  t.join();
  EXPECT_EQ(d2->registered_records(), 1u);
  EXPECT_EQ(d2->pending(), 1u);
  d2->collect();
  EXPECT_EQ(deleted.load(), 1);
  EXPECT_EQ(d2->registered_records(), 1u);  // we took over the exited thread's record
}

TEST(EpochDomain, DomainsAreIndependent) {
  epoch_domain a, b;
  std::atomic<int> deleted_a{0}, deleted_b{0};
  epoch_domain::guard ga = a.enter();
  {
    epoch_domain::guard gb = b.enter();  // one thread, two records, two regions
    a.retire(new tracked(deleted_a));
    b.retire(new tracked(deleted_b));
  }
  // Alternate between the domains: the one-entry cache misses every time.
  for (int i = 0; i < 3; ++i) {
    a.collect();
    b.collect();
  }
  EXPECT_EQ(deleted_a.load(), 0) << "a guard of domain a was ignored";
  EXPECT_EQ(deleted_b.load(), 1) << "a guard of domain a held domain b back";
  ga.reset();
  a.collect();
  EXPECT_EQ(deleted_a.load(), 1);
  EXPECT_EQ(a.registered_records(), 1u);
  EXPECT_EQ(b.registered_records(), 1u);
}

TEST(EpochDomain, RetireThresholdBoundsGarbage) {
  constexpr std::size_t threshold = 64;
  epoch_domain d(threshold);
  std::atomic<int> deleted{0};
  std::size_t most = 0;
  constexpr int n = 20000;
  for (int i = 0; i < n; ++i) {
    d.retire(new tracked(deleted));
    most = std::max(most, d.pending());
  }
  EXPECT_LE(most, 3 * threshold) << "garbage grew without bound";
  EXPECT_GE(deleted.load(), n - static_cast<int>(3 * threshold));
  d.collect();
  EXPECT_EQ(d.pending(), 0u);
  EXPECT_EQ(deleted.load(), n);
}

TEST(EpochDomain, DeleterMayRetireIntoTheSameDomain) {
  struct node {
    epoch_domain* d;
    node* child;
    std::atomic<int>* deleted;
    ~node() {
      deleted->fetch_add(1);
      if (child != nullptr) d->retire(child);
    }
  };
  std::atomic<int> deleted{0};
  auto make_chain = [&](epoch_domain& d, int len) {
    node* head = nullptr;
    for (int i = 0; i < len; ++i) head = new node{&d, head, &deleted};
    return head;
  };
  {
    epoch_domain d;
    d.retire(make_chain(d, 100));
    for (int i = 0; i < 1000 && d.pending() != 0; ++i) d.collect();
    EXPECT_EQ(deleted.load(), 100);
    EXPECT_EQ(d.pending(), 0u);
    d.retire(make_chain(d, 100));
  }  // the destructor frees the second chain, children retired on the way included
  EXPECT_EQ(deleted.load(), 200);
}

TEST(EpochDomain, RetireWithoutMemoryWaitsForTwoAdvancesOutsideAGuard) {
  epoch_domain d;
  std::atomic<int> deleted{0};
  { epoch_domain::guard g = d.enter(); }  // registers; the record has a reserve batch
  epoch_domain_test_access::fail_allocations(1000);
  // The reserve takes `capacity` objects; the one after that finds no batch
  // and must be freed before retire returns.
  for (std::size_t i = 0; i < detail::retire_batch::capacity; ++i) d.retire(new tracked(deleted));
  EXPECT_EQ(deleted.load(), 0);
  d.retire(new tracked(deleted));
  epoch_domain_test_access::fail_allocations(0);
  EXPECT_EQ(deleted.load(), static_cast<int>(detail::retire_batch::capacity) + 1)
      << "the synchronous fallback did not free (it also reclaims the sealed batch)";
  d.collect();
  EXPECT_EQ(d.pending(), 0u);
}

TEST(EpochDomain, RetireWithoutMemoryInsideAGuardUsesTheReserve) {
  epoch_domain d;
  std::atomic<int> deleted{0};
  {
    epoch_domain::guard g = d.enter();  // registers; the record has a reserve batch
    epoch_domain_test_access::fail_allocations(1000);
    for (std::size_t i = 0; i < detail::retire_batch::capacity; ++i) d.retire(new tracked(deleted));
    epoch_domain_test_access::fail_allocations(0);
    EXPECT_EQ(deleted.load(), 0);
    EXPECT_EQ(d.pending(), detail::retire_batch::capacity);
  }
  d.collect();
  EXPECT_EQ(deleted.load(), static_cast<int>(detail::retire_batch::capacity));
}

// Writers replace objects in a few slots and retire the old ones; readers,
// under guards (sometimes nested), load a slot and check the object's magic.
// The deleter poisons the magic before deleting, so a reader that sees a
// freed object either reads the poison or (under ASan) a freed block.
struct boxed {
  static constexpr std::uint64_t live = 0x5afe'5afe'5afe'5afeull;
  static constexpr std::uint64_t dead = 0xdead'dead'dead'deadull;
  std::uint64_t magic = live;
  std::uint64_t value = 0;
  std::uint64_t check = ~std::uint64_t{0};  // ~value
};
std::atomic<long> boxed_deleted{0};
void poison_and_delete(void* p) {
  auto* b = static_cast<boxed*>(p);
  b->magic = boxed::dead;
  b->check = b->value;  // breaks check == ~value
  boxed_deleted.fetch_add(1, std::memory_order_relaxed);
  delete b;
}

double stress_seconds() {
  if (const char* s = std::getenv("PAGEPOOL_TEST_SECONDS")) return std::max(0.1, std::atof(s) / 2);
  return 1.0;
}

TEST(EpochDomain, StressReadersNeverSeeAFreedObject) {
  constexpr int slots = 4, writers = 2, readers = 2;
  epoch_domain d(32);
  boxed_deleted = 0;
  std::atomic<boxed*> slot[slots];
  for (auto& s : slot) s.store(new boxed{}, std::memory_order_relaxed);
  std::atomic<bool> stop{false};
  std::atomic<long> bad{0}, reads{0}, retired{0};
  std::vector<std::thread> ts;
  for (int w = 0; w < writers; ++w)
    ts.emplace_back([&, w] {
      std::uint64_t v = static_cast<std::uint64_t>(w) << 40;
      long n = 0;
      for (unsigned i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        auto* fresh = new boxed{};
        fresh->value = ++v;
        fresh->check = ~v;
        boxed* old = slot[i % slots].exchange(fresh, std::memory_order_acq_rel);
        d.retire(old, poison_and_delete);
        ++n;
        if (i % 1024 == 0) d.collect();
      }
      retired.fetch_add(n);
    });
  for (int r = 0; r < readers; ++r)
    ts.emplace_back([&, r] {
      long n = 0, wrong = 0;
      for (unsigned i = r; !stop.load(std::memory_order_relaxed); ++i) {
        epoch_domain::guard g = d.enter();
        const boxed* b = slot[i % slots].load(std::memory_order_acquire);
        if (i % 8 == 0) {  // a nested region on the way
          epoch_domain::guard inner = d.enter();
          const boxed* c = slot[(i + 1) % slots].load(std::memory_order_acquire);
          if (c->magic != boxed::live || c->check != ~c->value) ++wrong;
        }
        for (int k = 0; k < 4; ++k)  // hold it a little
          if (b->magic != boxed::live || b->check != ~b->value) ++wrong;
        ++n;
      }
      reads.fetch_add(n);
      bad.fetch_add(wrong);
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(stress_seconds()));
  stop = true;
  for (auto& t : ts) t.join();
  EXPECT_EQ(bad.load(), 0) << "a reader saw a freed object";
  EXPECT_GT(reads.load(), 0);
  EXPECT_GT(retired.load(), 0);
  d.collect();
  EXPECT_EQ(d.pending(), 0u);
  EXPECT_EQ(boxed_deleted.load(), retired.load()) << "an object was freed twice or never";
  for (auto& s : slot) delete s.load();
}

}  // namespace
}  // namespace pagepool::internal
