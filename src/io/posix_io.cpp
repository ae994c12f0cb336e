// src/io/posix_io.cpp
#include "io/posix_io.hpp"

#include <unistd.h>

#include <cerrno>

namespace pagepool::internal::io {

std::error_code read_at(int fd, void* buf, std::size_t len, off_t off, std::size_t* got) noexcept {
  std::size_t done = 0;
  while (done < len) {
    const ssize_t n = ::pread(fd, static_cast<char*>(buf) + done, len - done,
                              off + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      *got = done;
      return {errno, std::generic_category()};
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  *got = done;
  return {};
}

std::error_code write_at(int fd, const void* buf, std::size_t len, off_t off) noexcept {
  std::size_t done = 0;
  while (done < len) {
    const ssize_t n = ::pwrite(fd, static_cast<const char*>(buf) + done, len - done,
                               off + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return {errno, std::generic_category()};
    }
    if (n == 0) return {EIO, std::generic_category()};
    done += static_cast<std::size_t>(n);
  }
  return {};
}

std::error_code sync_fd(int fd) noexcept {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return {errno, std::generic_category()};
  }
  return {};
}

}  // namespace pagepool::internal::io
