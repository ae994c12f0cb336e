// src/core/pin_records.hpp: which raw-pointer pins each thread holds, so that
// a put is checked exactly (as PostgreSQL's PrivateRefCount, or Berkeley DB's
// per-thread pin list under thread tracking).
//
// file::get(pgno_t*, flags, void**) records (handle, frame) in the calling
// thread's records; file::put(void*) finds the frame of the address by
// arithmetic and takes the record out: a pointer that did not come from a get
// through this handle, or a second put of one pin, finds no record and is
// EINVAL, changing nothing. The records are process-local and thread-private:
// recording and removing a pin writes only lines the thread alone writes, and
// takes no locked instruction.
//
// A pin handed to another thread and put there: that thread finds no record
// of its own and searches the others' under the registry's mutex; the pin it
// takes is counted in the owner's entry as gone (`gone_*`, written only by
// such puts, under the mutex), never by writing the owner's own counts, so
// no counter has two writers. Live pins = the owner's counts - gone.
//
// A thread's records, one per pool, live in the pool's registry (so that a
// close can ask every thread whether it holds pins of the handle) and are
// found through a one-entry thread-local cache keyed by the pool's serial
// number (never reused, so a stale entry never matches another pool).
//
// Entries are relaxed atomics: the owner thread writes them with plain
// relaxed loads and stores (no RMW: it is their only writer while the
// handle is in use), and close_file reads them from another thread. A close
// that races with gets or puts on the same handle is a use error the counts
// need not make sense of; a force close (a handle destroyed while open)
// takes a handle's entries out of every thread's records with exchanges.
//
// Synchronization edges:
//   (PR1) a new chunk of entries is published with a release store of the
//        previous chunk's `next`; a close walking the chunks loads it
//        [acquire], so it reads the chunk's constructed entries.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "port/cache_line.hpp"

namespace pagepool::internal {

/// Reference to a pinned frame: region << 32 | frame index (region no_frame:
/// a page of a mapped file, index = page number).
using frame_ref = std::uint64_t;

/// Cache-line aligned, and so a whole number of lines: the records of two
/// threads, allocated one after the other, never share a line. Each thread
/// writes its record's first line (last_, the first entries) and its last
/// (hw_) on every get and put; unaligned, one thread's last line could be
/// the next thread's first. (No measured gain on the 2-vCPU VM, whose noise
/// is larger: papers/eviction/README.md, issue 12 part 5.)
class alignas(cache_line) pin_records {
 public:
  enum class pin_kind { none, plain, write };
  struct drained {
    frame_ref ref;
    std::uint32_t plain, write;
  };

  explicit pin_records(std::thread::id owner) noexcept : owner_(owner) {}
  ~pin_records();
  pin_records(const pin_records&) = delete;
  pin_records& operator=(const pin_records&) = delete;

  std::thread::id owner() const noexcept { return owner_; }

  /// Records one pin of `ref` taken through handle `h` (owner thread only).
  /// False if out of memory (the pin was not recorded).
  [[gnu::always_inline]] bool add(std::uint64_t h, frame_ref ref, bool write) noexcept {
    entry* e = find_or_free(h, ref);
    if (e == nullptr) {
      if (hw_ < chunk_entries) [[likely]] {  // room in the first chunk: append inline
        e = last_ = &first_.e[hw_++];
      } else {
        e = grow();
        if (e == nullptr) return false;
      }
    }
    if (e->handle.load(std::memory_order_relaxed) != h || e->ref.load(std::memory_order_relaxed) != ref)
      e->reset(h, ref);
    std::atomic<std::uint32_t>& c = write ? e->write : e->plain;
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return true;
  }

  /// Takes one pin of `ref` through `h` out (owner thread only): a plain one
  /// while there are any, so that a frame pinned both ways stays counted as
  /// written to until its last put.
  [[gnu::always_inline]] pin_kind remove(std::uint64_t h, frame_ref ref) noexcept {
    entry* e = find(h, ref);
    if (e == nullptr) return pin_kind::none;
    pin_kind k;
    if (e->live_plain() > 0) {
      k = pin_kind::plain;
      e->plain.store(e->plain.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    } else if (e->live_write() > 0) {
      k = pin_kind::write;
      e->write.store(e->write.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    } else {
      return pin_kind::none;  // every pin of it was put by other threads
    }
    if (e->live_plain() == 0 && e->live_write() == 0) {
      e->handle.store(0, std::memory_order_relaxed);  // the entry is free again
      if (e == last_) {
        // The last entry of the first chunk, with the one below it in use
        // (or none below): lower the mark inline; else walk (shrink_hw).
        if (hw_ == 1) [[likely]] {
          hw_ = 0;
          last_ = nullptr;
        } else if (hw_ <= chunk_entries && !first_.e[hw_ - 2].unused()) {
          last_ = &first_.e[--hw_ - 1];
        } else {
          shrink_hw();
        }
      }
    }
    return k;
  }

  /// This thread holds a pin of `ref` through `h` (owner thread only).
  bool holds(std::uint64_t h, frame_ref ref) noexcept {
    const entry* e = find(h, ref);
    return e != nullptr && (e->live_plain() > 0 || e->live_write() > 0);
  }

  /// Pins held through `h` (any thread; exact while no call on h runs).
  std::uint64_t count(std::uint64_t h) const noexcept;
  /// Takes every pin held through `h` out (any thread; see the top).
  void drain(std::uint64_t h, std::vector<drained>& out) noexcept;
  /// Another thread puts one of this thread's pins of `ref` through `h`
  /// (the caller holds the registry's mutex): counted as gone, never
  /// written into the owner's own counts. Returns the kind taken, and the
  /// counter to give it back through if the unpin then fails.
  pin_kind take_for_other(std::uint64_t h, frame_ref ref, bool plain_only,
                          std::atomic<std::uint32_t>*& gone) noexcept;
  /// Another thread asks whether this thread holds a pin of `ref` through h.
  bool holds_for_other(std::uint64_t h, frame_ref ref) const noexcept;

 private:
  // An entry's pins: `plain` and `write` are the owner's counts (the owner
  // alone writes them); `gone_*` count those of them that other threads put
  // (they alone write those, under the registry's mutex). Live pins are the
  // difference, so no count has two writers.
  struct entry {
    std::atomic<std::uint64_t> handle{0};  // 0: free
    std::atomic<frame_ref> ref{0};
    std::atomic<std::uint32_t> plain{0}, write{0};
    std::atomic<std::uint32_t> gone_plain{0}, gone_write{0};
    std::int64_t live_plain() const noexcept {
      return std::int64_t{plain.load(std::memory_order_relaxed)} -
             gone_plain.load(std::memory_order_relaxed);
    }
    std::int64_t live_write() const noexcept {
      return std::int64_t{write.load(std::memory_order_relaxed)} -
             gone_write.load(std::memory_order_relaxed);
    }
    bool unused() const noexcept {
      return handle.load(std::memory_order_relaxed) == 0 || (live_plain() <= 0 && live_write() <= 0);
    }
    /// The owner takes a free entry for (h, r): the name goes first, so that
    /// another thread never matches it with stale counts.
    void reset(std::uint64_t h, frame_ref r) noexcept {
      handle.store(0, std::memory_order_relaxed);
      plain.store(0, std::memory_order_relaxed);
      write.store(0, std::memory_order_relaxed);
      gone_plain.store(0, std::memory_order_relaxed);
      gone_write.store(0, std::memory_order_relaxed);
      ref.store(r, std::memory_order_relaxed);
      handle.store(h, std::memory_order_relaxed);
    }
  };
  static constexpr unsigned chunk_entries = 16;
  struct chunk {
    entry e[chunk_entries];
    std::atomic<chunk*> next{nullptr};
  };

  /// Calls fn(entry&, index) on entries [0, hw_) in order until it returns true.
  template <typename Fn>
  [[gnu::always_inline]] entry* scan(Fn fn) noexcept {
    std::uint32_t i = 0;
    for (chunk* c = &first_; i < hw_; c = c->next.load(std::memory_order_relaxed))
      for (unsigned k = 0; k < chunk_entries && i < hw_; ++k, ++i)
        if (fn(c->e[k])) return &c->e[k];
    return nullptr;
  }
  /// The entry of (h, ref), or the first free one, or null if every entry up
  /// to the high-water mark is used (grow() then appends).
  [[gnu::always_inline]] entry* find_or_free(std::uint64_t h, frame_ref ref) noexcept {
    entry* free = nullptr;
    entry* e = scan([&](entry& x) {
      if (x.handle.load(std::memory_order_relaxed) == h && x.ref.load(std::memory_order_relaxed) == ref)
        return true;
      if (free == nullptr && x.unused()) free = &x;
      return false;
    });
    return e != nullptr ? e : free;
  }
  [[gnu::always_inline]] entry* find(std::uint64_t h, frame_ref ref) noexcept {
    return scan([&](entry& x) {
      return x.handle.load(std::memory_order_relaxed) == h &&
             x.ref.load(std::memory_order_relaxed) == ref;
    });
  }
  /// Appends an entry past the high-water mark (a new chunk if needed).
  entry* grow() noexcept;
  /// Lowers the high-water mark past the free entries at its end.
  void shrink_hw() noexcept;
  /// Entry i (below the chunks allocated).
  entry& at(std::uint32_t i) noexcept;
  entry* last_ = nullptr;  // entry hw_ - 1, or null (owner only)

  chunk first_;
  // Entries [0, hw_) may be in use; past it all are free (owner only; a
  // close reads every chunk instead).
  std::uint32_t hw_ = 0;
  std::uint32_t chunks_ = 1;  // chunks allocated (owner only)
  std::thread::id owner_;
};

/// Every thread's records for one pool.
class pin_registry {
 public:
  pin_registry() noexcept;
  /// The calling thread's records, made on first use; null if out of memory.
  [[gnu::always_inline]] pin_records* mine() noexcept {
    const cache c = cache_;
    if (c.serial == serial_) [[likely]]
      return c.records;
    return slow_mine();
  }
  /// Pins held through handle h in every thread.
  std::uint64_t count(std::uint64_t h) const noexcept;
  /// put of a pin another thread took (the caller's own records have none
  /// of `ref` through h): one is counted as gone from that thread's records.
  /// `gone` is where to give it back if the unpin fails.
  pin_records::pin_kind take_from_others(std::uint64_t h, frame_ref ref, const pin_records* self,
                                         std::atomic<std::uint32_t>*& gone) noexcept;
  /// set of a pin another thread took.
  bool others_hold(std::uint64_t h, frame_ref ref, const pin_records* self) const noexcept;
  /// Takes every pin held through h out of every thread's records.
  std::vector<pin_records::drained> drain(std::uint64_t h) noexcept;
  /// In a forked child (fork_guard's child hook, core/pool_impl.hpp): every
  /// thread's cached records stop matching, and mine() returns null from
  /// then on without taking the registry's mutex (a parent thread may have
  /// held it at the fork). A plain store: the child has one thread.
  void forget_after_fork() noexcept { serial_ = forked_serial; }

 private:
  struct cache {
    std::uint64_t serial;
    pin_records* records;
  };
  static inline thread_local cache cache_{0, nullptr};
  // Never a pool's serial (they count from 1) nor a cache's.
  static constexpr std::uint64_t forked_serial = ~std::uint64_t{0};
  pin_records* slow_mine() noexcept;

  std::uint64_t serial_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<pin_records>> all_;  // guarded by mu_
};

}  // namespace pagepool::internal
