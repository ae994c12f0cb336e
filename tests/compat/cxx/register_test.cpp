// DbEnv::memp_register: page-in and page-out functions with the file's
// pgcookie. Manual: spec 002 (DB_ENV->memp_register), spec 001 (DB_MPOOL_CREATE
// calls pgin), reference sections 1.2 and 1.3 (set_ftype, set_pgcookie).
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "cxx_util.hpp"

namespace cxxtest {
namespace {

constexpr int kType = 5;
constexpr int kFailure = 77777;  // "outside of the Berkeley DB library namespace"

struct IoLog {
  std::vector<db_pgno_t> in, out;
  std::vector<std::string> in_cookies, out_cookies;
  std::vector<bool> in_page_ok;  // the page held the file's bytes when pgin ran
  const DbEnv* env = nullptr;
  std::uint32_t seed_base = 0;   // file pattern that pgin checks against
  bool invert = false;           // pgout inverts the bytes, pgin inverts back
  int in_result = 0, out_result = 0;
};
IoLog g_io;

std::string cookie_of(const DBT* c) {
  return c == nullptr || c->data == nullptr ? std::string()
                                            : std::string(static_cast<const char*>(c->data), c->size);
}

void invert(void* page) {
  auto* p = static_cast<unsigned char*>(page);
  for (std::size_t i = 0; i < kPage; ++i) p[i] = static_cast<unsigned char>(~p[i]);
}

int on_pgin(DB_ENV* dbenv, db_pgno_t pgno, void* page, DBT* cookie) {
  g_io.in.push_back(pgno);
  g_io.in_cookies.push_back(cookie_of(cookie));
  g_io.env = DbEnv::get_DbEnv(dbenv);
  if (g_io.invert) invert(page);
  g_io.in_page_ok.push_back(matches(page, kPage, g_io.seed_base + pgno));
  return g_io.in_result;
}

int on_pgout(DB_ENV* dbenv, db_pgno_t pgno, void* page, DBT* cookie) {
  g_io.out.push_back(pgno);
  g_io.out_cookies.push_back(cookie_of(cookie));
  g_io.env = DbEnv::get_DbEnv(dbenv);
  if (g_io.invert) invert(page);
  return g_io.out_result;
}

class RegisterTest : public CxxTest {
 protected:
  void SetUp() override { g_io = IoLog{}; }

  /// A file of type kType with cookie "cookie-<name>", opened with flags.
  DbMpoolFile* typed_file(const std::string& name, u_int32_t flags) {
    DbMpoolFile* m = nullptr;
    EXPECT_EQ(0, env->memp_fcreate(&m, 0));
    if (m == nullptr) return nullptr;
    EXPECT_EQ(0, m->set_ftype(kType));
    cookie_bytes = "cookie-" + name;
    Dbt cookie(cookie_bytes.data(), static_cast<u_int32_t>(cookie_bytes.size()));
    EXPECT_EQ(0, m->set_pgcookie(&cookie));
    std::string p = path(name);
    int ret = m->open(p.c_str(), flags, 0, kPage);
    EXPECT_EQ(0, ret);
    if (ret != 0) {
      (void)m->close(0);
      return nullptr;
    }
    return m;
  }

  std::string cookie_bytes;
};

// Spec 002: pgin "is called each time a page is read into the cache from a
// file of type ftype", "with a reference to the current database environment,
// the page number being read or written, a pointer to the page being read or
// written, and any parameter pgcookie that was specified to the
// DB_MPOOLFILE->set_pgcookie() method". A page found in the cache is not read,
// so pgin is not called again.
TEST_F(RegisterTest, PginRunsForEachReadWithTheCookie) {
  make_file(path("f"), 3, 2000);
  open_env();
  ASSERT_EQ(0, env->memp_register(kType, on_pgin, on_pgout));
  g_io.seed_base = 2000;
  DbMpoolFile* m = typed_file("f", 0);
  ASSERT_NE(nullptr, m);
  expect_pages(m, 3, 2000);
  ASSERT_EQ((std::vector<db_pgno_t>{0, 1, 2}), g_io.in);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ("cookie-f", g_io.in_cookies[i]);
    EXPECT_TRUE(g_io.in_page_ok[i]) << "pgin did not see the page read from the file: " << i;
  }
  EXPECT_EQ(env.get(), g_io.env);
  expect_pages(m, 3, 2000);
  EXPECT_EQ(3u, g_io.in.size());
  EXPECT_TRUE(g_io.out.empty());
  EXPECT_EQ(0, m->close(0));
}

// Spec 002: pgin is also called when "a page is created for a file of type
// ftype (see the DB_MPOOL_CREATE flag for the DB_MPOOLFILE->get() method)";
// spec 001, DB_MPOOL_CREATE: "In this case, the pgin method, if specified, is
// called."
TEST_F(RegisterTest, PginRunsForAPageMadeByCreate) {
  open_env();
  ASSERT_EQ(0, env->memp_register(kType, on_pgin, on_pgout));
  DbMpoolFile* m = typed_file("f", DB_CREATE);
  ASSERT_NE(nullptr, m);
  db_pgno_t pgno = 3;
  void* p = page(m, &pgno, DB_MPOOL_CREATE);
  ASSERT_NE(nullptr, p);
  ASSERT_EQ((std::vector<db_pgno_t>{3}), g_io.in);
  EXPECT_EQ("cookie-f", g_io.in_cookies[0]);
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
  EXPECT_EQ(0, m->close(0));
}

// Spec 002: pgout "is called each time a page is written to a file of type
// ftype", with the environment, page number, page and pgcookie.
TEST_F(RegisterTest, PgoutRunsForEachWriteWithTheCookie) {
  open_env();
  ASSERT_EQ(0, env->memp_register(kType, on_pgin, on_pgout));
  DbMpoolFile* m = typed_file("f", DB_CREATE);
  ASSERT_NE(nullptr, m);
  write_pages(m, 2, 2100);
  EXPECT_TRUE(g_io.out.empty());
  EXPECT_EQ(0, m->sync());
  std::vector<db_pgno_t> out = g_io.out;
  std::sort(out.begin(), out.end());
  EXPECT_EQ((std::vector<db_pgno_t>{0, 1}), out);
  for (const auto& c : g_io.out_cookies) EXPECT_EQ("cookie-f", c);
  EXPECT_EQ(env.get(), g_io.env);
  // Nothing is dirty any more: a second sync writes nothing.
  EXPECT_EQ(0, m->sync());
  EXPECT_EQ(2u, g_io.out.size());
  EXPECT_EQ(0, m->close(0));
}

// Spec 002: "this functionality might be used to do byte-endian conversion as
// pages are read from, or written to, the underlying file": pgout converts the
// bytes going to the file, pgin converts them back; the application sees its
// own bytes in the cache, before and after the write, and after a re-read.
TEST_F(RegisterTest, PginAndPgoutConvertThePageOnItsWayThroughTheFile) {
  g_io.invert = true;
  g_io.seed_base = 2200;
  open_env();
  ASSERT_EQ(0, env->memp_register(kType, on_pgin, on_pgout));
  DbMpoolFile* m = typed_file("f", DB_CREATE);
  ASSERT_NE(nullptr, m);
  write_pages(m, 2, 2200);
  ASSERT_EQ(0, m->sync());
  for (db_pgno_t i = 0; i < 2; ++i) {
    auto d = disk_page(path("f"), i);
    ASSERT_EQ(kPage, d.size());
    invert(d.data());
    EXPECT_TRUE(matches(d.data(), kPage, 2200 + i)) << "the file does not hold pgout's bytes: " << i;
  }
  expect_pages(m, 2, 2200);  // the cached pages are the application's
  EXPECT_EQ(0, m->close(0));
  ASSERT_EQ(0, env->close(0));

  // A fresh cache reads the converted file back through pgin.
  open_env();
  ASSERT_EQ(0, env->memp_register(kType, on_pgin, on_pgout));
  m = typed_file("f", 0);
  ASSERT_NE(nullptr, m);
  expect_pages(m, 2, 2200);
  EXPECT_EQ(0, m->close(0));
}

// Spec 002: the functions "should return 0 on success, and a non-zero value on
// failure, in which case the shared Berkeley DB library function calling it
// will also fail, returning that non-zero value" (here: thrown as a
// DbException carrying it).
TEST_F(RegisterTest, ACallbackFailureFailsTheCallWithItsValue) {
  make_file(path("f"), 2, 2300);
  open_env();
  ASSERT_EQ(0, env->memp_register(kType, on_pgin, on_pgout));
  DbMpoolFile* m = typed_file("f", 0);
  ASSERT_NE(nullptr, m);
  g_io.in_result = kFailure;
  db_pgno_t pgno = 0;
  void* p = nullptr;
  expect_error(true, kFailure, env.get(), "DbMpoolFile::get", [&] { return m->get(&pgno, nullptr, 0, &p); });
  g_io.in_result = 0;
  p = page(m, &pgno, 0);
  ASSERT_NE(nullptr, p);
  EXPECT_TRUE(matches(p, kPage, 2300));
  fill(p, kPage, 9);
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, DB_MPOOL_DIRTY));
  g_io.out_result = kFailure;
  expect_error(true, kFailure, env.get(), "DbMpoolFile::sync", [&] { return m->sync(); });
  auto d = disk_page(path("f"), 0);
  ASSERT_EQ(kPage, d.size());
  EXPECT_TRUE(matches(d.data(), kPage, 2300)) << "a failed page-out still wrote the page";
  // The page is still dirty: once pgout succeeds, sync writes it.
  g_io.out_result = 0;
  EXPECT_EQ(0, m->sync());
  d = disk_page(path("f"), 0);
  ASSERT_EQ(kPage, d.size());
  EXPECT_TRUE(matches(d.data(), kPage, 9));
  EXPECT_EQ(0, m->close(0));
}

// Spec 002, ftype: "must be a non-zero positive number less than 128".
TEST_F(RegisterTest, FileTypeOutsideOneTo127IsEinval) {
  open_env(1u << 20, DB_CXX_NO_EXCEPTIONS);
  EXPECT_EQ(EINVAL, env->memp_register(0, on_pgin, on_pgout));
  EXPECT_EQ(EINVAL, env->memp_register(-1, on_pgin, on_pgout));
  EXPECT_EQ(EINVAL, env->memp_register(128, on_pgin, on_pgout));
  EXPECT_EQ(0, env->memp_register(127, on_pgin, on_pgout));
  EXPECT_EQ(0, env->memp_register(1, on_pgin, nullptr));
}

int other_pgin(DB_ENV*, db_pgno_t, void*, DBT*) { return kFailure; }

// Reference 1.2: "Re-registering a type replaces it."
TEST_F(RegisterTest, RegisteringATypeAgainReplacesItsFunctions) {
  make_file(path("f"), 2, 2400);
  open_env();
  ASSERT_EQ(0, env->memp_register(kType, other_pgin, nullptr));
  ASSERT_EQ(0, env->memp_register(kType, on_pgin, on_pgout));
  g_io.seed_base = 2400;
  DbMpoolFile* m = typed_file("f", 0);
  ASSERT_NE(nullptr, m);
  expect_pages(m, 2, 2400);
  EXPECT_EQ(2u, g_io.in.size());
  EXPECT_EQ(0, m->close(0));
}

// Reference 1.3, set_ftype: a file of type 0 (the default) gets no page-in or
// page-out processing.
TEST_F(RegisterTest, AFileWithoutATypeIsNotProcessed) {
  make_file(path("f"), 2, 2500);
  open_env();
  ASSERT_EQ(0, env->memp_register(kType, on_pgin, on_pgout));
  DbMpoolFile* m = mfile("f", 0);
  ASSERT_NE(nullptr, m);
  expect_pages(m, 2, 2500);
  db_pgno_t pgno = 0;
  void* p = page(m, &pgno, 0);
  ASSERT_NE(nullptr, p);
  EXPECT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, DB_MPOOL_DIRTY));
  EXPECT_EQ(0, m->sync());
  EXPECT_TRUE(g_io.in.empty());
  EXPECT_TRUE(g_io.out.empty());
  EXPECT_EQ(0, m->close(0));
}

}  // namespace
}  // namespace cxxtest
