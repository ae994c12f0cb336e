// Unit tests of src/policy/policy.cpp: policy_name and parse_policy.
#include <string>

#include <gtest/gtest.h>

#include "pagepool/policy.hpp"

namespace pagepool {
namespace {

TEST(PolicyName, EveryKindRoundTrips) {
  for (int i = 0; i < policy_kind_count; ++i) {
    const auto k = static_cast<policy_kind>(i);
    policy_kind back = policy_kind::arc;
    ASSERT_TRUE(parse_policy(policy_name(k), back)) << i;
    EXPECT_EQ(back, k);
  }
  EXPECT_EQ(policy_name(policy_kind::clock), "clock");
  EXPECT_EQ(policy_name(policy_kind::s3fifo), "s3fifo");
}

TEST(PolicyName, AcceptsS3DashFifo) {
  policy_kind k = policy_kind::clock;
  EXPECT_TRUE(parse_policy("s3-fifo", k));
  EXPECT_EQ(k, policy_kind::s3fifo);
}

TEST(PolicyName, UnknownNamesLeaveTheOutputAlone) {
  for (const char* bad : {"", "LRU", "opt", "lru ", "s3_fifo", "clockx"}) {
    policy_kind k = policy_kind::sieve;
    EXPECT_FALSE(parse_policy(bad, k)) << '"' << bad << '"';
    EXPECT_EQ(k, policy_kind::sieve);
  }
  EXPECT_EQ(policy_name(static_cast<policy_kind>(policy_kind_count)), "");
  EXPECT_EQ(policy_name(static_cast<policy_kind>(-1)), "");
}

}  // namespace
}  // namespace pagepool
