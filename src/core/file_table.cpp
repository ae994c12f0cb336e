// src/core/file_table.cpp: the file table's storage, and freeing the file
// states nothing uses any more (core/file_table.hpp).
//
// Synchronization edge (papers/design/memory-ordering.md): (F1) the acquire
// load of a file state's frame count pairs with the evictors' release
// fetch_sub (core/frames.cpp): the state is freed only after the last
// evictor's use of it.
#include "core/file_table.hpp"

#include <sys/mman.h>

#include <new>

namespace pagepool::internal {

namespace {

// A sync owes a file an fsync while pages written back since its last one
// (write_gen > synced_gen) or its new name (dir_unsynced) are not durable;
// reap_locked keeps its state until then, so that a sync after the last
// close, or after the file is opened again, still makes them durable (power
// loss: stress/crash/power.hpp). A marked file (sync_error) is never fsync'd
// again, and may go. relaxed: called after reap_locked's (F1) acquire, so
// the write_gen raises of the frames' last writers are seen; a stale
// synced_gen only keeps the state longer.
bool owes_fsync(const file_shared& fs) noexcept {
  return !fs.temp.load(std::memory_order_relaxed) && !fs.nofile.load(std::memory_order_relaxed) &&
         fs.sync_error.load(std::memory_order_relaxed) == 0 &&
         (fs.dir_unsynced.load(std::memory_order_relaxed) ||
          fs.write_gen.load(std::memory_order_relaxed) > fs.synced_gen.load(std::memory_order_relaxed));
}

}  // namespace

file_table::~file_table() {
  if (local_ && io_ != nullptr) {
    for (std::uint32_t i = 0; i < size_; ++i)
      if (local_[i].fd >= 0) (void)io_->close(local_[i].fd);
  }
  if (shared_ != nullptr) {
    for (std::uint32_t i = 0; i < size_; ++i) shared_[i].~file_shared();
    ::munmap(shared_, shared_len_);
  }
}

std::error_code file_table::init(std::size_t n, io_backend* io) noexcept {
  io_ = io;
  shared_len_ = sizeof(file_shared) * n;
  void* m = ::mmap(nullptr, shared_len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return {ENOMEM, std::generic_category()};
  shared_ = static_cast<file_shared*>(m);
  for (std::size_t i = 0; i < n; ++i) new (&shared_[i]) file_shared();
  size_ = static_cast<std::uint32_t>(n);
  local_.reset(new (std::nothrow) file_local[n]);
  if (!local_) return {ENOMEM, std::generic_category()};
  return {};
}

std::uint32_t file_table::reap_locked(int max_open_fd) noexcept {
  std::uint32_t lingering_fds = 0;
  for (std::uint32_t i = 0; i < size_; ++i) {
    file_shared& fs = shared_[i];
    if (!fs.used.load(std::memory_order_relaxed) || fs.handles.load(std::memory_order_relaxed) != 0)
      continue;
    file_local& fl = local_[i];
    if (fs.frames.load(std::memory_order_acquire) == 0 &&  // (F1)
        fs.io_refs.load(std::memory_order_relaxed) == 0 && !owes_fsync(fs)) {
      // Fold its counters into the pool's, as BDB does, then free it.
      for (auto f : file_counter_fields) retired.add(f, fs.counters.sum(f));
      std::unique_lock lk(fl.fd_mu);
      if (fl.fd >= 0) (void)io_->close(fl.fd);
      fl.fd = -1;
      fl.fd_writable = false;
      fl.path.clear();
      fl.cookie.clear();
      fs.used.store(0, std::memory_order_relaxed);
      continue;
    }
    std::shared_lock lk(fl.fd_mu);
    if (fl.fd >= 0) ++lingering_fds;
  }
  // set_mp_max_openfd: descriptors kept for files no handle has open. Each is
  // reopened by path if a page of its file must be written later.
  std::uint32_t closed = 0;
  if (max_open_fd <= 0) return closed;
  for (std::uint32_t i = 0; i < size_ && lingering_fds > static_cast<std::uint32_t>(max_open_fd);
       ++i) {
    file_shared& fs = shared_[i];
    if (!fs.used.load(std::memory_order_relaxed) || fs.handles.load(std::memory_order_relaxed) != 0 ||
        fs.temp.load(std::memory_order_relaxed) || fs.io_refs.load(std::memory_order_relaxed) != 0)
      continue;
    file_local& fl = local_[i];
    std::unique_lock lk(fl.fd_mu);
    if (fl.fd < 0) continue;
    (void)io_->close(fl.fd);
    fl.fd = -1;
    fl.fd_writable = false;
    --lingering_fds;
    ++closed;
  }
  return closed;
}

void file_table::close_all_locked() noexcept {
  for (std::uint32_t i = 0; i < size_; ++i) {
    file_local& fl = local_[i];
    std::unique_lock lk(fl.fd_mu);
    if (fl.fd >= 0) (void)io_->close(fl.fd);
    fl.fd = -1;
  }
}

}  // namespace pagepool::internal
