// src/port/br_latch.hpp: a shared/exclusive latch whose shared holds write
// no shared line (a big-reader lock, as Linux 2.4's brlock): for latches
// that nearly every operation holds shared and that rarely change hands
// exclusively. pagepool uses it for a file's descriptor (file_local::fd_mu:
// I/O holds it shared around every pread/pwrite, twice per miss; open, close
// and the descriptor budget hold it exclusive) and for the memory backing's
// stripes (io/memory_io.cpp: every read shared, every write exclusive).
// A std::shared_mutex costs each shared hold two read-modify-writes of the
// one word all readers share (issue 12: 7% of a 2-thread miss-heavy run).
//
// A shared hold is announced in one of the thread's own entries (a cache
// line of `entries` per thread slot, this_thread_slot in
// stats/sharded_counter.hpp, stable while the thread lives); an
// exclusive holder waits until no entry names its latch.
//
//   shared, fast (an owned slot and a free entry):
//     entry := this [seq_cst] (B1); closing_ == 0 [seq_cst] (B1, B3)?
//       yes -> held fast                    unlock_shared: entry := null [release] (B2)
//       no  -> entry := null; mu_.lock_shared() -> held slow
//   shared, slow (a shared shard, or every entry in use):
//     mu_.lock_shared()                     unlock_shared: mu_.unlock_shared()
//   shared again by a thread that holds it fast: a depth count, no store.
//   exclusive:
//     mu_.lock(); closing_ += 1 [seq_cst] (B1); wait until every entry of
//     the shards ever used has been seen not naming this latch [seq_cst,
//     so acquire] (B1, B2) ... unlock:
//     closing_ -= 1 [release] (B3); mu_.unlock()
//
// (B1) Dekker: a reader's store of its entry and load of closing_, the
//      writer's increment of closing_ and loads of the entries, all seq_cst:
//      either the reader sees the writer's mark and takes the slow path
//      (which waits for the writer in mu_), or the writer sees the entry and
//      waits for it.
// (B2) a reader's release clearing its entry pairs with the writer's acquire
//      load that sees it clear: the reader's accesses under the hold happen
//      before the writer's.
// (B3) the writer's release decrement pairs with a later reader's seq_cst
//      load that reads it: the writer's changes happen before that reader's
//      hold. (Slow readers are ordered by mu_.)
//
// A writer waits only for entries naming its own latch, so it never waits
// on a latch the shared_mutex would not have made it wait on. Not
// recursive for a writer; a thread that holds it shared must not take it
// exclusive (as with std::shared_mutex).
#pragma once

#include <atomic>
#include <shared_mutex>

#include "port/backoff.hpp"
#include "port/cache_line.hpp"
#include "stats/sharded_counter.hpp"

namespace pagepool::internal {

class br_latch;

namespace detail {
inline constexpr unsigned br_entries = 4;  // fast shared holds per thread at once
struct alignas(cache_line) br_shard {
  std::atomic<const br_latch*> held[br_entries] = {};
};
/// One line of entries per thread slot (only owned slots use theirs).
inline br_shard br_shards[counter_shards];
/// Shards [0, used) have ever held a fast entry: a writer looks at those
/// only (a few lines when few threads read, not 64). Raised by a reader
/// before its first entry store, seq_cst (B1): a writer that reads a value
/// too small to cover an entry is ordered before that entry's store, so the
/// reader sees the writer's closing_ mark.
inline std::atomic<unsigned> br_shards_used{0};
inline void br_use_shard(unsigned index) noexcept {
  unsigned cur = br_shards_used.load(std::memory_order_seq_cst);  // (B1)
  while (cur <= index &&
         !br_shards_used.compare_exchange_weak(cur, index + 1, std::memory_order_seq_cst)) {  // (B1)
  }
}
/// This thread's fast holds: which latch each entry names, and its depth.
struct br_hold {
  const br_latch* latch;
  unsigned depth;
};
inline thread_local br_hold br_holds[br_entries];  // zero-initialised
}  // namespace detail

class br_latch {
 public:
  void lock() {
    mu_.lock();
    closing_.fetch_add(1, std::memory_order_seq_cst);  // (B1)
    const unsigned used = detail::br_shards_used.load(std::memory_order_seq_cst);  // (B1)
    for (unsigned s = 0; s < used && s < counter_shards; ++s)
      for (auto& e : detail::br_shards[s].held) {
        backoff bo;
        while (e.load(std::memory_order_seq_cst) == this) bo.pause();  // (B1), (B2)
      }
  }
  void unlock() {
    closing_.fetch_sub(1, std::memory_order_release);  // (B3)
    mu_.unlock();
  }
  void lock_shared() {
    unsigned free = detail::br_entries;
    for (unsigned i = 0; i < detail::br_entries; ++i) {
      detail::br_hold& h = detail::br_holds[i];
      if (h.latch == this) {  // held fast already: nested
        ++h.depth;
        return;
      }
      if (h.latch == nullptr && free == detail::br_entries) free = i;
    }
    const thread_slot t = this_thread_slot();
    if (free == detail::br_entries || !t.owned) {
      mu_.lock_shared();
      return;
    }
    // seq_cst (B1): see br_shards_used (a load on the fast path; x86 makes
    // it a plain one).
    if (t.index >= detail::br_shards_used.load(std::memory_order_seq_cst)) detail::br_use_shard(t.index);
    auto& e = detail::br_shards[t.index].held[free];
    e.store(this, std::memory_order_seq_cst);  // (B1)
    if (closing_.load(std::memory_order_seq_cst) != 0) {  // (B1), (B3): a writer is in
      e.store(nullptr, std::memory_order_release);  // (B2): nothing was done under it
      mu_.lock_shared();
      return;
    }
    detail::br_holds[free] = {this, 1};
  }
  void unlock_shared() {
    for (unsigned i = 0; i < detail::br_entries; ++i) {
      detail::br_hold& h = detail::br_holds[i];
      if (h.latch != this) continue;
      if (--h.depth != 0) return;
      h.latch = nullptr;
      detail::br_shards[this_thread_slot().index].held[i].store(nullptr,
                                                                  std::memory_order_release);  // (B2)
      return;
    }
    mu_.unlock_shared();
  }

 private:
  std::shared_mutex mu_;
  std::atomic<unsigned> closing_{0};
};

}  // namespace pagepool::internal
