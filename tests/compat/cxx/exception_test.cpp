// The C++ error model: DbException, DbMemoryException, Dbt, DbLsn, and every
// failing call checked in both error modes (exceptions, DB_CXX_NO_EXCEPTIONS).
//
// Manual: each DbMpoolFile method "throws a DbException(3) or returns the value
// of errno on failure" (spec 001), "either returns a non-zero error value or
// throws an exception that encapsulates a non-zero error value" (spec 003);
// reference section 1.7: the wrapper maps a missing C handle to EINVAL, throws
// unless the environment has DB_CXX_NO_EXCEPTIONS, and get treats
// DB_PAGE_NOTFOUND as a normal result.
#include <cerrno>
#include <cstring>
#include <string>
#include <type_traits>

#include "cxx_util.hpp"

namespace cxxtest {
namespace {

// ------------------------------------------------------------ the classes

// DbException(3): "DbException(int err)": get_errno() returns err; what()
// describes it.
TEST(DbExceptionTest, ErrnoConstructorCarriesTheErrorAndItsText) {
  DbException e(EINVAL);
  EXPECT_EQ(EINVAL, e.get_errno());
  EXPECT_NE(nullptr, std::strstr(e.what(), db_strerror(EINVAL))) << e.what();
  EXPECT_EQ(nullptr, e.get_env());
}

// DbException(3): "DbException(const char *description)": no error value.
TEST(DbExceptionTest, DescriptionConstructorHasNoErrno) {
  DbException e("something broke");
  EXPECT_EQ(0, e.get_errno());
  EXPECT_STREQ("something broke", e.what());
}

// DbException(3): "DbException(const char *description, int err)".
TEST(DbExceptionTest, DescriptionAndErrnoAreBothInWhat) {
  DbException e("DbEnv::open", ENOENT);
  EXPECT_EQ(ENOENT, e.get_errno());
  EXPECT_NE(nullptr, std::strstr(e.what(), "DbEnv::open")) << e.what();
  EXPECT_NE(nullptr, std::strstr(e.what(), db_strerror(ENOENT))) << e.what();
}

// DbException(3): derives from std::exception, copies keep the error, env
// and text (exceptions are thrown by value and caught by reference).
TEST(DbExceptionTest, IsAStdExceptionAndCopiesFaithfully) {
  static_assert(std::is_base_of_v<std::exception, DbException>);
  static_assert(std::is_nothrow_copy_constructible_v<DbException>);
  DbEnv env(DB_CXX_NO_EXCEPTIONS);
  DbException a("m", EACCES);
  a.set_env(&env);
  DbException b(a);
  EXPECT_EQ(EACCES, b.get_errno());
  EXPECT_EQ(&env, b.get_env());
  EXPECT_STREQ(a.what(), b.what());
  DbException c(1);
  c = a;
  EXPECT_STREQ(a.what(), c.what());
  try {
    throw b;
  } catch (const std::exception& s) {
    EXPECT_STREQ(a.what(), s.what());
  }
}

// DbMemoryException(3): a DbException for a Dbt too small for the data
// (DB_BUFFER_SMALL); get_dbt() returns that Dbt.
TEST(DbExceptionTest, MemoryExceptionCarriesTheDbt) {
  static_assert(std::is_base_of_v<DbException, DbMemoryException>);
  Dbt d;
  DbMemoryException e(&d);
  EXPECT_EQ(DB_BUFFER_SMALL, e.get_errno());
  EXPECT_EQ(&d, e.get_dbt());
  DbMemoryException f("DbMpoolFile::get_pgcookie", &d);
  EXPECT_NE(nullptr, std::strstr(f.what(), "DbMpoolFile::get_pgcookie")) << f.what();
  try {
    throw f;
  } catch (const DbException& base) {
    EXPECT_EQ(DB_BUFFER_SMALL, base.get_errno());
  }
}

// Dbt(3): "a Dbt and a DBT are interchangeable": get_DBT() is the same object,
// get_Dbt() converts back, and the accessors read and write the DBT fields.
TEST(DbtTest, IsTheSameObjectAsItsDbt) {
  static_assert(sizeof(Dbt) == sizeof(DBT));
  char buf[16] = "cookie";
  Dbt d(buf, 6);
  DBT* c = d.get_DBT();
  EXPECT_EQ(static_cast<void*>(buf), c->data);
  EXPECT_EQ(6u, c->size);
  EXPECT_EQ(0u, c->ulen);
  EXPECT_EQ(0u, c->flags);
  EXPECT_EQ(&d, Dbt::get_Dbt(c));
  d.set_ulen(16);
  d.set_flags(DB_DBT_USERMEM);
  d.set_size(3);
  EXPECT_EQ(16u, c->ulen);
  EXPECT_EQ(static_cast<u_int32_t>(DB_DBT_USERMEM), c->flags);
  EXPECT_EQ(3u, d.get_size());
  c->size = 5;
  EXPECT_EQ(5u, d.get_size());
  Dbt empty;
  EXPECT_EQ(nullptr, empty.get_data());
  EXPECT_EQ(0u, empty.get_size());
  Dbt copy(d);
  EXPECT_EQ(d.get_data(), copy.get_data());
  EXPECT_EQ(d.get_ulen(), copy.get_ulen());
}

// DbLsn(3): a DbLsn is a DB_LSN.
TEST(DbLsnTest, IsADbLsn) {
  static_assert(std::is_base_of_v<DB_LSN, DbLsn>);
  DbLsn l;
  l.file = 1;
  l.offset = 2;
  DB_LSN* c = &l;
  EXPECT_EQ(1u, c->file);
  EXPECT_EQ(2u, c->offset);
}

// DbEnv::strerror(3) and DbEnv::version(3): the C functions' results.
TEST(DbEnvStaticTest, StrerrorAndVersion) {
  EXPECT_STREQ(db_strerror(DB_PAGE_NOTFOUND), DbEnv::strerror(DB_PAGE_NOTFOUND));
  EXPECT_STREQ(db_strerror(EINVAL), DbEnv::strerror(EINVAL));
  int major = -1, minor = -1, patch = -1;
  const char* v = DbEnv::version(&major, &minor, &patch);
  ASSERT_NE(nullptr, v);
  EXPECT_EQ(DB_VERSION_MAJOR, major);
  EXPECT_EQ(DB_VERSION_MINOR, minor);
  EXPECT_EQ(DB_VERSION_PATCH, patch);
  int family = -1, release = -1;
  EXPECT_NE(nullptr, DbEnv::full_version(&family, &release, &major, &minor, &patch));
  EXPECT_EQ(DB_VERSION_FAMILY, family);
  EXPECT_EQ(DB_VERSION_RELEASE, release);
}

// ------------------------------------------- one failing call, two modes

INSTANTIATE_TEST_SUITE_P(Modes, PolicyTest, ::testing::Values(true, false), policy_name);

// Reference 1.7 (error policy) with db.h's DB_ENV->open: the subsystems
// pagepool lacks are EINVAL.
TEST_P(PolicyTest, EnvOpenWithTransactionsIsEinval) {
  env = std::make_unique<DbEnv>(ctor_flags());
  expect_error(throws(), EINVAL, env.get(), "DbEnv::open", [&] {
    return env->open(dir.path().c_str(), kOpenFlags | DB_INIT_TXN, 0);
  });
}

// Spec 003, DB_CREATE: "If the files do not already exist and the DB_CREATE
// flag is not specified, the call will fail" (ENOENT, reference 1.3).
TEST_P(PolicyTest, OpenMissingFileWithoutCreateIsEnoent) {
  open_env(1u << 20, ctor_flags());
  DbMpoolFile* m = nullptr;
  ASSERT_EQ(0, env->memp_fcreate(&m, 0));
  std::string p = path("missing");
  expect_error(throws(), ENOENT, env.get(), "DbMpoolFile::open",
               [&] { return m->open(p.c_str(), 0, 0, kPage); });
  EXPECT_EQ(0, m->close(0));
}

// Spec 003, EINVAL: "if an invalid flag value or parameter was specified"
// (a page size that is not a power of two, reference 1.3).
TEST_P(PolicyTest, OpenWithBadPageSizeIsEinval) {
  open_env(1u << 20, ctor_flags());
  DbMpoolFile* m = nullptr;
  ASSERT_EQ(0, env->memp_fcreate(&m, 0));
  std::string p = path("f");
  expect_error(throws(), EINVAL, env.get(), "DbMpoolFile::open",
               [&] { return m->open(p.c_str(), DB_CREATE, 0, 3000); });
  EXPECT_EQ(0, m->close(0));
}

// Spec 001, get EINVAL: "More than one of DB_MPOOL_CREATE, DB_MPOOL_LAST and
// DB_MPOOL_NEW was set."
TEST_P(PolicyTest, GetWithCreateAndNewIsEinval) {
  open_env(1u << 20, ctor_flags());
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  db_pgno_t pgno = 0;
  void* p = nullptr;
  expect_error(throws(), EINVAL, env.get(), "DbMpoolFile::get",
               [&] { return m->get(&pgno, nullptr, DB_MPOOL_CREATE | DB_MPOOL_NEW, &p); });
  expect_error(throws(), EINVAL, env.get(), "DbMpoolFile::get",
               [&] { return m->get(&pgno, nullptr, DB_MPOOL_LAST | DB_MPOOL_NEW, &p); });
  EXPECT_EQ(0, m->close(0));
}

// db_cxx.h / reference 1.5: the txn argument must be NULL here (no
// transactions); anything else is EINVAL.
TEST_P(PolicyTest, GetWithATransactionIsEinval) {
  open_env(1u << 20, ctor_flags());
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  db_pgno_t pgno = 0;
  void* p = nullptr;
  alignas(8) char fake[64] = {};
  auto* txn = reinterpret_cast<DbTxn*>(fake);
  expect_error(throws(), EINVAL, env.get(), "DbMpoolFile::get",
               [&] { return m->get(&pgno, txn, DB_MPOOL_NEW, &p); });
  EXPECT_EQ(0, m->close(0));
}

// Reference 1.7: "get also treats DB_PAGE_NOTFOUND as a normal result (no
// throw)"; reference 1.5: flags 0 on a page past the end is DB_PAGE_NOTFOUND.
TEST_P(PolicyTest, PageNotFoundIsReturnedNeverThrown) {
  open_env(1u << 20, ctor_flags());
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  db_pgno_t pgno = 7;
  void* p = nullptr;
  int ret = -1;
  EXPECT_NO_THROW(ret = m->get(&pgno, nullptr, 0, &p));
  EXPECT_EQ(DB_PAGE_NOTFOUND, ret);
  EXPECT_EQ(0, m->close(0));
}

// Spec 001, put EINVAL: "More than one of DB_MPOOL_CLEAN and DB_MPOOL_DIRTY
// was set" and "The pgaddr parameter does not reference a page returned by
// DbMpoolFile::get."
TEST_P(PolicyTest, PutWithCleanAndDirtyOrAForeignAddressIsEinval) {
  open_env(1u << 20, ctor_flags());
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  db_pgno_t pgno = 0;
  void* p = page(m, &pgno, DB_MPOOL_NEW);
  ASSERT_NE(nullptr, p);
  expect_error(throws(), EINVAL, env.get(), "DbMpoolFile::put",
               [&] { return m->put(p, DB_PRIORITY_UNCHANGED, DB_MPOOL_CLEAN | DB_MPOOL_DIRTY); });
  alignas(8) static char foreign[kPage];
  expect_error(throws(), EINVAL, env.get(), "DbMpoolFile::put",
               [&] { return m->put(foreign, DB_PRIORITY_UNCHANGED, 0); });
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  EXPECT_EQ(0, m->close(0));
}

// Spec 001, set EINVAL: "An invalid flag value or parameter was specified."
TEST_P(PolicyTest, SetWithAnUnknownFlagIsEinval) {
  open_env(1u << 20, ctor_flags());
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  db_pgno_t pgno = 0;
  void* p = page(m, &pgno, DB_MPOOL_NEW);
  ASSERT_NE(nullptr, p);
  expect_error(throws(), EINVAL, env.get(), "DbMpoolFile::set", [&] { return m->set(p, 0x4000); });
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  EXPECT_EQ(0, m->close(0));
}

// Spec 001, put EACCES: "The DB_MPOOL_DIRTY flag was set and the source file
// was not opened for writing."
TEST_P(PolicyTest, PutDirtyOnAReadOnlyFileIsEacces) {
  make_file(path("ro"), 2);
  open_env(1u << 20, ctor_flags());
  DbMpoolFile* m = mfile("ro", DB_RDONLY);
  ASSERT_NE(nullptr, m);
  db_pgno_t pgno = 0;
  void* p = page(m, &pgno, 0);
  ASSERT_NE(nullptr, p);
  expect_error(throws(), EACCES, env.get(), "DbMpoolFile::put",
               [&] { return m->put(p, DB_PRIORITY_UNCHANGED, DB_MPOOL_DIRTY); });
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  EXPECT_EQ(0, m->close(0));
}

// Reference 1.2: memp_stat flags are 0 or DB_STAT_CLEAR, anything else is
// EINVAL; memp_trickle's pct must be 1..100; memp_fcreate's flags must be 0.
TEST_P(PolicyTest, PoolMethodsRejectBadArguments) {
  open_env(1u << 20, ctor_flags());
  DB_MPOOL_STAT* gsp = nullptr;
  expect_error(throws(), EINVAL, env.get(), "DbEnv::memp_stat",
               [&] { return env->memp_stat(&gsp, nullptr, 0x40000); });
  int nwrote = 0;
  expect_error(throws(), EINVAL, env.get(), "DbEnv::memp_trickle",
               [&] { return env->memp_trickle(0, &nwrote); });
  expect_error(throws(), EINVAL, env.get(), "DbEnv::memp_trickle",
               [&] { return env->memp_trickle(101, &nwrote); });
  DbMpoolFile* m = nullptr;
  expect_error(throws(), EINVAL, env.get(), "DbEnv::memp_fcreate",
               [&] { return env->memp_fcreate(&m, 0x1234); });
}

// Reference 1.3: set_clear_len, set_fileid, set_ftype, set_lsn_offset and
// set_pgcookie "return EINVAL after open".
TEST_P(PolicyTest, FileSettersAfterOpenAreEinval) {
  open_env(1u << 20, ctor_flags());
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  expect_error(throws(), EINVAL, env.get(), "DbMpoolFile::set_clear_len",
               [&] { return m->set_clear_len(16); });
  expect_error(throws(), EINVAL, env.get(), "DbMpoolFile::set_ftype", [&] { return m->set_ftype(3); });
  expect_error(throws(), EINVAL, env.get(), "DbMpoolFile::set_lsn_offset",
               [&] { return m->set_lsn_offset(0); });
  u_int8_t id[DB_FILE_ID_LEN] = {1, 2, 3};
  expect_error(throws(), EINVAL, env.get(), "DbMpoolFile::set_fileid", [&] { return m->set_fileid(id); });
  char bytes[4] = "abc";
  Dbt cookie(bytes, 3);
  expect_error(throws(), EINVAL, env.get(), "DbMpoolFile::set_pgcookie",
               [&] { return m->set_pgcookie(&cookie); });
  EXPECT_EQ(0, m->close(0));
}

// db_cxx.h: ENOMEM is thrown as a DbMemoryException (spec 003: "either return
// ENOMEM or throw a DbMemoryException"); here, a get when every frame of the
// cache is pinned (db.h, DB_MPOOLFILE->get: ENOMEM).
TEST_P(PolicyTest, EveryFramePinnedIsEnomemAsDbMemoryException) {
  open_env(16 * kPage, ctor_flags());
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  std::vector<void*> pinned;
  int ret = 0;
  bool caught = false;
  for (int i = 0; i < 64 && ret == 0; ++i) {
    db_pgno_t pgno = 0;
    void* p = nullptr;
    try {
      ret = m->get(&pgno, nullptr, DB_MPOOL_NEW, &p);
    } catch (const DbMemoryException& e) {
      caught = true;
      ret = e.get_errno();
      EXPECT_EQ(nullptr, e.get_dbt());
      EXPECT_EQ(env.get(), e.get_env());
    } catch (const DbException& e) {
      ADD_FAILURE() << "a DbException that is not a DbMemoryException: " << e.what();
      ret = e.get_errno();
    }
    if (ret == 0) pinned.push_back(p);
  }
  EXPECT_EQ(ENOMEM, ret);
  EXPECT_EQ(throws(), caught);
  EXPECT_LE(pinned.size(), 16u);
  for (void* p : pinned) EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  EXPECT_EQ(0, m->close(0));
}

// Spec 001 (sync): "If any of the modified pages are also pinned
// DbMpoolFile::sync will ignore them" and returns DB_INCOMPLETE (pagepool:
// DB_PP_INCOMPLETE), a result, not an error: never thrown. The same for
// DbEnv::memp_sync.
TEST_P(PolicyTest, SyncWithAPinnedDirtyPageReturnsIncomplete) {
  open_env(1u << 20, ctor_flags());
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  write_pages(m, 2, 10);
  db_pgno_t pgno = 0;
  void* p = page(m, &pgno, DB_MPOOL_DIRTY);
  ASSERT_NE(nullptr, p);
  fill(p, kPage, 99);
  int ret = -1;
  EXPECT_NO_THROW(ret = m->sync());
  EXPECT_EQ(DB_PP_INCOMPLETE, ret);
  EXPECT_NO_THROW(ret = env->memp_sync(nullptr));
  EXPECT_EQ(DB_PP_INCOMPLETE, ret);
  // The unpinned dirty page was written all the same.
  std::vector<unsigned char> d = disk_page(path("f"), 1);
  ASSERT_EQ(kPage, d.size());
  EXPECT_TRUE(matches(d.data(), kPage, 11));
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  EXPECT_EQ(0, m->sync());
  EXPECT_EQ(0, m->close(0));
}

// db_cxx.h: a method on a DbEnv whose handle is gone (after close) fails with
// EINVAL; the C handle is NULL.
TEST_P(PolicyTest, EnvMethodsAfterCloseAreEinval) {
  open_env(1u << 20, ctor_flags());
  ASSERT_EQ(0, env->close(0));
  EXPECT_EQ(nullptr, env->get_DB_ENV());
  expect_error(throws(), EINVAL, env.get(), "DbEnv::set_cachesize",
               [&] { return env->set_cachesize(0, 1u << 20, 1); });
  expect_error(throws(), EINVAL, env.get(), "DbEnv::close", [&] { return env->close(0); });
  DbMpoolFile* m = nullptr;
  expect_error(throws(), EINVAL, env.get(), "DbEnv::memp_fcreate",
               [&] { return env->memp_fcreate(&m, 0); });
}

// Reference 1.2 (DB_ENV->close frees the handle whatever it returns) and 1.7:
// a DbMpoolFile whose environment was closed fails with EINVAL; its close
// fails the same way and still deletes it (reference 1.7: "close deletes the
// wrapper even when it fails").
TEST_P(PolicyTest, FileMethodsAfterEnvCloseAreEinval) {
  open_env(1u << 20, ctor_flags());
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  ASSERT_EQ(0, env->close(0));
  EXPECT_EQ(nullptr, m->get_DB_MPOOLFILE());
  db_pgno_t pgno = 0;
  void* p = nullptr;
  expect_error(throws(), EINVAL, nullptr, "DbMpoolFile::get",
               [&] { return m->get(&pgno, nullptr, DB_MPOOL_NEW, &p); });
  expect_error(throws(), EINVAL, nullptr, "DbMpoolFile::sync", [&] { return m->sync(); });
  expect_error(throws(), EINVAL, nullptr, "DbMpoolFile::close", [&] { return m->close(0); });
}

// DbMpoolFile::close(3): "The flags parameter is currently unused, and must be
// set to 0"; reference 1.7: "close deletes the wrapper even when it fails":
// the C handle is released too, so the environment closes cleanly after.
TEST_P(PolicyTest, FileCloseWithFlagsIsEinvalAndStillReleasesTheHandle) {
  open_env(1u << 20, ctor_flags());
  DbMpoolFile* m = mfile("f");
  ASSERT_NE(nullptr, m);
  write_pages(m, 1, 3);
  expect_error(throws(), EINVAL, env.get(), "DbMpoolFile::close", [&] { return m->close(0x1); });
  DbMpoolFile* again = mfile("f");
  ASSERT_NE(nullptr, again);
  expect_pages(again, 1, 3);
  EXPECT_EQ(0, again->close(0));
  EXPECT_EQ(0, env->close(0));
}

// Reference 1.2: DB_ENV->close with flags it does not know is EINVAL, and the
// handle is gone all the same.
TEST_P(PolicyTest, EnvCloseWithBadFlagsIsEinvalAndFreesTheHandle) {
  open_env(1u << 20, ctor_flags());
  expect_error(throws(), EINVAL, env.get(), "DbEnv::close", [&] { return env->close(0x100); });
  EXPECT_EQ(nullptr, env->get_DB_ENV());
}

// db_env_create: flags must be 0 (DB_CXX_NO_EXCEPTIONS being the C++ layer's).
// The constructor throws, or with DB_CXX_NO_EXCEPTIONS leaves a DbEnv whose
// methods fail with EINVAL.
TEST_P(PolicyTest, ConstructorWithBadFlags) {
  const u_int32_t bad = 0x40000000u;
  if (throws()) {
    try {
      DbEnv e(bad);
      ADD_FAILURE() << "no exception";
    } catch (const DbException& e) {
      EXPECT_EQ(EINVAL, e.get_errno());
      EXPECT_EQ(nullptr, e.get_env());
    }
  } else {
    DbEnv e(bad | DB_CXX_NO_EXCEPTIONS);
    EXPECT_EQ(nullptr, e.get_DB_ENV());
    EXPECT_EQ(EINVAL, e.open(dir.path().c_str(), kOpenFlags, 0));
  }
}

// -------------------------------------------------------------- messages

struct CallbackLog {
  const DbEnv* env = nullptr;
  std::string prefix, message;
  int calls = 0;
};
CallbackLog g_err;
CallbackLog g_msg;

void on_error(const DbEnv* env, const char* prefix, const char* message) {
  g_err.env = env;
  g_err.prefix = prefix != nullptr ? prefix : "";
  g_err.message = message != nullptr ? message : "";
  ++g_err.calls;
}
void on_message(const DbEnv* env, const char* message) {
  g_msg.env = env;
  g_msg.message += message != nullptr ? message : "";
  ++g_msg.calls;
}

// DbEnv::set_errcall(3): the callback receives this DbEnv, the prefix of
// set_errpfx and the message. DbEnv::err(3): the message is the formatted text
// followed by ": " and DbEnv::strerror(error); DbEnv::errx(3): without it.
TEST_F(CxxTest, ErrcallReceivesTheDbEnvPrefixAndMessage) {
  g_err = {};
  DbEnv e(0);
  e.set_errcall(on_error);
  e.set_errpfx("myprog");
  void (*got)(const DbEnv*, const char*, const char*) = nullptr;
  e.get_errcall(&got);
  EXPECT_EQ(&on_error, got);
  const char* pfx = nullptr;
  e.get_errpfx(&pfx);
  EXPECT_STREQ("myprog", pfx);

  e.err(EINVAL, "value %d", 42);
  EXPECT_EQ(1, g_err.calls);
  EXPECT_EQ(&e, g_err.env);
  EXPECT_EQ("myprog", g_err.prefix);
  EXPECT_NE(std::string::npos, g_err.message.find("value 42")) << g_err.message;
  EXPECT_NE(std::string::npos, g_err.message.find(db_strerror(EINVAL))) << g_err.message;

  e.errx("plain %s", "text");
  EXPECT_EQ(2, g_err.calls);
  EXPECT_NE(std::string::npos, g_err.message.find("plain text")) << g_err.message;
  EXPECT_EQ(std::string::npos, g_err.message.find(db_strerror(EINVAL))) << g_err.message;

  // A failure inside the C layer reaches the same callback, with this DbEnv.
  int ret = 0;
  try {
    ret = e.open(dir.path().c_str(), kOpenFlags | DB_INIT_LOCK, 0);
  } catch (const DbException& ex) {
    ret = ex.get_errno();
  }
  EXPECT_EQ(EINVAL, ret);
  EXPECT_GE(g_err.calls, 3);
  EXPECT_EQ(&e, g_err.env);
  e.set_errcall(nullptr);
  EXPECT_EQ(0, e.close(0));
}

// DbEnv::set_msgcall(3): informational messages (memp_stat_print) go to the
// callback, which receives this DbEnv.
TEST_F(CxxTest, MsgcallReceivesStatisticsOutput) {
  g_msg = {};
  open_env();
  env->set_msgcall(on_message);
  void (*got)(const DbEnv*, const char*) = nullptr;
  env->get_msgcall(&got);
  EXPECT_EQ(&on_message, got);
  EXPECT_EQ(0, env->memp_stat_print(0));
  EXPECT_GT(g_msg.calls, 0);
  EXPECT_EQ(env.get(), g_msg.env);
  EXPECT_FALSE(g_msg.message.empty());
}

// db_cxx.h, DbEnv::get_DbEnv: the DbEnv that wraps a DB_ENV; NULL for NULL.
TEST_F(CxxTest, GetDbEnvFindsTheWrapper) {
  DbEnv a(0), b(DB_CXX_NO_EXCEPTIONS);
  ASSERT_NE(nullptr, a.get_DB_ENV());
  EXPECT_EQ(&a, DbEnv::get_DbEnv(a.get_DB_ENV()));
  EXPECT_EQ(&b, DbEnv::get_DbEnv(b.get_DB_ENV()));
  EXPECT_EQ(&a, DbEnv::get_const_DbEnv(a.get_const_DB_ENV()));
  EXPECT_EQ(nullptr, DbEnv::get_DbEnv(nullptr));
  EXPECT_EQ(0, a.close(0));
  EXPECT_EQ(0, b.close(0));
}

}  // namespace
}  // namespace cxxtest
