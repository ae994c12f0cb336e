// tests/api/durability_close_test.cpp: durability across a file's last close
// (pool.hpp sync, file.hpp "Durability"). A file's shared state may be freed
// once no handle, frame or sync needs it; what it still owes (an fsync of
// pages eviction or trickle wrote, the directory fsync of a file the pool
// created) must not be freed with it: the next sync pays it, whether or not
// the file was opened again. Found by the power-loss harness
// (pagepool-crash --power-loss --exhaustive, script close+reopen+sync).
#include <fcntl.h>

#include <algorithm>

#include "fault_fixture.hpp"

namespace pagepool::apitest {
namespace {

using test::io_op;
using event = test::fault_io::event;

constexpr std::size_t kPs = 1024;

long count_of(const std::vector<event>& log, io_op op, const std::string& path) {
  return std::count_if(log.begin(), log.end(),
                       [&](const event& e) { return e.op == op && e.path == path; });
}

struct DurabilityClose : fault_fixture {
  const std::string a = "/mem/c1/a", b = "/mem/c1/b";

  void touch(const std::string& path) {
    const int fd = mem->open(path, O_RDWR | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(mem->close(fd), 0);
  }

  /// File a written, closed, and its pages pushed out of a two-frame cache
  /// by file b (eviction writes them; no fsync yet); b closed too, so that no
  /// handle or frame holds a's state any more.
  void write_close_and_evict(pool& p) {
    auto fa = open_file(p, a, open_flags::none, kPs);
    ASSERT_TRUE(fa);
    for (pgno_t n = 0; n < 2; ++n) write_page(*fa, n, 1);
    ASSERT_OK(fa->close());
    auto fb = open_file(p, b, open_flags::none, kPs);
    ASSERT_TRUE(fb);
    for (pgno_t n = 0; n < 2; ++n) write_page(*fb, n, 2);
    ASSERT_OK(fb->close());
    ASSERT_EQ(count_of(fio->log(), io_op::pwrite, a), 2) << "eviction wrote file a's pages";
    ASSERT_EQ(count_of(fio->log(), io_op::fsync, a), 0);
  }
};

TEST_F(DurabilityClose, PagesWrittenBeforeTheLastCloseAreFsyncedByTheNextPoolSync) {
  touch(a);
  touch(b);
  auto p = make(2);
  fio->clear_log();
  write_close_and_evict(*p);
  ASSERT_OK(p->sync());
  EXPECT_EQ(count_of(fio->log(), io_op::fsync, a), 1);
  EXPECT_OK(p->close());
}

TEST_F(DurabilityClose, PagesWrittenBeforeTheLastCloseAreFsyncedWhenTheFileIsOpenedAgain) {
  touch(a);
  touch(b);
  auto p = make(2);
  fio->clear_log();
  write_close_and_evict(*p);
  auto fa = open_file(*p, a, open_flags::none, kPs);
  ASSERT_TRUE(fa);
  ASSERT_OK(fa->sync());
  EXPECT_EQ(count_of(fio->log(), io_op::fsync, a), 1);
  EXPECT_OK(fa->close());
  EXPECT_OK(p->close());
}

TEST_F(DurabilityClose, CreatedFileClosedBeforeAnySyncStillHasItsDirectoryFsynced) {
  auto p = make(8);
  auto f = open_file(*p, a, open_flags::create, kPs);
  ASSERT_TRUE(f);
  ASSERT_OK(f->close());
  fio->clear_log();
  auto again = open_file(*p, a, open_flags::none, kPs);  // exists now: creates nothing
  ASSERT_TRUE(again);
  ASSERT_OK(again->sync());
  EXPECT_EQ(count_of(fio->log(), io_op::fsync_dir, "/mem/c1"), 1);
  EXPECT_OK(again->close());
  EXPECT_OK(p->close());
}

// A file that still owes an fsync may have its descriptor closed
// (set_mp_max_openfd) and be removed by the application before the next sync:
// nothing of it can be made durable any more, and nothing is owed; the sync
// succeeds and the state goes, as it would have at the last close.
TEST_F(DurabilityClose, AClosedFileRemovedBeforeTheSyncOwesNothing) {
  const std::string c = "/mem/c1/c";
  for (const auto& path : {a, b, c}) touch(path);
  pool_options o;
  o.cache_frames = 2;
  o.frame_size = kPs;
  o.max_open_fd = 1;
  o.io = fio;
  auto p = make_pool(o);
  for (const auto& path : {a, b, c}) {  // each file's pages evict the previous one's
    auto f = open_file(*p, path, open_flags::none, kPs);
    ASSERT_TRUE(f);
    for (pgno_t n = 0; n < 2; ++n) write_page(*f, n, 3);
    ASSERT_OK(f->close());
  }
  ASSERT_EQ(mem->unlink(a), 0);
  EXPECT_OK(p->sync());
  EXPECT_OK(p->sync());
  EXPECT_OK(p->close());
}

}  // namespace
}  // namespace pagepool::apitest
