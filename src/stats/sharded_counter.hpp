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
// Counters in memory shared between processes (a pool in region files,
// issue 14). A shard's plain load-and-store is safe only if no other thread
// writes that shard, in this process or in any other mapping the same
// counters. So a process that counts into shared memory first attaches the
// memory's table of shard owners (shard_owner_table, kept beside the
// counters: the pool file), and from then on a thread owns a shard only if
// it holds that index in this process and in every attached table (its
// entry holds the process's owner id, taken with a CAS from 0). Attaching a
// table moves the process's shard generation: each thread, at its next
// count, checks its index against the tables (one relaxed load and compare
// on the counting path) and takes another, or the shared shard, if another
// process holds it. A shard stays plainly written by one thread of one
// process at a time, so a pool shared by processes keeps the hit path's
// counting a plain store to a line of the thread's own (issue 14: "a plain
// store to a cache line of its own"). An owner that died without giving
// its entries back keeps them until the next attach, which takes back the
// entries of owners the caller's liveness test says are dead.
//
// port/br_latch.hpp's reader slots are process-local and use the thread's
// process index (this_thread_slot), which never changes while the thread
// lives; the counting index (this_thread_shard) may change at a generation.
//
// Relaxed throughout: counters order nothing. A sum taken while threads run
// is approximate; once the pool is quiescent (the threads joined, which is
// itself a synchronisation) it is exact: every increment went to a shard that
// had one writer at a time (handing a shard over goes through the registry's
// mutex, which orders the old owner's stores before the new owner's, or,
// between processes, through its owner entry: edge SC1 in
// stats/sharded_counter.cpp), or was atomic. clear() while threads count may lose a concurrent increment or the
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

/// Who owns each counting shard of counters shared between processes: 0
/// (nobody), or the owner id of the process one of whose threads owns it.
/// Lives in shared memory beside the counters it guards.
struct shard_owner_table {
  std::atomic<std::uint32_t> owner[counter_shards] = {};
};
/// Whether the process named by an owner id is alive (registry::owner_alive).
using owner_alive_fn = bool (*)(const void* ctx, std::uint32_t id) noexcept;

namespace detail {
/// The slow path: registers the thread (its shard is released at thread
/// exit), or checks its shard against the tables attached since.
thread_shard register_thread_shard() noexcept;
struct cached_counting {
  thread_shard shard;
  // The shard generation it was checked at; ~0u (never a generation) until
  // the thread first registers, so one compare covers both.
  std::uint32_t gen;
};
inline thread_local cached_counting cached_shard{{~0u, false}, ~0u};  // trivially initialised
/// Moved (under the shard registry's mutex) by each attach of a table.
/// relaxed (load and store): a table is attached before the process first
/// counts into the memory it guards, and a thread reaches that memory only
/// through what published the pool it belongs to, after the attach: the
/// thread's load is ordered after the store and sees it, or a later one.
inline std::atomic<std::uint32_t> shard_gen{0};
/// The thread's process index (port/br_latch.hpp): stable for its life.
unsigned register_thread_slot() noexcept;
inline thread_local unsigned cached_slot = ~0u;
}  // namespace detail

/// This thread's counting shard; a thread-local load, a load of the
/// generation and a compare after the first call.
inline thread_shard this_thread_shard() noexcept {
  const detail::cached_counting c = detail::cached_shard;
  if (c.gen == detail::shard_gen.load(std::memory_order_relaxed)) [[likely]]
    return c.shard;
  return detail::register_thread_shard();
}

/// This thread's index among the process's threads (< counter_shards - 1),
/// or counter_shards - 1 if all are taken (then shared with other threads):
/// stable while the thread lives. For process-local per-thread slots.
struct thread_slot {
  unsigned index;
  bool owned;  // the index is this thread's alone in the process
};
inline thread_slot this_thread_slot() noexcept {
  const unsigned s = detail::cached_slot;
  if (s != ~0u) [[likely]]
    return {s, s != counter_shards - 1};
  const unsigned r = detail::register_thread_slot();
  return {r, r != counter_shards - 1};
}

/// From now on this process counts into memory guarded by `t` (see the top)
/// as the holder of owner id `me`. First takes back the entries of owners
/// `alive` says are dead (never `me`'s). ENOMEM if it cannot be recorded.
[[nodiscard]] bool attach_shard_table(shard_owner_table& t, std::uint32_t me, owner_alive_fn alive,
                                      const void* ctx) noexcept;
/// Gives back every entry of `t` this process holds, and forgets `t`. The
/// memory `t` guards must no longer be counted into by this process.
void detach_shard_table(shard_owner_table& t) noexcept;

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
