// tests/api/background_writer_test.cpp: pool::start_background_writer /
// stop_background_writer and pool_options::background_clean_percent
// (pagepool's own; BDB applications run memp_trickle from their own thread).
// Promised: it writes unpinned modified pages, without a sync call, until the
// requested share of frames is clean; it leaves pinned pages alone; bad
// settings are EINVAL and start nothing; close() and the destructor stop it.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "api/api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPage = 4096;
using std::chrono::milliseconds;

/// Polls until pred() holds or about 5 s have passed.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 5000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return pred();
}

TEST(BackgroundWriter, BadSettingsAreEinvalAndStartNothing) {
  auto p = make_pool(16, kPage, 1);
  ASSERT_TRUE(p);
  EXPECT_ERR(p->start_background_writer(0), std::errc::invalid_argument);
  EXPECT_ERR(p->start_background_writer(101), std::errc::invalid_argument);
  EXPECT_ERR(p->start_background_writer(50, milliseconds(0)), std::errc::invalid_argument);
  EXPECT_FALSE(p->background_writer_running());
  p->stop_background_writer();  // a no-op when not running
  pool_options o;
  o.cache_frames = 16;
  o.background_clean_percent = 101;
  std::unique_ptr<pool> q;
  EXPECT_ERR(pool::create(o, q), std::errc::invalid_argument);
  EXPECT_FALSE(q);
}

TEST(BackgroundWriter, WritesModifiedPagesWithoutASync) {
  temp_dir d;
  const std::string path = d.file("bg");
  auto p = make_pool(32, kPage, 2);
  auto f = open_file(*p, path, open_flags::create, kPage);
  ASSERT_TRUE(f);
  for (pgno_t i = 0; i < 20; ++i) write_page(*f, i, 4);
  ASSERT_EQ(p->stats().page_dirty, 20u);
  ASSERT_OK(p->start_background_writer(100, milliseconds(2)));
  EXPECT_TRUE(p->background_writer_running());
  EXPECT_TRUE(eventually([&] { return p->stats().page_dirty == 0; }));
  p->stop_background_writer();
  EXPECT_FALSE(p->background_writer_running());
  const pool_stats st = p->stats();
  EXPECT_EQ(st.background_writes, 20u);
  EXPECT_GT(st.background_passes, 0u);
  EXPECT_EQ(st.background_write_errors, 0u);
  EXPECT_EQ(st.pages, 20u);  // written, not evicted
  for (pgno_t i = 0; i < 20; ++i) EXPECT_TRUE(disk_page_has_pattern(path, i, kPage, 4)) << i;
  ASSERT_OK(f->close());
}

TEST(BackgroundWriter, StopsAtTheRequestedShareAndLeavesPinnedPages) {
  temp_dir d;
  const std::string path = d.file("share");
  auto p = make_pool(20, kPage, 1);
  auto f = open_file(*p, path, open_flags::create, kPage);
  ASSERT_TRUE(f);
  for (pgno_t i = 0; i < 20; ++i) write_page(*f, i, 1);  // every frame dirty
  pgno_t n = 7;
  void* pinned = nullptr;
  ASSERT_OK(f->get(&n, get_flags::none, &pinned));
  // 50% of 20 frames clean: 10 pages written, never the pinned one.
  ASSERT_OK(p->start_background_writer(50, milliseconds(2)));
  EXPECT_TRUE(eventually([&] { return p->stats().page_dirty <= 10; }));
  std::this_thread::sleep_for(milliseconds(30));  // several more passes
  EXPECT_EQ(p->stats().page_dirty, 10u);
  // Raise the share while it runs: all but the pinned page.
  ASSERT_OK(p->start_background_writer(100, milliseconds(2)));
  EXPECT_TRUE(eventually([&] { return p->stats().page_dirty == 1; }));
  std::this_thread::sleep_for(milliseconds(30));
  EXPECT_EQ(p->stats().page_dirty, 1u) << "the pinned page was written";
  EXPECT_FALSE(disk_page_has_pattern(path, 7, kPage, 1));
  ASSERT_OK(f->put(pinned));
  EXPECT_TRUE(eventually([&] { return p->stats().page_dirty == 0; }));
  EXPECT_TRUE(disk_page_has_pattern(path, 7, kPage, 1));
  ASSERT_OK(f->close());
  ASSERT_OK(p->close());
  EXPECT_FALSE(p->background_writer_running());
}

TEST(BackgroundWriter, StartedByPoolOptions) {
  temp_dir d;
  const std::string path = d.file("opt");
  pool_options o;
  o.cache_frames = 16;
  o.background_clean_percent = 100;
  o.background_period = milliseconds(2);
  std::unique_ptr<pool> p;
  ASSERT_OK(pool::create(o, p));
  EXPECT_TRUE(p->background_writer_running());
  auto f = open_file(*p, path, open_flags::create, kPage);
  ASSERT_TRUE(f);
  write_page(*f, 3, 9);
  EXPECT_TRUE(eventually([&] { return disk_page_has_pattern(path, 3, kPage, 9); }));
  ASSERT_OK(f->close());
  // The destructor stops it (ASan/TSan would see a thread left running).
}

TEST(BackgroundWriter, ADirtyVictimWrittenByAGetWakesItEarly) {
  temp_dir d;
  const std::string path = d.file("nudge");
  auto p = make_pool(8, kPage, 1);
  auto f = open_file(*p, path, open_flags::create, kPage);
  ASSERT_TRUE(f);
  // A period far longer than the test: only a nudge can start a pass.
  ASSERT_OK(p->start_background_writer(100, std::chrono::hours(1)));
  for (pgno_t i = 0; i < 8; ++i) write_page(*f, i, 2);
  write_page(*f, 8, 2);  // evicts a dirty victim: the get writes it itself
  EXPECT_GE(p->stats().rw_evict, 1u);
  EXPECT_TRUE(eventually([&] { return p->stats().background_writes >= 7; }));
  // The pass may run while page 8 is still pinned by its writer; that page may
  // stay dirty (no later nudge comes), the seven others may not.
  EXPECT_LE(p->stats().page_dirty, 1u);
  ASSERT_OK(f->close());
}

}  // namespace
}  // namespace pagepool::apitest
