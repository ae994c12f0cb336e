// Unit tests of the handle pin table (src/core/pool_impl.hpp).
#include <gtest/gtest.h>

#include "core/pool_impl.hpp"

namespace pagepool::internal {
namespace {

TEST(PinTable, CountsRepeatedPinsAndRefusesAnExtraRemove) {
  pin_table t;
  EXPECT_TRUE(t.empty());
  ASSERT_TRUE(t.add(make_ref(0, 7)));
  ASSERT_TRUE(t.add(make_ref(0, 7)));
  ASSERT_TRUE(t.add(make_ref(1, 7)));
  EXPECT_TRUE(t.holds(make_ref(0, 7)));
  EXPECT_FALSE(t.holds(make_ref(0, 8)));
  EXPECT_TRUE(t.remove(make_ref(0, 7)));
  EXPECT_TRUE(t.remove(make_ref(0, 7)));
  EXPECT_FALSE(t.remove(make_ref(0, 7))) << "a third put of two pins";
  EXPECT_FALSE(t.empty());
  EXPECT_TRUE(t.remove(make_ref(1, 7)));
  EXPECT_TRUE(t.empty());
}

}  // namespace
}  // namespace pagepool::internal
