// src/flush/writeback.hpp: writing pages back, and making them durable.
//
// The page writer (the write-ahead rule, page-out, pwrite), sync, trickle's
// engine (shared with the background writer), the descriptors they need,
// and durability: the fsync of each written file, of a new file's
// directory, and the sticky mark of a failed fsync. All I/O goes through the
// pool's io_backend. The pool owns one `writeback` and hands it, once, what
// it works on: the regions' frames, the file table, the page-in/out
// registry; nothing here knows the pool itself.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "core/file_table.hpp"
#include "share/pool_file.hpp"
#include "io/page_io_registry.hpp"
#include "pagepool/io.hpp"
#include "region/region.hpp"
#include "stats/counters.hpp"

namespace pagepool::internal {

class writeback {
 public:
  /// What write-back works on, owned by the pool and set once at creation.
  struct parts {
    // Every class's regions (null where the class has none yet: its bit in
    // *live is clear; pool_impl::class_live, edge C1), `per_class` a class.
    const std::vector<std::unique_ptr<region>>* regions = nullptr;
    const std::atomic<std::uint32_t>* live = nullptr;
    std::uint32_t per_class = 1;
    file_table* files = nullptr;
    io_backend* io = nullptr;
    page_io_registry* page_io = nullptr;
    sharded<pool_counters>* counters = nullptr;
    const std::atomic<std::size_t>* frames = nullptr;  // frames in service
    // The pool's run-time settings (max_open_fd, max_write, its pause):
    // they may change at any time (share/pool_file.hpp).
    const pool_settings* settings = nullptr;
    std::string temp_dir;  // pool_options::temp_dir
  };
  void attach(parts p) noexcept { p_ = std::move(p); }

  /// Opens file `slot`'s descriptor if it has none (or only a read-only one
  /// and `for_write`); creates a temporary file's backing file at its first
  /// write. ENOENT reading a temporary file that has none yet.
  std::error_code ensure_fd(std::uint32_t slot, bool for_write) noexcept;
  /// Writes page `pgno` of file `slot` from `copy` (the frame is owned, or
  /// was snapshotted into `copy`): write-ahead rule, page-out on the copy,
  /// pwrite. Marks the file written (write_gen).
  std::error_code write_page(std::uint32_t slot, pgno_t pgno, std::byte* copy) noexcept;
  /// Runs file `slot`'s page-in (in) or page-out on `page`; a checksum that
  /// fails at page-in is counted.
  std::error_code run_page_io(std::uint32_t slot, bool in, pgno_t pgno, void* page,
                              bool from_disk = true) noexcept;
  /// fsyncs file `slot` (and its directory when owed); keeps the first
  /// failure as a sticky mark.
  std::error_code fsync_file(std::uint32_t slot) noexcept;

  /// Writes every dirty unpinned page (of file `only_slot`, or of every file
  /// with no_slot) whose LSN is below `upto`, then fsyncs every file that
  /// has writes not yet covered by an fsync. errc::incomplete when a pinned
  /// dirty page was left.
  std::error_code sync(std::optional<lsn> upto, std::uint32_t only_slot) noexcept;
  /// Writes unpinned dirty pages until `percent` of the frames are clean;
  /// `written` counts them (trickle and the background writer).
  std::error_code clean_to(int percent, std::int64_t& written) noexcept;

 private:
  enum class pass_kind { sync, trickle };
  std::error_code write_back(pass_kind kind, std::optional<lsn> upto, std::uint32_t only_slot,
                             std::int64_t limit, std::int64_t& written) noexcept;
  /// Region g, or null if its class has none yet.
  region* region_if_live(std::uint32_t g) const noexcept {
    // acquire: (C1), as pool_impl::class_live.
    if (!((p_.live->load(std::memory_order_acquire) >> (g / p_.per_class)) & 1u)) return nullptr;  // (C1)
    return (*p_.regions)[g].get();
  }
  parts p_;
};

}  // namespace pagepool::internal
