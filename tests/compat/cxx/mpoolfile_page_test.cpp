// DbMpoolFile::get, put, set, sync and close with every flag. Manual: spec 001
// (DbMpoolFile), reference sections 1.3 and 1.5, db.h where pagepool departs
// (DB_MPOOL_DIRTY on get really dirties the page).
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cxx_util.hpp"

namespace cxxtest {
namespace {

/// Per-file counters of the file whose name ends with `name`.
DB_MPOOL_FSTAT file_stat(DbEnv& env, const std::string& name) {
  DB_MPOOL_FSTAT** fsp = nullptr;
  DB_MPOOL_FSTAT out{};
  EXPECT_EQ(0, env.memp_stat(nullptr, &fsp, 0));
  for (DB_MPOOL_FSTAT** f = fsp; f != nullptr && *f != nullptr; ++f) {
    std::string n = (*f)->file_name;
    if (n.size() >= name.size() && n.compare(n.size() - name.size(), name.size(), name) == 0) out = **f;
  }
  out.file_name = nullptr;
  std::free(fsp);
  return out;
}

// Spec 001, get: "copies a pointer to the page with the page number specified
// by pgnoaddr ... into the memory location referenced by pagep"; "The returned
// page is size_t type aligned."
TEST_F(CxxTest, GetReturnsTheFilePageAligned) {
  make_file(path("f"), 3, 900);
  open_env();
  DbMpoolFile* m = mfile("f", 0);
  ASSERT_NE(nullptr, m);
  for (db_pgno_t i = 0; i < 3; ++i) {
    db_pgno_t pgno = i;
    void* p = page(m, &pgno, 0);
    ASSERT_NE(nullptr, p);
    EXPECT_EQ(0u, reinterpret_cast<std::uintptr_t>(p) % alignof(size_t));
    EXPECT_EQ(i, pgno);
    EXPECT_TRUE(matches(p, kPage, 900 + i)) << i;
    EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  }
  EXPECT_EQ(0, m->close(0));
}

// Spec 001, get: "Page numbers begin at 0"; DB_MPOOL_NEW: "Create a new page
// in the file and copy its page number to the location referenced by
// pgnoaddr." Reference 1.5: NEW allocates last_pgno + 1. Set_clear_len's
// manual: with no clear_len "the entire page is cleared when it is created".
TEST_F(CxxTest, GetNewNumbersPagesFromZeroAndZeroesThem) {
  open_env(16 * kPage);
  // Fill and evict frames first so that new pages land in recycled frames.
  DbMpoolFile* junk = mfile("junk");
  ASSERT_NE(nullptr, junk);
  write_pages(junk, 40, 1);
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  for (db_pgno_t i = 0; i < 20; ++i) {
    db_pgno_t pgno = 12345;
    void* p = page(m, &pgno, DB_MPOOL_NEW);
    ASSERT_NE(nullptr, p);
    EXPECT_EQ(i, pgno);
    EXPECT_TRUE(all_zero(p, kPage)) << "page " << i;
    EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  }
  db_pgno_t last = 0;
  EXPECT_EQ(0, m->get_last_pgno(&last));
  EXPECT_EQ(19u, last);
  EXPECT_EQ(0, m->close(0));
  EXPECT_EQ(0, junk->close(0));
}

// Spec 001, DB_MPOOL_CREATE: "If the specified page does not exist, create
// it." Created pages are cleared (set_clear_len); once dirtied and synced the
// page is in the file.
TEST_F(CxxTest, GetCreateMakesAMissingPage) {
  make_file(path("f"), 2, 950);
  open_env();
  DbMpoolFile* m = mfile("f", 0);
  ASSERT_NE(nullptr, m);
  db_pgno_t pgno = 2;
  void* p = page(m, &pgno, DB_MPOOL_CREATE);
  ASSERT_NE(nullptr, p);
  EXPECT_EQ(2u, pgno);
  EXPECT_TRUE(all_zero(p, kPage));
  fill(p, kPage, 77);
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, DB_MPOOL_DIRTY));
  // An existing page: CREATE returns it as it is.
  pgno = 1;
  p = page(m, &pgno, DB_MPOOL_CREATE);
  ASSERT_NE(nullptr, p);
  EXPECT_TRUE(matches(p, kPage, 951));
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  EXPECT_EQ(0, m->sync());
  auto d = disk_page(path("f"), 2);
  ASSERT_EQ(kPage, d.size());
  EXPECT_TRUE(matches(d.data(), kPage, 77));
  EXPECT_EQ(0, m->close(0));
}

// Spec 001, get EINVAL: "The requested page does not exist and
// DB_MPOOL_CREATE was not set" (reference 1.5 and 1.7: DB_PAGE_NOTFOUND,
// returned, not thrown).
TEST_F(CxxTest, GetWithoutCreateOfAMissingPageIsNotFound) {
  make_file(path("f"), 2, 960);
  open_env();
  DbMpoolFile* m = mfile("f", 0);
  ASSERT_NE(nullptr, m);
  db_pgno_t pgno = 2;
  void* p = nullptr;
  int ret = -1;
  EXPECT_NO_THROW(ret = m->get(&pgno, nullptr, 0, &p));
  EXPECT_EQ(DB_PAGE_NOTFOUND, ret);
  pgno = 1000;
  EXPECT_NO_THROW(ret = m->get(&pgno, nullptr, DB_MPOOL_DIRTY, &p));
  EXPECT_EQ(DB_PAGE_NOTFOUND, ret);
  EXPECT_EQ(0, m->close(0));
}

// Spec 001, DB_MPOOL_LAST: "Return the last page of the source file and copy
// its page number to the location referenced by pgnoaddr."
TEST_F(CxxTest, GetLastReturnsTheLastPage) {
  make_file(path("f"), 5, 970);
  open_env();
  DbMpoolFile* m = mfile("f", 0);
  ASSERT_NE(nullptr, m);
  db_pgno_t pgno = 0;
  void* p = page(m, &pgno, DB_MPOOL_LAST);
  ASSERT_NE(nullptr, p);
  EXPECT_EQ(4u, pgno);
  EXPECT_TRUE(matches(p, kPage, 974));
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  // After NEW, LAST follows the new page.
  p = page(m, &pgno, DB_MPOOL_NEW);
  ASSERT_NE(nullptr, p);
  EXPECT_EQ(5u, pgno);
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  pgno = 0;
  p = page(m, &pgno, DB_MPOOL_LAST);
  ASSERT_NE(nullptr, p);
  EXPECT_EQ(5u, pgno);
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  EXPECT_EQ(0, m->close(0));
}

// Reference 1.5, DB_MPOOL_DIRTY and DB_MPOOL_EDIT: the page is made dirty
// (db.h: pagepool honours it, unlike Berkeley DB 5.3's public get): a change
// made under such a pin reaches the file at sync though put passes no flag.
TEST_F(CxxTest, GetDirtyAndEditMakeThePageDirty) {
  make_file(path("f"), 2, 980);
  open_env();
  DbMpoolFile* m = mfile("f", 0);
  ASSERT_NE(nullptr, m);
  db_pgno_t pgno = 0;
  void* p = page(m, &pgno, DB_MPOOL_DIRTY);
  ASSERT_NE(nullptr, p);
  fill(p, kPage, 11);
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  pgno = 1;
  p = page(m, &pgno, DB_MPOOL_EDIT);
  ASSERT_NE(nullptr, p);
  fill(p, kPage, 12);
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  EXPECT_EQ(0, m->sync());
  auto d0 = disk_page(path("f"), 0), d1 = disk_page(path("f"), 1);
  ASSERT_EQ(kPage, d0.size());
  ASSERT_EQ(kPage, d1.size());
  EXPECT_TRUE(matches(d0.data(), kPage, 11));
  EXPECT_TRUE(matches(d1.data(), kPage, 12));
  EXPECT_EQ(0, m->close(0));
}

// Reference 1.5: "Any other bit gives EINVAL, including DB_MPOOL_TRY and
// DB_MPOOL_FREE, which are accepted internally only".
TEST_F(CxxTest, GetWithAnInternalOrUnknownFlagIsEinval) {
  open_env(1u << 20, DB_CXX_NO_EXCEPTIONS);
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  write_pages(m, 1, 0);
  for (u_int32_t flag : {static_cast<u_int32_t>(DB_MPOOL_TRY), static_cast<u_int32_t>(DB_MPOOL_FREE),
                         0x1000u}) {
    db_pgno_t pgno = 0;
    void* p = nullptr;
    EXPECT_EQ(EINVAL, m->get(&pgno, nullptr, flag, &p)) << flag;
  }
  db_pgno_t pgno = 0;
  void* p = nullptr;
  EXPECT_EQ(EINVAL, m->get(&pgno, nullptr, DB_MPOOL_CREATE | DB_MPOOL_LAST, &p));
  EXPECT_EQ(0, m->close(0));
}

// Spec 001: pages are "pinned" until put; reference section 6 (memp001): the
// same page can be pinned several times, at the same address, and each pin
// is put.
TEST_F(CxxTest, APageCanBePinnedTwice) {
  open_env();
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  write_pages(m, 1, 20);
  db_pgno_t pgno = 0;
  void* a = page(m, &pgno, 0);
  void* b = page(m, &pgno, 0);
  ASSERT_NE(nullptr, a);
  EXPECT_EQ(a, b);
  EXPECT_EQ(0, m->put(a, DB_PRIORITY_UNCHANGED, 0));
  EXPECT_EQ(0, m->put(b, DB_PRIORITY_UNCHANGED, 0));
  EXPECT_EQ(0, m->close(0));
}

// Spec 001, put DB_MPOOL_DIRTY: "The page has been modified and must be
// written to the source file before being evicted from the pool": with a
// cache of 8 frames and 32 pages, the 24 or more pages no longer resident are
// in the file, before any sync, and every page reads back.
TEST_F(CxxTest, PutDirtyPagesAreWrittenBeforeEviction) {
  open_env(8 * kPage);
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  write_pages(m, 32, 1100);
  DB_MPOOL_STAT* gsp = nullptr;
  ASSERT_EQ(0, env->memp_stat(&gsp, nullptr, 0));
  EXPECT_LE(gsp->st_pages, 8u);
  EXPECT_GE(gsp->st_rw_evict, 24u);
  std::free(gsp);
  db_pgno_t on_disk = 0;
  for (db_pgno_t i = 0; i < 32; ++i) {
    auto d = disk_page(path("f"), i);
    if (d.size() == kPage && matches(d.data(), kPage, 1100 + i)) ++on_disk;
  }
  EXPECT_GE(on_disk, 24u);
  expect_pages(m, 32, 1100);
  EXPECT_EQ(0, m->close(0));
}

// Spec 001, put DB_MPOOL_CLEAN: "Clear any previously set modification
// information (i.e., don't bother writing the page back to the source file)".
TEST_F(CxxTest, PutCleanForgetsTheModification) {
  make_file(path("f"), 1, 1200);
  open_env();
  DbMpoolFile* m = mfile("f", 0);
  ASSERT_NE(nullptr, m);
  db_pgno_t pgno = 0;
  void* p = page(m, &pgno, 0);
  ASSERT_NE(nullptr, p);
  fill(p, kPage, 1);
  ASSERT_EQ(0, m->set(p, DB_MPOOL_DIRTY));
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, DB_MPOOL_CLEAN));
  EXPECT_EQ(0, m->sync());
  auto d = disk_page(path("f"), 0);
  ASSERT_EQ(kPage, d.size());
  EXPECT_TRUE(matches(d.data(), kPage, 1200));
  DB_MPOOL_STAT* gsp = nullptr;
  ASSERT_EQ(0, env->memp_stat(&gsp, nullptr, 0));
  EXPECT_EQ(0u, gsp->st_page_dirty);
  std::free(gsp);
  EXPECT_EQ(0, m->close(0));
}

// Spec 001, put DB_MPOOL_DISCARD: "The page is unlikely to be useful in the
// near future, and should be discarded before other pages in the pool". With
// every frame holding a page and one page put with DISCARD, the next page
// brought in takes that page's frame: re-getting it misses, every other page
// still hits.
TEST_F(CxxTest, PutDiscardIsEvictedFirst) {
  constexpr db_pgno_t kFrames = 16;
  make_file(path("f"), kFrames + 1, 1300);
  open_env(kFrames * kPage);
  DbMpoolFile* m = mfile("f", 0);
  ASSERT_NE(nullptr, m);
  const db_pgno_t victim = 5;
  for (db_pgno_t i = 0; i < kFrames; ++i) {
    db_pgno_t pgno = i;
    void* p = page(m, &pgno, 0);
    ASSERT_NE(nullptr, p);
    EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, i == victim ? DB_MPOOL_DISCARD : 0));
  }
  db_pgno_t pgno = kFrames;  // needs a frame
  void* p = page(m, &pgno, 0);
  ASSERT_NE(nullptr, p);
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  const DB_MPOOL_FSTAT before = file_stat(*env, "f");
  pgno = victim;
  p = page(m, &pgno, 0);
  ASSERT_NE(nullptr, p);
  EXPECT_TRUE(matches(p, kPage, 1300 + victim));
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  const DB_MPOOL_FSTAT after = file_stat(*env, "f");
  EXPECT_EQ(before.st_cache_miss + 1, after.st_cache_miss) << "the discarded page was still resident";
  EXPECT_EQ(0, m->close(0));
}

// Spec 001, put/set EINVAL: "An invalid flag value or parameter was
// specified" (an unknown flag, an unknown priority).
TEST_F(CxxTest, PutWithAnUnknownFlagOrPriorityIsEinval) {
  open_env(1u << 20, DB_CXX_NO_EXCEPTIONS);
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  db_pgno_t pgno = 0;
  void* p = page(m, &pgno, DB_MPOOL_NEW);
  ASSERT_NE(nullptr, p);
  EXPECT_EQ(EINVAL, m->put(p, DB_PRIORITY_UNCHANGED, 0x1000));
  EXPECT_EQ(EINVAL, m->put(p, static_cast<DB_CACHE_PRIORITY>(42), 0));
  EXPECT_EQ(EINVAL, m->set(p, DB_MPOOL_CLEAN | DB_MPOOL_DIRTY));
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  // A second put of the same pin does not reference a pinned page.
  EXPECT_EQ(EINVAL, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  EXPECT_EQ(0, m->close(0));
}

// Reference 1.6: every DB_CACHE_PRIORITY value is accepted by put.
TEST_F(CxxTest, PutAcceptsEveryPriority) {
  open_env();
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  write_pages(m, 1, 0);
  for (DB_CACHE_PRIORITY prio : {DB_PRIORITY_UNCHANGED, DB_PRIORITY_VERY_LOW, DB_PRIORITY_LOW,
                                 DB_PRIORITY_DEFAULT, DB_PRIORITY_HIGH, DB_PRIORITY_VERY_HIGH}) {
    db_pgno_t pgno = 0;
    void* p = page(m, &pgno, 0);
    ASSERT_NE(nullptr, p);
    EXPECT_EQ(0, m->put(p, prio, 0)) << prio;
  }
  EXPECT_EQ(0, m->close(0));
}

// Spec 001, set: "sets the flags associated with the page referenced by pgaddr
// without unpinning it": DB_MPOOL_DIRTY makes the page's change reach the
// file; DB_MPOOL_CLEAN forgets a change; DB_MPOOL_DISCARD is accepted.
TEST_F(CxxTest, SetMarksAPinnedPage) {
  make_file(path("f"), 2, 1400);
  open_env();
  DbMpoolFile* m = mfile("f", 0);
  ASSERT_NE(nullptr, m);
  db_pgno_t pgno = 0;
  void* p0 = page(m, &pgno, 0);
  ASSERT_NE(nullptr, p0);
  fill(p0, kPage, 31);
  EXPECT_EQ(0, m->set(p0, DB_MPOOL_DIRTY));
  EXPECT_EQ(0, m->set(p0, DB_MPOOL_DISCARD));
  EXPECT_EQ(0, m->put(p0, DB_PRIORITY_UNCHANGED, 0));

  pgno = 1;
  void* p1 = page(m, &pgno, DB_MPOOL_DIRTY);
  ASSERT_NE(nullptr, p1);
  fill(p1, kPage, 32);
  EXPECT_EQ(0, m->set(p1, DB_MPOOL_CLEAN));
  EXPECT_EQ(0, m->put(p1, DB_PRIORITY_UNCHANGED, 0));

  EXPECT_EQ(0, m->sync());
  auto d0 = disk_page(path("f"), 0), d1 = disk_page(path("f"), 1);
  ASSERT_EQ(kPage, d0.size());
  ASSERT_EQ(kPage, d1.size());
  EXPECT_TRUE(matches(d0.data(), kPage, 31));
  EXPECT_TRUE(matches(d1.data(), kPage, 1401));
  EXPECT_EQ(0, m->close(0));
}

// Spec 001, sync: "writes all pages associated with the DbMpoolFile object
// that were marked as modified using DbMpoolFile::put or DbMpoolFile::set, back
// to the source file" (only this file's: another file's pages stay dirty).
TEST_F(CxxTest, SyncWritesThisFilesModifiedPages) {
  open_env();
  DbMpoolFile* a = mfile("a");
  DbMpoolFile* b = mfile("b");
  ASSERT_NE(nullptr, a);
  ASSERT_NE(nullptr, b);
  write_pages(a, 4, 1500);
  write_pages(b, 3, 1600);
  EXPECT_EQ(0, a->sync());
  for (db_pgno_t i = 0; i < 4; ++i) {
    auto d = disk_page(path("a"), i);
    ASSERT_EQ(kPage, d.size()) << i;
    EXPECT_TRUE(matches(d.data(), kPage, 1500 + i)) << i;
  }
  DB_MPOOL_STAT* gsp = nullptr;
  ASSERT_EQ(0, env->memp_stat(&gsp, nullptr, 0));
  EXPECT_EQ(3u, gsp->st_page_dirty);
  std::free(gsp);
  EXPECT_EQ(0, a->close(0));
  EXPECT_EQ(0, b->close(0));
}

// Spec 001, close: "This method does not imply a call to DbMpoolFile::sync,
// i.e. no pages are written to the source file as a result of calling
// DbMpoolFile::close."
TEST_F(CxxTest, CloseWritesNothing) {
  open_env();
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  write_pages(m, 3, 1700);
  const off_t before = file_size(path("f"));
  EXPECT_EQ(0, m->close(0));
  EXPECT_EQ(before, file_size(path("f")));
  EXPECT_EQ(0, before);
}

// Spec 004 ("all of the databases in the file must share a memory pool") with
// reference 3.13 ("two handles got the same page address"): two DbMpoolFile
// handles on one file see the same page, and a change made through one is
// seen through the other.
TEST_F(CxxTest, TwoHandlesOnOneFileSeeTheSamePage) {
  open_env();
  DbMpoolFile* a = mfile("shared");
  DbMpoolFile* b = mfile("shared");
  ASSERT_NE(nullptr, a);
  ASSERT_NE(nullptr, b);
  db_pgno_t pgno = 0;
  void* pa = page(a, &pgno, DB_MPOOL_NEW);
  ASSERT_NE(nullptr, pa);
  ASSERT_EQ(0u, pgno);
  fill(pa, kPage, 1800);
  EXPECT_EQ(0, a->set(pa, DB_MPOOL_DIRTY));
  void* pb = page(b, &pgno, 0);
  ASSERT_NE(nullptr, pb);
  EXPECT_EQ(pa, pb);
  EXPECT_TRUE(matches(pb, kPage, 1800));
  EXPECT_EQ(0, b->put(pb, DB_PRIORITY_UNCHANGED, 0));
  EXPECT_EQ(0, a->put(pa, DB_PRIORITY_UNCHANGED, 0));
  // A page made through b is page 1 for a too.
  pb = page(b, &pgno, DB_MPOOL_NEW);
  ASSERT_NE(nullptr, pb);
  EXPECT_EQ(1u, pgno);
  fill(pb, kPage, 1801);
  EXPECT_EQ(0, b->put(pb, DB_PRIORITY_UNCHANGED, DB_MPOOL_DIRTY));
  db_pgno_t last = 0;
  EXPECT_EQ(0, a->get_last_pgno(&last));
  EXPECT_EQ(1u, last);
  expect_pages(a, 2, 1800);
  // Either handle writes pages dirtied through the other.
  EXPECT_EQ(0, a->sync());
  auto d1 = disk_page(path("shared"), 1);
  ASSERT_EQ(kPage, d1.size());
  EXPECT_TRUE(matches(d1.data(), kPage, 1801));
  EXPECT_EQ(0, a->close(0));
  expect_pages(b, 2, 1800);
  EXPECT_EQ(0, b->close(0));
}

}  // namespace
}  // namespace cxxtest
