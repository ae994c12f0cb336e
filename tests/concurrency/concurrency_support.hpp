// tests/concurrency/concurrency_support.hpp: what the concurrency tests share:
// a version-stamp page format that checks itself, POSIX-level file access that
// bypasses the pool (the oracle's view of the disk), seeds and time budgets
// that can be set from the environment, and a failure log that worker threads
// write to instead of flooding gtest.
//
// Page format ("stamp"): a page of version 0 is all zero bytes (what CREATE
// makes, or what a file pre-sized with ftruncate holds). A page of version
// v > 0 starts with a 16-byte header {magic, pgno, version} and every byte
// after it is a function of (pgno, version, offset), so that a page that was
// torn, stale, or belongs to another page number is told apart from the page
// the oracle expects.
//
// Environment:
//   PAGEPOOL_TEST_SEED   seed for every std::mt19937 in a test (else random;
//                        the seed is printed with every failure).
//   PAGEPOOL_TEST_SCALE  multiplies iteration counts (default 1; e.g. 0.25 for
//                        a slow sanitizer build, 10 for a long run).
//   PAGEPOOL_TEST_SECONDS  wall-time cap of each timed phase (default 2).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "pagepool/pagepool.hpp"
#include "support/temp_dir.hpp"

namespace pagepool::conctest {

using pagepool::test::temp_dir;
using clock_type = std::chrono::steady_clock;

inline std::string describe(const std::error_code& ec) {
  std::ostringstream os;
  os << ec.category().name() << ":" << ec.value() << " (" << ec.message() << ")";
  return os.str();
}

// --- environment ------------------------------------------------------------

/// The seed of this test: PAGEPOOL_TEST_SEED, else a fresh random one.
inline std::uint32_t test_seed() {
  if (const char* s = std::getenv("PAGEPOOL_TEST_SEED"); s != nullptr && *s != '\0')
    return static_cast<std::uint32_t>(std::strtoul(s, nullptr, 0));
  return std::random_device{}();
}

/// `n` times PAGEPOOL_TEST_SCALE, at least 1.
inline std::size_t scaled(std::size_t n) {
  double k = 1.0;
  if (const char* s = std::getenv("PAGEPOOL_TEST_SCALE"); s != nullptr && *s != '\0') {
    k = std::strtod(s, nullptr);
    if (!(k > 0.0)) k = 1.0;
  }
  auto v = static_cast<std::size_t>(static_cast<double>(n) * k);
  return v == 0 ? 1 : v;
}

/// The wall-time cap of one timed phase.
inline std::chrono::milliseconds phase_budget() {
  double secs = 2.0;
  if (const char* s = std::getenv("PAGEPOOL_TEST_SECONDS"); s != nullptr && *s != '\0') {
    secs = std::strtod(s, nullptr);
    if (!(secs > 0.0)) secs = 2.0;
  }
  return std::chrono::milliseconds(static_cast<long long>(secs * 1000.0));
}

// --- failures from worker threads ---------------------------------------------

/// Collects failures from any thread: keeps the first few messages, counts all,
/// and lets workers stop early once something went wrong.
class failure_log {
 public:
  explicit failure_log(std::uint32_t seed) : seed_(seed) {}

  void fail(const std::string& msg) {
    failed_.store(true, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mu_);
    ++count_;
    if (messages_.size() < kKept) messages_.push_back(msg);
  }
  [[nodiscard]] bool failed() const { return failed_.load(std::memory_order_relaxed); }

  /// Every message kept, with the seed, for a gtest failure message.
  [[nodiscard]] std::string report() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::ostringstream os;
    os << count_ << " failure(s), seed " << seed_ << " (rerun with PAGEPOOL_TEST_SEED=" << seed_
       << "):";
    for (const auto& m : messages_) os << "\n  " << m;
    if (count_ > messages_.size()) os << "\n  ... and " << (count_ - messages_.size()) << " more";
    return os.str();
  }
  [[nodiscard]] std::uint32_t seed() const { return seed_; }

 private:
  static constexpr std::size_t kKept = 12;
  std::uint32_t seed_;
  std::atomic<bool> failed_{false};
  mutable std::mutex mu_;
  std::size_t count_ = 0;
  std::vector<std::string> messages_;
};

/// Builds a failure message from stream insertions: fail_msg() << "x " << 1.
class fail_msg {
 public:
  template <typename T>
  fail_msg& operator<<(const T& v) {
    os_ << v;
    return *this;
  }
  operator std::string() const { return os_.str(); }  // NOLINT(google-explicit-constructor)
  [[nodiscard]] std::string str() const { return os_.str(); }

 private:
  std::ostringstream os_;
};

// --- the stamp page format ----------------------------------------------------

inline constexpr std::uint32_t kStampMagic = 0x50475053u;  // "SPGP"
inline constexpr std::size_t kHeaderBytes = 16;

struct stamp_header {
  std::uint32_t magic;
  std::uint32_t pgno;
  std::uint64_t version;
};
static_assert(sizeof(stamp_header) == kHeaderBytes);

/// Fills `page` with the stamp of (pgno, version); version 0 is all zeros.
inline void fill_stamp(void* page, std::size_t size, pgno_t pgno, std::uint64_t version) {
  auto* b = static_cast<std::uint8_t*>(page);
  if (version == 0) {
    std::memset(b, 0, size);
    return;
  }
  stamp_header h{kStampMagic, pgno, version};
  std::memcpy(b, &h, sizeof h);
  // A splitmix-style word per (pgno, version), cycled through the body; the
  // offset term makes every 8-byte block of the body distinct.
  std::uint64_t x = (static_cast<std::uint64_t>(pgno) << 32) ^ version;
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  x ^= x >> 31;
  for (std::size_t i = kHeaderBytes; i < size; ++i)
    b[i] = static_cast<std::uint8_t>((x >> ((i & 7u) * 8u)) + (i >> 3));
}

/// The stamp image of (pgno, version), `size` bytes.
inline std::vector<std::uint8_t> stamp_image(std::size_t size, pgno_t pgno, std::uint64_t version) {
  std::vector<std::uint8_t> v(size);
  fill_stamp(v.data(), size, pgno, version);
  return v;
}

/// The version a page holds if it is a whole, self-consistent stamp of page
/// `pgno` (0 for an all-zero page); std::nullopt if it is torn or garbage.
/// `scratch` is reused between calls to avoid allocation.
inline std::optional<std::uint64_t> stamp_version(const void* page, std::size_t size, pgno_t pgno,
                                                  std::vector<std::uint8_t>& scratch) {
  stamp_header h{};
  std::memcpy(&h, page, sizeof h);
  std::uint64_t v = 0;
  if (h.magic == 0 && h.pgno == 0 && h.version == 0) {
    v = 0;
  } else if (h.magic == kStampMagic && h.pgno == pgno && h.version != 0) {
    v = h.version;
  } else {
    return std::nullopt;
  }
  scratch.resize(size);
  fill_stamp(scratch.data(), size, pgno, v);
  if (std::memcmp(scratch.data(), page, size) != 0) return std::nullopt;
  return v;
}

/// Explains how `page` differs from the stamp (pgno, expected); "" if it does not.
inline std::string stamp_mismatch(const void* page, std::size_t size, pgno_t pgno,
                                  std::uint64_t expected, std::vector<std::uint8_t>& scratch) {
  scratch.resize(size);
  fill_stamp(scratch.data(), size, pgno, expected);
  if (std::memcmp(scratch.data(), page, size) == 0) return {};
  stamp_header h{};
  std::memcpy(&h, page, sizeof h);
  const auto* b = static_cast<const std::uint8_t*>(page);
  std::size_t first = 0;
  while (first < size && b[first] == scratch[first]) ++first;
  std::vector<std::uint8_t> tmp;
  auto self = stamp_version(page, size, pgno, tmp);
  std::ostringstream os;
  os << "page " << pgno << ": expected version " << expected << ", found header {magic 0x"
     << std::hex << h.magic << std::dec << ", pgno " << h.pgno << ", version " << h.version
     << "}, first differing byte at offset " << first << "; the page "
     << (self ? "is a whole stamp of version " + std::to_string(*self)
              : std::string("is not a self-consistent stamp (torn or foreign)"));
  return os.str();
}

// --- the disk, through POSIX ----------------------------------------------------

/// Writes `pages` pages of stamp version `version` to `path` (created/truncated).
/// Version 0 just sizes the file with ftruncate (all zeros).
inline void write_stamp_file(const std::string& path, std::size_t pages, std::size_t page_size,
                             std::uint64_t version) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0) << "open " << path << ": " << std::strerror(errno);
  if (version == 0) {
    ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(pages * page_size)), 0) << std::strerror(errno);
  } else {
    std::vector<std::uint8_t> buf(page_size);
    for (std::size_t p = 0; p < pages; ++p) {
      fill_stamp(buf.data(), page_size, static_cast<pgno_t>(p), version);
      ASSERT_EQ(::pwrite(fd, buf.data(), page_size, static_cast<off_t>(p * page_size)),
                static_cast<ssize_t>(page_size))
          << std::strerror(errno);
    }
  }
  ASSERT_EQ(::close(fd), 0);
}

/// One step of a writer that owns the pages pg with pg % threads == tid: gets
/// a random one of them to write, checks that it holds the version this
/// writer last stamped (over its first `stamped` bytes; `mine` is the
/// writer's oracle), stamps the next version and puts it. Returns false, with
/// the failure logged, if a call failed or the page was not as expected.
inline bool owned_stamp_step(file& f, std::size_t tid, std::size_t threads, std::size_t pages,
                             std::size_t stamped, std::vector<std::uint64_t>& mine,
                             std::mt19937& rng, std::vector<std::uint8_t>& scratch,
                             failure_log& log) {
  const auto pg = static_cast<pgno_t>((rng() % (pages / threads)) * threads + tid);
  pgno_t n = pg;
  void* page = nullptr;
  if (auto ec = f.get(&n, get_flags::dirty, &page)) {
    log.fail(fail_msg() << "get " << pg << ": " << describe(ec));
    return false;
  }
  const auto v = stamp_version(page, stamped, pg, scratch);
  if (!v || *v != mine[pg]) {
    log.fail(fail_msg() << "page " << pg << ": " << stamp_mismatch(page, stamped, pg, mine[pg], scratch));
    (void)f.put(page);
    return false;
  }
  fill_stamp(page, stamped, pg, ++mine[pg]);
  if (auto ec = f.put(page)) {
    log.fail(fail_msg() << "put " << pg << ": " << describe(ec));
    return false;
  }
  return true;
}

inline std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

/// A read-only descriptor on a file, for the oracle's view of the disk.
class disk_reader {
 public:
  explicit disk_reader(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY)) {}
  ~disk_reader() {
    if (fd_ >= 0) ::close(fd_);
  }
  disk_reader(const disk_reader&) = delete;
  disk_reader& operator=(const disk_reader&) = delete;
  [[nodiscard]] bool ok() const { return fd_ >= 0; }

  /// Reads page `pgno`; bytes past the end of the file read as zeros (a hole or
  /// a page never written). Returns false on an I/O error.
  bool read(pgno_t pgno, std::size_t page_size, std::vector<std::uint8_t>& out) const {
    out.assign(page_size, 0);
    std::size_t done = 0;
    while (done < page_size) {
      ssize_t n = ::pread(fd_, out.data() + done, page_size - done,
                          static_cast<off_t>(pgno) * static_cast<off_t>(page_size) +
                              static_cast<off_t>(done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      if (n == 0) break;  // end of file: the rest stays zero
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  /// The stamp version on disk of page `pgno`. While the pool may be writing
  /// the same page, a pread can see a half-written page (POSIX does not make
  /// pread/pwrite atomic with respect to each other), so a torn result is read
  /// again, a bounded number of times.
  std::optional<std::uint64_t> version(pgno_t pgno, std::size_t page_size,
                                       std::vector<std::uint8_t>& buf,
                                       std::vector<std::uint8_t>& scratch,
                                       int attempts = 200) const {
    for (int i = 0; i < attempts; ++i) {
      if (!read(pgno, page_size, buf)) return std::nullopt;
      if (auto v = stamp_version(buf.data(), page_size, pgno, scratch)) return v;
      std::this_thread::yield();
    }
    return std::nullopt;
  }

 private:
  int fd_;
};

/// Checks that every page of `path` holds exactly the version `oracle` gives it.
/// Returns "" or a description of the first few differences.
inline std::string check_disk(const std::string& path, std::size_t page_size,
                              const std::vector<std::uint64_t>& oracle) {
  disk_reader d(path);
  if (!d.ok()) return "cannot open " + path + ": " + std::strerror(errno);
  std::vector<std::uint8_t> buf, scratch;
  std::ostringstream os;
  int bad = 0;
  for (std::size_t p = 0; p < oracle.size(); ++p) {
    if (!d.read(static_cast<pgno_t>(p), page_size, buf)) {
      os << "\n  pread of page " << p << " failed: " << std::strerror(errno);
      if (++bad >= 8) break;
      continue;
    }
    auto m = stamp_mismatch(buf.data(), page_size, static_cast<pgno_t>(p), oracle[p], scratch);
    if (!m.empty()) {
      os << "\n  on disk: " << m;
      if (++bad >= 8) break;
    }
  }
  return os.str();
}

// --- pool and files -------------------------------------------------------------

/// A pool of exactly `frames` frames of `frame_size` bytes in `regions` regions.
inline std::unique_ptr<pool> make_pool(std::size_t frames, std::size_t frame_size,
                                       unsigned regions) {
  pool_options o;
  o.cache_frames = frames;
  o.frame_size = frame_size;
  o.regions = regions;
  std::unique_ptr<pool> p;
  std::error_code ec = pool::create(o, p);
  EXPECT_FALSE(ec) << "pool::create(" << frames << " frames, " << frame_size << " bytes, "
                   << regions << " regions): " << describe(ec);
  if (ec) p.reset();
  return p;
}

/// A new handle on `path` opened read-write (created if missing); nullptr, with a
/// test failure, if that fails.
inline std::unique_ptr<file> open_rw(pool& p, const std::string& path, std::size_t page_size,
                                     open_flags extra = open_flags::none) {
  auto f = p.file_create();
  EXPECT_NE(f, nullptr) << "file_create";
  if (!f) return f;
  std::error_code ec = f->open(path, open_flags::create | extra, 0, page_size);
  EXPECT_FALSE(ec) << "open " << path << ": " << describe(ec);
  if (ec) f.reset();
  return f;
}

/// The milliseconds since `t0`.
inline long long ms_since(clock_type::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
}

}  // namespace pagepool::conctest
