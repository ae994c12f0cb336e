// tests/api/limits_test.cpp: set_mp_max_write (sync throttling) and
// set_mp_max_openfd (descriptors kept for closed files).
#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 1024;

// spec: ref §1.2 set_mp_max_write: after maxwrite writes, sync sleeps sleep_us (pool.hpp: after every max_write writes)
TEST(MaxWrite, SyncSleepsAfterEveryMaxWriteWrites) {
  temp_dir d;
  const std::string path = d.file("w");
  auto p = make_pool(16);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(p->set_max_write(2, std::chrono::microseconds(1)));
  auto f = open_file(*p, path, open_flags::create, kPs);
  ASSERT_TRUE(f && f->is_open());
  for (int i = 0; i < 6; ++i) write_page(*f, 0, 1, get_flags::new_page);
  std::uint64_t sleeps0 = p->stats().write_sleeps;
  ASSERT_OK(p->sync());
  EXPECT_EQ(p->stats().page_out, 6u);
  EXPECT_EQ(p->stats().write_sleeps - sleeps0, 3u);
  for (pgno_t i = 0; i < 6; ++i) EXPECT_TRUE(disk_page_has_pattern(path, i, kPs, 1)) << i;
  // Turning the limit off stops the sleeps.
  ASSERT_OK(p->set_max_write(0, std::chrono::microseconds(0)));
  for (pgno_t i = 0; i < 6; ++i) write_page(*f, i, 2, get_flags::dirty);
  sleeps0 = p->stats().write_sleeps;
  ASSERT_OK(p->sync());
  EXPECT_EQ(p->stats().write_sleeps, sleeps0);
  EXPECT_OK(f->close());
}

// spec: ref §1.2 set_mp_max_write configured through pool_options too
TEST(MaxWrite, OptionConfiguresThrottle) {
  temp_dir d;
  pool_options o;
  o.cache_frames = 16;
  o.max_write = 4;
  o.max_write_sleep = std::chrono::microseconds(1);
  auto p = make_pool(o);
  ASSERT_NE(p, nullptr);
  int w = 0;
  std::chrono::microseconds s{0};
  p->max_write(&w, &s);
  EXPECT_EQ(w, 4);
  EXPECT_EQ(s.count(), 1);
  auto f = open_file(*p, d.file("w"), open_flags::create, kPs);
  ASSERT_TRUE(f && f->is_open());
  for (int i = 0; i < 9; ++i) write_page(*f, 0, 1, get_flags::new_page);
  ASSERT_OK(f->sync());
  EXPECT_EQ(p->stats().write_sleeps, 2u);
  EXPECT_OK(f->close());
}

// spec: ref §1.2 set_mp_max_openfd: descriptors of files no handle has open are closed beyond this many; data still reaches disk
TEST(MaxOpenFd, ClosedFilesKeepAtMostLimitDescriptors) {
  temp_dir d;
  auto p = make_pool(16);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(p->set_max_open_fd(1));
  std::vector<std::string> paths;
  std::vector<std::unique_ptr<file>> files;
  for (int i = 0; i < 4; ++i) {
    paths.push_back(d.file("f" + std::to_string(i)));
    write_file(paths.back(), 2, kPs, 0);
    files.push_back(open_file(*p, paths.back(), open_flags::none, kPs));
    ASSERT_TRUE(files.back() && files.back()->is_open());
  }
  for (int i = 0; i < 4; ++i) {
    write_page(*files[i], 0, 10 + i, get_flags::dirty);
    write_page(*files[i], 2, 10 + i, get_flags::new_page);
  }
  for (auto& f : files) ASSERT_OK(f->close());
  ASSERT_OK(p->sync());
  pool_stats s = p->stats();
  EXPECT_LE(s.open_fds, 1u);
  EXPECT_EQ(s.maxopenfd, 1);
  EXPECT_EQ(s.page_dirty, 0u);
  EXPECT_EQ(s.page_out, 8u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(disk_page_has_pattern(paths[i], 0, kPs, 10 + i)) << paths[i];
    EXPECT_TRUE(disk_page_has_pattern(paths[i], 1, kPs, 0)) << paths[i];
    EXPECT_TRUE(disk_page_has_pattern(paths[i], 2, kPs, 10 + i)) << paths[i];
  }
}

}  // namespace
}  // namespace pagepool::apitest
