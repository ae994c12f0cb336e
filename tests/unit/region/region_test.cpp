// Unit tests of src/region/region.hpp: layout, chains, free list.
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
    EXPECT_EQ(r.frame_of(r.page(i)), i);
  }
  EXPECT_EQ(r.frame_of(r.page(3) + 1), no_frame) << "an address inside a page is not a page";
  EXPECT_EQ(r.frame_of(r.page(9) + 4096), no_frame) << "one past the last page";
  int local = 0;
  EXPECT_EQ(r.frame_of(&local), no_frame);
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
  r.grow(48);
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

TEST(Region, ChainsFindLinkedFramesAndForgetUnlinkedOnes) {
  region r(0, 4, 512);
  for (std::uint32_t f = 0; f < 4; ++f) {
    ASSERT_EQ(r.pop_free(), f);
    r.frame_at(f).file.store(1);
    r.frame_at(f).pgno.store(100 + f);
    r.bucket_at(5).latch.lock();
    r.link(5, f);
    r.bucket_at(5).latch.unlock();
  }
  for (std::uint32_t f = 0; f < 4; ++f) EXPECT_EQ(r.find(5, 1, 100 + f), f);
  EXPECT_EQ(r.find(5, 2, 100), no_frame) << "same pgno, other file";
  r.unlink(5, 2);
  EXPECT_EQ(r.find(5, 1, 102), no_frame);
  EXPECT_EQ(r.find(5, 1, 103), 3u);
  EXPECT_EQ(r.find(5, 1, 100), 0u);
  EXPECT_GE(r.hdr().hash_longest.load(), 3u);
}

}  // namespace
}  // namespace pagepool::internal
