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
//
// This file holds F, E', L -> R, pin and unpin; claim, write-back, aging and
// the concurrent test are in frame_ops_claim_write_test.cpp, the shared
// helpers in frame_ops_test_support.hpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "frame/frame.hpp"
#include "frame_ops_test_support.hpp"

namespace pagepool::internal {
namespace {

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
}  // namespace
}  // namespace pagepool::internal
