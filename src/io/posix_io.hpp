// src/io/posix_io.hpp: whole-page reads and writes on a descriptor.
//
// pread/pwrite loop over EINTR and short transfers; a read that meets the end
// of the file reports how much it got, so the caller can tell a missing page
// from an I/O error.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <system_error>

namespace pagepool::internal::io {

/// Reads up to len bytes at off into buf; *got receives the count (short only
/// at end of file). Errors are errno values.
std::error_code read_at(int fd, void* buf, std::size_t len, off_t off, std::size_t* got) noexcept;
/// Writes all len bytes at off.
std::error_code write_at(int fd, const void* buf, std::size_t len, off_t off) noexcept;
/// fsync(2), retried on EINTR.
std::error_code sync_fd(int fd) noexcept;

}  // namespace pagepool::internal::io
