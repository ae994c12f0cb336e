// tests/concurrency/concurrency_support.hpp: what the concurrency tests share:
// seeds and time budgets that can be set from the environment, a failure log
// that worker threads write to instead of flooding gtest, and, on top of the
// test kit's version stamps and stamped files (testkit/page_stamp.hpp,
// testkit/stamp_file.hpp), an owner's write step and the oracle's view of the
// disk.
//
// Page format: the test kit's stamp. A page of version 0 is all zero bytes
// (what CREATE makes, or what a file pre-sized with ftruncate holds); every
// 8-byte word of a page of version v > 0 names its page and its version, so
// that a page that was torn, stale, or belongs to another page number is told
// apart from the page the oracle expects.
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
#include "testkit/page_stamp.hpp"
#include "testkit/stamp_file.hpp"

namespace pagepool::conctest {

using pagepool::test::temp_dir;
using testkit::stamp_mismatch;
using testkit::stamp_page;
using testkit::stamp_version;
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

// --- stamped pages, and the disk through POSIX ------------------------------------

/// Writes `pages` pages of stamp version `version` to `path` (created or
/// truncated; version 0 just sizes the file with ftruncate: all zeros).
inline void write_stamp_file(const std::string& path, std::size_t pages, std::size_t page_size,
                             std::uint64_t version) {
  ASSERT_EQ(testkit::write_stamp_file(path, pages, version, testkit::stamp_layout{page_size}), "");
}

/// One step of a writer that owns the pages pg with pg % threads == tid: gets
/// a random one of them to write, checks that it holds the version this
/// writer last stamped (over its first `stamped` bytes; `mine` is the
/// writer's oracle), stamps the next version and puts it. Returns false, with
/// the failure logged, if a call failed or the page was not as expected.
inline bool owned_stamp_step(file& f, std::size_t tid, std::size_t threads, std::size_t pages,
                             std::size_t stamped, std::vector<std::uint64_t>& mine,
                             std::mt19937& rng, failure_log& log) {
  const auto pg = static_cast<pgno_t>((rng() % (pages / threads)) * threads + tid);
  pgno_t n = pg;
  void* page = nullptr;
  if (auto ec = f.get(&n, get_flags::dirty, &page)) {
    log.fail(fail_msg() << "get " << pg << ": " << describe(ec));
    return false;
  }
  if (auto m = stamp_mismatch(page, stamped, pg, mine[pg]); !m.empty()) {
    log.fail(fail_msg() << m);
    (void)f.put(page);
    return false;
  }
  stamp_page(page, stamped, pg, ++mine[pg]);
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
    out.resize(page_size);
    return testkit::pread_page(fd_, pgno, page_size, out.data());
  }

  /// The stamp version on disk of page `pgno`. While the pool may be writing
  /// the same page, a pread can see a half-written page (POSIX does not make
  /// pread/pwrite atomic with respect to each other), so a torn result is read
  /// again, a bounded number of times.
  std::optional<std::uint64_t> version(pgno_t pgno, std::size_t page_size,
                                       std::vector<std::uint8_t>& buf, int attempts = 200) const {
    for (int i = 0; i < attempts; ++i) {
      if (!read(pgno, page_size, buf)) return std::nullopt;
      if (auto v = stamp_version(buf.data(), page_size, pgno)) return v;
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
  return testkit::check_stamp_file(path, oracle, testkit::stamp_layout{page_size}).report;
}

// --- pool and files -------------------------------------------------------------

/// A pool of exactly `frames` frames of `frame_size` bytes in `regions` regions.
/// A pool of `frames` frames; with a `region_home`, its memory is region
/// files there (pool_options::region_files).
inline std::unique_ptr<pool> make_pool(std::size_t frames, std::size_t frame_size,
                                       unsigned regions, const std::string& region_home = "") {
  pool_options o;
  o.cache_frames = frames;
  o.frame_size = frame_size;
  o.regions = regions;
  if (!region_home.empty()) {
    o.home = region_home;
    o.region_files = true;
    o.publish_period = std::chrono::milliseconds(0);
  }
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
