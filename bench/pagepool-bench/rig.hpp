// bench/pagepool-bench/rig.hpp: a pool with one data file, as every
// pagepool-bench measurement uses it.
//
// The pool has exactly `frames` frames (pool_options::cache_frames), frames
// of page_size bytes, `regions` regions and the chosen policy; the data file
// has `pages` pages, all of which exist before the first get (the file is
// extended once with ftruncate, so every page reads as zeros and a get never
// creates a page: a miss is always a read, and pages stay clean unless a
// workload writes). The file lives in memory (make_memory_io(), the default:
// no disk in the measurement) or in a scratch directory under $TMPDIR (the
// POSIX backend), removed with the rig.
//
// `handles` handles are opened on the file (handles share the pages; a
// handle's pin table is its own). `run` opens one, shared by every thread,
// unless --handles per-thread; `replay` and `compare` open one per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pagepool/io.hpp"
#include "pagepool/pagepool.hpp"

namespace pagepool::bench {

enum class backing { memory, file };

[[nodiscard]] inline std::string_view backing_name(backing b) noexcept {
  return b == backing::memory ? "memory" : "file";
}

struct rig_config {
  policy_kind policy = policy_kind::clock;
  std::size_t frames = 1024;
  unsigned regions = 1;
  std::size_t page_size = 512;
  backing back = backing::memory;
  std::uint32_t pages = 1;  ///< pages of the data file
  unsigned handles = 1;     ///< handles on the file
  /// If set, the pool's memory is region files (pool_options::region_files)
  /// in a new directory made inside this one, which is the pool's home.
  std::string region_dir;
};

/// Counters of a run, from the pool's statistics.
struct rig_counts {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;  ///< cache_miss + page_create
  std::uint64_t page_out = 0;
  // Where threads meet on a miss (pool_stats, issue 12).
  std::uint64_t bucket_wait = 0, bucket_latch = 0;  ///< bucket latch waits / acquisitions
  std::uint64_t free_wait = 0, free_latch = 0;      ///< free-list latch waits / acquisitions
  std::uint64_t policy_wait = 0, policy_latch = 0;  ///< policy latch waits / acquisitions
  std::uint64_t claim_retries = 0, usage_retries = 0, load_races = 0, pin_waits = 0;
  std::uint64_t evict_calls = 0, victims = 0, visits = 0;  ///< policy evicts, their victims, frames looked at
  std::uint64_t hits_dropped = 0;  ///< queued hits dropped under contention (batched_hits policies)

  /// Adds another pool's counters (`run --handles private`: one pool per thread).
  rig_counts& operator+=(const rig_counts& o) noexcept {
    hits += o.hits, misses += o.misses, page_out += o.page_out;
    bucket_wait += o.bucket_wait, bucket_latch += o.bucket_latch;
    free_wait += o.free_wait, free_latch += o.free_latch;
    policy_wait += o.policy_wait, policy_latch += o.policy_latch;
    claim_retries += o.claim_retries, usage_retries += o.usage_retries;
    load_races += o.load_races, pin_waits += o.pin_waits;
    evict_calls += o.evict_calls, victims += o.victims, visits += o.visits;
    hits_dropped += o.hits_dropped;
    return *this;
  }
};

class pool_rig {
 public:
  /// Builds the pool and the file; false with a message in `err` if the
  /// pool refuses the configuration or the file cannot be made.
  [[nodiscard]] static bool make(const rig_config& cfg, std::unique_ptr<pool_rig>& out, std::string& err);
  ~pool_rig();
  pool_rig(const pool_rig&) = delete;
  pool_rig& operator=(const pool_rig&) = delete;

  [[nodiscard]] pool& the_pool() noexcept { return *pool_; }
  [[nodiscard]] file& handle(unsigned i) noexcept { return *handles_[i]; }
  [[nodiscard]] const rig_config& config() const noexcept { return cfg_; }
  /// The pool's counters (exact when no thread is using the pool); with
  /// clear, they restart from zero.
  [[nodiscard]] rig_counts counts(bool clear = false) noexcept;

 private:
  pool_rig() = default;
  rig_config cfg_;
  std::filesystem::path scratch_;  // file backing: the directory to remove
  std::filesystem::path home_;     // region_dir: the pool's home, removed after it
  std::unique_ptr<pool> pool_;
  std::vector<std::unique_ptr<file>> handles_;
};

/// "category:value (message)".
[[nodiscard]] std::string describe(const std::error_code& ec);

}  // namespace pagepool::bench
