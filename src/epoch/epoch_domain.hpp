// src/epoch/epoch_domain.hpp: epoch-based reclamation (EBR) for what pagepool
// really frees: memory that was unlinked from a shared structure while other
// threads may still be reading it (page-table structures replaced on resize,
// regions removed when the cache shrinks, file state after the last close).
//
// The scheme is Fraser's epoch-based reclamation ("Practical lock-freedom",
// 2004; also Hart et al., "Performance of memory reclamation for lockless
// synchronization", JPDC 2007), written for pagepool with its edges on atomics
// only, so that ThreadSanitizer checks the protocol the release build runs.
//
//   epoch_domain d;
//   { epoch_domain::guard g = d.enter();     // readers: a critical region
//     node* n = head.load(std::memory_order_acquire);
//     use(n); }                              // n may not be used after g ends
//   node* old = head.exchange(fresh);        // writers: unlink, then retire
//   d.retire(old);                           // deleted once no reader can hold it
//
// How it works. The domain has a global epoch E (a counter). A thread that
// enters a region announces, in its own record, "active, observed epoch e".
// E moves from e to e+1 only when every active record has observed e
// (try_advance); so while a record is active at e, E is e or e+1, never more.
// A retired object goes on its thread's retire list, and the list's batch is
// tagged with E when it is sealed (after the object was unlinked). An object
// tagged t is freed once E reaches t+2: the advance t+1 -> t+2 saw every
// reader that entered at t or earlier leave, and a reader that entered at t+1
// or later read E after the tag was taken, so it cannot find the object.
//
// A guard entered while one is alive on the same thread and domain only
// counts (nesting); the outermost one announces and leaves. A region should be
// short: an active record holds E back, and with it all reclamation.
//
// Memory is bounded: when a thread holds `retire_threshold` unfreed objects
// it seals its batch, tries to advance, and frees what is old enough (also
// what exited threads left behind); collect() does the same on demand and
// tries two advances.
//
// Thread records. A thread gets one record per domain on first use; it finds
// it again through a thread-local cache keyed by the domain's id (ids are
// never reused, so a record of a destroyed domain is never found again). The
// records are a lock-free, push-only list owned by the domain. When a thread
// exits, a thread_local destructor hands its unfreed objects to the domain
// (the orphan list, freed later by whichever thread reclaims) and marks the
// record free; the next thread to register takes it. A process-wide registry
// of live domain ids, consulted only at registration and at thread exit, lets
// a domain be destroyed while threads that used it live on: their exit skips
// records of domains that are gone.
//
// Life of a thread record: its `state` word, its `announce` word, and the
// owner-only nesting depth `nest`.
//
//   a thread uses the domain for the first time and finds no free record:
//   a new record, pushed on the domain's list (R9)
//        |
//        v
//   +--------------------+  outermost enter, nest 0 -> 1:     +--------------------+
//   |  owned, inactive   |  announce = e<<1|1 (R1), re-read   |   owned, active    |
//   |   announce = 0     | ---- E (R2) until it equals e ---> |    observed e      |
//   |                    | <--- outermost leave, nest 1 -> 0: |                    |
//   +--------------------+      announce = 0 (R3)             +--------------------+
//      |            ^                                            |  nested enter/leave:
//      |            |  a thread registering with the domain:     |  nest +1 / -1 only,
//      |            |  claim, CAS state free -> owned (R10)      |  no atomic access
//      |            |                                            +-------<------+
//      | thread exit: seal the open batch (R7), push the retire
//      | list on the orphan list (R12), state = free (R11)
//      v            |
//   +--------------------+
//   |  free              |  deleted with the domain
//   |   announce = 0     |
//   +--------------------+
//
// Synchronization edges (R = reclamation; for papers/design/memory-ordering.md):
//   (R1) enter: announce.store(e<<1|1) [seq_cst], then (R2) E.load() [seq_cst],
//        repeated until the two agree. Store then load: a Dekker pair with the
//        advancer's (R4)/(R5) (load E, then load each announce); seq_cst on
//        both sides is what forbids "the advancer missed the announcement and
//        the reader missed the advance". Hence an active record at e implies
//        E <= e+1 for as long as it stays active.
//   (R3) leave: announce.store(0) [release]; read by (R5) [acquire]: the
//        region's reads of shared objects happen-before the advance that saw
//        the record inactive, and so before any free that advance enables.
//   (R4) try_advance: E.load() [seq_cst]: the advancer's half of the Dekker
//        with (R1)/(R2).
//   (R5) try_advance: records.load() and each announce.load() [seq_cst]:
//        acquire pairs with (R3), (R1) of a later region and (R11); seq_cst
//        pairs with (R1)/(R2) and, for records pushed after the scan began,
//        with (R9).
//   (R6) try_advance: E CAS e -> e+1 [seq_cst]. Every write to E is a
//        read-modify-write, so each release here heads a release sequence that
//        every later value of E continues: (R8) and (R2) synchronize-with it.
//   (R7) seal: E.fetch_add(0) [release]: the tag. A read-modify-write, not a
//        load, so that the unlinks and retires before it happen-before every
//        thread that later reads a larger E at (R2): such a reader cannot load
//        a pointer that was unlinked before the tag was taken. (A plain load
//        here would need the caller's unlinking store to be seq_cst.)
//   (R8) reclaim: E.load() [acquire] reads t+2 or more: synchronizes-with the
//        advance (R6) t+1 -> t+2 (release sequence), after which every region
//        that could hold an object tagged t has ended (R3 -> R5): the deleter
//        runs after the last use.
//   (R9) publish a new record: CAS on the list head [seq_cst]. Release pairs
//        with every load of the head, all acquire or stronger (R5, claim,
//        pending, the destructor): the record's fields are initialised when
//        seen. seq_cst pairs with (R5)'s head load: an
//        advancer that missed the record precedes its first (R1), so that
//        region reads the advanced E at (R2).
//   (R10) claim a free record: CAS state free -> owned [acquire]; pairs with
//        (R11): the new owner sees the record as its last owner left it.
//   (R11) release at thread exit: state.store(free) [release].
//   (R12) push batches on the orphan list: CAS [release]; pairs with (R13).
//   (R13) take the orphan list: exchange(nullptr) [acquire]: the batches'
//        contents and tags written by the thread that pushed them are seen.
// Everything else is relaxed and says why. There is no standalone fence.
//
// Contract: a guard is destroyed on the thread that made it. retire() is
// called after the object was made unreachable (unlinked); a deleter must
// not throw. The domain is destroyed only when no guard of it is alive and no
// thread calls into it; it then frees every object still retired.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "port/cache_line.hpp"

namespace pagepool::internal {

namespace detail {

/// One retired object: what to free and how.
struct retired_object {
  void* p;
  void (*deleter)(void*);
};

/// A chunk of one thread's retire list. While it fills it is "open" and has
/// no tag; sealing tags it with E (R7) and appends it to the sealed list.
struct retire_batch {
  static constexpr std::size_t capacity = 32;
  retire_batch* next = nullptr;
  std::uint64_t epoch = 0;  // the tag; meaningful once sealed
  std::size_t size = 0;
  retired_object items[capacity];
};

/// One thread's record in one domain. The first cache line is what other
/// threads read (announce, next) or claim (state); the second is the owner's.
struct alignas(cache_line) epoch_record {
  static constexpr std::uint32_t free_state = 0;
  static constexpr std::uint32_t owned_state = 1;

  std::atomic<std::uint64_t> announce{0};  // 0: inactive; e<<1|1: active, observed e
  std::atomic<std::uint32_t> state{owned_state};
  std::uint32_t nest = 0;        // owner only: depth of nested guards
  epoch_record* next = nullptr;  // immutable once published (R9)

  // Owner only (handed over with the record through R11 -> R10).
  alignas(cache_line) retire_batch* open = nullptr;  // filling; no tag yet
  retire_batch* sealed_head = nullptr;               // oldest first: tags never decrease
  retire_batch* sealed_tail = nullptr;
  retire_batch* spares = nullptr;  // empty batches kept for reuse (a reserve)
  std::size_t spare_count = 0;
  // Objects retired and not yet freed (open + sealed). relaxed: one writer
  // (the owner); pending() reads it, exactly once the owner is quiescent.
  std::atomic<std::size_t> count{0};
  std::size_t check_at = 0;  // count at which retire next tries to reclaim
  bool reclaiming = false;   // a reclaim is running deleters (re-entrancy)
};

/// This thread's cached record: the last domain it used. A trivially
/// initialised thread_local, so the fast path is a thread-local load.
struct epoch_tls_slot {
  std::uint64_t domain_id = 0;  // 0: none (domain ids start at 1)
  epoch_record* record = nullptr;
};
inline constinit thread_local epoch_tls_slot epoch_tls{};

}  // namespace detail

class epoch_domain {
 public:
  class guard;

  static constexpr std::size_t default_retire_threshold = 128;

  /// `retire_threshold`: unfreed objects a thread may hold before retire()
  /// tries to advance and reclaim (at least 1).
  explicit epoch_domain(std::size_t retire_threshold = default_retire_threshold);
  /// Frees every object still retired (by any thread, exited or not).
  /// Precondition: no guard of this domain is alive and no other thread
  /// calls into it (their last calls happen-before this destructor).
  ~epoch_domain();
  epoch_domain(const epoch_domain&) = delete;
  epoch_domain& operator=(const epoch_domain&) = delete;

  /// Enters a critical region on this thread (nested: counts only). The
  /// first call of a thread on a domain allocates its record; out of memory
  /// there terminates the process.
  [[nodiscard]] guard enter() noexcept;

  /// Frees p with deleter(p) once no region that might have seen p is alive.
  /// p must already be unreachable for new readers. Never throws: if no list
  /// node can be had, waits for two advances and frees p before returning
  /// (inside a guard that wait cannot end, so the thread keeps a reserve
  /// batch; with neither memory nor reserve inside a guard it aborts). A null
  /// p is ignored.
  void retire(void* p, void (*deleter)(void*)) noexcept;

  /// retire(p) with `delete p`.
  template <typename T>
  void retire(T* p) noexcept {
    static_assert(!std::is_void_v<T>, "retire(void*) needs a deleter");
    static_assert(sizeof(T) > 0, "retire(T*) needs a complete type");
    using U = std::remove_cv_t<T>;
    retire(static_cast<void*>(const_cast<U*>(p)), [](void* q) { delete static_cast<U*>(q); });
  }

  /// Seals this thread's batch, tries to advance E twice, and frees what is
  /// old enough, this thread's and exited threads'. With no region alive in
  /// the domain, everything this thread retired before the call is freed.
  void collect() noexcept;

  /// Moves E from e to e+1 if every active record has observed e. True if
  /// this call advanced it.
  bool try_advance() noexcept;

  /// Objects retired and not yet freed, all threads. Exact when no thread is
  /// retiring or reclaiming concurrently (e.g. after joining them).
  [[nodiscard]] std::size_t pending() const noexcept;
  /// The global epoch E.
  [[nodiscard]] std::uint64_t epoch() const noexcept;
  /// Records ever created (in use or free for reuse).
  [[nodiscard]] std::size_t registered_records() const noexcept;

 private:
  friend struct epoch_domain_test_access;
  struct thread_cache;  // epoch_domain.cpp: a thread's records, released at exit

  detail::epoch_record* local_record() noexcept {
    const detail::epoch_tls_slot s = detail::epoch_tls;
    if (s.domain_id == id_) [[likely]]
      return s.record;
    return register_thread();
  }
  void enter_region(detail::epoch_record* r) noexcept;
  static void leave_region(detail::epoch_record* r) noexcept;

  detail::epoch_record* register_thread() noexcept;
  detail::epoch_record* acquire_record() noexcept;
  void release_record(detail::epoch_record* r) noexcept;
  void seal(detail::epoch_record* r) noexcept;
  void reclaim_step(detail::epoch_record* r) noexcept;
  void reclaim_local(detail::epoch_record* r) noexcept;
  void reclaim_orphans(detail::epoch_record* r) noexcept;
  void push_orphans(detail::retire_batch* first, detail::retire_batch* last) noexcept;
  void retire_synchronously(detail::epoch_record* r, void* p, void (*deleter)(void*)) noexcept;
  detail::retire_batch* take_batch(detail::epoch_record* r) noexcept;
  static void recycle_batch(detail::epoch_record* r, detail::retire_batch* b) noexcept;
  static std::size_t free_batch_items(detail::retire_batch* b) noexcept;

  // Fault injection for tests (epoch_domain_test_access): while non-zero,
  // this thread's batch allocations fail, one per unit.
  static inline constinit thread_local unsigned failing_allocations_ = 0;

  const std::uint64_t id_;
  const std::size_t threshold_;
  // E: read by every outermost enter, written by advances and seals.
  alignas(cache_line) std::atomic<std::uint64_t> global_{0};
  alignas(cache_line) std::atomic<detail::epoch_record*> records_{nullptr};
  std::atomic<detail::retire_batch*> orphans_{nullptr};
  // Objects on the orphan list. relaxed: a count for pending(), orders nothing.
  std::atomic<std::size_t> orphan_count_{0};
};

/// A critical region: while it is alive, nothing retired in its domain after
/// it began, or that it could still reach, is freed. Move-only; destroy it on
/// the thread that made it.
class epoch_domain::guard {
 public:
  guard() noexcept = default;
  explicit guard(epoch_domain& d) noexcept : rec_(d.local_record()) { d.enter_region(rec_); }
  guard(guard&& other) noexcept : rec_(std::exchange(other.rec_, nullptr)) {}
  guard& operator=(guard&& other) noexcept {
    if (this != &other) {
      reset();
      rec_ = std::exchange(other.rec_, nullptr);
    }
    return *this;
  }
  guard(const guard&) = delete;
  guard& operator=(const guard&) = delete;
  ~guard() { reset(); }

  /// Leaves the region now (nothing if already left or empty).
  void reset() noexcept {
    if (rec_ != nullptr) epoch_domain::leave_region(std::exchange(rec_, nullptr));
  }
  /// True while this guard holds a region.
  explicit operator bool() const noexcept { return rec_ != nullptr; }

 private:
  detail::epoch_record* rec_ = nullptr;
};

inline epoch_domain::guard epoch_domain::enter() noexcept { return guard(*this); }

inline void epoch_domain::enter_region(detail::epoch_record* r) noexcept {
  if (r->nest++ != 0) return;  // nested: the outermost guard already announced
  // relaxed: a first guess; (R2) below decides.
  std::uint64_t e = global_.load(std::memory_order_relaxed);
  for (;;) {
    // (R1) announce "active at e" before reading any shared pointer; seq_cst:
    // Dekker with the advancer's (R4)/(R5), which load E, then this word.
    r->announce.store((e << 1) | 1, std::memory_order_seq_cst);
    // (R2) re-read E after announcing [seq_cst; its acquire part also pairs
    // with (R6)/(R7) through E's release sequence]. Equal: no advance can
    // have missed the announcement, so E stays <= e+1 while we are active.
    const std::uint64_t now = global_.load(std::memory_order_seq_cst);
    if (now == e) [[likely]]
      return;
    e = now;
  }
}

inline void epoch_domain::leave_region(detail::epoch_record* r) noexcept {
  if (--r->nest != 0) return;  // still inside an outer guard
  // (R3) the region's reads happen-before the advance (R5) that sees this.
  r->announce.store(0, std::memory_order_release);
}

}  // namespace pagepool::internal
