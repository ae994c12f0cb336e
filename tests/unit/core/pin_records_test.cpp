// Unit tests of the threads' pin records (src/core/pin_records.hpp).
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "core/pin_records.hpp"
#include "core/pool_impl.hpp"

namespace pagepool::internal {
namespace {

using kind = pin_records::pin_kind;
constexpr std::uint64_t h1 = 11, h2 = 12;

TEST(PinRecords, CountsRepeatedPinsAndRefusesAnExtraRemove) {
  pin_records t(std::this_thread::get_id());
  EXPECT_EQ(t.count(h1), 0u);
  ASSERT_TRUE(t.add(h1, make_ref(0, 7), false));
  ASSERT_TRUE(t.add(h1, make_ref(0, 7), false));
  ASSERT_TRUE(t.add(h1, make_ref(1, 7), false));
  ASSERT_TRUE(t.add(h1, make_ref(no_frame, 3), false));  // a mapped page
  EXPECT_EQ(t.count(h1), 4u);
  EXPECT_TRUE(t.holds(h1, make_ref(no_frame, 3)));
  EXPECT_FALSE(t.holds(h1, make_ref(1, 3)));
  EXPECT_EQ(t.remove(h1, make_ref(no_frame, 3)), kind::plain);
  EXPECT_EQ(t.remove(h1, make_ref(no_frame, 3)), kind::none);
  EXPECT_TRUE(t.holds(h1, make_ref(0, 7)));
  EXPECT_EQ(t.remove(h1, make_ref(0, 7)), kind::plain);
  EXPECT_EQ(t.remove(h1, make_ref(0, 7)), kind::plain);
  EXPECT_EQ(t.remove(h1, make_ref(0, 7)), kind::none) << "a third put of two pins";
  EXPECT_EQ(t.count(h1), 1u);
  EXPECT_EQ(t.remove(h1, make_ref(1, 7)), kind::plain);
  EXPECT_EQ(t.count(h1), 0u);
}

TEST(PinRecords, AHandleSeesOnlyItsOwnPins) {
  pin_records t(std::this_thread::get_id());
  ASSERT_TRUE(t.add(h1, make_ref(0, 5), false));
  EXPECT_FALSE(t.holds(h2, make_ref(0, 5)));
  EXPECT_EQ(t.remove(h2, make_ref(0, 5)), kind::none) << "a put through another handle";
  EXPECT_EQ(t.count(h2), 0u);
  EXPECT_EQ(t.remove(h1, make_ref(0, 5)), kind::plain);
}

TEST(PinRecords, PinsToWriteLeaveLast) {
  pin_records t(std::this_thread::get_id());
  ASSERT_TRUE(t.add(h1, make_ref(0, 2), true));
  ASSERT_TRUE(t.add(h1, make_ref(0, 2), false));
  ASSERT_TRUE(t.add(h1, make_ref(0, 2), true));
  // Plain pins go first, so the frame counts as written to until its last put.
  EXPECT_EQ(t.remove(h1, make_ref(0, 2)), kind::plain);
  EXPECT_EQ(t.remove(h1, make_ref(0, 2)), kind::write);
  EXPECT_EQ(t.remove(h1, make_ref(0, 2)), kind::write);
  EXPECT_EQ(t.remove(h1, make_ref(0, 2)), kind::none);
}

TEST(PinRecords, GrowsPastOneChunkAndKeepsEveryPin) {
  pin_records t(std::this_thread::get_id());
  constexpr std::uint32_t n = 1000;  // many chunks
  for (std::uint32_t i = 0; i < n; ++i) ASSERT_TRUE(t.add(h1 + (i & 1), make_ref(0, i), i % 3 == 0));
  EXPECT_EQ(t.count(h1) + t.count(h2), n);
  // Out of order: every other one, then the rest backwards.
  for (std::uint32_t i = 0; i < n; i += 2)
    EXPECT_EQ(t.remove(h1, make_ref(0, i)), i % 3 == 0 ? kind::write : kind::plain) << i;
  for (std::uint32_t i = n - 1; i < n; i -= 2)
    EXPECT_EQ(t.remove(h2, make_ref(0, i)), i % 3 == 0 ? kind::write : kind::plain) << i;
  EXPECT_EQ(t.count(h1) + t.count(h2), 0u);
  for (std::uint32_t i = 0; i < n; ++i) EXPECT_EQ(t.remove(h1, make_ref(0, i)), kind::none);
  // Reusable after all that.
  ASSERT_TRUE(t.add(h1, make_ref(2, 2), false));
  EXPECT_EQ(t.remove(h1, make_ref(2, 2)), kind::plain);
}

TEST(PinRecords, DrainTakesEveryPinOfOneHandle) {
  pin_records t(std::this_thread::get_id());
  ASSERT_TRUE(t.add(h1, make_ref(0, 1), false));
  ASSERT_TRUE(t.add(h1, make_ref(0, 1), false));
  ASSERT_TRUE(t.add(h1, make_ref(0, 1), true));
  ASSERT_TRUE(t.add(h1, make_ref(no_frame, 1), false));
  ASSERT_TRUE(t.add(h2, make_ref(0, 1), false));
  std::vector<pin_records::drained> v;
  t.drain(h1, v);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].ref, make_ref(0, 1));
  EXPECT_EQ(v[0].plain, 2u);
  EXPECT_EQ(v[0].write, 1u);
  EXPECT_EQ(v[1].ref, make_ref(no_frame, 1));
  EXPECT_EQ(t.count(h1), 0u);
  EXPECT_EQ(t.count(h2), 1u) << "another handle's pins stay";
  EXPECT_EQ(t.remove(h1, make_ref(0, 1)), kind::none);
}

TEST(PinRegistry, EachThreadHasItsOwnRecordsAndCountsSeeThemAll) {
  pin_registry reg;
  pin_records* mine = reg.mine();
  ASSERT_NE(mine, nullptr);
  EXPECT_EQ(reg.mine(), mine) << "the same records on the second call";
  ASSERT_TRUE(mine->add(h1, make_ref(0, 1), false));
  pin_records* theirs = nullptr;
  std::thread t([&] {
    theirs = reg.mine();
    ASSERT_NE(theirs, nullptr);
    EXPECT_EQ(theirs->remove(h1, make_ref(0, 1)), kind::none) << "another thread's pin";
    ASSERT_TRUE(theirs->add(h1, make_ref(0, 2), true));
  });
  t.join();
  EXPECT_NE(theirs, mine);
  EXPECT_EQ(reg.count(h1), 2u);
  const auto d = reg.drain(h1);
  EXPECT_EQ(d.size(), 2u);
  EXPECT_EQ(reg.count(h1), 0u);
  pin_registry other;  // another pool: other records, whatever the cache held
  EXPECT_NE(other.mine(), mine);
  EXPECT_EQ(reg.mine(), mine);
}

}  // namespace
}  // namespace pagepool::internal
