// tests/compat/cxx/checksum_test.cpp: what the Berkeley DB layer returns for a
// page that fails pagepool's built-in checksum (pagepool/checksum.hpp):
// DB_RUNRECOVERY, as Berkeley DB's own page-in does for a checksum error
// (reference: "catastrophic recovery required"), without panicking the
// environment: the other pages stay readable. Berkeley DB has no mpool-level
// call that turns checksums on, so the test registers them on the pool behind
// the DbEnv (white box: bdb_internal.hpp).
#include <pagepool/checksum.hpp>

#include "bdb/bdb_internal.hpp"
#include "cxx_util.hpp"

namespace cxxtest {
namespace {

constexpr int kType = 11;

class ChecksumTest : public CxxTest {
 protected:
  /// Opens the environment (returning errors, not throwing) and turns on the
  /// checksum for kType on its pool.
  void open_checksummed_env() {
    open_env(1u << 16, DB_CXX_NO_EXCEPTIONS);  // 16 frames
    pagepool::pool* p = pagepool::bdb::env_of(env->get_DB_ENV())->pool.get();
    ASSERT_NE(p, nullptr);
    ASSERT_FALSE(pagepool::register_checksum(*p, kType, {}));
  }
  DbMpoolFile* typed_file(const std::string& name, u_int32_t flags) {
    DbMpoolFile* m = nullptr;
    EXPECT_EQ(0, env->memp_fcreate(&m, 0));
    if (m == nullptr) return nullptr;
    EXPECT_EQ(0, m->set_ftype(kType));
    const std::string p = path(name);
    const int ret = m->open(p.c_str(), flags, 0, kPage);
    EXPECT_EQ(0, ret) << db_strerror(ret);
    return m;
  }
};

// checksum.hpp: the C layer maps errc::page_corrupt to DB_RUNRECOVERY; the
// environment stays usable.
TEST_F(ChecksumTest, CorruptPageGetReturnsRunRecoveryAndOtherPagesStillRead) {
  open_checksummed_env();
  DbMpoolFile* m = typed_file("f", DB_CREATE);
  ASSERT_NE(m, nullptr);
  write_pages(m, 4, 500);
  ASSERT_EQ(0, m->sync());
  ASSERT_EQ(0, m->close(0));
  ASSERT_EQ(0, env->close(0));
  env.reset();

  // Damage page 2 behind the pool's back.
  {
    const int fd = ::open(path("f").c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    unsigned char b = 0;
    ASSERT_EQ(1, ::pread(fd, &b, 1, 2 * kPage + 17));
    b ^= 0x08;
    ASSERT_EQ(1, ::pwrite(fd, &b, 1, 2 * kPage + 17));
    ::close(fd);
  }

  open_checksummed_env();
  m = typed_file("f", 0);
  ASSERT_NE(m, nullptr);
  db_pgno_t pgno = 2;
  void* pg = nullptr;
  EXPECT_EQ(DB_RUNRECOVERY, m->get(&pgno, nullptr, 0, &pg));
  EXPECT_EQ(DB_RUNRECOVERY, m->get(&pgno, nullptr, 0, &pg));  // not cached, not panicked
  for (db_pgno_t i : {0u, 1u, 3u}) {
    db_pgno_t n = i;
    void* q = page(m, &n);
    ASSERT_NE(q, nullptr) << i;
    EXPECT_TRUE(matches(q, kPage - 4, 500 + i)) << i;  // the last 4 bytes are the checksum
    EXPECT_EQ(0, m->put(q, DB_PRIORITY_UNCHANGED, 0));
  }
  EXPECT_EQ(0, m->close(0));  // nothing left pinned
}

}  // namespace
}  // namespace cxxtest
