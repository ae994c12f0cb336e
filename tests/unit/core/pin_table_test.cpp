// Unit tests of the handle pin table (src/core/pool_impl.hpp).
#include <gtest/gtest.h>

#include "core/pool_impl.hpp"

namespace pagepool::internal {
namespace {

TEST(PinTable, CountsRepeatedPinsAndRefusesAnExtraRemove) {
  pin_table t;
  ASSERT_TRUE(t.init(2, 16, 4));
  EXPECT_FALSE(t.init(2, 16, 4)) << "a second init";
  EXPECT_TRUE(t.empty());
  t.add(make_ref(0, 7));
  t.add(make_ref(0, 7));
  t.add(make_ref(1, 7));
  t.add(make_ref(no_frame, 3));  // a mapped page
  EXPECT_TRUE(t.holds(make_ref(no_frame, 3)));
  EXPECT_FALSE(t.holds(make_ref(1, 3)));
  EXPECT_TRUE(t.remove(make_ref(no_frame, 3)));
  EXPECT_FALSE(t.remove(make_ref(no_frame, 3)));
  EXPECT_TRUE(t.holds(make_ref(0, 7)));
  EXPECT_FALSE(t.holds(make_ref(0, 8)));
  EXPECT_TRUE(t.remove(make_ref(0, 7)));
  EXPECT_TRUE(t.remove(make_ref(0, 7)));
  EXPECT_FALSE(t.remove(make_ref(0, 7))) << "a third put of two pins";
  EXPECT_FALSE(t.empty());
  EXPECT_TRUE(t.remove(make_ref(1, 7)));
  EXPECT_TRUE(t.empty());
}

TEST(PinTable, DrainTakesEveryPin) {
  pin_table t;
  ASSERT_TRUE(t.init(1, 8, 2));
  t.add(make_ref(0, 1));
  t.add(make_ref(0, 1));
  t.add(make_ref(no_frame, 1));
  auto v = t.drain();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], std::make_pair(make_ref(0, 1), 2u));
  EXPECT_EQ(v[1], std::make_pair(make_ref(no_frame, 1), 1u));
  EXPECT_TRUE(t.empty());
  EXPECT_FALSE(t.holds(make_ref(0, 1)));
}

}  // namespace
}  // namespace pagepool::internal
