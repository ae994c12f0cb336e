// testkit/stamp_file.hpp: files of stamped pages (page_stamp.hpp) on the
// disk, seen with POSIX calls that bypass the pool: writing one before a pool
// opens it, reading a page back with pread, and checking a whole file against
// the versions an oracle expects (the oracle's view of the disk after sync).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "pagepool/types.hpp"

namespace pagepool::testkit {

/// How the pages of a data file are stamped.
struct stamp_layout {
  std::size_t page_size = 4096;
  /// The last 4 bytes of every page are pagepool's CRC32C trailer
  /// (crc32c_trailer.hpp): the stamp covers all but the last word.
  bool crc32c_trailer = false;
  /// The file number in the stamps (page_stamp.hpp).
  std::uint16_t file_no = 0;

  /// The bytes of a page the stamp covers.
  [[nodiscard]] std::size_t stamp_bytes() const noexcept { return page_size - (crc32c_trailer ? 8 : 0); }
};

/// Reads page `pgno` of the file open as `fd` into `out` (page_size bytes,
/// 8-byte aligned) with pread, zeros past the end of the file (a page never
/// written); false on an I/O error (errno says which).
bool pread_page(int fd, pgno_t pgno, std::size_t page_size, void* out);

/// Creates (or truncates) `path` and writes `pages` pages of version
/// `version` with pwrite, trailers included; version 0 only sizes the file
/// (ftruncate: zeros). "" on success, else what failed.
std::string write_stamp_file(const std::string& path, std::size_t pages, std::uint64_t version,
                             const stamp_layout& layout);

/// What check_stamp_file found.
struct file_verdict {
  std::uint64_t pages = 0;  ///< pages read and checked
  std::uint64_t wrong = 0;  ///< pages not exactly their expected version (or not read)
  /// One line ("\n  ...") per wrong page, for the first few; "" if none.
  std::string report;
  [[nodiscard]] bool ok() const noexcept { return wrong == 0 && report.empty(); }
};

/// Reads pages 0 .. expected.size() - 1 of `path` with pread: each must hold
/// exactly version expected[pgno] (and a valid trailer, with one). Reports
/// the first `max_reported` wrong pages.
file_verdict check_stamp_file(const std::string& path, std::span<const std::uint64_t> expected,
                              const stamp_layout& layout, std::size_t max_reported = 8);

}  // namespace pagepool::testkit
