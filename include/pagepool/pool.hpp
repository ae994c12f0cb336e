// pagepool/pool.hpp: the buffer pool. BDB: DB_ENV's memp_* methods.
//
// A pool owns a fixed amount of page memory, split into `regions` independent
// regions (BDB's ncache). Each region has its own frames, page table,
// eviction policy instance and counters; a page (file, pgno) lives in the
// region its hash selects.
//
// Sizing is exact: cache_bytes of page memory (or cache_frames * frame_size),
// with no hidden inflation (BDB adds 25% below 500 MB).
//
// Page sizes. Files of every page size Berkeley DB accepts, powers of two
// from 512 B to 64 KiB, open side by side in one pool, with no setting
// first; frame_size is only the default size, the unit of frames() and
// resize() (BDB's set_mp_pagesize, a sizing hint there too). Each page size
// has its own size class: `regions` regions whose frames are exactly that
// size (a 512-byte page costs 512 bytes of page memory, plus a 24-byte frame
// header and its share of the page table's buckets, 8 to 16 bytes), made
// when the first file of that size opens. The classes share one byte
// budget: the pages held, of every size, never exceed cache_bytes
// (pool_stats::page_bytes; pages_by_size counts them per size). A page that
// does not fit is paid for by an eviction in one class, drawn with a
// probability proportional to the bytes each class holds: its own policy's
// victim, or enough pages of another class, whose memory goes back to the
// system (pool_stats::page_donated counts them). Each class thus holds a
// share of the cache proportional to the bytes its misses bring in. A pool
// whose files all have one page size behaves exactly as a pool of that one
// size. A page larger than the whole cache cannot be cached: its get is
// ENOMEM, as when every frame is pinned.
//
// Eviction. Each region runs its own instance of the pool's eviction policy
// (policy.hpp: CLOCK by default, or exact LRU, FIFO, SIEVE, S3-FIFO, ARC, 2Q,
// LIRS, W-TinyLFU, LRU-2, CLOCK-Pro),
// chosen by pool_options::policy and changeable on a live pool (set_policy).
//
// Priorities. Every frame carries 3 usage bits (0..7). A page is loaded with
// 0; a hit changes them by the policy's rule (CLOCK and SIEVE: at least 1;
// S3-FIFO: +1 up to 3; LRU, FIFO, ARC and the other list policies:
// unchanged). The final put then applies the page's priority: very_low and
// low -> 0 (this reference earns nothing), normal -> as the hit left them,
// high -> at least 3, very_high -> 7; put or set with discard -> 0. very_low
// and discard also move the page to the end a list policy evicts first
// (LRU's oldest, FIFO's head, ARC's LRU end). CLOCK, SIEVE and S3-FIFO spend
// the bits as their own counts (one per pass of the hand or one reinsertion
// each); LRU, FIFO, ARC, 2Q, LIRS, W-TinyLFU, LRU-2 and CLOCK-Pro spend them
// as credits (each header says how): a candidate victim with credit loses
// one and moves to the protected end. So a very_high page outlives up to
// seven passes that evict normal pages. A priority is advisory: nothing is
// pinned by it.
//
// Processes. A pool is private to its process unless it has a home
// (pool_options::home; BDB: DB_ENV->open without DB_PRIVATE). A pool with a
// home registers its process in the home's registry, where a lock the kernel
// drops at the process's death says who is alive (remove, processes,
// attached, failchk), and publishes its statistics there for other
// processes to read (pagepool-bench stat). Pages are not yet shared between
// processes: while another live process is attached to the home, create()
// is EAGAIN. A pool made before fork() is forked() in the child, where it
// and its file handles refuse their methods (EINVAL) and write nothing. With pool_options::region_files a
// pool's memory (page tables, frames, pages) is files mapped shared, the
// form in which processes will share it; memory is allocated in the files
// before it is used, so a full directory is ENOSPC (create, resize, the open
// of a file of a new page size), never a fault. papers/design/processes.md
// has the design and what the next parts share.
//
// Thread safety: every method may be called from any thread at any time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "pagepool/error.hpp"
#include "pagepool/io.hpp"
#include "pagepool/policy.hpp"
#include "pagepool/stats.hpp"
#include "pagepool/types.hpp"

namespace pagepool {

class file;
namespace internal {
class pool_impl;
}

/// How a pool is built. Every field has a usable default except the size.
struct pool_options {
  /// Page memory in bytes, for pages of every size ("Page sizes"); frames()
  /// is cache_bytes / frame_size.
  std::size_t cache_bytes = 0;
  /// If non-zero, the size in frames of frame_size bytes, and cache_bytes is
  /// ignored.
  std::size_t cache_frames = 0;
  /// The default page size: the unit of cache_frames, frames() and resize().
  /// Files of any page size open whatever it is ("Page sizes"). A power of
  /// two from 512 to 65536. BDB: set_mp_pagesize (there a sizing hint too).
  std::size_t frame_size = 4096;
  /// Number of regions (BDB: ncache); frames are split evenly between them.
  unsigned regions = 1;
  /// The most page memory resize() may grow the pool to, in bytes; 0 means
  /// four times the initial size. Only address space is reserved up front
  /// (page memory is committed as frames are used). BDB: set_cache_max.
  std::size_t cache_max_bytes = 0;
  /// Read-only files up to this size are served by mmap. BDB: set_mp_mmapsize.
  std::size_t mmap_size = 10u << 20;
  /// Descriptors kept open for files that no handle has open any more; 0 is
  /// unlimited. BDB: set_mp_max_openfd.
  int max_open_fd = 0;
  /// sync sleeps max_write_sleep after every max_write writes; 0 disables.
  /// BDB: set_mp_max_write.
  int max_write = 0;
  std::chrono::microseconds max_write_sleep{0};
  /// How long a get may look for a frame when every frame is pinned before it
  /// fails with ENOMEM. BDB sleeps seconds here; pagepool fails fast.
  std::chrono::milliseconds alloc_timeout{20};
  /// How many files (shared file states) to make room for at once: a size
  /// hint, not a cap. The table starts with room for this many (rounded up
  /// to a power of two, at least 64; 0 means 64) and grows by chunks as more
  /// files are open at once, until memory runs out (then open is ENOMEM).
  /// Above 2^20 is EINVAL. Descriptors are bounded separately
  /// (max_open_fd, BDB's set_mp_max_openfd).
  std::size_t max_files = 1024;
  /// Directory for the backing files of temporary files; "" means $TMPDIR or /tmp.
  std::string temp_dir;
  /// If non-zero (1..100), create() starts the background writer with this
  /// share of clean frames and background_period (see start_background_writer).
  int background_clean_percent = 0;
  std::chrono::milliseconds background_period{100};
  /// The eviction policy every region starts with (policy.hpp); set_policy
  /// changes it on a live pool.
  policy_kind policy = policy_kind::clock;
  /// Where every file operation of the pool goes (io.hpp): opens, creates,
  /// reads, writes, fsyncs (of files and directories), size queries and
  /// unlinks. nullptr means posix_io(). Read-only files are mapped
  /// (mmap_size) only when the backend is mappable(), i.e. POSIX.
  std::shared_ptr<io_backend> io;
  /// The pool's home directory ("Processes"): "" (the default) makes a pool
  /// private to this process. A pool with a home registers its process in
  /// the home's registry file (`__pagepool.registry`), where a lock the
  /// kernel drops at the process's death says it is alive. Pages are not
  /// yet shared between processes, so create() refuses with EAGAIN while
  /// another live process is attached to the same home, rather than give
  /// two processes separate caches of the same files. BDB: the home of
  /// DB_ENV->open without DB_PRIVATE.
  std::string home;
  /// The registry's creation mode (0 means 0660, as BDB's mode 0; the
  /// umask applies). BDB: DB_ENV->open's mode.
  int home_mode = 0;
  /// Create the registry if the home has none (else ENOENT). BDB: DB_CREATE.
  bool create_home = true;
  /// How often a pool with a home publishes its statistics in the home's
  /// registry, where another process reads them (pool::attached,
  /// `pagepool-bench stat HOME`; BDB's db_stat -m): once at create, then
  /// every period, from a thread of the pool's. 0 publishes nothing.
  std::chrono::milliseconds publish_period{1000};
  /// Where the pool's memory lives ("Processes"). false (the default):
  /// anonymous memory of the process. true: each region (its page table,
  /// frames and pages) is a file in region_dir, mapped shared, the form in
  /// which processes will share a pool (a later part of the work; the pool
  /// is still this process's own). The memory a region may touch is
  /// allocated in the file before it is used, so a directory without room
  /// is ENOSPC from create() or resize(), never a fault on an access; a
  /// tmpfs (such as /dev/shm) keeps it in memory. Needs a home (EINVAL
  /// without one). The files are made with home_mode and O_EXCL, and
  /// unlinked when the pool goes; pool::remove removes any a killed
  /// process left in the home.
  bool region_files = false;
  /// The directory of the region files; "" means the home.
  std::string region_dir;
};

/// A process attached to a pool home, as pool::attached reads it.
struct process_info {
  int pid = 0;
  std::chrono::system_clock::time_point attached{};   ///< when it attached
  /// When the statistics it last published were taken: every count its pool
  /// made before this instant is in `stats`.
  std::chrono::system_clock::time_point published{};
  bool has_stats = false;  ///< false: nothing published yet (stats all zero)
  pool_stats stats;        ///< its pool's statistics as last published
};

/// A pool in region files as another process reads it from its memory
/// (pool::inspect): counts as they are now, not as last published.
struct pool_view {
  int pid = 0;         ///< the process that made the pool
  bool alive = false;  ///< whether that process is still attached to the home
  std::string region_dir;  ///< where its region files are (absolute)
  /// Its statistics, folded from its memory as its own stats() folds them
  /// (the settings mmapsize, maxopenfd, maxwrite and maxwrite_sleep are the
  /// pool's, in its memory too), except its process's descriptors
  /// (open_fds): 0 here.
  pool_stats stats;
  /// Its open files' statistics (file_name as opened, made absolute if it
  /// was relative, possibly truncated to 4095 bytes; an in-memory file's
  /// name as given; direct_io false).
  std::vector<file_stats> files;
};

/// The buffer pool. BDB: DB_ENV with DB_INIT_MPOOL.
class pool {
 public:
  /// Builds a pool. EINVAL for a zero size, a frame_size that is not a power
  /// of two in [512, 65536], fewer frames than regions, or regions == 0;
  /// ENOMEM if the memory cannot be mapped. BDB: DB_ENV->set_cachesize + open.
  [[nodiscard]] static std::error_code create(const pool_options& options,
                                              std::unique_ptr<pool>& out) noexcept;

  /// Removes the registry of a home ("Processes"): EBUSY while a live
  /// process is attached (this one included) unless `force`; nothing to
  /// remove is success. BDB: DB_ENV->remove.
  [[nodiscard]] static std::error_code remove(const std::string& home, bool force) noexcept;
  /// The PIDs of the live processes attached to a home (ENOENT if it has no
  /// registry; errc::version_mismatch if another version made it).
  [[nodiscard]] static std::error_code processes(const std::string& home,
                                                 std::vector<int>& pids) noexcept;
  /// The live processes attached to a home, each with the statistics its
  /// pool last published (pool_options::publish_period): what another
  /// process sees of a live pool. ENOENT if the home has no registry;
  /// errc::version_mismatch if another version made it.
  [[nodiscard]] static std::error_code attached(const std::string& home,
                                                std::vector<process_info>& out) noexcept;
  /// Reads the pool whose home is `home` from its memory, from any process
  /// (a pool made with pool_options::region_files): Berkeley DB's db_stat
  /// -m on a live environment. Nothing is attached and nothing written.
  /// ENOENT if the home has no pool in region files (or its files went
  /// while they were read: the pool closed); errc::version_mismatch if
  /// another version or build of pagepool made it; EAGAIN while its creator
  /// is still making it; EACCES without permission to read it. A pool whose
  /// creator died reads as it was left (`alive` false).
  [[nodiscard]] static std::error_code inspect(const std::string& home, pool_view& out) noexcept;
  /// Takes back what dead processes attached to the pool's home held (today:
  /// their registry slots); `reaped` gets how many died, `live` how many
  /// processes are attached (this one included). EINVAL without a home or
  /// in a forked child. BDB: DB_ENV->failchk.
  [[nodiscard]] std::error_code failchk(unsigned* reaped = nullptr,
                                        unsigned* live = nullptr) noexcept;
  /// Whether this pool was made before a fork() and this is the child: the
  /// child must make its own pool. The pool's methods then refuse (EINVAL;
  /// file_create returns nullptr), and its destruction in the child writes
  /// nothing (its dirty pages are the parent's to write). Its file handles
  /// refuse too: get, put and set are EINVAL there (read_optimistic too,
  /// through its get), at no cost to them in the parent (the fork marks the
  /// words they read anyway). A page_handle taken before the fork may still
  /// be released in the child: that releases the child's copy of the pin.
  [[nodiscard]] bool forked() const noexcept;

  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  /// A new, unopened file handle. Configure it with its set_* methods, then
  /// open it. Returns nullptr after close. BDB: DB_ENV->memp_fcreate.
  [[nodiscard]] std::unique_ptr<file> file_create() noexcept;

  /// Registers page-in / page-out functions for files of type `ftype` (1..127,
  /// else EINVAL); either may be empty. Registering a type again replaces it.
  /// BDB: DB_ENV->memp_register.
  [[nodiscard]] std::error_code register_page_io(int ftype, page_io_fn pgin,
                                                 page_io_fn pgout) noexcept;

  /// Sets the log-flush function used by the write-ahead rule: before a page of
  /// a file with an lsn_offset is written, the log is flushed up to its LSN.
  void set_log_flush(log_flush_fn fn) noexcept;

  /// Writes every modified page of every file (temporary files excepted), then
  /// fsyncs each file written since its last fsync (and, once, the directory
  /// of each file the pool created). Pinned modified pages are not written and
  /// the result is errc::incomplete. With `upto`, only pages whose LSN is below
  /// it are required (pages of files without an lsn_offset are always
  /// written). The first error is returned: a page whose write failed stays
  /// dirty; a file whose fsync failed is marked and fails every later sync
  /// (file.hpp, "Durability"). BDB: DB_ENV->memp_sync.
  [[nodiscard]] std::error_code sync(std::optional<lsn> upto = std::nullopt) noexcept;

  /// Writes modified, unpinned pages until at least `percent` (1..100, else
  /// EINVAL) of the frames are clean; no fsync. `written` gets the number of
  /// pages written. BDB: DB_ENV->memp_trickle.
  [[nodiscard]] std::error_code trickle(int percent, int* written) noexcept;

  /// Starts a thread that keeps at least `clean_percent` (1..100) of the
  /// frames clean: every `period` (> 0), and sooner when an application
  /// thread had to write a dirty victim, it writes unpinned modified pages
  /// (as trickle, with the write-ahead rule; no fsync) until the share is
  /// clean. Called while it runs, it changes the settings. EINVAL for values
  /// out of range or a closed pool; EAGAIN if no thread can be started.
  /// close() stops it. pagepool's own: BDB applications call memp_trickle
  /// from a thread of their own.
  [[nodiscard]] std::error_code start_background_writer(
      int clean_percent, std::chrono::milliseconds period = std::chrono::milliseconds(100)) noexcept;
  /// Stops the background writer (waiting for a pass under way); a no-op if
  /// it is not running.
  void stop_background_writer() noexcept;
  [[nodiscard]] bool background_writer_running() const noexcept;

  /// Statistics; with clear, the counters restart from zero afterwards.
  /// BDB: DB_ENV->memp_stat (DB_STAT_CLEAR).
  [[nodiscard]] pool_stats stats(bool clear = false) noexcept;
  /// Per-file statistics, one per file the pool knows (open or still cached).
  [[nodiscard]] std::vector<file_stats> file_statistics(bool clear = false) noexcept;

  /// Changes the number of frames while threads keep using the pool: the
  /// frames are split evenly between the regions again. Growing puts frames in
  /// service at once. Shrinking evicts the frames past each region's new share
  /// (writing modified pages first) and hands their memory back; a page pinned
  /// at that moment stays, readable and writable, until it is unpinned and the
  /// pool next needs a frame. EINVAL for fewer frames than regions or more
  /// than cache_max_bytes allows; nothing changes then.
  /// BDB: DB_ENV->set_cachesize after open.
  [[nodiscard]] std::error_code resize(std::size_t frames) noexcept;
  /// The most frames resize() accepts.
  [[nodiscard]] std::size_t max_frames() const noexcept;

  /// Replaces the eviction policy of every region while threads keep using
  /// the pool. The new policy starts from the pages resident now (in frame
  /// order, keeping their usage bits); pages keep their frames, nothing is
  /// written or evicted by the swap. Decisions the old policy was making
  /// while the swap ran may still land; the new one absorbs them (its
  /// contract, point 6). EINVAL for an unknown kind or a closed pool; ENOMEM
  /// if the new policy's state cannot be allocated (the old one stays).
  [[nodiscard]] std::error_code set_policy(policy_kind kind) noexcept;
  /// The policy in force.
  [[nodiscard]] policy_kind policy() const noexcept;

  /// The number of frames in service (resident page capacity).
  [[nodiscard]] std::size_t frames() const noexcept;
  /// Bytes of page memory per frame.
  [[nodiscard]] std::size_t frame_size() const noexcept;
  /// Number of regions.
  [[nodiscard]] unsigned regions() const noexcept;

  /// BDB: DB_ENV->set_mp_mmapsize / get_mp_mmapsize. Applies to later opens.
  void set_mmap_size(std::size_t bytes) noexcept;
  [[nodiscard]] std::size_t mmap_size() const noexcept;
  /// BDB: DB_ENV->set_mp_max_openfd / get_mp_max_openfd. Negative is EINVAL.
  [[nodiscard]] std::error_code set_max_open_fd(int n) noexcept;
  [[nodiscard]] int max_open_fd() const noexcept;
  /// BDB: DB_ENV->set_mp_max_write / get_mp_max_write. Negative is EINVAL.
  [[nodiscard]] std::error_code set_max_write(int writes, std::chrono::microseconds sleep) noexcept;
  void max_write(int* writes, std::chrono::microseconds* sleep) const noexcept;

  /// Writes every modified page (temporary files' pages are dropped) and
  /// releases the pool. EBUSY, changing nothing, while a file handle is open.
  /// If a page cannot be written, its error is returned and the pool stays
  /// open (the page dirty), so that close may be called again. If every page
  /// was written but an fsync failed, or a file carries a failed-fsync mark,
  /// the pool closes all the same and returns that error: no retry could
  /// make those pages durable. Called by the destructor, which also closes
  /// what was left open. BDB: DB_ENV->close.
  [[nodiscard]] std::error_code close() noexcept;

  /// For tests and tools: the implementation behind this pool.
  internal::pool_impl& impl() noexcept { return *impl_; }

 private:
  explicit pool(std::shared_ptr<internal::pool_impl> impl) noexcept;
  std::shared_ptr<internal::pool_impl> impl_;
};

}  // namespace pagepool
