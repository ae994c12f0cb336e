// src/table/bucket_latch.hpp: the shared/exclusive latch of one page-table
// bucket: a 32-bit word, so it can live in shared memory.
//
//   bit 31      writer holds or is acquiring the latch
//   bits 0..30  readers holding the latch
//
// A writer first sets bit 31 (so new readers stay out and writers cannot
// starve), then waits for the readers to drain.
//
// Synchronization edges:
//   (L1) lock_shared's CAS [acquire] synchronizes-with unlock's fetch_and (L4)
//       of the previous writer: the chain and frame keys it wrote are seen.
//   (L2) lock's CAS that sets bit 31 [acquire] and (L3) its wait for readers
//       [acquire load] synchronize-with unlock_shared's fetch_sub (L5) and the
//       previous writer's unlock (L4).
//   (L4) unlock: fetch_and clearing bit 31 [release].
//   (L5) unlock_shared: fetch_sub [release]: the reader's loads happen-before
//       the next writer's changes.
#pragma once

#include <atomic>
#include <cstdint>

#include "port/backoff.hpp"

namespace pagepool::internal {

class bucket_latch {
 public:
  static constexpr std::uint32_t writer = 1u << 31;

  /// Returns true if it had to wait.
  bool lock_shared() noexcept {
    backoff b;
    std::uint32_t v = word_.load(std::memory_order_relaxed);
    for (;;) {
      if ((v & writer) == 0 &&
          word_.compare_exchange_weak(v, v + 1, std::memory_order_acquire,  // (L1)
                                      std::memory_order_relaxed))
        return b.waited();
      if (v & writer) {
        b.pause();
        v = word_.load(std::memory_order_relaxed);
      }
    }
  }
  void unlock_shared() noexcept { word_.fetch_sub(1, std::memory_order_release); }  // (L5)

  /// Returns true if it had to wait.
  bool lock() noexcept {
    backoff b;
    std::uint32_t v = word_.load(std::memory_order_relaxed);
    for (;;) {
      if ((v & writer) == 0 &&
          word_.compare_exchange_weak(v, v | writer, std::memory_order_acquire,  // (L2)
                                      std::memory_order_relaxed))
        break;
      if (v & writer) {
        b.pause();
        v = word_.load(std::memory_order_relaxed);
      }
    }
    while ((word_.load(std::memory_order_acquire) & ~writer) != 0) b.pause();  // (L3)
    return b.waited();
  }
  void unlock() noexcept { word_.fetch_and(~writer, std::memory_order_release); }  // (L4)

 private:
  std::atomic<std::uint32_t> word_{0};
};

}  // namespace pagepool::internal
