// Unit tests of src/policy/clock.hpp: textbook CLOCK decisions, the bound,
// and concurrent sweeps over an atomic frame view.
#include "policy/clock.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "policy/simulate.hpp"
#include "policy_test_support.hpp"

namespace pagepool::policy {
namespace {

using test::belady_string;
using test::stepper;

TEST(Clock, OnHitUsageSetsAtLeastOne) {
  EXPECT_EQ(clock_policy::on_hit_usage(0), 1u);
  EXPECT_EQ(clock_policy::on_hit_usage(1), 1u);
  EXPECT_EQ(clock_policy::on_hit_usage(5), 5u);
}

// Hand-checked: 1 2 3 fill f0 f1 f2; 4 5... each miss takes the frame under
// the hand; the hits on 1 and 2 (in f1, f2) make the hand clear both bits
// and come round to f0 for page 3; then f1 (1), f2 (2).
TEST(Clock, BeladyStringWithThreeFramesMatchesTheTextbook) {
  stepper<clock_policy> s(3);
  std::vector<frame_id> victims;
  for (std::uint32_t pg : belady_string) {
    const auto r = s.access(pg);
    if (r.victim != no_frame) victims.push_back(r.victim);
  }
  EXPECT_EQ(victims, (std::vector<frame_id>{0, 1, 2, 0, 0, 1, 2}));
  EXPECT_EQ(s.frame_of(3), 0u);
  EXPECT_EQ(s.frame_of(4), 1u);
  EXPECT_EQ(s.frame_of(5), 2u);
  EXPECT_EQ(simulate_misses<clock_policy>(belady_string, 3), 10u);
}

TEST(Clock, HandRestsOnePastTheVictim) {
  clock_policy p(4);
  basic_frames v(4);
  v.hit(0, 1);
  EXPECT_EQ(p.evict(page_key{}, v), 1u);  // f0 spared (1 -> 0)
  EXPECT_EQ(v.usage(0), 0u);
  v.hit(2, 1);
  EXPECT_EQ(p.evict(page_key{}, v), 3u);  // starts at f2: spared; f3
  EXPECT_EQ(p.evict(page_key{}, v), 0u);  // wraps to f0
  EXPECT_EQ(p.evict(page_key{}, v), 1u);
  EXPECT_EQ(p.evict(page_key{}, v), 2u);  // f2's bit was cleared on the way
}

// The rest of a batch a thread keeps (issue 12) is per instance: a thread
// that evicts from two CLOCKs in turn sees in each exactly the hand that
// textbook CLOCK moves, as a thread with one instance does.
TEST(Clock, InstancesInTurnKeepTheirOwnHands) {
  clock_policy a(5), b(5);
  basic_frames va(5), vb(5);
  va.hit(0, 1);
  vb.hit(1, 1);
  EXPECT_EQ(a.evict(page_key{}, va), 1u);  // a: f0 spared
  EXPECT_EQ(b.evict(page_key{}, vb), 0u);  // b: f0 taken
  EXPECT_EQ(a.evict(page_key{}, va), 2u);  // a goes on past f1
  EXPECT_EQ(b.evict(page_key{}, vb), 2u);  // b: f1 spared, f2
  EXPECT_EQ(a.evict(page_key{}, va), 3u);
  EXPECT_EQ(a.evict(page_key{}, va), 4u);
  EXPECT_EQ(a.evict(page_key{}, va), 0u);  // a wraps; f0's bit was cleared
  EXPECT_EQ(b.evict(page_key{}, vb), 3u);
  // The same replays, each instance alone, give the same counts.
  const std::vector<std::uint32_t> t1 = {0, 1, 2, 3, 0, 4, 5, 0, 1, 6, 2, 7, 0, 3, 8, 1, 9, 0, 2, 4, 1, 5};
  std::vector<std::uint32_t> t2;
  for (std::uint32_t x : t1) t2.push_back((x * 7 + 3) % 11);
  const std::uint64_t alone1 = simulate_misses<clock_policy>(t1, 4),
                      alone2 = simulate_misses<clock_policy>(t2, 3);
  // In turn: one request of each, through two instances, in one thread.
  struct sim {
    clock_policy p;
    basic_frames v;
    std::vector<std::int64_t> page_of;
    std::uint64_t misses = 0;
    explicit sim(std::uint32_t c) : p(c), v(c), page_of(c, -1) {}
    void get(std::uint32_t pg) {
      for (std::uint32_t f = 0; f < page_of.size(); ++f)
        if (page_of[f] == pg) {
          v.hit(f, clock_policy::on_hit_usage(v.usage(f)));
          return;
        }
      ++misses;
      for (std::uint32_t f = 0; f < page_of.size(); ++f)
        if (page_of[f] < 0) {
          page_of[f] = pg;
          return;
        }
      const frame_id f = p.evict(page_key{}, v);
      ASSERT_LT(f, page_of.size());
      v.reset(f);
      page_of[f] = pg;
    }
  };
  sim s1(4), s2(3);
  for (std::size_t i = 0; i < t1.size(); ++i) {
    s1.get(t1[i]);
    s2.get(t2[i]);
  }
  EXPECT_EQ(s1.misses, alone1);
  EXPECT_EQ(s2.misses, alone2);
}

TEST(Clock, PinnedFramesAreSkippedAndAllPinnedGivesNoFrame) {
  clock_policy p(4);
  basic_frames v(4);
  v.pin(0, true);
  v.pin(1, true);
  v.hit(2, usage_max);
  EXPECT_EQ(p.evict(page_key{}, v), 3u);
  v.pin(3, true);
  // f2 wears down its count (7 passes), then is taken.
  EXPECT_EQ(p.evict(page_key{}, v), 2u);
  v.pin(2, true);
  EXPECT_EQ(p.evict(page_key{}, v), no_frame);
  v.pin(1, false);
  EXPECT_EQ(p.evict(page_key{}, v), 1u);
  EXPECT_EQ(p.size(), 0u);
}

TEST(Clock, EmptyViewGivesNoFrame) {
  clock_policy p(0);
  basic_frames v(0);
  EXPECT_EQ(p.evict(page_key{}, v), no_frame);
}

// A thread-safe view: usage counts and a claimed flag per frame, all atomic,
// as the pool's state words are. A claimed frame cannot be claimed again
// (busy) until the test releases it.
class atomic_frames {
 public:
  explicit atomic_frames(std::uint32_t n) : n_(n), usage_(new std::atomic<std::uint32_t>[n]), busy_(new std::atomic<bool>[n]) {
    for (std::uint32_t i = 0; i < n; ++i) {
      usage_[i].store(i % 4, std::memory_order_relaxed);
      busy_[i].store(false, std::memory_order_relaxed);
    }
  }
  std::uint32_t size() const noexcept { return n_; }
  std::uint32_t usage(frame_id f) const noexcept { return usage_[f].load(std::memory_order_relaxed); }
  bool set_usage(frame_id f, std::uint32_t from, std::uint32_t to) noexcept {
    if (busy_[f].load(std::memory_order_relaxed)) return false;
    // relaxed: the count is a hint, as in the pool's view.
    return usage_[f].compare_exchange_strong(from, to, std::memory_order_relaxed);
  }
  bool claim(frame_id f) noexcept {
    bool expect = false;
    // acq_rel: the claim is the hand-over of the frame to one evictor.
    return busy_[f].compare_exchange_strong(expect, true, std::memory_order_acq_rel);
  }

 private:
  std::uint32_t n_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> usage_;
  std::unique_ptr<std::atomic<bool>[]> busy_;
};
static_assert(eviction_policy<clock_policy, atomic_frames>);

TEST(Clock, ConcurrentSweepsClaimEveryFrameExactlyOnce) {
  constexpr std::uint32_t n = 4096;
  constexpr int threads = 4;
  clock_policy p(n);
  atomic_frames v(n);
  std::vector<std::vector<frame_id>> got(threads);
  std::vector<std::thread> team;
  std::atomic<int> ready{0};
  for (int t = 0; t < threads; ++t) {
    team.emplace_back([&, t] {
      // Start together, so that the sweeps overlap. relaxed: only a rendezvous,
      // the data the threads share is all atomic.
      ready.fetch_add(1, std::memory_order_relaxed);
      while (ready.load(std::memory_order_relaxed) < threads) std::this_thread::yield();
      for (;;) {
        const frame_id f = p.evict(page_key{}, v);
        if (f == no_frame) return;  // nothing claimable is left
        got[t].push_back(f);
      }
    });
  }
  for (auto& th : team) th.join();
  // The oracle: every frame was claimed, by exactly one thread.
  std::vector<int> times(n, 0);
  std::size_t total = 0;
  for (const auto& g : got) {
    total += g.size();
    for (frame_id f : g) {
      ASSERT_LT(f, n);
      ++times[f];
    }
  }
  EXPECT_EQ(total, n);
  for (std::uint32_t f = 0; f < n; ++f) EXPECT_EQ(times[f], 1) << "frame " << f;
}

}  // namespace
}  // namespace pagepool::policy
