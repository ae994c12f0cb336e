// src/frame/frame.hpp: the frame header, and the only code that changes its
// state word.
//
// frame_state.hpp draws the word and its state machine; every transition
// there is made by one of the functions below, and nothing else in pagepool
// writes `frame::state` (readers load it relaxed or through these). The
// functions are header-only so that the hit path inlines them.
//
// Synchronization edges (the labels used at the sites below and by callers):
//   (P1) try_pin's CAS [acquire] synchronizes-with publish's store (P3) or the
//        unpin CAS (P2) of an earlier holder: the pinner sees the page bytes
//        as last written.
//   (P2) unpin's CAS [release]: the holder's writes to the page happen-before
//        the next claim (E1) of an evictor or writer.
//   (P3) publish's store [release] (L -> R), read by (P1) of waiters.
//   (P4) a latch-free walk loads the state word [acquire] before the key
//        (table/page_table.hpp, find_unlatched): the key read after it is that
//        identity's or a later one's, and try_pin's CAS from exactly that word
//        pins the page the key names (a changed identity changed the version).
//   (E1) claim's CAS to busy [acquire], pairs with (P2).
//   (E2) give_back's store [release] (busy -> R, nothing written, or a write
//        that failed), pairs with the next claim's acquire (E1) and pin (P1).
//   (W2) end_snapshot's store [release] (E -> W after write-back copied the
//        page), pairs with the next claim (E1) and pin (P1).
//   (W3) end_write's CAS clearing wrt [release], pairs with an evictor's (E1):
//        the evictor sees the frame no longer in flight only after the write.
// Write-back's claim (W1 in flush/writeback.cpp) is claim() with clear_dirty:
// the same edge as (E1).
//
// Frames are type-stable: a header is constructed with its region and lives
// as long as the region, so a stale index always names a real frame, whose
// state word then tells the caller that the frame is not what it looked for.
#pragma once

#include <atomic>
#include <cstdint>

#include "frame/frame_state.hpp"

namespace pagepool::internal {

inline constexpr std::uint32_t no_frame = 0xFFFFFFFFu;

/// Frame header: 24 bytes. The page's memory is found by arithmetic from the
/// frame's index (region.hpp), and the index from the page's address.
struct frame {
  std::atomic<frame_state::word> state{0};
  // relaxed everywhere: written only while the frame is busy and under the
  // bucket's exclusive latch; read under that latch, after claiming busy, or
  // as a hint checked against the state word (P4). Atomic so that those
  // hint reads are not data races.
  std::atomic<std::uint32_t> file{0};
  std::atomic<std::uint32_t> pgno{0};
  std::atomic<std::uint32_t> next{no_frame};  // chain link, or free-list link
  std::uint32_t pad_ = 0;
};
static_assert(sizeof(frame) == 24, "frame header layout changed");

namespace frame_ops {

using word = frame_state::word;

/// What try_pin did.
enum class pin_result {
  pinned,   // R -> R, one more pin
  busy,     // not pinnable (F, E', L, E): nothing changed
  full,     // pins or writers at their maximum: nothing changed (EAGAIN)
  changed,  // the frame changed identity since `s` was read: nothing changed
};

/// R --CAS pins+1--> R (P1). `s` is the word the caller read (P4 on the
/// latch-free walk); `next_word(s)` gives the pinned word (frame_state::pinned
/// with the policy's hit rule applied). A CAS lost to another pin or unpin of
/// the same identity retries at once with the word it returned; a lost CAS
/// that shows another version gives `changed`.
template <typename Next>
[[gnu::always_inline]] inline pin_result try_pin(frame& fr, word& s, bool to_write,
                                                 Next next_word) noexcept {
  const std::uint32_t version = frame_state::version(s);
  for (;;) {
    if (!frame_state::pinnable(s)) return pin_result::busy;
    if (!frame_state::pin_fits(s, to_write)) return pin_result::full;
    if (fr.state.compare_exchange_weak(s, next_word(frame_state::pinned(s, to_write)),
                                       std::memory_order_acquire,  // (P1)
                                       std::memory_order_relaxed))
      return pin_result::pinned;
    if (frame_state::version(s) != version) return pin_result::changed;
  }
}

/// R --CAS pins-1 (and the put's flag changes)--> R (P2). `next_word(s)`
/// computes the new word from the current one, or returns 0 to refuse (the
/// frame has no such pin: EINVAL, nothing changed). Returns the word stored,
/// or 0 if refused.
template <typename Next>
[[gnu::always_inline]] inline word unpin(frame& fr, Next next_word) noexcept {
  word s = fr.state.load(std::memory_order_relaxed);
  for (;;) {
    const word ns = next_word(s);
    if (ns == 0) return 0;
    if (fr.state.compare_exchange_weak(s, ns, std::memory_order_release,  // (P2)
                                       std::memory_order_relaxed))
      return ns;
  }
}

/// R --fetch_sub pins-1 (and writers-1 for a pin to write)--> R (P2), for a
/// caller that holds the pin (its pin records or page_handle say so): while
/// a pin is held nobody owns the frame, so no owner's plain store can race
/// with this RMW, and no check is needed before it. One locked instruction,
/// no load before it. Returns the word before.
[[gnu::always_inline]] inline word unpin_held(frame& fr, bool to_write) noexcept {
  const word d = 1 + (to_write ? frame_state::writer_one : word{0});
  return fr.state.fetch_sub(d, std::memory_order_release);  // (P2)
}

/// After unpin_held left a page unpinned with its discard mark still set
/// (the put's discard rule applies at the last unpin): clears the mark and
/// the usage bits if the frame is still that unpinned page. False if it was
/// pinned, claimed or changed in between (the next last unpin, or the
/// evictor, takes over).
inline bool clear_discard(frame& fr, word before) noexcept {
  const std::uint32_t version = frame_state::version(before);
  word s = fr.state.load(std::memory_order_relaxed);
  while (frame_state::version(s) == version && frame_state::pins(s) == 0 &&
         (s & (frame_state::valid | frame_state::busy | frame_state::discard)) ==
             (frame_state::valid | frame_state::discard)) {
    // relaxed: only the usage bits and the discard mark change; no page
    // bytes are handed over (the unpin that released the pin was P2's
    // release, and the next claim or pin pairs with that).
    if (fr.state.compare_exchange_weak(s, frame_state::with_usage(s, 0) & ~frame_state::discard,
                                       std::memory_order_relaxed))
      return true;
  }
  return false;
}

/// R --CAS busy (pins = 0, !busy, !wrt)--> E (E1), from exactly `s`; with
/// `clear_dirty` also clears dirty (write-back owns the page's writing).
inline bool claim(frame& fr, word& s, bool clear_dirty = false) noexcept {
  const word ns = (s | frame_state::busy) & ~(clear_dirty ? frame_state::dirty : word{0});
  return fr.state.compare_exchange_strong(s, ns, std::memory_order_acquire);  // (E1)
}

/// E --store--> R: an owner gives the frame back as `s` (not busy), its page
/// unchanged (E2).
inline void give_back(frame& fr, word s) noexcept {
  fr.state.store(s & ~frame_state::busy, std::memory_order_release);  // (E2)
}

/// E --store--> W or R: write-back copied the page it owns; `s` is the word
/// to leave (busy cleared by the caller's computation) (W2).
inline void end_snapshot(frame& fr, word s) noexcept {
  fr.state.store(s, std::memory_order_release);  // (W2)
}

/// W --CAS clear wrt (dirty again if the write failed)--> R (W3): release,
/// so that an evictor whose claim (E1) sees wrt cleared also sees the write
/// done (the file up to date before the page may leave).
inline void end_write(frame& fr, bool failed) noexcept {
  word s = fr.state.load(std::memory_order_relaxed);
  while (!fr.state.compare_exchange_weak(
      s, (s & ~frame_state::wrt) | (failed ? frame_state::dirty : word{0}),
      std::memory_order_release,  // (W3)
      std::memory_order_relaxed)) {
  }
}

/// E' --store--> L: the owner of a blank frame linked it under the bucket's
/// exclusive latch; the loader holds one pin. relaxed: the frame is owned
/// (busy) and the latch's release publishes the key and link with it.
inline word start_loading(frame& fr) noexcept {
  const word l = fr.state.load(std::memory_order_relaxed) | 1;
  fr.state.store(l, std::memory_order_relaxed);
  return l;
}

/// L --store: clear busy, set valid (+dirty), usage 0--> R (P3). The loader
/// keeps its pin (a pin to write if `to_write`). A page starts with usage 0
/// (policy.hpp, point 3): textbook CLOCK loads with the reference bit clear.
inline void publish(frame& fr, word l, bool dirty, bool to_write) noexcept {
  if (to_write) l += frame_state::writer_one;
  fr.state.store(frame_state::with_usage((l & ~frame_state::busy) | frame_state::valid |
                                             (dirty ? frame_state::dirty : word{0}),
                                         0),
                 std::memory_order_release);  // (P3)
}

/// E or F --store--> E': the owner blanks the frame for its next identity
/// (version + 1). relaxed: still owned; whoever gets it next is ordered by the
/// free-list latch or the bucket latch.
inline void make_blank(frame& fr) noexcept {
  fr.state.store(frame_state::next_blank(fr.state.load(std::memory_order_relaxed)),
                 std::memory_order_relaxed);
}

/// E' --store--> F: the owner frees the frame, keeping its version. relaxed:
/// under the free-list latch, which publishes it to the next popper.
inline void make_free(frame& fr) noexcept {
  fr.state.store(frame_state::free_of(fr.state.load(std::memory_order_relaxed)),
                 std::memory_order_relaxed);
}

/// R --CAS usage (pins = 0)--> R: the policy's aging. relaxed: usage bits
/// order nothing; a CAS lost to a pin leaves the pinner's usage.
inline bool set_usage(frame& fr, word& s, word usage) noexcept {
  return fr.state.compare_exchange_strong(s, frame_state::with_usage(s, usage),
                                          std::memory_order_relaxed);
}

}  // namespace frame_ops
}  // namespace pagepool::internal
