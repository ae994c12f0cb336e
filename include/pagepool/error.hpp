// pagepool/error.hpp: error codes of the pagepool API.
//
// Every fallible call returns a std::error_code. Conditions that Berkeley DB
// reports with an errno value (EINVAL, EACCES, ENOSPC, ENOMEM, EAGAIN, ENOENT,
// EIO, EBUSY) are reported in std::generic_category() with that same value, so
// callers compare them with std::errc:
//
//     if (ec == std::errc::invalid_argument) ...
//
// Conditions that Berkeley DB reports with its own negative codes have a
// pagepool::errc value in pagepool::category():
//
//     if (ec == pagepool::errc::page_not_found) ...
#pragma once

#include <system_error>

namespace pagepool {

/// pagepool's own conditions (BDB's negative DB_* codes).
enum class errc : int {
  /// The page does not exist and DB_MPOOL_CREATE was not given.
  /// BDB: DB_PAGE_NOTFOUND.
  page_not_found = 1,
  /// sync could not write some modified pages because they were pinned; the
  /// others were written. BDB: DB_INCOMPLETE (old API).
  incomplete = 2,
  /// A page read from the file failed its checksum (pagepool/checksum.hpp);
  /// the get changed nothing. BDB: a checksum error in its page-in, which
  /// returns DB_RUNRECOVERY (the C layer returns that too).
  page_corrupt = 3,
  /// A pool home's registry was made by another version of pagepool, or is
  /// not a registry at all (pool_options::home). BDB: DB_VERSION_MISMATCH.
  version_mismatch = 4,
};

/// The category of pagepool::errc values; its name() is "pagepool".
const std::error_category& category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

/// An errno value as an error_code in the generic category.
inline std::error_code errno_code(int value) noexcept {
  return {value, std::generic_category()};
}

}  // namespace pagepool

template <>
struct std::is_error_code_enum<pagepool::errc> : std::true_type {};
