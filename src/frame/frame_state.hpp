// src/frame/frame_state.hpp: the frame header's state word.
//
// Every frame has one 64-bit atomic state word. Pinning, unpinning, claiming a
// frame for eviction or write-back, and publishing a page after its read are
// all single atomic read-modify-writes on it.
//
//   63             32 31   24 23   22   21   20   19   18  16 15             0
//  +-----------------+-------+----+----+----+----+----+------+----------------+
//  |     version     |writers|disc|wrt |busy|vald|dirt|usage |      pins      |
//  +-----------------+-------+----+----+----+----+----+------+----------------+
//
//   pins     16 bits  pin count; pin_max pins at most (EAGAIN beyond).
//   writers   8 bits  how many of the pins were taken to write (get with
//                     dirty, edit or new_page); writers_max at most (EAGAIN).
//   usage     3 bits  0..7, the eviction policy's per-frame bits (policy.hpp,
//                     point 3): 0 when a page is loaded, changed by the
//                     policy's hit rule in the pin CAS and by the priority
//                     at the final unpin, aged by the policy through its view
//                     (CLOCK's count, SIEVE's visited bit, S3-FIFO's
//                     frequency, the list policies' priority credits).
//   dirty             the page differs from the file.
//   valid             the frame holds the page its key names; readable.
//   busy              one thread owns the frame exclusively: reading the page
//                     in, evicting it, or copying it for write-back. No pin can
//                     be taken while busy.
//   wrt               a copy of the page is being written; pins are allowed,
//                     eviction is not (the file is not yet up to date).
//   disc              DISCARD was set while pinned: the final unpin sets usage 0.
//   version  32 bits  changes each time the frame changes identity, and at
//                     every pin taken to write (get with dirty or edit), so
//                     that an optimistic reader (pool_impl::optimistic_begin)
//                     sees any writer that came and went.
//
// States (F = free, L = loading, R = resident, E = evicting/snapshotting,
// W = resident with a write in flight) and every legal transition, with the
// atomic operation that makes it and who makes it:
//
//   F --pop from free list (region latch)----------------------------> E'
//        E' = busy, !valid: the allocating thread owns a blank frame
//   E' --store L (key set, linked under the bucket's exclusive latch)-> L
//        L = busy|pins=1, version+1
//   L --store: clear busy, set valid (+dirty if created) [release]--> R
//   L --read/pgin failed: unlink, store F, push free list------------> F
//   R --CAS pins+1 (valid, !busy, pins<max)             [acquire]---> R
//        (a pin to write also sets dirty, adds a writer and version_one)
//   R --CAS pins-1 (writers-1), usage/dirty/clean per put [release]-> R
//   R --fetch_sub pins-1 (writers-1): a put with no flags at normal
//        priority, by the pin's holder [release]-------------------> R
//   R --the last such unpin left disc set: CAS clear disc, usage 0---> R
//   R --CAS busy (pins=0, !busy, !wrt)                  [acquire]---> E
//        (evictor; or sync/trickle, which also clears dirty)
//   E --evictor: written if dirty, unlinked, store E' version+1------> E'
//   E --evictor: write failed: store, busy cleared (dirty kept) [rel]> R
//   E --sync: page copied, store: busy cleared, wrt set [release]---> W
//   E --sync: page not to be written: store, busy cleared, dirty back> R
//   W --CAS pins+1 / pins-1 as in R------------------------------------> W
//   W --write done: CAS clear wrt (set dirty again if it failed)-----> R
//   R --policy's aging (view.set_usage): CAS usage (pins=0) [relaxed]-> R
//
// Stores are used only by the frame's owner (busy, no pin but the loader's
// own), so no pin's RMW can race with them; every other transition is an
// RMW. claim and set_usage compare against exactly the word the caller read,
// and the caller checks the transition's condition on that word first
// (frame_state::evictable for a claim).
//
// A frame's key (file, pgno) and chain link change only in E'/L, while it is
// busy and under its bucket's exclusive latch; readers read them under the
// bucket's shared latch, after winning a CAS to busy, or, on the latch-free
// hit and optimistic paths, as hints checked against the state word read
// before them (edges P4 in frame/frame.hpp, O1 and O2 in core/get.cpp).
// frame/frame.hpp holds the only code that writes the word: one function
// per transition below.
#pragma once

#include <cstdint>

namespace pagepool::internal {

struct frame_state {
  using word = std::uint64_t;

  static constexpr word pins_mask = 0xFFFFull;
  static constexpr word pin_max = 0xFFFFull;
  static constexpr unsigned usage_shift = 16;
  static constexpr word usage_mask = 0x7ull << usage_shift;
  static constexpr word usage_max = 7;
  static constexpr word dirty = 1ull << 19;
  static constexpr word valid = 1ull << 20;
  static constexpr word busy = 1ull << 21;
  static constexpr word wrt = 1ull << 22;
  static constexpr word discard = 1ull << 23;
  static constexpr unsigned writers_shift = 24;
  static constexpr word writer_one = 1ull << writers_shift;
  static constexpr word writers_mask = 0xFFull << writers_shift;
  static constexpr word writers_max = 0xFF;
  static constexpr unsigned version_shift = 32;
  static constexpr word version_one = 1ull << version_shift;

  static constexpr word pins(word s) noexcept { return s & pins_mask; }
  static constexpr word writers(word s) noexcept { return (s & writers_mask) >> writers_shift; }
  static constexpr word usage(word s) noexcept { return (s & usage_mask) >> usage_shift; }
  static constexpr word with_usage(word s, word u) noexcept {
    return (s & ~usage_mask) | (u << usage_shift);
  }
  static constexpr std::uint32_t version(word s) noexcept {
    return static_cast<std::uint32_t>(s >> version_shift);
  }
  /// A blank, owned frame (E') of the version after `s`'s.
  static constexpr word next_blank(word s) noexcept {
    return (static_cast<word>(version(s) + 1) << version_shift) | busy;
  }
  /// The free state (F) keeping `s`'s version.
  static constexpr word free_of(word s) noexcept {
    return static_cast<word>(version(s)) << version_shift;
  }
  /// A frame may be pinned: it holds its page and nobody owns it.
  static constexpr bool pinnable(word s) noexcept { return (s & (valid | busy)) == valid; }
  /// One more pin (to write) fits in the counts.
  static constexpr bool pin_fits(word s, bool to_write) noexcept {
    return pins(s) < pin_max && (!to_write || writers(s) < writers_max);
  }
  /// The pin CAS's new word: one more pin; a pin to write also counts a
  /// writer, marks the page dirty and moves the version (wrapping within the
  /// word's top half).
  static constexpr word pinned(word s, bool to_write) noexcept {
    return to_write ? (s + 1 + writer_one + version_one) | dirty : s + 1;
  }
  /// The unpin's new word, before usage and flags are applied.
  static constexpr word unpinned(word s, bool to_write) noexcept {
    return s - 1 - (to_write ? writer_one : 0);
  }
  /// An optimistic reader may read the frame's page: it holds a page, nobody
  /// owns it, and no pin to write is running.
  static constexpr bool optimistic_readable(word s) noexcept {
    return pinnable(s) && writers(s) == 0;
  }
  /// A frame may be claimed for eviction.
  static constexpr bool evictable(word s) noexcept {
    return (s & (valid | busy | wrt)) == valid && pins(s) == 0;
  }
};

}  // namespace pagepool::internal
