// Berkeley DB 2.x's C++ memory-pool API (issue 13, part 3): programs written
// against seed 001 (DbMpoolFile(3), shared/spec/001_*) and its companion
// DbMpool(3) page, built against pagepool's <db_cxx.h>. Each TEST names the
// clause it checks. An oracle (the pattern each page should hold) is checked
// through the pool and on disk, across sync, close and reopen.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>

#include "cxx_util.hpp"

namespace cxxtest {
namespace {

constexpr size_t kPg = 1024;  // 2.x programs used small pages

/// A 2.x-style environment: settings only, errors returned (2.x's
/// DbEnv::set_error_model(ErrorReturn)).
std::unique_ptr<DbEnv> settings_env(u_int32_t cache_bytes) {
  auto e = std::make_unique<DbEnv>(DB_CXX_NO_EXCEPTIONS);
  e->set_cachesize(0, cache_bytes, 1);
  return e;
}

/// Written as a 2.x program would: open the pool and a file, write n pages
/// (pattern seed + pgno) with DB_MPOOL_NEW and put(DB_MPOOL_DIRTY).
void write_2x(DbMpoolFile* mpf, db_pgno_t n, std::uint32_t seed, db_pgno_t first = 0) {
  for (db_pgno_t i = first; i < first + n; ++i) {
    db_pgno_t pgno = 0;
    void* p = nullptr;
    ASSERT_EQ(0, mpf->get(&pgno, DB_MPOOL_NEW, &p));
    ASSERT_EQ(i, pgno);
    fill(p, kPg, seed + pgno);
    ASSERT_EQ(0, mpf->put(p, DB_MPOOL_DIRTY));
  }
}

// 001, DbMpoolFile::put: "DB_MPOOL_DIRTY: The page has been modified and
// must be written to the source file before being evicted from the pool";
// sync: "writes all pages ... marked as modified using put or set, back to
// the source file". The oracle holds on disk after sync and after reopen.
TEST(Mpool2x, DirtyPagesAreWrittenBySyncAndReadBackAfterReopen) {
  temp_dir dir;
  const std::string file = dir.file("seed001.db");
  auto env = settings_env(256 * 1024);
  DbMpool* mp = nullptr;
  ASSERT_EQ(0, DbMpool::open(dir.path().c_str(), DB_CREATE, 0644, env.get(), &mp));
  DbMpoolFile* mpf = nullptr;
  ASSERT_EQ(0, DbMpoolFile::open(mp, const_cast<char*>(file.c_str()), 0, DB_CREATE, 0644, kPg, -1,
                                 nullptr, nullptr, &mpf));
  write_2x(mpf, 8, 100);
  // Before sync nothing need be on disk; after it, every page is.
  ASSERT_EQ(0, mpf->sync());
  for (db_pgno_t i = 0; i < 8; ++i)
    EXPECT_TRUE(matches(disk_page(file, i, kPg).data(), kPg, 100 + i));

  // An existing, clean page modified and put with DB_MPOOL_DIRTY alone
  // (DB_MPOOL_NEW pages start out modified; this one does not).
  db_pgno_t five = 5;
  void* pg5 = nullptr;
  ASSERT_EQ(0, mpf->get(&five, 0, &pg5));
  fill(pg5, kPg, 777);
  ASSERT_EQ(0, mpf->put(pg5, DB_MPOOL_DIRTY));
  ASSERT_EQ(0, mpf->sync());
  EXPECT_TRUE(matches(disk_page(file, 5, kPg).data(), kPg, 777));

  // Rewrite page 3 through set(DIRTY) while pinned, then put(0): sync writes it.
  db_pgno_t pgno = 3;
  void* p = nullptr;
  ASSERT_EQ(0, mpf->get(&pgno, 0, &p));
  fill(p, kPg, 555);
  ASSERT_EQ(0, mpf->set(p, DB_MPOOL_DIRTY));
  ASSERT_EQ(0, mpf->put(p, 0));
  ASSERT_EQ(0, mpf->sync());
  EXPECT_TRUE(matches(disk_page(file, 3, kPg).data(), kPg, 555));

  // DB_MPOOL_LAST: "Return the last page ... and copy its page number".
  pgno = 0;
  ASSERT_EQ(0, mpf->get(&pgno, DB_MPOOL_LAST, &p));
  EXPECT_EQ(7u, pgno);
  EXPECT_TRUE(matches(p, kPg, 107));
  ASSERT_EQ(0, mpf->put(p, 0));

  ASSERT_EQ(0, mpf->close());  // "does not imply a call to sync"
  ASSERT_EQ(0, mp->close());

  // Reopen in a new pool: the oracle holds through the pool.
  ASSERT_EQ(0, DbMpool::open(dir.path().c_str(), 0, 0, env.get(), &mp));
  ASSERT_EQ(0, DbMpoolFile::open(mp, file.c_str(), 0, 0, 0, kPg, -1, nullptr, nullptr, &mpf));
  for (db_pgno_t i = 0; i < 8; ++i) {
    db_pgno_t n = i;
    ASSERT_EQ(0, mpf->get(&n, 0, &p));
    EXPECT_TRUE(matches(p, kPg, i == 3 ? 555 : i == 5 ? 777 : 100 + i)) << "page " << i;
    ASSERT_EQ(0, mpf->put(p, 0));
  }
  ASSERT_EQ(0, mpf->close());
  ASSERT_EQ(0, mp->close());
}

// 001, put: "DB_MPOOL_CLEAN: Clear any previously set modification
// information (i.e., don't bother writing the page back to the source file)".
TEST(Mpool2x, PutCleanDropsAModification) {
  temp_dir dir;
  const std::string file = dir.file("clean.db");
  auto env = settings_env(256 * 1024);
  DbMpool* mp = nullptr;
  ASSERT_EQ(0, DbMpool::open(dir.path().c_str(), DB_CREATE, 0, env.get(), &mp));
  DbMpoolFile* mpf = nullptr;
  ASSERT_EQ(0,
            DbMpoolFile::open(mp, file.c_str(), 0, DB_CREATE, 0, kPg, -1, nullptr, nullptr, &mpf));
  write_2x(mpf, 2, 10);
  ASSERT_EQ(0, mpf->sync());
  db_pgno_t pgno = 1;
  void* p = nullptr;
  ASSERT_EQ(0, mpf->get(&pgno, 0, &p));
  fill(p, kPg, 999);
  ASSERT_EQ(0, mpf->set(p, DB_MPOOL_DIRTY));
  ASSERT_EQ(0, mpf->put(p, DB_MPOOL_CLEAN));
  ASSERT_EQ(0, mpf->sync());
  EXPECT_TRUE(matches(disk_page(file, 1, kPg).data(), kPg, 11));
  // "The DB_MPOOL_CLEAN and DB_MPOOL_DIRTY flags are mutually exclusive."
  ASSERT_EQ(0, mpf->get(&pgno, 0, &p));
  EXPECT_EQ(EINVAL, mpf->put(p, DB_MPOOL_CLEAN | DB_MPOOL_DIRTY));
  ASSERT_EQ(0, mpf->put(p, 0));
  ASSERT_EQ(0, mpf->close());
  ASSERT_EQ(0, mp->close());
}

// 001, get [EINVAL]: "The requested page does not exist and DB_MPOOL_CREATE
// was not set"; "More than one of DB_MPOOL_CREATE, DB_MPOOL_LAST and
// DB_MPOOL_NEW was set". open [EINVAL]: a pagesize other than the file's
// first. Each is returned with ErrorReturn and thrown without a DbEnv.
TEST(Mpool2x, ErrorsAreTheManualsAndFollowTheErrorModel) {
  temp_dir dir;
  const std::string file = dir.file("errors.db");
  auto env = settings_env(256 * 1024);
  std::ostringstream err;
  env->set_error_stream(&err);
  DbMpool* mp = nullptr;
  ASSERT_EQ(0, DbMpool::open(dir.path().c_str(), DB_CREATE, 0, env.get(), &mp));
  DbMpoolFile* mpf = nullptr;
  ASSERT_EQ(0,
            DbMpoolFile::open(mp, file.c_str(), 0, DB_CREATE, 0, kPg, -1, nullptr, nullptr, &mpf));
  write_2x(mpf, 1, 1);
  db_pgno_t pgno = 5;
  void* p = reinterpret_cast<void*>(0x1);
  EXPECT_EQ(EINVAL, mpf->get(&pgno, 0, &p));
  EXPECT_NE(std::string::npos, err.str().find("DB_MPOOL_CREATE")) << err.str();
  EXPECT_EQ(EINVAL, mpf->get(&pgno, DB_MPOOL_CREATE | DB_MPOOL_NEW, &p));
  // DB_MPOOL_CREATE makes it (zero-filled).
  ASSERT_EQ(0, mpf->get(&pgno, DB_MPOOL_CREATE, &p));
  EXPECT_TRUE(all_zero(p, kPg));
  ASSERT_EQ(0, mpf->put(p, 0));
  // A second handle with another page size.
  DbMpoolFile* other = reinterpret_cast<DbMpoolFile*>(0x1);
  EXPECT_NE(0, DbMpoolFile::open(mp, file.c_str(), 0, 0, 0, 2 * kPg, -1, nullptr, nullptr, &other));
  EXPECT_EQ(reinterpret_cast<DbMpoolFile*>(0x1), other);  // nothing made
  // No pool: no DbEnv to say how to report, so 2.x's default: thrown.
  EXPECT_THROW(DbMpoolFile::open(nullptr, file.c_str(), 0, 0, 0, kPg, -1, nullptr, nullptr, &other),
               DbException);
  EXPECT_EQ(EINVAL,
            DbMpoolFile::open(mp, file.c_str(), 0, 0, 0, kPg, -1, nullptr, nullptr, nullptr));
  EXPECT_EQ(EINVAL, DbMpool::open(dir.path().c_str(), 0x40000000, 0, env.get(), &mp));
  ASSERT_EQ(0, mpf->close());
  ASSERT_EQ(0, mp->close());

  // No DbEnv: 2.x's default error model throws.
  ASSERT_EQ(0, DbMpool::open(dir.path().c_str(), 0, 0, nullptr, &mp));
  ASSERT_EQ(0, DbMpoolFile::open(mp, file.c_str(), 0, 0, 0, kPg, -1, nullptr, nullptr, &mpf));
  pgno = 77;
  try {
    mpf->get(&pgno, 0, &p);
    ADD_FAILURE() << "expected a DbException";
  } catch (const DbException& e) {
    EXPECT_EQ(EINVAL, e.get_errno());
    EXPECT_NE(nullptr, std::strstr(e.what(), "DbMpoolFile::get")) << e.what();
  }
  EXPECT_THROW(DbMpoolFile::open(mp, dir.file("missing.db").c_str(), 0, 0, 0, kPg, -1, nullptr,
                                 nullptr, &other),
               DbException);
  ASSERT_EQ(0, mpf->close());
  ASSERT_EQ(0, mp->close());
}

// DbMpool(3), db_register: pgin/pgout are called with the page number, the
// page and the file's pgcookie; ftype selects them (DbMpoolFile::open's ftype).
// Oracle: on disk every byte is the page's complement, in the pool the page.
int pgouts = 0, pgins = 0;
std::string cookie_seen;
int flip(db_pgno_t, void* page, Dbt* cookie) {
  auto* b = static_cast<unsigned char*>(page);
  for (size_t i = 0; i < kPg; ++i) b[i] = static_cast<unsigned char>(~b[i]);
  cookie_seen.assign(static_cast<const char*>(cookie->get_data()), cookie->get_size());
  return 0;
}
int flip_out(db_pgno_t pgno, void* page, Dbt* cookie) {
  ++pgouts;
  return flip(pgno, page, cookie);
}
int flip_in(db_pgno_t pgno, void* page, Dbt* cookie) {
  ++pgins;
  return flip(pgno, page, cookie);
}

TEST(Mpool2x, RegisteredPageFunctionsTransformPagesOnTheWayInAndOut) {
  temp_dir dir;
  const std::string file = dir.file("flip.db");
  auto env = settings_env(64 * 1024);  // 64 KiB: 100 pages of 1 KiB are evicted and read again
  DbMpool* mp = nullptr;
  ASSERT_EQ(0, DbMpool::open(dir.path().c_str(), DB_CREATE, 0, env.get(), &mp));
  ASSERT_EQ(0, mp->db_register(7, flip_in, flip_out));
  EXPECT_EQ(EINVAL, mp->db_register(0, flip_in, flip_out));
  char cookie_bytes[] = "cookie-7";
  Dbt cookie(cookie_bytes, sizeof cookie_bytes - 1);
  u_int8_t uid[DB_FILE_ID_LEN] = {1, 2, 3};
  DbMpoolFile* mpf = nullptr;
  ASSERT_EQ(0, DbMpoolFile::open(mp, file.c_str(), 7, DB_CREATE, 0, kPg, -1, &cookie, uid, &mpf));
  write_2x(mpf, 100, 300);
  ASSERT_EQ(0, mpf->sync());
  EXPECT_GT(pgouts, 0);
  EXPECT_EQ("cookie-7", cookie_seen);
  for (db_pgno_t i = 0; i < 100; ++i) {
    std::vector<unsigned char> d = disk_page(file, i, kPg);
    ASSERT_EQ(kPg, d.size());
    for (auto& b : d) b = static_cast<unsigned char>(~b);
    EXPECT_TRUE(matches(d.data(), kPg, 300 + i)) << "page " << i;
  }
  for (db_pgno_t i = 0; i < 100; ++i) {
    db_pgno_t n = i;
    void* p = nullptr;
    ASSERT_EQ(0, mpf->get(&n, 0, &p));
    EXPECT_TRUE(matches(p, kPg, 300 + i)) << "page " << i;
    ASSERT_EQ(0, mpf->put(p, 0));
  }
  EXPECT_GT(pgins, 0);
  ASSERT_EQ(0, mpf->close());
  ASSERT_EQ(0, mp->close());
}

// DbMpool(3): trickle, sync(lsn), stat (with the caller's db_malloc), unlink
// (EBUSY while the pool is open unless forced).
size_t mallocs = 0;
void* counting_malloc(size_t n) {
  ++mallocs;
  return std::malloc(n);
}

TEST(Mpool2x, TrickleSyncStatAndUnlink) {
  temp_dir dir;
  const std::string file = dir.file("pool.db");
  auto env = settings_env(256 * 1024);
  DbMpool* mp = nullptr;
  ASSERT_EQ(0, DbMpool::open(dir.path().c_str(), DB_CREATE | DB_MPOOL_PRIVATE | DB_THREAD, 0,
                             env.get(), &mp));
  DbMpoolFile* mpf = nullptr;
  ASSERT_EQ(0,
            DbMpoolFile::open(mp, file.c_str(), 0, DB_CREATE, 0, kPg, -1, nullptr, nullptr, &mpf));
  write_2x(mpf, 10, 40);
  int wrote = -1;
  ASSERT_EQ(0, mp->trickle(100, &wrote));
  EXPECT_GE(wrote, 0);
  EXPECT_LE(wrote, 10);
  for (db_pgno_t i = 0; i < 10; ++i)  // every page clean: each written, by trickle or before
    EXPECT_TRUE(matches(disk_page(file, i, kPg).data(), kPg, 40 + i)) << "page " << i;
  write_2x(mpf, 2, 80, 10);  // pages 10, 11: patterns 90, 91
  ASSERT_EQ(0, mp->sync(nullptr));
  EXPECT_TRUE(matches(disk_page(file, 11, kPg).data(), kPg, 91));

  DB_MPOOL_STAT* gsp = nullptr;
  DB_MPOOL_FSTAT** fsp = nullptr;
  ASSERT_EQ(0, mp->stat(&gsp, reinterpret_cast<DB_MPOOL_FSTAT*(*)[]>(&fsp), counting_malloc));
  EXPECT_EQ(2u, mallocs);
  ASSERT_NE(nullptr, gsp);
  ASSERT_NE(nullptr, fsp);
  EXPECT_GE(gsp->st_page_out, 12u);
  ASSERT_NE(nullptr, fsp[0]);
  EXPECT_EQ(kPg, fsp[0]->st_pagesize);
  EXPECT_NE(nullptr, std::strstr(fsp[0]->file_name, "pool.db"));
  EXPECT_EQ(nullptr, fsp[1]);
  std::free(gsp);
  std::free(fsp);

  EXPECT_EQ(EBUSY, DbMpool::unlink(dir.path().c_str(), 0, env.get()));
  EXPECT_EQ(0, DbMpool::unlink(dir.path().c_str(), 1, env.get()));
  // Closing the pool closes the file's handle; the object fails until closed.
  ASSERT_EQ(0, mp->close());
  db_pgno_t pgno = 0;
  void* p = nullptr;
  EXPECT_EQ(EINVAL, mpf->get(&pgno, 0, &p));
  EXPECT_EQ(EINVAL, mpf->close());
  EXPECT_EQ(0, DbMpool::unlink(dir.path().c_str(), 0, env.get()));
}

// DbMpool(3): without DB_MPOOL_PRIVATE the pool is the directory's, "shared
// between processes" in Berkeley DB. pagepool does not share pages between
// processes yet (README, "Processes"): the directory's registry records the
// pool, a second pool there is EAGAIN rather than a second cache of the same
// files, DB_MPOOL_PRIVATE opens a private one beside it, and unlink removes
// the registry once no pool is attached (EBUSY before, unless forced).
TEST(Mpool2x, APoolWithoutMpoolPrivateIsTheDirectorys) {
  temp_dir dir;
  const std::string reg = dir.file("__pagepool.registry");
  auto env = settings_env(256 * 1024);
  DbMpool* mp = nullptr;
  EXPECT_EQ(ENOENT, DbMpool::open(dir.path().c_str(), 0, 0, env.get(), &mp));  // no DB_CREATE
  ASSERT_EQ(0, DbMpool::open(dir.path().c_str(), DB_CREATE, 0, env.get(), &mp));
  EXPECT_TRUE(std::filesystem::exists(reg));
  DbMpool* second = nullptr;
  EXPECT_EQ(EAGAIN, DbMpool::open(dir.path().c_str(), DB_CREATE, 0, env.get(), &second));
  ASSERT_EQ(0, DbMpool::open(dir.path().c_str(), DB_CREATE | DB_MPOOL_PRIVATE, 0, env.get(),
                             &second));
  ASSERT_EQ(0, second->close());
  EXPECT_EQ(EBUSY, DbMpool::unlink(dir.path().c_str(), 0, env.get()));
  ASSERT_EQ(0, mp->close());
  EXPECT_TRUE(std::filesystem::exists(reg));
  EXPECT_EQ(0, DbMpool::unlink(dir.path().c_str(), 0, env.get()));
  EXPECT_FALSE(std::filesystem::exists(reg));
}

// The two APIs in one program: a DbMpool over a 5.3 environment that is
// already open uses its pool, and close() leaves that environment open.
TEST_F(CxxTest, DbMpoolOverAnOpenEnvironmentSharesItsPool) {
  open_env(1u << 20, DB_CXX_NO_EXCEPTIONS);
  DbMpool* mp = nullptr;
  ASSERT_EQ(0, DbMpool::open(dir.path().c_str(), 0, 0, env.get(), &mp));
  EXPECT_EQ(env.get(), mp->get_env());
  DbMpool* second = nullptr;
  EXPECT_EQ(EINVAL, DbMpool::open(dir.path().c_str(), 0, 0, env.get(), &second));
  DbMpoolFile* mpf = nullptr;
  ASSERT_EQ(0, DbMpoolFile::open(mp, path("both.db").c_str(), 0, DB_CREATE, 0, kPage, -1, nullptr,
                                 nullptr, &mpf));
  // 5.3 and 2.x calls on the same object.
  db_pgno_t pgno = 0;
  void* p = nullptr;
  ASSERT_EQ(0, mpf->get(&pgno, nullptr, DB_MPOOL_NEW, &p));
  fill(p, kPage, 5);
  ASSERT_EQ(0, mpf->put(p, DB_MPOOL_DIRTY));
  ASSERT_EQ(0, mpf->get(&pgno, 0, &p));
  EXPECT_TRUE(matches(p, kPage, 5));
  ASSERT_EQ(0, mpf->put(p, DB_PRIORITY_LOW, 0));
  ASSERT_EQ(0, env->memp_sync(nullptr));
  EXPECT_TRUE(matches(disk_page(path("both.db"), 0).data(), kPage, 5));
  ASSERT_EQ(0, mpf->close(0));
  ASSERT_EQ(0, mp->close());
  DB_MPOOL_STAT* gsp = nullptr;
  ASSERT_EQ(0, env->memp_stat(&gsp, nullptr, 0));  // still open
  std::free(gsp);
}

}  // namespace
}  // namespace cxxtest
