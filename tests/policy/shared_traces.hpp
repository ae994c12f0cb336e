// tests/policy/shared_traces.hpp: the shipped traces of ../shared/traces,
// read once per test process (the reference-count tests of several files
// share them).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "policy/trace.hpp"

namespace pagepool::policy::test {

/// Trace `file` of ../shared/traces, or nullptr with `why` set: "SKIPPED
/// LOUDLY: ..." if the shared directory is missing (a clone without it),
/// else the reader's error.
inline const std::vector<std::uint32_t>* shared_trace(const std::string& file, std::string& why) {
  static std::map<std::string, std::vector<std::uint32_t>> cache;
  if (auto it = cache.find(file); it != cache.end()) return &it->second;
  const std::filesystem::path path = std::filesystem::path(PAGEPOOL_SHARED_DIR) / "traces" / file;
  if (!std::filesystem::exists(path)) {
    why = "SKIPPED LOUDLY: " + path.string() +
          " is missing; the shared directory (../shared beside the source tree) is needed "
          "for the reference miss counts";
    return nullptr;
  }
  std::vector<std::uint32_t> t;
  if (!read_trace(path.string(), t, &why)) return nullptr;
  return &(cache[file] = std::move(t));
}

}  // namespace pagepool::policy::test
