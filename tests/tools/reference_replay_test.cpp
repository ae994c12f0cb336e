// tests/tools/reference_replay_test.cpp: the through-the-real-pool exactness
// check. For every policy column of lirs_sprite's table in
// shared/traces/REFERENCE.md, `pagepool-bench replay` (one thread, one region,
// exactly c frames) must end with the table's miss count at each c. The
// expected counts are read from REFERENCE.md itself, not copied here.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "tool_run.hpp"

namespace {

const std::filesystem::path shared_dir = PAGEPOOL_SHARED_DIR;

/// c -> (column -> misses) for the table under "## <trace>".
std::map<std::uint64_t, std::map<std::string, std::uint64_t>> reference_table(const std::string& trace) {
  std::map<std::uint64_t, std::map<std::string, std::uint64_t>> out;
  std::ifstream f(shared_dir / "traces" / "REFERENCE.md");
  std::string line;
  bool in_section = false;
  std::vector<std::string> columns;
  auto cells = [](const std::string& l) {
    std::vector<std::string> v;
    std::stringstream ss(l);
    std::string c;
    while (std::getline(ss, c, '|')) {
      const auto b = c.find_first_not_of(' '), e = c.find_last_not_of(' ');
      v.push_back(b == std::string::npos ? std::string() : c.substr(b, e - b + 1));
    }
    return v;  // v[0] is the text before the first '|'
  };
  while (std::getline(f, line)) {
    if (line.rfind("## ", 0) == 0) {
      in_section = line.rfind("## " + trace, 0) == 0;
      columns.clear();
      continue;
    }
    if (!in_section || line.empty() || line[0] != '|') continue;
    const auto v = cells(line);
    if (v.size() < 3) continue;
    if (v[1] == "c") {
      columns = v;
      continue;
    }
    if (columns.empty() || v[1].find_first_not_of("0123456789") != std::string::npos) continue;  // |---:|
    const std::uint64_t c = std::stoull(v[1]);
    for (std::size_t i = 2; i < v.size() && i < columns.size(); ++i)
      if (!v[i].empty()) out[c][columns[i]] = std::stoull(v[i]);
  }
  return out;
}

class ReferenceReplay : public ::testing::TestWithParam<const char*> {};

TEST_P(ReferenceReplay, LirsSpriteMissesEqualTheReferenceCounts) {
  const std::filesystem::path trace = shared_dir / "traces" / "lirs_sprite.txt";
  if (!std::filesystem::exists(trace) || !std::filesystem::exists(shared_dir / "traces" / "REFERENCE.md")) {
    GTEST_SKIP() << "\n*** SKIPPED: " << trace.string()
                 << " or REFERENCE.md is missing (the shared/ folder beside the source tree);"
                 << " the through-the-pool exactness check did NOT run ***";
  }
  const auto table = reference_table("lirs_sprite.txt");
  ASSERT_EQ(table.size(), 3u) << "REFERENCE.md's lirs_sprite table not found or changed shape";
  // Column names in REFERENCE.md and the tool's policy names.
  const std::map<std::string, std::string> column_of{{"clock", "CLOCK"}, {"lru", "LRU"},   {"fifo", "FIFO"},
                                                     {"sieve", "SIEVE"}, {"s3fifo", "S3-FIFO"}, {"arc", "ARC"},
                                                     {"opt", "OPT"}};
  const std::string policy = GetParam();
  const std::regex final_line(R"(^requests=(\d+) misses=(\d+) miss_ratio=[0-9.]+$)");
  for (const auto& [c, row] : table) {
    const auto want = row.find(column_of.at(policy));
    ASSERT_NE(want, row.end()) << "no " << column_of.at(policy) << " column";
    const pagepool::test::tool_output o = pagepool::test::run_tool(
        "replay --policy " + policy + " --cache-pages " + std::to_string(c) + " --regions 1 --threads 1 '" +
        trace.string() + "'");
    ASSERT_EQ(o.status, 0) << policy << " c=" << c;
    std::smatch m;
    const std::string last = o.last();
    ASSERT_TRUE(std::regex_match(last, m, final_line)) << last;
    EXPECT_EQ(std::stoull(m[1]), 133996u);
    EXPECT_EQ(std::stoull(m[2]), want->second) << policy << " at c=" << c;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryPolicy, ReferenceReplay,
                         ::testing::Values("clock", "lru", "fifo", "sieve", "s3fifo", "arc", "opt"),
                         [](const ::testing::TestParamInfo<const char*>& i) { return std::string(i.param); });

}  // namespace
