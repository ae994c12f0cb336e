// pagepool/io.hpp: the I/O seam. Every file operation a pool performs (open,
// create, read, write, fsync of a file and of its directory, size queries,
// unlink, close) goes through one io_backend, given in pool_options::io.
//
// Two backends come with the library:
//   posix_io()       the default: the POSIX calls on kernel descriptors. The
//                    only backend whose descriptors mmap(2) can map, so the
//                    only one under which read-only files are served by mmap
//                    (pool_options::mmap_size); with any other backend every
//                    page is read through pread.
//   make_memory_io() files that live in memory: a map path -> sparse file of
//                    fixed-size chunks (holes read as zeros). For tests and
//                    benchmarks that must not touch a disk; nothing survives
//                    the backend object.
// A backend of one's own (fault injection, a remote store, O_DIRECT with
// io_uring) implements the abstract class below. Tests wrap a backend to
// inject errors (tests/support/fault_io.hpp).
//
// Calling convention: errno style, no exceptions. A call returns a
// non-negative value on success and -errno on failure (-EIO, -ENOSPC, ...).
// pread and pwrite may transfer fewer bytes than asked (a short count, 0 at
// the end of the file for pread); callers loop. A pwrite that transfers
// nothing (returns 0) is taken as EIO by the pool.
//
// Thread safety: every method may be called from many threads at once, on the
// same descriptor too (pread/pwrite at different offsets). A descriptor is
// never closed by the pool while another call uses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace pagepool {

/// What io_backend::fstat reports about an open file.
struct io_file_info {
  std::uint64_t size = 0;  ///< length in bytes
  std::uint64_t dev = 0;   ///< device and inode: the file's identity, from
  std::uint64_t ino = 0;   ///< which the pool derives its default file_id
  bool directory = false;  ///< the descriptor names a directory
};

/// The I/O a pool performs. Flags and modes are those of open(2): O_RDONLY or
/// O_RDWR, with O_CREAT, O_EXCL, O_TRUNC, O_CLOEXEC and O_DIRECT (a backend
/// that cannot honour O_DIRECT may ignore it, or refuse it with -EINVAL: the
/// pool then opens without it).
class io_backend {
 public:
  virtual ~io_backend() = default;

  /// open(2): a descriptor (>= 0) or -errno.
  virtual int open(const std::string& path, int flags, int mode) noexcept = 0;
  /// close(2): 0 or -errno; the descriptor is gone either way.
  virtual int close(int fd) noexcept = 0;
  /// pread(2): bytes read (short at end of file, 0 past it) or -errno.
  virtual std::int64_t pread(int fd, void* buf, std::size_t len, std::uint64_t off) noexcept = 0;
  /// pwrite(2): bytes written (possibly short) or -errno.
  virtual std::int64_t pwrite(int fd, const void* buf, std::size_t len,
                              std::uint64_t off) noexcept = 0;
  /// fsync(2): 0 or -errno. After a failure the pool never trusts a later
  /// success on the same file (see file::sync).
  virtual int fsync(int fd) noexcept = 0;
  /// Makes the directory `dir` durable (its entries: a file created in it),
  /// as open(dir, O_RDONLY | O_DIRECTORY) + fsync + close does: 0 or -errno.
  virtual int fsync_dir(const std::string& dir) noexcept = 0;
  /// fstat(2), the parts the pool uses: 0 or -errno.
  virtual int fstat(int fd, io_file_info& out) noexcept = 0;
  /// ftruncate(2): 0 or -errno.
  virtual int ftruncate(int fd, std::uint64_t len) noexcept = 0;
  /// unlink(2): 0 or -errno. Descriptors open on the file keep it alive.
  virtual int unlink(const std::string& path) noexcept = 0;
  /// True if descriptors from this backend are kernel descriptors of the
  /// files themselves, which mmap(2) may map. Only then does the pool map
  /// read-only files.
  [[nodiscard]] virtual bool mappable() const noexcept { return false; }
};

/// The POSIX backend (one shared instance). EINTR is retried inside.
[[nodiscard]] std::shared_ptr<io_backend> posix_io() noexcept;

/// A new, empty in-memory file system. Files are sparse, made of chunks of
/// `chunk_size` bytes (a power of two from 512 to 1 MiB, else 4096) allocated
/// on first write; holes read as zeros. Reads of one chunk take one shared
/// latch of a striped table and do not allocate. There are no directories:
/// any path names a file, and fsync and fsync_dir succeed at once. nullptr if
/// memory for the tables cannot be had.
[[nodiscard]] std::shared_ptr<io_backend> make_memory_io(std::size_t chunk_size = 4096) noexcept;

}  // namespace pagepool
