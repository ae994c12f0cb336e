// tests/api/close_test.cpp: file::close: EBUSY while pinned, no writes, reuse
// of the file afterwards.
#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 1024;

// spec: file.hpp close: EBUSY, changing nothing, while pages got through it are still pinned (raw and page_handle)
TEST(FileClose, EbusyWhilePinnedThenSucceeds) {
  temp_dir d;
  const std::string path = d.file("c");
  write_file(path, 4, kPs, 1);
  auto p = make_pool(4, kPs);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  void* raw = nullptr;
  pgno_t n = 1;
  ASSERT_OK(f->get(&n, get_flags::none, &raw));
  page_handle h;
  pgno_t m = 2;
  ASSERT_OK(f->get(m, get_flags::none, h));
  EXPECT_ERR(f->close(), std::errc::device_or_resource_busy);
  EXPECT_TRUE(f->is_open());
  ASSERT_OK(f->put(raw));
  EXPECT_ERR(f->close(), std::errc::device_or_resource_busy);
  // The handle still works after the refused closes.
  EXPECT_TRUE(page_reads(*f, 3, 1));
  EXPECT_TRUE(page_has_pattern(h.data(), kPs, 2, 1));
  ASSERT_OK(h.release());
  EXPECT_OK(f->close());
  EXPECT_FALSE(f->is_open());
}

// spec: 001 close does not imply sync: no pages are written as a result of close
TEST(FileClose, WritesNothing) {
  temp_dir d;
  const std::string path = d.file("c");
  write_file(path, 4, kPs, 1);
  auto p = make_pool(8, kPs);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  write_page(*f, 0, 2, get_flags::dirty);
  std::uint64_t out0 = p->stats().page_out;
  ASSERT_OK(f->close());
  EXPECT_EQ(p->stats().page_out, out0);
  EXPECT_TRUE(disk_page_has_pattern(path, 0, kPs, 1));
  // The dirty page is still the pool's to write.
  ASSERT_OK(p->sync());
  EXPECT_TRUE(disk_page_has_pattern(path, 0, kPs, 2));
}

// spec: ref §1.3 close: the file's cached pages outlive the handle; a new handle sees the latest contents
TEST(FileClose, ReopenSeesUnwrittenDirtyPage) {
  temp_dir d;
  const std::string path = d.file("c");
  write_file(path, 4, kPs, 1);
  auto p = make_pool(8, kPs);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  write_page(*f, 3, 5, get_flags::dirty);
  ASSERT_OK(f->close());
  auto g = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(g && g->is_open());
  EXPECT_TRUE(page_reads(*g, 3, 5));
  EXPECT_OK(g->close());
}

// spec: file.hpp: a closed handle cannot get pages (EINVAL, not open)
TEST(FileClose, GetAfterCloseIsEinval) {
  temp_dir d;
  auto p = make_pool(4, kPs);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, d.file("c"), open_flags::create, kPs);
  ASSERT_TRUE(f && f->is_open());
  ASSERT_OK(f->close());
  pgno_t n = 0;
  void* page = nullptr;
  EXPECT_ERR(f->get(&n, get_flags::new_page, &page), std::errc::invalid_argument);
}

// spec: 001 close: with a NULL file, underlying files are removed; ref §1.3 temporary pages discarded (stats pages drop)
TEST(FileClose, TemporaryFileCloseDropsPages) {
  temp_dir d;
  pool_options o;
  o.cache_frames = 8;
  o.frame_size = kPs;
  o.temp_dir = d.path().string();
  auto p = make_pool(o);
  ASSERT_NE(p, nullptr);
  write_file(d.file("keep"), 2, kPs, 0);
  auto keep = open_file(*p, d.file("keep"), open_flags::none, kPs);
  ASSERT_TRUE(keep && keep->is_open());
  EXPECT_TRUE(page_reads(*keep, 0, 0));
  EXPECT_TRUE(page_reads(*keep, 1, 0));
  auto t = open_file(*p, std::nullopt, open_flags::none, kPs);
  ASSERT_TRUE(t && t->is_open());
  for (int i = 0; i < 12; ++i) write_page(*t, 0, 1, get_flags::new_page);
  EXPECT_EQ(p->stats().pages, 8u);
  ASSERT_OK(t->close());
  pool_stats s = p->stats();
  EXPECT_LE(s.pages, 2u);
  EXPECT_EQ(s.page_dirty, 0u);
  EXPECT_TRUE(page_reads(*keep, 0, 0));
  EXPECT_OK(keep->close());
  // Only the kept file remains in the directory.
  int entries = 0;
  for (auto& e : std::filesystem::directory_iterator(d.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

}  // namespace
}  // namespace pagepool::apitest
