// tests/tools/tool_run.hpp: runs the pagepool-bench binary and captures its
// stdout and exit status.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace pagepool::test {

struct tool_output {
  int status = -1;  // exit status, or -1 if it did not exit normally
  std::vector<std::string> lines;
  [[nodiscard]] std::string last() const { return lines.empty() ? std::string() : lines.back(); }
};

/// Runs PAGEPOOL_BENCH_EXE with `args` (already shell-quoted where needed);
/// stderr passes through to the test's.
inline tool_output run_tool(const std::string& args) {
  tool_output out;
  const std::string cmd = std::string("'") + PAGEPOOL_BENCH_EXE + "' " + args;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  std::string all;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) all.append(buf, n);
  const int st = ::pclose(p);
  out.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::istringstream in(all);
  for (std::string line; std::getline(in, line);) out.lines.push_back(line);
  return out;
}

}  // namespace pagepool::test
