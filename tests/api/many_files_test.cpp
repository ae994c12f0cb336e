// tests/api/many_files_test.cpp: the file table grows with use (issue 13,
// part 4): 100,000 files open at once in one pool, each read back against an
// oracle; slots of freed file states are used again; pool_options::max_files
// is a size hint; set_mp_max_openfd still bounds descriptors when thousands of
// real files are opened and closed.
#include <algorithm>
#include <random>

#include "api_util.hpp"
#include "core/pool_impl.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 512;
constexpr std::uint32_t kMany = 100000;

std::string mem_name(std::uint32_t i) { return "/mem/f" + std::to_string(i); }

// The oracle: page 0 of file i holds pattern (0, seed(i)).
unsigned seed_of(std::uint32_t i, unsigned round) { return i * 3u + round * 7919u + 1u; }

// Opens kMany in-memory files (DB_MPOOL_NOFILE: no descriptor each), writes
// page 0 of each, checks every one, and closes them all.
void open_write_check_close(pool& p, unsigned round, bool unlink) {
  std::vector<std::unique_ptr<file>> fs;
  fs.reserve(kMany);
  for (std::uint32_t i = 0; i < kMany; ++i) {
    auto f = p.file_create();
    ASSERT_NE(f, nullptr);
    ASSERT_OK(f->set_flags(file_flags::nofile, true));
    if (unlink) {
      ASSERT_OK(f->set_flags(file_flags::unlink, true));
    }
    ASSERT_OK(f->open(mem_name(i), open_flags::create, 0, kPs)) << i;
    void* page = nullptr;
    pgno_t pg = 0;
    ASSERT_OK(f->get(&pg, get_flags::create, &page)) << i;
    // A fresh state: the page is new (zeros), never an old file's.
    ASSERT_TRUE(all_bytes(page, kPs, 0)) << "file " << i << " round " << round;
    fill_page(page, kPs, 0, seed_of(i, round));
    ASSERT_OK(f->put(page, priority::unchanged, put_flags::dirty));
    fs.push_back(std::move(f));
  }
  for (std::uint32_t i = 0; i < kMany; ++i) {
    void* page = nullptr;
    pgno_t pg = 0;
    ASSERT_OK(fs[i]->get(&pg, get_flags::none, &page)) << i;
    ASSERT_TRUE(page_has_pattern(page, kPs, 0, seed_of(i, round))) << "file " << i;
    ASSERT_OK(fs[i]->put(page));
  }
  // A second handle on a file joins its state (found by name, not by scan).
  for (std::uint32_t i = 0; i < kMany; i += 9973) {
    auto g = p.file_create();
    ASSERT_OK(g->set_flags(file_flags::nofile, true));
    ASSERT_OK(g->open(mem_name(i), open_flags::none, 0, kPs));
    void* page = nullptr;
    pgno_t pg = 0;
    ASSERT_OK(g->get(&pg, get_flags::none, &page));
    EXPECT_TRUE(page_has_pattern(page, kPs, 0, seed_of(i, round))) << "file " << i;
    ASSERT_OK(g->put(page));
    ASSERT_OK(g->close());
  }
  for (auto& f : fs) ASSERT_OK(f->close());
}

pool_options many_options(std::size_t max_files) {
  pool_options o;
  o.frame_size = kPs;
  o.cache_frames = kMany + 1024;  // in-memory pages are never evicted
  o.max_files = max_files;
  return o;
}

// spec: issue 13 part 4: 100,000 files open at once in one pool; the table grows from its hint
TEST(ManyFiles, HundredThousandOpenAtOnceEachReadBack) {
  auto p = make_pool(many_options(0));  // 0: the smallest first chunk
  ASSERT_NE(p, nullptr);
  ASSERT_NO_FATAL_FAILURE(open_write_check_close(*p, 0, /*unlink=*/true));
  EXPECT_GE(p->impl().file_slots(), kMany);
  ASSERT_OK(p->close());
}

// spec: issue 13 part 4: slots of freed file states are used again, not added
TEST(ManyFiles, FreedSlotsAreReused) {
  auto p = make_pool(many_options(1024));
  ASSERT_NE(p, nullptr);
  // unlink: each file goes with its last close, its pages dropped and its
  // state freed, so the next round finds every slot free again.
  ASSERT_NO_FATAL_FAILURE(open_write_check_close(*p, 0, /*unlink=*/true));
  const std::uint32_t slots = p->impl().file_slots();
  EXPECT_GE(slots, kMany);
  EXPECT_LE(slots, kMany + 2);  // the probing second handles share their file's slot
  ASSERT_NO_FATAL_FAILURE(open_write_check_close(*p, 1, /*unlink=*/true));
  EXPECT_EQ(p->impl().file_slots(), slots);
  EXPECT_EQ(p->stats().pages, 0u);
  ASSERT_OK(p->close());
}

// spec: issue 13 part 4: in-memory files outlive their last handle (BDB) in a grown table
TEST(ManyFiles, InMemoryFilesKeepTheirPagesAfterClose) {
  auto p = make_pool(many_options(64));
  ASSERT_NE(p, nullptr);
  ASSERT_NO_FATAL_FAILURE(open_write_check_close(*p, 0, /*unlink=*/false));
  for (std::uint32_t i = 0; i < kMany; i += 997) {
    auto f = p->file_create();
    ASSERT_OK(f->set_flags(file_flags::nofile, true));
    ASSERT_OK(f->open(mem_name(i), open_flags::none, 0, kPs)) << i;
    void* page = nullptr;
    pgno_t pg = 0;
    ASSERT_OK(f->get(&pg, get_flags::none, &page)) << i;
    EXPECT_TRUE(page_has_pattern(page, kPs, 0, seed_of(i, 0))) << "file " << i;
    ASSERT_OK(f->put(page));
    ASSERT_OK(f->close());
  }
}

// spec: issue 14: the file table's index (shared between processes, chains
// of slots) finds every file while others leave their chains: 50,000
// in-memory files (about three per index bucket) stay after their last
// close; a third of them, in a random order, are removed (their state freed,
// unlinked from the middle, head or tail of a chain); every other one is
// found again with its page, and every removed one is gone (ENOENT without
// create, a fresh state with create).
TEST(ManyFiles, IndexFindsEveryFileWhileOthersLeaveItsChains) {
  constexpr std::uint32_t n = 50000;
  auto p = make_pool(many_options(64));
  ASSERT_NE(p, nullptr);
  auto open_mem = [&](std::uint32_t i, open_flags fl, std::unique_ptr<file>& f) {
    f = p->file_create();
    EXPECT_OK(f->set_flags(file_flags::nofile, true));
    return f->open(mem_name(i), fl, 0, kPs);
  };
  for (std::uint32_t i = 0; i < n; ++i) {
    std::unique_ptr<file> f;
    ASSERT_OK(open_mem(i, open_flags::create, f)) << i;
    void* page = nullptr;
    pgno_t pg = 0;
    ASSERT_OK(f->get(&pg, get_flags::create, &page)) << i;
    fill_page(page, kPs, 0, seed_of(i, 0));
    ASSERT_OK(f->put(page, priority::unchanged, put_flags::dirty));
    ASSERT_OK(f->close());
  }
  std::vector<std::uint32_t> gone;
  for (std::uint32_t i = 0; i < n; i += 3) gone.push_back(i);
  std::mt19937 rng(14);
  std::shuffle(gone.begin(), gone.end(), rng);
  for (const std::uint32_t i : gone) {
    std::unique_ptr<file> f;
    ASSERT_OK(open_mem(i, open_flags::none, f)) << i;
    ASSERT_OK(f->set_flags(file_flags::unlink, true));
    ASSERT_OK(f->close());  // the last handle: the file and its state go
  }
  EXPECT_EQ(p->stats().pages, n - gone.size());
  for (std::uint32_t i = 0; i < n; ++i) {
    std::unique_ptr<file> f;
    if (i % 3 == 0) {
      EXPECT_ERR(open_mem(i, open_flags::none, f), std::errc::no_such_file_or_directory) << i;
      continue;
    }
    ASSERT_OK(open_mem(i, open_flags::none, f)) << i;
    void* page = nullptr;
    pgno_t pg = 0;
    ASSERT_OK(f->get(&pg, get_flags::none, &page)) << i;
    ASSERT_TRUE(page_has_pattern(page, kPs, 0, seed_of(i, 0))) << "file " << i;
    ASSERT_OK(f->put(page));
    ASSERT_OK(f->close());
  }
  // A removed name made again is a new file: its page is not the old one's.
  std::unique_ptr<file> f;
  ASSERT_OK(open_mem(3, open_flags::create, f));
  void* page = nullptr;
  pgno_t pg = 0;
  EXPECT_ERR(f->get(&pg, get_flags::none, &page), errc::page_not_found);
  ASSERT_OK(f->close());
  ASSERT_OK(p->close());
}

// spec: file.hpp open: a name the file state cannot hold whole is
// ENAMETOOLONG and changes nothing; the longest one it holds is a file like
// any other, found again by a second handle
TEST(ManyFiles, InMemoryNameOfPathMaxIsTooLong) {
  auto p = make_pool(many_options(64));
  ASSERT_NE(p, nullptr);
  const std::string longest(4095, 'n');
  auto a = p->file_create();
  ASSERT_OK(a->set_flags(file_flags::nofile, true));
  ASSERT_OK(a->open(longest, open_flags::create, 0, kPs));
  void* page = nullptr;
  pgno_t pg = 0;
  ASSERT_OK(a->get(&pg, get_flags::create, &page));
  fill_page(page, kPs, 0, 77);
  ASSERT_OK(a->put(page, priority::unchanged, put_flags::dirty));
  const std::uint32_t slots = p->impl().file_slots();
  for (const bool nofile : {true, false}) {
    auto t = p->file_create();
    ASSERT_OK(t->set_flags(file_flags::nofile, nofile));
    EXPECT_ERR(t->open(longest + "n", open_flags::create, 0, kPs), std::errc::filename_too_long);
  }
  EXPECT_EQ(p->impl().file_slots(), slots);
  auto b = p->file_create();
  ASSERT_OK(b->set_flags(file_flags::nofile, true));
  ASSERT_OK(b->open(longest, open_flags::none, 0, kPs));
  ASSERT_OK(b->get(&pg, get_flags::none, &page));
  EXPECT_TRUE(page_has_pattern(page, kPs, 0, 77));
  ASSERT_OK(b->put(page));
  ASSERT_OK(b->close());
  ASSERT_OK(a->close());
  ASSERT_OK(p->close());
}

// spec: pool.hpp max_files: a size hint; 0 and large hints work, absurd ones are EINVAL
TEST(ManyFiles, MaxFilesIsAHint) {
  for (const std::size_t hint : {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{5000}}) {
    pool_options o;
    o.cache_frames = 16;
    o.max_files = hint;
    auto p = make_pool(o);
    ASSERT_NE(p, nullptr) << hint;
    std::vector<std::unique_ptr<file>> fs;
    for (int i = 0; i < 200; ++i) fs.push_back(open_file(*p, std::nullopt, open_flags::none, 4096));
    for (auto& f : fs) ASSERT_OK(f->close());
  }
  pool_options o;
  o.cache_frames = 16;
  o.max_files = (std::size_t{1} << 20) + 1;
  std::unique_ptr<pool> p;
  EXPECT_ERR(pool::create(o, p), std::errc::invalid_argument);
}

// spec: ref §1.2 set_mp_max_openfd: with thousands of files opened and closed, descriptors stay bounded and every page is kept
TEST(ManyFiles, ThousandsOfClosedFilesKeepTheDescriptorBound) {
  // Files in memory (make_memory_io): the bound is read from stats().open_fds,
  // and no fsync of thousands of real files slows the test.
  pool_options o;
  o.cache_frames = 64;
  o.frame_size = kPs;
  o.max_files = 16;
  o.max_open_fd = 8;
  o.io = make_memory_io(kPs);
  auto p = make_pool(o);
  ASSERT_NE(p, nullptr);
  constexpr std::uint32_t kFiles = 20000;
  auto name = [](std::uint32_t i) { return "/real/r" + std::to_string(i); };
  for (std::uint32_t i = 0; i < kFiles; ++i) {
    auto f = open_file(*p, name(i), open_flags::create, kPs);
    ASSERT_TRUE(f && f->is_open());
    write_page(*f, 0, seed_of(i, 0), get_flags::create | get_flags::dirty);
    ASSERT_OK(f->close());
    // Eviction writes pages of closed files, reopening their descriptors;
    // each close counts those and keeps the bound.
    if (i % 97 == 0) {
      ASSERT_LE(p->stats().open_fds, 8u) << "after " << i << " closes";
    }
  }
  EXPECT_GT(p->stats().fd_closed, 0u);
  // Until a sync, a closed file whose page was written owes an fsync and
  // keeps its state; the sync frees all but those with a page still cached.
  ASSERT_OK(p->sync());
  EXPECT_LE(p->stats().open_fds, 8u);
  EXPECT_LE(p->file_statistics().size(), 64u);
  const std::uint32_t slots = p->impl().file_slots();
  // Every file is found again with its page, from the cache or the file.
  for (std::uint32_t i = 0; i < kFiles; i += 7) {
    auto f = open_file(*p, name(i), open_flags::none, kPs);
    ASSERT_TRUE(f && f->is_open());
    void* page = nullptr;
    pgno_t pg = 0;
    ASSERT_OK(f->get(&pg, get_flags::none, &page));
    EXPECT_TRUE(page_has_pattern(page, kPs, 0, seed_of(i, 0))) << i;
    ASSERT_OK(f->put(page));
    ASSERT_OK(f->close());
  }
  EXPECT_LE(p->stats().open_fds, 8u);
  // Opening them again took freed slots: the table did not grow.
  EXPECT_EQ(p->impl().file_slots(), slots);
  ASSERT_OK(p->close());
}

// An io_backend over make_memory_io() that refuses to hold more than `limit`
// descriptors at once (EMFILE), as a process's descriptor limit does.
class fd_limited_io final : public io_backend {
 public:
  fd_limited_io(std::shared_ptr<io_backend> inner, int limit) : inner_(std::move(inner)), limit_(limit) {}
  int open(const std::string& path, int flags, int mode) noexcept override {
    if (open_.load() >= limit_) return -EMFILE;
    const int fd = inner_->open(path, flags, mode);
    if (fd >= 0) most_ = std::max(most_.load(), ++open_);
    return fd;
  }
  int close(int fd) noexcept override {
    --open_;
    return inner_->close(fd);
  }
  std::int64_t pread(int fd, void* b, std::size_t n, std::uint64_t o) noexcept override {
    return inner_->pread(fd, b, n, o);
  }
  std::int64_t pwrite(int fd, const void* b, std::size_t n, std::uint64_t o) noexcept override {
    return inner_->pwrite(fd, b, n, o);
  }
  int fsync(int fd) noexcept override { return inner_->fsync(fd); }
  int fsync_dir(const std::string& dir) noexcept override { return inner_->fsync_dir(dir); }
  int fstat(int fd, io_file_info& out) noexcept override { return inner_->fstat(fd, out); }
  int ftruncate(int fd, std::uint64_t len) noexcept override { return inner_->ftruncate(fd, len); }
  int unlink(const std::string& path) noexcept override { return inner_->unlink(path); }
  int most() const noexcept { return most_.load(); }

 private:
  std::shared_ptr<io_backend> inner_;
  int limit_;
  std::atomic<int> open_{0}, most_{0};
};

// spec: ref §1.2 set_mp_max_openfd: a sync of thousands of closed files keeps the bound while it writes and fsyncs them
TEST(ManyFiles, SyncOfThousandsOfClosedFilesKeepsTheDescriptorBound) {
  auto io = std::make_shared<fd_limited_io>(make_memory_io(kPs), 32);
  pool_options o;
  o.cache_frames = 4096;  // every page stays cached and dirty until the sync
  o.frame_size = kPs;
  o.max_open_fd = 8;
  o.io = io;
  auto p = make_pool(o);
  ASSERT_NE(p, nullptr);
  constexpr std::uint32_t kFiles = 3000;
  auto name = [](std::uint32_t i) { return "/s/f" + std::to_string(i); };
  for (std::uint32_t i = 0; i < kFiles; ++i) {
    auto f = open_file(*p, name(i), open_flags::create, kPs);
    ASSERT_TRUE(f && f->is_open());
    write_page(*f, 0, seed_of(i, 0), get_flags::create | get_flags::dirty);
    ASSERT_OK(f->close());
  }
  // Each page written and each file fsync'd reopens its descriptor: without
  // the bound kept as the sync goes, the 33rd is EMFILE.
  ASSERT_OK(p->sync());
  EXPECT_LE(io->most(), 32);
  EXPECT_LE(p->stats().open_fds, 8u);
  for (std::uint32_t i = 0; i < kFiles; i += 11) {
    auto f = open_file(*p, name(i), open_flags::none, kPs);
    ASSERT_TRUE(f && f->is_open());
    void* page = nullptr;
    pgno_t pg = 0;
    ASSERT_OK(f->get(&pg, get_flags::none, &page));
    EXPECT_TRUE(page_has_pattern(page, kPs, 0, seed_of(i, 0))) << i;
    ASSERT_OK(f->put(page));
    ASSERT_OK(f->close());
  }
  ASSERT_OK(p->close());
}

}  // namespace
}  // namespace pagepool::apitest
