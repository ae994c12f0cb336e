// src/demo/options.cpp: the demo's command line, parsed with getopt_long.

#include "options.hpp"

#include <getopt.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace pagepool_demo {

namespace {

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: pagepool_demo [options]\n"
               "  --pages N     pages in the data file (default 16384: 64 MiB)\n"
               "  --frames N    frames in the pool (default 2048: 8 MiB)\n"
               "  --regions N   regions the frames are split into (default 2)\n"
               "  --threads N   worker threads in phases b and c (default 2..4)\n"
               "  --seconds S   length of phases b and c (default 3)\n"
               "  --seed N      seed of the random generators (default 1)\n"
               "  --dir PATH    where to make the temporary directory (default $TMPDIR or /tmp)\n"
               "  --help        this text\n");
}

bool parse_u64(const char* text, std::uint64_t& out) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-') return false;
  out = v;
  return true;
}

}  // namespace

int parse_options(int argc, char** argv, options& opt) {
  enum { o_pages = 1, o_frames, o_regions, o_threads, o_seconds, o_seed, o_dir, o_help };
  static const struct option longopts[] = {
      {"pages", required_argument, nullptr, o_pages},
      {"frames", required_argument, nullptr, o_frames},
      {"regions", required_argument, nullptr, o_regions},
      {"threads", required_argument, nullptr, o_threads},
      {"seconds", required_argument, nullptr, o_seconds},
      {"seed", required_argument, nullptr, o_seed},
      {"dir", required_argument, nullptr, o_dir},
      {"help", no_argument, nullptr, o_help},
      {nullptr, 0, nullptr, 0},
  };
  int c;
  while ((c = getopt_long(argc, argv, "", longopts, nullptr)) != -1) {
    std::uint64_t v = 0;
    bool ok = true;
    switch (c) {
      case o_pages:
        ok = parse_u64(optarg, v) && v >= 1 && v <= (std::uint64_t{1} << 24);
        opt.pages = v;
        break;
      case o_frames:
        ok = parse_u64(optarg, v) && v >= 1 && v <= (std::uint64_t{1} << 22);
        opt.frames = v;
        break;
      case o_regions:
        ok = parse_u64(optarg, v) && v >= 1 && v <= 256;
        opt.regions = static_cast<unsigned>(v);
        break;
      case o_threads:
        ok = parse_u64(optarg, v) && v >= 1 && v <= 256;
        opt.threads = static_cast<unsigned>(v);
        break;
      case o_seconds: {
        char* end = nullptr;
        opt.seconds = std::strtod(optarg, &end);
        ok = end != optarg && *end == '\0' && opt.seconds > 0 && opt.seconds <= 3600;
        break;
      }
      case o_seed:
        ok = parse_u64(optarg, opt.seed);
        break;
      case o_dir:
        opt.dir = optarg;
        break;
      case o_help:
        usage(stdout);
        return -1;
      default:
        usage(stderr);
        return 2;
    }
    if (!ok) {
      std::fprintf(stderr, "pagepool_demo: bad value '%s' for --%s\n", optarg,
                   longopts[c - 1].name);
      return 2;
    }
  }
  if (optind != argc) {
    std::fprintf(stderr, "pagepool_demo: unexpected argument '%s'\n", argv[optind]);
    usage(stderr);
    return 2;
  }
  if (opt.threads == 0) {
    opt.threads = std::clamp(std::thread::hardware_concurrency(), 2u, 4u);
  }
  if (opt.frames < opt.regions) {
    std::fprintf(stderr, "pagepool_demo: --frames must be at least --regions\n");
    return 2;
  }
  return 0;
}

}  // namespace pagepool_demo
