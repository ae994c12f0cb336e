// src/core/inspect.cpp: pool::inspect, a pool in region files read from its
// memory by any process (issue 14, part 4; share/pool_file.hpp).
//
// The reader maps, read-only, what the pool file names: every region file of
// every live page-size class (PF2) and every chunk of the file table (PF3),
// and folds their counters as the pool's own stats() does
// (stats/statistics.hpp), with the pool file's own counters and those of
// freed file states. Each file is checked before it is mapped (its header
// against the pool file's geometry, its length against what is read), so a
// file that is not what the pool file says is an error, never a fault.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "core/file_table.hpp"
#include "core/pool_impl.hpp"
#include "pagepool/pool.hpp"
#include "region/region.hpp"
#include "share/pool_file.hpp"
#include "share/region_file.hpp"
#include "share/registry.hpp"
#include "stats/statistics.hpp"

namespace pagepool {

namespace {

std::error_code err(int e) { return {e, std::generic_category()}; }

/// A read-only shared mapping of the first `len` bytes of a file opened in
/// a directory, unmapped at the end.
class ro_map {
 public:
  ro_map() = default;
  ~ro_map() {
    if (p_ != nullptr) ::munmap(p_, len_);
    if (fd_ >= 0) ::close(fd_);
  }
  ro_map(const ro_map&) = delete;
  ro_map& operator=(const ro_map&) = delete;

  /// Opens `name` in `dir_fd` (never through a symbolic link).
  std::error_code open(int dir_fd, const std::string& name) noexcept {
    fd_ = ::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd_ < 0) return err(errno);
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return err(errno);
    size_ = static_cast<std::size_t>(st.st_size);
    return {};
  }
  std::size_t size() const noexcept { return size_; }
  /// Reads `len` bytes at 0 (EINVAL if the file is shorter).
  std::error_code read(void* buf, std::size_t len) const noexcept {
    if (size_ < len || ::pread(fd_, buf, len, 0) != static_cast<ssize_t>(len)) return err(EINVAL);
    return {};
  }
  /// Maps the first `len` bytes (EINVAL if the file is shorter: a mapping
  /// past its end would fault).
  std::error_code map(std::size_t len) noexcept {
    if (len == 0 || len > size_) return err(EINVAL);
    void* p = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) return err(errno);
    p_ = static_cast<std::byte*>(p);
    len_ = len;
    return {};
  }
  std::byte* data() const noexcept { return p_; }

 private:
  int fd_ = -1;
  std::size_t size_ = 0;
  std::byte* p_ = nullptr;
  std::size_t len_ = 0;
};

using internal::file_shared;
using internal::pool_file_header;
using internal::region_header;
static_assert(internal::pool_file_header::classes == internal::page_classes);

/// Folds region g (class c) into `folder`.
std::error_code read_region(int dir_fd, const pool_file_header& h, std::uint32_t c,
                            std::uint32_t g, internal::stats_folder& folder) noexcept {
  ro_map m;
  std::string name;
  try {
    name = internal::region_file_name(h.tag, g);
  } catch (...) {
    return err(ENOMEM);
  }
  if (auto ec = m.open(dir_fd, name)) return ec;
  // The header's leading plain fields, read before anything is mapped.
  internal::region_identity rh{};
  if (auto ec = m.read(&rh, sizeof rh)) return ec;
  // What the pool file says this region is, and room in the file for what
  // the walk reads.
  const std::uint64_t frames_end = rh.frames_off + std::uint64_t{rh.cap} * sizeof(internal::frame);
  if (rh.index != g || rh.frame_size != (512u << c) || rh.cap != h.caps[c] ||
      rh.frames_off < sizeof(region_header) || frames_end > m.size())
    return errc::version_mismatch;
  if (auto ec = m.map(static_cast<std::size_t>(frames_end))) return ec;
  auto& live = *reinterpret_cast<region_header*>(m.data());
  // A high past the cap would walk off the frames. relaxed: a bound checked
  // here only; the fold loads it again with acquire (RG1).
  if (live.high.load(std::memory_order_relaxed) > rh.cap) return errc::version_mismatch;
  folder.add_region(live, reinterpret_cast<const internal::frame*>(m.data() + rh.frames_off));
  return {};
}

/// Folds the file table's chunk k: its states in use below `size`.
std::error_code read_chunk(int dir_fd, const pool_file_header& h, unsigned k, std::uint32_t size,
                           internal::stats_folder& folder, std::vector<file_stats>& files) {
  const auto shift = static_cast<unsigned>(std::countr_zero(h.file_base));  // a power of two
  const std::uint64_t start = internal::file_table::chunk_first_slot(shift, k);
  const std::uint64_t n = internal::file_table::chunk_slots(shift, k);
  if (start >= size) return {};
  ro_map m;
  if (auto ec = m.open(dir_fd, internal::file_table_chunk_name(h.tag, k))) return ec;
  const std::uint64_t used_slots = std::min<std::uint64_t>(n, size - start);
  if (auto ec = m.map(static_cast<std::size_t>(used_slots * sizeof(file_shared)))) return ec;
  auto* states = reinterpret_cast<file_shared*>(m.data());
  for (std::uint64_t i = 0; i < used_slots; ++i) {
    file_shared& fs = states[i];
    if (fs.used.load(std::memory_order_acquire) == 0) continue;  // (PF4)
    folder.add_file(fs.counters, false);
    file_stats f = internal::stats_folder::file_entry(fs.counters, false);
    // A slot freed and filled again while this reads it may give a torn name
    // or page size: figures, as every count read while the pool works.
    f.file_name.assign(fs.name, ::strnlen(fs.name, sizeof fs.name));
    f.pagesize = fs.page_size;
    files.push_back(std::move(f));
  }
  return {};
}

}  // namespace

std::error_code pool::inspect(const std::string& home, pool_view& out) noexcept try {
  out = pool_view{};
  if (home.empty()) return err(EINVAL);
  internal::pool_file pf;
  if (auto ec = pf.open_existing(home)) return ec;
  const pool_file_header& h = pf.hdr();
  out.pid = h.pid;
  if (auto ec = internal::process_registry::alive(home, h.owner_id, out.alive)) return ec;
  if (h.nregions == 0 || h.nregions > 4096 || !std::has_single_bit(h.file_base) ||
      h.file_base > (1u << 30) ||
      ::strnlen(h.tag, sizeof h.tag) == sizeof h.tag ||
      ::strnlen(h.region_dir, sizeof h.region_dir) == sizeof h.region_dir)
    return errc::version_mismatch;
  out.region_dir = h.region_dir;
  const int dir_fd = ::open(h.region_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return err(errno);
  struct dir_closer {
    int fd;
    ~dir_closer() { ::close(fd); }
  } closer{dir_fd};

  pool_stats st;
  // relaxed: a figure (resize changes it).
  const std::uint64_t frames = h.accounts.frames.load(std::memory_order_relaxed);
  st.frame_size = h.frame_size;
  st.ncache = h.nregions;
  st.frames = static_cast<std::uint32_t>(frames);
  st.cache_bytes = frames * h.frame_size;
  internal::settings_into(h.settings, st);  // the pool's, set by any of its processes
  internal::stats_folder folder(st, /*clear=*/false);
  const std::uint32_t live = h.accounts.live_classes.load(std::memory_order_acquire);  // (PF2)
  for (std::uint32_t c = 0; c < internal::pool_file_header::classes; ++c) {
    if (!((live >> c) & 1u)) continue;
    for (std::uint32_t i = 0; i < h.nregions; ++i)
      if (auto ec = read_region(dir_fd, h, c, c * h.nregions + i, folder)) return ec;
  }
  // acquire (both): the chunks and slots counted are made (PF3).
  const std::uint32_t chunks = h.files.chunks.load(std::memory_order_acquire);  // (PF3)
  const std::uint32_t size = h.files.size.load(std::memory_order_acquire);      // (PF3)
  if (chunks > internal::file_table::max_chunks) return errc::version_mismatch;
  for (unsigned k = 0; k < chunks; ++k)
    if (auto ec = read_chunk(dir_fd, h, k, size, folder, out.files)) return ec;
  auto& fh = const_cast<pool_file_header&>(h);  // read only: nothing is cleared
  folder.add_retired(fh.files.retired);
  out.stats = folder.finish(fh.counters);
  // The bytes the pages hold, from the walk (the pool's own figure is a
  // counter of its process's).
  for (std::uint32_t c = 0; c < internal::pool_file_header::classes; ++c)
    out.stats.page_bytes += std::uint64_t{out.stats.pages_by_size[c]} << (9 + c);
  return {};
} catch (const std::bad_alloc&) {
  return err(ENOMEM);
}

}  // namespace pagepool
