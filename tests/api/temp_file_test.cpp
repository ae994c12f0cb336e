// tests/api/temp_file_test.cpp: temporary files (open with no path): spilling
// to a lazily created backing file, descriptors, sync, close.
#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 1024;

pool_options temp_pool_options(const temp_dir& d, std::size_t frames) {
  pool_options o;
  o.cache_frames = frames;
  o.frame_size = kPs;
  o.temp_dir = d.path().string();
  return o;
}

// spec: 003 open: if file is NULL, a private temporary file is created; pages spill and read back
TEST(TempFile, SpillsToBackingFileAndReadsBack) {
  temp_dir d;
  auto p = make_pool(temp_pool_options(d, 8));
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, std::nullopt, open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  for (pgno_t i = 0; i < 64; ++i) {
    void* page = nullptr;
    pgno_t n = 12345;
    ASSERT_OK(f->get(&n, get_flags::new_page, &page));
    ASSERT_EQ(n, i);
    fill_page(page, kPs, i, 11);
    ASSERT_OK(f->put(page, priority::unchanged, put_flags::dirty));
  }
  EXPECT_EQ(last_pgno(*f), 63u);
  EXPECT_GE(p->stats().rw_evict, 56u);
  for (pgno_t i = 0; i < 64; ++i) EXPECT_TRUE(page_reads(*f, i, 11)) << i;
  // Backwards too, with modifications in between.
  for (pgno_t i = 0; i < 64; i += 3) write_page(*f, i, 12, get_flags::dirty);
  for (pgno_t i = 64; i-- > 0;) EXPECT_TRUE(page_reads(*f, i, i % 3 == 0 ? 12 : 11)) << i;
  EXPECT_OK(f->close());
}

// spec: file.hpp open: a temporary file gets a backing file only when a page must be evicted, and it disappears on close
TEST(TempFile, BackingFileDescriptorIsLazyAndReleasedOnClose) {
  temp_dir d;
  auto p = make_pool(temp_pool_options(d, 8));
  ASSERT_NE(p, nullptr);
  const int fds_start = count_fds();
  auto f = open_file(*p, std::nullopt, open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  for (int i = 0; i < 8; ++i) write_page(*f, 0, 1, get_flags::new_page);
  EXPECT_EQ(count_fds(), fds_start) << "backing file opened before any eviction";
  EXPECT_TRUE(std::filesystem::is_empty(d.path()));
  for (int i = 0; i < 8; ++i) write_page(*f, 0, 1, get_flags::new_page);
  EXPECT_EQ(count_fds(), fds_start + 1) << "expected exactly one backing descriptor";
  for (pgno_t i = 0; i < 16; ++i) EXPECT_TRUE(page_reads(*f, i, 1)) << i;
  ASSERT_OK(f->close());
  EXPECT_EQ(count_fds(), fds_start);
  EXPECT_TRUE(std::filesystem::is_empty(d.path())) << "backing file left behind";
}

// spec: 001 close: if the file argument to open was NULL, any underlying files created are removed (its pages are dropped)
TEST(TempFile, CloseDropsItsPages) {
  temp_dir d;
  auto p = make_pool(temp_pool_options(d, 8));
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, std::nullopt, open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  for (int i = 0; i < 5; ++i) write_page(*f, 0, 1, get_flags::new_page);
  EXPECT_EQ(p->stats().pages, 5u);
  EXPECT_EQ(p->stats().page_dirty, 5u);
  std::uint64_t out0 = p->stats().page_out;
  ASSERT_OK(f->close());
  pool_stats s = p->stats();
  EXPECT_EQ(s.pages, 0u);
  EXPECT_EQ(s.page_dirty, 0u);
  EXPECT_EQ(s.page_out, out0);
  // A pool sync afterwards has nothing to do.
  EXPECT_OK(p->sync());
  EXPECT_EQ(p->stats().page_out, out0);
}

// spec: pool.hpp sync: temporary files excepted; file.hpp sync: a no-op on temporary files
TEST(TempFile, SyncWritesNothing) {
  temp_dir d;
  auto p = make_pool(temp_pool_options(d, 8));
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, std::nullopt, open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  for (int i = 0; i < 4; ++i) write_page(*f, 0, 2, get_flags::new_page);
  std::uint64_t out0 = p->stats().page_out;
  const int fds = count_fds();
  EXPECT_OK(f->sync());
  EXPECT_OK(p->sync());
  EXPECT_EQ(p->stats().page_out, out0);
  EXPECT_EQ(p->stats().page_dirty, 4u);
  EXPECT_EQ(count_fds(), fds);
  EXPECT_TRUE(std::filesystem::is_empty(d.path()));
  EXPECT_OK(f->close());
}

// spec: file.hpp stats: file_name is "" for a temporary file
TEST(TempFile, StatisticsNameIsEmpty) {
  temp_dir d;
  auto p = make_pool(temp_pool_options(d, 8));
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, std::nullopt, open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  write_page(*f, 0, 2, get_flags::new_page);
  auto fs = p->file_statistics();
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].file_name, "");
  EXPECT_EQ(fs[0].pagesize, kPs);
  EXPECT_EQ(fs[0].page_create, 1u);
  EXPECT_OK(f->close());
}

// spec: 003 open: a temporary file cannot be shared: two temporary handles are distinct files
TEST(TempFile, TwoTemporaryFilesAreIndependent) {
  temp_dir d;
  auto p = make_pool(temp_pool_options(d, 8));
  ASSERT_NE(p, nullptr);
  auto a = open_file(*p, std::nullopt, open_flags::none, kPs);
  auto b = open_file(*p, std::nullopt, open_flags::none, kPs);
  ASSERT_TRUE(a && b && a->is_open() && b->is_open());
  write_page(*a, 0, 1, get_flags::new_page);
  write_page(*b, 0, 2, get_flags::new_page);
  EXPECT_TRUE(page_reads(*a, 0, 1));
  EXPECT_TRUE(page_reads(*b, 0, 2));
  EXPECT_EQ(p->stats().pages, 2u);
  EXPECT_OK(a->close());
  EXPECT_TRUE(page_reads(*b, 0, 2));
  EXPECT_OK(b->close());
}

}  // namespace
}  // namespace pagepool::apitest
