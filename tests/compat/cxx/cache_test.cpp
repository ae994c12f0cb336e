// The cache as a whole: temporary files spilling through a small cache, and
// set_cachesize after open (resizing the live cache). Manual: spec 003 (file
// NULL: a private temporary file), spec 001 (close removes a temporary file's
// underlying files), reference sections 1.2 (set_cachesize, resizing) and 3.13
// (temporary files), db.h (set_cachesize after open resizes, up to
// set_cache_max).
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cxx_util.hpp"

namespace cxxtest {
namespace {

std::size_t entries(const std::filesystem::path& d) {
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator(d); it != std::filesystem::directory_iterator(); ++it) ++n;
  return n;
}

DB_MPOOL_STAT stat_now(DbEnv& env) {
  DB_MPOOL_STAT* gsp = nullptr;
  DB_MPOOL_STAT out{};
  EXPECT_EQ(0, env.memp_stat(&gsp, nullptr, 0));
  if (gsp != nullptr) out = *gsp;
  std::free(gsp);
  return out;
}

// Spec 003: "If file is NULL, a private temporary file is created"; reference
// 3.13: its pages spill to a backing file in the temporary directory when the
// cache is full ("40 NEW pages spilled through a 20 KB cache and read back
// intact"; pagepool unlinks that file at once, so it is not counted here);
// spec 001, close: "if the file argument to DbMpoolFile::open was
// NULL, any underlying files created for this DbMpoolFile will be removed."
TEST_F(CxxTest, TemporaryFileSpillsThroughASmallCacheAndReadsBack) {
  const std::filesystem::path tmp = dir.path() / "tmp";
  std::filesystem::create_directory(tmp);
  env = std::make_unique<DbEnv>(0);
  ASSERT_EQ(0, env->set_cachesize(0, 8 * kPage, 1));
  ASSERT_EQ(0, env->set_tmp_dir(tmp.c_str()));
  ASSERT_EQ(0, env->open(dir.path().c_str(), kOpenFlags, 0));
  DbMpoolFile* m = mfile("", DB_CREATE);
  ASSERT_NE(nullptr, m);
  write_pages(m, 64, 4000);
  const DB_MPOOL_STAT st = stat_now(*env);
  EXPECT_GE(st.st_rw_evict, 56u) << "the pages did not leave the 8-frame cache";
  EXPECT_LE(st.st_pages, 8u);
  expect_pages(m, 64, 4000);
  // Rewrite every page through the spill and read again.
  for (db_pgno_t i = 0; i < 64; ++i) {
    db_pgno_t pgno = i;
    void* p = page(m, &pgno, DB_MPOOL_DIRTY);
    ASSERT_NE(nullptr, p);
    fill(p, kPage, 5000 + i);
    ASSERT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  }
  expect_pages(m, 64, 5000);
  EXPECT_EQ(0, m->close(0));
  EXPECT_EQ(0u, entries(tmp)) << "the temporary file's backing file was not removed";
}

// Spec 003: a temporary file "cannot be shared with any other process
// (although it may be shared with other threads of control in the same
// process)": two temporary files are two files, never each other's pages.
TEST_F(CxxTest, TwoTemporaryFilesAreDistinct) {
  open_env(8 * kPage);
  DbMpoolFile* a = mfile("", DB_CREATE);
  DbMpoolFile* b = mfile("", DB_CREATE);
  ASSERT_NE(nullptr, a);
  ASSERT_NE(nullptr, b);
  write_pages(a, 20, 6000);
  write_pages(b, 20, 7000);
  expect_pages(a, 20, 6000);
  expect_pages(b, 20, 7000);
  EXPECT_EQ(0, a->close(0));
  expect_pages(b, 20, 7000);
  EXPECT_EQ(0, b->close(0));
}

// db.h: set_cachesize "After open: resizes the live cache"; reference 1.2:
// "Calling set_cachesize after open is documented to resize", and 3.12 (every
// page survives: dirty pages are kept, clean ones may be re-read). Grow, then
// shrink below the number of dirty pages, then grow again: every page keeps
// its contents, in the cache and, after sync, in the file.
TEST_F(CxxTest, ResizeAfterOpenKeepsEveryPage) {
  open_env(16 * kPage, 0, 128 * kPage);
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  write_pages(m, 48, 8000);  // 32 written by eviction, 16 dirty in the cache
  ASSERT_EQ(0, env->set_cachesize(0, 64 * kPage, 0));
  u_int32_t gb = 9, bytes = 0;
  int ncache = 0;
  ASSERT_EQ(0, env->get_cachesize(&gb, &bytes, &ncache));
  EXPECT_EQ(0u, gb);
  EXPECT_EQ(64 * kPage, bytes);
  expect_pages(m, 48, 8000);
  EXPECT_EQ(48u, stat_now(*env).st_pages) << "the grown cache does not hold the 48 pages";
  // Dirty all 48, then shrink to 8 frames.
  for (db_pgno_t i = 0; i < 48; ++i) {
    db_pgno_t pgno = i;
    void* p = page(m, &pgno, DB_MPOOL_DIRTY);
    ASSERT_NE(nullptr, p);
    fill(p, kPage, 9000 + i);
    ASSERT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  }
  ASSERT_EQ(0, env->set_cachesize(0, 8 * kPage, 0));
  ASSERT_EQ(0, env->get_cachesize(&gb, &bytes, &ncache));
  EXPECT_EQ(8 * kPage, bytes);
  EXPECT_LE(stat_now(*env).st_pages, 8u);
  expect_pages(m, 48, 9000);
  ASSERT_EQ(0, env->set_cachesize(0, 32 * kPage, 0));
  expect_pages(m, 48, 9000);
  ASSERT_EQ(0, m->sync());
  for (db_pgno_t i = 0; i < 48; ++i) {
    auto d = disk_page(path("f"), i);
    ASSERT_EQ(kPage, d.size()) << i;
    EXPECT_TRUE(matches(d.data(), kPage, 9000 + i)) << i;
  }
  EXPECT_EQ(0, m->close(0));
}

// Spec 001: a page got with get stays "pinned" until put: a shrink that
// resizes the live cache keeps pinned pages where they are, contents intact.
TEST_F(CxxTest, ResizeKeepsPinnedPagesInPlace) {
  open_env(32 * kPage, 0, 64 * kPage);
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  write_pages(m, 24, 10000);
  std::vector<void*> pinned;
  for (db_pgno_t i = 0; i < 4; ++i) {
    db_pgno_t pgno = i * 5;
    void* p = page(m, &pgno, 0);
    ASSERT_NE(nullptr, p);
    pinned.push_back(p);
  }
  ASSERT_EQ(0, env->set_cachesize(0, 8 * kPage, 0));
  for (db_pgno_t i = 0; i < 4; ++i) EXPECT_TRUE(matches(pinned[i], kPage, 10000 + i * 5)) << i;
  ASSERT_EQ(0, env->set_cachesize(0, 48 * kPage, 0));
  for (db_pgno_t i = 0; i < 4; ++i) EXPECT_TRUE(matches(pinned[i], kPage, 10000 + i * 5)) << i;
  // Re-getting a pinned page gives the same address.
  for (db_pgno_t i = 0; i < 4; ++i) {
    db_pgno_t pgno = i * 5;
    void* p = page(m, &pgno, 0);
    EXPECT_EQ(pinned[i], p);
    EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
    EXPECT_EQ(0, m->put(pinned[i], DB_PRIORITY_UNCHANGED, 0));
  }
  expect_pages(m, 24, 10000);
  EXPECT_EQ(0, m->close(0));
}

// db.h: resizing goes "up to set_cache_max"; EINVAL past it, and the cache is
// unchanged.
TEST_F(CxxTest, ResizePastCacheMaxIsEinval) {
  open_env(16 * kPage, DB_CXX_NO_EXCEPTIONS, 32 * kPage);
  u_int32_t gb = 0, bytes = 0;
  EXPECT_EQ(0, env->get_cache_max(&gb, &bytes));
  EXPECT_EQ(32 * kPage, bytes);
  EXPECT_EQ(EINVAL, env->set_cachesize(0, 64 * kPage, 0));
  int ncache = 0;
  EXPECT_EQ(0, env->get_cachesize(&gb, &bytes, &ncache));
  EXPECT_EQ(16 * kPage, bytes);
  EXPECT_EQ(0, env->set_cachesize(0, 32 * kPage, 0));
  EXPECT_EQ(0, env->get_cachesize(&gb, &bytes, &ncache));
  EXPECT_EQ(32 * kPage, bytes);
}

}  // namespace
}  // namespace cxxtest
