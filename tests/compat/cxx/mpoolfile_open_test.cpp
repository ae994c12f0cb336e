// DbMpoolFile::open with every flag, its mode and page size, and the file
// configuration methods. Manual: spec 003 (DbMpoolFile::open), spec 001
// (DbMpoolFile, open errors), reference section 1.3.
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cxx_util.hpp"

namespace cxxtest {
namespace {

mode_t current_umask() {
  mode_t m = ::umask(0);
  ::umask(m);
  return m;
}

/// st_map of the file whose name ends with `name` (0 if it is not listed).
u_int32_t file_map_count(DbEnv& env, const std::string& name) {
  DB_MPOOL_FSTAT** fsp = nullptr;
  EXPECT_EQ(0, env.memp_stat(nullptr, &fsp, 0));
  u_int32_t map = 0;
  for (DB_MPOOL_FSTAT** f = fsp; f != nullptr && *f != nullptr; ++f) {
    std::string n = (*f)->file_name;
    if (n.size() >= name.size() && n.compare(n.size() - name.size(), name.size(), name) == 0)
      map = (*f)->st_map;
  }
  std::free(fsp);
  return map;
}

// Spec 003, DB_CREATE: "Create any underlying files, as necessary."
TEST_F(CxxTest, OpenCreateMakesTheFile) {
  open_env();
  EXPECT_EQ(-1, file_size(path("new")));
  DbMpoolFile* m = mfile("new", DB_CREATE);
  ASSERT_NE(nullptr, m);
  EXPECT_EQ(0, file_size(path("new")));
  EXPECT_EQ(0, m->close(0));
}

// Spec 003, mode: "files created by DbMpoolFile::open are created with mode
// mode ... and modified by the process' umask value"; "If mode is 0,
// DbMpoolFile::open will use a default mode of readable and writable by both
// owner and group."
TEST_F(CxxTest, OpenCreatesWithTheModeOrTheDefault) {
  open_env();
  const mode_t um = current_umask();
  DbMpoolFile* m = nullptr;
  ASSERT_EQ(0, env->memp_fcreate(&m, 0));
  std::string p1 = path("mode0640");
  ASSERT_EQ(0, m->open(p1.c_str(), DB_CREATE, 0640, kPage));
  EXPECT_EQ(0, m->close(0));
  struct stat st;
  ASSERT_EQ(0, ::stat(p1.c_str(), &st));
  EXPECT_EQ(0640 & ~um, st.st_mode & 0777);

  ASSERT_EQ(0, env->memp_fcreate(&m, 0));
  std::string p2 = path("mode0");
  ASSERT_EQ(0, m->open(p2.c_str(), DB_CREATE, 0, kPage));
  EXPECT_EQ(0, m->close(0));
  ASSERT_EQ(0, ::stat(p2.c_str(), &st));
  EXPECT_EQ(0660 & ~um, st.st_mode & 0777);
}

// Spec 003, DB_DIRECT: "If set and supported by the system, turn off system
// buffering": the file works the same, supported or not.
TEST_F(CxxTest, OpenDirectStillReadsAndWrites) {
  open_env();
  DbMpoolFile* m = mfile("direct", DB_CREATE | DB_DIRECT);
  ASSERT_NE(nullptr, m);
  write_pages(m, 3, 40);
  EXPECT_EQ(0, m->sync());
  for (db_pgno_t i = 0; i < 3; ++i) {
    auto d = disk_page(path("direct"), i);
    ASSERT_EQ(kPage, d.size());
    EXPECT_TRUE(matches(d.data(), kPage, 40 + i)) << i;
  }
  expect_pages(m, 3, 40);
  EXPECT_EQ(0, m->close(0));
}

// Spec 003, DB_MULTIVERSION, with reference 1.3: EINVAL "DB_MULTIVERSION
// without transactions" (pagepool has none).
TEST_F(CxxTest, OpenMultiversionWithoutTransactionsIsEinval) {
  open_env(1u << 20, DB_CXX_NO_EXCEPTIONS);
  DbMpoolFile* m = nullptr;
  ASSERT_EQ(0, env->memp_fcreate(&m, 0));
  std::string p = path("mv");
  EXPECT_EQ(EINVAL, m->open(p.c_str(), DB_CREATE | DB_MULTIVERSION, 0, kPage));
  EXPECT_EQ(0, m->close(0));
}

// Spec 003, DB_NOMMAP: "Always copy this file into the local cache instead of
// potentially mapping it into process memory": no get of the file is served
// by mmap (st_map stays 0), and the pages read correctly. The same through
// DbEnv::set_flags(DB_NOMMAP) for every file.
TEST_F(CxxTest, OpenNoMmapNeverMapsTheFile) {
  make_file(path("ro"), 4, 500);
  open_env();
  DbMpoolFile* m = mfile("ro", DB_RDONLY | DB_NOMMAP);
  ASSERT_NE(nullptr, m);
  expect_pages(m, 4, 500);
  EXPECT_EQ(0u, file_map_count(*env, "ro"));
  EXPECT_EQ(0, m->close(0));
}

TEST_F(CxxTest, EnvNoMmapNeverMapsAnyFile) {
  make_file(path("ro"), 4, 510);
  env = std::make_unique<DbEnv>(0);
  ASSERT_EQ(0, env->set_flags(DB_NOMMAP, 1));
  ASSERT_EQ(0, env->open(dir.path().c_str(), kOpenFlags, 0));
  DbMpoolFile* m = mfile("ro", DB_RDONLY);
  ASSERT_NE(nullptr, m);
  expect_pages(m, 4, 510);
  EXPECT_EQ(0u, file_map_count(*env, "ro"));
  DB_MPOOL_STAT* gsp = nullptr;
  ASSERT_EQ(0, env->memp_stat(&gsp, nullptr, 0));
  EXPECT_EQ(0u, gsp->st_map);
  std::free(gsp);
  EXPECT_EQ(0, m->close(0));
}

// Spec 003, DB_ODDFILESIZE: "Attempts to open files which are not a multiple
// of the page size in length will fail, by default. If the DB_ODDFILESIZE
// flag is set, any partial page at the end of the file will be ignored and
// the open will proceed." (The failure is EINVAL: "the length of the file is
// not zero or a multiple of the pagesize".)
TEST_F(CxxTest, OpenOddFileSize) {
  make_file(path("odd"), 2, 600, kPage, 100);
  open_env(1u << 20, DB_CXX_NO_EXCEPTIONS);
  DbMpoolFile* m = nullptr;
  ASSERT_EQ(0, env->memp_fcreate(&m, 0));
  std::string p = path("odd");
  EXPECT_EQ(EINVAL, m->open(p.c_str(), 0, 0, kPage));
  EXPECT_EQ(0, m->close(0));

  ASSERT_EQ(0, env->memp_fcreate(&m, 0));
  ASSERT_EQ(0, m->open(p.c_str(), DB_ODDFILESIZE, 0, kPage));
  expect_pages(m, 2, 600);
  db_pgno_t pgno = 2;
  void* pg = nullptr;
  EXPECT_EQ(DB_PAGE_NOTFOUND, m->get(&pgno, nullptr, 0, &pg));
  db_pgno_t last = 99;
  EXPECT_EQ(0, m->get_last_pgno(&last));
  EXPECT_EQ(1u, last);
  EXPECT_EQ(0, m->close(0));
}

// Spec 003, DB_RDONLY: "Open any underlying files for reading only. Any
// attempt to write the file using the pool functions will fail": put DIRTY is
// EACCES (spec 001), NEW is EINVAL (spec 001: "The DB_MPOOL_NEW flag was set
// and the source file was not opened for writing"), and the file is unchanged.
TEST_F(CxxTest, OpenReadOnlyRefusesWrites) {
  make_file(path("ro"), 2, 700);
  open_env(1u << 20, DB_CXX_NO_EXCEPTIONS);
  DbMpoolFile* m = mfile("ro", DB_RDONLY);
  ASSERT_NE(nullptr, m);
  expect_pages(m, 2, 700);
  db_pgno_t pgno = 0;
  void* p = page(m, &pgno, 0);
  ASSERT_NE(nullptr, p);  // (not written to: a read-only file's page may be mapped read-only)
  EXPECT_EQ(EACCES, m->put(p, DB_PRIORITY_UNCHANGED, DB_MPOOL_DIRTY));
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  void* q = nullptr;
  EXPECT_EQ(EINVAL, m->get(&pgno, nullptr, DB_MPOOL_NEW, &q));
  EXPECT_EQ(0, m->sync());  // reference 1.3: a no-op for read-only handles
  auto d = disk_page(path("ro"), 0);
  ASSERT_EQ(kPage, d.size());
  EXPECT_TRUE(matches(d.data(), kPage, 700));
  EXPECT_EQ(2 * static_cast<off_t>(kPage), file_size(path("ro")));
  EXPECT_EQ(0, m->close(0));
}

// Spec 003, EINVAL: "the DB_RDONLY flag was specified for an in-memory pool"
// (reference 1.3: DB_RDONLY with a NULL path).
TEST_F(CxxTest, OpenReadOnlyTemporaryFileIsEinval) {
  open_env(1u << 20, DB_CXX_NO_EXCEPTIONS);
  DbMpoolFile* m = nullptr;
  ASSERT_EQ(0, env->memp_fcreate(&m, 0));
  EXPECT_EQ(EINVAL, m->open(nullptr, DB_RDONLY | DB_CREATE, 0, kPage));
  EXPECT_EQ(0, m->close(0));
}

// Spec 003, flags: "must be set to 0 or by bitwise inclusively OR'ing together
// one or more of the following values"; EINVAL "if an invalid flag value or
// parameter was specified".
TEST_F(CxxTest, OpenWithAnUnknownFlagIsEinval) {
  open_env(1u << 20, DB_CXX_NO_EXCEPTIONS);
  DbMpoolFile* m = nullptr;
  ASSERT_EQ(0, env->memp_fcreate(&m, 0));
  std::string p = path("f");
  EXPECT_EQ(EINVAL, m->open(p.c_str(), DB_CREATE | 0x40000000, 0, kPage));
  EXPECT_EQ(0, m->close(0));
}

// Spec 003, EINVAL: "If the file has already been entered into the pool, and
// the pagesize value is not the same as when the file was entered into the
// pool".
TEST_F(CxxTest, OpenWithAnotherPageSizeThanTheFileInThePoolIsEinval) {
  open_env(1u << 20, DB_CXX_NO_EXCEPTIONS);
  DbMpoolFile* a = mfile("f", DB_CREATE, kPage);
  ASSERT_NE(nullptr, a);
  DbMpoolFile* b = nullptr;
  ASSERT_EQ(0, env->memp_fcreate(&b, 0));
  std::string p = path("f");
  EXPECT_EQ(EINVAL, b->open(p.c_str(), 0, 0, 2048));
  EXPECT_EQ(0, b->close(0));
  EXPECT_EQ(0, a->close(0));
}

// BDB opens files of any page size from 512 B to 64 KiB in one cache, with
// set_mp_pagesize only a sizing hint (db.h, pagepool: pool.hpp "Page
// sizes"): an 8 KiB file opens in an environment that was never told of it,
// and a page size outside that range is EINVAL. Spec 003, pagesize: "the
// unit of transfer between the application and the cache".
TEST_F(CxxTest, OpenPageSizeAgainstTheFrameSize) {
  open_env(1u << 20, DB_CXX_NO_EXCEPTIONS);
  DbMpoolFile* m = nullptr;
  ASSERT_EQ(0, env->memp_fcreate(&m, 0));
  std::string p = path("huge");
  EXPECT_EQ(EINVAL, m->open(p.c_str(), DB_CREATE, 0, 131072));
  EXPECT_EQ(0, m->close(0));
  m = mfile("big", DB_CREATE, 8192);
  ASSERT_NE(nullptr, m);
  db_pgno_t pgno = 0;
  void* pg = page(m, &pgno, DB_MPOOL_NEW);
  ASSERT_NE(nullptr, pg);
  fill(pg, 8192, 5);
  EXPECT_EQ(0, m->put(pg, DB_PRIORITY_UNCHANGED, DB_MPOOL_DIRTY));
  EXPECT_EQ(0, m->sync());
  auto d = disk_page(path("big"), 0, 8192);
  ASSERT_EQ(8192u, d.size());
  EXPECT_TRUE(matches(d.data(), 8192, 5));
  EXPECT_EQ(0, m->close(0));
}

// Reference 1.3: open of a handle that is already open is EINVAL; get before
// open is EINVAL "[observed]; the code does the same for put and sync".
TEST_F(CxxTest, OpenStateIsChecked) {
  open_env(1u << 20, DB_CXX_NO_EXCEPTIONS);
  DbMpoolFile* m = nullptr;
  ASSERT_EQ(0, env->memp_fcreate(&m, 0));
  db_pgno_t pgno = 0;
  void* pg = nullptr;
  EXPECT_EQ(EINVAL, m->get(&pgno, nullptr, DB_MPOOL_NEW, &pg));
  EXPECT_EQ(EINVAL, m->sync());
  std::string p = path("f");
  ASSERT_EQ(0, m->open(p.c_str(), DB_CREATE, 0, kPage));
  EXPECT_EQ(EINVAL, m->open(p.c_str(), DB_CREATE, 0, kPage));
  EXPECT_EQ(0, m->close(0));
}

// Reference 1.3 (and section 1.7's list of DbMpoolFile methods): the
// configuration getters return what the setters stored before open.
TEST_F(CxxTest, FileConfigurationRoundTrips) {
  open_env();
  DbMpoolFile* m = nullptr;
  ASSERT_EQ(0, env->memp_fcreate(&m, 0));
  EXPECT_EQ(0, m->set_clear_len(32));
  u_int32_t clear_len = 0;
  EXPECT_EQ(0, m->get_clear_len(&clear_len));
  EXPECT_EQ(32u, clear_len);

  EXPECT_EQ(0, m->set_ftype(9));
  int ftype = 0;
  EXPECT_EQ(0, m->get_ftype(&ftype));
  EXPECT_EQ(9, ftype);

  EXPECT_EQ(0, m->set_lsn_offset(8));
  int32_t lsn_offset = 0;
  EXPECT_EQ(0, m->get_lsn_offset(&lsn_offset));
  EXPECT_EQ(8, lsn_offset);

  EXPECT_EQ(0, m->set_maxsize(0, 64 * kPage));
  u_int32_t gb = 9, bytes = 0;
  EXPECT_EQ(0, m->get_maxsize(&gb, &bytes));
  EXPECT_EQ(0u, gb);
  EXPECT_EQ(64 * kPage, bytes);

  EXPECT_EQ(0, m->set_priority(DB_PRIORITY_HIGH));
  DB_CACHE_PRIORITY prio = DB_PRIORITY_UNCHANGED;
  EXPECT_EQ(0, m->get_priority(&prio));
  EXPECT_EQ(DB_PRIORITY_HIGH, prio);

  EXPECT_EQ(0, m->set_flags(DB_MPOOL_UNLINK, 1));
  u_int32_t flags = 0;
  EXPECT_EQ(0, m->get_flags(&flags));
  EXPECT_EQ(static_cast<u_int32_t>(DB_MPOOL_UNLINK), flags & DB_MPOOL_UNLINK);
  EXPECT_EQ(0, m->set_flags(DB_MPOOL_UNLINK, 0));
  EXPECT_EQ(0, m->get_flags(&flags));
  EXPECT_EQ(0u, flags & DB_MPOOL_UNLINK);

  u_int8_t id[DB_FILE_ID_LEN];
  for (int i = 0; i < DB_FILE_ID_LEN; ++i) id[i] = static_cast<u_int8_t>(i + 1);
  EXPECT_EQ(0, m->set_fileid(id));
  u_int8_t got[DB_FILE_ID_LEN] = {};
  EXPECT_EQ(0, m->get_fileid(got));
  EXPECT_EQ(0, std::memcmp(id, got, DB_FILE_ID_LEN));

  char bytes_in[] = "the cookie";
  Dbt cookie(bytes_in, sizeof bytes_in);
  EXPECT_EQ(0, m->set_pgcookie(&cookie));
  Dbt out;
  EXPECT_EQ(0, m->get_pgcookie(&out));
  ASSERT_EQ(sizeof bytes_in, out.get_size());
  EXPECT_EQ(0, std::memcmp(bytes_in, out.get_data(), sizeof bytes_in));
  // Berkeley DB's signature takes the DBT.
  DBT raw{};
  EXPECT_EQ(0, m->get_pgcookie(&raw));
  EXPECT_EQ(sizeof bytes_in, raw.size);

  std::string p = path("cfg");
  ASSERT_EQ(0, m->open(p.c_str(), DB_CREATE, 0, kPage));
  EXPECT_EQ(0, m->get_clear_len(&clear_len));
  EXPECT_EQ(32u, clear_len);
  EXPECT_EQ(0, m->get_ftype(&ftype));
  EXPECT_EQ(9, ftype);
  EXPECT_EQ(0, m->close(0));
}

// Reference 1.3: set_priority "Any value outside 1..5 gives EINVAL".
TEST_F(CxxTest, SetPriorityOutOfRangeIsEinval) {
  open_env(1u << 20, DB_CXX_NO_EXCEPTIONS);
  DbMpoolFile* m = nullptr;
  ASSERT_EQ(0, env->memp_fcreate(&m, 0));
  EXPECT_EQ(EINVAL, m->set_priority(static_cast<DB_CACHE_PRIORITY>(9)));
  EXPECT_EQ(EINVAL, m->set_priority(DB_PRIORITY_UNCHANGED));
  EXPECT_EQ(0, m->close(0));
}

// Reference 1.3, set_maxsize: "Caps growth: NEW or CREATE past the cap gives
// ENOSPC" (with the correct bound: a cap of N pages allows pages 0..N-1).
TEST_F(CxxTest, MaxsizeCapsGrowthWithEnospc) {
  open_env(1u << 20, DB_CXX_NO_EXCEPTIONS);
  DbMpoolFile* m = nullptr;
  ASSERT_EQ(0, env->memp_fcreate(&m, 0));
  ASSERT_EQ(0, m->set_maxsize(0, 4 * kPage));
  std::string p = path("capped");
  ASSERT_EQ(0, m->open(p.c_str(), DB_CREATE, 0, kPage));
  write_pages(m, 4, 800);
  db_pgno_t pgno = 0;
  void* pg = nullptr;
  EXPECT_EQ(ENOSPC, m->get(&pgno, nullptr, DB_MPOOL_NEW, &pg));
  pgno = 4;
  EXPECT_EQ(ENOSPC, m->get(&pgno, nullptr, DB_MPOOL_CREATE, &pg));
  EXPECT_EQ(0, m->close(0));
}

// Reference 1.3, set_fileid: the id identifies the file; two handles on the
// same file (the default id: device and inode) report the same id.
TEST_F(CxxTest, TwoHandlesOnOneFileShareItsId) {
  open_env();
  DbMpoolFile* a = mfile("f");
  DbMpoolFile* b = mfile("f");
  DbMpoolFile* c = mfile("g");
  ASSERT_NE(nullptr, a);
  ASSERT_NE(nullptr, b);
  ASSERT_NE(nullptr, c);
  u_int8_t ia[DB_FILE_ID_LEN], ib[DB_FILE_ID_LEN], ic[DB_FILE_ID_LEN];
  EXPECT_EQ(0, a->get_fileid(ia));
  EXPECT_EQ(0, b->get_fileid(ib));
  EXPECT_EQ(0, c->get_fileid(ic));
  EXPECT_EQ(0, std::memcmp(ia, ib, DB_FILE_ID_LEN));
  EXPECT_NE(0, std::memcmp(ia, ic, DB_FILE_ID_LEN));
  EXPECT_EQ(0, a->close(0));
  EXPECT_EQ(0, b->close(0));
  EXPECT_EQ(0, c->close(0));
}

}  // namespace
}  // namespace cxxtest
