// src/share/owned_latch.hpp: an exclusive latch for memory that several
// processes map, which names its holder, sleeps on a futex every process can
// wake, and is taken back from a holder that died (issue 14, part 3).
//
// Why a latch of its own. The pool's latches today (table/bucket_latch.hpp,
// core/policy_host.hpp's policy_latch) are one-word spin latches: they work
// across processes, but a word that says only "held" cannot tell a waiter
// that its holder is dead, and that waiter spins forever. Here the word says
// who holds it, so a waiter that has waited long asks the process registry
// (share/registry.hpp) whether that holder still lives (the kernel's lock on
// its slot, never a PID), and if not takes the latch over and is told so:
// what the latch guards may be half changed, and the taker repairs it.
//
// The word (32 bits, a futex: every process that maps it can wait on it and
// wake it; FUTEX_PRIVATE_FLAG is never used, since private futexes are keyed
// by the process's address space and a wake would not cross):
//
//   bits 0..30  the holder's owner id, 0 when free
//   bit 31      waiters: some thread may be asleep on the word
//
// Owner ids name a process, not a thread (a process dies whole): every thread
// of a process holds and waits with its process's id, and a waiter never
// takes over from its own process. process_registry::owner_id() gives each
// attach a new id (its slot and an attach serial), so a slot taken again by
// a new process does not make a dead holder look alive. A pool with no home
// has no registry and no other process: it uses private_owner and an oracle
// that answers "alive".
//
// Life of the word (me: the caller's id, o: another, W: bit 31):
//
//               lock: CAS 0 -> me [acquire] (OL1)
//   +--------+ ------------------------------------> +----------+
//   |  free  |                                       | held(me) |
//   |   0    | <------------------------------------ |  [+W]    |
//   +--------+  unlock: exchange 0 [release] (OL2);  +----------+
//       ^       if W was set, futex wake one             ^
//       |                                                | a woken or checking waiter:
//       |                                                | CAS 0 -> me|W [acquire] (OL1)
//       |                                                | (it may not be the last
//       |                                                |  waiter, so W stays)
//       |                                                |
//   held(o) --a waiter: CAS o -> o|W (relaxed), futex wait on o|W for a slice
//   held(o)[+W], o dead (the registry says so, checked at most once per
//       check_after of one holder) --CAS -> me|W [acquire] (OL3)--> held(me)+W,
//       the caller told from_dead(o)
//
// Synchronization edges:
//   (OL1) lock's CAS [acquire] pairs with the previous holder's unlock (OL2)
//         [release]: what one holder wrote under the latch happens before what
//         the next one reads. Across processes the same atomics on the same
//         physical memory order the same way (the memory model is a property
//         of the hardware's coherence, which knows nothing of processes).
//   (OL3) the takeover's CAS [acquire]. The dead holder released nothing;
//         what it wrote reached memory before the kernel tore the process
//         down, and the taker learnt of the death through a system call
//         (F_OFD_GETLK on the registry, which the death's lock release
//         precedes), a full barrier on every architecture pagepool builds
//         for. The acquire orders the taker's reads of the guarded state after
//         its check.
//
// Nothing waits forever without a reason: a waiter sleeps one slice at a
// time, checks its holder's liveness once that holder has held the word for
// check_after, and gives up at its deadline if one is set (a stopped holder is
// alive: the latch is not taken from it).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace pagepool::internal {

/// Whether a holder is alive: a function and its context (no allocation, no
/// virtual call; it lives in the process, never in shared memory).
struct owner_oracle {
  bool (*alive)(const void* ctx, std::uint32_t owner) = nullptr;
  const void* ctx = nullptr;
  [[nodiscard]] bool is_alive(std::uint32_t owner) const noexcept {
    return alive == nullptr || alive(ctx, owner);
  }
};

class owned_latch {
 public:
  static constexpr std::uint32_t waiters = 1u << 31;
  static constexpr std::uint32_t owner_mask = waiters - 1;
  /// The id of a pool with no home (alone in its memory).
  static constexpr std::uint32_t private_owner = 1;

  struct wait_options {
    unsigned spins = 64;  // CAS attempts with a CPU pause before the first sleep
    std::chrono::milliseconds slice{10};        // one futex sleep at most
    std::chrono::milliseconds check_after{10};  // a holder's time before its liveness is asked
    std::chrono::milliseconds deadline{0};      // 0: none; else timed_out after it
  };
  enum class outcome : std::uint8_t {
    acquired,   // the latch was free, or freed by its holder
    from_dead,  // taken over from a dead holder (`dead`): repair what it guards
    timed_out,  // the deadline passed with a live holder (not taken)
  };
  struct result {
    outcome how = outcome::acquired;
    bool waited = false;     // past the first CAS
    std::uint32_t dead = 0;  // from_dead: the dead holder's id
  };

  owned_latch() noexcept = default;
  owned_latch(const owned_latch&) = delete;
  owned_latch& operator=(const owned_latch&) = delete;

  /// Takes the latch for `me` (non-zero, at most owner_mask).
  result lock(std::uint32_t me, const owner_oracle& alive, const wait_options& o) noexcept {
    std::uint32_t v = 0;
    if (word_.compare_exchange_strong(v, me, std::memory_order_acquire,  // (OL1)
                                      std::memory_order_relaxed)) [[likely]]
      return {};
    return lock_slow(me, alive, o);
  }
  result lock(std::uint32_t me, const owner_oracle& alive) noexcept {
    return lock(me, alive, wait_options{});
  }
  [[nodiscard]] bool try_lock(std::uint32_t me) noexcept {
    std::uint32_t v = 0;
    return word_.compare_exchange_strong(v, me, std::memory_order_acquire,  // (OL1)
                                         std::memory_order_relaxed);
  }
  void unlock() noexcept {
    if (word_.exchange(0, std::memory_order_release) & waiters) wake_one();  // (OL2)
  }

  /// failchk's step: if the holder is another process and dead, takes the
  /// latch for `me` at once and returns the dead holder's id (the caller
  /// repairs and unlocks); else 0 and nothing changes.
  std::uint32_t take_if_dead(std::uint32_t me, const owner_oracle& alive) noexcept;

  /// The holder's id, 0 if free. relaxed: a snapshot for failchk and tests.
  [[nodiscard]] std::uint32_t owner() const noexcept {
    return word_.load(std::memory_order_relaxed) & owner_mask;
  }

 private:
  result lock_slow(std::uint32_t me, const owner_oracle& alive, const wait_options& o) noexcept;
  void wake_one() noexcept;

  std::atomic<std::uint32_t> word_{0};
};

static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(sizeof(owned_latch) == 4, "the latch is one futex word");

}  // namespace pagepool::internal
