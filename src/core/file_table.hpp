// src/core/file_table.hpp: the table of files a pool has open.
//
// Slot i holds one physical file: its shared state (file_shared, BDB's
// MPOOLFILE), which lives in the table's mapping and refers to nothing by
// pointer, and beside it the process-local side (file_local: the descriptor,
// the path, the cookie). Frames name their file by slot. Every change of a
// slot's use happens under the table's latch (core/file_registry.cpp opens
// and closes; reap_locked frees).
//
// A file state lives while a handle has it open, a frame holds one of its
// pages, a sync is about to fsync it (io_refs), or it owes an fsync (pages
// written since its last one, or a new name not yet durable: a sync after
// the last close still makes them durable); then reap_locked folds its
// counters into `retired` and frees it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <system_error>
#include <vector>

#include "pagepool/io.hpp"
#include "pagepool/types.hpp"
#include "stats/counters.hpp"
#include "table/bucket_latch.hpp"

namespace pagepool::internal {

inline constexpr std::uint32_t no_slot = 0xFFFFFFFFu;
inline constexpr std::uint64_t no_limit = ~0ull;

/// Per physical file, shared by every handle on it (BDB: MPOOLFILE). Lives in
/// the file table mapping; index = slot.
struct file_shared {
  std::atomic<std::uint32_t> used{0};  // relaxed: guarded by the table's latch
  std::uint32_t page_size = 0;
  file_id id{};
  std::int32_t ftype = 0;
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
  std::atomic<std::uint32_t> frames{0};    // frames holding its pages
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
};

/// Per physical file, per process: the descriptor and what reopens it.
struct file_local {
  std::shared_mutex fd_mu;  // I/O holds it shared; open/close/upgrade exclusive
  std::mutex sync_mu;  // one fsync_file of the file at a time (taken before fd_mu)
  int fd = -1;
  bool fd_writable = false;
  bool direct = false;
  std::string path;  // empty for a temporary file
  std::vector<std::byte> cookie;
};

class file_table {
 public:
  file_table() = default;
  file_table(const file_table&) = delete;
  file_table& operator=(const file_table&) = delete;
  /// Closes what descriptors are left (through `io`) and unmaps the table.
  ~file_table();

  /// Room for `n` files; ENOMEM if the mapping or the local side fails.
  std::error_code init(std::size_t n, io_backend* io) noexcept;

  std::uint32_t size() const noexcept { return size_; }
  file_shared& shared(std::uint32_t slot) noexcept { return shared_[slot]; }
  file_local& local(std::uint32_t slot) noexcept { return local_[slot]; }

  /// Frees file states no handle, frame or sync uses, and that owe no fsync
  /// any more (their counters
  /// folded into `retired`); then, with max_open_fd > 0, closes descriptors
  /// of files no handle has open until at most max_open_fd are left. Returns
  /// the descriptors it closed so. The caller holds `latch`.
  std::uint32_t reap_locked(int max_open_fd) noexcept;
  /// Closes every descriptor (pool close). The caller holds `latch`.
  void close_all_locked() noexcept;

  bucket_latch latch;  // every change of a slot's use
  sharded<file_counters> retired;  // counters of freed file states (BDB folds them too)

 private:
  file_shared* shared_ = nullptr;
  std::size_t shared_len_ = 0;
  std::unique_ptr<file_local[]> local_;
  std::uint32_t size_ = 0;
  io_backend* io_ = nullptr;
};

}  // namespace pagepool::internal
