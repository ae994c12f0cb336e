// src/demo/options.hpp: the demo's command line (--help lists it).
#pragma once

#include <cstdint>
#include <string>

namespace pagepool_demo {

struct options {
  std::uint64_t pages = 16384;  // file size in pages (64 MiB)
  std::uint64_t frames = 2048;  // cache size in frames (8 MiB)
  unsigned regions = 2;
  unsigned threads = 0;  // 0: min(4, max(2, hardware threads))
  double seconds = 3.0;  // length of each timed phase
  std::uint64_t seed = 1;
  std::string dir;  // parent of the temporary directory; "" = $TMPDIR or /tmp
};

/// Parses the command line into `opt`. Returns 0 to go on, -1 when --help
/// was given (and answered), or the exit status of a bad command line (2).
int parse_options(int argc, char** argv, options& opt);

}  // namespace pagepool_demo
