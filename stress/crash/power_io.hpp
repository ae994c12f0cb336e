// stress/crash/power_io.hpp: an io_backend (pagepool/io.hpp) that models what
// a power cut leaves of a Linux file system, for pagepool-crash --power-loss.
//
// The model. Files live in memory. Each file (an inode) has its current bytes
// and size, what every read sees, and its durable bytes and size, what a cut
// keeps for sure. Each directory has its current entries (path -> inode) and
// its durable ones. Everything a call changes is first only current (in the
// "page cache"), and is recorded as a volatile operation:
//
//   write     pwrite of bytes at an offset (it may extend the size)
//   truncate  ftruncate to a length
//   link      a name created by open with O_CREAT
//   unlink    a name removed
//
// It becomes durable only as Linux promises (fsync(2), and the rules of ext4,
// XFS and btrfs that applications may rely on, at their weakest):
//
//   fsync(fd)        the file's data and size: its durable bytes and size
//                    become its current ones, its pending writes and
//                    truncates are dropped. Not its name.
//   fsync_dir(dir)   the entries of `dir`: its pending links and unlinks
//                    become durable. Not the data of the files they name.
//
// A cut. cut_at(n) arms a cut just before the n-th mutating call after it
// (pwrite, ftruncate, fsync, fsync_dir, a creating open, unlink; counted
// under the backend's mutex, so the cut falls between two calls). The cut
// records an image: the durable state and, in order, the volatile operations
// still pending. The backend then goes on serving the dying pool from its
// current state; only the image matters. image::survivor(choice) is what
// the disk holds after power comes back: the durable state plus each pending
// operation lost or kept as `choice` says, and a write longer than one
// sector (512 bytes) may instead be torn: only the sectors on one side of a
// 512-byte boundary reach the disk. A write that survives at all (kept or
// torn) extends the size to its end (the size is journaled metadata; a torn
// write leaves the rest of its range as it was). Pending operations are
// applied in their order, each with its own choice: any subset survives.
//
// What the model leaves out, on purpose: rename (not part of the seam);
// devices that lie about flushes (the promise assumes they do not); a write
// lost while its size extension survives (ext4 data=writeback): pages past a
// durable size that read as zeros would only be absent pages, as here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "pagepool/io.hpp"

namespace pagepool::stress::power {

inline constexpr std::size_t sector = 512;

/// One pending (volatile) operation of the image.
struct volatile_op {
  enum kind_t { write, truncate, link, unlink } kind = write;
  std::uint64_t ino = 0;
  std::uint64_t off = 0;         // write: offset; truncate: new length
  std::vector<std::byte> bytes;  // write: the data
  std::string path;              // link / unlink
};

/// A file's bytes; its size is bytes.size().
using file_bytes = std::vector<std::byte>;

/// What a disk holds with nothing pending: names and file contents.
struct disk_state {
  std::map<std::string, std::uint64_t> names;    // path -> inode
  std::map<std::uint64_t, file_bytes> files;     // inode -> bytes
  std::uint64_t next_ino = 1;
};

/// The state at a cut: durable, plus what was pending, in order.
struct image {
  disk_state durable;
  std::vector<volatile_op> pending;

  /// How many choices operation i has: 2 (lost, kept), plus, for a write
  /// over more than one sector, 2 per 512-byte boundary inside it (the
  /// sectors before it kept, or those after it).
  [[nodiscard]] unsigned choices(std::size_t i) const noexcept;
  /// The number of survivors (product of choices), saturated at `cap`.
  [[nodiscard]] std::uint64_t survivor_count(std::uint64_t cap) const noexcept;
  /// The disk after power returns; choice[i] for pending[i]: 0 lost, 1 kept,
  /// 2 + 2k the sectors before boundary k+1 kept, 3 + 2k those after it.
  [[nodiscard]] disk_state survivor(const std::vector<unsigned>& choice) const;
  /// Choices drawn at random: a third lost, a third kept, a third torn.
  [[nodiscard]] std::vector<unsigned> random_choice(std::mt19937_64& rng) const;
  /// Writes that `choice` tears (for the figures).
  [[nodiscard]] unsigned torn_writes(const std::vector<unsigned>& choice) const noexcept;
};

/// The backend. Thread-safe: one mutex around everything (a test backend).
class power_io final : public io_backend {
 public:
  /// An empty disk, or one holding `start` with nothing pending.
  explicit power_io(disk_state start = {});

  /// Arms a cut just before the n-th mutating call from now (n >= 1); with
  /// n == 0, at once.
  void cut_at(std::uint64_t n);
  /// True once the cut has happened.
  [[nodiscard]] bool cut() const;
  /// The image the cut recorded (empty before).
  [[nodiscard]] std::optional<image> taken() const;
  /// Takes the image now, whether or not a cut was armed (the end of a
  /// workload that never reached its cut point).
  image cut_now();
  /// Mutating calls made since the last cut_at (or construction).
  [[nodiscard]] std::uint64_t ops() const;
  /// The current size of `path`, or nullopt if no such name.
  [[nodiscard]] std::optional<std::uint64_t> size_of(const std::string& path) const;

  int open(const std::string& path, int flags, int mode) noexcept override;
  int close(int fd) noexcept override;
  std::int64_t pread(int fd, void* buf, std::size_t len, std::uint64_t off) noexcept override;
  std::int64_t pwrite(int fd, const void* buf, std::size_t len,
                      std::uint64_t off) noexcept override;
  int fsync(int fd) noexcept override;
  int fsync_dir(const std::string& dir) noexcept override;
  int fstat(int fd, io_file_info& out) noexcept override;
  int ftruncate(int fd, std::uint64_t len) noexcept override;
  int unlink(const std::string& path) noexcept override;

 private:
  struct open_file {
    std::uint64_t ino = 0;
    bool writable = false;
  };
  /// Counts one mutating call and takes the image if the cut is due.
  void tick_locked();
  image snapshot_locked() const;

  mutable std::mutex mu_;
  disk_state cur_;      // what reads see
  disk_state durable_;  // what survives any cut
  std::vector<volatile_op> pending_;
  std::map<int, open_file> fds_;
  int next_fd_ = 3;
  std::uint64_t ops_ = 0;
  std::uint64_t cut_at_ = 0;  // 0: none armed
  std::optional<image> image_;
};

/// The directory part of a path ("." for a bare name).
[[nodiscard]] std::string dir_of(const std::string& path);

}  // namespace pagepool::stress::power
