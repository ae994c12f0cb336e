// Unit tests of the handle pin table (src/core/pool_impl.hpp).
#include <gtest/gtest.h>

#include "core/pool_impl.hpp"

namespace pagepool::internal {
namespace {

using kind = pin_table::pin_kind;

TEST(PinTable, CountsRepeatedPinsAndRefusesAnExtraRemove) {
  pin_table t;
  ASSERT_TRUE(t.init(2, 16, 4));
  EXPECT_FALSE(t.init(2, 16, 4)) << "a second init";
  EXPECT_TRUE(t.empty());
  t.add(make_ref(0, 7), false);
  t.add(make_ref(0, 7), false);
  t.add(make_ref(1, 7), false);
  t.add(make_ref(no_frame, 3), false);  // a mapped page
  EXPECT_TRUE(t.holds(make_ref(no_frame, 3)));
  EXPECT_FALSE(t.holds(make_ref(1, 3)));
  EXPECT_EQ(t.remove(make_ref(no_frame, 3)), kind::plain);
  EXPECT_EQ(t.remove(make_ref(no_frame, 3)), kind::none);
  EXPECT_TRUE(t.holds(make_ref(0, 7)));
  EXPECT_FALSE(t.holds(make_ref(0, 8)));
  EXPECT_EQ(t.remove(make_ref(0, 7)), kind::plain);
  EXPECT_EQ(t.remove(make_ref(0, 7)), kind::plain);
  EXPECT_EQ(t.remove(make_ref(0, 7)), kind::none) << "a third put of two pins";
  EXPECT_FALSE(t.empty());
  EXPECT_EQ(t.remove(make_ref(1, 7)), kind::plain);
  EXPECT_TRUE(t.empty());
}

TEST(PinTable, PinsToWriteLeaveLast) {
  pin_table t;
  ASSERT_TRUE(t.init(1, 8, 0));
  t.add(make_ref(0, 2), true);
  t.add(make_ref(0, 2), false);
  t.add(make_ref(0, 2), true);
  // Plain pins go first, so the frame counts as written to until its last put.
  EXPECT_EQ(t.remove(make_ref(0, 2)), kind::plain);
  EXPECT_EQ(t.remove(make_ref(0, 2)), kind::write);
  EXPECT_EQ(t.remove(make_ref(0, 2)), kind::write);
  EXPECT_EQ(t.remove(make_ref(0, 2)), kind::none);
  EXPECT_TRUE(t.empty());
}

TEST(PinTable, DrainTakesEveryPin) {
  pin_table t;
  ASSERT_TRUE(t.init(1, 8, 2));
  t.add(make_ref(0, 1), false);
  t.add(make_ref(0, 1), false);
  t.add(make_ref(0, 1), true);
  t.add(make_ref(no_frame, 1), false);
  auto v = t.drain();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].ref, make_ref(0, 1));
  EXPECT_EQ(v[0].plain, 2u);
  EXPECT_EQ(v[0].write, 1u);
  EXPECT_EQ(v[1].ref, make_ref(no_frame, 1));
  EXPECT_EQ(v[1].plain, 1u);
  EXPECT_EQ(v[1].write, 0u);
  EXPECT_TRUE(t.empty());
  EXPECT_FALSE(t.holds(make_ref(0, 1)));
}

}  // namespace
}  // namespace pagepool::internal
