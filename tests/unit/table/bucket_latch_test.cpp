// Unit tests of src/table/bucket_latch.hpp: mutual exclusion with an oracle.
#include "table/bucket_latch.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace pagepool::internal {
namespace {

TEST(BucketLatch, ReadersShareWritersExclude) {
  bucket_latch l;
  EXPECT_FALSE(l.lock_shared());
  EXPECT_FALSE(l.lock_shared());
  l.unlock_shared();
  l.unlock_shared();
  EXPECT_FALSE(l.lock());
  l.unlock();
}

// Writers increment two plain counters under the exclusive latch; readers,
// under the shared latch, must always see them equal. A broken latch shows as
// a torn pair or a lost increment.
TEST(BucketLatch, WritersAreExclusiveAndReadersSeeConsistentState) {
  bucket_latch l;
  long a = 0, b = 0;
  constexpr int writers = 2, iters = 20000;
  std::atomic<bool> torn{false};
  std::atomic<bool> stop{false};
  std::vector<std::thread> ts;
  for (int w = 0; w < writers; ++w)
    ts.emplace_back([&] {
      for (int i = 0; i < iters; ++i) {
        l.lock();
        ++a;
        ++b;
        l.unlock();
      }
    });
  std::thread reader([&] {
    while (!stop.load()) {
      l.lock_shared();
      if (a != b) torn = true;
      l.unlock_shared();
    }
  });
  for (auto& t : ts) t.join();
  stop = true;
  reader.join();
  EXPECT_FALSE(torn.load());
  EXPECT_EQ(a, long{writers} * iters);
  EXPECT_EQ(b, long{writers} * iters);
}

}  // namespace
}  // namespace pagepool::internal
