// tests/tools/replay_test.cpp: pagepool-bench's replay through the real pool
// against direct simulations (LRU and FIFO, which need no reference), its
// output format, its JSON, and its exit codes.
#include <gtest/gtest.h>

#include <fstream>
#include <list>
#include <regex>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "replay.hpp"
#include "support/temp_dir.hpp"
#include "tool_run.hpp"
#include "workloads.hpp"

namespace pagepool::bench {
namespace {

/// Exact LRU: misses of a cache of c pages.
std::uint64_t lru_misses(const std::vector<std::uint32_t>& trace, std::size_t c) {
  std::list<std::uint32_t> order;  // front: most recent
  std::unordered_map<std::uint32_t, std::list<std::uint32_t>::iterator> where;
  std::uint64_t misses = 0;
  for (std::uint32_t p : trace) {
    auto it = where.find(p);
    if (it != where.end()) {
      order.splice(order.begin(), order, it->second);
      continue;
    }
    ++misses;
    if (order.size() == c) {
      where.erase(order.back());
      order.pop_back();
    }
    order.push_front(p);
    where[p] = order.begin();
  }
  return misses;
}

/// FIFO: misses of a cache of c pages.
std::uint64_t fifo_misses(const std::vector<std::uint32_t>& trace, std::size_t c) {
  std::list<std::uint32_t> order;
  std::unordered_map<std::uint32_t, bool> in;
  std::uint64_t misses = 0;
  for (std::uint32_t p : trace) {
    if (in.count(p) != 0) continue;
    ++misses;
    if (order.size() == c) {
      in.erase(order.back());
      order.pop_back();
    }
    order.push_front(p);
    in[p] = true;
  }
  return misses;
}

/// A trace with locality, loops and scans: the mixed workload over 400 pages.
std::vector<std::uint32_t> small_trace(std::size_t n) {
  workload_spec s;
  s.kind = shape::mixed;
  s.pages = 400;
  s.phase_length = 3000;
  const workload_tables t(s, 11);
  request_stream st(t, 11, 0);
  std::vector<std::uint32_t> v(n);
  for (auto& p : v) p = st.next().pgno * 3 + 1;  // sparse page numbers: densify's job
  return v;
}

TEST(Densify, NumbersPagesByFirstAppearance) {
  const std::vector<std::uint32_t> raw{70, 5, 70, 1u << 30, 5, 9};
  const dense_trace d = densify(raw);
  EXPECT_EQ(d.unique, 4u);
  EXPECT_EQ(d.pages, (std::vector<std::uint32_t>{0, 1, 0, 2, 1, 3}));
}

TEST(PagesForPercent, IsTheReferenceFormula) {
  EXPECT_EQ(pages_for_percent(7075, 1), 70u);
  EXPECT_EQ(pages_for_percent(7075, 5), 353u);
  EXPECT_EQ(pages_for_percent(7075, 10), 707u);
  EXPECT_EQ(pages_for_percent(50, 1), 1u);  // floor(0.5) -> at least one page
}

TEST(ReplayTrace, SingleThreadedLruAndFifoMissesEqualADirectSimulation) {
  const std::vector<std::uint32_t> raw = small_trace(40000);
  const dense_trace d = densify(raw);
  for (std::size_t c : {1u, 7u, 50u, 200u, 399u}) {
    for (policy_kind k : {policy_kind::lru, policy_kind::fifo}) {
      replay_config cfg;
      cfg.policy = k;
      cfg.cache_pages = c;
      replay_result r;
      std::string err;
      ASSERT_TRUE(replay_trace(d.pages, d.unique, cfg, nullptr, r, err)) << err;
      EXPECT_EQ(r.requests, raw.size());
      const std::uint64_t want = k == policy_kind::lru ? lru_misses(raw, c) : fifo_misses(raw, c);
      EXPECT_EQ(r.misses, want) << policy_name(k) << " c=" << c;
    }
  }
}

TEST(ReplayTrace, FileBackingCountsTheSameMissesAsMemory) {
  const std::vector<std::uint32_t> raw = small_trace(10000);
  const dense_trace d = densify(raw);
  replay_config cfg;
  cfg.policy = policy_kind::lru;
  cfg.cache_pages = 64;
  replay_result mem, fil;
  std::string err;
  ASSERT_TRUE(replay_trace(d.pages, d.unique, cfg, nullptr, mem, err)) << err;
  cfg.back = backing::file;
  ASSERT_TRUE(replay_trace(d.pages, d.unique, cfg, nullptr, fil, err)) << err;
  EXPECT_EQ(fil.misses, mem.misses);
  EXPECT_EQ(mem.misses, lru_misses(raw, 64));
}

TEST(ReplayTrace, SeveralThreadsReplayEveryRequestOnce) {
  const std::vector<std::uint32_t> raw = small_trace(20000);
  const dense_trace d = densify(raw);
  replay_config cfg;
  cfg.policy = policy_kind::clock;
  cfg.cache_pages = 100;
  cfg.threads = 3;
  cfg.regions = 2;
  replay_result r;
  std::string err;
  ASSERT_TRUE(replay_trace(d.pages, d.unique, cfg, nullptr, r, err)) << err;
  EXPECT_EQ(r.requests, raw.size());
  // Every distinct page misses at least once, and no more often than asked.
  EXPECT_GE(r.misses, d.unique);
  EXPECT_LE(r.misses, r.requests);
}

class ReplayCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    trace_ = dir_.file("t.txt");
    std::ofstream f(trace_);
    for (std::uint32_t p : small_trace(5000)) f << p << '\n';
  }
  test::temp_dir dir_;
  std::string trace_;
};

const std::regex final_line(R"(^requests=(\d+) misses=(\d+) miss_ratio=([0-9]+\.[0-9]+)$)");

TEST_F(ReplayCommand, EndsWithTheResultLineAfterAThroughputLine) {
  const test::tool_output o = test::run_tool("replay --policy lru --cache-pages 50 " + trace_);
  ASSERT_EQ(o.status, 0);
  std::smatch m;
  const std::string last = o.last();
  ASSERT_TRUE(std::regex_match(last, m, final_line)) << last;
  const std::uint64_t requests = std::stoull(m[1]), misses = std::stoull(m[2]);
  EXPECT_EQ(requests, 5000u);
  EXPECT_EQ(misses, lru_misses(small_trace(5000), 50));
  EXPECT_NEAR(std::stod(m[3]), static_cast<double>(misses) / requests, 1e-6);
  ASSERT_GE(o.lines.size(), 2u);
  EXPECT_EQ(o.lines[o.lines.size() - 2].rfind("throughput: ", 0), 0u) << o.lines[o.lines.size() - 2];
}

TEST_F(ReplayCommand, WithThreadsAlsoGivesTheSingleThreadedRatioAndTheDifference) {
  const std::string json = dir_.file("r.json");
  const test::tool_output o =
      test::run_tool("replay --policy clock --cache-pages 10% --threads 2 --json " + json + " " + trace_);
  ASSERT_EQ(o.status, 0);
  ASSERT_TRUE(std::regex_match(o.last(), final_line)) << o.last();
  bool single = false, diff = false;
  for (const auto& l : o.lines) {
    single |= l.rfind("single_thread: requests=5000 misses=", 0) == 0;
    diff |= l.rfind("relative_difference=", 0) == 0;
  }
  EXPECT_TRUE(single);
  EXPECT_TRUE(diff);
  std::ifstream f(json);
  const nlohmann::json j = nlohmann::json::parse(f);
  EXPECT_EQ(j.at("threads"), 2);
  EXPECT_EQ(j.at("result").at("requests"), 5000);
  EXPECT_TRUE(j.contains("single_thread"));
  EXPECT_TRUE(j.contains("relative_difference"));
}

TEST_F(ReplayCommand, BadArgumentsExitWithTwo) {
  EXPECT_EQ(test::run_tool("replay --policy nosuch --cache-pages 5 " + trace_ + " 2>/dev/null").status, 2);
  EXPECT_EQ(test::run_tool("replay --policy lru " + trace_ + " 2>/dev/null").status, 2);  // no size
  EXPECT_EQ(test::run_tool("replay --policy lru --cache-pages 0 " + trace_ + " 2>/dev/null").status, 2);
  EXPECT_EQ(test::run_tool("replay --policy lru --cache-pages 5 --page-size 1000 " + trace_ + " 2>/dev/null").status,
            2);
  EXPECT_EQ(test::run_tool("nosuchcommand 2>/dev/null").status, 2);
}

TEST_F(ReplayCommand, AnUnreadableTraceExitsWithOne) {
  const test::tool_output o = test::run_tool("replay --policy lru --cache-pages 5 " + dir_.file("missing.txt") +
                                             " 2>/dev/null");
  EXPECT_EQ(o.status, 1);
  EXPECT_TRUE(o.lines.empty() || o.last().rfind("requests=", 0) != 0);
}

}  // namespace
}  // namespace pagepool::bench
