// Unit tests of src/table/page_table.hpp: insert-if-absent, both lookups,
// erase, and the statistics they keep.
#include "table/page_table.hpp"

#include <gtest/gtest.h>

#include "region/region.hpp"

namespace pagepool::internal {
namespace {

TEST(PageTable, InsertIfAbsentFindsAndForgets) {
  region r(0, 4, 512);
  ASSERT_TRUE(r.ok());
  page_table& t = r.table();
  constexpr std::uint32_t b = 5;  // one chain for all four
  for (std::uint32_t f = 0; f < 4; ++f) {
    ASSERT_EQ(r.pop_free(), f);
    const frame_state::word l = t.insert_loading(b, f, 1, 100 + f);
    ASSERT_NE(l, 0u);
    EXPECT_EQ(frame_state::pins(l), 1u) << "the loader's pin";
    EXPECT_TRUE(l & frame_state::busy);
    frame_ops::publish(r.frame_at(f), l, false, false);
  }
  ASSERT_EQ(r.pop_free(), no_frame);
  EXPECT_EQ(t.insert_loading(b, 3, 1, 101), 0u) << "present: not inserted again";
  for (std::uint32_t f = 0; f < 4; ++f) {
    t.lock_shared(b);
    EXPECT_EQ(t.find(b, 1, 100 + f), f);
    t.unlock_shared(b);
    frame_state::word s = 0;
    std::uint32_t extra = 99;
    EXPECT_EQ(t.find_unlatched(b, 1, 100 + f, s, extra), f);
    EXPECT_EQ(s, r.frame_at(f).state.load()) << "the word read before the key";
    EXPECT_EQ(extra, 3 - f) << "linked at the head: the last inserted is first";
  }
  frame_state::word s = 0;
  std::uint32_t extra = 0;
  EXPECT_EQ(t.find_unlatched(b, 2, 100, s, extra), no_frame) << "same pgno, other file";
  t.erase(b, 2);
  EXPECT_EQ(t.find_unlatched(b, 1, 102, s, extra), no_frame);
  t.lock_shared(b);
  EXPECT_EQ(t.find(b, 1, 102), no_frame);
  EXPECT_EQ(t.find(b, 1, 103), 3u);
  EXPECT_EQ(t.find(b, 1, 100), 0u);
  t.unlock_shared(b);
  EXPECT_GE(r.hdr().table.longest.load(), 3u);
  EXPECT_GT(r.hdr().table.c.sum<&table_counters::latched_searches>(), 0u);
  EXPECT_GT(r.hdr().table.c.sum<&table_counters::nowait>(), 0u);
}

TEST(PageTable, AWalkFollowingAStaleLinkEndsWithoutAMatch) {
  region r(0, 4, 512);
  page_table& t = r.table();
  for (std::uint32_t f = 0; f < 2; ++f) {
    ASSERT_EQ(r.pop_free(), f);
    frame_ops::publish(r.frame_at(f), t.insert_loading(1, f, 7, f), false, false);
  }
  // A cycle such as a concurrent relink could show a walker: bounded walk.
  r.frame_at(0).next.store(1);
  r.frame_at(1).next.store(0);
  frame_state::word s = 0;
  std::uint32_t extra = 0;
  EXPECT_EQ(t.find_unlatched(1, 7, 55, s, extra), no_frame);
}

}  // namespace
}  // namespace pagepool::internal
