// tests/api/io_fault_test.cpp: I/O faults reach the caller, and change nothing
// else. Every fault is injected by the fault backend (tests/support/fault_io.hpp)
// over an in-memory file system, so no disk is touched and each error is
// exactly the one injected.
//
// For each fault: the call that met it returns the backend's errno; a dirty
// page whose write failed stays dirty, and a later successful sync writes it
// (checked in the file's bytes, read through the inner backend); frames, pins
// and descriptors are not leaked (pool statistics, and the backend's count of
// open descriptors); the statistics count only what happened.
//
// Short transfers are not faults: a backend may return a short count and the
// pool loops (io.hpp). A pread that returns nothing is the end of the file
// (the page is missing); a pwrite that writes nothing is EIO.
#include <fcntl.h>

#include <cerrno>
#include <random>

#include "fault_fixture.hpp"

namespace pagepool::apitest {
namespace {

using test::fault_io;
using test::io_op;

constexpr std::size_t kPs = 1024;

/// Page `pgno` of `path` as the backend holds it; empty if it is not all there.
std::vector<std::uint8_t> backend_page(io_backend& io, const std::string& path, pgno_t pgno) {
  const int fd = io.open(path, O_RDONLY, 0);
  if (fd < 0) return {};
  std::vector<std::uint8_t> buf(kPs);
  const std::int64_t n = io.pread(fd, buf.data(), kPs, std::uint64_t{pgno} * kPs);
  (void)io.close(fd);
  if (n != static_cast<std::int64_t>(kPs)) return {};
  return buf;
}

bool backend_has_pattern(io_backend& io, const std::string& path, pgno_t pgno, unsigned seed) {
  const auto v = backend_page(io, path, pgno);
  return !v.empty() && page_has_pattern(v.data(), kPs, pgno, seed);
}

struct IoFault : fault_fixture {
  const std::string path = "/mem/data";

  /// Writes `pages` pages of pattern `seed` straight into the backend.
  void seed_file(std::size_t pages, unsigned seed) {
    const int fd = mem->open(path, O_RDWR | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    std::vector<std::uint8_t> buf(kPs);
    for (pgno_t p = 0; p < pages; ++p) {
      fill_page(buf.data(), kPs, p, seed);
      ASSERT_EQ(mem->pwrite(fd, buf.data(), kPs, std::uint64_t{p} * kPs),
                static_cast<std::int64_t>(kPs));
    }
    ASSERT_EQ(mem->close(fd), 0);
  }
};

// spec: 001 get "returns the value of errno on failure"; nothing changes on error (file.hpp)
TEST_F(IoFault, ReadErrorFailsTheGetAndLeavesNothingResident) {
  seed_file(4, 5);
  auto p = make(8);
  auto f = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(f);
  fio->fail(io_op::pread, EIO);
  pgno_t n = 2;
  void* page = nullptr;
  EXPECT_ERR(f->get(&n, get_flags::none, &page), std::errc::io_error);
  EXPECT_EQ(page, nullptr);
  pool_stats st = p->stats();
  EXPECT_EQ(st.pages, 0u) << "the frame of the failed read went back";
  EXPECT_EQ(st.page_in, 0u);
  EXPECT_EQ(st.cache_miss, 0u);
  // The fault was one call: the same get now reads the page.
  EXPECT_TRUE(page_reads(*f, 2, 5));
  st = p->stats();
  EXPECT_EQ(st.pages, 1u);
  EXPECT_EQ(st.page_in, 1u);
  EXPECT_OK(f->close());
  EXPECT_OK(p->close());
}

// io.hpp: pread may return a short count; callers loop
TEST_F(IoFault, ShortReadsAreCompletedByTheCaller) {
  seed_file(4, 6);
  auto p = make(8);
  auto f = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(f);
  fio->short_transfer(io_op::pread, 100, 1, /*every=*/true);
  const std::uint64_t before = fio->calls(io_op::pread);
  EXPECT_TRUE(page_reads(*f, 3, 6));
  EXPECT_EQ(fio->calls(io_op::pread) - before, (kPs + 99) / 100) << "one pread per 100 bytes";
  fio->clear_rules();
  EXPECT_OK(f->close());
  EXPECT_OK(p->close());
}

// A read that ends early is the end of the file: the page is not there.
TEST_F(IoFault, ReadThatEndsEarlyIsAMissingPage) {
  seed_file(4, 7);
  auto p = make(8);
  auto f = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(f);
  fio->short_transfer(io_op::pread, 0);
  pgno_t n = 1;
  void* page = nullptr;
  EXPECT_ERR(f->get(&n, get_flags::none, &page), pagepool::errc::page_not_found);
  EXPECT_EQ(p->stats().pages, 0u);
  EXPECT_TRUE(page_reads(*f, 1, 7));
  EXPECT_OK(f->close());
  EXPECT_OK(p->close());
}

// spec: 001 sync "returns the value of errno on failure"; DESIGN invariant 3
TEST_F(IoFault, WriteErrorsOnSyncKeepThePageDirtyUntilALaterSync) {
  for (const int e : {EIO, ENOSPC}) {
    SCOPED_TRACE(e);
    auto p = make(8);
    auto f = open_file(*p, path, open_flags::create, kPs);
    ASSERT_TRUE(f);
    for (pgno_t n = 0; n < 4; ++n) write_page(*f, n, 10 + e);
    fio->fail(io_op::pwrite, e, /*nth=*/2);  // the second page written fails
    const std::error_code ec = f->sync();
    EXPECT_EQ(ec, std::error_code(e, std::generic_category())) << describe(ec);
    pool_stats st = p->stats();
    EXPECT_EQ(st.page_dirty, 1u) << "only the page whose write failed is still dirty";
    EXPECT_EQ(st.page_out, 3u);
    EXPECT_EQ(st.pages, 4u);
    int on_backend = 0;
    for (pgno_t n = 0; n < 4; ++n) on_backend += backend_has_pattern(*mem, path, n, 10 + e) ? 1 : 0;
    EXPECT_EQ(on_backend, 3);
    EXPECT_OK(f->sync()) << "a later sync writes what failed";
    st = p->stats();
    EXPECT_EQ(st.page_dirty, 0u);
    EXPECT_EQ(st.page_out, 4u);
    for (pgno_t n = 0; n < 4; ++n) EXPECT_TRUE(backend_has_pattern(*mem, path, n, 10 + e)) << n;
    EXPECT_OK(f->close());
    EXPECT_OK(p->close());
    EXPECT_EQ(mem->unlink(path), 0);
  }
}

// io.hpp: pwrite may return a short count; callers loop
TEST_F(IoFault, ShortWritesAreCompletedByTheCaller) {
  auto p = make(8);
  auto f = open_file(*p, path, open_flags::create, kPs);
  ASSERT_TRUE(f);
  write_page(*f, 0, 21);
  fio->short_transfer(io_op::pwrite, 300, 1, /*every=*/true);
  const std::uint64_t before = fio->calls(io_op::pwrite);
  EXPECT_OK(f->sync());
  EXPECT_EQ(fio->calls(io_op::pwrite) - before, (kPs + 299) / 300);
  fio->clear_rules();
  EXPECT_TRUE(backend_has_pattern(*mem, path, 0, 21));
  EXPECT_EQ(p->stats().page_out, 1u);
  EXPECT_OK(f->close());
  EXPECT_OK(p->close());
}

// io.hpp: a pwrite that writes nothing is EIO (it would loop for ever)
TEST_F(IoFault, WriteOfNothingIsAnIoError) {
  auto p = make(8);
  auto f = open_file(*p, path, open_flags::create, kPs);
  ASSERT_TRUE(f);
  write_page(*f, 0, 22);
  fio->short_transfer(io_op::pwrite, 0);
  EXPECT_ERR(f->sync(), std::errc::io_error);
  EXPECT_EQ(p->stats().page_dirty, 1u);
  EXPECT_OK(f->sync());
  EXPECT_TRUE(backend_has_pattern(*mem, path, 0, 22));
  EXPECT_OK(f->close());
  EXPECT_OK(p->close());
}

// spec: 000 memp_trickle returns errno on failure; a failed write stays dirty
TEST_F(IoFault, TrickleReportsAWriteErrorAndTheWriteHappensLater) {
  auto p = make(8);
  auto f = open_file(*p, path, open_flags::create, kPs);
  ASSERT_TRUE(f);
  for (pgno_t n = 0; n < 4; ++n) write_page(*f, n, 23);
  fio->fail(io_op::pwrite, ENOSPC, 1, /*every=*/true);
  int written = -1;
  EXPECT_ERR(p->trickle(100, &written), std::errc::no_space_on_device);
  EXPECT_EQ(written, 0);
  pool_stats st = p->stats();
  EXPECT_EQ(st.page_dirty, 4u);
  EXPECT_EQ(st.page_trickle, 0u);
  EXPECT_EQ(st.page_out, 0u);
  fio->clear_rules();
  EXPECT_OK(p->trickle(100, &written));
  EXPECT_EQ(written, 4);
  st = p->stats();
  EXPECT_EQ(st.page_dirty, 0u);
  EXPECT_EQ(st.page_trickle, 4u);
  for (pgno_t n = 0; n < 4; ++n) EXPECT_TRUE(backend_has_pattern(*mem, path, n, 23)) << n;
  EXPECT_OK(f->close());
  EXPECT_OK(p->close());
}

// DESIGN invariant 3: a dirty victim whose write fails is not reused; the get
// that needed its frame fails with the write's error and changes nothing.
TEST_F(IoFault, FailedVictimWriteFailsTheGetOfAnotherPage) {
  for (const int e : {EIO, ENOSPC}) {
    SCOPED_TRACE(e);
    auto p = make(2);
    auto f = open_file(*p, path, open_flags::create, kPs);
    ASSERT_TRUE(f);
    write_page(*f, 0, 30 + e);
    write_page(*f, 1, 30 + e);
    const pool_stats before = p->stats();
    fio->fail(io_op::pwrite, e, 1, /*every=*/true);
    pgno_t n = 2;
    void* page = nullptr;
    const std::error_code ec = f->get(&n, get_flags::create, &page);
    EXPECT_EQ(ec, std::error_code(e, std::generic_category())) << describe(ec);
    EXPECT_EQ(page, nullptr);
    const pool_stats after = p->stats();
    EXPECT_EQ(after.pages, 2u);
    EXPECT_EQ(after.page_dirty, 2u);
    EXPECT_EQ(after.rw_evict, before.rw_evict);
    EXPECT_EQ(after.page_out, 0u);
    EXPECT_EQ(last_pgno(*f), 1u) << "the failed CREATE did not extend the file";
    fio->clear_rules();
    // Room again: the same get evicts a victim, written first.
    n = 2;
    ASSERT_OK(f->get(&n, get_flags::create, &page));
    EXPECT_OK(f->put(page));
    EXPECT_EQ(p->stats().rw_evict, before.rw_evict + 1);
    EXPECT_OK(p->sync());
    EXPECT_TRUE(backend_has_pattern(*mem, path, 0, 30 + e));
    EXPECT_TRUE(backend_has_pattern(*mem, path, 1, 30 + e));
    EXPECT_OK(f->close());
    EXPECT_OK(p->close());
    EXPECT_EQ(mem->unlink(path), 0);
  }
}

// pool.hpp close: a page whose write failed keeps the pool open; a retry writes it
TEST_F(IoFault, PoolCloseReportsAFailedWriteAndCanBeRetried) {
  auto p = make(8);
  auto f = open_file(*p, path, open_flags::create, kPs);
  ASSERT_TRUE(f);
  write_page(*f, 0, 40);
  write_page(*f, 1, 40);
  EXPECT_OK(f->close());
  fio->fail(io_op::pwrite, EIO);
  EXPECT_ERR(p->close(), std::errc::io_error);
  EXPECT_EQ(p->stats().page_dirty, 1u) << "still open, the failed page still dirty";
  EXPECT_GT(fio->open_fds(), 0u) << "the file's descriptor is kept for the retry";
  EXPECT_OK(p->close());
  EXPECT_EQ(fio->open_fds(), 0u);
  EXPECT_TRUE(backend_has_pattern(*mem, path, 0, 40));
  EXPECT_TRUE(backend_has_pattern(*mem, path, 1, 40));
}

// spec: 003 open returns errno of open(2); nothing is left behind
TEST_F(IoFault, OpenErrorIsReportedAndLeavesNoState) {
  seed_file(2, 50);
  auto p = make(8);
  fio->fail(io_op::open, EACCES);
  auto f = p->file_create();
  ASSERT_TRUE(f);
  EXPECT_ERR(f->open(path, open_flags::none, 0, kPs), std::errc::permission_denied);
  EXPECT_FALSE(f->is_open());
  EXPECT_EQ(fio->open_fds(), 0u);
  EXPECT_TRUE(p->file_statistics().empty());
  fio->fail(io_op::fstat, EIO);
  EXPECT_ERR(f->open(path, open_flags::none, 0, kPs), std::errc::io_error);
  EXPECT_EQ(fio->open_fds(), 0u) << "the descriptor of the failed open was closed";
  EXPECT_OK(f->open(path, open_flags::none, 0, kPs));
  EXPECT_TRUE(page_reads(*f, 1, 50));
  EXPECT_OK(f->close());
  EXPECT_OK(p->close());
}

// pool.hpp: an fsync failure is reported by the sync that met it (the
// marking that follows is durability_test.cpp's)
TEST_F(IoFault, FsyncFailureIsReported) {
  auto p = make(8);
  auto f = open_file(*p, path, open_flags::create, kPs);
  ASSERT_TRUE(f);
  write_page(*f, 0, 60);
  fio->fail(io_op::fsync, EIO);
  EXPECT_ERR(p->sync(), std::errc::io_error);
  EXPECT_EQ(p->stats().page_dirty, 0u) << "the page was written; only the fsync failed";
  EXPECT_TRUE(backend_has_pattern(*mem, path, 0, 60));
  EXPECT_OK(f->close());
  EXPECT_ERR(p->close(), std::errc::io_error) << "the mark is reported at close too";
}

// Faults under load: random pread/pwrite errors while a get/put loop runs on a
// small cache; every error is one injected, the pool's accounting stays exact
// and every page ends with its last contents.
TEST_F(IoFault, RandomFaultsNeverLoseAPageOrAFrame) {
  auto p = make(4);
  auto f = open_file(*p, path, open_flags::create, kPs);
  ASSERT_TRUE(f);
  constexpr pgno_t kPages = 16;
  std::vector<unsigned> want(kPages, 0);  // 0: never written
  std::mt19937 rng(12345);
  for (int i = 0; i < 2000; ++i) {
    if (i % 7 == 0) fio->fail(rng() % 2 ? io_op::pwrite : io_op::pread, rng() % 2 ? EIO : ENOSPC);
    const pgno_t n = rng() % kPages;
    const unsigned seed = 100 + static_cast<unsigned>(i);
    pgno_t got = n;
    void* page = nullptr;
    const std::error_code ec = f->get(&got, get_flags::create | get_flags::dirty, &page);
    if (ec) {
      EXPECT_TRUE(ec == std::errc::io_error || ec == std::errc::no_space_on_device) << describe(ec);
      EXPECT_EQ(page, nullptr);
      continue;
    }
    if (want[n] != 0) {
      EXPECT_TRUE(page_has_pattern(page, kPs, n, want[n])) << "page " << n;
    }
    fill_page(page, kPs, n, seed);
    want[n] = seed;
    ASSERT_OK(f->put(page, priority::unchanged, put_flags::dirty));
  }
  fio->clear_rules();
  const pool_stats st = p->stats();
  EXPECT_LE(st.pages, 4u);
  EXPECT_OK(p->sync());
  for (pgno_t n = 0; n < kPages; ++n) {
    if (want[n] != 0) {
      EXPECT_TRUE(backend_has_pattern(*mem, path, n, want[n])) << n;
    }
  }
  EXPECT_GT(fio->injected(), 0u);
  EXPECT_OK(f->close());
  EXPECT_OK(p->close());
}

}  // namespace
}  // namespace pagepool::apitest
