// pagepool/policy.hpp: eviction policies: the built-in ones, and the contract
// (a C++20 concept) that every policy, built in or added later, satisfies.
//
// A pool runs one policy instance per region. The pool keeps the page table,
// the pins and the free list; a policy only decides, when a region has no
// free frame, which resident frame gives up its page. It learns what happens
// through a few hooks and acts on frames only through a frame view.
//
// The contract (what a policy may assume, what it must guarantee):
//
//  1. Identity. Frames are numbered 0..capacity-1 within the region. A policy
//     tracks the frames that hold a page it was told about (on_insert) and
//     that have not left (evict, on_remove). A page is named by its page_key;
//     frames change pages, keys do not.
//  2. Serialisation. For policies whose `model` is not lock_free, the pool
//     calls on_insert, on_hit, on_demote, on_remove and evict with the
//     region's policy latch held: the policy needs no synchronisation of its
//     own. on_hit_usage is pure and runs inside the pin's CAS, unlatched.
//     A miss that evicts a clean page makes its evict and its on_insert in
//     one hold of the latch (one latch per miss, not two).
//     A lock_free policy's hooks run concurrently and must be thread-safe.
//  3. Usage bits. Each frame's state word carries 3 usage bits (0..7) that
//     the policy reads and changes only through the view. The pool sets them
//     to 0 when a page is loaded, applies on_hit_usage to them in the pin CAS
//     of every hit, and changes them at put by priority (pool.hpp,
//     "Priorities"). CLOCK reads them as its count, SIEVE as its visited bit,
//     S3-FIFO as its frequency; list policies (LRU, FIFO, ARC, 2Q, LIRS,
//     W-TinyLFU, LRU-2, and CLOCK-Pro, which keeps its own reference bits)
//     leave them to priorities and read them as credits: a candidate with
//     credit is spared (credit - 1) and moved to the end evicted last.
//  4. Pinned frames. A policy never assumes a frame can be evicted: it takes
//     a victim only through view.claim(f), which fails for a pinned or busy
//     frame. A frame whose claim failed stays tracked where it was. evict()
//     tries candidates in its preference order until one claim succeeds, or
//     returns no_frame after a bounded search (every tracked frame tried, at
//     most usage_max + 2 times); the pool then waits and asks again, and fails
//     the get with ENOMEM after alloc_timeout.
//  5. Victims. evict() untracks the frame it claimed (ghost entries, if the
//     policy keeps them, are its own business) and returns it. If the pool
//     cannot evict it after all (writing a dirty page failed), it calls
//     on_insert(f, k) again, as for a new page.
//  6. Removal. on_remove(f) is called when a page leaves other than through
//     evict() (its file closed or removed, a failed read, a shrink, another
//     policy's decision during a live swap, a miss whose page another thread
//     loaded first after this one's insert); it is a no-op for an untracked
//     frame. on_insert of a frame that is still tracked forgets the old page.
//  7. Exactness. In a single-threaded replay (every request a get then a put
//     with default priority, one region, exactly c frames, frames filled in
//     order 0..c-1) the pool's calls are, per request: a hit applies
//     on_hit_usage (and, for batched_hits policies, on_hit); a miss with a
//     free frame calls on_insert; a miss with the region full calls
//     evict(incoming key) and then on_insert. Every built-in policy then
//     makes exactly the decisions of its textbook definition (the variants in
//     the project's trace reference; for 2Q, LIRS, W-TinyLFU, LRU-2 and
//     CLOCK-Pro the independent implementations named in
//     papers/eviction/reference_libcachesim.md), and its miss counts match
//     exactly.
//  8. Size. The constructor's capacity is the most frames the region can
//     ever have (a pool may grow to cache_max_bytes); frames in service are
//     view.size(). A policy whose decisions depend on the cache size (S3-FIFO's
//     queue split, ARC's target and ghost bounds, 2Q's Kin and Kout, LIRS's
//     Lhirs, W-TinyLFU's window and sketch, CLOCK-Pro's cold allocation)
//     also has
//     `void resize(std::uint32_t c)`, which the pool calls, latched, at
//     creation and after every pool::resize with the frames now in service.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace pagepool {

/// The built-in eviction policies. BDB has one, an LRU approximation.
enum class policy_kind : int {
  clock = 0,  ///< CLOCK with usage counts (the default): lock-free
  lru = 1,    ///< exact LRU: hits batched per thread (BP-Wrapper)
  fifo = 2,   ///< first in, first out
  sieve = 3,  ///< SIEVE (Zhang et al., NSDI 2024)
  s3fifo = 4, ///< S3-FIFO (Yang et al., SOSP 2023)
  arc = 5,    ///< ARC (Megiddo and Modha, FAST 2003): hits batched per thread
  twoq = 6,   ///< 2Q (Johnson and Shasha, VLDB 1994): hits batched per thread
  lirs = 7,   ///< LIRS (Jiang and Zhang, SIGMETRICS 2002): hits batched per thread
  wtinylfu = 8,  ///< W-TinyLFU (Einziger et al., ACM TOS 2017): hits batched per thread
  lru2 = 9,   ///< LRU-K, K = 2 (O'Neil et al., SIGMOD 1993): hits batched per thread
  clockpro = 10,  ///< CLOCK-Pro (Jiang et al., USENIX ATC 2005): hits batched per thread
};
inline constexpr int policy_kind_count = 11;

/// "clock", "lru", "fifo", "sieve", "s3fifo", "arc", "2q", "lirs", "wtinylfu",
/// "lru2", "clockpro".
[[nodiscard]] std::string_view policy_name(policy_kind k) noexcept;
/// Parses a policy name as policy_name gives it (also "s3-fifo");
/// false, leaving `out` alone, if unknown.
[[nodiscard]] bool parse_policy(std::string_view name, policy_kind& out) noexcept;

namespace policy {

/// A frame's index within its region.
using frame_id = std::uint32_t;
inline constexpr frame_id no_frame = 0xFFFFFFFFu;

/// The largest usage value (3 bits).
inline constexpr std::uint32_t usage_max = 7;

/// A page's identity: the pool's file slot and the page number.
struct page_key {
  std::uint64_t v = 0;
  static constexpr page_key of(std::uint32_t file, std::uint32_t pgno) noexcept {
    return {(std::uint64_t{file} << 32) | pgno};
  }
  friend constexpr bool operator==(page_key, page_key) = default;
};

/// How the pool drives a policy under concurrency (see each policy's header
/// for what it costs).
enum class concurrency_model {
  /// Every hook runs unlatched and concurrently (CLOCK: the hand is one
  /// atomic, the counts live in the frames' state words).
  lock_free,
  /// Insert, remove and evict under the region's policy latch; hits touch
  /// only the usage bits inside the pin's CAS (FIFO, SIEVE, S3-FIFO).
  region_latch,
  /// As region_latch, and each hit is also queued in a per-thread buffer and
  /// applied with on_hit under the latch in batches, before the thread's
  /// next insert or evict (LRU, ARC, 2Q, LIRS, W-TinyLFU, LRU-2, CLOCK-Pro:
  /// BP-Wrapper, Ding et al., ICDE 2009).
  batched_hits,
};

/// A frame view over a plain array, for simulators, tests and the concept
/// check: nothing is ever pinned unless a test says so. The pool's own view
/// (over its regions' state words) has the same members.
class basic_frames {
 public:
  explicit basic_frames(std::uint32_t capacity) : usage_(capacity, 0), pinned_(capacity, 0) {}
  /// Frames in service; a policy considers only frames below it.
  [[nodiscard]] std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(usage_.size()); }
  /// The frame's usage bits (a snapshot).
  [[nodiscard]] std::uint32_t usage(frame_id f) const noexcept { return usage_[f]; }
  /// Changes the usage bits from `from` to `to` if they still are `from` and
  /// the frame is not pinned; false otherwise.
  bool set_usage(frame_id f, std::uint32_t from, std::uint32_t to) noexcept {
    if (pinned_[f] || usage_[f] != from) return false;
    usage_[f] = static_cast<std::uint8_t>(to);
    return true;
  }
  /// Takes the frame for eviction; false if it is pinned (or busy).
  bool claim(frame_id f) noexcept { return pinned_[f] == 0; }

  // For the simulator: what the pool does outside the policy.
  void reset(frame_id f) noexcept { usage_[f] = 0; }
  void hit(frame_id f, std::uint32_t new_usage) noexcept { usage_[f] = static_cast<std::uint8_t>(new_usage); }
  void pin(frame_id f, bool on) noexcept { pinned_[f] = on ? 1 : 0; }

 private:
  std::vector<std::uint8_t> usage_;
  std::vector<std::uint8_t> pinned_;
};

/// A frame view: what a policy sees of the frames (basic_frames' members).
template <class V>
concept frame_view = requires(V& v, const V& cv, frame_id f, std::uint32_t u) {
  { cv.size() } -> std::same_as<std::uint32_t>;
  { cv.usage(f) } -> std::same_as<std::uint32_t>;
  { v.set_usage(f, u, u) } -> std::same_as<bool>;
  { v.claim(f) } -> std::same_as<bool>;
};

/// An eviction policy for one region (the contract is at the top of this
/// file). V is the frame view it is checked against.
template <class P, class V = basic_frames>
concept eviction_policy =
    frame_view<V> && std::constructible_from<P, std::uint32_t> &&
    requires(P& p, const P& cp, frame_id f, page_key k, std::uint32_t u, V& view) {
      { P::name } -> std::convertible_to<std::string_view>;
      { P::model } -> std::convertible_to<concurrency_model>;
      { P::on_hit_usage(u) } -> std::same_as<std::uint32_t>;
      { p.on_insert(f, k) } -> std::same_as<void>;
      { p.on_hit(f, k) } -> std::same_as<void>;
      { p.on_demote(f) } -> std::same_as<void>;
      { p.on_remove(f) } -> std::same_as<void>;
      { p.evict(k, view) } -> std::same_as<frame_id>;
      { cp.size() } -> std::same_as<std::size_t>;
    };

}  // namespace policy
}  // namespace pagepool
