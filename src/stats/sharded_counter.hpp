// src/stats/sharded_counter.hpp: counters that many threads bump without
// sharing a cache line, and without a locked instruction.
//
// A counter set is `counter_shards` copies of a struct of relaxed atomics,
// each copy on its own cache lines. A thread takes a shard of its own the
// first time it counts (thread_shard), and gives it back when it exits; while
// it holds the shard it is that shard's only writer, so an increment is a
// relaxed load and store, not a locked read-modify-write. When more threads
// count at once than there are shards, the extra threads share the last shard
// and increment it with fetch_add.
//
// Relaxed throughout: counters order nothing. A sum taken while threads run
// is approximate; once the pool is quiescent (the threads joined, which is
// itself a synchronisation) it is exact: every increment went to a shard that
// had one writer at a time (handing a shard over goes through the registry's
// mutex, which orders the old owner's stores before the new owner's), or was
// atomic. clear() while threads count may lose a concurrent increment or the
// clear itself; that is accepted (BDB's DB_STAT_CLEAR is no better).
#pragma once

#include <atomic>
#include <cstdint>

#include "port/cache_line.hpp"

namespace pagepool::internal {

inline constexpr unsigned counter_shards = 64;

/// This thread's counting shard.
struct thread_shard {
  unsigned index;  // 0..counter_shards-1
  bool owned;      // true: this thread is the shard's only writer
};
namespace detail {
/// The slow path: registers the thread (its shard is released at thread exit).
thread_shard register_thread_shard() noexcept;
inline thread_local thread_shard cached_shard{~0u, false};  // trivially initialised
}  // namespace detail

/// This thread's counting shard; a thread-local load after the first call.
inline thread_shard this_thread_shard() noexcept {
  const thread_shard t = detail::cached_shard;
  if (t.index != ~0u) [[likely]]
    return t;
  return detail::register_thread_shard();
}

/// One relaxed counter.
struct counter {
  std::atomic<std::uint64_t> v{0};
  void add(std::uint64_t n, bool owned) noexcept {
    if (owned)  // single writer: no locked instruction needed
      v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    else
      v.fetch_add(n, std::memory_order_relaxed);
  }
  void add(std::uint64_t n = 1) noexcept {
    const thread_shard t = this_thread_shard();
    add(n, t.owned);
  }
  /// Subtracts n (mod 2^64: a shard may go below zero, the sum may not),
  /// with a release store or RMW for counts that publish (see the caller).
  void sub_release(std::uint64_t n, bool owned) noexcept {
    // release (F1, the only user: file_shared::frame_out): the evictor's
    // last use of the file state happens before a zero sum.
    if (owned)  // single writer, as add
      v.store(v.load(std::memory_order_relaxed) - n, std::memory_order_release);  // (F1)
    else
      v.fetch_sub(n, std::memory_order_release);  // (F1)
  }
  std::uint64_t get() const noexcept { return v.load(std::memory_order_relaxed); }
  void clear() noexcept { v.store(0, std::memory_order_relaxed); }
};

/// `Fields` is a struct whose members are `counter`s; sharded<Fields> keeps one
/// padded copy per shard. F is a pointer to member naming the counter.
template <typename Fields>
class sharded {
 public:
  template <counter Fields::*F>
  void add(std::uint64_t n = 1) noexcept {
    const thread_shard t = this_thread_shard();
    (shards_[t.index].f.*F).add(n, t.owned);
  }
  void add(counter Fields::*f, std::uint64_t n = 1) noexcept {
    const thread_shard t = this_thread_shard();
    (shards_[t.index].f.*f).add(n, t.owned);
  }
  /// This thread's copy, for several updates with one shard lookup.
  Fields& shard(thread_shard t) noexcept { return shards_[t.index].f; }
  template <counter Fields::*F>
  std::uint64_t sum() const noexcept {
    return sum(F);
  }
  std::uint64_t sum(counter Fields::*f) const noexcept {
    std::uint64_t s = 0;
    for (const auto& sh : shards_) s += (sh.f.*f).get();
    return s;
  }
  /// The sum with acquire loads, for a count whose decrements release
  /// (counter::sub_release): every decrement the sum includes happens before
  /// the caller's next step. Only increments that happen before the call are
  /// certain to be included, so with concurrent increments the sum is not a
  /// snapshot; the caller's protocol says why that is enough.
  std::uint64_t sum_acquire(counter Fields::*f) const noexcept {
    std::uint64_t s = 0;
    // acquire (F1, the only user: file_shared::no_frames): pairs with
    // sub_release's release.
    for (const auto& sh : shards_) s += (sh.f.*f).v.load(std::memory_order_acquire);  // (F1)
    return s;
  }
  void clear(counter Fields::*f) noexcept {
    for (auto& sh : shards_) (sh.f.*f).clear();
  }

 private:
  struct alignas(cache_line) padded {
    Fields f;
  };
  padded shards_[counter_shards];
};

}  // namespace pagepool::internal
