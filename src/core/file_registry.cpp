// src/core/file_registry.cpp: opening and closing files: the table of shared
// per-file states (BDB: MPOOLFILE), joined by every handle on one physical
// file, and the descriptors beside it.
//
// A file state lives while a handle has it open, a frame holds one of its
// pages, or a sync owes it an fsync. With no handle left, a named file's
// state lingers (its pages stay cached and are written back later, as BDB's
// do); a temporary file's pages are dropped and its state freed at once.
// All changes to the table happen under its latch (core/file_table.hpp).
//
// Synchronization edges (papers/design/memory-ordering.md; defined with
// evict in core/pool_impl.cpp): (F1) the acquire loads of a file state's
// frame count, against the evictors' release fetch_sub; (E1) and (E2)
// discard_file_frames' claim of a frame [acquire] and its give-back of a
// frame that holds another file's page [release].
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <functional>
#include <utility>

#include "core/pool_impl.hpp"
#include "io/direct_io.hpp"
#include "io/posix_io.hpp"
#include "port/backoff.hpp"

namespace pagepool::internal {

namespace {

std::error_code err(int e) { return {e, std::generic_category()}; }

file_id derive_id(const io_file_info& st) {
  file_id id{};
  const std::uint64_t ino = st.ino, dev = st.dev;
  std::memcpy(id.data(), &ino, 8);
  std::memcpy(id.data() + 8, &dev, 8);
  return id;
}

/// RAII for a descriptor during open.
struct fd_guard {
  io_backend& io;
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) (void)io.close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

}  // namespace

std::error_code pool_impl::open_file(file_handle_state& h, const std::optional<std::string>& path,
                                     open_flags flags, int mode, std::size_t page_size) noexcept {
  using of = open_flags;
  constexpr auto known =
      static_cast<std::uint32_t>(of::create | of::nommap | of::direct | of::oddfilesize | of::rdonly);
  if ((static_cast<std::uint32_t>(flags) & ~known) != 0) return err(EINVAL);
  if (h.open || h.closed || closed.load(std::memory_order_relaxed)) return err(EINVAL);
  // Every page size Berkeley DB accepts, in one pool (pool.hpp, "Page sizes").
  if (page_size < 512 || page_size > 65536 || !std::has_single_bit(page_size))
    return err(EINVAL);
  if (h.clear_set && h.clear_len > page_size) return err(EINVAL);
  if (h.lsn_set && h.lsn_offset >= 0 &&
      static_cast<std::size_t>(h.lsn_offset) + sizeof(lsn) > page_size)
    return err(EINVAL);
  const bool rdonly = any(flags, of::rdonly);
  if (rdonly && !path) return err(EINVAL);
  if (path && path->empty()) return err(EINVAL);
  // A name the file state cannot hold whole (file_shared::name, the key of an
  // in-memory file in the shared index, and the name another process opens
  // the file by) is ENAMETOOLONG, as open(2) says of a path of PATH_MAX bytes.
  if (path && path->size() >= file_shared::name_max) return err(ENAMETOOLONG);
  if (mode < 0 || mode > 07777) return err(EINVAL);
  // The first file of a page size makes its class's regions (ENOMEM, with
  // nothing opened, if they cannot be mapped).
  if (auto ec = ensure_class(class_of(page_size))) return ec;

  fd_guard fd{*io_};
  bool direct = false;
  bool direct_refused = false;  // DB_DIRECT asked, the file system said no
  bool created_new = false;  // this open made the file: its directory is owed an fsync
  std::uint32_t npages = 0;
  std::size_t fsize = 0;
  file_id id = h.id;
  const bool nofile = h.nofile;
  if (nofile) {
    // In memory only: no OS file. A named one is found by its name below.
    if (path && !h.id_set) {
      id = {};
      std::memcpy(id.data(), "nofl", 4);
      const std::size_t hv = std::hash<std::string>{}(*path);
      std::memcpy(id.data() + 4, &hv, sizeof hv);
    }
  }
  if (nofile) {
    // nothing to open
  } else if (path) {
    const int oflags = (rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
    // DB_DIRECT (io/direct_io.hpp): O_DIRECT "if supported by the system"
    // (spec 003). A file system that refuses it at open (EINVAL) gets
    // buffered I/O, counted in pool_stats::direct_fallbacks. One that takes
    // it must be able to move whole pages: see the alignment check below.
    const bool want_direct = any(flags, of::direct);
    const int fmode = mode ? mode : 0660;
    auto open_one = [&](int extra) {
      int r = io_->open(*path, oflags | extra | (want_direct ? O_DIRECT : 0), fmode);
      if (r == -EINVAL && want_direct) {  // O_DIRECT not supported here (tmpfs)
        r = io_->open(*path, oflags | extra, fmode);
        direct = false;
        direct_refused = r >= 0;
      } else {
        direct = want_direct && r >= 0;
      }
      return r;
    };
    int r = -ENOENT;
    if (any(flags, of::create)) {
      // Tell a new file from an existing one (only a new one owes its
      // directory an fsync): O_EXCL first, then a plain open of what exists.
      // A file removed between the two is created on the next round.
      for (int round = 0; round < 8 && r == -ENOENT; ++round) {
        r = open_one(O_CREAT | O_EXCL);
        if (r >= 0) {
          created_new = true;
          break;
        }
        if (r == -EEXIST) r = open_one(0);
      }
      if (r == -ENOENT) {
        // Still neither: a dangling symlink (O_EXCL refuses it, a plain open
        // finds no target). O_CREAT creates the target, as open(2) would;
        // count it as new, since it may be.
        r = open_one(O_CREAT);
        created_new = r >= 0;
      }
    } else {
      r = open_one(0);
    }
    if (r < 0) return err(r == -EISDIR ? EINVAL : -r);
    fd.fd = r;
    io_file_info st;
    if (const int rc = io_->fstat(fd.fd, st); rc != 0) return err(-rc);
    if (st.directory) return err(EINVAL);
    if (direct && io_->mappable()) {
      // Kernel descriptors: O_DIRECT moves whole pages at pgno * page_size,
      // so a page size below the file's alignment is EINVAL (and a file this
      // open made is removed again); so is a memory alignment above what
      // frames and the scratch copy have.
      const direct_io_alignment a = direct_io_alignment_of(fd.fd);
      const std::size_t need = a.offset != 0 ? a.offset : 4096;
      if (page_size < need || page_size % need != 0 ||
          a.memory > std::min<std::size_t>(page_size, 4096)) {
        if (created_new) (void)io_->unlink(*path);
        return err(EINVAL);
      }
    }
    fsize = static_cast<std::size_t>(st.size);
    if (fsize % page_size != 0 && !any(flags, of::oddfilesize)) return err(EINVAL);
    if (fsize / page_size >= no_frame) return err(EINVAL);
    npages = static_cast<std::uint32_t>(fsize / page_size);
    if (!h.id_set) id = derive_id(st);
  }
  if (!path && !h.id_set) {
    // Temporary files get an id nobody else has; they are never joined.
    const std::uint32_t serial = temp_serial_.fetch_add(1, std::memory_order_relaxed) + 1;
    id = {};
    std::memcpy(id.data(), "temp", 4);
    std::memcpy(id.data() + 4, &serial, 4);
    const auto self = reinterpret_cast<std::uintptr_t>(this);
    std::memcpy(id.data() + 8, &self, sizeof self);
  }

  // The name the file state keeps (file_shared::name): what another process
  // attached to the pool opens the file by, and what pool::inspect reports.
  // A kernel file's relative path is made absolute here (another process
  // has another working directory); an in-memory file's name is its key.
  std::string state_name;
  if (path) {
    try {
      state_name = *path;
      if (!nofile && io_->mappable() && state_name.front() != '/') {
        std::error_code aec;
        auto abs = std::filesystem::absolute(state_name, aec);
        if (!aec) state_name = abs.lexically_normal().string();
      }
    } catch (...) {
      return err(ENOMEM);
    }
  }

  files_.latch().lock();
  std::uint32_t slot = no_slot;
  if (path) slot = nofile ? files_.find_nofile_locked(*path) : files_.find_locked(id);
  if (slot == no_slot && nofile && path && !any(flags, of::create)) {
    files_.latch().unlock();
    return err(ENOENT);  // BDB: DB_CREATE is needed to create an in-memory file
  }
  if (slot != no_slot) {
    // Join. The page size, clear length and LSN offset this handle gives
    // must match the file's (spec 003; set_clear_len, set_lsn_offset: "must
    // be consistent with the existing file"); a file type and a pgcookie
    // replace the file's (set_ftype, set_pgcookie: "will replace the
    // existing information"), as a priority does (set_priority "configures a
    // file in the cache").
    file_shared& fs = files_.shared(slot);
    if (fs.page_size != page_size || (h.clear_set && h.clear_len != fs.clear_len) ||
        (h.lsn_set && h.lsn_offset != fs.lsn_offset)) {
      files_.latch().unlock();
      return err(EINVAL);
    }
    file_local& fl = files_.current_local(slot);
    if (h.cookie_set) {
      try {
        std::unique_lock ck(fl.cookie_mu);
        fl.cookie = h.cookie;
      } catch (...) {
        files_.latch().unlock();
        return err(ENOMEM);  // nothing joined yet
      }
    }
    files_.joined_locked(slot);
    if (h.ftype_set && h.ftype != fs.ftype.load(std::memory_order_relaxed)) {
      fs.ftype.store(h.ftype, std::memory_order_relaxed);
      // Pages read from a mapping would skip the new type's page-in.
      if (has_pgin(h.ftype)) fs.can_mmap.store(false, std::memory_order_relaxed);
    }
    {
      std::unique_lock lk(fl.fd_mu);
      if (fl.fd < 0 || (!fl.fd_writable && !rdonly)) {
        if (fl.fd >= 0) (void)io_->close(fl.fd);
        fl.fd = fd.release();
        fl.fd_writable = !rdonly;
        fl.direct = direct;
      }
    }
    // A file extended through the OS since the state was made keeps the
    // larger count; pages created in the cache keep theirs.
    std::uint32_t cur = fs.npages.load(std::memory_order_relaxed);
    while (cur < npages && !fs.npages.compare_exchange_weak(cur, npages, std::memory_order_relaxed)) {
    }
  } else {
    // A free slot, or a new one: the table grows until memory runs out.
    if (const std::error_code ec = files_.take_slot_locked(slot)) {
      files_.latch().unlock();
      return ec;
    }
    // The file's size is read again now that no state of it exists (the
    // latch is held): the size read above, before the latch, may predate
    // pages that another state of this file wrote out before it was freed
    // meanwhile, and a page count taken from it would make those pages
    // "past the end" and let a get with create make them again as zeros,
    // over the written ones. With no state left, no write of the pool to
    // this file is in flight (a state is freed only with no frame and no
    // sync on it), so this size is exact.
    if (path && !nofile) {
      io_file_info now;
      if (const int rc = io_->fstat(fd.fd, now); rc != 0) {
        files_.give_back_locked(slot);
        files_.latch().unlock();
        return err(-rc);
      }
      const auto size_now = static_cast<std::size_t>(now.size);
      if (size_now / page_size >= no_frame) {
        files_.give_back_locked(slot);
        files_.latch().unlock();
        return err(EINVAL);
      }
      fsize = size_now;
      npages = static_cast<std::uint32_t>(size_now / page_size);
    }
    file_shared& fs = files_.shared(slot);
    fs.page_size = static_cast<std::uint32_t>(page_size);
    fs.id = id;
    fs.ftype.store(h.ftype, std::memory_order_relaxed);
    fs.prio.store(static_cast<int>(priority::normal), std::memory_order_relaxed);
    fs.clear_len = h.clear_len;
    fs.lsn_offset = h.lsn_set ? h.lsn_offset : -1;
    fs.temp.store(!path, std::memory_order_relaxed);
    fs.nofile.store(nofile, std::memory_order_relaxed);
    fs.unlink.store(false, std::memory_order_relaxed);
    fs.npages.store(npages, std::memory_order_relaxed);
    fs.maxpages.store(no_limit, std::memory_order_relaxed);
    fs.handles.store(0, std::memory_order_relaxed);
    fs.writers.store(0, std::memory_order_relaxed);
    fs.clear_frames();
    fs.io_refs.store(0, std::memory_order_relaxed);
    fs.can_mmap.store(true, std::memory_order_relaxed);
    fs.write_gen.store(0, std::memory_order_relaxed);
    fs.synced_gen.store(0, std::memory_order_relaxed);
    fs.sync_error.store(0, std::memory_order_relaxed);  // a fresh state: no failed fsync
    fs.dir_unsynced.store(false, std::memory_order_relaxed);
    fs.set_name(state_name);  // empty for a temporary file
    for (auto f : file_counter_fields) fs.counters.clear(f);
    // release (FT3): a process whose side of the slot is older sees the
    // fields and the name above once it sees the new generation.
    const std::uint32_t gen = fs.gen.fetch_add(1, std::memory_order_release) + 1;  // (FT3)
    file_local& fl = files_.local(slot);
    {
      std::unique_lock lk(fl.fd_mu);
      fl.gen = gen;
      if (fl.fd >= 0) (void)io_->close(fl.fd);  // another file's, left by an older generation
      fl.fd = fd.release();
      fl.fd_writable = path && !rdonly;
      fl.direct = direct;
      try {
        fl.path = path ? *path : std::string();
        std::unique_lock ck(fl.cookie_mu);
        fl.cookie = h.cookie;
      } catch (...) {
        if (fl.fd >= 0) (void)io_->close(fl.fd);
        fl.fd = -1;
        files_.give_back_locked(slot);
        files_.latch().unlock();
        return err(ENOMEM);
      }
    }
    if (path) files_.index_locked(slot);
    // release: a reader in another process (pool::inspect) that sees the
    // slot used sees it filled, its name included (PF4).
    fs.used.store(1, std::memory_order_release);  // (PF4)
  }
  file_shared& fs = files_.shared(slot);
  fs.handles.fetch_add(1, std::memory_order_relaxed);
  if (created_new) fs.dir_unsynced.store(true, std::memory_order_relaxed);
  if (h.unlink.load(std::memory_order_relaxed)) fs.unlink.store(true, std::memory_order_relaxed);
  if (!rdonly) {
    fs.writers.fetch_add(1, std::memory_order_relaxed);
    fs.can_mmap.store(false, std::memory_order_relaxed);
  }
  if (h.maxsize_set)
    fs.maxpages.store(h.maxsize == 0 ? no_limit : h.maxsize / page_size, std::memory_order_relaxed);
  // Serve small read-only files by mmap (BDB: mp_mmapsize), unless pages of
  // the file are cached or a writer has it open: then the cache is the truth.
  // Nor a DB_DIRECT one: a mapping is the OS cache it asked to bypass.
  const bool can_map = rdonly && io_->mappable() && !any(flags, of::nommap | of::direct) &&
                       npages > 0 &&
                       fsize <= set_->mmap_size.load(std::memory_order_relaxed) && !has_pgin(fs.ftype.load(std::memory_order_relaxed)) &&
                       fs.can_mmap.load(std::memory_order_relaxed) &&
                       fs.no_frames();  // (F1)
  files_.latch().unlock();

  h.open = true;
  if (direct_refused) counters().add<&pool_counters::direct_fallback>();
  h.slot = slot;
  h.page_size = page_size;
  h.cls = class_of(page_size);
  h.flags = flags;
  h.rdonly = rdonly;
  h.ftype = fs.ftype.load(std::memory_order_relaxed);
  h.shared = &fs;
  if (h.prio_set.load(std::memory_order_relaxed))
    fs.prio.store(h.prio.load(std::memory_order_relaxed), std::memory_order_relaxed);
  h.clear_len = fs.clear_len;
  h.lsn_offset = fs.lsn_offset;
  h.id = fs.id;
  if (can_map) {
    std::shared_lock lk(files_.local(slot).fd_mu);
    const std::size_t len = std::size_t{npages} * page_size;
    void* m = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, files_.local(slot).fd, 0);
    if (m != MAP_FAILED) {
      h.map = static_cast<std::byte*>(m);
      h.map_len = len;
      h.map_pages = npages;
    }
  }
  open_handles.fetch_add(1, std::memory_order_relaxed);
  return {};
}

std::error_code pool_impl::close_file(file_handle_state& h, bool force) noexcept {
  if (!h.open) return err(EINVAL);
  if (force) {
    for (const auto& d : pins.drain(h.serial)) {
      for (std::uint32_t k = 0; k < d.plain; ++k)
        (void)unfix(h, d.ref, priority::unchanged, put_flags::none, false, false);
      for (std::uint32_t k = 0; k < d.write; ++k)
        (void)unfix(h, d.ref, priority::unchanged, put_flags::none, false, true);
    }
  } else {
    const std::uint64_t handle_pins = h.handle_pins.sum<&file_handle_state::pin_count::n>();
    if (handle_pins != 0 || pins.count(h.serial) != 0) return err(EBUSY);
  }
  if (h.map != nullptr) {
    ::munmap(h.map, h.map_len);
    h.map = nullptr;
  }
  const std::uint32_t slot = h.slot;
  file_shared& fs = files_.shared(slot);
  files_.latch().lock();
  const std::uint32_t left = fs.handles.fetch_sub(1, std::memory_order_relaxed) - 1;
  if (!h.rdonly) fs.writers.fetch_sub(1, std::memory_order_relaxed);
  if (left == 0) {
    // BDB: a dead file's pages go unwritten: a temporary file's, and those
    // of a file removed at its last close.
    const bool unl = fs.unlink.load(std::memory_order_relaxed);
    if (fs.temp.load(std::memory_order_relaxed) || unl) discard_file_frames(slot);
    if (unl && !fs.temp.load(std::memory_order_relaxed) && !fs.nofile.load(std::memory_order_relaxed)) {
      (void)io_->unlink(files_.local(slot).path);
      // Removed: no sync owes it an fsync any more (reap_locked may free it).
      fs.synced_gen.store(fs.write_gen.load(std::memory_order_relaxed), std::memory_order_relaxed);
      fs.dir_unsynced.store(false, std::memory_order_relaxed);
    }
    fs.unlink.store(false, std::memory_order_relaxed);
  }
  // Constant time whatever the number of files: this state, a few others,
  // and the descriptor bound (a sync visits them all).
  counters().add<&pool_counters::fd_closed>(
      files_.reap_after_close_locked(slot, set_->max_open_fd.load(std::memory_order_relaxed)));
  files_.latch().unlock();
  h.open = false;
  h.closed = true;
  open_handles.fetch_sub(1, std::memory_order_relaxed);
  return {};
}

void pool_impl::discard_file_frames(std::uint32_t slot) noexcept {
  file_shared& fs = files_.shared(slot);
  // A small file's pages are found through the page table, one lookup each,
  // so that closing one of many small files does not visit the whole cache;
  // what that misses (pages in someone's hands) the walk below finds.
  const pgno_t npages = fs.npages.load(std::memory_order_relaxed);
  if (npages <= 64) {
    for (pgno_t pg = 0; pg < npages && !fs.no_frames(); ++pg) {  // (F1)
      const route rt = route_of(slot, pg);
      region& rg = *regions_[rt.region];
      rg.table().lock_shared(rt.bucket);
      const std::uint32_t i = rg.table().find(rt.bucket, slot, pg);
      rg.table().unlock_shared(rt.bucket);
      if (i == no_frame) continue;
      frame& fr = rg.frame_at(i);
      frame_state::word s = fr.state.load(std::memory_order_relaxed);
      if (!frame_state::evictable(s)) continue;
      if (!frame_ops::claim(fr, s)) continue;  // (E1)
      if (fr.file.load(std::memory_order_relaxed) != slot ||
          fr.pgno.load(std::memory_order_relaxed) != pg) {
        frame_ops::give_back(fr, s);  // (E2)
        continue;
      }
      unlink_and_free(rt.region, i);
    }
  }
  backoff outer;
  // acquire: pairs with evictors' (F1) release, so their last use of the
  // file state is over when the count reads 0.
  while (!fs.no_frames()) {
    // The file's pages are all in its class's regions.
    const std::uint32_t first = class_of_slot(slot) * nregions_;
    for (std::uint32_t r = first; r < first + nregions_; ++r) {
      region& rg = *regions_[r];
      for (std::uint32_t i = 0; i < rg.scan_end(); ++i) {
        frame& fr = rg.frame_at(i);
        frame_state::word s = fr.state.load(std::memory_order_relaxed);
        if (!frame_state::evictable(s)) continue;  // free, or in someone's hands: next round
        if (fr.file.load(std::memory_order_relaxed) != slot) continue;
        if (!frame_ops::claim(fr, s)) continue;  // (E1)
        if (fr.file.load(std::memory_order_relaxed) != slot) {
          frame_ops::give_back(fr, s);  // (E2)
          continue;
        }
        unlink_and_free(r, i);
      }
    }
    if (!fs.no_frames()) outer.pause();  // (F1)
  }
}

std::error_code pool_impl::close() noexcept {
  if (closed.load(std::memory_order_relaxed)) return {};
  if (open_handles.load(std::memory_order_relaxed) != 0) return err(EBUSY);
  stop_background_writer();
  const std::error_code ec = sync(std::nullopt, no_slot);
  if (ec) {
    // A page whose write failed is still dirty: stay open, so that a later
    // close (once the cause is gone) writes it. If every page was written
    // and only an fsync failed (now or before: the sticky mark), no retry
    // can make the data durable: close, and report the error.
    for (std::uint32_t g = 0; g < region_slots(); ++g) {
      if (!region_live(g)) continue;
      region* rg = regions_[g].get();
      for (std::uint32_t i = 0; i < rg->scan_end(); ++i) {
        const frame& fr = rg->frame_at(i);
        // relaxed: no handle is open and sync has finished; a hint that only
        // decides which error path to take.
        const auto st = fr.state.load(std::memory_order_relaxed);
        if (!(st & frame_state::valid) || !(st & frame_state::dirty)) continue;
        const std::uint32_t slot = fr.file.load(std::memory_order_relaxed);
        if (slot < files_.size() && !files_.shared(slot).temp.load(std::memory_order_relaxed) &&
            !files_.shared(slot).nofile.load(std::memory_order_relaxed))
          return ec;
      }
    }
  }
  closed.store(true, std::memory_order_relaxed);
  files_.latch().lock();
  reap_locked();
  files_.close_all_locked();
  files_.latch().unlock();
  return ec;
}

}  // namespace pagepool::internal
