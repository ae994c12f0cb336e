// src/flush/writeback.cpp: writing pages back: the page writer (write-ahead
// rule, page-out, pwrite), sync, trickle, descriptors, and durability (the
// fsync of each written file, of a new file's directory, and the sticky mark
// of a failed fsync: fsync_file). All I/O goes through the pool's io_backend.
//
// Synchronization edges (see frame/frame_state.hpp for the states):
//   (W1) sync/trickle claim the frame (frame_ops::claim, edge E1 in
//        frame/frame.hpp), pairing with the unpin (P2): the copy sees the
//        last holder's writes.
//   (W2) after the copy: frame_ops::end_snapshot, store W [release]: a
//        pinner's later writes cannot reach the copy; pins allowed again.
//   (W3) write done: frame_ops::end_write, CAS clearing wrt [release], pairs
//        with an evictor's (E1).
//   (G1) write_gen.fetch_add [release] after a pwrite; sync's acquire load
//        (G2) decides whether an fsync is owed.
//   (G2) sync: write_gen and synced_gen loads [acquire]; after its fsync, the
//        synced_gen CAS [release] that a later sync's synced_gen load reads:
//        a sync skips an fsync only when one that covers its writes is done.
//   (E2) a claimed frame that is not to be written (another file's page, or
//        an LSN not below upto) goes back as it was [release], as an
//        evictor's give-back (frame_ops::give_back): the page bytes read under
//        the claim are read before the next pin or claim (acquire) writes.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <new>
#include <thread>
#include <vector>

#include "core/pool_impl.hpp"
#include "io/posix_io.hpp"
#include "port/backoff.hpp"

namespace pagepool::internal {

namespace {
std::error_code err(int e) { return {e, std::generic_category()}; }
}  // namespace

std::error_code pool_impl::ensure_fd(std::uint32_t slot, bool for_write) noexcept try {
  file_local& fl = locals_[slot];
  file_shared& fs = files_[slot];
  {
    std::shared_lock lk(fl.fd_mu);
    if (fl.fd >= 0 && (!for_write || fl.fd_writable)) return {};
  }
  std::unique_lock lk(fl.fd_mu);
  if (fl.fd >= 0 && (!for_write || fl.fd_writable)) return {};
  int fd = -1;
  if (fs.temp.load(std::memory_order_relaxed)) {
    if (!for_write) return err(ENOENT);  // no backing file yet: nothing to read
    std::string dir = opts_.temp_dir;
    if (dir.empty()) {
      const char* t = std::getenv("TMPDIR");
      dir = t && *t ? t : "/tmp";
    }
    // A name nobody has (O_EXCL), made through the backend as mkostemp
    // would: pid, a serial, this pool and the clock; a clash tries again.
    static std::atomic<std::uint64_t> serial{0};
    std::string name;
    for (int round = 0; round < 64; ++round) {
      char tail[96];
      // relaxed: a counter that only has to differ between calls.
      const std::uint64_t n = serial.fetch_add(1, std::memory_order_relaxed);
      const auto t = static_cast<std::uint64_t>(
          std::chrono::steady_clock::now().time_since_epoch().count());
      std::snprintf(tail, sizeof tail, "/pagepool-temp-%ld-%llx-%llx", static_cast<long>(::getpid()),
                    static_cast<unsigned long long>(n),
                    static_cast<unsigned long long>(t ^ reinterpret_cast<std::uintptr_t>(this)));
      name = dir + tail;
      fd = io_->open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd != -EEXIST) break;
    }
    if (fd < 0) return err(-fd);
    // Gone from the directory at once; freed with its last descriptor. Its
    // directory is owed no fsync: the file is never synced and dies with
    // the pool's descriptor.
    (void)io_->unlink(name);
  } else {
    int of = (for_write || fl.fd_writable || fs.writers.load(std::memory_order_relaxed) > 0)
                 ? O_RDWR
                 : O_RDONLY;
    if (fl.direct) of |= O_DIRECT;
    fd = io_->open(fl.path, of | O_CLOEXEC, 0);
    if (fd < 0) return err(-fd);
    for_write = (of & O_ACCMODE) == O_RDWR;
  }
  if (fl.fd >= 0) (void)io_->close(fl.fd);  // exclusive: no I/O uses it now
  fl.fd = fd;
  fl.fd_writable = for_write || fs.temp.load(std::memory_order_relaxed);
  return {};
} catch (const std::bad_alloc&) {
  return err(ENOMEM);
}

std::error_code pool_impl::write_page(std::uint32_t slot, pgno_t pgno, std::byte* copy) noexcept {
  file_shared& fs = files_[slot];
  file_local& fl = locals_[slot];
  const std::size_t ps = fs.page_size;
  // Write-ahead rule: the log is durable up to this page's LSN first.
  if (fs.lsn_offset >= 0) {
    auto g = epoch_.enter();  // flush stays alive while it runs
    const log_flush_fn* flush = log_flush_.load(std::memory_order_acquire);  // (X2)
    if (flush != nullptr) {
      lsn l;
      std::memcpy(&l.file, copy + fs.lsn_offset, sizeof l.file);
      std::memcpy(&l.offset, copy + fs.lsn_offset + sizeof l.file, sizeof l.offset);
      int rc;
      try {
        rc = (*flush)(l);
      } catch (...) {
        rc = EIO;  // a callback must not throw; the write fails instead
      }
      if (rc != 0) return err(rc);
    }
  }
  if (auto ec = call_page_io(slot, false, pgno, copy)) return ec;
  // ensure_fd opens the descriptor under fd_mu and lets go of it; before the
  // write takes it again, set_mp_max_openfd's reaping may close a descriptor
  // of a file no handle has open. Open it again then (the page's frame is
  // still ours, so the file state cannot be freed meanwhile).
  for (;;) {
    if (auto ec = ensure_fd(slot, true)) return ec;
    std::shared_lock lk(fl.fd_mu);
    if (fl.fd < 0 || !fl.fd_writable) continue;  // closed in between: again
    if (auto ec = io::write_at(*io_, fl.fd, copy, ps, std::uint64_t{pgno} * ps))
      return ec;
    break;
  }
  fs.write_gen.fetch_add(1, std::memory_order_release);  // (G1)
  fs.counters.add<&file_counters::out>();
  return {};
}

// Durability of one file: the states of file_shared::sync_error.
//
//   clean     --fsync_file: fsync ok (and the directory's, if owed)--> clean
//   clean     --fsync_file: fsync or directory fsync fails, errno e--> marked(e)
//   marked(e) --fsync_file: returns e, calls nothing-----------------> marked(e)
//   marked(e) --state freed (no handle, frame or sync: reap_locked)--> gone
//   gone      --open of the file again: a new state----------------> clean
//
// A marked file is never fsync'd again while its state lives: after a failed
// fsync Linux may have dropped the dirty pages (and cleared the error), so a
// later success would claim what cannot be given (fsyncgate). Every
// transition happens under the file's sync_mu.
std::error_code pool_impl::fsync_file(std::uint32_t slot) noexcept {
  file_shared& fs = files_[slot];
  file_local& fl = locals_[slot];
  // One at a time per file: with two fsyncs racing, the kernel reports a
  // write-back error to one of them only; the other must not succeed after
  // the first has seen the failure. Under sync_mu, a sync that comes second
  // finds the mark.
  std::lock_guard serial(fl.sync_mu);
  if (const int e = fs.sync_error.load(std::memory_order_relaxed); e != 0) return err(e);
  int rc = 0;
  for (;;) {
    // A descriptor set_mp_max_openfd closed leaves the written pages in the
    // kernel's cache, still to be made durable: reopen to fsync them.
    if (auto ec = ensure_fd(slot, false)) return ec;  // not an fsync failure: no mark
    std::shared_lock lk(fl.fd_mu);
    if (fl.fd < 0) continue;  // closed in between: again
    const std::error_code ec = io::sync_fd(*io_, fl.fd);
    rc = ec.value();
    if (rc == 0 && fs.dir_unsynced.load(std::memory_order_relaxed)) {
      // The file was created by the pool: its name is durable once its
      // directory is fsync'd (after the file's own fsync).
      std::string dir;
      try {
        dir = std::filesystem::path(fl.path).parent_path().string();
      } catch (...) {
        return err(ENOMEM);
      }
      if (dir.empty()) dir = ".";
      rc = -io::sync_dir(*io_, dir);
      if (rc == 0) fs.dir_unsynced.store(false, std::memory_order_relaxed);
    }
    break;
  }
  if (rc == 0) return {};
  int none = 0;  // the first error seen stays the one reported
  fs.sync_error.compare_exchange_strong(none, rc, std::memory_order_relaxed);
  return err(fs.sync_error.load(std::memory_order_relaxed));
}

// The common engine of sync and trickle: visit every frame, write the dirty,
// unpinned ones that the pass wants.
std::error_code pool_impl::write_back(pass_kind kind, std::optional<lsn> upto, std::uint32_t only_slot,
                                      std::int64_t limit, std::int64_t& written) noexcept {
  written = 0;
  bool incomplete = false;
  std::error_code first_err;
  std::vector<bool> touched;  // files this pass wrote or waited on
  std::vector<std::pair<std::uint32_t, std::uint64_t>> owed;
  try {
    touched.assign(max_files_, false);
    owed.reserve(max_files_);
  } catch (const std::bad_alloc&) {
    return err(ENOMEM);
  }
  const int mw = max_write.load(std::memory_order_relaxed);
  const auto sleep = std::chrono::microseconds(max_write_sleep_us.load(std::memory_order_relaxed));
  std::byte* copy = scratch_page(frame_size_);
  if (copy == nullptr) return err(ENOMEM);

  for (std::uint32_t r = 0; r < regions_.size() && written < limit; ++r) {
    region& rg = *regions_[r];
    for (std::uint32_t i = 0; i < rg.scan_end() && written < limit; ++i) {
      frame& fr = rg.frame_at(i);
      backoff bo;
      for (;;) {
        frame_state::word s = fr.state.load(std::memory_order_relaxed);
        if (!(s & frame_state::valid) && !(s & frame_state::busy)) break;
        // relaxed peek: confirmed after the claim below.
        const std::uint32_t slot = fr.file.load(std::memory_order_relaxed);
        if (only_slot != no_slot && slot != only_slot) break;
        if (slot >= max_files_ || files_[slot].temp.load(std::memory_order_relaxed) ||
            files_[slot].nofile.load(std::memory_order_relaxed))
          break;
        if (s & (frame_state::busy | frame_state::wrt)) {
          // Being read, evicted or written by someone else: wait, then look
          // again; an evictor's write is fsync'd below through write_gen.
          if (!(s & frame_state::valid)) break;  // loading: not dirty yet
          if (kind == pass_kind::trickle) break;
          touched[slot] = true;
          bo.pause();
          continue;
        }
        if (!(s & frame_state::dirty)) break;
        if (frame_state::pins(s) > 0) {
          if (kind == pass_kind::sync) incomplete = true;
          break;
        }
        if (!frame_ops::claim(fr, s, /*clear_dirty=*/true)) continue;  // (W1)
        // Owned. The peeked key is now stable; check it.
        const std::uint32_t slot2 = fr.file.load(std::memory_order_relaxed);
        const pgno_t pgno = fr.pgno.load(std::memory_order_relaxed);
        file_shared& fs = files_[slot2];
        bool skip = slot2 != slot;
        if (!skip && upto && fs.lsn_offset >= 0) {
          lsn l;
          const std::byte* pg = rg.page(i);
          std::memcpy(&l.file, pg + fs.lsn_offset, sizeof l.file);
          std::memcpy(&l.offset, pg + fs.lsn_offset + sizeof l.file, sizeof l.offset);
          skip = !(l < *upto);
        }
        if (skip) {
          frame_ops::give_back(fr, s);  // (E2) back as it was, dirty
          break;
        }
        std::memcpy(copy, rg.page(i), fs.page_size);
        // (W2) W: pins allowed again; eviction waits for the write.
        frame_ops::end_snapshot(fr, (s & ~frame_state::dirty) | frame_state::wrt);
        touched[slot2] = true;
        const std::error_code ec = write_page(slot2, pgno, copy);
        frame_ops::end_write(fr, static_cast<bool>(ec));  // (W3)
        if (ec) {
          if (!first_err) first_err = ec;
          break;
        }
        ++written;
        if (mw > 0 && written % mw == 0 && sleep.count() > 0) {
          pool_counters_.add<&pool_counters::write_sleeps>();
          std::this_thread::sleep_for(sleep);
        }
        break;
      }
    }
  }

  if (kind == pass_kind::sync) {
    // fsync every file this pass wrote, waited on, or that someone else wrote
    // since its last fsync. write_gen / synced_gen make a concurrent sync that
    // has not finished its fsync not count as ours.
    registry_latch.lock();
    for (std::uint32_t slot = 0; slot < max_files_; ++slot) {
      file_shared& fs = files_[slot];
      if (!fs.used.load(std::memory_order_relaxed) || fs.temp.load(std::memory_order_relaxed) ||
          fs.nofile.load(std::memory_order_relaxed))
        continue;
      if (only_slot != no_slot && slot != only_slot) continue;
      const std::uint64_t g = fs.write_gen.load(std::memory_order_acquire);  // (G2)
      // A marked file, or one whose directory is owed an fsync, is always
      // visited: fsync_file reports the mark, or makes the name durable.
      if (touched[slot] || g > fs.synced_gen.load(std::memory_order_acquire) ||  // (G2)
          fs.sync_error.load(std::memory_order_relaxed) != 0 ||
          fs.dir_unsynced.load(std::memory_order_relaxed)) {
        fs.io_refs.fetch_add(1, std::memory_order_relaxed);  // registry latch orders it
        owed.emplace_back(slot, g);
      }
    }
    registry_latch.unlock();
    for (auto [slot, g] : owed) {
      file_shared& fs = files_[slot];
      if (auto ec = fsync_file(slot)) {
        if (!first_err) first_err = ec;
      } else {
        std::uint64_t cur = fs.synced_gen.load(std::memory_order_relaxed);
        // (G2) release: a later sync that reads synced_gen >= g (acquire) may
        // skip its fsync because this one completed.
        while (cur < g && !fs.synced_gen.compare_exchange_weak(cur, g, std::memory_order_release)) {
        }
      }
    }
    registry_latch.lock();
    for (auto [slot, g] : owed) files_[slot].io_refs.fetch_sub(1, std::memory_order_relaxed);
    reap_locked();
    registry_latch.unlock();
  }
  if (first_err) return first_err;
  if (incomplete) return errc::incomplete;
  return {};
}

std::error_code pool_impl::sync(std::optional<lsn> upto, std::uint32_t only_slot) noexcept {
  if (closed.load(std::memory_order_relaxed)) return err(EINVAL);
  std::int64_t n = 0;
  return write_back(pass_kind::sync, upto, only_slot, INT64_MAX, n);
}

std::error_code pool_impl::clean_to(int percent, std::int64_t& written) noexcept {
  written = 0;
  std::int64_t dirty = 0;
  for (auto& rg : regions_)
    for (std::uint32_t i = 0; i < rg->scan_end(); ++i) {
      // relaxed: a count to aim at; the writes themselves claim each frame.
      const auto s = rg->frame_at(i).state.load(std::memory_order_relaxed);
      if ((s & frame_state::valid) && (s & frame_state::dirty)) ++dirty;
    }
  const auto total = static_cast<std::int64_t>(frames());
  const std::int64_t clean = total - dirty;
  const std::int64_t target = (total * percent + 99) / 100;
  if (target <= clean) return {};
  return write_back(pass_kind::trickle, std::nullopt, no_slot, target - clean, written);
}

std::error_code pool_impl::trickle(int percent, int* written) noexcept {
  if (percent < 1 || percent > 100) return err(EINVAL);
  if (closed.load(std::memory_order_relaxed)) return err(EINVAL);
  std::int64_t n = 0;
  const std::error_code ec = clean_to(percent, n);
  pool_counters_.add<&pool_counters::page_trickle>(static_cast<std::uint64_t>(n));
  if (written != nullptr) *written = static_cast<int>(n);
  return ec;
}

}  // namespace pagepool::internal
