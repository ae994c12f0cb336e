// Unit tests of src/policy/wtinylfu.hpp and count_min.hpp: the sketch's
// hash against values computed with the reference's xxHash, its shape and
// aging; the window filling the cache first, then the main cache taking the
// window's oldest pages, the admission duel, and a protected page that
// outlives a scan.
#include "policy/wtinylfu.hpp"

#include <cstdint>

#include <gtest/gtest.h>

#include "policy/count_min.hpp"
#include "policy_test_support.hpp"

namespace pagepool::policy {
namespace {

using test::stepper;

// XXH64 of the 8 bytes of 0 and of 1 with the sketch's two seeds, as the
// reference's xxhash.h computes them (XXH64(&v, 8, seed) on x86-64).
TEST(CountMin, HashIsXxh64OfTheEightBytes) {
  EXPECT_EQ(internal::xxh64_of_u64(0, 0x12345678), 0x67bb774d39f5d473ull);
  EXPECT_EQ(internal::xxh64_of_u64(0, 0x12344321), 0xc2a64453b85a5e79ull);
  EXPECT_EQ(internal::xxh64_of_u64(1, 0x12345678), 0x071b9484a2374097ull);
  EXPECT_EQ(internal::xxh64_of_u64(1, 0x12344321), 0x83e9f36fcb5854bfull);
}

TEST(CountMin, ShapeCountsAndAging) {
  internal::count_min s(9);
  EXPECT_EQ(s.hashes(), 10u);
  EXPECT_EQ(s.counters(), 130u);  // ceil(14.3776 * 9)
  for (int i = 0; i < 5; ++i) s.add(42);
  EXPECT_GE(s.estimate(42), 5u);
  const std::uint32_t before = s.estimate(42);
  s.halve();
  EXPECT_EQ(s.estimate(42), before / 2);
  s.set_entries(9);
  EXPECT_EQ(s.estimate(42), 0u);
}

// c = 10: w = 1, M = 9, P holds 1, S holds 8. Pages 1..10 all enter the
// window. Page 11: the main cache is empty, so the window's oldest pages move
// in (1 to P, 2..9 to S) until it is full; then 10 (counted once) duels P's
// 1 (counted twice: inserted, moved) and loses.
TEST(WTinyLfu, WindowFillsFirstThenTheDuel) {
  stepper<wtinylfu_policy> s(10);
  EXPECT_EQ(s.p.window_max(), 1u);
  EXPECT_EQ(s.p.protected_max(), 8u);
  for (std::uint32_t pg = 1; pg <= 10; ++pg) s.access(pg);
  EXPECT_EQ(s.p.window_size(), 10u);
  const auto r = s.access(11);
  EXPECT_EQ(r.evicted_page, 10u);
  EXPECT_EQ(s.p.window_size(), 1u);
  EXPECT_EQ(s.p.probation_size(), 1u);
  EXPECT_EQ(s.p.protected_size(), 8u);
}

// A page hit often in the main cache survives a long scan of new pages: each
// new page loses its duel against P's victim or evicts only P's pages.
TEST(WTinyLfu, FrequentPageOutlivesAScan) {
  stepper<wtinylfu_policy> s(20);
  for (std::uint32_t pg = 1; pg <= 21; ++pg) s.access(pg);  // fills, moves 1.. into main
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(s.access(1).hit);
  for (std::uint32_t pg = 1000; pg < 1200; ++pg) s.access(pg);
  EXPECT_TRUE(s.access(1).hit);
  EXPECT_GE(s.p.frequency(page_key::of(0, 1)), 10u);
}

// Point 5: a victim that could not be evicted comes back to its segment.
TEST(WTinyLfu, FailedEvictionIsUndone) {
  stepper<wtinylfu_policy> s(10);
  for (std::uint32_t pg = 1; pg <= 11; ++pg) s.access(pg);
  const std::size_t w = s.p.window_size(), p = s.p.probation_size(), q = s.p.protected_size();
  const frame_id v = s.p.evict(page_key::of(0, 99), s.view);
  ASSERT_NE(v, no_frame);
  EXPECT_EQ(s.p.size(), 9u);
  s.p.on_insert(v, page_key::of(0, s.page_in(v)));
  EXPECT_EQ(s.p.window_size(), w);
  EXPECT_EQ(s.p.probation_size(), p);
  EXPECT_EQ(s.p.protected_size(), q);
}

}  // namespace
}  // namespace pagepool::policy
