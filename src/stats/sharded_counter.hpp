// src/stats/sharded_counter.hpp: counters that many threads bump without
// sharing a cache line.
//
// A counter set is `shards` copies of a struct of relaxed atomics, each on its
// own cache lines; a thread always bumps the copy its shard index names, and a
// reader sums the copies. Relaxed throughout: counters order nothing, and a
// sum taken while threads run is approximate by design. Once the pool is
// quiescent (all threads joined, which is itself a synchronisation), the sum
// is exact: every increment is an atomic RMW, so none is lost.
#pragma once

#include <atomic>
#include <cstdint>

#include "port/cache_line.hpp"

namespace pagepool::internal {

inline constexpr unsigned counter_shards = 16;

/// This thread's shard index, assigned round-robin when the thread first asks.
inline unsigned this_thread_shard() noexcept {
  static std::atomic<unsigned> next{0};
  // relaxed: only uniqueness-ish spreading matters, not ordering.
  thread_local unsigned shard = next.fetch_add(1, std::memory_order_relaxed) % counter_shards;
  return shard;
}

/// One relaxed counter.
struct counter {
  std::atomic<std::uint64_t> v{0};
  void add(std::uint64_t n = 1) noexcept { v.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t get() const noexcept { return v.load(std::memory_order_relaxed); }
  void clear() noexcept { v.store(0, std::memory_order_relaxed); }
};

/// `Fields` is a struct whose members are `counter`s; sharded<Fields> keeps one
/// padded copy per shard. F is a pointer to member naming the counter.
template <typename Fields>
class sharded {
 public:
  Fields& local() noexcept { return shards_[this_thread_shard()].f; }
  template <counter Fields::*F>
  void add(std::uint64_t n = 1) noexcept {
    (local().*F).add(n);
  }
  template <counter Fields::*F>
  std::uint64_t sum() const noexcept {
    std::uint64_t s = 0;
    for (const auto& sh : shards_) s += (sh.f.*F).get();
    return s;
  }
  std::uint64_t sum(counter Fields::*f) const noexcept {
    std::uint64_t s = 0;
    for (const auto& sh : shards_) s += (sh.f.*f).get();
    return s;
  }
  void clear(counter Fields::*f) noexcept {
    for (auto& sh : shards_) (sh.f.*f).clear();
  }

 private:
  struct alignas(cache_line) shard {
    Fields f;
  };
  shard shards_[counter_shards];
};

}  // namespace pagepool::internal
