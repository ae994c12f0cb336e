// pagepool/checksum.hpp: built-in CRC32C page checksums for a file type.
//
// register_checksum(pool, ftype, options) installs, for every file of type
// `ftype`, a page-out that stamps a CRC32C into each page as it is written and
// a page-in that verifies it as the page is read back. The 4-byte field lives
// at the end of the page (place::trailer) or at a fixed byte offset
// (place::offset); the CRC32C (Castagnoli polynomial, as iSCSI, ext4 and
// RocksDB use) covers every other byte of the page and is stored little-endian
// whatever the host's byte order, so files move between machines.
//
// Composition with the application's own page-in / page-out. The checksum
// pair wraps the functions passed to register_checksum:
//
//   write:  application pgout (on the write-back copy) -> stamp CRC -> pwrite
//   read:   pread -> verify CRC -> application pgin
//
// so the checksum always covers the bytes as they are on disk. A later
// pool::register_page_io for the same type replaces the whole entry, checksum
// included (and a later register_checksum replaces that); there is one entry
// per type, as in BDB's memp_register. The field's 4 bytes belong to the pool:
// a page written through it has them overwritten in the copy that goes to
// disk (the page in memory is left as the application has it).
//
// What verifies. A page read from the file is valid when the stored field
// equals the CRC of the other bytes, or when the whole page, field included,
// is zero: a page never written (a hole, a file extended by ftruncate, a page
// BDB-style preallocated with zeros) is not corruption. Pages made in memory
// (new_page, create past the end) are not checked: they were never on disk.
// A file written before checksums were enabled fails verification: rewrite
// it through the pool first.
//
// A page that fails. The get fails with errc::page_corrupt, and nothing of the
// attempt stays: the frame read into goes back to the free list, nothing is
// pinned, no page-in runs, and a later get reads the page from the file again
// (and fails again while it is corrupt). Each failure counts in
// pool_stats::checksum_failures and file_stats::checksum_failures. The BDB C
// layer returns DB_RUNRECOVERY for it, as Berkeley DB's own page-in does for a
// checksum error ("catastrophic recovery required"); unlike Berkeley DB it
// does not panic the environment: other pages stay usable.
//
// A field that does not fit the page (offset + 4 > the file's page size) is
// found when a page of such a file is read or written: that get or write
// fails with EINVAL. A read-only file of a checksummed type opened after the
// registration is never served by mmap (pages must pass the page-in); as for
// any page-in, one mapped before it stays mapped until it closes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <system_error>

#include "pagepool/types.hpp"

namespace pagepool {

class pool;

/// Where a page's 4-byte checksum lives.
struct checksum_options {
  enum class place {
    trailer,  ///< the last 4 bytes of the page
    offset,   ///< bytes [offset, offset + 4)
  };
  place where = place::trailer;
  /// Byte offset of the field, for place::offset.
  std::size_t offset = 0;
};

/// Registers the checksum pair for files of type `ftype` (1..127), wrapping
/// the application's `pgin` / `pgout` (either may be empty). Replaces whatever
/// was registered for the type. EINVAL for a type out of range, an unknown
/// place, or a place::offset field that fits no page of any size
/// (offset + 4 > 65536; a field past a file's own page size fails that file's
/// page I/O with EINVAL); ENOMEM if the entry cannot be allocated. Nothing
/// changes on error.
[[nodiscard]] std::error_code register_checksum(pool& p, int ftype, const checksum_options& options,
                                                page_io_fn pgin = {}, page_io_fn pgout = {}) noexcept;

/// CRC32C of `n` bytes at `data`, continuing from `crc` (0 to start):
/// crc32c(b, n2, crc32c(a, n1)) is the CRC of a followed by b. Uses the SSE4.2
/// crc32 instruction when the CPU has it, a table otherwise.
[[nodiscard]] std::uint32_t crc32c(const void* data, std::size_t n, std::uint32_t crc = 0) noexcept;

}  // namespace pagepool
