// src/share/pool_file.hpp: the pool file, the state of a pool in region files
// that is the pool's rather than one region's (issue 14, part 4;
// papers/design/processes.md).
//
// With pool_options::region_files, a pool keeps in its home one file mapped
// shared, HOME/__pagepool.pool (BDB keeps its environment's primary region
// in __db.001 the same way). It says where the rest of the pool's memory is
// (the region directory and the names of its files), what shape it has (the
// regions per class, every class's frames per region, the file table's
// first chunk), what exists of it now (the live page-size classes, the file
// table's chunks and slots), and holds the pool's own counters and those of
// freed file states, so that another process can map the whole pool and read
// it: pool::inspect, `pagepool-bench stat HOME --live`.
//
//   [pool_file_header: identity, geometry, names | live state | counters]
//
// The identity (magic, version, layout) tells a reader built otherwise to stop
// (errc::version_mismatch, BDB's DB_VERSION_MISMATCH); `ready`, written last,
// tells it the creator finished writing the rest. Nothing in the file is a
// pointer; every atomic is lock-free (checked below).
//
// Life of the pool file:
//
//   (none) --make: O_EXCL, fields, ready--> ready --the home's last process
//   leaves: unlink if the name is still ours--> (none)
//              \--its process leaves while others are attached--> kept
//              \--creator killed--> stale (its creator is dead: pool::inspect
//                 says so; the next pool of the home replaces it, and
//                 pool::remove removes it)
//
// Synchronization edges (papers/design/memory-ordering.md):
// (PF1) make's release store of `ready` after every field; a reader's
//   acquire load: a reader that sees it ready sees the fields.
// (PF2) the release store of `accounts.live_classes` after a class's region
//   files are made and mapped (core/page_classes.cpp; the pool's own C1,
//   one store), against a reader's acquire load: a reader that sees the bit
//   finds the class's files.
// (PF3) the release stores of the file table's chunk count and size
//   (core/file_table.hpp, FT1 and FT2's shared side) after the chunk's file
//   is made and a new slot's state constructed; a reader's acquire loads.
// (PF4) the release store of a file state's `used` when its slot is filled
//   (core/file_registry.cpp), against a reader's acquire load: a reader that
//   sees the slot used sees its fields and name as the fill wrote them.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>
#include <type_traits>

#include "pagepool/stats.hpp"
#include "stats/counters.hpp"
#include "table/bucket_latch.hpp"

namespace pagepool::internal {

/// The pool's accounts (core/page_classes.cpp): which page-size classes
/// exist and the byte budget they share. In the pool file with region files,
/// in the pool itself otherwise; the pool keeps no other copy, so that every
/// process attached to the pool charges one budget.
struct pool_accounts {
  static constexpr unsigned classes = 8;
  // The live classes, a bit each: set by (C1) [release] once a class's
  // regions are made (and their files, PF2: the same store), read [acquire].
  alignas(64) std::atomic<std::uint32_t> live_classes{0};
  // relaxed (the rest): counts checked and changed with RMWs or set under
  // the pool's resize latch; they publish nothing.
  // pool::frames(): the budget, in frames of the pool's default page size
  // (the budget in bytes is frames * frame_size, derived where it is read).
  std::atomic<std::uint64_t> frames{0};
  // Bytes of frames taken from the free lists, in all and per class.
  alignas(64) std::atomic<std::uint64_t> used{0};
  std::atomic<std::uint64_t> class_used[classes] = {};
};
static_assert(std::is_same_v<std::uint64_t, std::size_t>, "counts are size_t in the pool");

/// The pool's run-time settings (DB_ENV->set_mp_mmapsize, set_mp_max_openfd,
/// set_mp_max_write): in the pool file with region files, in the pool itself
/// otherwise, so that, as in Berkeley DB, where they live in the shared
/// region, a setting made by any process attached to the pool applies to
/// all, and a reader (pool::inspect) reports them. relaxed (all): values read
/// at the next operation; nothing is published through them.
struct pool_settings {
  std::atomic<std::uint64_t> mmap_size{0};          // largest read-only file served by mmap
  std::atomic<std::int32_t> max_open_fd{0};         // descriptors of closed files kept (0: any)
  std::atomic<std::int32_t> max_write{0};           // writes per burst (0: no limit)
  std::atomic<std::int64_t> max_write_sleep_us{0};  // pause between bursts
};
static_assert(std::is_same_v<std::int32_t, int>);
/// The settings as pool_stats reports them (the pool's stats(), and
/// pool::inspect from another process).
inline void settings_into(const pool_settings& s, pool_stats& st) noexcept {
  st.mmapsize = s.mmap_size.load(std::memory_order_relaxed);
  st.maxopenfd = s.max_open_fd.load(std::memory_order_relaxed);
  st.maxwrite = s.max_write.load(std::memory_order_relaxed);
  st.maxwrite_sleep = static_cast<std::uint32_t>(s.max_write_sleep_us.load(std::memory_order_relaxed));
}

/// The file table's pool-wide state (core/file_table.hpp): in the pool file
/// with region files, in the table itself otherwise. Everything a process
/// needs to find a file's slot, take a slot or free one is here or in the
/// slots themselves, by slot number, never by pointer: the latch is a word
/// in this memory, the index's chains and the free slots' chain are links
/// between slots (file_shared::next), so that every process attached to the
/// pool finds one state per file.
struct file_table_state {
  /// Buckets of the index (a power of two; 64 KiB of heads). An open walks
  /// one chain under the latch, comparing the key hash beside each link
  /// first: with 100,000 files open, about 6 slots.
  static constexpr unsigned index_buckets = 16384;

  std::atomic<std::uint32_t> chunks{0};  // chunks made (PF3)
  std::atomic<std::uint32_t> size{0};    // slots handed out (FT2, PF3)
  sharded<file_counters> retired;        // counters of freed file states
  bucket_latch latch;                    // every change of a slot's use
  // Guarded by the latch, links are slot + 1 (0 ends a chain: the pool
  // file's zero fill is an empty table). The free slots, most recently
  // freed first; the index of named files in use, by file_table::key_hash.
  std::uint32_t free_head = 0;
  std::uint32_t index[index_buckets] = {};
};

struct pool_file_header {
  static constexpr std::uint64_t magic_value = 0x4c4f4f5047415050ull;  // "PPAGPOOL"
  static constexpr std::uint32_t version_value = 1;
  static constexpr unsigned classes = 8;

  std::uint64_t magic = 0;
  std::uint32_t version = 0;
  std::uint32_t layout = 0;  // pool_file_layout(): the build's shared structures
  std::atomic<std::uint32_t> ready{0};  // (PF1)
  std::int32_t pid = 0;                 // the creator
  std::uint32_t owner_id = 0;           // the creator's registry owner id
  std::uint32_t nregions = 0;           // regions per class
  std::uint32_t frame_size = 0;         // the default page size
  std::uint32_t file_base = 0;          // slots in the file table's chunk 0
  std::uint32_t caps[classes] = {};     // frames per region of each class
  char tag[96] = {};                    // names the files (share/region_file.hpp)
  char region_dir[4096] = {};           // where they are (absolute or as given)
  pool_accounts accounts;
  pool_settings settings;
  file_table_state files;
  // Who owns each counting shard of every counter in the pool's files
  // (stats/sharded_counter.hpp): a thread stores plainly only into a shard
  // no thread of another process owns.
  shard_owner_table shard_owners;
  sharded<pool_counters> counters;
};
static_assert(std::is_standard_layout_v<pool_file_header>);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free &&
              std::atomic<std::uint64_t>::is_always_lock_free);

/// The layout value a pool file of this build carries: the sizes of every
/// structure another process reads in the pool's files.
std::uint32_t pool_file_layout() noexcept;

/// A pool file mapped shared: made by a pool (make), or opened by a reader
/// (open_existing, read-only).
class pool_file {
 public:
  static constexpr const char* file_name = "__pagepool.pool";

  pool_file() = default;
  ~pool_file();
  pool_file(const pool_file&) = delete;
  pool_file& operator=(const pool_file&) = delete;

  /// Makes HOME/__pagepool.pool (replacing a stale one: the caller holds the
  /// home's registry slot and no other live process is attached), mode
  /// `mode` (0: 0660), O_EXCL | O_NOFOLLOW | O_CLOEXEC, committed (ENOSPC
  /// now rather than a SIGBUS later), and maps it shared: a header with its
  /// identity written and not ready. The caller fills the rest, then
  /// publish(). The open's or the commit's errno on failure (no file left).
  std::error_code make(const std::string& home, int mode) noexcept;
  /// Marks the file ready (PF1): the caller has filled the header.
  void publish() noexcept;

  /// Opens and maps HOME/__pagepool.pool read-only: ENOENT if there is none,
  /// errc::version_mismatch for another magic, version or layout (or a file
  /// too short for one), EAGAIN if its creator has not finished making it
  /// (empty, its identity not yet written, or not ready).
  std::error_code open_existing(const std::string& home) noexcept;

  /// Removes HOME/__pagepool.pool if the name still names this file.
  void remove_if_ours() noexcept;
  /// The file stays when this goes (its pool's last process removes it).
  void keep() noexcept { keep_ = true; }

  pool_file_header& hdr() noexcept { return *hdr_; }
  const pool_file_header& hdr() const noexcept { return *hdr_; }
  [[nodiscard]] bool mapped() const noexcept { return hdr_ != nullptr; }

 private:
  void destroy() noexcept;
  pool_file_header* hdr_ = nullptr;
  std::size_t len_ = 0;
  int fd_ = -1;
  bool made_ = false;     // made here: unlink at the end if the name is still ours
  bool keep_ = false;     // ... unless kept (keep())
  std::string path_;
};

}  // namespace pagepool::internal
