// src/core/file_table.hpp: the table of files a pool has open.
//
// Slot i holds one physical file: its shared state (file_shared, BDB's
// MPOOLFILE), which lives in the table's mapping and refers to nothing by
// pointer, and beside it the process-local side (file_local: the descriptor,
// the path, the cookie). Frames name their file by slot. Every change of a
// slot's use happens under the table's latch (core/file_registry.cpp opens
// and closes; reap_locked frees). The latch, the index that finds a named
// file's slot and the chain of free slots are pool-wide state
// (file_table_state, share/pool_file.hpp) linking slots by number, so that
// they can be shared by every process attached to the pool (issue 14).
//
// A file state lives while a handle has it open, a frame holds one of its
// pages, a sync is about to fsync it (io_refs), or it owes an fsync (pages
// written since its last one, or a new name not yet durable: a sync after
// the last close still makes them durable); then reap_locked folds its
// counters into `retired` and frees it.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <deque>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <system_error>
#include <vector>

#include <tbb/concurrent_vector.h>

#include "pagepool/io.hpp"
#include "pagepool/types.hpp"
#include "port/br_latch.hpp"
#include "share/pool_file.hpp"
#include "share/region_file.hpp"
#include "stats/counters.hpp"
#include "table/bucket_latch.hpp"

namespace pagepool::internal {

inline constexpr std::uint32_t no_slot = 0xFFFFFFFFu;
inline constexpr std::uint64_t no_limit = ~0ull;

/// Per physical file, shared by every handle on it (BDB: MPOOLFILE). Lives in
/// the file table mapping; index = slot.
struct file_shared {
  // relaxed within the process (guarded by the table's latch); the fill's store
  // releases for a reader in another process (PF4, share/pool_file.hpp).
  std::atomic<std::uint32_t> used{0};
  // Moved each time the slot is filled, under the table's latch: a process
  // whose side of the slot (file_local::gen) is older knows its descriptor
  // and path are another file's (file_table::current_local). Release at the
  // fill, after the name (FT3); acquire by the process that checks.
  std::atomic<std::uint32_t> gen{0};
  // The next slot + 1 (0: none) in the slot's chain: its index bucket's while
  // it is used and named, the free slots' once freed; and the hash of its key
  // while in the index, which a lookup compares first (the table's latch).
  std::uint32_t next = 0;
  std::uint32_t key_hash = 0;
  std::uint32_t page_size = 0;
  file_id id{};
  // relaxed: a setting read at each page I/O; a later open that names
  // another type replaces it (DB_MPOOLFILE->set_ftype: "will replace the
  // existing information"), under the table's latch.
  std::atomic<std::int32_t> ftype{0};
  // relaxed: the file's priority (DB_MPOOLFILE->set_priority "configures a
  // file in the cache, not only operations performed using the specified
  // handle"), read at each put with priority::unchanged.
  std::atomic<int> prio{3};
  std::uint32_t clear_len = 0;
  std::int32_t lsn_offset = -1;
  // relaxed: set under the table's latch when the slot is filled; atomic
  // because sync peeks at it through a frame's key before owning the frame.
  std::atomic<bool> temp{false};
  // relaxed (both): set under the table's latch; eviction peeks at nofile
  // through a frame's key as a hint and checks again once it owns the frame.
  std::atomic<bool> nofile{false};  // in memory only: never read, written or evicted
  std::atomic<bool> unlink{false};  // remove the file when its last handle closes
  std::atomic<std::uint32_t> npages{0};    // pages in the file: last_pgno + 1
  std::atomic<std::uint64_t> maxpages{no_limit};  // pages the file may have
  std::atomic<std::uint32_t> handles{0};   // open handles (table latch)
  std::atomic<std::uint32_t> writers{0};   // open writable handles (table latch)
  std::atomic<std::uint32_t> io_refs{0};   // syncs that will fsync it
  std::atomic<bool> can_mmap{true};        // false once a writer has joined
  std::atomic<std::uint64_t> write_gen{0};  // pages written so far
  std::atomic<std::uint64_t> synced_gen{0}; // write_gen covered by a finished fsync
  // Durability marks (flush/writeback.cpp, fsync_file). relaxed (both):
  // changed under the table's latch (open) or the file's sync_mu
  // (fsync_file), and read there; sync's unlatched peeks only decide whether
  // to visit the file, and fsync_file reads them again under sync_mu.
  // sync_error: the errno of the first failed fsync of the file or of its
  // directory, sticky until the state is freed (file.hpp, "Durability").
  std::atomic<int> sync_error{0};
  // dir_unsynced: the pool created the file (open with create, new path) and
  // its directory has not been fsync'd since; the next sync does it.
  std::atomic<bool> dir_unsynced{false};
  sharded<file_counters> counters;

  // The frames holding the file's pages (F1), sharded per thread (issue 12:
  // a miss used to fetch_add here and an eviction fetch_sub, on the line
  // every miss reads npages and nofile from). The count is read as zero or
  // not, and only where no handle can add to it: a state is reaped, or its
  // pages discarded, once the last handle has closed, and every increment
  // came from a get through a handle, so it happens before that close (the
  // table's latch); decrements may still run concurrently, and one the sum
  // misses only makes it larger. So a zero sum means no frame holds a page,
  // and every evictor's last use of the state happens before the reader's
  // next step. (open's mmap check reads it while other handles may insert;
  // there a wrong zero only maps a read-only file whose cached pages are
  // clean copies of it.)
  void frame_in() noexcept {
    // relaxed: see above; the increments reach the reader through the close.
    counters.add<&file_counters::resident>();
  }
  void frame_out() noexcept {
    const thread_shard t = this_thread_shard();
    counters.shard(t).resident.sub_release(1, t.owned);  // (F1)
  }
  [[nodiscard]] bool no_frames() const noexcept {
    return counters.sum_acquire(&file_counters::resident) == 0;  // (F1)
  }
  void clear_frames() noexcept { counters.clear(&file_counters::resident); }

  // The file's name as opened (empty for a temporary file), for another
  // process reading the pool (pool::inspect); written when the slot is
  // filled, under the table's latch, before the table's size publishes a
  // new slot (FT2, PF3). A name longer than the field keeps its first
  // name_max - 1 bytes. The process's own copy is file_local::path.
  static constexpr std::size_t name_max = 4096;
  char name[name_max] = {};
  void set_name(const std::string& path) noexcept {
    const std::size_t n = std::min(path.size(), name_max - 1);
    std::memcpy(name, path.data(), n);
    name[n] = '\0';
  }
};

/// The name of the file holding chunk k of the table of a pool in region
/// files whose files are tagged `tag` (share/region_file.hpp names them):
/// "__pagepool.<tag>.files.<k>".
std::string file_table_chunk_name(const std::string& tag, unsigned k);

/// Per physical file, per process: the descriptor and what reopens it.
struct file_local {
  br_latch fd_mu;  // I/O holds it shared; open/close/upgrade exclusive (port/br_latch.hpp)
  std::mutex sync_mu;  // one fsync_file of the file at a time (taken before fd_mu)
  int fd = -1;
  bool fd_writable = false;
  bool direct = false;
  std::string path;  // empty for a temporary file
  // The pgcookie: replaced by a later open that gives one (set_pgcookie:
  // "will replace the existing information"); page-in/out reads it shared.
  std::shared_mutex cookie_mu;
  std::vector<std::byte> cookie;  // guarded by cookie_mu
  bool fd_queued = false;  // counted in the table's descriptor queue (table latch)
  std::uint32_t gen = 0;   // the file_shared::gen this side belongs to (fd_mu)
};

/// The table: slots in chunks, chunk k holding `base << k` slots (base a
/// power of two, from pool_options::max_files), so that a slot's chunk and
/// offset are a shift and a bit count away. Chunks are made under the latch
/// as the table grows and never freed or moved while the table lives; the
/// shared side of each is its own mapping, found through a fixed directory
/// of chunk pointers, so that file_shared stays index-addressed (no pointer
/// inside it refers to another). The process-local side is a oneTBB
/// concurrent_vector grown with it (never in shared memory: it holds
/// mutexes, strings and vectors): its elements never move as it grows, and
/// indexing it while another thread grows it is safe, which is what the
/// table needs of it (issue 14's per-process side of a shared file table).
///
/// Synchronization edges (papers/design/memory-ordering.md):
/// (FT1) grow's release store of a new chunk's pointer, against shared()'s
///   acquire load: a thread that finds the chunk sees its states
///   constructed. (The local side's growth is concurrent_vector's, which
///   publishes a segment before it hands out its elements.)
/// (FT2) the release store of the table's size (slots handed out so far),
///   against size()'s acquire load: a slot read below the size has its chunk
///   published (FT1 is ordered before it).
/// (FT3) the fill's release increment of a state's gen, after its fields and
///   name, against current_local's acquire load: a process that sees the
///   new generation reads the name the fill wrote.
class file_table {
 public:
  /// Directory entries: enough chunks to cover every 32-bit slot.
  static constexpr unsigned max_chunks = 32;

  file_table() = default;
  file_table(const file_table&) = delete;
  file_table& operator=(const file_table&) = delete;
  /// Closes what descriptors are left (through `io`) and unmaps the table.
  ~file_table();

  /// Where a pool in region files keeps its table (share/pool_file.hpp):
  /// each chunk's shared side is a file `__pagepool.<tag>.files.<k>` in the
  /// region directory, mapped shared, a slot's bytes committed when the slot
  /// is first handed out (ENOSPC from the open that wanted it, never a
  /// SIGBUS), and the table's size, chunk count and freed states' counters
  /// are `state`, in the pool file.
  struct backing {
    region_file_spec spec;  // dir_fd, mode; the name is made per chunk
    std::string tag;
    file_table_state* state = nullptr;
  };
  /// A first chunk of about `hint` files (at least 64; the table grows past
  /// it with use); ENOMEM if it cannot be made (with `files`: the file's
  /// errno, ENOSPC when the directory has no room).
  ///
  /// With `attach`, the table is one another table made (in another process,
  /// or this one): `files` is required and `hint` must be its maker's base()
  /// (the pool file records it). Nothing is made: the chunks published so
  /// far are mapped now, later ones as a slot in them is first met
  /// (shared(), local(), a slot taken), and a chunk this table has to make
  /// is left for the maker to remove. Its states are the maker's.
  std::error_code init(std::size_t hint, io_backend* io, const backing* files = nullptr,
                       bool attach = false) noexcept;
  /// Slots in chunk 0 (the pool file records it for readers).
  std::uint32_t base() const noexcept { return base_; }
  /// The first slot of chunk k and its slots, for a table whose chunk 0 has
  /// 2^shift slots (the table's own indexing, and a reader's of a pool file).
  static constexpr std::uint64_t chunk_first_slot(unsigned shift, unsigned k) noexcept {
    return ((std::uint64_t{1} << k) - 1) << shift;
  }
  static constexpr std::uint64_t chunk_slots(unsigned shift, unsigned k) noexcept {
    return std::uint64_t{1} << (shift + k);
  }

  /// Slots handed out so far: every slot in use is below it. Safe without
  /// the latch.
  std::uint32_t size() const noexcept { return st_->size.load(std::memory_order_acquire); }  // (FT2)
  /// A slot below size() (or handed out to the caller): its chunk is mapped
  /// here first if another process made it.
  file_shared& shared(std::uint32_t slot) noexcept {
    if (slot < base_) [[likely]] return first_shared_[slot];
    const unsigned k = chunk_of(slot);
    file_shared* c = shared_dir_[k].load(std::memory_order_acquire);  // (FT1)
    if (c == nullptr) [[unlikely]]
      c = map_chunk_slow(k);
    return c[slot - chunk_start(k)];
  }
  file_local& local(std::uint32_t slot) noexcept {
    if (slot < locals_.size()) [[likely]] return locals_[slot];
    return local_slow(slot);
  }
  /// The process's side of a slot, checked against the state's generation
  /// (file_shared::gen): if the slot was filled since this process last used
  /// it (by another process: a slot freed and filled again names another
  /// file), its descriptor is closed and its path and cookie are the
  /// state's. The caller holds the slot's state in use (a handle, a frame of
  /// it, an I/O reference), so it cannot be filled again meanwhile.
  file_local& current_local(std::uint32_t slot) noexcept;
  /// current_local's change, for a caller that holds `fl.fd_mu` exclusively
  /// and read the state's generation `g` (acquire, FT3) itself.
  void renew_local_locked(file_local& fl, const file_shared& fs, std::uint32_t g) noexcept;

  /// A free slot (the most recently freed first, else a new one, growing
  /// the table by a chunk when it is full); ENOMEM when no memory is left.
  /// Not yet in use: the caller fills it and marks it used. Caller holds
  /// `latch`.
  std::error_code take_slot_locked(std::uint32_t& slot) noexcept;
  /// The slot of the named file in use with this id (a real file) or name
  /// (an in-memory one, `nofile`: names of at most file_shared::name_max - 1
  /// bytes, the open checks), or no_slot. Caller holds `latch`.
  std::uint32_t find_locked(const file_id& id) noexcept;
  std::uint32_t find_nofile_locked(const std::string& path) noexcept;
  /// Enters a filled slot of a named file (its id, nofile flag and name set)
  /// into the index; a temporary file's slot is not entered. Caller holds
  /// `latch`.
  void index_locked(std::uint32_t slot) noexcept;
  /// Returns a slot take_slot_locked gave and that was never marked used.
  void give_back_locked(std::uint32_t slot) noexcept { push_free_locked(slot); }
  /// A handle joined the slot's state again: it lingers no more.
  void joined_locked(std::uint32_t slot) noexcept;

  /// Frees file states no handle, frame or sync uses, and that owe no fsync
  /// any more (their counters folded into `retired`); then, with
  /// max_open_fd > 0, closes descriptors of files no handle has open until
  /// at most max_open_fd are left. Visits every slot (sync, pool close).
  /// Returns the descriptors it closed so. The caller holds `latch`.
  std::uint32_t reap_locked(int max_open_fd) noexcept;
  /// What a close does in constant time: frees `slot`'s state if nothing
  /// uses it, visits a few more slots round the table for states left to
  /// free, and keeps the set_mp_max_openfd bound through a queue of the
  /// descriptors of files no handle has open, oldest closed first. Returns
  /// the descriptors it closed. The caller holds `latch`.
  std::uint32_t reap_after_close_locked(std::uint32_t slot, int max_open_fd) noexcept;
  /// A write-back opened the slot's descriptor again (ensure_fd) while no
  /// lock of the table is held: the next close counts it against
  /// set_mp_max_openfd. Takes a leaf mutex of its own, not the latch.
  void note_reopen(std::uint32_t slot) noexcept;
  /// Counts the descriptors note_reopen reported and closes the oldest of
  /// files no handle has open beyond max_open_fd (a long sync calls it as it
  /// goes). Returns the descriptors it closed. Caller holds `latch`.
  std::uint32_t trim_reopened_locked(int max_open_fd) noexcept;
  /// Closes every descriptor (pool close). The caller holds `latch`.
  void close_all_locked() noexcept;
  /// With chunk files: removes every chunk file of the table by name (its
  /// pool's last process leaves), or keeps them all when this table goes
  /// (its process leaves while others are attached).
  void remove_files() noexcept;
  void keep_files() noexcept;

  /// Every change of a slot's use; a word in the pool-wide state.
  bucket_latch& latch() noexcept { return st_->latch; }
  /// Counters of freed file states (BDB folds them too).
  sharded<file_counters>& retired() noexcept { return st_->retired; }

 private:
  unsigned chunk_of(std::uint32_t slot) const noexcept {
    return static_cast<unsigned>(std::bit_width((slot >> shift_) + 1u)) - 1u;
  }
  std::uint32_t chunk_start(unsigned k) const noexcept {
    return static_cast<std::uint32_t>(chunk_first_slot(shift_, k));
  }
  std::uint64_t chunk_len(unsigned k) const noexcept { return chunk_slots(shift_, k); }
  // Mapping (map_mu_): the next chunk, made or (made by another) mapped;
  // every published chunk up to `upto`; the slow paths of shared(), local().
  std::error_code grow_mapped_locked() noexcept;
  std::error_code map_published_locked(unsigned upto) noexcept;
  file_shared* map_chunk_slow(unsigned k) noexcept;
  file_local& local_slow(std::uint32_t slot) noexcept;
  bool try_free_locked(std::uint32_t slot) noexcept;
  void free_locked(std::uint32_t slot) noexcept;
  void unqueue_fd_locked(std::uint32_t slot) noexcept;
  void count_reopened_locked() noexcept;
  void queue_fd_locked(std::uint32_t slot) noexcept;
  /// Queues slot s's descriptor for the budget if it lingers: a state in
  /// use, with no handle open, not temporary, holding a descriptor.
  void queue_if_lingering_locked(std::uint32_t s) noexcept;
  std::uint32_t trim_fds_locked(int max_open_fd) noexcept;

  /// The index bucket of a real file's id, or of an in-memory file's name:
  /// the same in every process of a build (no per-process seed).
  static std::uint32_t hash_of(const file_id& id) noexcept;
  static std::uint32_t hash_of(const char* name, std::size_t len) noexcept;
  void push_free_locked(std::uint32_t slot) noexcept;

  std::uint32_t base_ = 0;   // slots in chunk 0, a power of two
  unsigned shift_ = 0;       // log2(base_)
  file_shared* first_shared_ = nullptr;  // chunk 0, never changes after init
  std::atomic<file_shared*> shared_dir_[max_chunks] = {};
  // The process's side of every slot handed a chunk, index = slot; grown
  // under the latch to the chunks' capacity (FT2 orders the size after it).
  tbb::concurrent_vector<file_local> locals_;
  // What this process has mapped of the table (map_mu_, a leaf under the
  // table's latch: shared() and local() take it alone, maybe under the latch).
  std::mutex map_mu_;
  unsigned chunks_ = 0;          // chunks mapped (map_mu_)
  std::uint64_t capacity_ = 0;   // slots in them (map_mu_)
  bool attached_ = false;        // init(attach): another table made this one
  bool kept_ = false;            // keep_files(): no chunk file is removed here (map_mu_)
  // The size (FT2), the chunk count and the retired counters: own_state_,
  // or the pool file's with region files (st_ points at the one in use).
  file_table_state own_state_;
  file_table_state* st_ = &own_state_;
  std::unique_ptr<region_file> chunk_files_[max_chunks];  // with region files
  backing backing_;
  bool file_backed_ = false;
  // set_mp_max_openfd: slots of files no handle has open whose descriptor is
  // counted (file_local::fd_queued), oldest first; entries whose flag is
  // clear are stale and skipped (latch).
  std::deque<std::uint32_t> fd_queue_;
  std::uint32_t fd_queued_n_ = 0;
  std::mutex reopen_mu_;                   // leaf: guards reopened_ only
  std::vector<std::uint32_t> reopened_;    // note_reopen's slots, drained at close
  std::uint32_t reap_cursor_ = 0;  // reap_after_close_locked's walk round the table
  io_backend* io_ = nullptr;
};

}  // namespace pagepool::internal
