// tests/api/api_util.hpp: helpers shared by the API conformance tests: pool and
// file construction, page patterns, and POSIX-level checks of disk contents
// (::open + ::pread, bypassing the pool).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "pagepool/pagepool.hpp"
#include "support/temp_dir.hpp"

namespace pagepool::apitest {

using pagepool::test::temp_dir;

inline std::string describe(const std::error_code& ec) {
  std::ostringstream os;
  os << ec.category().name() << ":" << ec.value() << " (" << ec.message() << ")";
  return os.str();
}

inline std::error_code as_code(std::errc e) { return std::make_error_code(e); }
inline std::error_code as_code(pagepool::errc e) { return pagepool::make_error_code(e); }

}  // namespace pagepool::apitest

namespace pagepool::apitest {

inline ::testing::AssertionResult ec_ok(const std::error_code& ec, const char* expr) {
  if (!ec) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << expr << " failed: " << describe(ec);
}

template <typename Cond>
::testing::AssertionResult ec_is(const std::error_code& ec, Cond cond, const char* expr) {
  if (ec == cond) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << expr << " returned " << describe(ec) << ", expected "
                                       << describe(as_code(cond));
}

}  // namespace pagepool::apitest

/// Checks that `expr` (a std::error_code) succeeded. Messages may be streamed.
#define EXPECT_OK(expr) EXPECT_TRUE(::pagepool::apitest::ec_ok((expr), #expr))
#define ASSERT_OK(expr) ASSERT_TRUE(::pagepool::apitest::ec_ok((expr), #expr))
/// Checks that `expr` returned the condition `cond` (std::errc or pagepool::errc).
#define EXPECT_ERR(expr, cond) EXPECT_TRUE(::pagepool::apitest::ec_is((expr), (cond), #expr))
#define ASSERT_ERR(expr, cond) ASSERT_TRUE(::pagepool::apitest::ec_is((expr), (cond), #expr))

namespace pagepool::apitest {

/// Runs a shell command and reads its standard output into `out`: its exit
/// status as pclose gives it (-1 if it could not start).
inline int run_command(const std::string& cmd, std::string& out) {
  out.clear();
  FILE* f = ::popen(cmd.c_str(), "r");
  if (f == nullptr) return -1;
  char buf[512];
  while (std::fgets(buf, sizeof buf, f) != nullptr) out += buf;
  return ::pclose(f);
}

/// A pool of exactly `frames` frames of `frame_size` bytes in `regions` regions.
inline std::unique_ptr<pool> make_pool(std::size_t frames, std::size_t frame_size = 4096,
                                       unsigned regions = 1) {
  pool_options o;
  o.cache_frames = frames;
  o.frame_size = frame_size;
  o.regions = regions;
  std::unique_ptr<pool> p;
  std::error_code ec = pool::create(o, p);
  EXPECT_FALSE(ec) << "pool::create: " << describe(ec);
  return p;
}

inline std::unique_ptr<pool> make_pool(const pool_options& o) {
  std::unique_ptr<pool> p;
  std::error_code ec = pool::create(o, p);
  EXPECT_FALSE(ec) << "pool::create: " << describe(ec);
  return p;
}

/// The deterministic byte at `i` of page `pgno` for pattern `seed`.
inline std::uint8_t pattern_byte(pgno_t pgno, std::size_t i, unsigned seed) {
  return static_cast<std::uint8_t>((pgno * 7u + i * 13u + seed * 101u + 1u) & 0xFFu);
}

inline void fill_page(void* page, std::size_t size, pgno_t pgno, unsigned seed) {
  auto* b = static_cast<std::uint8_t*>(page);
  for (std::size_t i = 0; i < size; ++i) b[i] = pattern_byte(pgno, i, seed);
}

inline std::vector<std::uint8_t> pattern_page(std::size_t size, pgno_t pgno, unsigned seed) {
  std::vector<std::uint8_t> v(size);
  fill_page(v.data(), size, pgno, seed);
  return v;
}

/// True if `page` holds pattern (pgno, seed).
inline bool page_has_pattern(const void* page, std::size_t size, pgno_t pgno, unsigned seed) {
  const auto* b = static_cast<const std::uint8_t*>(page);
  for (std::size_t i = 0; i < size; ++i)
    if (b[i] != pattern_byte(pgno, i, seed)) return false;
  return true;
}

inline bool all_bytes(const void* p, std::size_t n, std::uint8_t v) {
  const auto* b = static_cast<const std::uint8_t*>(p);
  for (std::size_t i = 0; i < n; ++i)
    if (b[i] != v) return false;
  return true;
}

/// Writes a file of `pages` pages, page p holding pattern (p, seed), with POSIX calls.
inline void write_file(const std::string& path, std::size_t pages, std::size_t page_size,
                       unsigned seed = 0, std::size_t extra_bytes = 0) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0) << "open " << path << ": " << std::strerror(errno);
  std::vector<std::uint8_t> buf(page_size);
  for (std::size_t p = 0; p < pages; ++p) {
    fill_page(buf.data(), page_size, static_cast<pgno_t>(p), seed);
    ASSERT_EQ(::pwrite(fd, buf.data(), page_size, static_cast<off_t>(p * page_size)),
              static_cast<ssize_t>(page_size));
  }
  if (extra_bytes != 0) {
    std::vector<std::uint8_t> tail(extra_bytes, 0xEE);
    ASSERT_EQ(::pwrite(fd, tail.data(), extra_bytes, static_cast<off_t>(pages * page_size)),
              static_cast<ssize_t>(extra_bytes));
  }
  ::close(fd);
}

/// Reads page `pgno` of `path` straight from the file system; empty if short.
inline std::vector<std::uint8_t> read_disk_page(const std::string& path, pgno_t pgno,
                                                std::size_t page_size) {
  std::vector<std::uint8_t> buf(page_size);
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return {};
  ssize_t n = ::pread(fd, buf.data(), page_size, static_cast<off_t>(pgno) * static_cast<off_t>(page_size));
  ::close(fd);
  if (n != static_cast<ssize_t>(page_size)) return {};
  return buf;
}

inline bool disk_page_has_pattern(const std::string& path, pgno_t pgno, std::size_t page_size,
                                  unsigned seed) {
  auto v = read_disk_page(path, pgno, page_size);
  return !v.empty() && page_has_pattern(v.data(), page_size, pgno, seed);
}

inline std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

/// Number of descriptors open in this process.
inline int count_fds() {
  int n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

/// A new handle on `path`, opened with `flags`; fails the test if open fails.
inline std::unique_ptr<file> open_file(pool& p, const std::optional<std::string>& path,
                                       open_flags flags, std::size_t page_size) {
  auto f = p.file_create();
  EXPECT_NE(f, nullptr);
  if (!f) return f;
  std::error_code ec = f->open(path, flags, 0, page_size);
  EXPECT_FALSE(ec) << "open " << path.value_or("<temp>") << ": " << describe(ec);
  return f;
}

inline pgno_t last_pgno(const file& f) {
  pgno_t p = 0xDEADBEEF;
  std::error_code ec = f.get_last_pgno(&p);
  EXPECT_FALSE(ec) << "get_last_pgno: " << describe(ec);
  return p;
}

/// Gets page `pgno` with `flags`, fills it with pattern (pgno, seed) and puts it dirty.
inline void write_page(file& f, pgno_t pgno, unsigned seed,
                       get_flags flags = get_flags::create | get_flags::dirty) {
  void* page = nullptr;
  pgno_t n = pgno;
  std::error_code ec = f.get(&n, flags, &page);
  ASSERT_FALSE(ec) << "get " << pgno << ": " << describe(ec);
  fill_page(page, f.page_size(), n, seed);
  ec = f.put(page, priority::unchanged, put_flags::dirty);
  ASSERT_FALSE(ec) << "put " << pgno << ": " << describe(ec);
}

/// Gets page `pgno` (no flags), checks pattern (pgno, seed), puts it.
inline ::testing::AssertionResult page_reads(file& f, pgno_t pgno, unsigned seed) {
  void* page = nullptr;
  pgno_t n = pgno;
  std::error_code ec = f.get(&n, get_flags::none, &page);
  if (ec) return ::testing::AssertionFailure() << "get " << pgno << ": " << describe(ec);
  bool ok = page_has_pattern(page, f.page_size(), pgno, seed);
  ec = f.put(page);
  if (ec) return ::testing::AssertionFailure() << "put " << pgno << ": " << describe(ec);
  if (!ok) return ::testing::AssertionFailure() << "page " << pgno << " has wrong contents";
  return ::testing::AssertionSuccess();
}

/// RAII umask setting.
class scoped_umask {
 public:
  explicit scoped_umask(mode_t m) : old_(::umask(m)) {}
  ~scoped_umask() { ::umask(old_); }
  scoped_umask(const scoped_umask&) = delete;
  scoped_umask& operator=(const scoped_umask&) = delete;

 private:
  mode_t old_;
};

}  // namespace pagepool::apitest
