// src/io/direct_io.hpp: what O_DIRECT (DB_DIRECT) asks of a file's transfers.
//
// With O_DIRECT, Linux requires every transfer's file offset and length to be
// multiples of the file's direct-I/O offset alignment (the device's logical
// block size: 512 or 4096 bytes), and its buffer address to be a multiple of
// the memory alignment. statx(STATX_DIOALIGN) reports both on Linux 6.1 and
// later. Where it does not (older kernels, file systems that do not fill it
// in), the file system's block size st_blksize, capped at 4096, stands in for
// both: it is a multiple of the logical block size on every Linux file
// system, and no logical block exceeds 4096, so it is never too small, only
// sometimes stricter than needed.
//
// How pagepool meets them (file_registry.cpp checks at open):
//   - offsets and lengths: a page is read and written whole, at pgno * page
//     size, so a page size (a power of two) at least the offset alignment
//     makes both multiples of it; a smaller page size is refused (EINVAL).
//   - buffers: reads land in the page's frame, which the region places at a
//     multiple of min(frame_size, 4096) (region.hpp); writes go from the
//     per-thread scratch copy (scratch_page), 4096-aligned. A memory
//     alignment above min(frame_size, 4096) is refused (EINVAL).
#pragma once

#include <cstddef>

namespace pagepool::internal {

struct direct_io_alignment {
  std::size_t offset = 0;  ///< file offsets and lengths are multiples of this
  std::size_t memory = 0;  ///< buffer addresses are multiples of this
};

/// The alignment O_DIRECT transfers on `fd` need; zeros if it cannot be told.
direct_io_alignment direct_io_alignment_of(int fd) noexcept;

}  // namespace pagepool::internal
