// Unit tests of src/region/region.hpp: layout, free list, grow.
#include "region/region.hpp"

#include <gtest/gtest.h>

#include <set>

namespace pagepool::internal {
namespace {

TEST(Region, LayoutIsExactAndPagesAreAligned) {
  region r(0, 10, 4096);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.nframes(), 10u);
  EXPECT_EQ(r.nbuckets(), 16u);
  for (std::uint32_t i = 0; i < 10; ++i) {
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(r.page(i)) % 4096, 0u);
    EXPECT_EQ(r.page(i) - r.page(0), std::ptrdiff_t{4096} * i) << "pages by arithmetic";
  }
}

TEST(Region, BucketsAreSizedForTheFramesInServiceAtLoadFactorOne) {
  region r(0, 100, 512, 1000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.nbuckets(), 128u);
}

TEST(Region, PagesMayLiveInTheCallersReservation) {
  alignas(4096) static std::byte pages[8 * 512];
  region r(0, 8, 512, 8, pages);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.page(0), pages);
  EXPECT_EQ(r.page(7), pages + 7 * 512);
}

// Regression (stress swarm under ThreadSanitizer, seed 1005: resize, one
// region): grow constructed the headers of never-used frames, a plain write
// that raced a latch-free chain walk following a stale link to that index.
// Every header below the cap must be constructed with the region, and grow
// must leave a never-used header as it is.
TEST(Region, EveryFrameHeaderUpToTheCapIsConstructedWithTheRegion) {
  region r(0, 4, 4096, 64);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.nframes(), 4u);
  for (std::uint32_t i = 4; i < r.cap(); ++i) {
    // A zero-filled, never-constructed header would read next == 0.
    EXPECT_EQ(r.frame_at(i).next.load(std::memory_order_relaxed), no_frame) << "frame " << i;
    EXPECT_EQ(r.frame_at(i).state.load(std::memory_order_relaxed), 0u) << "frame " << i;
  }
  // A reader's view of a never-used frame past the limit: its state word as
  // constructed. A grow that put it in service changes only its free-list link.
  r.frame_at(40).state.store(frame_state::free_of(7ull << frame_state::version_shift),
                             std::memory_order_relaxed);
  ASSERT_FALSE(r.grow(48));
  EXPECT_EQ(frame_state::version(r.frame_at(40).state.load(std::memory_order_relaxed)), 7u)
      << "grow wrote a never-used frame's header over";
  std::set<std::uint32_t> popped;
  for (std::uint32_t f; (f = r.pop_free()) != no_frame;) popped.insert(f);
  EXPECT_EQ(popped.size(), 48u);
}

TEST(Region, FreeListHandsOutEveryFrameOnceAsOwnedBlanks) {
  region r(0, 8, 512);
  std::set<std::uint32_t> got;
  for (int i = 0; i < 8; ++i) {
    const std::uint32_t f = r.pop_free();
    ASSERT_NE(f, no_frame);
    EXPECT_TRUE(got.insert(f).second);
    const auto s = r.frame_at(f).state.load();
    EXPECT_TRUE(s & frame_state::busy);
    EXPECT_FALSE(s & frame_state::valid);
  }
  EXPECT_EQ(r.pop_free(), no_frame);
  const auto v = frame_state::version(r.frame_at(3).state.load());
  r.push_free(3);
  EXPECT_EQ(r.frame_at(3).state.load(), frame_state::free_of(frame_state::word{v} << 32));
  EXPECT_EQ(r.pop_free(), 3u);
  EXPECT_EQ(frame_state::version(r.frame_at(3).state.load()), v + 1) << "reuse changes the version";
}

}  // namespace
}  // namespace pagepool::internal
