// tests/api/direct_io_test.cpp: open_flags::direct (BDB: DB_DIRECT, spec 003:
// "If set and supported by the system, turn off system buffering"): pages
// round-trip through O_DIRECT reads and writes, page sizes the file system
// cannot move are refused, a file system without O_DIRECT gets buffered I/O
// and says so in the statistics. Whether the kernel really uses O_DIRECT is
// read from /proc/self/fdinfo, and what the file system supports is probed
// here, independently of the pool.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr unsigned kSeed = 11;

struct dio_probe {
  bool supported = false;
  std::size_t offset_align = 0;  // what statx (or st_blksize, capped at 4096) says
};

/// Opens a scratch file in `dir` with O_DIRECT, as the pool would.
dio_probe probe_direct(const std::filesystem::path& dir) {
  const std::string f = (dir / "dio-probe").string();
  dio_probe r;
  const int fd = ::open(f.c_str(), O_RDWR | O_CREAT | O_DIRECT, 0644);
  if (fd < 0) {
    ::unlink(f.c_str());
    return r;
  }
  r.supported = true;
#if defined(STATX_DIOALIGN)
  struct statx sx {};
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 && (sx.stx_mask & STATX_DIOALIGN) &&
      sx.stx_dio_offset_align != 0)
    r.offset_align = sx.stx_dio_offset_align;
#endif
  if (r.offset_align == 0) {
    struct stat st {};
    ::fstat(fd, &st);
    r.offset_align = std::min<std::size_t>(static_cast<std::size_t>(st.st_blksize), 4096);
  }
  ::close(fd);
  ::unlink(f.c_str());
  return r;
}

/// The open(2) flags of the descriptor this process holds on `path` (from
/// /proc/self/fdinfo), or -1 if it holds none.
long open_flags_of(const std::string& path) {
  std::error_code ec;
  const auto want = std::filesystem::canonical(path, ec);
  if (ec) return -1;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::error_code lec;
    const auto target = std::filesystem::read_symlink(it->path(), lec);
    if (lec || target != want) continue;
    std::ifstream info("/proc/self/fdinfo/" + it->path().filename().string());
    std::string key;
    while (info >> key) {
      if (key == "flags:") {
        std::string octal;
        info >> octal;
        return std::stol(octal, nullptr, 8);
      }
    }
  }
  return -1;
}

file_stats stats_of(pool& p, const std::string& path) {
  for (auto& s : p.file_statistics())
    if (s.file_name == path) return s;
  ADD_FAILURE() << "no statistics for " << path;
  return {};
}

/// 16 pages through 3 frames (every page written by eviction or sync, and
/// read back from the file), rewritten once, synced, checked on disk and
/// through the pool.
void round_trip(pool& p, file& f, const std::string& path, std::size_t ps) {
  constexpr pgno_t n = 16;
  for (pgno_t i = 0; i < n; ++i) write_page(f, i, kSeed, get_flags::new_page);
  for (pgno_t i = 0; i < n; i += 3) write_page(f, i, kSeed + 1, get_flags::dirty);
  ASSERT_OK(f.sync());
  for (pgno_t i = 0; i < n; ++i)
    EXPECT_TRUE(disk_page_has_pattern(path, i, ps, i % 3 == 0 ? kSeed + 1 : kSeed)) << i;
  for (pgno_t i = 0; i < n; ++i) EXPECT_TRUE(page_reads(f, i, i % 3 == 0 ? kSeed + 1 : kSeed)) << i;
  const file_stats s = stats_of(p, path);
  EXPECT_GE(s.page_out, n);
  EXPECT_GE(s.page_in, n - 3);
}

// spec: 003 open DB_DIRECT: pages round-trip through O_DIRECT I/O (eviction, sync, re-read)
TEST(DirectIo, RoundTripsPagesThroughEvictionAndSync) {
  temp_dir d;
  const dio_probe pr = probe_direct(d.path());
  if (!pr.supported)
    GTEST_SKIP() << "*** " << d.path() << " refuses O_DIRECT: DB_DIRECT cannot be tested here; "
                 << "set TMPDIR to a directory on ext4/xfs/btrfs ***";
  const std::string path = d.file("direct");
  auto p = make_pool(3, 4096);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::create | open_flags::direct, 4096);
  ASSERT_TRUE(f && f->is_open());
  const long fl = open_flags_of(path);
  ASSERT_NE(fl, -1) << "the pool holds no descriptor on " << path;
  EXPECT_NE(fl & O_DIRECT, 0) << "descriptor opened without O_DIRECT (flags " << std::oct << fl << ")";
  round_trip(*p, *f, path, 4096);
  EXPECT_TRUE(stats_of(*p, path).direct_io);
  EXPECT_EQ(p->stats().direct_fallbacks, 0u);
  EXPECT_OK(f->close());
  // And a file opened without the flag uses buffered I/O.
  auto g = open_file(*p, d.file("buffered"), open_flags::create, 4096);
  EXPECT_EQ(open_flags_of(d.file("buffered")) & O_DIRECT, 0);
  EXPECT_FALSE(stats_of(*p, d.file("buffered")).direct_io);
  EXPECT_OK(g->close());
}

/// A directory in /dev/shm (tmpfs), removed with the object; empty() if none.
struct shm_dir {
  std::filesystem::path path;
  shm_dir() {
    std::error_code ec;
    if (!std::filesystem::is_directory("/dev/shm", ec)) return;
    std::string tmpl = "/dev/shm/pagepool-dio-XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path = tmpl;
  }
  ~shm_dir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
  shm_dir(const shm_dir&) = delete;
  shm_dir& operator=(const shm_dir&) = delete;
};

/// Opens files with DB_DIRECT in `dir` at every page size: EINVAL, leaving no
/// file, below the probed alignment; a full round trip at and above it.
void check_page_sizes(const std::filesystem::path& dir, const dio_probe& pr) {
  for (std::size_t ps : {512u, 1024u, 2048u, 4096u}) {
    SCOPED_TRACE("page size " + std::to_string(ps) + ", alignment " + std::to_string(pr.offset_align));
    const std::string path = (dir / ("ps" + std::to_string(ps))).string();
    auto p = make_pool(3, ps);
    ASSERT_NE(p, nullptr);
    auto f = p->file_create();
    const std::error_code ec = f->open(path, open_flags::create | open_flags::direct, 0, ps);
    if (ps < pr.offset_align) {
      EXPECT_ERR(ec, std::errc::invalid_argument);
      EXPECT_FALSE(std::filesystem::exists(path)) << "a refused open left the file it created";
      EXPECT_FALSE(f->is_open());
    } else {
      ASSERT_OK(ec);
      EXPECT_NE(open_flags_of(path) & O_DIRECT, 0);
      round_trip(*p, *f, path, ps);
      EXPECT_OK(f->close());
    }
  }
}

// open (file.hpp, io/direct_io.hpp): with DB_DIRECT, a page size below the file
// system's direct-I/O alignment is EINVAL and leaves no file behind; every
// other page size round-trips.
TEST(DirectIo, PageSizesBelowTheAlignmentAreRefused) {
  temp_dir d;
  const dio_probe pr = probe_direct(d.path());
  if (!pr.supported)
    GTEST_SKIP() << "*** " << d.path() << " refuses O_DIRECT: DB_DIRECT cannot be tested here ***";
  check_page_sizes(d.path(), pr);
}

// The same on tmpfs, which (Linux 6.6 and later) takes O_DIRECT without
// reporting an alignment: st_blksize (4096) stands in, so smaller pages are
// refused there.
TEST(DirectIo, PageSizesOnTmpfsFollowItsBlockSize) {
  shm_dir d;
  if (d.path.empty()) GTEST_SKIP() << "*** no usable /dev/shm (tmpfs): not tested here ***";
  const dio_probe pr = probe_direct(d.path);
  if (!pr.supported)
    GTEST_SKIP() << "*** tmpfs refuses O_DIRECT on this kernel (before Linux 6.6): "
                 << "FileSystemWithoutODirectFallsBackToBufferedIo covers it ***";
  check_page_sizes(d.path, pr);
}

// spec: 003 open DB_DIRECT "if supported by the system": where the file system
// refuses O_DIRECT the file opens with buffered I/O, counted in
// direct_fallbacks; where it takes it, the file uses it. tmpfs is the file
// system that classically refuses (Linux before 6.6).
TEST(DirectIo, FileSystemWithoutODirectFallsBackToBufferedIo) {
  shm_dir d;
  if (d.path.empty()) GTEST_SKIP() << "*** no usable /dev/shm (tmpfs): the fallback is not tested here ***";
  const std::filesystem::path dir = d.path;
  const dio_probe pr = probe_direct(dir);
  const std::string path = (dir / "f").string();
  auto p = make_pool(3, 4096);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::create | open_flags::direct, 4096);
  ASSERT_TRUE(f && f->is_open());
  EXPECT_EQ(stats_of(*p, path).direct_io, pr.supported);
  EXPECT_EQ(p->stats().direct_fallbacks, pr.supported ? 0u : 1u);
  EXPECT_EQ((open_flags_of(path) & O_DIRECT) != 0, pr.supported);
  round_trip(*p, *f, path, 4096);
  EXPECT_OK(f->close());
}

// open (file.hpp): a read-only DB_DIRECT file is never served by mmap (a
// mapping is the OS cache the flag asks to bypass); pages come through reads.
TEST(DirectIo, ReadOnlyDirectFileIsReadNotMapped) {
  temp_dir d;
  const dio_probe pr = probe_direct(d.path());
  if (!pr.supported)
    GTEST_SKIP() << "*** " << d.path() << " refuses O_DIRECT: DB_DIRECT cannot be tested here ***";
  const std::string path = d.file("ro");
  write_file(path, 4, 4096, kSeed);
  pool_options o;
  o.cache_frames = 4;
  o.frame_size = 4096;
  o.mmap_size = 1u << 20;
  auto p = make_pool(o);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::rdonly | open_flags::direct, 4096);
  ASSERT_TRUE(f && f->is_open());
  for (pgno_t i = 0; i < 4; ++i) EXPECT_TRUE(page_reads(*f, i, kSeed)) << i;
  EXPECT_EQ(p->stats().map, 0u);
  EXPECT_EQ(stats_of(*p, path).page_in, 4u);
  EXPECT_OK(f->close());
}

}  // namespace
}  // namespace pagepool::apitest
