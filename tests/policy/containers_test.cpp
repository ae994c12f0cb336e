// Unit tests of the policies' containers: src/policy/key_table.hpp,
// frame_lists.hpp and ghost_lists.hpp, each against a standard-library model.
#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

#include <gtest/gtest.h>

#include "policy/frame_lists.hpp"
#include "policy/ghost_lists.hpp"
#include "policy/key_table.hpp"

namespace pagepool::policy::internal {
namespace {

TEST(KeyTable, AgreesWithUnorderedMapUnderRandomInsertsAndErases) {
  key_table t(512);
  std::unordered_map<std::uint64_t, std::uint32_t> model;
  std::mt19937_64 rng(7);
  // A small key range forces collisions, long clusters and many
  // backward shifts; the extremes check that no key value is reserved.
  std::vector<std::uint64_t> keys = {0, 1, ~std::uint64_t{0}, 0x8000000000000000ull};
  for (int i = 0; i < 1000; ++i) keys.push_back(rng() % 4096);
  for (int round = 0; round < 20000; ++round) {
    const std::uint64_t k = keys[rng() % keys.size()];
    if (rng() % 3 == 0) {
      const auto it = model.find(k);
      EXPECT_EQ(t.erase(k), it == model.end() ? key_table::npos : it->second);
      if (it != model.end()) model.erase(it);
    } else if (model.size() < 512 || model.count(k) != 0) {
      const auto v = static_cast<std::uint32_t>(rng() % 100000);
      t.insert_or_assign(k, v);
      model[k] = v;
    }
    ASSERT_EQ(t.size(), model.size());
  }
  for (std::uint64_t k : keys) {
    const auto it = model.find(k);
    EXPECT_EQ(t.find(k), it == model.end() ? key_table::npos : it->second) << k;
  }
}

TEST(KeyTable, GrowsPastItsPromiseWithoutLosingEntries) {
  key_table t(4);
  for (std::uint32_t i = 0; i < 1000; ++i) t.insert_or_assign(std::uint64_t{i} * 977, i);
  EXPECT_EQ(t.size(), 1000u);
  for (std::uint32_t i = 0; i < 1000; ++i) EXPECT_EQ(t.find(std::uint64_t{i} * 977), i);
  t.clear();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.find(0), key_table::npos);
}

std::vector<std::uint32_t> newest_to_oldest(const frame_lists<2>& l, std::size_t which) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t f = l.newest(which); f != frame_lists<2>::nil; f = l.older(f)) out.push_back(f);
  return out;
}

TEST(FrameLists, KeepsOrderAcrossPushMoveAndRemove) {
  frame_lists<2> l(8);
  l.push_newest(0, 1);
  l.push_newest(0, 2);
  l.push_oldest(0, 3);
  l.push_newest(1, 4);
  EXPECT_EQ(newest_to_oldest(l, 0), (std::vector<std::uint32_t>{2, 1, 3}));
  EXPECT_EQ(l.oldest(0), 3u);
  l.move_to_newest(0, 3);
  EXPECT_EQ(newest_to_oldest(l, 0), (std::vector<std::uint32_t>{3, 2, 1}));
  l.move_to_oldest(0, 2);
  EXPECT_EQ(newest_to_oldest(l, 0), (std::vector<std::uint32_t>{3, 1, 2}));
  l.move_to_newest(1, 1);  // across lists
  EXPECT_EQ(newest_to_oldest(l, 0), (std::vector<std::uint32_t>{3, 2}));
  EXPECT_EQ(newest_to_oldest(l, 1), (std::vector<std::uint32_t>{1, 4}));
  EXPECT_EQ(l.list_of(1), 1u);
  l.remove(3);
  l.remove(3);  // untracked: a no-op
  l.remove(7);
  EXPECT_EQ(newest_to_oldest(l, 0), (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(l.size(0), 1u);
  EXPECT_EQ(l.size(1), 2u);
  EXPECT_EQ(l.total(), 3u);
  EXPECT_FALSE(l.contains(3));
  EXPECT_EQ(l.list_of(3), frame_lists<2>::none);
}

TEST(GhostLists, FindsErasesAndTrimsOldestFirst) {
  ghost_lists<2> g(3);
  g.push_newest(0, page_key{10});
  g.push_newest(0, page_key{11});
  g.push_newest(1, page_key{20});
  EXPECT_EQ(g.find(page_key{10}), 0);
  EXPECT_EQ(g.find(page_key{20}), 1);
  EXPECT_EQ(g.find(page_key{99}), g.none);
  // Full: the oldest entry of the longest list (10) makes room.
  g.push_newest(1, page_key{21});
  EXPECT_EQ(g.find(page_key{10}), g.none);
  EXPECT_EQ(g.size(0), 1u);
  EXPECT_EQ(g.size(1), 2u);
  EXPECT_EQ(g.erase(page_key{20}), 1);
  EXPECT_EQ(g.erase(page_key{20}), g.none);
  EXPECT_TRUE(g.pop_oldest(0));  // 11
  EXPECT_FALSE(g.pop_oldest(0));
  EXPECT_EQ(g.find(page_key{11}), g.none);
  EXPECT_EQ(g.total(), 1u);
  EXPECT_EQ(g.find(page_key{21}), 1);
}

TEST(GhostLists, ZeroCapacityRemembersNothing) {
  ghost_lists<1> g(0);
  g.push_newest(0, page_key{1});
  EXPECT_EQ(g.total(), 0u);
  EXPECT_EQ(g.find(page_key{1}), g.none);
}

}  // namespace
}  // namespace pagepool::policy::internal
