// tests/api/durability_test.cpp: what sync promises about durability (pool.hpp,
// file.hpp "Durability"), observed in the ordered call log of the fault
// backend (tests/support/fault_io.hpp):
//   - sync and file sync end with an fsync of every file written since its
//     last fsync (by this sync, by eviction, or by trickle), after its last
//     write;
//   - a file the pool created (open with create of a new path) has its
//     directory fsync'd, after the file's own fsync, before the first sync
//     that covers it reports success; once;
//   - a failed fsync (of the file or of its directory) is reported, and marks
//     the file: every later sync of it returns that error without trying an
//     fsync again, until the file's shared state is freed.
#include <fcntl.h>

#include <algorithm>
#include <cerrno>

#include "fault_fixture.hpp"

namespace pagepool::apitest {
namespace {

using test::fault_io;
using test::io_op;
using event = fault_io::event;

constexpr std::size_t kPs = 1024;

/// Index in `log` of the last call `op` on `path` (-1 if none).
long last_of(const std::vector<event>& log, io_op op, const std::string& path) {
  for (long i = static_cast<long>(log.size()) - 1; i >= 0; --i)
    if (log[static_cast<std::size_t>(i)].op == op && log[static_cast<std::size_t>(i)].path == path)
      return i;
  return -1;
}

long count_of(const std::vector<event>& log, io_op op, const std::string& path) {
  return std::count_if(log.begin(), log.end(),
                       [&](const event& e) { return e.op == op && e.path == path; });
}

struct Durability : fault_fixture {
  const std::string a = "/mem/d1/a", b = "/mem/d2/b";

  /// Makes `path` exist in the backend (so that opening it creates nothing).
  void touch(const std::string& path) {
    const int fd = mem->open(path, O_RDWR | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(mem->close(fd), 0);
  }
};

// pool.hpp sync: "then fsyncs each file written"
TEST_F(Durability, SyncFsyncsEveryWrittenFileAfterItsLastWrite) {
  touch(a);
  touch(b);
  auto p = make(16);
  auto fa = open_file(*p, a, open_flags::none, kPs);
  auto fb = open_file(*p, b, open_flags::none, kPs);
  ASSERT_TRUE(fa && fb);
  for (pgno_t n = 0; n < 3; ++n) write_page(*fa, n, 1, get_flags::create | get_flags::dirty);
  for (pgno_t n = 0; n < 2; ++n) write_page(*fb, n, 2, get_flags::create | get_flags::dirty);
  fio->clear_log();
  ASSERT_OK(p->sync());
  const auto log = fio->log();
  for (const std::string& path : {a, b}) {
    SCOPED_TRACE(path);
    const long w = last_of(log, io_op::pwrite, path), s = last_of(log, io_op::fsync, path);
    ASSERT_GE(w, 0);
    EXPECT_GT(s, w) << "fsync after the file's last write";
  }
  EXPECT_EQ(count_of(log, io_op::pwrite, a), 3);
  EXPECT_EQ(count_of(log, io_op::pwrite, b), 2);
  // Nothing written since: a second sync owes nothing.
  fio->clear_log();
  ASSERT_OK(p->sync());
  EXPECT_EQ(count_of(fio->log(), io_op::fsync, a), 0);
  EXPECT_OK(fa->close());
  EXPECT_OK(fb->close());
  EXPECT_OK(p->close());
}

// file.hpp sync: "writes this file's modified pages and fsyncs it"
TEST_F(Durability, FileSyncFsyncsThatFileOnly) {
  touch(a);
  touch(b);
  auto p = make(16);
  auto fa = open_file(*p, a, open_flags::none, kPs);
  auto fb = open_file(*p, b, open_flags::none, kPs);
  ASSERT_TRUE(fa && fb);
  write_page(*fa, 0, 3);
  write_page(*fb, 0, 3);
  fio->clear_log();
  ASSERT_OK(fa->sync());
  const auto log = fio->log();
  EXPECT_GT(last_of(log, io_op::fsync, a), last_of(log, io_op::pwrite, a));
  EXPECT_EQ(count_of(log, io_op::pwrite, b), 0);
  EXPECT_EQ(count_of(log, io_op::fsync, b), 0);
  EXPECT_OK(fa->close());
  EXPECT_OK(fb->close());
  EXPECT_OK(p->close());
}

// pool.hpp: trickle and eviction write without fsync; the next sync fsyncs
// what they wrote even if it writes nothing itself.
TEST_F(Durability, PagesWrittenByEvictionAndTrickleAreFsyncedByTheNextSync) {
  touch(a);
  auto p = make(2);
  auto f = open_file(*p, a, open_flags::none, kPs);
  ASSERT_TRUE(f);
  fio->clear_log();
  for (pgno_t n = 0; n < 4; ++n) write_page(*f, n, 4);  // two dirty victims written
  EXPECT_EQ(p->stats().rw_evict, 2u);
  int written = 0;
  ASSERT_OK(p->trickle(100, &written));
  EXPECT_EQ(written, 2);
  EXPECT_EQ(count_of(fio->log(), io_op::pwrite, a), 4);
  EXPECT_EQ(count_of(fio->log(), io_op::fsync, a), 0) << "neither eviction nor trickle fsyncs";
  fio->clear_log();
  ASSERT_OK(p->sync());
  EXPECT_EQ(count_of(fio->log(), io_op::pwrite, a), 0);
  EXPECT_EQ(count_of(fio->log(), io_op::fsync, a), 1);
  EXPECT_OK(f->close());
  EXPECT_OK(p->close());
}

// file.hpp Durability: a file created by the pool has its directory fsync'd,
// after the file, before the first sync covering it returns; once.
TEST_F(Durability, CreatedFileHasItsDirectoryFsyncedBeforeTheFirstSyncSucceeds) {
  auto p = make(8);
  fio->clear_log();
  auto f = open_file(*p, a, open_flags::create, kPs);
  ASSERT_TRUE(f);
  EXPECT_EQ(count_of(fio->log(), io_op::fsync_dir, "/mem/d1"), 0) << "deferred to the sync";
  write_page(*f, 0, 5);
  ASSERT_OK(f->sync());
  auto log = fio->log();
  const long s = last_of(log, io_op::fsync, a), d = last_of(log, io_op::fsync_dir, "/mem/d1");
  ASSERT_GE(s, 0);
  ASSERT_GE(d, 0) << "the directory of the new file was fsync'd";
  EXPECT_GT(d, s) << "after the file itself";
  EXPECT_EQ(log[static_cast<std::size_t>(d)].result, 0);
  fio->clear_log();
  write_page(*f, 1, 5);
  ASSERT_OK(f->sync());
  EXPECT_EQ(count_of(fio->log(), io_op::fsync_dir, "/mem/d1"), 0) << "owed once";
  EXPECT_OK(f->close());
  EXPECT_OK(p->close());
}

// The directory is owed even if no page of the new file was written.
TEST_F(Durability, CreatedEmptyFileHasItsDirectoryFsyncedByPoolSync) {
  auto p = make(8);
  auto f = open_file(*p, b, open_flags::create, kPs);
  ASSERT_TRUE(f);
  fio->clear_log();
  ASSERT_OK(p->sync());
  EXPECT_EQ(count_of(fio->log(), io_op::fsync_dir, "/mem/d2"), 1);
  EXPECT_OK(f->close());
  EXPECT_OK(p->close());
}

TEST_F(Durability, OpeningAnExistingFileWithCreateOwesNoDirectoryFsync) {
  touch(a);
  auto p = make(8);
  auto f = open_file(*p, a, open_flags::create, kPs);
  ASSERT_TRUE(f);
  write_page(*f, 0, 6);
  fio->clear_log();
  ASSERT_OK(p->sync());
  EXPECT_EQ(count_of(fio->log(), io_op::fsync_dir, "/mem/d1"), 0);
  EXPECT_EQ(count_of(fio->log(), io_op::fsync, a), 1);
  EXPECT_OK(f->close());
  EXPECT_OK(p->close());
}

// The POSIX backend: the real directory is fsync'd (through fsync_dir).
TEST(DurabilityPosix, CreatedFileHasItsRealDirectoryFsynced) {
  temp_dir dir;
  auto fio = std::make_shared<fault_io>(posix_io());
  pool_options o;
  o.cache_frames = 8;
  o.frame_size = kPs;
  o.io = fio;
  auto p = make_pool(o);
  const std::string path = dir.file("new");
  auto f = open_file(*p, path, open_flags::create, kPs);
  ASSERT_TRUE(f);
  write_page(*f, 0, 7);
  ASSERT_OK(p->sync());
  const auto log = fio->log();
  const long d = last_of(log, io_op::fsync_dir, dir.path().string());
  ASSERT_GE(d, 0);
  EXPECT_EQ(log[static_cast<std::size_t>(d)].result, 0);
  EXPECT_TRUE(disk_page_has_pattern(path, 0, kPs, 7));
  EXPECT_OK(f->close());
  EXPECT_OK(p->close());
  EXPECT_EQ(fio->open_fds(), 0u);
}

// file.hpp Durability: after a failed fsync the file is marked: every later
// sync of it returns that error, no fsync is tried again, the pages are still
// written; other files are not affected.
TEST_F(Durability, FailedFsyncMarksTheFile) {
  touch(a);
  touch(b);
  auto p = make(16);
  auto fa = open_file(*p, a, open_flags::none, kPs);
  auto fb = open_file(*p, b, open_flags::none, kPs);
  ASSERT_TRUE(fa && fb);
  write_page(*fa, 0, 8);
  fio->fail(io_op::fsync, EIO, 1, false, a);
  EXPECT_ERR(fa->sync(), std::errc::io_error);
  const std::uint64_t fsyncs = fio->calls(io_op::fsync);
  // Later syncs: the error again, although the backend would succeed now.
  write_page(*fa, 1, 8);
  EXPECT_ERR(fa->sync(), std::errc::io_error);
  EXPECT_EQ(p->stats().page_dirty, 0u) << "pages are still written";
  EXPECT_ERR(fa->sync(), std::errc::io_error) << "with nothing to write as well";
  EXPECT_ERR(p->sync(), std::errc::io_error);
  EXPECT_EQ(fio->calls(io_op::fsync) - fsyncs, 0u) << "a marked file is not fsync'd again";
  // Another handle on the file shares the mark.
  auto fa2 = open_file(*p, a, open_flags::none, kPs);
  ASSERT_TRUE(fa2);
  EXPECT_ERR(fa2->sync(), std::errc::io_error);
  // Other files sync as before.
  write_page(*fb, 0, 9);
  EXPECT_OK(fb->sync());
  EXPECT_OK(fa->close());
  EXPECT_OK(fa2->close());
  EXPECT_OK(fb->close());
}

// file.hpp Durability: the mark goes with the file's shared state: once no
// handle has the file open and no page of it is cached, it is freed, and a new
// open starts clean.
TEST_F(Durability, MarkIsClearedOnlyWhenTheFileStateIsFreed) {
  touch(a);
  touch(b);
  auto p = make(4);
  auto fa = open_file(*p, a, open_flags::none, kPs);
  ASSERT_TRUE(fa);
  write_page(*fa, 0, 10);
  fio->fail(io_op::fsync, EIO, 1, false, a);
  EXPECT_ERR(fa->sync(), std::errc::io_error);
  {
    // Put a's page first in line for eviction.
    pgno_t n = 0;
    void* page = nullptr;
    ASSERT_OK(fa->get(&n, get_flags::none, &page));
    ASSERT_OK(fa->put(page, priority::very_low, put_flags::discard));
  }
  EXPECT_OK(fa->close());
  // The closed file's page is still cached: its state, and the mark, live.
  EXPECT_ERR(p->sync(), std::errc::io_error);
  {
    // Reading four pages of b pushes a's page out of the four frames.
    auto fb = open_file(*p, b, open_flags::none, kPs);
    ASSERT_TRUE(fb);
    for (pgno_t n = 0; n < 16; ++n) write_page(*fb, n, 11);
    EXPECT_OK(fb->close());  // frees a's state (no handle, no frame)
  }
  for (const auto& fst : p->file_statistics())
    ASSERT_NE(fst.file_name, a) << "a's page is still cached: the test could not evict it";
  EXPECT_OK(p->sync()) << "a's state is gone, and b syncs";
  auto again = open_file(*p, a, open_flags::none, kPs);
  ASSERT_TRUE(again);
  EXPECT_TRUE(page_reads(*again, 0, 10));
  write_page(*again, 0, 12);
  const std::uint64_t fsyncs = fio->calls(io_op::fsync);
  EXPECT_OK(again->sync()) << "a new state: fsync is trusted again";
  EXPECT_EQ(fio->calls(io_op::fsync) - fsyncs, 1u);
  EXPECT_OK(again->close());
  EXPECT_OK(p->close());
}

// A failed directory fsync is a failed fsync: reported and marked.
TEST_F(Durability, FailedDirectoryFsyncMarksTheFile) {
  auto p = make(8);
  auto f = open_file(*p, a, open_flags::create, kPs);
  ASSERT_TRUE(f);
  write_page(*f, 0, 13);
  fio->fail(io_op::fsync_dir, ENOSPC);
  EXPECT_ERR(f->sync(), std::errc::no_space_on_device);
  const std::uint64_t dirs = fio->calls(io_op::fsync_dir);
  EXPECT_ERR(f->sync(), std::errc::no_space_on_device);
  EXPECT_EQ(fio->calls(io_op::fsync_dir), dirs);
  EXPECT_OK(f->close());
  EXPECT_ERR(p->close(), std::errc::no_space_on_device);
}

// pool.hpp close: when every page was written but an fsync failed, close
// closes (no retry could make the data durable) and reports the error.
TEST_F(Durability, CloseAfterAFailedFsyncClosesAndReportsIt) {
  touch(a);
  auto p = make(8);
  auto f = open_file(*p, a, open_flags::none, kPs);
  ASSERT_TRUE(f);
  write_page(*f, 0, 14);
  EXPECT_OK(f->close());
  fio->fail(io_op::fsync, EIO);
  EXPECT_ERR(p->close(), std::errc::io_error);
  EXPECT_EQ(p->file_create(), nullptr) << "the pool is closed";
  EXPECT_EQ(fio->open_fds(), 0u);
  EXPECT_TRUE([&] {
    const int fd = mem->open(a, O_RDONLY, 0);
    std::vector<std::uint8_t> buf(kPs);
    const bool ok = fd >= 0 &&
                    mem->pread(fd, buf.data(), kPs, 0) == static_cast<std::int64_t>(kPs) &&
                    page_has_pattern(buf.data(), kPs, 0, 14);
    if (fd >= 0) (void)mem->close(fd);
    return ok;
  }());
}

}  // namespace
}  // namespace pagepool::apitest
