// tests/api/resize_test.cpp: pool::resize (BDB: DB_ENV->set_cachesize after
// open, documented to resize the live cache; BDB 5.3 fails there) and
// pool_options::cache_max_bytes (BDB: set_cache_max).

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "api/api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPage = 4096;

TEST(Resize, GrowAddsFramesThatHoldMorePages) {  // set_cachesize after open: grows
  temp_dir d;
  auto p = make_pool(8, kPage, 1);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->max_frames(), 32u);  // default cap: four times the initial size
  auto f = open_file(*p, d.file("g"), open_flags::create, kPage);
  ASSERT_TRUE(f);
  ASSERT_OK(p->resize(24));
  EXPECT_EQ(p->frames(), 24u);
  // 24 pages can now be pinned at once (8 could not).
  std::vector<void*> pages;
  for (pgno_t i = 0; i < 24; ++i) {
    pgno_t n = i;
    void* pg = nullptr;
    ASSERT_OK(f->get(&n, get_flags::create, &pg)) << "page " << i;
    fill_page(pg, kPage, i, 7);
    pages.push_back(pg);
  }
  for (void* pg : pages) ASSERT_OK(f->put(pg, priority::unchanged, put_flags::dirty));
  EXPECT_EQ(p->stats().frames, 24u);
  EXPECT_EQ(p->stats().cache_bytes, 24u * kPage);
  ASSERT_OK(f->close());
}

TEST(Resize, ShrinkWritesDirtyPagesAndLosesNothing) {  // shrink evicts, writing dirty pages first
  temp_dir d;
  auto p = make_pool(32, kPage, 1);
  ASSERT_TRUE(p);
  const std::string path = d.file("s");
  auto f = open_file(*p, path, open_flags::create, kPage);
  ASSERT_TRUE(f);
  for (pgno_t i = 0; i < 32; ++i) write_page(*f, i, 3);  // 32 dirty pages, all resident
  ASSERT_EQ(p->stats().page_dirty, 32u);
  ASSERT_OK(p->resize(4));
  EXPECT_EQ(p->frames(), 4u);
  const pool_stats st = p->stats();
  EXPECT_LE(st.pages, 4u);
  EXPECT_GE(st.rw_evict, 28u);
  // Each evicted page reached the file; every page reads back intact.
  for (pgno_t i = 0; i < 32; ++i) {
    pgno_t n = i;
    void* pg = nullptr;
    ASSERT_OK(f->get(&n, get_flags::none, &pg));
    EXPECT_TRUE(page_has_pattern(pg, kPage, i, 3)) << "page " << i;
    ASSERT_OK(f->put(pg));
  }
  ASSERT_OK(p->sync());
  for (pgno_t i = 0; i < 32; ++i) EXPECT_TRUE(disk_page_has_pattern(path, i, kPage, 3)) << i;
  ASSERT_OK(f->close());
}

TEST(Resize, PinnedPagesSurviveAShrinkAndLeaveWhenUnpinned) {  // pinned pages survive a shrink
  temp_dir d;
  auto p = make_pool(16, kPage, 1);
  ASSERT_TRUE(p);
  auto f = open_file(*p, d.file("p"), open_flags::create, kPage);
  ASSERT_TRUE(f);
  std::vector<void*> pinned;
  for (pgno_t i = 0; i < 16; ++i) {
    pgno_t n = i;
    void* pg = nullptr;
    ASSERT_OK(f->get(&n, get_flags::create, &pg));
    fill_page(pg, kPage, i, 5);
    pinned.push_back(pg);
  }
  ASSERT_OK(p->resize(2));  // every frame is pinned: nothing can go yet
  EXPECT_EQ(p->frames(), 2u);
  EXPECT_EQ(p->stats().pages, 16u);
  // The pinned pages stay readable and writable at the same address.
  for (pgno_t i = 0; i < 16; ++i) {
    EXPECT_TRUE(page_has_pattern(pinned[i], kPage, i, 5));
    fill_page(pinned[i], kPage, i, 6);
    ASSERT_OK(f->put(pinned[i], priority::unchanged, put_flags::dirty));
  }
  // Each page left with its last pin: 2 frames' worth of pages stay at most.
  EXPECT_LE(p->stats().pages, 2u);
  for (int round = 0; round < 3; ++round) {
    for (pgno_t i = 0; i < 16; ++i) {
      pgno_t n = i;
      void* pg = nullptr;
      ASSERT_OK(f->get(&n, get_flags::none, &pg));
      ASSERT_TRUE(page_has_pattern(pg, kPage, i, 6)) << "page " << i;
      ASSERT_OK(f->put(pg));
    }
  }
  EXPECT_LE(p->stats().pages, 2u);
  ASSERT_OK(f->close());
}

TEST(Resize, GrowAfterShrinkReusesFrames) {
  temp_dir d;
  auto p = make_pool(21, kPage, 3);
  ASSERT_TRUE(p);
  auto f = open_file(*p, d.file("r"), open_flags::create, kPage);
  ASSERT_TRUE(f);
  for (pgno_t i = 0; i < 40; ++i) write_page(*f, i, 9);
  ASSERT_OK(p->resize(3));
  ASSERT_OK(p->resize(84));
  EXPECT_EQ(p->frames(), 84u);
  std::vector<void*> pinned;
  for (pgno_t i = 0; i < 40; ++i) {
    pgno_t n = i;
    void* pg = nullptr;
    ASSERT_OK(f->get(&n, get_flags::none, &pg));
    EXPECT_TRUE(page_has_pattern(pg, kPage, i, 9)) << "page " << i;
    pinned.push_back(pg);  // 40 pins fit in 3 x 28 frames
  }
  for (void* pg : pinned) ASSERT_OK(f->put(pg));
  ASSERT_OK(f->close());
}

TEST(Resize, BadSizesAreEinvalAndChangeNothing) {  // EINVAL, nothing changes
  pool_options o;
  o.cache_frames = 8;
  o.regions = 2;
  o.cache_max_bytes = 16 * kPage;
  auto p = make_pool(o);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->max_frames(), 16u);
  EXPECT_ERR(p->resize(17), std::errc::invalid_argument);  // past cache_max
  EXPECT_ERR(p->resize(1), std::errc::invalid_argument);   // fewer frames than regions
  EXPECT_ERR(p->resize(0), std::errc::invalid_argument);
  EXPECT_EQ(p->frames(), 8u);
  EXPECT_OK(p->resize(16));
  EXPECT_EQ(p->frames(), 16u);
}

TEST(Resize, TheMaximumIsExactWhenRegionsDoNotDivideIt) {  // set_cache_max is a bound
  pool_options o;
  o.cache_frames = 30;
  o.frame_size = kPage;
  o.regions = 3;
  o.cache_max_bytes = 92 * kPage;  // not a multiple of 3 frames
  std::unique_ptr<pool> p;
  ASSERT_OK(pool::create(o, p));
  EXPECT_EQ(p->max_frames(), 92u);
  EXPECT_ERR(p->resize(93), std::errc::invalid_argument);
  EXPECT_EQ(p->frames(), 30u);
  ASSERT_OK(p->resize(92));
  EXPECT_EQ(p->stats().cache_bytes, 92u * kPage);
}

// Regression (stress seed 11, 3 regions): the raw API's pin records were laid
// out max_frames / regions frames wide, rounded down, while each region has
// room for that share rounded up. Grown to the maximum, the last frame of one
// region then shared its pin record with the first frame of the next, and a
// put found the other frame's kind of pin: a pin to write taken for a plain
// one left the write pin behind, and the second put was refused with EINVAL,
// its page pinned for ever and its last version never written.
// With 3 regions and a maximum of 4 frames every region has room for 2 frames;
// grown to 4, region 0 has 2 in service and regions 1 and 2 one each, and all
// four are pinned here, in every combination of plain pins and pins to write.
TEST(Resize, EveryFrameOfAGrownPoolIsPutWhateverItsRegion) {  // put after resize (issue 17)
  temp_dir d;
  for (unsigned mask = 0; mask < 16; ++mask) {
    SCOPED_TRACE(::testing::Message() << "pins to write: mask " << mask);
    pool_options o;
    o.cache_frames = 3;
    o.frame_size = kPage;
    o.regions = 3;
    o.cache_max_bytes = 4 * kPage;  // a region cap of 2, 4 / 3 rounded up
    o.alloc_timeout = std::chrono::milliseconds(0);
    auto p = make_pool(o);
    ASSERT_TRUE(p);
    ASSERT_OK(p->resize(4));
    const std::string path = d.file("grown" + std::to_string(mask));
    auto f = open_file(*p, path, open_flags::create, kPage);
    ASSERT_TRUE(f);
    // Pin pages until every frame is pinned: a get that finds its region's
    // frames all pinned fails with ENOMEM at once and pins nothing.
    struct held {
      pgno_t pgno;
      void* page;
      bool write;
    };
    std::vector<held> pins;
    for (pgno_t pg = 0; pins.size() < 4 && pg < 256; ++pg) {
      const bool write = (mask >> pins.size()) & 1;
      pgno_t n = pg;
      void* page = nullptr;
      const std::error_code ec =
          f->get(&n, write ? get_flags::create | get_flags::dirty : get_flags::create, &page);
      if (ec == std::errc::not_enough_memory) continue;
      ASSERT_OK(ec) << "page " << pg;
      fill_page(page, kPage, pg, 40 + mask);
      pins.push_back({pg, page, write});
    }
    ASSERT_EQ(pins.size(), 4u) << "four frames in service, each pinned once";
    EXPECT_EQ(p->stats().pages, 4u);
    // Every put finds its own pin; the pages are dirty (create made them).
    for (const held& h : pins) EXPECT_OK(f->put(h.page, priority::unchanged, put_flags::dirty)) << "page " << h.pgno;
    // A second put of any of them is EINVAL and changes nothing.
    for (const held& h : pins) EXPECT_ERR(f->put(h.page), std::errc::invalid_argument) << "page " << h.pgno;
    ASSERT_OK(p->sync());  // nothing pinned: every page is written
    EXPECT_EQ(p->stats().page_dirty, 0u);
    ASSERT_OK(f->close());
    for (const held& h : pins) EXPECT_TRUE(disk_page_has_pattern(path, h.pgno, kPage, 40 + mask)) << "page " << h.pgno;
  }
}

}  // namespace
}  // namespace pagepool::apitest
