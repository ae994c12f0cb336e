// pagepool/types.hpp: vocabulary types shared by the whole API: page numbers,
// log sequence numbers, priorities, the file identifier and the flag sets of
// open / get / put / set, mirroring Berkeley DB's DB_MPOOL_* names.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <type_traits>

namespace pagepool {

/// Page number; pages are numbered from 0. BDB: db_pgno_t.
using pgno_t = std::uint32_t;

/// Length of a file's unique identifier. BDB: DB_FILE_ID_LEN.
inline constexpr std::size_t file_id_len = 20;

/// A file's unique identifier. BDB: u_int8_t fileid[DB_FILE_ID_LEN].
using file_id = std::array<std::uint8_t, file_id_len>;

/// Log sequence number, stored in a page at the file's lsn_offset as two
/// native-endian 32-bit words (file, offset). BDB: DB_LSN.
struct lsn {
  std::uint32_t file = 0;
  std::uint32_t offset = 0;
  friend constexpr auto operator<=>(const lsn&, const lsn&) = default;
};

/// Cache priority of a page when it is unpinned. BDB: DB_CACHE_PRIORITY.
/// How each eviction policy applies it is in pool.hpp ("Priorities").
enum class priority : int {
  unchanged = 0,  ///< use the file's priority. BDB: DB_PRIORITY_UNCHANGED
  very_low = 1,   ///< evicted first. BDB: DB_PRIORITY_VERY_LOW
  low = 2,        ///< BDB: DB_PRIORITY_LOW
  normal = 3,     ///< the default. BDB: DB_PRIORITY_DEFAULT
  high = 4,       ///< BDB: DB_PRIORITY_HIGH
  very_high = 5,  ///< kept longest. BDB: DB_PRIORITY_VERY_HIGH
};

/// Flags of file::open. Values are BDB 5.3's, so that the compatibility layer
/// passes them through. BDB: DB_MPOOLFILE->open flags.
enum class open_flags : std::uint32_t {
  none = 0,
  create = 0x1,         ///< create the file if missing. BDB: DB_CREATE
  nommap = 0x10,        ///< never serve this file by mmap. BDB: DB_NOMMAP
  direct = 0x20,        ///< O_DIRECT where supported (file.hpp, open). BDB: DB_DIRECT
  oddfilesize = 0x80,   ///< ignore a trailing partial page. BDB: DB_ODDFILESIZE
  rdonly = 0x400,       ///< read-only. BDB: DB_RDONLY
};

/// Flags of file::get. At most one of create, last and new_page.
/// BDB: DB_MPOOLFILE->get flags.
enum class get_flags : std::uint32_t {
  none = 0,
  create = 0x1,     ///< create the page if missing. BDB: DB_MPOOL_CREATE
  dirty = 0x2,      ///< the page will be modified. BDB: DB_MPOOL_DIRTY
  edit = 0x4,       ///< as dirty (no MVCC copy here). BDB: DB_MPOOL_EDIT
  last = 0x10,      ///< the file's last page. BDB: DB_MPOOL_LAST
  new_page = 0x20,  ///< a new page past the end. BDB: DB_MPOOL_NEW
};

/// Flags of file::put and file::set. clean and dirty exclude each other.
/// BDB: DB_MPOOLFILE->put / set flags.
enum class put_flags : std::uint32_t {
  none = 0,
  clean = 0x1,    ///< forget modifications. BDB: DB_MPOOL_CLEAN
  dirty = 0x2,    ///< the page was modified. BDB: DB_MPOOL_DIRTY
  discard = 0x4,  ///< unlikely to be used again soon. BDB: DB_MPOOL_DISCARD
};

/// Flags of file::set_flags. BDB: DB_MPOOLFILE->set_flags.
enum class file_flags : std::uint32_t {
  none = 0,
  /// In memory only: never read from or written to a file and never evicted;
  /// creating a page once every frame holds one fails with ENOMEM. A named
  /// file is shared by name and keeps its pages after its last close, until
  /// the pool closes (or unlink drops them). Before open only.
  /// BDB: DB_MPOOL_NOFILE
  nofile = 0x1,
  /// Remove the file (and drop its pages unwritten) when its last handle
  /// closes. Any time. BDB: DB_MPOOL_UNLINK
  unlink = 0x2,
};

template <typename E>
concept flag_enum = std::is_same_v<E, open_flags> || std::is_same_v<E, get_flags> ||
                    std::is_same_v<E, put_flags> || std::is_same_v<E, file_flags>;

template <flag_enum E>
constexpr E operator|(E a, E b) noexcept {
  return static_cast<E>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
template <flag_enum E>
constexpr E operator&(E a, E b) noexcept {
  return static_cast<E>(static_cast<std::uint32_t>(a) & static_cast<std::uint32_t>(b));
}
template <flag_enum E>
constexpr E& operator|=(E& a, E b) noexcept {
  return a = a | b;
}
/// True when any bit of `bits` is set in `flags`.
template <flag_enum E>
constexpr bool any(E flags, E bits) noexcept {
  return (static_cast<std::uint32_t>(flags) & static_cast<std::uint32_t>(bits)) != 0;
}

/// Page-in / page-out callback for a file type: called with the page number,
/// the page, and the file's pgcookie; returns 0 or an errno-style value that
/// fails the get or write that called it. BDB: memp_register's pgin_fcn and
/// pgout_fcn (the DB_ENV argument is the compatibility layer's to add).
using page_io_fn = std::function<int(pgno_t pgno, void* page, std::span<const std::byte> cookie)>;

/// Log-flush callback for the write-ahead rule: makes the log durable up to
/// and including `upto`; returns 0 or an errno-style value.
using log_flush_fn = std::function<int(const lsn& upto)>;

}  // namespace pagepool
