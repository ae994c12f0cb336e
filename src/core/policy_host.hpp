// src/core/policy_host.hpp: how the pool runs an eviction policy
// (pagepool/policy.hpp) on its regions.
//
// Every region has one policy instance, chosen at run time, behind a small
// virtual interface (region_policy; the policies themselves are plain classes
// checked by the eviction_policy concept and wrapped by policy_model). The
// pool drives it as the contract says:
//
//   miss, free frame        -> on_insert(f, k)                 [latched]
//   miss, region full       -> evict(k, view) ; on_insert(f,k) [latched once:
//                              a clean victim in service is inserted under
//                              the evict's latch; a dirty one after its write]
//   hit                     -> usage bits changed inside the pin CAS by the
//                              policy's on_hit_usage (a 24-bit table in
//                              pool_impl::hit_rule_, no latch); for
//                              batched_hits policies also a per-thread queue
//                              entry, applied with on_hit under the latch
//   put very_low / discard  -> a queued on_demote
//   page leaves otherwise   -> on_remove(f)                    [latched]
//
// "Latched" is the region's policy latch (policy_latch, a one-word spin
// latch per region), taken only for policies whose model is not lock_free. CLOCK, the default, is
// lock_free: its evict runs unlatched on an atomic hand and no insert or
// remove notification is made at all, so a CLOCK pool's miss path takes no
// policy latch.
//
// A thread's queued hits and demotes (BP-Wrapper) on region r are applied
// in order under the latch of the thread's next latched evict or insert on
// r (one acquisition for both), and when the queue is full (64 entries):
// then with a try-lock, and a region whose latch is held by another thread
// loses the queued hits (dropped, as Caffeine's read buffers drop; demotes
// are kept), so recording a hit never waits for the latch. An entry names
// the frame and the page it saw, and the policy ignores it if the frame
// holds another page by then. In a single-threaded replay nothing is
// dropped and every policy gets the exact order of events.
//
// Live swap (pool::set_policy): under each region's latch the new instance is
// seeded with the region's resident frames and installed, then the pool-wide
// hit rule changes. Notifications that raced with the swap can leave a
// resident frame untracked (a miss that read the old, unlatched CLOCK kind)
// or a frame tracked that no longer holds its page: the wrapper keeps a
// bitmap of tracked frames, a latched evict that finds no victim reconciles
// the region (tracks every resident, untracked frame) before it gives up, and
// the contract's points 4 and 6 make stale entries harmless.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "pagepool/policy.hpp"
#include "frame/frame_state.hpp"
#include "port/backoff.hpp"
#include "port/cache_line.hpp"
#include "region/region.hpp"

namespace pagepool::internal {

class pool_impl;

/// The frame view a policy gets from the pool: one region's state words.
class pool_frames {
 public:
  pool_frames(pool_impl& p, std::uint32_t r, region& rg) noexcept : pool_(p), r_(r), rg_(rg) {}
  [[nodiscard]] std::uint32_t size() const noexcept { return rg_.nframes(); }
  [[nodiscard]] std::uint32_t usage(policy::frame_id f) const noexcept {
    // relaxed: a snapshot the policy decides on; claim() re-checks the word.
    return static_cast<std::uint32_t>(
        frame_state::usage(rg_.frame_at(f).state.load(std::memory_order_relaxed)));
  }
  bool set_usage(policy::frame_id f, std::uint32_t from, std::uint32_t to) noexcept;
  bool claim(policy::frame_id f) noexcept;
  /// After a successful claim: the frame's state word, busy set.
  [[nodiscard]] frame_state::word claimed_word() const noexcept { return claimed_; }
  /// Frames looked at (BDB's st_alloc_pages).
  [[nodiscard]] std::uint64_t visits() const noexcept { return visits_; }
  /// Claim and ageing CASes lost to another thread (counted once per evict).
  [[nodiscard]] std::uint64_t claims_lost() const noexcept { return claim_lost_; }
  [[nodiscard]] std::uint64_t usages_lost() const noexcept { return usage_lost_; }

 private:
  pool_impl& pool_;
  std::uint32_t r_;
  region& rg_;
  frame_state::word claimed_ = 0;
  std::uint64_t visits_ = 0;
  std::uint32_t claim_lost_ = 0, usage_lost_ = 0;
};

/// One region's policy, type-erased.
class region_policy {
 public:
  virtual ~region_policy() = default;
  virtual void on_insert(policy::frame_id f, policy::page_key k) = 0;
  virtual void on_hit(policy::frame_id f, policy::page_key k) = 0;
  virtual void on_demote(policy::frame_id f, policy::page_key k) = 0;
  virtual void on_remove(policy::frame_id f) = 0;
  virtual policy::frame_id evict(policy::page_key k, pool_frames& v) = 0;
  /// The frames in service changed to c (contract, point 8).
  virtual void resize(std::uint32_t c) = 0;
  [[nodiscard]] virtual std::size_t size() const = 0;
  /// Whether frame f is tracked (kept by the wrapper, for reconciliation).
  [[nodiscard]] virtual bool tracks(policy::frame_id f) const = 0;
};

/// Builds kind's policy for a region of `cap` frames; nullptr if out of
/// memory.
std::unique_ptr<region_policy> make_region_policy(policy_kind kind, std::uint32_t cap) noexcept;

/// The pool-wide hit rule of a kind: bits 3u..3u+2 give the usage a hit
/// leaves for usage u; `record` is set if hits are queued for on_hit,
/// `latched` if the policy's calls need the region latch.
struct hit_rule {
  static constexpr std::uint32_t record = 1u << 31;
  static constexpr std::uint32_t latched = 1u << 30;
  static std::uint32_t of(policy_kind kind) noexcept;
  [[gnu::always_inline]] static frame_state::word apply(std::uint32_t rule,
                                                        frame_state::word s) noexcept {
    const auto u = static_cast<unsigned>(frame_state::usage(s));
    return frame_state::with_usage(s, (rule >> (3 * u)) & 7u);
  }
};

/// The region's policy latch: one word, spun on briefly, then yielded on
/// (port/backoff.hpp), never a futex sleep. Its critical sections are a few
/// list operations (an evict and an insert, or a batch of queued hits), far
/// shorter than a futex wait and wake, which is what a contended std::mutex
/// costs on every miss (issue 12). Lockable, so std::lock_guard and
/// std::unique_lock (with std::try_to_lock) work on it.
///
///   free (0) --try_lock/lock: CAS 0->1 [acquire] (PL1)--> held (1)
///   held (1) --unlock: store 0 [release] (PL1)----------> free (0)
///
/// (PL1) unlock's release store pairs with the next holder's acquire CAS: what
/// one holder did to the policy happens before what the next one does.
class policy_latch {
 public:
  bool try_lock() noexcept {
    // relaxed: a peek, so that a waiter spins on a shared line, not on CASes.
    if (held_.load(std::memory_order_relaxed)) return false;
    bool expect = false;
    // acquire (PL1): pairs with the previous holder's release in unlock.
    return held_.compare_exchange_strong(expect, true, std::memory_order_acquire,
                                         std::memory_order_relaxed);
  }
  void lock() noexcept {
    backoff bo;
    while (!try_lock()) bo.pause();
  }
  // release (PL1): publishes this holder's changes to the next holder.
  void unlock() noexcept { held_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> held_{false};
};

/// Per region: the latch, the latched policy (null while the pool runs
/// CLOCK), and the region's CLOCK, which always exists and is called
/// unlatched (it is also the fallback of a latched call that finds no
/// policy installed, during a swap to CLOCK).
struct alignas(cache_line) policy_slot {
  policy_latch mu;
  std::unique_ptr<region_policy> p;      // guarded by mu
  std::unique_ptr<region_policy> clock;  // set at creation, never replaced
};

}  // namespace pagepool::internal
