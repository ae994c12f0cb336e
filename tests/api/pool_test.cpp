// tests/api/pool_test.cpp: pool::create sizing and validation, pool getters and
// setters, register_page_io validation, pool::close.
#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

// spec: ref §0.5 sizing is exact: cache_bytes / frame_size frames, no hidden inflation
TEST(PoolCreate, CacheBytesGivesExactFrameCount) {
  pool_options o;
  o.cache_bytes = 1u << 20;
  o.frame_size = 4096;
  auto p = make_pool(o);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->frames(), 256u);
  EXPECT_EQ(p->frame_size(), 4096u);
  EXPECT_EQ(p->regions(), 1u);
  pool_stats s = p->stats();
  EXPECT_EQ(s.frames, 256u);
  EXPECT_EQ(s.cache_bytes, 1u << 20);
  EXPECT_EQ(s.frame_size, 4096u);
  EXPECT_EQ(s.ncache, 1u);
  EXPECT_EQ(s.pages, 0u);
  EXPECT_EQ(s.page_dirty, 0u);
}

// spec: ref §0.5 sizing is exact: cache_frames gives that many frames, cache_bytes ignored
TEST(PoolCreate, CacheFramesOverridesCacheBytes) {
  pool_options o;
  o.cache_bytes = 1u << 20;
  o.cache_frames = 10;
  o.frame_size = 2048;
  auto p = make_pool(o);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->frames(), 10u);
  EXPECT_EQ(p->frame_size(), 2048u);
  pool_stats s = p->stats();
  EXPECT_EQ(s.frames, 10u);
  EXPECT_EQ(s.cache_bytes, 10u * 2048u);
  EXPECT_EQ(s.frame_size, 2048u);
}

// spec: ref §1.2 set_cachesize splits the cache into ncache equal regions
TEST(PoolCreate, RegionsSplitFramesEvenly) {
  pool_options o;
  o.cache_frames = 12;
  o.frame_size = 4096;
  o.regions = 3;
  auto p = make_pool(o);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->regions(), 3u);
  EXPECT_EQ(p->frames(), 12u);
  pool_stats s = p->stats();
  EXPECT_EQ(s.ncache, 3u);
  EXPECT_EQ(s.frames, 12u);
  EXPECT_EQ(s.cache_bytes, 12u * 4096u);
  EXPECT_GT(s.hash_buckets, 0u);
}

// spec: ref §6 memp001 several caches: all of a file's pages are usable with ncache > 1
TEST(PoolCreate, MultiRegionPoolServesPages) {
  temp_dir d;
  auto p = make_pool(12, 4096, 3);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, d.file("a"), open_flags::create, 1024);
  ASSERT_TRUE(f && f->is_open());
  for (pgno_t i = 0; i < 40; ++i) write_page(*f, i, 3);
  for (pgno_t i = 0; i < 40; ++i) EXPECT_TRUE(page_reads(*f, i, 3));
  EXPECT_OK(f->close());
}

// spec: 000 set_cachesize; pool.hpp create: EINVAL for a zero size
TEST(PoolCreate, ZeroSizeIsEinval) {
  pool_options o;
  std::unique_ptr<pool> p;
  EXPECT_ERR(pool::create(o, p), std::errc::invalid_argument);
  EXPECT_EQ(p, nullptr);
}

// spec: pool.hpp create: fewer frames than regions is EINVAL (cache_bytes below one frame)
TEST(PoolCreate, CacheBytesSmallerThanOneFrameIsEinval) {
  pool_options o;
  o.cache_bytes = 100;
  o.frame_size = 4096;
  std::unique_ptr<pool> p;
  EXPECT_ERR(pool::create(o, p), std::errc::invalid_argument);
}

// spec: pool.hpp create: frame_size must be a power of two in [512, 65536]
TEST(PoolCreate, BadFrameSizeIsEinval) {
  for (std::size_t fs : {std::size_t{0}, std::size_t{256}, std::size_t{1000}, std::size_t{3072},
                         std::size_t{131072}}) {
    pool_options o;
    o.cache_frames = 8;
    o.frame_size = fs;
    std::unique_ptr<pool> p;
    EXPECT_ERR(pool::create(o, p), std::errc::invalid_argument) << "frame_size " << fs;
  }
}

// spec: pool.hpp create: frame_size bounds 512 and 65536 are accepted
TEST(PoolCreate, FrameSizeBoundsAccepted) {
  for (std::size_t fs : {std::size_t{512}, std::size_t{65536}}) {
    pool_options o;
    o.cache_frames = 2;
    o.frame_size = fs;
    std::unique_ptr<pool> p;
    EXPECT_OK(pool::create(o, p));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->frame_size(), fs);
    EXPECT_EQ(p->frames(), 2u);
  }
}

// spec: pool.hpp create: regions == 0 is EINVAL
TEST(PoolCreate, ZeroRegionsIsEinval) {
  pool_options o;
  o.cache_frames = 8;
  o.regions = 0;
  std::unique_ptr<pool> p;
  EXPECT_ERR(pool::create(o, p), std::errc::invalid_argument);
}

// spec: pool.hpp create: fewer frames than regions is EINVAL
TEST(PoolCreate, FewerFramesThanRegionsIsEinval) {
  pool_options o;
  o.cache_frames = 2;
  o.regions = 3;
  std::unique_ptr<pool> p;
  EXPECT_ERR(pool::create(o, p), std::errc::invalid_argument);
}

// spec: ref §1.2 set_mp_mmapsize / get_mp_mmapsize; default 10 MB; reported as st_mmapsize
TEST(PoolConfig, MmapSizeDefaultAndRoundTrip) {
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->mmap_size(), std::size_t{10} << 20);
  p->set_mmap_size(12345);
  EXPECT_EQ(p->mmap_size(), 12345u);
  EXPECT_EQ(p->stats().mmapsize, 12345u);
}

// spec: ref §1.2 set_mp_max_openfd / get_mp_max_openfd; negative is EINVAL
TEST(PoolConfig, MaxOpenFdRoundTripAndNegativeIsEinval) {
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->max_open_fd(), 0);
  EXPECT_OK(p->set_max_open_fd(7));
  EXPECT_EQ(p->max_open_fd(), 7);
  EXPECT_EQ(p->stats().maxopenfd, 7);
  EXPECT_ERR(p->set_max_open_fd(-1), std::errc::invalid_argument);
  EXPECT_EQ(p->max_open_fd(), 7);
}

// spec: ref §1.2 set_mp_max_write / get_mp_max_write; negative is EINVAL
TEST(PoolConfig, MaxWriteRoundTripAndNegativeIsEinval) {
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  int w = -5;
  std::chrono::microseconds s{-5};
  p->max_write(&w, &s);
  EXPECT_EQ(w, 0);
  EXPECT_EQ(s.count(), 0);
  EXPECT_OK(p->set_max_write(3, std::chrono::microseconds(250)));
  p->max_write(&w, &s);
  EXPECT_EQ(w, 3);
  EXPECT_EQ(s.count(), 250);
  pool_stats st = p->stats();
  EXPECT_EQ(st.maxwrite, 3);
  EXPECT_EQ(st.maxwrite_sleep, 250u);
  EXPECT_ERR(p->set_max_write(-1, std::chrono::microseconds(10)), std::errc::invalid_argument);
  p->max_write(&w, &s);
  EXPECT_EQ(w, 3);
  EXPECT_EQ(s.count(), 250);
}

// spec: 002 memp_register: ftype must be a non-zero positive number less than 128
TEST(RegisterPageIo, FtypeOutOfRangeIsEinval) {
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto fn = [](pgno_t, void*, std::span<const std::byte>) { return 0; };
  EXPECT_ERR(p->register_page_io(0, fn, fn), std::errc::invalid_argument);
  EXPECT_ERR(p->register_page_io(-1, fn, fn), std::errc::invalid_argument);
  EXPECT_ERR(p->register_page_io(128, fn, fn), std::errc::invalid_argument);
  EXPECT_OK(p->register_page_io(1, fn, fn));
  EXPECT_OK(p->register_page_io(127, fn, fn));
  // Either function may be empty; re-registering replaces.
  EXPECT_OK(p->register_page_io(1, nullptr, fn));
  EXPECT_OK(p->register_page_io(1, fn, nullptr));
}

// spec: 000 DB_ENV->close; pool.hpp close: EBUSY, changing nothing, while a file handle is open
TEST(PoolClose, EbusyWhileFileOpenThenWritesDirtyPages) {
  temp_dir d;
  const std::string path = d.file("data");
  write_file(path, 4, 1024, /*seed=*/1);
  auto p = make_pool(8);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::none, 1024);
  ASSERT_TRUE(f && f->is_open());
  write_page(*f, 2, 9);
  EXPECT_ERR(p->close(), std::errc::device_or_resource_busy);
  // Nothing changed: the handle still works and the page is still dirty.
  EXPECT_TRUE(page_reads(*f, 2, 9));
  EXPECT_EQ(p->stats().page_dirty, 1u);
  EXPECT_TRUE(disk_page_has_pattern(path, 2, 1024, 1));
  ASSERT_OK(f->close());
  // Closing the handle wrote nothing (BDB: close does not imply sync).
  EXPECT_TRUE(disk_page_has_pattern(path, 2, 1024, 1));
  EXPECT_OK(p->close());
  EXPECT_TRUE(disk_page_has_pattern(path, 2, 1024, 9));
  EXPECT_TRUE(disk_page_has_pattern(path, 0, 1024, 1));
  EXPECT_TRUE(disk_page_has_pattern(path, 3, 1024, 1));
}

// spec: pool.hpp file_create: returns nullptr after close
TEST(PoolClose, FileCreateAfterCloseIsNull) {
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  EXPECT_OK(p->close());
  EXPECT_EQ(p->file_create(), nullptr);
}

// spec: pool.hpp close: temporary files' pages are dropped, not written
TEST(PoolClose, DropsTemporaryFilePagesWithoutError) {
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  {
    auto f = open_file(*p, std::nullopt, open_flags::none, 1024);
    ASSERT_TRUE(f && f->is_open());
    pgno_t n = 0;
    write_page(*f, n, 1, get_flags::new_page);
    ASSERT_OK(f->close());
  }
  EXPECT_OK(p->close());
}

}  // namespace
}  // namespace pagepool::apitest
