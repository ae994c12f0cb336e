// pagepool/file.hpp: one open file in a pool. BDB: DB_MPOOLFILE.
//
// Life of a handle: pool::file_create(), the set_* methods that configure the
// file (clear_len, fileid, ftype, lsn_offset, pgcookie, maxsize, priority),
// open(), then any number of get/put/set/sync from any threads, then close().
//
// Several handles on one physical file (same fileid: device and inode unless
// set_fileid says otherwise) share one copy of each page. All must agree on
// the page size, and on ftype, clear_len and lsn_offset where they set them
// (spec 004); a handle that leaves one unset inherits the file's.
//
// Pins: a page got through get() stays pinned, and its address valid, until
// the matching put(). The raw-pointer form checks every put: a pointer that did
// not come from this handle's get, or a second put of one pin, is EINVAL and
// changes nothing. Each thread records its own pins (no write shared with
// other threads on get or put); a put by the thread that took the pin is the
// fast one, and a pin handed to another thread (with a happens-before edge,
// as any hand-over) may be put there too, through a slower, latched search
// of the other threads' records. The page_handle form cannot put twice. Page contents are the caller's to
// synchronise: a pin keeps the page in memory, it does not latch it.
//
// Durability. sync() (and pool::sync) ends with an fsync of every file it
// wrote or that was written since its last fsync (eviction and trickle write
// without fsync). A file the pool created (open with create of a path that
// did not exist) also has its directory fsync'd, after the file, before the
// first sync covering it reports success. Both hold after the file's last
// handle has closed (pool::sync) or when it is opened again: what a sync
// owes a file lives with its shared state, which is not freed before a sync
// has paid it. A failed fsync (of the file or of
// that directory) is reported, and marks the file: every later sync of it
// returns the same error, without trying an fsync again, because after a
// failed fsync Linux may have dropped the dirty pages and cleared the error,
// so that a later success would claim a durability that cannot be given
// ("fsyncgate"). Pages are still written. The mark lives with the file's
// shared state: it is never cleared while any handle has the file open, nor
// while a page of it is cached; once every handle is closed and its last
// page has left the cache, the state is freed, and the next open starts
// clean (the application is expected to recover the file first, e.g. from
// its log). pool::close reports the mark and closes all the same.
#pragma once

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "pagepool/error.hpp"
#include "pagepool/page_handle.hpp"
#include "pagepool/types.hpp"

namespace pagepool {

namespace internal {
class pool_impl;
struct file_handle_state;
}  // namespace internal

#if defined(__SANITIZE_THREAD__)
#define PAGEPOOL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PAGEPOOL_TSAN 1
#endif
#endif
#if defined(PAGEPOOL_TSAN)
extern "C" void AnnotateIgnoreReadsBegin(const char* file, int line);
extern "C" void AnnotateIgnoreReadsEnd(const char* file, int line);
#endif

/// What file::optimistic_begin hands to file::optimistic_validate: where the
/// page is and the frame state it was read under. Nothing is pinned.
struct optimistic_ticket {
  const std::atomic<std::uint64_t>* state = nullptr;  // null: a mapped page
  std::uint64_t word = 0;
  const std::byte* page = nullptr;
};

class file {
 public:
  ~file();
  file(const file&) = delete;
  file& operator=(const file&) = delete;

  /// Opens `path` (or, with std::nullopt, a private temporary file that gets a
  /// backing file only when a page must be evicted, and disappears on close).
  /// mode 0 means 0660; the umask applies. page_size: a power of two from 512
  /// to 65536, whatever the pool's frame_size (pool.hpp, "Page sizes").
  /// Errors: EINVAL (unknown flag, bad page size, rdonly with no path, a
  /// directory, a length that is not a multiple of the page size without
  /// oddfilesize, a setting that differs from another handle on the file,
  /// already open, with direct a page size below the file system's direct-I/O
  /// alignment: then a file this open created is removed again), ENOENT
  /// (missing without create), ENAMETOOLONG (a name of 4096 bytes or more,
  /// an in-memory file's too), ENOMEM (out of memory, or the first file of
  /// its page size whose class cannot be mapped), or the errno of
  /// open(2). BDB: DB_MPOOLFILE->open.
  ///
  /// open_flags::direct (DB_DIRECT: "if set and supported by the system"):
  /// the file is opened with O_DIRECT and every page moves whole, at
  /// pgno * page_size, from a buffer aligned as O_DIRECT needs (frames and
  /// the write-back copy; src/io/direct_io.hpp). A file system that refuses
  /// O_DIRECT at open gets buffered I/O instead, counted in
  /// pool_stats::direct_fallbacks; file_stats::direct_io tells which a file
  /// has. A direct file is never served by mmap. Ignored for temporary and
  /// in-memory files.
  [[nodiscard]] std::error_code open(const std::optional<std::string>& path, open_flags flags,
                                     int mode, std::size_t page_size) noexcept;

  /// Closes the handle; writes nothing (BDB). EBUSY, changing nothing, while
  /// pages got through it are still pinned. A temporary file's pages are
  /// dropped and its backing file removed with its last handle.
  /// BDB: DB_MPOOLFILE->close.
  [[nodiscard]] std::error_code close() noexcept;

  /// Pins page *pgno and stores its address in *page. With last or new_page,
  /// *pgno receives the page's number. Errors: EINVAL (unknown flags, more
  /// than one of create/last/new_page, new_page or create of a missing page
  /// on a read-only handle, not open), errc::page_not_found, EACCES (dirty or
  /// edit on a read-only handle), ENOSPC (past maxsize), ENOMEM (every frame
  /// pinned), EAGAIN (pin count overflow), errc::page_corrupt (the page read
  /// failed its checksum, checksum.hpp), or an I/O or page-in error.
  /// Nothing changes on error. BDB: DB_MPOOLFILE->get.
  [[nodiscard]] std::error_code get(pgno_t* pgno, get_flags flags, void** page) noexcept;
  /// The same, handing the pin to a page_handle.
  [[nodiscard]] std::error_code get(pgno_t& pgno, get_flags flags, page_handle& out) noexcept;

  /// Unpins a page got from this handle. Errors: EINVAL (unknown flags, clean
  /// with dirty, a priority out of range, a pointer that did not come from get
  /// on this handle, a second put of the same pin), EACCES (dirty on a
  /// read-only handle); nothing changes on error. BDB: DB_MPOOLFILE->put.
  [[nodiscard]] std::error_code put(void* page, priority prio = priority::unchanged,
                                    put_flags flags = put_flags::none) noexcept;
  /// Changes a pinned page's flags without unpinning it. BDB: DB_MPOOLFILE->set.
  [[nodiscard]] std::error_code set(void* page, put_flags flags) noexcept;

  /// Optimistic read: calls reader(const std::byte* page) on page `pgno`
  /// without pinning it, then checks that no writer touched the page and the
  /// frame kept it meanwhile, and tries again if one did. A page that is not
  /// resident is read in and pinned first (as get() does), and read the same
  /// way under that pin; while a pin to write is held on the page, the read
  /// waits for its put. Returns what get() would have returned
  /// (errc::page_not_found, an I/O error, ...), the reader not having run.
  ///
  /// The reader may run several times, and in runs that are then discarded it
  /// may see a page half-way through a change: it must only read the page,
  /// must not trust what it reads to be consistent (bound every index and
  /// offset it takes from the page), and should keep what it computes in
  /// variables the last run overwrites. The guarantee covers writers that
  /// announce themselves: pins taken with get_flags::dirty, edit or new_page
  /// (BDB: DB_MPOOL_DIRTY). A page modified under a plain pin and marked
  /// dirty only at put is invisible to validation. A page written without
  /// pause can keep a reader retrying. Under ThreadSanitizer the reader's
  /// loads are excluded from race detection (they race by design).
  template <class Reader>
    requires std::invocable<Reader&, const std::byte*>
  [[nodiscard]] std::error_code read_optimistic(pgno_t pgno, Reader&& reader) {
    optimistic_ticket t;
    page_handle pin;  // held only for a page that was not resident
    for (unsigned round = 0;; ++round) {
      switch (optimistic_begin(pgno, t)) {
        case optimistic::ok:
#if defined(PAGEPOOL_TSAN)
          AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
#endif
          reader(t.page);
#if defined(PAGEPOOL_TSAN)
          AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
#endif
          if (optimistic_validate(t)) return pin ? pin.release() : std::error_code{};
          optimistic_failed();
          break;
        case optimistic::not_resident:
          if (!pin) {
            pgno_t p = pgno;
            if (auto ec = get(p, get_flags::none, pin)) return ec;
            continue;  // resident and held now: read it optimistically
          }
          return std::make_error_code(std::errc::invalid_argument);  // cannot happen: pinned
        case optimistic::writer:
          break;
      }
      if (round >= 16) std::this_thread::yield();  // a writer holds it: let it finish
    }
  }
  /// The parts of read_optimistic, for readers that need them apart (a
  /// B-tree descent validating each node). begin: ok if page `pgno` is
  /// resident with no pin to write running (t is filled; nothing is pinned),
  /// writer if a pin to write is running, not_resident otherwise (also for a
  /// closed handle, and in a forked child, where the get that follows
  /// fails); validate: whether everything read from t.page since
  /// begin is one consistent version of the page.
  enum class optimistic { ok, writer, not_resident };
  [[nodiscard]] optimistic optimistic_begin(pgno_t pgno, optimistic_ticket& t) noexcept;
  [[nodiscard]] static bool optimistic_validate(const optimistic_ticket& t) noexcept {
    if (t.state == nullptr) return true;  // a read-only mapped page
    // (O2) in core/pool_impl.cpp: orders the reader's loads before the
    // state load below; the one fence in pagepool, and why it is needed.
    std::atomic_thread_fence(std::memory_order_acquire);
    return (t.state->load(std::memory_order_relaxed) >> 32) == (t.word >> 32);
  }

  /// Writes this file's modified pages and fsyncs it (and, once, the
  /// directory of a file the pool created); pinned modified pages are left
  /// and the result is errc::incomplete. A write error leaves its page dirty
  /// for a later sync. A failed fsync returns its errno and marks the file:
  /// every later sync returns it too (see "Durability" above). A no-op on
  /// read-only and temporary files. BDB: DB_MPOOLFILE->sync.
  [[nodiscard]] std::error_code sync() noexcept;

  // --- Configuration (before open unless said otherwise). EINVAL after open
  // for those that must come before. BDB: DB_MPOOLFILE->set_* / get_*.
  /// Bytes zeroed at the start of a page made by new_page or create; 0 means
  /// the whole page. Larger than the page size is EINVAL at open.
  [[nodiscard]] std::error_code set_clear_len(std::uint32_t len) noexcept;
  [[nodiscard]] std::uint32_t clear_len() const noexcept;
  [[nodiscard]] std::error_code set_fileid(const file_id& id) noexcept;
  /// EINVAL before an id exists (not set, and the file not yet open).
  [[nodiscard]] std::error_code get_fileid(file_id& id) const noexcept;
  /// 0 (no page-in/out) or a type given to pool::register_page_io (1..127).
  /// The file's: an open of a file other handles have open replaces its
  /// type for all of them; ftype() after open is the file's.
  [[nodiscard]] std::error_code set_ftype(int ftype) noexcept;
  [[nodiscard]] int ftype() const noexcept;
  /// Byte offset of the page LSN, or -1 for none.
  [[nodiscard]] std::error_code set_lsn_offset(std::int32_t offset) noexcept;
  [[nodiscard]] std::int32_t lsn_offset() const noexcept;
  /// Bytes handed to page-in / page-out. The file's, as set_ftype: an open
  /// that gives one replaces the cookie of a file already open.
  [[nodiscard]] std::error_code set_pgcookie(std::span<const std::byte> cookie) noexcept;
  [[nodiscard]] std::vector<std::byte> pgcookie() const;
  /// Priority used when put passes priority::unchanged; any time. The file's,
  /// seen by every handle on it: set before open, it is given to the file at
  /// open; after, it changes the file's at once.
  [[nodiscard]] std::error_code set_priority(priority prio) noexcept;
  [[nodiscard]] priority get_priority() const noexcept;
  /// Largest file size in bytes (0 = unlimited); creating a page that would
  /// not fit is ENOSPC. Any time; after open it changes the shared file.
  [[nodiscard]] std::error_code set_maxsize(std::uint64_t bytes) noexcept;
  [[nodiscard]] std::uint64_t maxsize() const noexcept;
  /// Turns file_flags on or off (several at once). EINVAL for an unknown flag,
  /// or nofile after open. BDB: DB_MPOOLFILE->set_flags / get_flags.
  [[nodiscard]] std::error_code set_flags(file_flags flags, bool on) noexcept;
  [[nodiscard]] file_flags get_file_flags() const noexcept;
  /// The highest page number in the file (0 for an empty file). Open only.
  [[nodiscard]] std::error_code get_last_pgno(pgno_t* pgno) const noexcept;
  [[nodiscard]] open_flags flags() const noexcept;
  [[nodiscard]] std::size_t page_size() const noexcept;
  [[nodiscard]] bool is_open() const noexcept;
  /// True if gets on this handle are served from an mmap of the file.
  [[nodiscard]] bool is_mapped() const noexcept;

  internal::file_handle_state& state() noexcept { return *st_; }

 private:
  friend class pool;
  friend class page_handle;
  explicit file(std::shared_ptr<internal::pool_impl> pool) noexcept;
  std::error_code put_frame(std::uint64_t frame, bool write, priority prio,
                            put_flags flags) noexcept;
  std::error_code set_frame(std::uint64_t frame, put_flags flags) noexcept;
  // EINVAL in a forked child, else ENOMEM: the thread's pin records could
  // not be had.
  std::error_code no_records() const noexcept;
  // Whether a pin of this frame is held through this handle, in any thread.
  bool held(std::uint64_t frame) noexcept;
  // put() of a pin this thread did not take (another thread's, handed over).
  std::error_code put_other_threads_pin(std::uint64_t frame, priority prio, put_flags flags) noexcept;
  void optimistic_failed() noexcept;

  std::shared_ptr<internal::pool_impl> pool_;
  std::unique_ptr<internal::file_handle_state> st_;
};

}  // namespace pagepool
