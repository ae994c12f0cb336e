// DbEnv: configuration, open/close/remove, memp_fcreate, memp_sync,
// memp_trickle. Manual: reference section 1.2 (DB_ENV mpool methods) and 1.7
// (the C++ wrapper), db.h's comments where pagepool departs.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cxx_util.hpp"

namespace cxxtest {
namespace {

// Reference 1.2: "Every get_* returns the configured value before open".
// pagepool's sizes are exact (db.h: "Cache sizes are exact").
TEST_F(CxxTest, SettersBeforeOpenAreReadBack) {
  DbEnv e(0);
  EXPECT_EQ(0, e.set_cachesize(0, 512 * 1024, 1));
  u_int32_t gb = 9, bytes = 9;
  int ncache = 9;
  EXPECT_EQ(0, e.get_cachesize(&gb, &bytes, &ncache));
  EXPECT_EQ(0u, gb);
  EXPECT_EQ(512u * 1024u, bytes);
  EXPECT_EQ(1, ncache);

  EXPECT_EQ(0, e.set_cache_max(0, 2u << 20));
  EXPECT_EQ(0, e.get_cache_max(&gb, &bytes));
  EXPECT_EQ(0u, gb);
  EXPECT_EQ(2u << 20, bytes);

  EXPECT_EQ(0, e.set_mp_mmapsize(1u << 20));
  size_t mmapsize = 0;
  EXPECT_EQ(0, e.get_mp_mmapsize(&mmapsize));
  EXPECT_EQ(1u << 20, mmapsize);

  EXPECT_EQ(0, e.set_mp_max_openfd(17));
  int fd = 0;
  EXPECT_EQ(0, e.get_mp_max_openfd(&fd));
  EXPECT_EQ(17, fd);

  EXPECT_EQ(0, e.set_mp_max_write(5, 250));
  int maxwrite = 0;
  db_timeout_t sleep = 0;
  EXPECT_EQ(0, e.get_mp_max_write(&maxwrite, &sleep));
  EXPECT_EQ(5, maxwrite);
  EXPECT_EQ(250u, sleep);

  EXPECT_EQ(0, e.set_mp_pagesize(8192));
  u_int32_t pagesize = 0;
  EXPECT_EQ(0, e.get_mp_pagesize(&pagesize));
  EXPECT_EQ(8192u, pagesize);

  EXPECT_EQ(0, e.set_mp_tablesize(1031));
  u_int32_t tablesize = 0;
  EXPECT_EQ(0, e.get_mp_tablesize(&tablesize));
  EXPECT_EQ(1031u, tablesize);

  EXPECT_EQ(0, e.set_flags(DB_NOMMAP, 1));
  u_int32_t flags = 0;
  EXPECT_EQ(0, e.get_flags(&flags));
  EXPECT_EQ(static_cast<u_int32_t>(DB_NOMMAP), flags & DB_NOMMAP);
  EXPECT_EQ(0, e.set_flags(DB_NOMMAP, 0));
  EXPECT_EQ(0, e.get_flags(&flags));
  EXPECT_EQ(0u, flags & DB_NOMMAP);

  std::string tmp = dir.path().string();
  EXPECT_EQ(0, e.set_tmp_dir(tmp.c_str()));
  const char* got = nullptr;
  EXPECT_EQ(0, e.get_tmp_dir(&got));
  EXPECT_STREQ(tmp.c_str(), got);

  e.set_errfile(stderr);
  FILE* f = nullptr;
  e.get_errfile(&f);
  EXPECT_EQ(stderr, f);
  e.set_msgfile(stdout);
  e.get_msgfile(&f);
  EXPECT_EQ(stdout, f);
  EXPECT_EQ(0, e.close(0));
}

// Reference 1.2: "Before open" methods are EINVAL after open ("method not
// permitted after handle's open method"); set_mp_mmapsize, set_mp_max_openfd
// and set_mp_max_write may be called any time.
TEST_F(CxxTest, BeforeOpenMethodsAreEinvalAfterOpen) {
  open_env(1u << 20, DB_CXX_NO_EXCEPTIONS);
  EXPECT_EQ(EINVAL, env->set_mp_pagesize(8192));
  EXPECT_EQ(EINVAL, env->set_mp_tablesize(100));
  EXPECT_EQ(EINVAL, env->set_cache_max(0, 8u << 20));
  EXPECT_EQ(0, env->set_mp_mmapsize(2u << 20));
  size_t mmapsize = 0;
  EXPECT_EQ(0, env->get_mp_mmapsize(&mmapsize));
  EXPECT_EQ(2u << 20, mmapsize);
  EXPECT_EQ(0, env->set_mp_max_openfd(3));
  EXPECT_EQ(0, env->set_mp_max_write(4, 10));
  int maxwrite = 0;
  db_timeout_t sleep = 0;
  EXPECT_EQ(0, env->get_mp_max_write(&maxwrite, &sleep));
  EXPECT_EQ(4, maxwrite);
  EXPECT_EQ(10u, sleep);
}

// DbEnv::open(3): get_home returns the home given to open, get_open_flags the
// flags.
TEST_F(CxxTest, OpenRecordsHomeAndFlags) {
  open_env();
  const char* home = nullptr;
  EXPECT_EQ(0, env->get_home(&home));
  EXPECT_STREQ(dir.path().c_str(), home);
  u_int32_t flags = 0;
  EXPECT_EQ(0, env->get_open_flags(&flags));
  EXPECT_EQ(kOpenFlags, flags);
}

// Reference 1.2: "Any mpool method called on an opened environment without
// DB_INIT_MPOOL returns EINVAL".
TEST_F(CxxTest, PoolMethodsWithoutInitMpoolAreEinval) {
  env = std::make_unique<DbEnv>(0);
  ASSERT_EQ(0, env->open(dir.path().c_str(), DB_CREATE | DB_PRIVATE, 0));
  DbMpoolFile* m = nullptr;
  expect_error(true, EINVAL, env.get(), "DbEnv::memp_fcreate", [&] { return env->memp_fcreate(&m, 0); });
  expect_error(true, EINVAL, env.get(), "DbEnv::memp_sync", [&] { return env->memp_sync(nullptr); });
  DB_MPOOL_STAT* gsp = nullptr;
  expect_error(true, EINVAL, env.get(), "DbEnv::memp_stat",
               [&] { return env->memp_stat(&gsp, nullptr, 0); });
}

// Reference 1.7: "Handles are created only by DbEnv::memp_fcreate"; the
// wrapper's C handle belongs to this environment.
TEST_F(CxxTest, MempFcreateMakesAHandleOfThisEnvironment) {
  open_env();
  DbMpoolFile* m = nullptr;
  ASSERT_EQ(0, env->memp_fcreate(&m, 0));
  ASSERT_NE(nullptr, m);
  ASSERT_NE(nullptr, m->get_DB_MPOOLFILE());
  EXPECT_EQ(env->get_DB_ENV(), m->get_DB_MPOOLFILE()->dbenv);
  EXPECT_EQ(0, m->close(0));
}

// DbEnv::remove(3): removes an unopened environment; the handle may not be
// used again whatever remove returns.
TEST_F(CxxTest, RemoveFreesTheHandle) {
  DbEnv e(DB_CXX_NO_EXCEPTIONS);
  EXPECT_EQ(0, e.remove(dir.path().c_str(), 0));
  EXPECT_EQ(nullptr, e.get_DB_ENV());
  EXPECT_EQ(EINVAL, e.set_cachesize(0, 1u << 20, 1));
  EXPECT_EQ(EINVAL, e.remove(dir.path().c_str(), 0));
}

// Reference 1.2: DB_ENV->remove on an opened handle is an error; the handle
// is freed all the same.
TEST_F(CxxTest, RemoveAfterOpenIsEinvalAndFreesTheHandle) {
  open_env();
  expect_error(true, EINVAL, env.get(), "DbEnv::remove", [&] { return env->remove(dir.path().c_str(), 0); });
  EXPECT_EQ(nullptr, env->get_DB_ENV());
}

// DbEnv(3): the destructor closes an environment the application left open,
// with the files still open in it, and never throws.
TEST_F(CxxTest, DestructorClosesAnOpenEnvironment) {
  open_env();
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  db_pgno_t pgno = 0;
  void* p = page(m, &pgno, DB_MPOOL_NEW);
  ASSERT_NE(nullptr, p);
  DB_ENV* c = env->get_DB_ENV();
  EXPECT_NO_THROW(env.reset());
  EXPECT_EQ(nullptr, DbEnv::get_DbEnv(c));
  // The wrapper outlives its environment and fails until closed.
  EXPECT_EQ(nullptr, m->get_DB_MPOOLFILE());
  try {
    (void)m->close(0);
    ADD_FAILURE() << "no exception";
  } catch (const DbException& e) {
    EXPECT_EQ(EINVAL, e.get_errno());
  }
}

// Reference 1.2, memp_sync: "Writes every dirty page ... then fsyncs every
// written file."
TEST_F(CxxTest, MempSyncWritesEveryModifiedPage) {
  open_env();
  DbMpoolFile* a = mfile("a");
  DbMpoolFile* b = mfile("b");
  ASSERT_NE(nullptr, a);
  ASSERT_NE(nullptr, b);
  write_pages(a, 3, 100);
  write_pages(b, 2, 200);
  EXPECT_EQ(0, env->memp_sync(nullptr));
  for (db_pgno_t i = 0; i < 3; ++i) {
    auto d = disk_page(path("a"), i);
    ASSERT_EQ(kPage, d.size()) << i;
    EXPECT_TRUE(matches(d.data(), kPage, 100 + i)) << i;
  }
  for (db_pgno_t i = 0; i < 2; ++i) {
    auto d = disk_page(path("b"), i);
    ASSERT_EQ(kPage, d.size()) << i;
    EXPECT_TRUE(matches(d.data(), kPage, 200 + i)) << i;
  }
  DB_MPOOL_STAT* gsp = nullptr;
  ASSERT_EQ(0, env->memp_stat(&gsp, nullptr, 0));
  EXPECT_EQ(0u, gsp->st_page_dirty);
  free(gsp);
  EXPECT_EQ(0, a->close(0));
  EXPECT_EQ(0, b->close(0));
}

// Reference 1.2, memp_trickle: "Writes dirty pages until pct % of the cache's
// pages are clean"; *nwrotep is the number written. Section 2: st_page_trickle
// counts them.
TEST_F(CxxTest, MempTrickleCleansTheCache) {
  open_env(32 * kPage);
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  write_pages(m, 20, 300);
  int nwrote = -1;
  EXPECT_EQ(0, env->memp_trickle(100, &nwrote));
  EXPECT_EQ(20, nwrote);
  DB_MPOOL_STAT* gsp = nullptr;
  ASSERT_EQ(0, env->memp_stat(&gsp, nullptr, 0));
  EXPECT_EQ(0u, gsp->st_page_dirty);
  EXPECT_EQ(20u, gsp->st_page_trickle);
  free(gsp);
  for (db_pgno_t i = 0; i < 20; ++i) {
    auto d = disk_page(path("f"), i);
    ASSERT_EQ(kPage, d.size()) << i;
    EXPECT_TRUE(matches(d.data(), kPage, 300 + i)) << i;
  }
  // Nothing left to write: a second trickle writes nothing.
  EXPECT_EQ(0, env->memp_trickle(50, &nwrote));
  EXPECT_EQ(0, nwrote);
  EXPECT_EQ(0, m->close(0));
}

}  // namespace
}  // namespace cxxtest
