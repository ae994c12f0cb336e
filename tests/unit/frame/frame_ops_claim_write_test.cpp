// Unit tests of src/frame/frame.hpp's frame_ops, part two: claiming a
// resident frame for eviction (R --claim--> E, giving it back, blanking it),
// the write-back cycle (W), aging (set_usage), and pins racing claims on
// threads. The states F, E', L -> R, pinning and unpinning are in
// frame_ops_test.cpp, whose header comment explains the letters and how a
// lost CAS is made deterministic; the shared helpers are in
// frame_ops_test_support.hpp.
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
