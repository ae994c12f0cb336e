// src/region/region.hpp: one region of the pool (BDB: one of ncache caches).
//
// A region is a single mapping laid out as
//
//   [region_header][bucket x nbuckets][frame x nframes][pad to 4 KiB][pages]
//
// and refers to itself only by index (frame index, bucket index, file slot):
// no pointer is stored in it, so it can later move into a mapping shared
// between processes. Everything here is the mechanism; pool_impl decides.
//
// The page table is a chained hash table: bucket -> frame -> frame via the
// frame's `next` index. Chains change only under the bucket's exclusive latch
// while the frame is busy; lookups hold the shared latch.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "frame/frame_state.hpp"
#include "port/cache_line.hpp"
#include "stats/sharded_counter.hpp"
#include "table/bucket_latch.hpp"

namespace pagepool::internal {

inline constexpr std::uint32_t no_frame = 0xFFFFFFFFu;

/// Frame header. The page's memory is at pages + index * frame_size.
struct frame {
  std::atomic<frame_state::word> state{0};
  // relaxed everywhere: written only while the frame is busy and under the
  // bucket's exclusive latch; read under that latch or after claiming busy,
  // which order them. Atomic only so that sync's unlatched pre-filter may
  // peek at them.
  std::atomic<std::uint32_t> file{0};
  std::atomic<std::uint32_t> pgno{0};
  std::atomic<std::uint32_t> next{no_frame};  // chain link, or free-list link
  std::uint32_t pad_ = 0;
};
static_assert(sizeof(frame) == 24, "frame header layout changed");

struct bucket {
  bucket_latch latch;
  std::atomic<std::uint32_t> head{no_frame};  // relaxed: guarded by latch
};
static_assert(sizeof(bucket) == 8, "bucket layout changed");

/// Per-region counters (BDB: the region's DB_MPOOL_STAT fields).
struct region_counters {
  counter hash_searches, hash_examined, hash_nowait, hash_wait, io_wait;
  counter alloc, alloc_pages, ro_evict, rw_evict;
};

struct region_header {
  std::uint32_t index = 0;
  std::uint32_t nframes = 0;
  std::uint32_t nbuckets = 0;  // a power of two
  std::uint32_t frame_size = 0;
  std::uint64_t buckets_off = 0, frames_off = 0, pages_off = 0, total_size = 0;
  alignas(cache_line) std::atomic<std::uint64_t> hand{0};  // CLOCK hand (relaxed: a hint)
  alignas(cache_line) bucket_latch free_latch;             // guards the free list
  std::uint32_t free_head = no_frame;                      // guarded by free_latch
  alignas(cache_line) std::atomic<std::uint64_t> hash_longest{0};  // relaxed max
  std::atomic<std::uint64_t> alloc_max_pages{0};                   // relaxed max
  sharded<region_counters> counters;
};

/// A view of one region's mapping. Owns the mapping.
class region {
 public:
  /// Maps and initialises a region; nullptr-state (ok() false) on ENOMEM.
  region(std::uint32_t index, std::uint32_t nframes, std::uint32_t frame_size) noexcept;
  ~region();
  region(const region&) = delete;
  region& operator=(const region&) = delete;

  [[nodiscard]] bool ok() const noexcept { return base_ != nullptr; }
  region_header& hdr() noexcept { return *reinterpret_cast<region_header*>(base_); }
  const region_header& hdr() const noexcept { return *reinterpret_cast<const region_header*>(base_); }
  std::uint32_t nframes() const noexcept { return hdr().nframes; }
  std::uint32_t nbuckets() const noexcept { return hdr().nbuckets; }
  std::uint32_t frame_size() const noexcept { return hdr().frame_size; }

  frame& frame_at(std::uint32_t i) noexcept { return frames_[i]; }
  bucket& bucket_at(std::uint32_t b) noexcept { return buckets_[b]; }
  std::byte* page(std::uint32_t i) noexcept { return pages_ + std::size_t{i} * frame_size(); }
  /// The frame whose page starts at p, or no_frame.
  std::uint32_t frame_of(const void* p) const noexcept;

  /// Finds (file, pgno) in bucket b's chain. Caller holds b's latch.
  std::uint32_t find(std::uint32_t b, std::uint32_t file, std::uint32_t pgno) noexcept;
  /// Links frame f at the head of b's chain. Caller holds b's exclusive latch.
  void link(std::uint32_t b, std::uint32_t f) noexcept;
  /// Unlinks frame f from b's chain. Caller holds b's exclusive latch.
  void unlink(std::uint32_t b, std::uint32_t f) noexcept;

  /// Pops a free frame (state E'), or no_frame.
  std::uint32_t pop_free() noexcept;
  /// Returns frame f (owned, unlinked) to the free list in state F.
  void push_free(std::uint32_t f) noexcept;

 private:
  std::byte* base_ = nullptr;
  std::size_t size_ = 0;
  bucket* buckets_ = nullptr;
  frame* frames_ = nullptr;
  std::byte* pages_ = nullptr;
};

}  // namespace pagepool::internal
