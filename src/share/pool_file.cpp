// src/share/pool_file.cpp: see pool_file.hpp.
#include "share/pool_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <new>

#include "core/file_table.hpp"
#include "pagepool/error.hpp"
#include "frame/frame.hpp"
#include "region/region.hpp"
#include "share/fork_guard.hpp"

namespace pagepool::internal {

namespace {
std::error_code err(int e) { return {e, std::generic_category()}; }
std::size_t mapped_len() {
  const auto p = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return (sizeof(pool_file_header) + p - 1) / p * p;
}
constexpr std::uint32_t mix(std::uint32_t h, std::uint64_t v) {
  return (h ^ static_cast<std::uint32_t>(v ^ (v >> 32))) * 16777619u;  // FNV-1a step
}
}  // namespace

std::uint32_t pool_file_layout() noexcept {
  std::uint32_t h = 2166136261u;
  for (const std::uint64_t v :
       {sizeof(pool_file_header), offsetof(pool_file_header, accounts), sizeof(pool_accounts),
        offsetof(pool_file_header, settings), sizeof(pool_settings),
        offsetof(pool_file_header, files), offsetof(pool_file_header, counters),
        offsetof(file_table_state, latch), offsetof(file_table_state, index),
        offsetof(pool_file_header, shard_owners),
        sizeof(region_header), offsetof(region_header, counters), sizeof(region_counters),
        sizeof(bucket), sizeof(frame), sizeof(file_shared), offsetof(file_shared, counters), offsetof(file_shared, next),
        sizeof(file_counters), sizeof(pool_counters), std::uint64_t{counter_shards}})
    h = mix(h, v);
  return h == 0 ? 1 : h;
}

pool_file::~pool_file() { destroy(); }

void pool_file::destroy() noexcept {
  if (hdr_ != nullptr) {
    if (made_) fork_guard::remove_mapping(hdr_);
    ::munmap(hdr_, len_);
  }
  if (fd_ >= 0) {
    if (made_ && !keep_) remove_if_ours();
    ::close(fd_);
  }
  hdr_ = nullptr;
  fd_ = -1;
  made_ = false;
  keep_ = false;
}

void pool_file::remove_if_ours() noexcept {
  if (fd_ < 0) return;
  // Unlink the name only if it still names this file: a later pool of the
  // home (this pool lingering while a handle holds its memory) may have
  // made its own under the same name.
  struct stat mine {}, now {};
  if (::fstat(fd_, &mine) == 0 && ::lstat(path_.c_str(), &now) == 0 &&
      mine.st_dev == now.st_dev && mine.st_ino == now.st_ino)
    (void)::unlink(path_.c_str());
}

std::error_code pool_file::make(const std::string& home, int mode) noexcept {
  destroy();
  try {
    path_ = home + "/" + file_name;
  } catch (...) {
    return err(ENOMEM);
  }
  constexpr int flags = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  const int m = mode == 0 ? 0660 : mode;
  int fd = ::open(path_.c_str(), flags, m);
  if (fd < 0 && errno == EEXIST) {
    // A stale file: its creator is dead or is a pool of this process that
    // lingers (the caller holds the home's registry slot, alone). unlink
    // removes a planted symbolic link itself, never what it names.
    (void)::unlink(path_.c_str());
    fd = ::open(path_.c_str(), flags, m);
  }
  if (fd < 0) return err(errno);
  fd_ = fd;
  made_ = true;
  len_ = mapped_len();
  auto fail = [&](int e) {
    destroy();
    return err(e);
  };
  if (::ftruncate(fd_, static_cast<off_t>(len_)) != 0) return fail(errno);
  if (const int e = ::posix_fallocate(fd_, 0, static_cast<off_t>(len_)); e != 0) return fail(e);
  void* p = ::mmap(nullptr, len_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) return fail(errno);
  hdr_ = new (p) pool_file_header();
  // A forked child gets a private copy, as of the region files.
  if (!fork_guard::add_mapping(hdr_, len_, fd_, 0)) {
    ::munmap(p, len_);
    hdr_ = nullptr;
    return fail(ENOMEM);
  }
  hdr_->magic = pool_file_header::magic_value;
  hdr_->version = pool_file_header::version_value;
  hdr_->layout = pool_file_layout();
  return {};
}

void pool_file::publish() noexcept {
  hdr_->ready.store(1, std::memory_order_release);  // (PF1)
}

std::error_code pool_file::open_existing(const std::string& home) noexcept {
  destroy();
  try {
    path_ = home + "/" + file_name;
  } catch (...) {
    return err(ENOMEM);
  }
  const int fd = ::open(path_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return err(errno);
  fd_ = fd;
  // Short, or of another layout: read the identity before mapping anything
  // a smaller file would not hold (a mapping past its end faults). A file
  // being made is empty, or sized with its identity not yet all written
  // (make(): O_EXCL, ftruncate, then magic, version and layout one by one;
  // none of them is ever 0): EAGAIN, as before ready.
  struct {
    std::uint64_t magic;
    std::uint32_t version, layout;
  } id{};
  const ssize_t n = ::pread(fd_, &id, sizeof id, 0);
  if (n <= 0 ||
      (n == static_cast<ssize_t>(sizeof id) && (id.magic == 0 || id.version == 0 || id.layout == 0))) {
    const int e = n < 0 ? errno : EAGAIN;
    destroy();
    return err(e);
  }
  // The size after the identity: a file being made is sized before its
  // identity is written, so one whose identity is whole is as long as it
  // will be.
  struct stat st {};
  if (n == static_cast<ssize_t>(sizeof id) && ::fstat(fd_, &st) != 0) {
    const int e = errno;
    destroy();
    return err(e);
  }
  if (n != static_cast<ssize_t>(sizeof id)) {
    destroy();
    return errc::version_mismatch;
  }
  if (id.magic != pool_file_header::magic_value || id.version != pool_file_header::version_value ||
      id.layout != pool_file_layout() || static_cast<std::size_t>(st.st_size) < mapped_len()) {
    destroy();
    return errc::version_mismatch;
  }
  len_ = mapped_len();
  void* p = ::mmap(nullptr, len_, PROT_READ, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) {
    const int e = errno;
    destroy();
    return err(e);
  }
  hdr_ = static_cast<pool_file_header*>(p);
  if (hdr_->ready.load(std::memory_order_acquire) == 0) {  // (PF1)
    destroy();
    return err(EAGAIN);
  }
  return {};
}

}  // namespace pagepool::internal
