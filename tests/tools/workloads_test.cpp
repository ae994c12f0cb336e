// tests/tools/workloads_test.cpp: the synthetic request streams of
// bench/pagepool-bench/workloads.hpp have the statistics they claim, for
// fixed seeds. The Zipf distribution they draw from is tested with the test
// kit (tests/testkit/zipf_test.cpp).
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "workloads.hpp"

namespace pagepool::bench {
namespace {

TEST(RequestStream, ZipfStreamScattersRanksOverEveryPageAndIsSeeded) {
  workload_spec s;
  s.kind = shape::zipf;
  s.pages = 500;
  s.theta = 0.99;
  const workload_tables t(s, 7);
  // The permutation is one: every page is some rank's page.
  std::vector<int> seen(s.pages, 0);
  for (std::uint32_t k = 0; k < s.pages; ++k) ++seen[t.page_of_rank(k)];
  for (std::uint32_t p = 0; p < s.pages; ++p) ASSERT_EQ(seen[p], 1) << p;
  // The hottest page of the stream is rank 0's page.
  request_stream a(t, 7, 0);
  std::map<std::uint32_t, int> count;
  for (int i = 0; i < 200000; ++i) ++count[a.next().pgno];
  std::uint32_t hottest = 0;
  for (const auto& [p, c] : count)
    if (c > count[hottest]) hottest = p;
  EXPECT_EQ(hottest, t.page_of_rank(0));
  // Same seed and thread: the same stream; another thread: another one.
  request_stream b(t, 7, 0), c(t, 7, 1);
  request_stream a2(t, 7, 0);
  int differ = 0;
  for (int i = 0; i < 1000; ++i) {
    const request x = a2.next();
    EXPECT_EQ(x, b.next());
    differ += x == c.next() ? 0 : 1;
  }
  EXPECT_GT(differ, 500);
}

TEST(RequestStream, ZipfStreamOfAFixedSeedIsPinned) {
  // A run is replayed by its seed: these pages are the stream of seed 7,
  // thread 0, on every platform and in every later version.
  workload_spec s;
  s.kind = shape::zipf;
  s.pages = 500;
  s.theta = 0.99;
  const workload_tables t(s, 7);
  request_stream st(t, 7, 0);
  const std::vector<std::uint32_t> want = {142, 199, 265, 170, 129, 381, 366, 142, 250, 468};
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(st.next().pgno, want[i]) << "request " << i;
  const std::vector<std::uint32_t> hottest = {366, 199, 335, 355, 142, 299};
  for (std::size_t k = 0; k < hottest.size(); ++k) EXPECT_EQ(t.page_of_rank(k), hottest[k]) << "rank " << k;
}

TEST(RequestStream, ScanMixesTheHotSetWithOneSequentialScanOfTheColdPages) {
  workload_spec s;
  s.kind = shape::scan;
  s.pages = 1000;
  s.hot_pages = 100;
  s.hot_share = 0.7;
  const workload_tables t(s, 3);
  request_stream st(t, 3, 0);
  constexpr int n = 200000;
  int hot = 0;
  std::int64_t last_cold = -1;
  for (int i = 0; i < n; ++i) {
    const std::uint32_t p = st.next().pgno;
    ASSERT_LT(p, s.pages);
    if (p < 100) {
      ++hot;
      continue;
    }
    if (last_cold >= 0) {  // the scan's next page, wrapping inside [100, 1000)
      const std::uint32_t want = last_cold + 1 == 1000 ? 100 : static_cast<std::uint32_t>(last_cold + 1);
      ASSERT_EQ(p, want) << "request " << i;
    }
    last_cold = p;
  }
  EXPECT_NEAR(hot / static_cast<double>(n), 0.7, 0.01);
}

TEST(RequestStream, LoopRepeatsItsPagesInOrder) {
  workload_spec s;
  s.kind = shape::loop;
  s.pages = 100;
  s.loop_pages = 30;
  const workload_tables t(s, 1);
  request_stream st(t, 1, 0);
  const std::uint32_t first = st.next().pgno;
  ASSERT_LT(first, 30u);
  for (int i = 1; i < 300; ++i) ASSERT_EQ(st.next().pgno, (first + i) % 30) << i;
}

TEST(RequestStream, ShiftMovesItsHotWindowEveryPeriod) {
  workload_spec s;
  s.kind = shape::shift;
  s.pages = 1000;
  s.hot_pages = 50;
  s.hot_share = 0.9;
  s.shift_every = 20000;
  const workload_tables t(s, 5);
  request_stream st(t, 5, 0);
  for (int period = 0; period < 5; ++period) {
    const std::uint32_t base = period * 50;
    int in = 0;
    for (int i = 0; i < 20000; ++i) {
      const std::uint32_t p = st.next().pgno;
      in += p >= base && p < base + 50 ? 1 : 0;
    }
    // In the window: the hot share, plus the uniform rest that lands there.
    EXPECT_NEAR(in / 20000.0, 0.9 + 0.1 * 50 / 1000.0, 0.01) << "period " << period;
  }
}

TEST(RequestStream, MixedRotatesThroughZipfScanLoopAndShift) {
  workload_spec s;
  s.kind = shape::mixed;
  s.pages = 100;
  s.phase_length = 10;
  const workload_tables t(s, 1);
  request_stream st(t, 1, 0);
  const shape order[] = {shape::zipf, shape::scan, shape::loop, shape::shift};
  for (int i = 0; i < 80; ++i) {
    EXPECT_EQ(st.current_shape(), order[(i / 10) % 4]) << i;
    (void)st.next();
  }
}

TEST(RequestStream, WriteShareIsTheShareOfWrites) {
  workload_spec s;
  s.kind = shape::uniform;
  s.pages = 100;
  s.write_share = 0.25;
  const workload_tables t(s, 9);
  request_stream st(t, 9, 0);
  int w = 0;
  for (int i = 0; i < 100000; ++i) w += st.next().write ? 1 : 0;
  EXPECT_NEAR(w / 100000.0, 0.25, 0.01);
  s.write_share = 1.0;
  const workload_tables t1(s, 9);
  request_stream all(t1, 9, 0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(all.next().write);
}

}  // namespace
}  // namespace pagepool::bench
