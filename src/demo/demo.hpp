// src/demo/demo.hpp: the demonstration: one data file, one pool, the oracle
// (the version each page holds), and the phases that run through them
// (pagepool_demo.cpp lists them). Pages are stamped in the test kit's format
// (testkit/page_stamp.hpp): every 8-byte word names its page and version, so
// that a page read from the wrong place, a stale version or a torn write shows
// in any word.
//
// demo.cpp:           setup, the checked read and update of one page, run()
// read_phases.cpp:    a (scan), b (Zipf reads), b2 (optimistic reads), b3 (policies)
// write_phases.cpp:   c (updates), e (trickle)
// verify_phases.cpp:  d (sync, then every page read back with pread), f (statistics)
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "options.hpp"
#include "pagepool/pagepool.hpp"
#include "testkit/zipf.hpp"

namespace pagepool_demo {

namespace testkit = pagepool::testkit;
using pagepool::pgno_t;

inline constexpr std::size_t page_size = 4096;
/// The version every page of the data file starts at: a stamped page, not
/// zeros, so that a page the pool never read (a zeroed frame) does not pass.
inline constexpr std::uint64_t initial_version = 1;

class demo {
 public:
  explicit demo(const options& opt);
  ~demo();
  demo(const demo&) = delete;
  demo& operator=(const demo&) = delete;

  /// Runs every phase; the exit status (1 if a check failed).
  int run();

 private:
  // Setup (demo.cpp).
  bool make_file();
  bool open_pool();
  void cleanup();

  // One page, checked against the oracle (demo.cpp).
  /// Gets page pgno (read-only), checks it, puts it.
  void read_and_check(pgno_t pgno);
  /// Gets page pgno dirty, checks it, writes the next version, puts it.
  void update(pgno_t pgno);

  // The phases; each returns the gets it made (for the final statistics).
  std::uint64_t phase_scan();              // a (read_phases.cpp)
  std::uint64_t phase_zipf_reads();        // b
  std::uint64_t phase_optimistic_reads();  // b2
  std::uint64_t phase_policies();          // b3
  std::uint64_t phase_updates();           // c (write_phases.cpp)
  std::uint64_t phase_trickle();           // e
  void phase_sync_and_verify(const char* title);  // d (verify_phases.cpp)
  void phase_stats(std::uint64_t gets);           // f

  options opt_;
  /// The Zipf-skewed pages (theta 0.99, scattered over the file by the seed)
  /// that the skewed phases draw, each thread with its own testkit::rng.
  testkit::zipf_pages zipf_;
  std::vector<std::uint64_t> oracle_;  // the version each page holds (last written)
  std::string dir_;
  std::string path_;
  std::unique_ptr<pagepool::pool> pool_;
  std::unique_ptr<pagepool::file> file_;
};

}  // namespace pagepool_demo
