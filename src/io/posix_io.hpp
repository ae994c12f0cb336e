// src/io/posix_io.hpp: whole-page reads and writes, and fsync, through the
// pool's io_backend (pagepool/io.hpp).
//
// A backend's pread/pwrite may transfer less than asked; these helpers loop
// over short transfers (and over -EINTR, should a backend pass it up). A read
// that meets the end of the file reports how much it got, so the caller can
// tell a missing page from an I/O error; a write that transfers nothing is
// EIO, as it would otherwise loop for ever. sync_fd and sync_dir obey the
// test-only switch of pagepool/testing.hpp (off by default). The POSIX backend itself,
// posix_io(), lives in posix_io.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>

#include "pagepool/io.hpp"

namespace pagepool::internal::io {

/// Reads up to len bytes at off into buf; *got receives the count (short only
/// at end of file). Errors are errno values.
std::error_code read_at(io_backend& b, int fd, void* buf, std::size_t len, std::uint64_t off,
                        std::size_t* got) noexcept;
/// Writes all len bytes at off.
std::error_code write_at(io_backend& b, int fd, const void* buf, std::size_t len,
                         std::uint64_t off) noexcept;
/// The backend's fsync, retried on EINTR.
std::error_code sync_fd(io_backend& b, int fd) noexcept;
/// The backend's fsync_dir of `dir`: 0 or -errno.
int sync_dir(io_backend& b, const std::string& dir) noexcept;

}  // namespace pagepool::internal::io
