// src/io/direct_io.cpp: the O_DIRECT alignment of a descriptor (see
// direct_io.hpp for why st_blksize is the fallback).
#include "io/direct_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>

namespace pagepool::internal {

direct_io_alignment direct_io_alignment_of(int fd) noexcept {
  direct_io_alignment a;
#if defined(STATX_DIOALIGN)
  struct statx sx {};
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 && (sx.stx_mask & STATX_DIOALIGN) != 0 &&
      sx.stx_dio_offset_align != 0) {
    a.offset = sx.stx_dio_offset_align;
    a.memory = sx.stx_dio_mem_align;
    return a;
  }
#endif
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_blksize > 0) {
    // No block device has a logical block above the 4 KiB memory page, so
    // a larger st_blksize (NFS, some XFS setups report 64 KiB or more) is a
    // preferred size, not a requirement.
    a.offset = static_cast<std::size_t>(st.st_blksize) < 4096 ? static_cast<std::size_t>(st.st_blksize) : 4096;
    a.memory = a.offset;
  }
  return a;
}

}  // namespace pagepool::internal
