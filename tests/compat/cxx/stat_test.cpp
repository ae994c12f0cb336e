// DbEnv::memp_stat and DB_STAT_CLEAR. Manual: reference section 1.2
// (memp_stat) and section 2 (DB_MPOOL_STAT, DB_MPOOL_FSTAT), db.h's field
// comments where pagepool departs (exact cache sizes).
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cxx_util.hpp"

namespace cxxtest {
namespace {

/// The one entry of fsp whose name is `p`, or NULL.
DB_MPOOL_FSTAT* find_file(DB_MPOOL_FSTAT** fsp, const std::string& p) {
  for (DB_MPOOL_FSTAT** f = fsp; f != nullptr && *f != nullptr; ++f)
    if (p == (*f)->file_name) return *f;
  return nullptr;
}

// Reference 1.2: memp_stat allocates "one DB_MPOOL_STAT and a NULL-terminated
// array of DB_MPOOL_FSTAT pointers. One free() releases each block; the
// file-name strings live in the same block." Section 2: st_gbytes/st_bytes
// are the cache size (exact here, db.h), st_ncache the regions, st_pagesize
// the mp_pagesize; the file entry's st_pagesize is the file's page size.
TEST_F(CxxTest, StatDescribesTheCacheAndEveryFile) {
  open_env(1u << 20);
  DbMpoolFile* a = mfile("a");
  DbMpoolFile* b = mfile("b", DB_CREATE, 1024);
  ASSERT_NE(nullptr, a);
  ASSERT_NE(nullptr, b);
  DB_MPOOL_STAT* gsp = nullptr;
  DB_MPOOL_FSTAT** fsp = nullptr;
  ASSERT_EQ(0, env->memp_stat(&gsp, &fsp, 0));
  ASSERT_NE(nullptr, gsp);
  ASSERT_NE(nullptr, fsp);
  EXPECT_EQ(0u, gsp->st_gbytes);
  EXPECT_EQ(1u << 20, gsp->st_bytes);
  EXPECT_EQ(1u, gsp->st_ncache);
  EXPECT_EQ(4096u, gsp->st_pagesize);
  int n = 0;
  while (fsp[n] != nullptr) ++n;
  EXPECT_EQ(2, n);
  DB_MPOOL_FSTAT* fa = find_file(fsp, path("a"));
  DB_MPOOL_FSTAT* fb = find_file(fsp, path("b"));
  ASSERT_NE(nullptr, fa);
  ASSERT_NE(nullptr, fb);
  EXPECT_EQ(kPage, fa->st_pagesize);
  EXPECT_EQ(1024u, fb->st_pagesize);
  std::free(gsp);
  std::free(fsp);
  EXPECT_EQ(0, a->close(0));
  EXPECT_EQ(0, b->close(0));
}

// Reference 1.2: "fsp is set to NULL if there are no files"; either pointer
// may be NULL to skip that part.
TEST_F(CxxTest, StatWithNoFilesGivesANullArray) {
  open_env();
  DB_MPOOL_STAT* gsp = nullptr;
  DB_MPOOL_FSTAT** fsp = reinterpret_cast<DB_MPOOL_FSTAT**>(&gsp);  // not NULL
  ASSERT_EQ(0, env->memp_stat(&gsp, &fsp, 0));
  EXPECT_EQ(nullptr, fsp);
  ASSERT_NE(nullptr, gsp);
  std::free(gsp);
  EXPECT_EQ(0, env->memp_stat(nullptr, nullptr, 0));
}

// Section 2: st_cache_hit ("Gets that found the page in the cache"),
// st_cache_miss, st_page_in ("Pages read from files"), st_page_create,
// st_page_out ("Pages written to files"), per file and summed globally;
// st_page_dirty counts dirty pages now, st_pages the resident ones.
TEST_F(CxxTest, StatCountsGetsReadsCreatesAndWrites) {
  make_file(path("f"), 4, 3000);
  open_env();
  DbMpoolFile* m = mfile("f", 0);
  ASSERT_NE(nullptr, m);
  expect_pages(m, 4, 3000);  // 4 misses, 4 reads
  expect_pages(m, 4, 3000);  // 4 hits
  for (int i = 0; i < 2; ++i) {
    db_pgno_t pgno = 0;
    void* p = page(m, &pgno, DB_MPOOL_NEW);  // 2 creates
    ASSERT_NE(nullptr, p);
    EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, DB_MPOOL_DIRTY));
  }
  DB_MPOOL_STAT* gsp = nullptr;
  DB_MPOOL_FSTAT** fsp = nullptr;
  ASSERT_EQ(0, env->memp_stat(&gsp, &fsp, 0));
  DB_MPOOL_FSTAT* f = find_file(fsp, path("f"));
  ASSERT_NE(nullptr, f);
  EXPECT_EQ(4u, f->st_cache_hit);
  EXPECT_EQ(4u, f->st_page_in);
  EXPECT_EQ(2u, f->st_page_create);
  EXPECT_EQ(0u, f->st_page_out);
  EXPECT_GE(f->st_cache_miss, 4u);
  EXPECT_EQ(4u, gsp->st_cache_hit);
  EXPECT_EQ(4u, gsp->st_page_in);
  EXPECT_EQ(2u, gsp->st_page_create);
  EXPECT_EQ(6u, gsp->st_pages);
  EXPECT_EQ(2u, gsp->st_page_dirty);
  EXPECT_EQ(4u, gsp->st_page_clean);
  std::free(gsp);
  std::free(fsp);

  ASSERT_EQ(0, m->sync());
  ASSERT_EQ(0, env->memp_stat(&gsp, &fsp, 0));
  f = find_file(fsp, path("f"));
  ASSERT_NE(nullptr, f);
  EXPECT_EQ(2u, f->st_page_out);
  EXPECT_EQ(2u, gsp->st_page_out);
  EXPECT_EQ(0u, gsp->st_page_dirty);
  std::free(gsp);
  std::free(fsp);
  EXPECT_EQ(0, m->close(0));
}

// Reference 1.2: memp_stat flags "0 or DB_STAT_CLEAR"; section 2:
// "DB_STAT_CLEAR zeroes the region and file counters": the call returns the
// counts so far, the next call sees them from zero. What is not a counter
// (cache size, resident and dirty pages) is unchanged.
TEST_F(CxxTest, StatClearResetsTheCountersAfterReadingThem) {
  make_file(path("f"), 4, 3100);
  open_env();
  DbMpoolFile* m = mfile("f", 0);
  ASSERT_NE(nullptr, m);
  expect_pages(m, 4, 3100);
  expect_pages(m, 4, 3100);
  db_pgno_t pgno = 0;
  void* p = page(m, &pgno, DB_MPOOL_NEW);
  ASSERT_NE(nullptr, p);
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, DB_MPOOL_DIRTY));
  pgno = 0;
  p = page(m, &pgno, DB_MPOOL_DIRTY);
  ASSERT_NE(nullptr, p);
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  ASSERT_EQ(0, m->sync());  // 2 writes

  DB_MPOOL_STAT* gsp = nullptr;
  DB_MPOOL_FSTAT** fsp = nullptr;
  ASSERT_EQ(0, env->memp_stat(&gsp, &fsp, DB_STAT_CLEAR));
  DB_MPOOL_FSTAT* f = find_file(fsp, path("f"));
  ASSERT_NE(nullptr, f);
  EXPECT_EQ(5u, f->st_cache_hit);
  EXPECT_EQ(4u, f->st_page_in);
  EXPECT_EQ(1u, f->st_page_create);
  EXPECT_EQ(2u, f->st_page_out);
  EXPECT_EQ(5u, gsp->st_cache_hit);
  EXPECT_EQ(2u, gsp->st_page_out);
  const u_int32_t pages = gsp->st_pages;
  const u_int32_t bytes = gsp->st_bytes;
  std::free(gsp);
  std::free(fsp);

  ASSERT_EQ(0, env->memp_stat(&gsp, &fsp, 0));
  f = find_file(fsp, path("f"));
  ASSERT_NE(nullptr, f);
  EXPECT_EQ(0u, f->st_cache_hit);
  EXPECT_EQ(0u, f->st_cache_miss);
  EXPECT_EQ(0u, f->st_page_in);
  EXPECT_EQ(0u, f->st_page_create);
  EXPECT_EQ(0u, f->st_page_out);
  EXPECT_EQ(0u, gsp->st_cache_hit);
  EXPECT_EQ(0u, gsp->st_cache_miss);
  EXPECT_EQ(0u, gsp->st_page_in);
  EXPECT_EQ(0u, gsp->st_page_create);
  EXPECT_EQ(0u, gsp->st_page_out);
  EXPECT_EQ(pages, gsp->st_pages);
  EXPECT_EQ(bytes, gsp->st_bytes);
  std::free(gsp);
  std::free(fsp);

  // Counting goes on from zero.
  expect_pages(m, 1, 3100);
  ASSERT_EQ(0, env->memp_stat(&gsp, nullptr, 0));
  EXPECT_EQ(1u, gsp->st_cache_hit);
  std::free(gsp);
  EXPECT_EQ(0, m->close(0));
}

std::size_t g_allocs = 0;
void* counting_malloc(size_t n) {
  ++g_allocs;
  return std::malloc(n);
}
void* counting_realloc(void* p, size_t n) { return std::realloc(p, n); }
void counting_free(void* p) { std::free(p); }

// Reference 1.2: memp_stat "Allocates, with malloc or set_alloc".
TEST_F(CxxTest, StatAllocatesWithTheSetAllocFunctions) {
  g_allocs = 0;
  env = std::make_unique<DbEnv>(0);
  ASSERT_EQ(0, env->set_alloc(counting_malloc, counting_realloc, counting_free));
  ASSERT_EQ(0, env->open(dir.path().c_str(), kOpenFlags, 0));
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  DB_MPOOL_STAT* gsp = nullptr;
  DB_MPOOL_FSTAT** fsp = nullptr;
  ASSERT_EQ(0, env->memp_stat(&gsp, &fsp, 0));
  EXPECT_EQ(2u, g_allocs);
  counting_free(gsp);
  counting_free(fsp);
  EXPECT_EQ(0, m->close(0));
}

}  // namespace
}  // namespace cxxtest
