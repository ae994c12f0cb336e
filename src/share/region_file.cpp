// src/share/region_file.cpp: see region_file.hpp.
#include "share/region_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "share/fork_guard.hpp"

namespace pagepool::internal {

namespace {
std::error_code err(int e) { return {e, std::generic_category()}; }
std::size_t system_page() { return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }
std::size_t page_up(std::size_t v) {
  const std::size_t p = system_page();
  return (v + p - 1) / p * p;
}
constexpr std::size_t huge_page = std::size_t{2} << 20;
constexpr const char* prefix = "__pagepool.";
constexpr const char* infix = ".region.";
}  // namespace

std::string region_file_name(const std::string& tag, std::uint32_t r) {
  return prefix + tag + infix + std::to_string(r);
}

bool parse_region_file_name(const char* name, std::uint64_t& home, std::uint32_t& slot) noexcept {
  unsigned long long h = 0;
  unsigned sl = 0, pid = 0, serial = 0, r = 0;
  int end = 0;
  char kind[8] = {};
  // "__pagepool.<home>.<slot>.<pid>.<serial>.region.<r>" (a region) or
  // "...<serial>.files.<k>" (a chunk of the file table, core/file_table.hpp)
  // exactly: nothing after the number. (sscanf matches the literal parts,
  // the prefix included.)
  if (std::sscanf(name, "__pagepool.%llx.%u.%u.%u.%7[a-z].%u%n", &h, &sl, &pid, &serial, kind, &r,
                  &end) != 6 ||
      name[end] != '\0' || (std::strcmp(kind, "region") != 0 && std::strcmp(kind, "files") != 0))
    return false;
  home = h;
  slot = sl;
  return true;
}

std::error_code home_identity(const std::string& registry_path, std::uint64_t& out) noexcept {
  struct stat st {};
  if (::stat(registry_path.c_str(), &st) != 0) return err(errno);
  out = (static_cast<std::uint64_t>(st.st_dev) << 40) ^ st.st_ino;
  return {};
}

namespace {
// Unlinks the region files in `dir_fd` whose home and slot `match` accepts.
template <typename Match>
void remove_matching(int dir_fd, Match match) noexcept {
  const int fd = ::dup(dir_fd);  // closedir closes what fdopendir took
  if (fd < 0) return;
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    ::close(fd);
    return;
  }
  ::rewinddir(d);
  while (const dirent* e = ::readdir(d)) {
    std::uint64_t h = 0;
    std::uint32_t s = 0;
    if (parse_region_file_name(e->d_name, h, s) && match(h, s)) (void)::unlinkat(dir_fd, e->d_name, 0);
  }
  ::closedir(d);
}
}  // namespace

void remove_region_files(int dir_fd, std::uint64_t home, std::uint32_t slot) noexcept {
  remove_matching(dir_fd, [&](std::uint64_t h, std::uint32_t s) {
    return slot == every_slot || (h == home && s == slot);
  });
}

void remove_home_region_files(int dir_fd, std::uint64_t home) noexcept {
  remove_matching(dir_fd, [&](std::uint64_t h, std::uint32_t) { return h == home; });
}

region_file::~region_file() { destroy(); }

void region_file::destroy() noexcept {
  if (meta_ != nullptr) {
    fork_guard::remove_mapping(meta_);
    ::munmap(meta_, meta_len_);
  }
  // The pages mapped apart lie in the pool's reservation, which the pool
  // unmaps itself: the range becomes reserved address space again, and the
  // file's memory is freed with its last mapping.
  if (pages_len_ != 0) {
    fork_guard::remove_mapping(pages_);
    (void)::mmap(pages_, pages_len_, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  }
  if (fd_ >= 0) {
    if (made_) (void)::unlinkat(dir_fd_, name_.c_str(), 0);
    ::close(fd_);
  }
  fd_ = -1;
  made_ = true;
  meta_ = pages_ = nullptr;
  meta_len_ = pages_len_ = 0;
}

std::error_code region_file::begin(const region_file_spec& spec, std::size_t meta_len,
                                   std::size_t pages_len) noexcept {
  destroy();
  dir_fd_ = spec.dir_fd;
  try {
    name_ = spec.name;
  } catch (...) {
    return err(ENOMEM);
  }
  // The pages start at a 2 MiB offset of the file: a shared mapping gets
  // huge pages (where the file system gives them: tmpfs with huge=, or
  // shmem_enabled) only where the address and the file offset agree modulo
  // 2 MiB, and the pool's reservation puts large regions on 2 MiB
  // boundaries. The gap after the metadata is a hole: it costs nothing.
  pages_off_ = (meta_len + huge_page - 1) / huge_page * huge_page;
  file_len_ = pages_off_ + page_up(pages_len);
  return {};
}

std::error_code region_file::make(const region_file_spec& spec, std::size_t meta_len,
                                  std::size_t pages_len, std::byte* pages_at,
                                  std::size_t pages_committed) noexcept {
  if (auto ec = begin(spec, meta_len, pages_len)) return ec;
  const int mode = spec.mode == 0 ? 0660 : spec.mode;
  constexpr int flags = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = ::openat(dir_fd_, name_.c_str(), flags, mode);
  if (fd < 0 && errno == EEXIST) {
    // Left by a dead process that held the same registry slot (the slot is
    // this process's now, so no live process owns the name): replace it.
    // unlinkat removes a symbolic link itself, never what it names.
    (void)::unlinkat(dir_fd_, name_.c_str(), 0);
    fd = ::openat(dir_fd_, name_.c_str(), flags, mode);
  }
  if (fd < 0) return err(errno);
  fd_ = fd;
  const std::size_t file_len = file_len_;
  auto fail = [&](int e) {
    destroy();
    return err(e);
  };
  if (::ftruncate(fd_, static_cast<off_t>(file_len)) != 0) return fail(errno);
  // Commit before mapping anything, so that nothing the region will touch
  // can fault for want of room (posix_fallocate returns the error number).
  if (meta_len != 0)
    if (int e = ::posix_fallocate(fd_, 0, static_cast<off_t>(page_up(meta_len))); e != 0)
      return fail(e);
  if (pages_committed != 0) {
    const int e = ::posix_fallocate(fd_, static_cast<off_t>(pages_off_),
                                    static_cast<off_t>(page_up(pages_committed)));
    if (e != 0) return fail(e);
  }
  return map(meta_len, pages_len, pages_at);
}

std::error_code region_file::open(const region_file_spec& spec, std::size_t meta_len,
                                  std::size_t pages_len, std::byte* pages_at) noexcept {
  if (auto ec = begin(spec, meta_len, pages_len)) return ec;
  const int fd = ::openat(dir_fd_, name_.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return err(errno);
  fd_ = fd;
  made_ = false;
  // A file of another length is not the one the caller's geometry
  // describes: mapping it could fault past its end.
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::size_t>(st.st_size) != file_len_) {
    destroy();
    return err(EINVAL);
  }
  return map(meta_len, pages_len, pages_at);
}

std::error_code region_file::map(std::size_t meta_len, std::size_t pages_len,
                                 std::byte* pages_at) noexcept {
  auto fail = [&](int e) {
    destroy();
    return err(e);
  };
  const std::size_t first_len = pages_at == nullptr ? file_len_ : page_up(meta_len);
  void* m = ::mmap(nullptr, first_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (m == MAP_FAILED) return fail(errno);
  meta_ = static_cast<std::byte*>(m);
  meta_len_ = first_len;
  if (!fork_guard::add_mapping(meta_, meta_len_, fd_, 0)) return fail(ENOMEM);
  if (pages_at == nullptr) {
    pages_ = meta_ + pages_off_;
  } else {
    // Over the pool's reservation, at the region's place in it.
    void* p = ::mmap(pages_at, page_up(pages_len), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                     fd_, static_cast<off_t>(pages_off_));
    if (p == MAP_FAILED) return fail(errno);
    pages_ = static_cast<std::byte*>(p);
    pages_len_ = page_up(pages_len);  // destroy() puts the reservation back over it
    if (!fork_guard::add_mapping(pages_, pages_len_, fd_, static_cast<off_t>(pages_off_)))
      return fail(ENOMEM);
  }
  // Transparent huge pages where the system allows them for shared memory
  // (shmem_enabled "advise"); advice only.
  (void)::madvise(pages_, page_up(pages_len), MADV_HUGEPAGE);
  return {};
}

std::error_code region_file::commit(std::size_t off, std::size_t len) noexcept {
  if (len == 0) return {};
  const std::size_t p = system_page();
  const std::size_t start = off / p * p;
  const std::size_t end = page_up(off + len);
  const int e = ::posix_fallocate(fd_, static_cast<off_t>(pages_off_ + start),
                                  static_cast<off_t>(end - start));
  return e == 0 ? std::error_code{} : err(e);
}

void region_file::punch(std::size_t off, std::size_t len) noexcept {
  const std::size_t p = system_page();
  const std::size_t start = (off + p - 1) / p * p;
  const std::size_t end = (off + len) / p * p;
  if (end <= start) return;
  // Whole system pages inside the range only: a neighbour sharing a system
  // page keeps its bytes. Failure (a file system without holes) keeps the
  // memory, which stays committed: nothing can fault.
  (void)::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                    static_cast<off_t>(pages_off_ + start), static_cast<off_t>(end - start));
}

}  // namespace pagepool::internal
