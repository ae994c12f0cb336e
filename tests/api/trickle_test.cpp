// tests/api/trickle_test.cpp: pool::trickle: percent validation and the exact
// number of pages written to reach the clean target.
#include <algorithm>

#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 1024;
constexpr std::size_t kFrames = 8;

// spec: ref §1.2 memp_trickle: pct must be 1..100, else EINVAL
TEST(Trickle, PercentOutOfRangeIsEinval) {
  auto p = make_pool(kFrames);
  ASSERT_NE(p, nullptr);
  int written = 12345;
  EXPECT_ERR(p->trickle(0, &written), std::errc::invalid_argument);
  EXPECT_ERR(p->trickle(101, &written), std::errc::invalid_argument);
  EXPECT_ERR(p->trickle(-5, &written), std::errc::invalid_argument);
  EXPECT_OK(p->trickle(1, &written));
  EXPECT_EQ(written, 0);
  EXPECT_OK(p->trickle(100, &written));
  EXPECT_EQ(written, 0);
}

struct TrickleCase {
  int dirty;
  int percent;
};

class TrickleExact : public ::testing::TestWithParam<TrickleCase> {};

// spec: ref §1.2 memp_trickle: writes dirty pages until pct % of the cache's pages are clean (written = max(0, ceil(p*F/100) - clean))
TEST_P(TrickleExact, WritesExactlyEnoughPagesToReachTarget) {
  const TrickleCase c = GetParam();
  temp_dir d;
  const std::string path = d.file("t");
  auto p = make_pool(kFrames);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::create, kPs);
  ASSERT_TRUE(f && f->is_open());
  for (int i = 0; i < c.dirty; ++i) write_page(*f, 0, 2, get_flags::new_page);
  pool_stats before = p->stats();
  ASSERT_EQ(before.page_dirty, static_cast<std::uint32_t>(c.dirty));
  const int clean = static_cast<int>(kFrames) - c.dirty;
  const int target = (c.percent * static_cast<int>(kFrames) + 99) / 100;
  const int expect_written = std::max(0, target - clean);

  int written = -1;
  ASSERT_OK(p->trickle(c.percent, &written));
  EXPECT_EQ(written, expect_written);
  pool_stats after = p->stats();
  EXPECT_EQ(after.page_dirty, static_cast<std::uint32_t>(c.dirty - expect_written));
  EXPECT_GE(static_cast<int>(kFrames) - static_cast<int>(after.page_dirty), target);
  EXPECT_EQ(after.page_trickle, before.page_trickle + static_cast<std::uint64_t>(expect_written));
  EXPECT_EQ(after.page_out, before.page_out + static_cast<std::uint64_t>(expect_written));
  // Every page written by trickle is on disk with its contents.
  int on_disk = 0;
  for (pgno_t i = 0; i < static_cast<pgno_t>(c.dirty); ++i)
    if (disk_page_has_pattern(path, i, kPs, 2)) ++on_disk;
  EXPECT_EQ(on_disk, expect_written);
  // The pages are all still readable.
  for (pgno_t i = 0; i < static_cast<pgno_t>(c.dirty); ++i) EXPECT_TRUE(page_reads(*f, i, 2));
  // A second trickle at the same percent has nothing left to do.
  ASSERT_OK(p->trickle(c.percent, &written));
  EXPECT_EQ(written, 0);
  EXPECT_OK(f->close());
}

INSTANTIATE_TEST_SUITE_P(Cases, TrickleExact,
                         ::testing::Values(TrickleCase{8, 25}, TrickleCase{8, 30},
                                           TrickleCase{8, 100}, TrickleCase{8, 1},
                                           TrickleCase{4, 50}, TrickleCase{4, 60},
                                           TrickleCase{4, 100}, TrickleCase{6, 50},
                                           TrickleCase{0, 100}),
                         [](const ::testing::TestParamInfo<TrickleCase>& i) {
                           return "dirty" + std::to_string(i.param.dirty) + "_pct" +
                                  std::to_string(i.param.percent);
                         });

// spec: ref §1.2 memp_trickle: pinned dirty pages cannot be written; the unpinned ones are
TEST(Trickle, SkipsPinnedDirtyPages) {
  temp_dir d;
  auto p = make_pool(kFrames);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, d.file("t"), open_flags::create, kPs);
  ASSERT_TRUE(f && f->is_open());
  for (int i = 0; i < 6; ++i) write_page(*f, 0, 2, get_flags::new_page);
  void* pinned = nullptr;
  pgno_t n = 0;
  ASSERT_OK(f->get(&n, get_flags::dirty, &pinned));
  int written = -1;
  (void)p->trickle(100, &written);
  EXPECT_EQ(written, 5);
  EXPECT_EQ(p->stats().page_dirty, 1u);
  EXPECT_OK(f->put(pinned));
  EXPECT_OK(p->trickle(100, &written));
  EXPECT_EQ(written, 1);
  EXPECT_EQ(p->stats().page_dirty, 0u);
  EXPECT_OK(f->close());
}

}  // namespace
}  // namespace pagepool::apitest
