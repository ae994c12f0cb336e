// src/region/region.hpp: one region of the pool (BDB: one of ncache caches).
//
// A region is a single mapping laid out as
//
//   [region_header][bucket x nbuckets][frame x cap]
//
// and its pages, cap x frame_size bytes, in the pool's page reservation
// (core/pool_impl.hpp: every region's pages in one range, so that the frame
// of a page address is found by arithmetic),
// sized for `cap` frames (the most the region may grow to), of which `limit`
// are in service. The mapping reserves address space without committing it
// (MAP_NORESERVE; anonymous pages cost memory only once touched), so a region
// grows by putting more frames into service and shrinks by evicting the frames
// past its new limit and handing their page memory back (MADV_DONTNEED).
// Frames are type-stable: a frame past the limit keeps its header, so a pin
// or a lookup that races with a shrink stays safe.
//
// Frame service (all changes under free_latch):
//
//   index < limit:  F (in the free list) / E' / L / R / W / E, as frame_state
//   index >= limit: retired (state F, not in the free list, memory returned),
//                   or still holding a page (pinned during the shrink, or not
//                   yet evicted): counted in `excess` until drained.
//
//   grow:   limit up; retired frames below the new limit join the free list,
//           and so do never-used ones (every header up to the cap is
//           constructed with the region, before any thread can walk it).
//   shrink: limit down; the free list drops indices >= limit; drain_excess
//           evicts (writing dirty pages) every unpinned frame past the limit
//           and retires it. push_free of a frame past the limit retires it.
//
// and refers to itself only by index (frame index, bucket index, file slot):
// no pointer is stored in it, so it can later move into a mapping shared
// between processes. Everything here is the mechanism; pool_impl decides.
//
// The page table (table/page_table.hpp) is the region's buckets and the
// frames' chain links; it owns every walk and every change of a chain.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <system_error>
#include <type_traits>

#include "frame/frame.hpp"
#include "port/cache_line.hpp"
#include "share/region_file.hpp"
#include "stats/sharded_counter.hpp"
#include "table/bucket_latch.hpp"
#include "table/page_table.hpp"

namespace pagepool::internal {

/// Per-region counters (BDB: the region's DB_MPOOL_STAT fields).
struct region_counters {
  counter io_wait, alloc, alloc_pages, ro_evict, rw_evict;
  // Where threads meet on a miss (issue 12), all relaxed like every counter:
  counter free_nowait, free_wait;      // free-list latch taken at once / after waiting
  counter policy_nowait, policy_wait;  // policy latch (policy_slot::mu) likewise
  counter claim_lost;  // a victim's claim CAS lost (the frame changed under the policy)
  counter usage_lost;  // an ageing CAS (set_usage) lost to a pin or another sweep
  counter load_lost;   // a miss whose page another thread put in the table first
  counter evict_calls, victims;  // policy evict calls / victims they gave (victims per call: the batch)
  counter donated;  // pages evicted to make room for a page of another size (core/page_classes.cpp)
  counter hits_dropped;  // queued hits dropped by a full buffer's try-lock (core/policy_host.cpp)
};

struct region_header {
  std::uint32_t index = 0;
  std::uint32_t cap = 0;       // frames the mapping has room for
  std::uint32_t nbuckets = 0;  // a power of two
  std::uint32_t frame_size = 0;
  std::uint64_t buckets_off = 0, frames_off = 0, pages_off = 0, total_size = 0;
  // limit and high change under free_latch; readers outside it (the hand,
  // scans) use them as bounds only, loaded with acquire against grow's
  // release (RG1), so every frame below them is as grow put it in service
  // (every header is constructed with the region); a stale limit at
  // worst sends the hand to a frame past the new limit, which it then drains
  // instead of reusing.
  alignas(cache_line) std::atomic<std::uint32_t> limit{0};  // frames in service
  std::atomic<std::uint32_t> high{0};    // frames ever in service (scan bound)
  std::atomic<std::uint32_t> excess{0};  // frames past limit still holding a page (a hint)
  std::atomic<bool> draining{false};     // one drain_excess at a time (try-lock)
  alignas(cache_line) bucket_latch free_latch;             // guards the free list
  // Changed only under free_latch; pop_free peeks at it without the latch
  // (relaxed) so that a miss in a full region, the common case, does not
  // write the latch's line at all (issue 12).
  std::atomic<std::uint32_t> free_head{no_frame};
  alignas(cache_line) std::atomic<std::uint64_t> alloc_max_pages{0};  // relaxed max
  sharded<region_counters> counters;
  table_stats table;
};

/// The header's leading plain fields, as a process that has not mapped the
/// region reads them from its file (pread) before it maps anything
/// (region's attach constructor, pool::inspect).
struct region_identity {
  std::uint32_t index, cap, nbuckets, frame_size;
  std::uint64_t buckets_off, frames_off, pages_off, total_size;
};
static_assert(offsetof(region_header, cap) == offsetof(region_identity, cap) &&
              offsetof(region_header, frame_size) == offsetof(region_identity, frame_size) &&
              offsetof(region_header, frames_off) == offsetof(region_identity, frames_off) &&
              offsetof(region_header, total_size) == offsetof(region_identity, total_size) &&
              sizeof(region_identity) <= offsetof(region_header, limit));

// The region's mapping is memory other processes will map (issue 14;
// already a file mapped shared with pool_options::region_files): it holds
// only plain integers and atomics every process can use on the same bytes,
// lock-free ones (a lock-based atomic's lock would be process-private), in
// layouts fixed by the build (standard layout; no pointer: every reference
// is an index).
static_assert(std::is_standard_layout_v<region_header> && std::is_standard_layout_v<bucket> &&
              std::is_standard_layout_v<frame>);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free &&
              std::atomic<std::uint64_t>::is_always_lock_free &&
              std::atomic<bool>::is_always_lock_free &&
              std::atomic<frame_state::word>::is_always_lock_free);

/// A view of one region's mapping. Owns the mapping.
class region {
 public:
  /// Maps a region with room for `cap` frames (cap >= nframes) and puts
  /// `nframes` in service; ok() is false if the mapping failed (ENOMEM).
  /// The page memory is `pages` (cap frames of frame_size bytes, reserved
  /// by the caller, which keeps it mapped for the region's life), or, if
  /// null, mapped with the region.
  /// With `file`, the region's memory is that file, mapped shared
  /// (share/region_file.hpp), its pages at `pages` (or after the metadata);
  /// error() then says why it could not be made (ENOSPC: no room in the
  /// directory; the open's errno).
  region(std::uint32_t index, std::uint32_t nframes, std::uint32_t frame_size,
         std::uint32_t cap = 0, std::byte* pages = nullptr,
         const region_file_spec* file = nullptr) noexcept;
  /// Maps region `index` of a pool another region object made in `file`
  /// (another process's, or this one's), read-write, its pages at `pages`:
  /// nothing in it is changed (its header, frames and free list are the
  /// maker's), and its file stays when this goes. ok() false and error()
  /// EINVAL if the file is not a region of this index, cap and frame size
  /// (its header or length say otherwise); the open's errno otherwise.
  struct attach_t {};
  static constexpr attach_t attach{};
  region(attach_t, const region_file_spec& file, std::uint32_t index, std::uint32_t frame_size,
         std::uint32_t cap, std::byte* pages) noexcept;
  ~region();
  region(const region&) = delete;
  region& operator=(const region&) = delete;

  [[nodiscard]] bool ok() const noexcept { return base_ != nullptr; }
  /// Why the region could not be made (an errno; 0 if ok()).
  [[nodiscard]] int error() const noexcept { return error_; }
  /// Whether the region's memory is a file mapped shared.
  [[nodiscard]] bool file_backed() const noexcept { return file_ != nullptr; }
  /// The region's file stays when the region goes (its process leaves a
  /// pool other processes are attached to).
  void keep_file() noexcept {
    if (file_) file_->keep();
  }
  region_header& hdr() noexcept { return *reinterpret_cast<region_header*>(base_); }
  const region_header& hdr() const noexcept { return *reinterpret_cast<const region_header*>(base_); }
  /// Frames in service (the CLOCK hand's range).
  /// acquire (both): pairs with grow's stores (RG1), so every frame below the
  /// bound read is as grow put it in service (a plain load on x86).
  std::uint32_t nframes() const noexcept { return hdr().limit.load(std::memory_order_acquire); }
  /// Every frame that may hold a page is below this (scans use it).
  std::uint32_t scan_end() const noexcept { return hdr().high.load(std::memory_order_acquire); }  // (RG1)
  std::uint32_t cap() const noexcept { return hdr().cap; }
  std::uint32_t nbuckets() const noexcept { return hdr().nbuckets; }
  std::uint32_t frame_size() const noexcept { return hdr().frame_size; }

  frame& frame_at(std::uint32_t i) noexcept { return frames_[i]; }
  page_table& table() noexcept { return table_; }
  std::byte* page(std::uint32_t i) noexcept { return pages_ + (std::size_t{i} << frame_shift_); }

  /// Pops a free frame (state E'), or no_frame. An empty list is seen
  /// without taking the latch: a frame freed at that instant may be missed
  /// (the caller then evicts, or looks again).
  std::uint32_t pop_free() noexcept;
  /// Whether the free list looked non-empty (a relaxed peek, as pop_free's).
  bool has_free() const noexcept {
    return hdr().free_head.load(std::memory_order_relaxed) != no_frame;
  }
  /// Returns frame f (owned, unlinked) to the free list in state F; a frame
  /// past the limit is retired instead.
  void push_free(std::uint32_t f) noexcept;

  /// Puts frames [limit, n) in service (n <= cap). Caller serialises
  /// resizes. A file-backed region commits their memory first: ENOSPC (or
  /// the file system's error) and nothing changed.
  [[nodiscard]] std::error_code grow(std::uint32_t n) noexcept;
  /// Takes frames [n, limit) out of service: free ones retire at once, the
  /// rest are left for drain_excess. Caller serialises resizes.
  void shrink(std::uint32_t n) noexcept;
  /// Hands the page memory of frame f back to the system. A file-backed
  /// region's frame must be retiring and the free latch held (its hole is
  /// committed again only by a grow).
  void release_memory(std::uint32_t f) noexcept;

 private:
  std::byte* base_ = nullptr;
  std::size_t size_ = 0;
  frame* frames_ = nullptr;
  std::byte* pages_ = nullptr;
  unsigned frame_shift_ = 0;  // log2(frame_size)
  page_table table_;
  int error_ = 0;
  bool attached_ = false;  // made by another region object (the attach constructor)
  std::unique_ptr<region_file> file_;  // null: anonymous memory
  // Holes punched so far (file-backed only). relaxed (both uses): changed
  // under the free latch, read by grow before and again under it.
  std::atomic<std::uint64_t> punches_{0};
};

}  // namespace pagepool::internal
