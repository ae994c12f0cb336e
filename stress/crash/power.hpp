// stress/crash/power.hpp: pagepool-crash --power-loss, the power-cut half of
// the crash harness. Where the SIGKILL half (crash.hpp) kills a process and
// keeps the kernel's page cache, this one runs the pool on power_io
// (power_io.hpp), cuts the power at an operation, and checks what a fresh pool
// finds on the disk that survives.
//
//   random mode      (power_random.cpp) several threads write versioned pages
//                    through a small, multi-region pool, sync at random and
//                    record what each successful sync acknowledged; files are
//                    created as it runs; trickle, eviction and the
//                    background writer write pages too. A cut at a random
//                    operation, a random survivor, a check. Repeated.
//   exhaustive mode  (power_exhaustive.cpp) short scripted single-thread
//                    workloads, cut at every operation, each cut's every
//                    survivor (up to a bound) checked.
//
// The check (power_verify.cpp): every page of every acknowledged sync holds
// at least its acknowledged version, every file an acknowledged sync covered
// after it was created exists and is at least as long as its acknowledged
// pages, and no page the pool returns as valid is torn (pages carry
// pagepool's CRC32C trailer: a torn page must be errc::page_corrupt).
//
// Pages are testkit stamps (testkit/page_stamp.hpp) over all but the last 8
// bytes; the last 4 are the pool's checksum.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "power_io.hpp"

namespace pagepool::stress::power {

/// What the successful syncs acknowledged, per file number.
struct acks {
  struct file_ack {
    bool exists = false;                // a sync covered the file after its creation
    std::vector<std::uint32_t> version;  // per page: the least version it must hold
  };
  std::vector<file_ack> files;

  /// Raises page `pg` of file `fi` to at least v (grows the tables).
  void raise(unsigned fi, std::uint32_t pg, std::uint32_t v);
  /// Marks file `fi` as one that must exist.
  void exists(unsigned fi);
};

/// What one check found.
struct verdict {
  std::uint64_t lost = 0;             // acknowledged pages, files or sizes missing
  std::uint64_t torn_detected = 0;    // pages the pool called page_corrupt
  // Acknowledged pages found page_corrupt because a later version of them,
  // written after the acknowledging sync and not yet synced, was torn by the
  // cut: in-place overwrites are not atomic on a device that tears (the
  // README's promise says so); detected, and not counted as lost.
  std::uint64_t torn_rewrite = 0;
  std::uint64_t torn_undetected = 0;  // torn pages the pool returned as valid
  std::vector<std::string> why;       // the first few findings, for humans
};

/// The shape of the files a check reads.
struct layout {
  std::string dir = "/pl";  // a path in the model, not on the machine
  std::size_t page_size = 4096;
  std::uint32_t pages = 64;   // per file
  unsigned max_files = 1;
  [[nodiscard]] std::string path(unsigned fi) const;
};

/// Pages a survivor's torn writes hit: (path, page) -> the lowest version
/// a torn write of that page carried.
using torn_map = std::map<std::pair<std::string, std::uint32_t>, std::uint32_t>;

/// The torn writes of survivor `choice` of `im` (whose names are those of
/// `disk`, the survivor), by page of `l`.
torn_map torn_pages(const image& im, const std::vector<unsigned>& choice, const disk_state& disk,
                    const layout& l);

/// The page format: version v of page (fi, pg), in place, CRC field left to
/// the pool. v == 0 leaves zeros.
void stamp(void* page, const layout& l, unsigned fi, std::uint32_t pg, std::uint32_t v);

/// The ftype the harness registers the CRC32C trailer for.
inline constexpr int checksum_ftype = 1;

/// Opens every file of `l` on `disk` through a fresh pool with checksums,
/// reads every page and compares with `a`; `torn` says which pages a torn
/// write hit (torn_pages).
verdict verify(const disk_state& disk, const layout& l, const acks& a, const torn_map& torn);

/// Options of both modes.
struct power_options {
  std::uint64_t cuts = 1000;      // random mode: cuts to check
  double seconds = 600;           // random mode: wall-time bound
  std::uint64_t seed = 1;
  std::uint64_t bound = 4096;     // exhaustive: most survivors per cut point
  bool exhaustive = false;
  std::string mutate;             // "", "skip-fsync", "skip-dir-fsync"
  unsigned expect_loss_within = 0;  // >0: pass only if a loss shows within this many cuts
  bool verbose = false;
};

/// The two modes; each prints its figures and the line
/// `cuts=N lost=L torn_undetected=T`, and returns the exit status.
int run_power_random(const power_options& o);
int run_power_exhaustive(const power_options& o);

}  // namespace pagepool::stress::power
