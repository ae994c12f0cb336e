// src/io/posix_io.cpp: the POSIX io_backend (pagepool::posix_io()) and the
// loops that turn a backend's possibly short transfers into whole pages, and
// the test-only switch (pagepool/testing.hpp) that drops the pool's fsyncs.
#include "io/posix_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "pagepool/testing.hpp"

namespace pagepool {

namespace {

/// The POSIX calls, EINTR retried. Stateless: one instance serves every pool.
class posix_backend final : public io_backend {
 public:
  int open(const std::string& path, int flags, int mode) noexcept override {
    for (;;) {
      const int fd = ::open(path.c_str(), flags, mode);
      if (fd >= 0) return fd;
      if (errno != EINTR) return -errno;
    }
  }
  int close(int fd) noexcept override {
    // No retry on EINTR: on Linux the descriptor is gone whatever close says.
    return ::close(fd) == 0 ? 0 : -errno;
  }
  std::int64_t pread(int fd, void* buf, std::size_t len, std::uint64_t off) noexcept override {
    for (;;) {
      const ssize_t n = ::pread(fd, buf, len, static_cast<off_t>(off));
      if (n >= 0) return n;
      if (errno != EINTR) return -errno;
    }
  }
  std::int64_t pwrite(int fd, const void* buf, std::size_t len,
                      std::uint64_t off) noexcept override {
    for (;;) {
      const ssize_t n = ::pwrite(fd, buf, len, static_cast<off_t>(off));
      if (n >= 0) return n;
      if (errno != EINTR) return -errno;
    }
  }
  int fsync(int fd) noexcept override {
    for (;;) {
      if (::fsync(fd) == 0) return 0;
      if (errno != EINTR) return -errno;
    }
  }
  int fsync_dir(const std::string& dir) noexcept override {
    const int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) return fd;
    const int rc = fsync(fd);
    (void)::close(fd);
    return rc;
  }
  int fstat(int fd, io_file_info& out) noexcept override {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return -errno;
    out.size = static_cast<std::uint64_t>(st.st_size);
    out.dev = static_cast<std::uint64_t>(st.st_dev);
    out.ino = static_cast<std::uint64_t>(st.st_ino);
    out.directory = S_ISDIR(st.st_mode);
    return 0;
  }
  int ftruncate(int fd, std::uint64_t len) noexcept override {
    for (;;) {
      if (::ftruncate(fd, static_cast<off_t>(len)) == 0) return 0;
      if (errno != EINTR) return -errno;
    }
  }
  int unlink(const std::string& path) noexcept override {
    return ::unlink(path.c_str()) == 0 ? 0 : -errno;
  }
  [[nodiscard]] bool mappable() const noexcept override { return true; }
};

}  // namespace

std::shared_ptr<io_backend> posix_io() noexcept {
  // One stateless instance for the process. The aliasing constructor gives a
  // pointer that owns nothing: no allocation, and nothing to free at exit
  // while a pool in a static object might still use it.
  static posix_backend instance;
  return std::shared_ptr<io_backend>(std::shared_ptr<io_backend>(), &instance);
}

}  // namespace pagepool

namespace pagepool::testing {

namespace {
// The switch of pagepool/testing.hpp. relaxed: a harness sets it before it
// starts a workload (thread creation orders it); nothing is published
// through it.
std::atomic<unsigned> mutation{0};
}  // namespace

void set_io_mutation(io_mutation m) noexcept {
  mutation.store(static_cast<unsigned>(m), std::memory_order_relaxed);
}

io_mutation get_io_mutation() noexcept {
  return static_cast<io_mutation>(mutation.load(std::memory_order_relaxed));
}

}  // namespace pagepool::testing

namespace pagepool::internal::io {

std::error_code read_at(io_backend& b, int fd, void* buf, std::size_t len, std::uint64_t off,
                        std::size_t* got) noexcept {
  std::size_t done = 0;
  while (done < len) {
    const std::int64_t n = b.pread(fd, static_cast<char*>(buf) + done, len - done, off + done);
    if (n < 0) {
      if (n == -EINTR) continue;
      *got = done;
      return {static_cast<int>(-n), std::generic_category()};
    }
    if (n == 0) break;  // end of file
    done += static_cast<std::size_t>(n);
  }
  *got = done;
  return {};
}

std::error_code write_at(io_backend& b, int fd, const void* buf, std::size_t len,
                         std::uint64_t off) noexcept {
  std::size_t done = 0;
  while (done < len) {
    const std::int64_t n =
        b.pwrite(fd, static_cast<const char*>(buf) + done, len - done, off + done);
    if (n < 0) {
      if (n == -EINTR) continue;
      return {static_cast<int>(-n), std::generic_category()};
    }
    if (n == 0) return {EIO, std::generic_category()};
    done += static_cast<std::size_t>(n);
  }
  return {};
}

std::error_code sync_fd(io_backend& b, int fd) noexcept {
  if (testing::get_io_mutation() == testing::io_mutation::skip_fsync) return {};  // test only
  for (;;) {
    const int rc = b.fsync(fd);
    if (rc == 0) return {};
    if (rc != -EINTR) return {-rc, std::generic_category()};
  }
}

int sync_dir(io_backend& b, const std::string& dir) noexcept {
  if (testing::get_io_mutation() == testing::io_mutation::skip_dir_fsync) return 0;  // test only
  return b.fsync_dir(dir);
}

}  // namespace pagepool::internal::io
