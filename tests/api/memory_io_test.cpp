// tests/api/memory_io_test.cpp: make_memory_io(), the in-memory io_backend
// (io.hpp): POSIX-like files (sparse, holes read as zeros, sizes, unlink
// while open, open flags and errors), concurrent use, and a pool running on
// it with nothing on disk.
#include <fcntl.h>

#include <atomic>
#include <random>
#include <thread>

#include "api_util.hpp"
#include "pagepool/io.hpp"

namespace pagepool::apitest {
namespace {

std::int64_t n64(std::size_t n) { return static_cast<std::int64_t>(n); }

std::uint64_t size_of(io_backend& io, int fd) {
  io_file_info st;
  EXPECT_EQ(io.fstat(fd, st), 0);
  return st.size;
}

TEST(MemoryIo, OpenFlagsAndErrorsAreThoseOfOpen2) {
  auto io = make_memory_io();
  ASSERT_TRUE(io);
  EXPECT_FALSE(io->mappable()) << "only the POSIX backend may be mapped";
  EXPECT_EQ(io->open("/m/x", O_RDWR, 0), -ENOENT);
  const int fd = io->open("/m/x", O_RDWR | O_CREAT | O_EXCL, 0600);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(io->open("/m/x", O_RDWR | O_CREAT | O_EXCL, 0600), -EEXIST);
  const int ro = io->open("/m/x", O_RDONLY, 0);
  ASSERT_GE(ro, 0);
  EXPECT_NE(ro, fd);
  const char c = 'x';
  EXPECT_EQ(io->pwrite(ro, &c, 1, 0), -EBADF) << "not open for writing";
  EXPECT_EQ(io->ftruncate(ro, 0), -EINVAL);
  EXPECT_EQ(io->close(ro), 0);
  EXPECT_EQ(io->close(ro), -EBADF);
  EXPECT_EQ(io->pread(ro, nullptr, 0, 0), -EBADF);
  EXPECT_EQ(io->fsync(-1), -EBADF);
  EXPECT_EQ(io->unlink("/m/nothing"), -ENOENT);
  io_file_info a, b;
  ASSERT_EQ(io->fstat(fd, a), 0);
  const int other = io->open("/m/y", O_RDWR | O_CREAT, 0600);
  ASSERT_GE(other, 0);
  ASSERT_EQ(io->fstat(other, b), 0);
  EXPECT_NE(a.ino, b.ino) << "each file its own identity";
  EXPECT_FALSE(a.directory);
  EXPECT_EQ(io->close(fd), 0);
  EXPECT_EQ(io->close(other), 0);
}

TEST(MemoryIo, SparseFileReadsHolesAsZerosAndHasTheSizeOfItsLastByte) {
  auto io = make_memory_io(4096);
  const int fd = io->open("/m/sparse", O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(size_of(*io, fd), 0u);
  std::vector<std::uint8_t> data(6000);
  fill_page(data.data(), data.size(), 3, 1);
  const std::uint64_t off = 10 * 4096 + 100;  // spans two chunks, far from the start
  ASSERT_EQ(io->pwrite(fd, data.data(), data.size(), off), n64(data.size()));
  EXPECT_EQ(size_of(*io, fd), off + data.size());
  std::vector<std::uint8_t> buf(off + data.size() + 50, 0xAB);
  ASSERT_EQ(io->pread(fd, buf.data(), buf.size(), 0), n64(off + data.size()))
      << "a read past the end is short";
  EXPECT_TRUE(all_bytes(buf.data(), off, 0)) << "the hole reads as zeros";
  EXPECT_EQ(std::memcmp(buf.data() + off, data.data(), data.size()), 0);
  EXPECT_EQ(io->pread(fd, buf.data(), 10, off + data.size()), 0) << "at the end: 0";
  // ftruncate shrinks (bytes past the end are gone) and grows (with zeros).
  ASSERT_EQ(io->ftruncate(fd, off + 10), 0);
  EXPECT_EQ(size_of(*io, fd), off + 10);
  ASSERT_EQ(io->ftruncate(fd, off + 8000), 0);
  ASSERT_EQ(io->pread(fd, buf.data(), 8000, off), 8000);
  EXPECT_EQ(std::memcmp(buf.data(), data.data(), 10), 0);
  EXPECT_TRUE(all_bytes(buf.data() + 10, 7990, 0)) << "truncated bytes read as zeros after growth";
  // O_TRUNC empties the file.
  const int again = io->open("/m/sparse", O_RDWR | O_TRUNC, 0);
  ASSERT_GE(again, 0);
  EXPECT_EQ(size_of(*io, fd), 0u);
  EXPECT_EQ(io->close(again), 0);
  EXPECT_EQ(io->close(fd), 0);
}

TEST(MemoryIo, UnlinkedFileLivesWhileADescriptorHasIt) {
  auto io = make_memory_io();
  const int fd = io->open("/m/t", O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  const char msg[] = "kept";
  ASSERT_EQ(io->pwrite(fd, msg, sizeof msg, 0), n64(sizeof msg));
  ASSERT_EQ(io->unlink("/m/t"), 0);
  EXPECT_EQ(io->open("/m/t", O_RDONLY, 0), -ENOENT);
  char buf[sizeof msg] = {};
  EXPECT_EQ(io->pread(fd, buf, sizeof buf, 0), n64(sizeof msg));
  EXPECT_STREQ(buf, msg);
  const int fresh = io->open("/m/t", O_RDWR | O_CREAT | O_EXCL, 0600);
  ASSERT_GE(fresh, 0) << "the name is free again";
  EXPECT_EQ(size_of(*io, fresh), 0u);
  EXPECT_EQ(io->close(fresh), 0);
  EXPECT_EQ(io->close(fd), 0);
}

// Threads write disjoint pages of one file and read them back while others
// read random pages: every read sees zeros (not written yet) or a whole page
// of its writer's last pattern for that page... (or the one before it).
TEST(MemoryIo, ConcurrentReadersAndWritersSeeWholePages) {
  auto io = make_memory_io(1024);
  const int fd = io->open("/m/c", O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  constexpr std::size_t kPs = 4096;  // four chunks a page: pieces under different latches
  constexpr unsigned kWriters = 4, kPagesEach = 16, kRounds = 100;
  std::atomic<int> bad{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> ts;
  for (unsigned w = 0; w < kWriters; ++w)
    ts.emplace_back([&, w] {
      std::vector<std::uint8_t> page(kPs), back(kPs);
      for (unsigned r = 1; r <= kRounds; ++r)
        for (unsigned i = 0; i < kPagesEach; ++i) {
          const pgno_t n = i * kWriters + w;
          fill_page(page.data(), kPs, n, r);
          if (io->pwrite(fd, page.data(), kPs, std::uint64_t{n} * kPs) != n64(kPs)) ++bad;
          if (io->pread(fd, back.data(), kPs, std::uint64_t{n} * kPs) != n64(kPs) ||
              !page_has_pattern(back.data(), kPs, n, r))
            ++bad;  // only this thread writes page n: it reads what it wrote
        }
    });
  std::atomic<long> reads{0};
  for (unsigned t = 0; t < 2; ++t)
    ts.emplace_back([&, t] {
      std::vector<std::uint8_t> buf(kPs);
      std::mt19937 rng(t);
      // At least one read, however the threads are scheduled (a loaded
      // machine can let the writers finish before a reader starts).
      do {
        const pgno_t n = rng() % (kWriters * kPagesEach);
        const std::int64_t got = io->pread(fd, buf.data(), kPs, std::uint64_t{n} * kPs);
        if (got < 0) ++bad;
        ++reads;
      } while (!stop.load(std::memory_order_relaxed));
    });
  for (unsigned w = 0; w < kWriters; ++w) ts[w].join();
  stop.store(true);
  for (std::size_t i = kWriters; i < ts.size(); ++i) ts[i].join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(size_of(*io, fd), std::uint64_t{kWriters} * kPagesEach * kPs);
  std::vector<std::uint8_t> buf(kPs);
  for (pgno_t n = 0; n < kWriters * kPagesEach; ++n) {
    ASSERT_EQ(io->pread(fd, buf.data(), kPs, std::uint64_t{n} * kPs), n64(kPs));
    EXPECT_TRUE(page_has_pattern(buf.data(), kPs, n, kRounds)) << n;
  }
  EXPECT_EQ(io->close(fd), 0);
}

// pool_options::io: every file operation of the pool goes to the backend;
// nothing reaches the file system, and a read-only file is not mmapped.
TEST(MemoryIo, APoolOnTheMemoryBackendTouchesNoDisk) {
  temp_dir dir;
  const std::string path = dir.file("only-in-memory");
  auto io = make_memory_io();
  constexpr std::size_t kPs = 1024;
  {
    pool_options o;
    o.cache_frames = 4;
    o.io = io;
    auto p = make_pool(o);
    auto f = open_file(*p, path, open_flags::create, kPs);
    ASSERT_TRUE(f);
    for (pgno_t n = 0; n < 10; ++n) write_page(*f, n, 3);  // evictions write too
    ASSERT_OK(p->sync());
    EXPECT_OK(f->close());
    EXPECT_OK(p->close());
  }
  EXPECT_FALSE(std::filesystem::exists(path)) << "the file system was not used";
  pool_options o;
  o.cache_frames = 4;
  o.io = io;
  auto p = make_pool(o);
  auto f = open_file(*p, path, open_flags::rdonly, kPs);
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->is_mapped()) << "mmap only with the POSIX backend";
  EXPECT_EQ(last_pgno(*f), 9u);
  for (pgno_t n = 0; n < 10; ++n) EXPECT_TRUE(page_reads(*f, n, 3)) << n;
  EXPECT_OK(f->close());
  // A temporary file's backing file goes through the backend as well.
  auto t = open_file(*p, std::nullopt, open_flags::none, kPs);
  ASSERT_TRUE(t);
  for (pgno_t n = 0; n < 10; ++n) write_page(*t, n, 4);
  for (pgno_t n = 0; n < 10; ++n) EXPECT_TRUE(page_reads(*t, n, 4)) << n;
  EXPECT_OK(t->close());
  EXPECT_OK(p->close());
}

}  // namespace
}  // namespace pagepool::apitest
