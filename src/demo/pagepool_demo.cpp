// pagepool_demo: the pool at work on a file larger than its cache.
//
// Writes a file of --pages pages (4096 bytes each), every page stamped with its
// page number and a version (testkit/page_stamp.hpp), then opens it in a pool
// of --frames frames split into --regions regions and runs these phases:
//
//   a. sequential scan: every page read once and checked (cold misses, clean
//      evictions);
//   b. Zipf-skewed reads (theta 0.99) from --threads threads for --seconds
//      (hits and misses; the hit ratio); b2. the same reads without pins
//      (file::read_optimistic: validated by the frame's version); b3. the
//      eviction policies swapped on the live pool (pool::set_policy), each
//      given the same stream (Zipf reads mixed with a sequential scan), with
//      its hit ratio;
//   c. updates: threads get pages with get_flags::dirty and write a new version
//      (dirty evictions write pages back before their frames are reused),
//      while the background writer keeps half the frames clean;
//   d. sync, then every page read back with pread(2), bypassing the pool, and
//      compared with the versions the threads wrote (the oracle);
//   e. trickle: pages dirtied through page_handle::set, then written back by
//      trickle until the asked share of frames is clean;
//   f. the pool's statistics and the file's.
//
// Every page read through the pool is checked against the oracle: every word
// of it names its page and the version the oracle expects. Any failed check
// makes the exit status 1. Only the public native API is used
// (include/pagepool/pagepool.hpp), with the test kit's page stamps and Zipf
// pages (tests/support/testkit).
//
// options.cpp: the command line; demo.cpp: setup and the order of the phases;
// read_phases.cpp, write_phases.cpp, verify_phases.cpp: the phases;
// report.cpp: failed checks, counters, progress lines.

#include <cstdio>

#include "demo.hpp"
#include "options.hpp"

int main(int argc, char** argv) {
  pagepool_demo::options opt;
  if (const int rc = pagepool_demo::parse_options(argc, argv, opt); rc != 0) return rc < 0 ? 0 : rc;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("pagepool %d.%d.%d demonstration\n\n", pagepool::version_major, pagepool::version_minor,
              pagepool::version_patch);
  pagepool_demo::demo d(opt);
  return d.run();
}
