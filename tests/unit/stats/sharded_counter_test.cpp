// Unit tests of src/stats/sharded_counter.hpp: no increment is lost.
#include "stats/sharded_counter.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace pagepool::internal {
namespace {

struct two {
  counter a, b;
};

TEST(ShardedCounter, SumIsExactOnceThreadsAreJoined) {
  sharded<two> c;
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.add<&two::a>();
        c.add<&two::b>(2);
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(c.sum<&two::a>(), 40000u);
  EXPECT_EQ(c.sum(&two::b), 80000u);
  c.clear(&two::a);
  EXPECT_EQ(c.sum<&two::a>(), 0u);
  EXPECT_EQ(c.sum<&two::b>(), 80000u);
}

TEST(ShardedCounter, ShardsSitOnTheirOwnCacheLines) {
  EXPECT_GE(sizeof(sharded<two>), counter_shards * cache_line);
}

}  // namespace
}  // namespace pagepool::internal
