// tests/tools/commands_test.cpp: `pagepool-bench compare` and `run` through
// the binary: compare's OPT and LRU cells against direct computations, its
// table and JSON; run's hit workload hits every time, its write workload
// writes pages back.
#include <gtest/gtest.h>

#include <fstream>
#include <list>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "policy/opt.hpp"
#include "replay.hpp"
#include "support/temp_dir.hpp"
#include "tool_run.hpp"
#include "workloads.hpp"

namespace pagepool::bench {
namespace {

std::vector<std::uint32_t> zipf_trace(std::size_t n) {
  workload_spec s;
  s.kind = shape::zipf;
  s.pages = 300;
  s.theta = 0.8;
  const workload_tables t(s, 21);
  request_stream st(t, 21, 0);
  std::vector<std::uint32_t> v(n);
  for (auto& p : v) p = st.next().pgno;
  return v;
}

std::uint64_t lru_misses(const std::vector<std::uint32_t>& trace, std::size_t c) {
  std::list<std::uint32_t> order;
  std::unordered_map<std::uint32_t, std::list<std::uint32_t>::iterator> where;
  std::uint64_t misses = 0;
  for (std::uint32_t p : trace) {
    if (auto it = where.find(p); it != where.end()) {
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

TEST(CompareCommand, GivesOptAndEveryPolicyAtEverySizeWithTheirDistanceToOpt) {
  test::temp_dir dir;
  const std::vector<std::uint32_t> trace = zipf_trace(20000);
  {
    std::ofstream f(dir.file("t.txt"));
    for (std::uint32_t p : trace) f << p << '\n';
  }
  const test::tool_output o = test::run_tool("compare " + dir.file("t.txt") + " --sizes 10%,40 --policies lru,fifo --json " +
                                             dir.file("c.json"));
  ASSERT_EQ(o.status, 0);
  std::ifstream f(dir.file("c.json"));
  const nlohmann::json j = nlohmann::json::parse(f);
  const dense_trace d = densify(trace);
  EXPECT_EQ(j.at("requests"), trace.size());
  EXPECT_EQ(j.at("unique_pages"), d.unique);
  ASSERT_EQ(j.at("sizes").size(), 2u);
  for (const auto& s : j.at("sizes")) {
    const std::size_t c = s.at("cache_pages");
    EXPECT_TRUE(c == 40 || c == pages_for_percent(d.unique, 10)) << c;
    const std::uint64_t opt = policy::opt_misses(d.pages, c);
    EXPECT_EQ(s.at("opt").at("misses"), opt);
    ASSERT_EQ(s.at("policies").size(), 2u);
    for (const auto& p : s.at("policies")) {
      const double mr = p.at("miss_ratio");
      const double opt_mr = static_cast<double>(opt) / trace.size();
      EXPECT_NEAR(p.at("opt_distance_abs").get<double>(), mr - opt_mr, 1e-12);
      EXPECT_NEAR(p.at("opt_distance_rel").get<double>(), mr / opt_mr - 1, 1e-12);
      EXPECT_GE(p.at("misses").get<std::uint64_t>(), opt);  // nothing beats OPT
      if (p.at("policy") == "lru") {
        EXPECT_EQ(p.at("misses"), lru_misses(trace, c));
      }
    }
  }
  // The table: a header and one row per (size, policy), OPT included.
  int rows = 0;
  for (const auto& l : o.lines) rows += l.rfind("| 10% |", 0) == 0 || l.rfind("| 40 |", 0) == 0 ? 1 : 0;
  EXPECT_EQ(rows, 6);
}

TEST(RunCommand, HitWorkloadKeepsEveryPageResident) {
  test::temp_dir dir;
  const test::tool_output o = test::run_tool(
      "run --workload hit --pages 2000 --threads 1,2 --policies clock,lru --seconds 0.05 --warmup 0 --json " +
      dir.file("r.json") + " 2>/dev/null");
  ASSERT_EQ(o.status, 0);
  std::ifstream f(dir.file("r.json"));
  const nlohmann::json j = nlohmann::json::parse(f);
  EXPECT_EQ(j.at("cache_pages"), 2000);
  ASSERT_EQ(j.at("results").size(), 4u);
  for (const auto& r : j.at("results")) {
    EXPECT_GT(r.at("requests").get<std::uint64_t>(), 0u);
    EXPECT_EQ(r.at("misses"), 0) << r.dump();
    EXPECT_EQ(r.at("hit_ratio"), 1.0);
  }
}

TEST(RunCommand, WriteWorkloadWritesEvictedPagesBack) {
  test::temp_dir dir;
  const test::tool_output o = test::run_tool(
      "run --workload write --pages 4000 --cache-pages 100 --threads 1 --policies fifo --seconds 0.1 --warmup 0 "
      "--json " + dir.file("w.json") + " 2>/dev/null");
  ASSERT_EQ(o.status, 0);
  std::ifstream f(dir.file("w.json"));
  const nlohmann::json j = nlohmann::json::parse(f);
  EXPECT_EQ(j.at("write_share"), 1.0);
  const auto& r = j.at("results").at(0);
  EXPECT_GT(r.at("misses").get<std::uint64_t>(), 0u);
  EXPECT_GT(r.at("pages_written").get<std::uint64_t>(), 0u);
  // Every page written was dirtied by a miss's request: no more than misses.
  EXPECT_LE(r.at("pages_written").get<std::uint64_t>(), r.at("misses").get<std::uint64_t>() + 100);
}

}  // namespace
}  // namespace pagepool::bench
