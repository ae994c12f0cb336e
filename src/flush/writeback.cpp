// src/flush/writeback.cpp: writing pages back (the design is in
// flush/writeback.hpp).
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

#include "flush/writeback.hpp"
#include "pagepool/error.hpp"
#include "io/posix_io.hpp"
#include "io/scratch_page.hpp"
#include "port/backoff.hpp"

namespace pagepool::internal {

namespace {
std::error_code err(int e) { return {e, std::generic_category()}; }
}  // namespace

std::error_code writeback::ensure_fd(std::uint32_t slot, bool for_write) noexcept try {
  file_local& fl = p_.files->local(slot);
  file_shared& fs = p_.files->shared(slot);
  // The process's side of the slot must be this file's (the slot may have
  // been freed and filled again by another process: file_table::
  // current_local), checked in the same holds of fd_mu as the descriptor.
  // acquire (FT3): the name the fill wrote before its generation.
  const std::uint32_t g = fs.gen.load(std::memory_order_acquire);  // (FT3)
  {
    std::shared_lock lk(fl.fd_mu);
    if (fl.gen == g && fl.fd >= 0 && (!for_write || fl.fd_writable)) return {};
  }
  std::unique_lock lk(fl.fd_mu);
  if (fl.gen != g) p_.files->renew_local_locked(fl, fs, g);
  if (fl.fd >= 0 && (!for_write || fl.fd_writable)) return {};
  int fd = -1;
  if (fs.temp.load(std::memory_order_relaxed)) {
    if (!for_write) return err(ENOENT);  // no backing file yet: nothing to read
    std::string dir = p_.temp_dir;
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
      fd = p_.io->open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd != -EEXIST) break;
    }
    if (fd < 0) return err(-fd);
    // Gone from the directory at once; freed with its last descriptor. Its
    // directory is owed no fsync: the file is never synced and dies with
    // the pool's descriptor.
    (void)p_.io->unlink(name);
  } else {
    int of = (for_write || fl.fd_writable || fs.writers.load(std::memory_order_relaxed) > 0)
                 ? O_RDWR
                 : O_RDONLY;
    if (fl.direct) of |= O_DIRECT;
    fd = p_.io->open(fl.path, of | O_CLOEXEC, 0);
    if (fd < 0) return err(-fd);
    for_write = (of & O_ACCMODE) == O_RDWR;
  }
  if (fl.fd >= 0) (void)p_.io->close(fl.fd);  // exclusive: no I/O uses it now
  fl.fd = fd;
  fl.fd_writable = for_write || fs.temp.load(std::memory_order_relaxed);
  lk.unlock();
  // A descriptor of a file no handle has open counts against
  // set_mp_max_openfd from the next close on (file_table::note_reopen).
  if (p_.settings->max_open_fd.load(std::memory_order_relaxed) > 0 &&
      fs.handles.load(std::memory_order_relaxed) == 0)
    p_.files->note_reopen(slot);
  return {};
} catch (const std::bad_alloc&) {
  return err(ENOMEM);
}

std::error_code writeback::write_page(std::uint32_t slot, pgno_t pgno, std::byte* copy) noexcept {
  file_shared& fs = p_.files->shared(slot);
  file_local& fl = p_.files->local(slot);
  const std::size_t ps = fs.page_size;
  // Write-ahead rule: the log is durable up to this page's LSN first.
  if (fs.lsn_offset >= 0)
    if (auto ec = p_.page_io->flush_log_for(copy, static_cast<std::size_t>(fs.lsn_offset))) return ec;
  if (auto ec = run_page_io(slot, false, pgno, copy)) return ec;
  // ensure_fd opens the descriptor under fd_mu and lets go of it; before the
  // write takes it again, set_mp_max_openfd's reaping may close a descriptor
  // of a file no handle has open. Open it again then (the page's frame is
  // still ours, so the file state cannot be freed meanwhile).
  for (;;) {
    if (auto ec = ensure_fd(slot, true)) return ec;
    std::shared_lock lk(fl.fd_mu);
    if (fl.fd < 0 || !fl.fd_writable) continue;  // closed in between: again
    if (auto ec = io::write_at(*p_.io, fl.fd, copy, ps, std::uint64_t{pgno} * ps))
      return ec;
    break;
  }
  fs.write_gen.fetch_add(1, std::memory_order_release);  // (G1)
  fs.counters.add<&file_counters::out>();
  return {};
}

std::error_code writeback::run_page_io(std::uint32_t slot, bool in, pgno_t pgno, void* page,
                                       bool from_disk) noexcept {
  file_shared& fs = p_.files->shared(slot);
  const std::int32_t ftype = fs.ftype.load(std::memory_order_relaxed);
  if (ftype == 0) return {};  // no page-in or page-out for type 0
  file_local& fl = p_.files->local(slot);
  std::shared_lock ck(fl.cookie_mu);  // a later open may replace the cookie
  const std::error_code ec = p_.page_io->run(ftype, fs.page_size,
                                             std::span<const std::byte>(fl.cookie.data(), fl.cookie.size()),
                                             in, pgno, page, from_disk);
  if (ec == errc::page_corrupt) fs.counters.add<&file_counters::sum_fail>();
  return ec;
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
std::error_code writeback::fsync_file(std::uint32_t slot) noexcept {
  file_shared& fs = p_.files->shared(slot);
  file_local& fl = p_.files->local(slot);
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
    if (auto ec = ensure_fd(slot, false)) {
      // Removed from its path while no handle has it open (its descriptor
      // closed by set_mp_max_openfd): nothing of it can be made durable, and
      // nothing is owed; the reap after this sync frees its state.
      if (ec == std::errc::no_such_file_or_directory &&
          fs.handles.load(std::memory_order_relaxed) == 0) {
        fs.synced_gen.store(fs.write_gen.load(std::memory_order_relaxed), std::memory_order_relaxed);
        fs.dir_unsynced.store(false, std::memory_order_relaxed);
        return {};
      }
      return ec;  // not an fsync failure: no mark
    }
    std::shared_lock lk(fl.fd_mu);
    if (fl.fd < 0) continue;  // closed in between: again
    const std::error_code ec = io::sync_fd(*p_.io, fl.fd);
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
      rc = -io::sync_dir(*p_.io, dir);
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
std::error_code writeback::write_back(pass_kind kind, std::optional<lsn> upto, std::uint32_t only_slot,
                                      std::int64_t limit, std::int64_t& written) noexcept {
  written = 0;
  bool incomplete = false;
  std::error_code first_err;
  std::vector<bool> touched;  // files this pass wrote or waited on
  std::vector<std::pair<std::uint32_t, std::uint64_t>> owed;
  try {
    touched.assign(p_.files->size(), false);
    owed.reserve(p_.files->size());
  } catch (const std::bad_alloc&) {
    return err(ENOMEM);
  }
  const int mw = p_.settings->max_write.load(std::memory_order_relaxed);
  const int mofd = p_.settings->max_open_fd.load(std::memory_order_relaxed);
  std::uint32_t since_trim = 0;
  const auto sleep = std::chrono::microseconds(p_.settings->max_write_sleep_us.load(std::memory_order_relaxed));
  std::byte* copy = scratch_page(65536);  // a page of any size
  if (copy == nullptr) return err(ENOMEM);

  for (std::uint32_t r = 0; r < p_.regions->size() && written < limit; ++r) {
    region* rgp = region_if_live(r);
    if (rgp == nullptr) continue;
    region& rg = *rgp;
    for (std::uint32_t i = 0; i < rg.scan_end() && written < limit; ++i) {
      frame& fr = rg.frame_at(i);
      backoff bo;
      for (;;) {
        frame_state::word s = fr.state.load(std::memory_order_relaxed);
        if (!(s & frame_state::valid) && !(s & frame_state::busy)) break;
        // relaxed peek: confirmed after the claim below.
        const std::uint32_t slot = fr.file.load(std::memory_order_relaxed);
        if (only_slot != no_slot && slot != only_slot) break;
        // A slot past those seen at the start is a file opened since: none
        // of its pages was dirty when this pass began.
        if (slot >= touched.size() || p_.files->shared(slot).temp.load(std::memory_order_relaxed) ||
            p_.files->shared(slot).nofile.load(std::memory_order_relaxed))
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
        file_shared& fs = p_.files->shared(slot2);
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
        // A sync of many files no handle has open reopens a descriptor for
        // each write: keep set_mp_max_openfd's bound as it goes.
        if (mofd > 0 && ++since_trim >= static_cast<std::uint32_t>(std::max(mofd / 2, 1))) {
          since_trim = 0;
          p_.files->latch().lock();
          p_.counters->add<&pool_counters::fd_closed>(p_.files->trim_reopened_locked(mofd));
          p_.files->latch().unlock();
        }
        if (mw > 0 && written % mw == 0 && sleep.count() > 0) {
          p_.counters->add<&pool_counters::write_sleeps>();
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
    p_.files->latch().lock();
    const std::uint32_t nslots = p_.files->size();
    for (std::uint32_t slot = 0; slot < nslots; ++slot) {
      file_shared& fs = p_.files->shared(slot);
      if (!fs.used.load(std::memory_order_relaxed) || fs.temp.load(std::memory_order_relaxed) ||
          fs.nofile.load(std::memory_order_relaxed))
        continue;
      if (only_slot != no_slot && slot != only_slot) continue;
      const std::uint64_t g = fs.write_gen.load(std::memory_order_acquire);  // (G2)
      // A marked file, or one whose directory is owed an fsync, is always
      // visited: fsync_file reports the mark, or makes the name durable.
      if ((slot < touched.size() && touched[slot]) || g > fs.synced_gen.load(std::memory_order_acquire) ||  // (G2)
          fs.sync_error.load(std::memory_order_relaxed) != 0 ||
          fs.dir_unsynced.load(std::memory_order_relaxed)) {
        fs.io_refs.fetch_add(1, std::memory_order_relaxed);  // registry latch orders it
        owed.emplace_back(slot, g);
      }
    }
    p_.files->latch().unlock();
    std::size_t released = 0;  // owed[0, released) have their io_refs back
    for (std::size_t k = 0; k < owed.size(); ++k) {
      const auto [slot, g] = owed[k];
      file_shared& fs = p_.files->shared(slot);
      if (auto ec = fsync_file(slot)) {
        if (!first_err) first_err = ec;
      } else {
        std::uint64_t cur = fs.synced_gen.load(std::memory_order_relaxed);
        // (G2) release: a later sync that reads synced_gen >= g (acquire) may
        // skip its fsync because this one completed.
        while (cur < g && !fs.synced_gen.compare_exchange_weak(cur, g, std::memory_order_release)) {
        }
      }
      // Each fsync may reopen a descriptor: with set_mp_max_openfd, give the
      // fsync'd files back as it goes, so that their descriptors can close.
      if (mofd > 0 && k + 1 - released >= static_cast<std::size_t>(std::max(mofd / 2, 1))) {
        p_.files->latch().lock();
        for (; released <= k; ++released)
          p_.files->shared(owed[released].first).io_refs.fetch_sub(1, std::memory_order_relaxed);
        p_.counters->add<&pool_counters::fd_closed>(p_.files->trim_reopened_locked(mofd));
        p_.files->latch().unlock();
      }
    }
    p_.files->latch().lock();
    for (; released < owed.size(); ++released)
      p_.files->shared(owed[released].first).io_refs.fetch_sub(1, std::memory_order_relaxed);
    p_.counters->add<&pool_counters::fd_closed>(
        p_.files->reap_locked(p_.settings->max_open_fd.load(std::memory_order_relaxed)));
    p_.files->latch().unlock();
  }
  if (first_err) return first_err;
  if (incomplete) return errc::incomplete;
  return {};
}

std::error_code writeback::sync(std::optional<lsn> upto, std::uint32_t only_slot) noexcept {
  std::int64_t n = 0;
  return write_back(pass_kind::sync, upto, only_slot, INT64_MAX, n);
}

std::error_code writeback::clean_to(int percent, std::int64_t& written) noexcept {
  written = 0;
  std::int64_t dirty = 0, resident = 0;
  for (std::uint32_t r = 0; r < p_.regions->size(); ++r) {
    region* rg = region_if_live(r);
    if (rg == nullptr) continue;
    for (std::uint32_t i = 0; i < rg->scan_end(); ++i) {
      // relaxed: a count to aim at; the writes themselves claim each frame.
      const auto s = rg->frame_at(i).state.load(std::memory_order_relaxed);
      if (!(s & frame_state::valid)) continue;
      ++resident;
      if (s & frame_state::dirty) ++dirty;
    }
  }
  // The pages the cache holds: its frames of the default size, or more
  // where smaller pages fill it.
  const auto total = std::max(resident, static_cast<std::int64_t>(p_.frames->load(std::memory_order_relaxed)));
  const std::int64_t clean = total - dirty;
  const std::int64_t target = (total * percent + 99) / 100;
  if (target <= clean) return {};
  return write_back(pass_kind::trickle, std::nullopt, no_slot, target - clean, written);
}

}  // namespace pagepool::internal
