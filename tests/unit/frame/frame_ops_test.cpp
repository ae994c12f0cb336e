// Unit tests of src/frame/frame.hpp: frame_ops, the only code that changes a
// frame's state word. Each test drives one or more transitions of the state
// machine drawn in src/frame/frame_state.hpp through frame_ops and asserts
// the word the diagram promises afterwards (F = free, E' = blank and owned,
// L = loading, R = resident, E = claimed, W = write in flight).
//
// Words are built with frame_state's fields; a test's setup stores a starting
// word directly, the transitions under test go through frame_ops only. A CAS
// lost to another thread is made deterministic by changing the word from
// inside the callback (try_pin's next_word, unpin's next_word), which runs
// between the CAS's read and its compare.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <ostream>
#include <thread>
#include <vector>

#include "frame/frame.hpp"

namespace pagepool::internal {
namespace {

using fs = frame_state;
using word = fs::word;
using frame_ops::pin_result;

}  // namespace
namespace frame_ops {
void PrintTo(pin_result r, std::ostream* os) {
  switch (r) {
    case pin_result::pinned:
      *os << "pinned";
      return;
    case pin_result::busy:
      *os << "busy";
      return;
    case pin_result::full:
      *os << "full";
      return;
    case pin_result::changed:
      *os << "changed";
      return;
  }
  *os << "pin_result(" << static_cast<int>(r) << ")";
}
}  // namespace frame_ops
namespace {

constexpr word ver(std::uint32_t v) { return word{v} << fs::version_shift; }
constexpr word use(word u) { return u << fs::usage_shift; }
constexpr word writers(word n) { return n << fs::writers_shift; }

// The hit rule of a policy that leaves usage alone.
constexpr auto no_rule = [](word w) { return w; };
// A hit rule that counts a hit in the usage bits (CLOCK-like), capped.
constexpr auto count_hit = [](word w) {
  return fs::with_usage(w, std::min<word>(fs::usage(w) + 1, fs::usage_max));
};
// The put of a reader: one pin less, nothing else.
constexpr auto put_read = [](word s) -> word {
  return fs::pins(s) == 0 ? 0 : fs::unpinned(s, false);
};

// A frame whose word is `s`.
struct test_frame {
  frame fr;
  explicit test_frame(word s) { fr.state.store(s, std::memory_order_relaxed); }
  word now() const { return fr.state.load(std::memory_order_relaxed); }
};

// ------------------------------------------------------------ F, E', L -> R

// F --pop (make_blank)--> E' --start_loading--> L --publish--> R.
TEST(FrameOps, FreeToBlankToLoadingToResident) {
  test_frame t(ver(7));  // F of version 7, as make_free leaves it
  frame_ops::make_blank(t.fr);
  EXPECT_EQ(t.now(), ver(8) | fs::busy) << "E': busy, not valid, version + 1";

  const word l = frame_ops::start_loading(t.fr);
  EXPECT_EQ(l, ver(8) | fs::busy | 1) << "L: busy with the loader's pin";
  EXPECT_EQ(t.now(), l);
  EXPECT_EQ(fs::version(l), 8u) << "L carries the new identity's version (one past F's)";

  frame_ops::publish(t.fr, l, /*dirty=*/false, /*to_write=*/false);
  EXPECT_EQ(t.now(), ver(8) | fs::valid | 1)
      << "R: valid, not busy, the loader's one pin, clean, usage 0, no writer";
}

// L --publish a created page, pinned to write--> R with dirty and a writer.
TEST(FrameOps, PublishCreatedPageKeepsAPinToWrite) {
  test_frame t(ver(3) | fs::busy);
  const word l = frame_ops::start_loading(t.fr);
  frame_ops::publish(t.fr, l, /*dirty=*/true, /*to_write=*/true);
  EXPECT_EQ(t.now(), ver(3) | fs::valid | fs::dirty | writers(1) | 1);
}

// L --publish read-dirty (pin not to write)--> R dirty, no writer.
TEST(FrameOps, PublishDirtyWithoutWriter) {
  test_frame t(ver(3) | fs::busy | 1);
  frame_ops::publish(t.fr, t.now(), /*dirty=*/true, /*to_write=*/false);
  EXPECT_EQ(t.now(), ver(3) | fs::valid | fs::dirty | 1);
}

// A page starts with usage 0 whatever usage bits the L word carried.
TEST(FrameOps, PublishStartsUsageAtZero) {
  test_frame t(ver(3) | fs::busy | 1);
  frame_ops::publish(t.fr, ver(3) | fs::busy | 1 | use(5), false, false);
  EXPECT_EQ(fs::usage(t.now()), 0u);
  EXPECT_EQ(t.now(), ver(3) | fs::valid | 1);
}

// L --read failed: make_free--> F, keeping the version; the next pop moves it.
TEST(FrameOps, FailedLoadGoesFreeKeepingVersion) {
  test_frame t(ver(8) | fs::busy);
  frame_ops::start_loading(t.fr);
  frame_ops::make_free(t.fr);
  EXPECT_EQ(t.now(), ver(8)) << "F: nothing but the version";
  frame_ops::make_blank(t.fr);
  EXPECT_EQ(t.now(), ver(9) | fs::busy);
}

// make_blank clears everything but moves the version, also from a full E word.
TEST(FrameOps, MakeBlankFromClaimedFrame) {
  test_frame t(ver(41) | fs::valid | fs::busy | fs::dirty | fs::discard | use(6));
  frame_ops::make_blank(t.fr);
  EXPECT_EQ(t.now(), ver(42) | fs::busy);
}

// make_free keeps only the version, from E' and from L.
TEST(FrameOps, MakeFreeKeepsOnlyVersion) {
  test_frame a(ver(5) | fs::busy);
  frame_ops::make_free(a.fr);
  EXPECT_EQ(a.now(), ver(5));
  test_frame b(ver(6) | fs::busy | 1 | fs::dirty);
  frame_ops::make_free(b.fr);
  EXPECT_EQ(b.now(), ver(6));
}

// ------------------------------------------------------------- R --pin--> R

// A pin from the exact word read: one more pin, nothing else changes.
TEST(FrameOps, TryPinFromExactWord) {
  const word r = ver(3) | fs::valid | fs::dirty | use(2) | 4;
  test_frame t(r);
  word s = t.now();
  EXPECT_EQ(frame_ops::try_pin(t.fr, s, false, no_rule), pin_result::pinned);
  EXPECT_EQ(t.now(), r + 1);
  EXPECT_EQ(fs::version(t.now()), 3u) << "a pin to read keeps the version";
}

// W --pin--> W: pins are allowed while a write is in flight.
TEST(FrameOps, TryPinDuringWriteKeepsWrt) {
  const word w = ver(3) | fs::valid | fs::wrt;
  test_frame t(w);
  word s = t.now();
  EXPECT_EQ(frame_ops::try_pin(t.fr, s, false, no_rule), pin_result::pinned);
  EXPECT_EQ(t.now(), w | 1);
}

// A word from before a change of identity: `changed`, nothing changed.
TEST(FrameOps, TryPinFromWordOfEarlierVersionFails) {
  test_frame t(ver(3) | fs::valid);
  word stale = t.now();
  // The frame is evicted and reloaded as another page, through the ops.
  word s = t.now();
  ASSERT_TRUE(frame_ops::claim(t.fr, s));
  frame_ops::make_blank(t.fr);
  const word l = frame_ops::start_loading(t.fr);
  frame_ops::publish(t.fr, l, false, false);
  ASSERT_NE(frame_ops::unpin(t.fr, put_read), 0u);
  const word after = t.now();
  ASSERT_EQ(after, ver(4) | fs::valid) << "setup: a pinnable frame of the next version";

  EXPECT_EQ(frame_ops::try_pin(t.fr, stale, false, no_rule), pin_result::changed);
  EXPECT_EQ(t.now(), after) << "a failed pin changes nothing";
  word stale_w = ver(3) | fs::valid;
  EXPECT_EQ(frame_ops::try_pin(t.fr, stale_w, true, no_rule), pin_result::changed);
  EXPECT_EQ(t.now(), after);
}

// The identity changes between the read and the CAS (the CAS is lost to it).
TEST(FrameOps, TryPinLosingCasToNewIdentityFails) {
  const word other = ver(4) | fs::valid | use(1);
  test_frame t(ver(3) | fs::valid);
  word s = t.now();
  int calls = 0;
  const auto r = frame_ops::try_pin(t.fr, s, false, [&](word w) {
    if (calls++ == 0) t.fr.state.store(other, std::memory_order_relaxed);
    return w;
  });
  EXPECT_EQ(r, pin_result::changed);
  EXPECT_EQ(t.now(), other) << "nothing pinned in the new identity";
}

// A pin to write moves the version: a reader's word from before it is stale.
TEST(FrameOps, TryPinFromWordBeforeAPinToWriteFails) {
  test_frame t(ver(3) | fs::valid);
  word stale = t.now();
  word s = t.now();
  ASSERT_EQ(frame_ops::try_pin(t.fr, s, true, no_rule), pin_result::pinned);
  const word after = t.now();
  EXPECT_EQ(frame_ops::try_pin(t.fr, stale, false, no_rule), pin_result::changed);
  EXPECT_EQ(t.now(), after);
}

// A CAS lost to another pin of the same version retries and succeeds.
TEST(FrameOps, TryPinLosingCasToAnotherPinRetries) {
  const word r = ver(3) | fs::valid;
  test_frame t(r);
  word s = t.now();
  std::vector<word> seen;
  const auto res = frame_ops::try_pin(t.fr, s, false, [&](word w) {
    seen.push_back(w);
    if (seen.size() == 1) {  // another thread pins first
      word o = t.now();
      EXPECT_EQ(frame_ops::try_pin(t.fr, o, false, no_rule), pin_result::pinned);
    }
    return w;
  });
  EXPECT_EQ(res, pin_result::pinned);
  EXPECT_EQ(t.now(), r | 2) << "both pins counted";
  ASSERT_EQ(seen.size(), 2u) << "one retry, with the word the lost CAS returned";
  EXPECT_EQ(seen[1], r | 2);
}

// The same with a stale word in hand: an older pin count, the same version.
TEST(FrameOps, TryPinFromWordBeforeOtherPinsAndUnpinsSucceeds) {
  const word r = ver(3) | fs::valid | 2;
  test_frame t(r);
  word stale = t.now();
  word o = t.now();
  ASSERT_EQ(frame_ops::try_pin(t.fr, o, false, no_rule), pin_result::pinned);  // 3
  ASSERT_NE(frame_ops::unpin(t.fr, put_read), 0u);                             // 2
  ASSERT_NE(frame_ops::unpin(t.fr, put_read), 0u);                             // 1
  EXPECT_EQ(frame_ops::try_pin(t.fr, stale, false, no_rule), pin_result::pinned);
  EXPECT_EQ(t.now(), (r & ~fs::pins_mask) | 2);
}

// Frames that are not pinnable refuse, to read and to write, and stay as they are.
TEST(FrameOps, TryPinRefusesFreeBlankLoadingAndClaimedFrames) {
  const word words[] = {
      ver(5),                                     // F
      ver(5) | fs::busy,                          // E'
      ver(5) | fs::busy | 1,                      // L
      ver(5) | fs::busy | fs::valid | fs::dirty,  // E (evictor)
      ver(5) | fs::busy | fs::valid,              // E (write-back, dirty cleared)
      ver(5) | fs::dirty | use(3),                // not valid, not busy
  };
  for (const word w : words) {
    for (const bool to_write : {false, true}) {
      test_frame t(w);
      word s = t.now();
      EXPECT_EQ(frame_ops::try_pin(t.fr, s, to_write, no_rule), pin_result::busy)
          << std::hex << "word 0x" << w << " to_write " << to_write;
      EXPECT_EQ(t.now(), w) << std::hex << "word 0x" << w;
    }
  }
}

// pin_max pins at most; writers_max writers at most; `full` changes nothing.
TEST(FrameOps, TryPinLimits) {
  {
    const word r = ver(2) | fs::valid | (fs::pin_max - 1);
    test_frame t(r);
    word s = t.now();
    EXPECT_EQ(frame_ops::try_pin(t.fr, s, false, no_rule), pin_result::pinned);
    EXPECT_EQ(fs::pins(t.now()), fs::pin_max);
    EXPECT_EQ(t.now(), r + 1) << "the last pin does not carry into the usage bits";
    for (const bool to_write : {false, true}) {
      word s2 = t.now();
      EXPECT_EQ(frame_ops::try_pin(t.fr, s2, to_write, no_rule), pin_result::full);
      EXPECT_EQ(t.now(), r + 1);
    }
  }
  {
    const word r = ver(2) | fs::valid | writers(fs::writers_max - 1) | (fs::writers_max - 1);
    test_frame t(r);
    word s = t.now();
    EXPECT_EQ(frame_ops::try_pin(t.fr, s, true, no_rule), pin_result::pinned);
    const word full = t.now();
    EXPECT_EQ(fs::writers(full), fs::writers_max);
    word s2 = full;
    EXPECT_EQ(frame_ops::try_pin(t.fr, s2, true, no_rule), pin_result::full);
    EXPECT_EQ(t.now(), full);
    word s3 = full;
    EXPECT_EQ(frame_ops::try_pin(t.fr, s3, false, no_rule), pin_result::pinned)
        << "a pin to read is not limited by the writer count";
    EXPECT_EQ(t.now(), full + 1);
  }
}

// A pin to write: one more pin, one more writer, dirty, version + 1.
TEST(FrameOps, TryPinToWriteMovesVersionAndDirties) {
  const word r = ver(3) | fs::valid | use(2) | 1;
  test_frame t(r);
  word s = t.now();
  EXPECT_EQ(frame_ops::try_pin(t.fr, s, true, no_rule), pin_result::pinned);
  EXPECT_EQ(t.now(), ver(4) | fs::valid | fs::dirty | use(2) | writers(1) | 2);
  // Again, already dirty: the version still moves.
  word s2 = t.now();
  EXPECT_EQ(frame_ops::try_pin(t.fr, s2, true, no_rule), pin_result::pinned);
  EXPECT_EQ(t.now(), ver(5) | fs::valid | fs::dirty | use(2) | writers(2) | 3);
}

// The version wraps within the top half, touching nothing below it.
TEST(FrameOps, TryPinToWriteWrapsVersion) {
  test_frame t(ver(0xFFFFFFFFu) | fs::valid | fs::wrt);
  word s = t.now();
  EXPECT_EQ(frame_ops::try_pin(t.fr, s, true, no_rule), pin_result::pinned);
  EXPECT_EQ(t.now(), ver(0) | fs::valid | fs::wrt | fs::dirty | writers(1) | 1);
}

// The policy's hit rule changes usage in the pin's own CAS, from the pinned word.
TEST(FrameOps, TryPinAppliesHitRule) {
  const word r = ver(3) | fs::valid | use(2);
  test_frame t(r);
  word s = t.now();
  word given = 0;
  EXPECT_EQ(frame_ops::try_pin(t.fr, s, false,
                               [&](word w) {
                                 given = w;
                                 return count_hit(w);
                               }),
            pin_result::pinned);
  EXPECT_EQ(given, r + 1) << "the rule sees the pinned word";
  EXPECT_EQ(t.now(), ver(3) | fs::valid | use(3) | 1);
  // A pin to write: the rule sees (and keeps) the write's changes.
  word s2 = t.now();
  EXPECT_EQ(frame_ops::try_pin(t.fr, s2, true, count_hit), pin_result::pinned);
  EXPECT_EQ(t.now(), ver(4) | fs::valid | fs::dirty | use(4) | writers(1) | 2);
}

// After a lost CAS the rule is applied again to the word actually replaced:
// another pinner's usage change is not lost.
TEST(FrameOps, TryPinAppliesHitRuleToTheRetriedWord) {
  test_frame t(ver(3) | fs::valid | use(1));
  word s = t.now();
  int calls = 0;
  const auto res = frame_ops::try_pin(t.fr, s, false, [&](word w) {
    if (calls++ == 0) {  // another pin with the same rule lands first: usage 2
      word o = t.now();
      EXPECT_EQ(frame_ops::try_pin(t.fr, o, false, count_hit), pin_result::pinned);
    }
    return count_hit(w);
  });
  EXPECT_EQ(res, pin_result::pinned);
  EXPECT_EQ(t.now(), ver(3) | fs::valid | use(3) | 2);
}

// ----------------------------------------------------------- R --unpin--> R

// The callback's word is stored and returned; it sees the current word.
TEST(FrameOps, UnpinStoresCallbackResult) {
  const word r = ver(3) | fs::valid | use(1) | 2;
  test_frame t(r);
  word given = 0;
  const word ns = frame_ops::unpin(t.fr, [&](word s) {
    given = s;
    return fs::with_usage(fs::unpinned(s, false), 5) | fs::dirty;
  });
  EXPECT_EQ(given, r);
  EXPECT_EQ(ns, ver(3) | fs::valid | fs::dirty | use(5) | 1);
  EXPECT_EQ(t.now(), ns);
}

// A pin to write's put: one pin and one writer less; the version stays.
TEST(FrameOps, UnpinToWriteDropsWriter) {
  test_frame t(ver(3) | fs::valid);
  word s = t.now();
  ASSERT_EQ(frame_ops::try_pin(t.fr, s, true, no_rule), pin_result::pinned);
  const word ns = frame_ops::unpin(t.fr, [](word w) { return fs::unpinned(w, true); });
  EXPECT_EQ(ns, ver(4) | fs::valid | fs::dirty);
  EXPECT_EQ(t.now(), ns);
}

// W --unpin--> W.
TEST(FrameOps, UnpinDuringWriteKeepsWrt) {
  test_frame t(ver(3) | fs::valid | fs::wrt | 1);
  EXPECT_EQ(frame_ops::unpin(t.fr, put_read), ver(3) | fs::valid | fs::wrt);
  EXPECT_EQ(t.now(), ver(3) | fs::valid | fs::wrt);
}

// 0 from the callback refuses: 0 returned, nothing changed.
TEST(FrameOps, UnpinRefusedByCallbackChangesNothing) {
  const word r = ver(3) | fs::valid | fs::dirty | use(4) | 1;
  test_frame t(r);
  EXPECT_EQ(frame_ops::unpin(t.fr, [](word) -> word { return 0; }), 0u);
  EXPECT_EQ(t.now(), r);
  test_frame z(ver(3) | fs::valid);  // no pin to give back
  EXPECT_EQ(frame_ops::unpin(z.fr, put_read), 0u);
  EXPECT_EQ(z.now(), ver(3) | fs::valid);
}

// A CAS lost to another pin: the callback runs again on the new word.
TEST(FrameOps, UnpinLosingCasRetriesOnNewWord) {
  const word r = ver(3) | fs::valid | 1;
  test_frame t(r);
  std::vector<word> seen;
  const word ns = frame_ops::unpin(t.fr, [&](word s) {
    seen.push_back(s);
    if (seen.size() == 1) {
      word o = t.now();
      EXPECT_EQ(frame_ops::try_pin(t.fr, o, false, no_rule), pin_result::pinned);
    }
    return fs::unpinned(s, false);
  });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1], r + 1);
  EXPECT_EQ(ns, r);
  EXPECT_EQ(t.now(), r) << "the other pin is still counted";
}

// ------------------------------------------------------- R --claim--> E etc.
//
// claim and set_usage CAS from exactly the caller's word and do not test the
// diagram's guard (pins = 0, !busy, !wrt, valid) themselves: every caller
// reads the word and checks frame_state::evictable first. So these tests
// claim from evictable words, and a claim is refused when the word changed.

// R --claim--> E from exactly the word read; everything else is kept.
TEST(FrameOps, ClaimFromUnpinnedValidIdleWord) {
  const word r = ver(3) | fs::valid | fs::dirty | use(2);
  test_frame t(r);
  word s = t.now();
  ASSERT_TRUE(fs::evictable(s));
  EXPECT_TRUE(frame_ops::claim(t.fr, s));
  EXPECT_EQ(t.now(), r | fs::busy);
  EXPECT_EQ(s, r) << "the caller keeps the word it claimed from";
  word again = r;  // a second claimer that read the same word
  EXPECT_FALSE(frame_ops::claim(t.fr, again)) << "claimed twice";
  EXPECT_EQ(t.now(), r | fs::busy);
  word p = t.now();
  EXPECT_EQ(frame_ops::try_pin(t.fr, p, false, no_rule), pin_result::busy)
      << "no pin while claimed";
  EXPECT_EQ(t.now(), r | fs::busy);
}

// Write-back's claim (W1) also clears dirty.
TEST(FrameOps, ClaimClearDirty) {
  const word r = ver(3) | fs::valid | fs::dirty | use(2);
  test_frame t(r);
  word s = t.now();
  EXPECT_TRUE(frame_ops::claim(t.fr, s, /*clear_dirty=*/true));
  EXPECT_EQ(t.now(), ver(3) | fs::valid | fs::busy | use(2));
}

// A claim from a word that no longer holds fails and changes nothing: a pin
// taken, a write started, another claim, a usage change, or a new identity
// since the claimer read its (evictable) word.
TEST(FrameOps, ClaimFromStaleWordFails) {
  const word r = ver(3) | fs::valid | fs::dirty | use(2);
  const word since[] = {
      r | 1,                       // pinned
      (r & ~fs::dirty) | fs::wrt,  // write in flight (W)
      r | fs::busy,                // claimed by someone else
      fs::with_usage(r, 1),        // aged
      ver(4) | fs::valid,          // another identity
  };
  for (const word now : since) {
    for (const bool clear : {false, true}) {
      test_frame t(now);
      word s = r;
      EXPECT_FALSE(frame_ops::claim(t.fr, s, clear)) << std::hex << "0x" << now;
      EXPECT_EQ(t.now(), now) << std::hex << "0x" << now;
      EXPECT_EQ(s, now) << "the claimer learns the current word";
    }
  }
  // Through the ops: a pin after the read defeats the claim.
  test_frame t(r);
  word s = t.now();
  word p = t.now();
  ASSERT_EQ(frame_ops::try_pin(t.fr, p, false, no_rule), pin_result::pinned);
  EXPECT_FALSE(frame_ops::claim(t.fr, s));
  EXPECT_EQ(t.now(), r | 1);
}

// E --give_back--> R: exactly the word before the claim (dirty restored after
// a clear_dirty claim; busy cleared if the owner passes the claimed word).
TEST(FrameOps, GiveBackRestoresTheWordBefore) {
  const word r = ver(3) | fs::valid | fs::dirty | use(6);
  for (const bool clear : {false, true}) {
    test_frame t(r);
    word s = t.now();
    ASSERT_TRUE(frame_ops::claim(t.fr, s, clear));
    frame_ops::give_back(t.fr, s);
    EXPECT_EQ(t.now(), r);
  }
  test_frame t(r);  // the evictor's form: give_back(s | busy)
  word s = t.now();
  ASSERT_TRUE(frame_ops::claim(t.fr, s));
  frame_ops::give_back(t.fr, s | fs::busy);
  EXPECT_EQ(t.now(), r);
  word p = t.now();
  EXPECT_EQ(frame_ops::try_pin(t.fr, p, false, no_rule), pin_result::pinned) << "pinnable again";
}

// E --evictor--> E': make_blank after a claim: version + 1.
TEST(FrameOps, EvictionBlanksWithNextVersion) {
  test_frame t(ver(3) | fs::valid | fs::dirty | use(2));
  word s = t.now();
  ASSERT_TRUE(frame_ops::claim(t.fr, s));
  frame_ops::make_blank(t.fr);
  EXPECT_EQ(t.now(), ver(4) | fs::busy);
  word p = ver(3) | fs::valid | fs::dirty | use(2);
  EXPECT_EQ(frame_ops::try_pin(t.fr, p, false, no_rule), pin_result::changed);
  EXPECT_EQ(t.now(), ver(4) | fs::busy);
}

// ------------------------------------------------------------- write-back

// R --claim(clear_dirty)--> E --end_snapshot--> W --end_write--> R.
TEST(FrameOps, WriteBackCycle) {
  const word r = ver(3) | fs::valid | fs::dirty | use(2);
  test_frame t(r);
  word s = t.now();
  ASSERT_TRUE(frame_ops::claim(t.fr, s, true));
  const word w = (s & ~fs::dirty) | fs::wrt;  // as flush/writeback.cpp leaves it
  frame_ops::end_snapshot(t.fr, w);
  EXPECT_EQ(t.now(), ver(3) | fs::valid | fs::wrt | use(2)) << "W: not busy, clean, in flight";
  EXPECT_FALSE(fs::evictable(t.now())) << "no eviction while in flight";
  // Pins come and go in W.
  word p = t.now();
  ASSERT_EQ(frame_ops::try_pin(t.fr, p, false, no_rule), pin_result::pinned);
  frame_ops::end_write(t.fr, /*failed=*/false);
  EXPECT_EQ(t.now(), ver(3) | fs::valid | use(2) | 1) << "wrt cleared, clean, pin kept";
  ASSERT_NE(frame_ops::unpin(t.fr, put_read), 0u);
  EXPECT_TRUE(fs::evictable(t.now()));
}

// W --end_write(failed)--> R dirty again.
TEST(FrameOps, FailedWriteRedirties) {
  test_frame t(ver(3) | fs::valid | fs::wrt | use(2) | 1);
  frame_ops::end_write(t.fr, /*failed=*/true);
  EXPECT_EQ(t.now(), ver(3) | fs::valid | fs::dirty | use(2) | 1);
}

// A writer that dirtied the page during W keeps it dirty after a good write.
TEST(FrameOps, EndWriteKeepsDirtyOfWriterDuringWrite) {
  test_frame t(ver(3) | fs::valid | fs::wrt);
  word p = t.now();
  ASSERT_EQ(frame_ops::try_pin(t.fr, p, true, no_rule), pin_result::pinned);
  frame_ops::end_write(t.fr, false);
  EXPECT_EQ(t.now(), ver(4) | fs::valid | fs::dirty | writers(1) | 1);
}

// E --sync: page not to be written--> R: give_back restores dirty.
TEST(FrameOps, WriteBackSkipRestoresDirty) {
  const word r = ver(3) | fs::valid | fs::dirty;
  test_frame t(r);
  word s = t.now();
  ASSERT_TRUE(frame_ops::claim(t.fr, s, true));
  ASSERT_EQ(t.now() & fs::dirty, 0u);
  frame_ops::give_back(t.fr, s);
  EXPECT_EQ(t.now(), r);
}

// --------------------------------------------------------------- aging

// R --set_usage--> R from exactly the word read: only usage changes.
TEST(FrameOps, SetUsageFromExactWord) {
  const word r = ver(3) | fs::valid | fs::dirty | use(5);
  test_frame t(r);
  word s = t.now();
  EXPECT_TRUE(frame_ops::set_usage(t.fr, s, 2));
  EXPECT_EQ(t.now(), ver(3) | fs::valid | fs::dirty | use(2));
  word s0 = t.now();
  EXPECT_TRUE(frame_ops::set_usage(t.fr, s0, 0));
  EXPECT_EQ(t.now(), ver(3) | fs::valid | fs::dirty);
}

// A set_usage lost to a pin leaves the pinner's usage and pin.
TEST(FrameOps, SetUsageLostToPinChangesNothing) {
  const word r = ver(3) | fs::valid | use(1);
  test_frame t(r);
  word s = t.now();
  word p = t.now();
  ASSERT_EQ(frame_ops::try_pin(t.fr, p, false, count_hit), pin_result::pinned);
  const word pinned = t.now();
  ASSERT_EQ(pinned, ver(3) | fs::valid | use(2) | 1);
  EXPECT_FALSE(frame_ops::set_usage(t.fr, s, 0));
  EXPECT_EQ(t.now(), pinned);
  EXPECT_EQ(s, pinned) << "the policy learns the current word";
}

// ------------------------------------------------------------ concurrency

// Two threads pin and unpin one frame while a third claims it whenever it
// reads it evictable, as every claimer does. At the end no pin is left, every
// pin and put succeeded, and each successful claim took the frame with no pin
// held: the word claim matched had 0 pins, and nothing moved while it was held.
TEST(FrameOps, ConcurrentPinsAndClaims) {
  constexpr int n = 20000;
  const word r = ver(9) | fs::valid | fs::dirty;
  test_frame t(r);
  std::atomic<int> pinners_done{0};
  std::atomic<int> bad_pin{0}, bad_put{0}, bad_claim{0};
  std::atomic<long> claims{0};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);

  std::atomic<int> ready{0};
  auto start_together = [&] {
    ready.fetch_add(1);
    while (ready.load() < 3) std::this_thread::yield();
  };
  auto pinner = [&] {
    start_together();
    for (int i = 0; i < n; ++i) {
      for (;;) {
        word s = t.fr.state.load(std::memory_order_relaxed);
        const pin_result res = frame_ops::try_pin(t.fr, s, false, count_hit);
        if (res == pin_result::pinned) break;
        if (res != pin_result::busy || std::chrono::steady_clock::now() > deadline) {
          bad_pin.fetch_add(1);
          pinners_done.fetch_add(1);
          return;
        }
        std::this_thread::yield();  // claimed: the claimer gives it back soon
      }
      const word ns = frame_ops::unpin(t.fr, [](word s) -> word {
        if (fs::pins(s) == 0 || (s & fs::busy) || !(s & fs::valid)) return 0;
        return fs::unpinned(s, false);
      });
      if (ns == 0) bad_put.fetch_add(1);
      if (i % 64 == 0) std::this_thread::yield();  // leave the claimer a gap
      for (int k = 0; k < (i & 7); ++k)
        (void)t.fr.state.load(std::memory_order_relaxed);  // and short ones
    }
    pinners_done.fetch_add(1);
  };
  auto claimer = [&] {
    start_together();
    while (pinners_done.load() < 2) {
      word s = t.fr.state.load(std::memory_order_relaxed);
      if (!fs::evictable(s)) continue;
      // Widen the gap between the read and the claim, so that pins land in
      // it: the claim must then fail, not take a pinned frame.
      for (int k = 0; k < 32; ++k) (void)t.fr.state.load(std::memory_order_relaxed);
      if (!frame_ops::claim(t.fr, s)) continue;
      claims.fetch_add(1, std::memory_order_relaxed);
      // s is the word the claim replaced.
      if (fs::pins(s) != 0 || (s & fs::busy)) bad_claim.fetch_add(1);
      for (int k = 0; k < 4; ++k) {  // held: no pin gets in
        if (t.fr.state.load(std::memory_order_relaxed) != (s | fs::busy)) bad_claim.fetch_add(1);
      }
      frame_ops::give_back(t.fr, s);
      std::this_thread::yield();  // let the pinners in
    }
  };
  std::thread a(pinner), b(pinner), c(claimer);
  a.join();
  b.join();
  c.join();
  EXPECT_EQ(bad_pin.load(), 0) << "a pin failed other than on a claimed frame, or timed out";
  EXPECT_EQ(bad_put.load(), 0);
  EXPECT_EQ(bad_claim.load(), 0);
  const word end = t.now();
  EXPECT_EQ(fs::pins(end), 0u);
  EXPECT_EQ(end & ~fs::usage_mask, r) << "version, flags and counts as before";
  word s = end;
  EXPECT_TRUE(frame_ops::claim(t.fr, s)) << "claimable once the pins are gone";
  RecordProperty("claims", static_cast<int>(claims.load()));
}

}  // namespace
}  // namespace pagepool::internal
