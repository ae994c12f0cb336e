// Unit tests of src/frame/frame_state.hpp: the bit layout and its predicates.
#include "frame/frame_state.hpp"

#include <gtest/gtest.h>

namespace pagepool::internal {
namespace {

using fs = frame_state;

TEST(FrameState, FieldsDoNotOverlap) {
  const fs::word fields[] = {fs::pins_mask, fs::usage_mask, fs::dirty, fs::valid,
                             fs::busy,      fs::wrt,        fs::discard};
  fs::word seen = 0;
  for (fs::word f : fields) {
    EXPECT_EQ(seen & f, 0u);
    seen |= f;
  }
  EXPECT_EQ(seen & (~fs::word{0} << fs::version_shift), 0u) << "flags reach into the version";
}

TEST(FrameState, NextBlankBumpsVersionAndOwnsTheFrame) {
  const fs::word s = (fs::word{41} << fs::version_shift) | fs::valid | fs::dirty | 3;
  const fs::word b = fs::next_blank(s);
  EXPECT_EQ(fs::version(b), 42u);
  EXPECT_TRUE(b & fs::busy);
  EXPECT_FALSE(b & fs::valid);
  EXPECT_FALSE(b & fs::dirty);
  EXPECT_EQ(fs::pins(b), 0u);
}

TEST(FrameState, VersionWrapsWithoutTouchingFlags) {
  const fs::word s = (fs::word{0xFFFFFFFF} << fs::version_shift);
  const fs::word b = fs::next_blank(s);
  EXPECT_EQ(fs::version(b), 0u);
  EXPECT_EQ(b, fs::busy);
}

TEST(FrameState, FreeKeepsVersionOnly) {
  const fs::word s = (fs::word{7} << fs::version_shift) | fs::busy | fs::valid | 1;
  EXPECT_EQ(fs::free_of(s), fs::word{7} << fs::version_shift);
}

TEST(FrameState, PinnableOnlyWhenValidAndNotBusy) {
  EXPECT_TRUE(fs::pinnable(fs::valid));
  EXPECT_TRUE(fs::pinnable(fs::valid | fs::wrt | fs::dirty | 5));
  EXPECT_FALSE(fs::pinnable(fs::valid | fs::busy));
  EXPECT_FALSE(fs::pinnable(0));
}

TEST(FrameState, EvictableOnlyWhenUnpinnedValidIdleAndNotInFlight) {
  EXPECT_TRUE(fs::evictable(fs::valid | fs::dirty));
  EXPECT_FALSE(fs::evictable(fs::valid | 1));
  EXPECT_FALSE(fs::evictable(fs::valid | fs::busy));
  EXPECT_FALSE(fs::evictable(fs::valid | fs::wrt));
  EXPECT_FALSE(fs::evictable(0));
}

TEST(FrameState, UsageRoundTrips) {
  for (fs::word u = 0; u <= fs::usage_max; ++u) {
    const fs::word s = fs::with_usage(fs::valid | 9, u);
    EXPECT_EQ(fs::usage(s), u);
    EXPECT_EQ(fs::pins(s), 9u);
    EXPECT_TRUE(s & fs::valid);
  }
}

}  // namespace
}  // namespace pagepool::internal
