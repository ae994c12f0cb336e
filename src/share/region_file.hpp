// src/share/region_file.hpp: a region's memory as a file mapped shared
// (issue 14, part 2; papers/design/processes.md).
//
// With pool_options::region_files, each region's mapping, its header, buckets
// and frames, and its pages, is a file in the region directory
// (pool_options::region_dir, else the home), mapped MAP_SHARED, instead of
// anonymous memory: the form every process of a shared pool will map. The
// file is laid out as the anonymous mapping was,
//
//   [region_header][bucket x nbuckets][frame x cap] (hole) | [page x cap]
//   0                                                pages at a 2 MiB offset
//
// and the pages part is mapped at the address the pool's page reservation
// gives the region (MAP_FIXED over the reservation), so a page's frame is
// still found by arithmetic.
//
// Memory a frame may touch is committed before the frame is in service
// (posix_fallocate: a directory too small is ENOSPC from the call that asked
// for the memory, never a SIGBUS on the access); a retired frame's pages are
// punched out (FALLOC_FL_PUNCH_HOLE) and committed again before it serves
// again (region.cpp: grow).
//
// The file is made with O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC and the
// pool's mode, named by the pool's home, registry slot, process and serial, and
// unlinked when the region goes, or, with the pool's other files, by the last
// process of the home to leave (core: pool_impl::leave_home; a process that
// leaves while others are attached keeps them: keep()). A process killed
// leaves its files: the next pool of the same home removes them (homes may
// share a region directory; a pool is made only while no other process is
// attached to its home), and pool::remove (DB_ENV->remove) removes every
// region file of the home.
//
// Life of a region file:
//
//   (none) --make--> created (sized, not committed) --commit(meta + in service)-->
//   mapped --grow: commit--> mapped --retire: punch--> mapped ... --~region_file--> unlinked
//   (another's file) --open: length checked--> mapped --~region_file--> unmapped (kept)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>

namespace pagepool::internal {

/// Where and how a region's file is made (core: pool_impl).
struct region_file_spec {
  int dir_fd = -1;    // the region directory, open O_DIRECTORY
  std::string name;   // the file's name in it
  int mode = 0;       // creation mode (0 means 0660; the umask applies)
};

class region_file {
 public:
  region_file() = default;
  ~region_file();
  region_file(const region_file&) = delete;
  region_file& operator=(const region_file&) = delete;

  /// Makes the file (replacing one a dead process left under the same name)
  /// sized for `meta_len` bytes of header and `pages_len` bytes of pages,
  /// and maps it: the metadata at an address of the system's choosing, the
  /// pages at `pages_at` (MAP_FIXED; page aligned), or right after the
  /// metadata if `pages_at` is null. Commits the metadata and the first
  /// `pages_committed` bytes of pages. Returns the errno (ENOSPC when the
  /// directory has no room; the file is then gone again).
  std::error_code make(const region_file_spec& spec, std::size_t meta_len, std::size_t pages_len,
                       std::byte* pages_at, std::size_t pages_committed) noexcept;

  /// Maps the file another region_file made (another process's, or this
  /// one's) with the same lengths and placement, read-write; it is not
  /// unlinked when this one goes. EINVAL if its length is not what the
  /// lengths make (another pool's file under the name, or not a file); the
  /// open's errno (ENOENT: no such file).
  std::error_code open(const region_file_spec& spec, std::size_t meta_len, std::size_t pages_len,
                       std::byte* pages_at) noexcept;

  /// Keeps the file when this goes (made here for a pool another made).
  void keep() noexcept { made_ = false; }

  std::byte* meta() const noexcept { return meta_; }
  std::byte* pages() const noexcept { return pages_; }
  /// Where the pages start in the file (a multiple of 2 MiB), and its length.
  std::size_t pages_offset() const noexcept { return pages_off_; }
  std::size_t file_length() const noexcept { return file_len_; }

  /// Commits the page bytes [off, off + len) (posix_fallocate): ENOSPC (or
  /// the call's other errno) and nothing committed that was not before.
  std::error_code commit(std::size_t off, std::size_t len) noexcept;
  /// Gives the page bytes [off, off + len), whole system pages inside it,
  /// back to the file system (a hole; commit before touching them again).
  void punch(std::size_t off, std::size_t len) noexcept;

 private:
  void destroy() noexcept;
  /// make's and open's first step: forgets what this maps, takes the name,
  /// and computes the layout (where the pages start, the file's length).
  std::error_code begin(const region_file_spec& spec, std::size_t meta_len,
                        std::size_t pages_len) noexcept;
  std::error_code map(std::size_t meta_len, std::size_t pages_len, std::byte* pages_at) noexcept;
  int fd_ = -1;
  bool made_ = true;  // made here: unlinked when it goes (open: not)
  int dir_fd_ = -1;  // not owned
  std::string name_;
  std::byte* meta_ = nullptr;
  std::size_t meta_len_ = 0;  // mapped length of the metadata (whole file if pages follow it)
  std::byte* pages_ = nullptr;
  std::size_t pages_len_ = 0;  // mapped length of the pages when mapped apart (else 0)
  std::size_t pages_off_ = 0;  // where the pages start in the file
  std::size_t file_len_ = 0;
};

/// The name of region `r` of a pool whose tag is `tag`
/// ("<home>.<slot>.<pid>.<serial>": its home's registry file identity in
/// hexadecimal, its process's registry slot, the pid, and a serial number
/// of the process's pools): "__pagepool.<tag>.region.<r>".
std::string region_file_name(const std::string& tag, std::uint32_t r);
/// Whether `name` is a region file's name (or that of a chunk of the file
/// table, core/file_table.hpp); if so, `home` and `slot` get the home's
/// identity and the registry slot in it.
bool parse_region_file_name(const char* name, std::uint64_t& home, std::uint32_t& slot) noexcept;
inline constexpr std::uint32_t every_slot = 0xFFFFFFFFu;
/// The identity of a home in region file names: its registry file's device
/// and inode (`registry_path`), so that homes sharing a region directory (a
/// common tmpfs) never take each other's files. ENOENT (or stat's errno) if
/// it has no registry.
std::error_code home_identity(const std::string& registry_path, std::uint64_t& out) noexcept;
/// Every region file of the home whose identity is `home`, whatever its
/// slot, in the directory `dir_fd` (pool::remove, in a region directory
/// apart from the home).
void remove_home_region_files(int dir_fd, std::uint64_t home) noexcept;
/// Unlinks the region files in the directory `dir_fd` of registry slot
/// `slot` of the home whose identity is `home` (every_slot: every region
/// file of every home). Mappings of them live on; their memory is freed
/// when the last goes.
void remove_region_files(int dir_fd, std::uint64_t home, std::uint32_t slot) noexcept;

}  // namespace pagepool::internal
