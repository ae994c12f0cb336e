// src/core/file_table.cpp: the file table's storage, and freeing the file
// states nothing uses any more (core/file_table.hpp).
//
// Synchronization edge (papers/design/memory-ordering.md): (F1) the acquire
// loads of a file state's sharded frame count (file_shared::no_frames) pair
// with the evictors' release decrements (frame_out, core/frames.cpp): the
// state is freed only after the last evictor's use of it. (FT1) and (FT2), the growth of the table, are
// described in core/file_table.hpp.
#include "core/file_table.hpp"

#include "port/assert.hpp"

#include <sys/mman.h>

#include <string>

#include <algorithm>
#include <cstdlib>
#include <cstring>
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
  if (io_ != nullptr)
    for (file_local& lo : locals_)
      if (lo.fd >= 0) (void)io_->close(lo.fd);
  // States are constructed as slots are first handed out (take_slot_locked):
  // the first size() of them. An attached table's states are the maker's.
  const std::uint32_t made = attached_ ? 0 : st_->size.load(std::memory_order_relaxed);
  for (unsigned k = 0; k < chunks_; ++k) {
    file_shared* sh = shared_dir_[k].load(std::memory_order_relaxed);
    const std::uint64_t n = chunk_len(k);
    if (sh == nullptr) continue;
    const std::uint64_t start = chunk_start(k);
    for (std::uint64_t i = 0; i < n && start + i < made; ++i) sh[i].~file_shared();
    if (!file_backed_) ::munmap(sh, sizeof(file_shared) * n);
    // A chunk file unmaps itself with chunk_files_[k] (and unlinks itself
    // if this table made it and made the table).
  }
  // The table's maker removes the chunk files attached tables made too
  // (mapped here or not); its own unlink themselves again, harmlessly.
  if (!attached_ && !kept_) remove_files();
}

void file_table::remove_files() noexcept {
  if (!file_backed_) return;
  for (unsigned k = 0; k < st_->chunks.load(std::memory_order_relaxed) && k < max_chunks; ++k) {
    try {
      (void)::unlinkat(backing_.spec.dir_fd, file_table_chunk_name(backing_.tag, k).c_str(), 0);
    } catch (...) {
      // no memory for the name: the file stays for pool::remove or the next pool
    }
  }
}

void file_table::keep_files() noexcept {
  std::lock_guard g(map_mu_);
  kept_ = true;
  for (unsigned k = 0; k < chunks_; ++k)
    if (chunk_files_[k]) chunk_files_[k]->keep();
}

std::error_code file_table::init(std::size_t hint, io_backend* io, const backing* files,
                                 bool attach) noexcept {
  io_ = io;
  const std::size_t b = std::bit_ceil(std::max<std::size_t>(hint, 64));
  if (b > (std::size_t{1} << 30)) return {EINVAL, std::generic_category()};
  if (attach && (files == nullptr || b != hint)) return {EINVAL, std::generic_category()};
  base_ = static_cast<std::uint32_t>(b);
  shift_ = static_cast<unsigned>(std::countr_zero(b));
  if (files != nullptr) {
    try {
      backing_ = *files;
    } catch (...) {
      return {ENOMEM, std::generic_category()};
    }
    st_ = files->state;
    file_backed_ = true;
  }
  attached_ = attach;
  {
    // No other thread of this process sees the table yet.
    std::lock_guard g(map_mu_);
    if (auto ec = attach ? map_published_locked(0) : grow_mapped_locked()) return ec;
  }
  first_shared_ = shared_dir_[0].load(std::memory_order_relaxed);
  return {};
}

std::error_code file_table::map_published_locked(unsigned upto) noexcept {
  // acquire (PF3): a chunk counted is made, its file sized.
  const unsigned published = st_->chunks.load(std::memory_order_acquire);  // (PF3)
  if (published <= upto) return {EINVAL, std::generic_category()};  // never published: no such slot
  while (chunks_ <= upto)
    if (auto ec = grow_mapped_locked()) return ec;
  return {};
}

file_shared* file_table::map_chunk_slow(unsigned k) noexcept {
  std::lock_guard g(map_mu_);
  // Only an attached table meets a chunk it has not mapped. A chunk that is
  // published but cannot be mapped (no memory or descriptor left) has no
  // way out of shared() yet: the join (processes.md, "The parts still to
  // build") maps every published chunk when it takes the table's latch and
  // reports the failure there, before any slot in the chunk is used.
  const std::error_code ec = map_published_locked(k);
  PAGEPOOL_ASSERT(!ec, "a published chunk of the file table could not be mapped");
  if (ec) std::abort();
  return shared_dir_[k].load(std::memory_order_relaxed);
}

file_local& file_table::local_slow(std::uint32_t slot) noexcept {
  {
    std::lock_guard g(map_mu_);
    if (map_published_locked(chunk_of(slot))) std::abort();  // as map_chunk_slow
  }
  return locals_[slot];  // a slot below the table's size: its chunk is published
}

std::string file_table_chunk_name(const std::string& tag, unsigned k) {
  return "__pagepool." + tag + ".files." + std::to_string(k);
}

std::error_code file_table::grow_mapped_locked() noexcept {
  const unsigned k = chunks_;
  const std::uint64_t n = chunk_len(k);
  // Slot numbers stay below no_slot.
  if (k >= max_chunks || capacity_ + n >= no_slot) return {ENOMEM, std::generic_category()};
  // Made already (by the table's maker or another attached table, under the
  // table's latch, or before this one attached): map it. acquire (PF3): its
  // file is made and sized.
  const bool exists = file_backed_ && st_->chunks.load(std::memory_order_acquire) > k;  // (PF3)
  // The shared side: anonymous memory, or a chunk file whose slots are
  // committed one by one as they are handed out (take_slot_locked). Either
  // way its states are constructed there too: nothing touches a slot's bytes
  // before.
  void* m = nullptr;
  std::unique_ptr<region_file> cf;
  if (file_backed_) {
    cf.reset(new (std::nothrow) region_file());
    if (!cf) return {ENOMEM, std::generic_category()};
    region_file_spec spec = backing_.spec;
    try {
      spec.name = file_table_chunk_name(backing_.tag, k);
    } catch (...) {
      return {ENOMEM, std::generic_category()};
    }
    if (exists) {
      if (auto ec = cf->open(spec, 0, sizeof(file_shared) * n, nullptr)) return ec;
    } else {
      if (auto ec = cf->make(spec, 0, sizeof(file_shared) * n, nullptr, 0)) return ec;
      // Kept when this table goes if it is attached (the maker removes it)
      // or its files are kept.
      if (attached_ || kept_) cf->keep();
    }
    m = cf->pages();
  } else {
    m = ::mmap(nullptr, sizeof(file_shared) * n, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return {ENOMEM, std::generic_category()};
  }
  try {
    // The process's side first: a failure leaves the elements it made
    // (unused until a later growth reaches them) and no chunk.
    locals_.grow_to_at_least(capacity_ + n);
  } catch (...) {  // bad_alloc (or a mutex that could not be made)
    if (!file_backed_) ::munmap(m, sizeof(file_shared) * n);
    return {ENOMEM, std::generic_category()};
  }
  chunk_files_[k] = std::move(cf);
  shared_dir_[k].store(static_cast<file_shared*>(m), std::memory_order_release);  // (FT1)
  chunks_ = k + 1;
  capacity_ += n;
  // release: a reader in another process that sees the count finds the
  // chunk's file made (PF3). (Only a table that made the chunk counts it;
  // it holds the table's latch, so no other process makes chunk k.)
  if (!exists) st_->chunks.store(chunks_, std::memory_order_release);  // (PF3)
  return {};
}

void file_table::push_free_locked(std::uint32_t slot) noexcept {
  shared(slot).next = st_->free_head;
  st_->free_head = slot + 1;
}

std::error_code file_table::take_slot_locked(std::uint32_t& slot) noexcept {
  if (st_->free_head != 0) {
    slot = st_->free_head - 1;
    st_->free_head = shared(slot).next;
    shared(slot).next = 0;
    return {};
  }
  const std::uint32_t n = st_->size.load(std::memory_order_relaxed);
  {
    // Chunks another process made are mapped first, then one is made.
    std::lock_guard g(map_mu_);
    while (n >= capacity_)
      if (auto ec = grow_mapped_locked()) return ec;
  }
  // A new slot: commit its bytes (a chunk file) and construct its state
  // before the size hands it out.
  const unsigned k = chunk_of(n);
  const std::uint32_t i = n - chunk_start(k);
  if (file_backed_)
    if (auto ec = chunk_files_[k]->commit(std::size_t{i} * sizeof(file_shared), sizeof(file_shared)))
      return ec;
  new (&shared_dir_[k].load(std::memory_order_relaxed)[i]) file_shared();
  slot = n;
  st_->size.store(n + 1, std::memory_order_release);  // (FT2) (PF3)
  return {};
}

// FNV-1a over the id's bytes or the name's: a hash every process of a build
// computes alike, as a shared index needs.
namespace {
std::uint32_t fnv1a(const void* p, std::size_t n) noexcept {
  std::uint32_t h = 2166136261u;
  const auto* b = static_cast<const unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 16777619u;
  return h;
}
constexpr unsigned bucket_mask = file_table_state::index_buckets - 1;
static_assert((file_table_state::index_buckets & bucket_mask) == 0);
}  // namespace

std::uint32_t file_table::hash_of(const file_id& id) noexcept {
  return fnv1a(id.data(), id.size()) & ~1u;  // even: a real file's id
}

std::uint32_t file_table::hash_of(const char* name, std::size_t len) noexcept {
  return fnv1a(name, len) | 1u;  // odd: an in-memory file's name
}

std::uint32_t file_table::find_locked(const file_id& id) noexcept {
  const std::uint32_t h = hash_of(id);
  for (std::uint32_t s = st_->index[h & bucket_mask]; s != 0;) {
    const file_shared& fs = shared(s - 1);
    if (fs.key_hash == h && fs.id == id) return s - 1;
    s = fs.next;
  }
  return no_slot;
}

std::uint32_t file_table::find_nofile_locked(const std::string& path) noexcept {
  if (path.size() >= file_shared::name_max) return no_slot;  // never stored (open refuses it)
  const std::uint32_t h = hash_of(path.data(), path.size());
  for (std::uint32_t s = st_->index[h & bucket_mask]; s != 0;) {
    const file_shared& fs = shared(s - 1);
    if (fs.key_hash == h && std::memcmp(fs.name, path.c_str(), path.size() + 1) == 0) return s - 1;
    s = fs.next;
  }
  return no_slot;
}

void file_table::index_locked(std::uint32_t slot) noexcept {
  file_shared& fs = shared(slot);
  if (fs.temp.load(std::memory_order_relaxed)) return;
  fs.key_hash = fs.nofile.load(std::memory_order_relaxed) ? hash_of(fs.name, std::strlen(fs.name))
                                                          : hash_of(fs.id);
  std::uint32_t& head = st_->index[fs.key_hash & bucket_mask];
  fs.next = head;
  head = slot + 1;
}

file_local& file_table::current_local(std::uint32_t slot) noexcept {
  file_local& fl = local(slot);
  file_shared& fs = shared(slot);
  // acquire (FT3): the name the fill wrote before its generation.
  const std::uint32_t g = fs.gen.load(std::memory_order_acquire);  // (FT3)
  {
    std::shared_lock lk(fl.fd_mu);
    if (fl.gen == g) [[likely]] return fl;
  }
  std::unique_lock lk(fl.fd_mu);
  if (fl.gen != g) renew_local_locked(fl, fs, g);
  return fl;
}

void file_table::renew_local_locked(file_local& fl, const file_shared& fs, std::uint32_t g) noexcept {
  // Another file's side (the slot filled again elsewhere since): forget it.
  if (fl.fd >= 0) (void)io_->close(fl.fd);
  fl.fd = -1;
  fl.fd_writable = false;
  fl.direct = false;
  try {
    fl.path = fs.temp.load(std::memory_order_relaxed) ? std::string() : std::string(fs.name);
  } catch (...) {
    fl.path.clear();  // reopened by nobody: a write-back fails with ENOENT, the page stays dirty
  }
  {
    std::unique_lock ck(fl.cookie_mu);
    fl.cookie.clear();
  }
  fl.gen = g;
}

void file_table::joined_locked(std::uint32_t slot) noexcept { unqueue_fd_locked(slot); }

void file_table::unqueue_fd_locked(std::uint32_t slot) noexcept {
  file_local& fl = local(slot);
  if (!fl.fd_queued) return;
  fl.fd_queued = false;  // its queue entry is stale now
  --fd_queued_n_;
}

void file_table::queue_fd_locked(std::uint32_t slot) noexcept {
  file_local& fl = local(slot);
  if (fl.fd_queued) return;
  try {
    // Drop stale entries once they outnumber the live ones (each live slot
    // keeps its oldest entry): the queue stays O(live) in size.
    if (fd_queue_.size() > 2 * std::size_t{fd_queued_n_} + 64) {
      std::deque<std::uint32_t> live;
      for (const std::uint32_t s : fd_queue_)
        if (local(s).fd_queued) {
          live.push_back(s);
          local(s).fd_queued = false;
        }
      for (const std::uint32_t s : live) local(s).fd_queued = true;
      fd_queue_.swap(live);
    }
    fd_queue_.push_back(slot);
  } catch (...) {
    return;  // uncounted until the next full reap_locked
  }
  fl.fd_queued = true;
  ++fd_queued_n_;
}

void file_table::free_locked(std::uint32_t slot) noexcept {
  file_shared& fs = shared(slot);
  file_local& fl = local(slot);
  // Fold its counters into the pool's, as BDB does, then free it.
  for (auto f : file_counter_fields) retired().add(f, fs.counters.sum(f));
  if (!fs.temp.load(std::memory_order_relaxed)) {
    // Out of its index chain (a slot filled and used is always in it).
    std::uint32_t* link = &st_->index[fs.key_hash & bucket_mask];
    while (*link != 0 && *link != slot + 1) link = &shared(*link - 1).next;
    PAGEPOOL_ASSERT(*link == slot + 1, "a used named file is in its index chain");
    if (*link == slot + 1) *link = fs.next;
    fs.next = 0;
  }
  unqueue_fd_locked(slot);
  std::unique_lock lk(fl.fd_mu);
  if (fl.fd >= 0) (void)io_->close(fl.fd);
  fl.fd = -1;
  fl.fd_writable = false;
  fl.path.clear();
  {
    std::unique_lock ck(fl.cookie_mu);
    fl.cookie.clear();
  }
  fs.used.store(0, std::memory_order_relaxed);
  push_free_locked(slot);
}

bool file_table::try_free_locked(std::uint32_t slot) noexcept {
  file_shared& fs = shared(slot);
  if (!fs.used.load(std::memory_order_relaxed) || fs.handles.load(std::memory_order_relaxed) != 0)
    return false;
  if (!fs.no_frames() ||  // (F1)
      fs.io_refs.load(std::memory_order_relaxed) != 0 || owes_fsync(fs))
    return false;
  free_locked(slot);
  return true;
}

std::uint32_t file_table::trim_fds_locked(int max_open_fd) noexcept {
  std::uint32_t closed = 0;
  while (fd_queued_n_ > static_cast<std::uint32_t>(max_open_fd) && !fd_queue_.empty()) {
    const std::uint32_t slot = fd_queue_.front();
    fd_queue_.pop_front();
    file_local& fl = local(slot);
    if (!fl.fd_queued) continue;  // stale
    unqueue_fd_locked(slot);
    file_shared& fs = shared(slot);
    if (!fs.used.load(std::memory_order_relaxed) || fs.handles.load(std::memory_order_relaxed) != 0 ||
        fs.temp.load(std::memory_order_relaxed) || fs.io_refs.load(std::memory_order_relaxed) != 0)
      continue;
    std::unique_lock lk(fl.fd_mu);
    if (fl.fd < 0) continue;
    (void)io_->close(fl.fd);
    fl.fd = -1;
    fl.fd_writable = false;
    ++closed;
  }
  return closed;
}

void file_table::note_reopen(std::uint32_t slot) noexcept {
  std::lock_guard g(reopen_mu_);
  try {
    reopened_.push_back(slot);
  } catch (...) {
    // uncounted until reap_after_close_locked's walk or a sync reaches it
  }
}

std::uint32_t file_table::trim_reopened_locked(int max_open_fd) noexcept {
  if (max_open_fd <= 0) return 0;
  count_reopened_locked();
  return trim_fds_locked(max_open_fd);
}

void file_table::count_reopened_locked() noexcept {
  {
    std::vector<std::uint32_t> again;
    {
      std::lock_guard g(reopen_mu_);
      again.swap(reopened_);
    }
    for (const std::uint32_t s : again) queue_if_lingering_locked(s);
  }
}

void file_table::queue_if_lingering_locked(std::uint32_t s) noexcept {
  file_shared& fs = shared(s);
  if (!fs.used.load(std::memory_order_relaxed) || fs.handles.load(std::memory_order_relaxed) != 0 ||
      fs.temp.load(std::memory_order_relaxed))
    return;
  bool has_fd;
  {
    std::shared_lock lk(local(s).fd_mu);
    has_fd = local(s).fd >= 0;
  }
  if (has_fd) queue_fd_locked(s);
}

std::uint32_t file_table::reap_after_close_locked(std::uint32_t slot, int max_open_fd) noexcept {
  (void)try_free_locked(slot);
  if (max_open_fd > 0) count_reopened_locked();
  // A few more slots round the table: states whose last frame was evicted
  // since their last close go without waiting for a sync. A lingering
  // descriptor not yet counted (reopened by a write-back) is counted here.
  const std::uint32_t n = size();
  for (int step = 0; step < 4 && n != 0; ++step) {
    if (reap_cursor_ >= n) reap_cursor_ = 0;
    const std::uint32_t s = reap_cursor_++;
    if (try_free_locked(s) || max_open_fd <= 0) continue;
    queue_if_lingering_locked(s);
  }
  if (max_open_fd <= 0) return 0;
  file_shared& fs = shared(slot);
  if (fs.used.load(std::memory_order_relaxed) && fs.handles.load(std::memory_order_relaxed) == 0 &&
      !fs.temp.load(std::memory_order_relaxed)) {
    bool has_fd;
    {
      std::shared_lock lk(local(slot).fd_mu);
      has_fd = local(slot).fd >= 0;
    }
    if (has_fd) queue_fd_locked(slot);
  }
  return trim_fds_locked(max_open_fd);
}

std::uint32_t file_table::reap_locked(int max_open_fd) noexcept {
  const std::uint32_t n = size();
  std::uint32_t lingering_fds = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (try_free_locked(i)) continue;
    file_shared& fs = shared(i);
    if (!fs.used.load(std::memory_order_relaxed) || fs.handles.load(std::memory_order_relaxed) != 0)
      continue;
    file_local& fl = local(i);
    std::shared_lock lk(fl.fd_mu);
    if (fl.fd >= 0) ++lingering_fds;
  }
  // set_mp_max_openfd: descriptors kept for files no handle has open. Each is
  // reopened by path if a page of its file must be written later.
  std::uint32_t closed = 0;
  if (max_open_fd <= 0) return closed;
  for (std::uint32_t i = 0; i < n && lingering_fds > static_cast<std::uint32_t>(max_open_fd); ++i) {
    file_shared& fs = shared(i);
    if (!fs.used.load(std::memory_order_relaxed) || fs.handles.load(std::memory_order_relaxed) != 0 ||
        fs.temp.load(std::memory_order_relaxed) || fs.io_refs.load(std::memory_order_relaxed) != 0)
      continue;
    file_local& fl = local(i);
    std::unique_lock lk(fl.fd_mu);
    if (fl.fd < 0) continue;
    (void)io_->close(fl.fd);
    fl.fd = -1;
    fl.fd_writable = false;
    lk.unlock();
    unqueue_fd_locked(i);
    --lingering_fds;
    ++closed;
  }
  return closed;
}

void file_table::close_all_locked() noexcept {
  const std::uint32_t n = size();
  for (std::uint32_t i = 0; i < n; ++i) {
    file_local& fl = local(i);
    std::unique_lock lk(fl.fd_mu);
    if (fl.fd >= 0) (void)io_->close(fl.fd);
    fl.fd = -1;
  }
}

}  // namespace pagepool::internal
