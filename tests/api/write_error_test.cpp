// tests/api/write_error_test.cpp: a write that fails is reported, and the page
// stays dirty until a later write succeeds (DESIGN invariant 3: no path loses a
// dirty page, including I/O errors).
//
// The failure is real, not simulated: RLIMIT_FSIZE makes pwrite(2) past the
// limit fail with EFBIG (SIGXFSZ is ignored for the test). Pages below the
// limit still write, so one sync meets both outcomes.
#include <signal.h>
#include <sys/resource.h>

#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 1024;

/// Limits the size of files this process may write to `bytes` for its lifetime.
class file_size_limit {
 public:
  explicit file_size_limit(rlim_t bytes) {
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &old_);
    rlimit lim = old_;
    lim.rlim_cur = bytes;
    ok_ = ::setrlimit(RLIMIT_FSIZE, &lim) == 0;
  }
  ~file_size_limit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    ::signal(SIGXFSZ, old_handler_);
  }
  bool ok() const { return ok_; }

 private:
  rlimit old_{};
  void (*old_handler_)(int) = nullptr;
  bool ok_ = false;
};

// spec: 001 sync "returns the value of errno on failure"; DESIGN invariant 3
TEST(WriteError, FailedSyncWriteIsReportedAndThePageStaysDirtyUntilWritten) {
  temp_dir dir;
  const std::string path = dir.file("data");
  auto p = make_pool(8, kPs);
  auto f = open_file(*p, path, open_flags::create, kPs);
  ASSERT_TRUE(f);
  for (pgno_t n = 0; n < 4; ++n) write_page(*f, n, 7);  // dirty pages 0..3
  {
    file_size_limit limit(2 * kPs);  // pages 0 and 1 fit, 2 and 3 do not
    ASSERT_TRUE(limit.ok());
    const std::error_code ec = f->sync();
    EXPECT_EQ(ec, std::errc::file_too_large) << describe(ec);
    EXPECT_EQ(p->stats().page_dirty, 2u) << "the pages whose write failed stay dirty";
    EXPECT_TRUE(disk_page_has_pattern(path, 0, kPs, 7));
    EXPECT_TRUE(disk_page_has_pattern(path, 1, kPs, 7));
    EXPECT_LE(file_size(path), 2 * kPs);
  }
  EXPECT_OK(f->sync()) << "a later sync writes what failed before";
  EXPECT_EQ(p->stats().page_dirty, 0u);
  for (pgno_t n = 0; n < 4; ++n) EXPECT_TRUE(disk_page_has_pattern(path, n, kPs, 7)) << n;
  EXPECT_OK(f->close());
}

// DESIGN invariant 3: a dirty victim whose write fails is not reused; the get
// that needed the frame fails with the write's error and changes nothing.
TEST(WriteError, FailedVictimWriteKeepsThePageAndFailsTheGet) {
  temp_dir dir;
  const std::string path = dir.file("data");
  auto p = make_pool(2, kPs);
  auto f = open_file(*p, path, open_flags::create, kPs);
  ASSERT_TRUE(f);
  // Two dirty pages far past the limit fill both frames.
  write_page(*f, 10, 3);
  write_page(*f, 11, 3);
  const pool_stats before = p->stats();
  {
    file_size_limit limit(kPs);
    ASSERT_TRUE(limit.ok());
    pgno_t n = 12;
    void* page = nullptr;
    const std::error_code ec = f->get(&n, get_flags::create, &page);
    EXPECT_EQ(ec, std::errc::file_too_large) << describe(ec);
    EXPECT_EQ(page, nullptr);
    const pool_stats after = p->stats();
    EXPECT_EQ(after.page_dirty, 2u);
    EXPECT_EQ(after.pages, 2u);
    EXPECT_EQ(after.rw_evict, before.rw_evict);
    EXPECT_EQ(last_pgno(*f), 11u) << "the failed CREATE did not extend the file";
  }
  // With room on disk the same get evicts a written victim, and nothing was lost.
  pgno_t n = 12;
  void* page = nullptr;
  ASSERT_OK(f->get(&n, get_flags::create, &page));
  EXPECT_OK(f->put(page));
  EXPECT_OK(p->sync());
  EXPECT_TRUE(disk_page_has_pattern(path, 10, kPs, 3));
  EXPECT_TRUE(disk_page_has_pattern(path, 11, kPs, 3));
  EXPECT_OK(f->close());
}

}  // namespace
}  // namespace pagepool::apitest
