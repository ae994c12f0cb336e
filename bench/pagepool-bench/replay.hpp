// bench/pagepool-bench/replay.hpp: a trace replayed through the real pool.
//
// Every request is one get (get_flags::create) and one put (no flags, default
// priority) on the rig's data file (rig.hpp), so a replay drives the pool's
// policy exactly as an application would. Misses are read from the pool's
// statistics (cache_miss + page_create), never counted by the replayer.
//
// Page numbers are first made dense (densify: the i-th distinct page seen
// becomes page i), so the data file has one page per distinct page of the
// trace; a policy sees only page identities, so its decisions do not change.
//
// With T threads, request i goes to thread i % T, and each thread replays its
// share in trace order, all threads at once, none more than max_skew of its
// requests ahead of the slowest. A single-threaded replay with
// one region is the pool's exactness case (policy.hpp, point 7): its misses
// equal those of the textbook policy (shared/traces/REFERENCE.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "progress.hpp"
#include "rig.hpp"

namespace pagepool::bench {

/// A trace with dense page numbers 0..unique-1.
struct dense_trace {
  std::vector<std::uint32_t> pages;
  std::uint32_t unique = 0;
};
/// Renumbers pages by first appearance.
[[nodiscard]] dense_trace densify(std::span<const std::uint32_t> raw);

struct replay_config {
  policy_kind policy = policy_kind::clock;
  std::size_t cache_pages = 0;
  unsigned regions = 1;
  unsigned threads = 1;
  backing back = backing::memory;
  std::size_t page_size = 512;
  /// With T > 1: the furthest (in its own requests) a thread may run ahead
  /// of the slowest one; 0 for no bound. Without a bound, a thread that the
  /// OS deschedules (or that meets more misses) falls behind, and the pool
  /// sees an interleaving far from the trace's order; with one, the threads
  /// keep the trace's order to within T * max_skew positions.
  std::size_t max_skew = 256;
};

struct replay_result {
  std::uint64_t requests = 0;
  std::uint64_t misses = 0;
  std::uint64_t enomem_retries = 0;  ///< gets that found every frame pinned and were retried
  std::uint64_t skew_waits = 0;      ///< times a thread waited for a slower one (max_skew)
  double seconds = 0.0;              ///< wall time of the requests alone (the rig's set-up excluded)
  double cpu_seconds = 0.0;          ///< CPU time of the process meanwhile (all threads)
  [[nodiscard]] double miss_ratio() const noexcept {
    return requests == 0 ? 0.0 : static_cast<double>(misses) / static_cast<double>(requests);
  }
  [[nodiscard]] double requests_per_s() const noexcept {
    return seconds > 0 ? static_cast<double>(requests) / seconds : 0.0;
  }
  /// Requests per CPU-second: what one core gives when the machine is busy
  /// with other work (wall-time speed then understates it).
  [[nodiscard]] double requests_per_cpu_s() const noexcept {
    return cpu_seconds > 0 ? static_cast<double>(requests) / cpu_seconds : 0.0;
  }
};

/// Replays `trace` (dense page numbers below `unique`) through a fresh pool;
/// false with a message in `err` on any error (a get failing other than by
/// ENOMEM, which is retried for up to ten seconds). `prog` may be null.
[[nodiscard]] bool replay_trace(std::span<const std::uint32_t> trace, std::uint32_t unique,
                                const replay_config& cfg, progress* prog, replay_result& out,
                                std::string& err);

/// `c = max(1, floor(unique * pct / 100))` (shared/traces/REFERENCE.md).
[[nodiscard]] std::size_t pages_for_percent(std::uint64_t unique, double pct) noexcept;

}  // namespace pagepool::bench
