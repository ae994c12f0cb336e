// stress/crash/crash.hpp: what the two halves of pagepool-crash share: the
// shape of one child's workload (passed on its command line) and the records
// the child sends the parent on a pipe.
//
// pagepool-crash is one binary in two roles. The parent (crash_parent.cpp)
// runs iterations: it picks a shape, starts the child (fork, then exec of its
// own binary with the `child` subcommand), reads the child's reports, kills
// it with SIGKILL at a moment of its choosing, and checks the data files with
// pread. The child (crash_child.cpp) opens the files through a pagepool pool,
// dirties pages from several threads and syncs at random; after every sync
// that returned success it reports which version of every page that sync
// covered. A report counts once the whole record is in the pipe: a record the
// kill cut short is not an acknowledgement (the child died before it said so).
//
// Records (native byte order), one write(2) each, serialised by a mutex in the
// child so that two syncing threads never interleave:
//
//   u32 record_magic, u32 type, u32 payload length, payload
//
//   ready  payload: u32 files, u32 pages per file, then per file and page the
//          u32 version the child found (it read every page through the pool)
//   begin  payload: u32 sync number, u32 kind (0 pool, 1 file), u32 file
//   ack    payload: ack_head, then per file covered: u32 file, u32 pages,
//          and the u32 version of each page committed before the sync began
//   incomplete  payload: u32 sync number (sync said errc::incomplete)
//   trickle     payload: u32 pages written
//   failure     payload: text; the child found something wrong
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pagepool::stress::crash {

inline constexpr std::uint32_t record_magic = 0x31524350u;  // "PCR1"
inline constexpr int report_fd = 3;                         // the pipe, in the child

enum class record_type : std::uint32_t {
  ready = 1,
  begin = 2,
  ack = 3,
  incomplete = 4,
  trickle = 5,
  failure = 6,
};

/// The fixed part of an ack record.
struct ack_head {
  std::uint32_t sync_no = 0;
  std::uint32_t kind = 0;  // 0: pool::sync, 1: file::sync of `file`
  std::uint32_t file = 0;
  std::uint32_t covered = 0;  // files whose versions follow
  std::uint64_t writes = 0;   // versions committed by the child so far
  // The pool's statistics when the sync returned: proof that eviction and the
  // background writer wrote pages while the child ran.
  std::uint64_t rw_evict = 0;
  std::uint64_t page_out = 0;
  std::uint64_t background_writes = 0;
  std::uint64_t page_trickle = 0;
};

/// One child's workload. Every field is on the child's command line.
struct shape {
  std::size_t page_size = 4096;
  std::uint32_t pages = 256;  // per file
  unsigned files = 1;
  std::size_t frames = 64;
  unsigned regions = 1;
  unsigned writers = 4;
  unsigned syncers = 1;
  unsigned gate_percent = 50;       // syncs that pause the writers (then nothing is pinned)
  unsigned file_sync_percent = 30;  // syncs that are file::sync of one file
  unsigned trickle_percent = 0;     // syncer actions that are trickle instead
  unsigned hot_percent = 0;         // writes that go to the first tenth of the pages
  unsigned writer_pause_us = 0;     // most think time between two writes
  unsigned sync_pause_us = 5000;    // most pause between two syncs
  unsigned background_percent = 0;  // 0: no background writer, else its clean share
  unsigned background_period_ms = 5;
  unsigned max_write = 0;  // pool_options::max_write (0: off)
  unsigned max_write_sleep_us = 0;
  /// Most pause between two resizes of the live pool (between `frames` and
  /// twice that) by a resizer thread; 0: no resizer.
  unsigned resize_pause_us = 0;
  bool resume = false;  // the files hold the previous child's pages
  std::uint64_t seed = 1;
  std::string dir;  // holds data0.db, data1.db

  /// The frames each region needs so that the child's pins (one per thread,
  /// a second pin of the same page now and then) never fill a region.
  [[nodiscard]] std::size_t min_frames() const noexcept {
    return std::size_t{regions} * (2 * (std::size_t{writers} + syncers) + 4);
  }
  /// The arguments after `child` that give this shape.
  [[nodiscard]] std::vector<std::string> child_args() const;
  /// One line for humans.
  [[nodiscard]] std::string describe() const;
  /// Path of data file `i`.
  [[nodiscard]] std::string file_path(unsigned i) const;
};

/// Options of the parent.
struct parent_options {
  unsigned iterations = 200;
  double seconds = 600;
  std::uint64_t seed = 0;
  std::size_t max_page_size = 4096;
  std::string dir;  // "" : $TMPDIR or /tmp
  bool keep = false;
  bool verbose = false;
};

/// The parent: runs the iterations, returns the exit status (0 pass, 1 fail).
int run_parent(const parent_options& o, const std::string& self_exe);
/// The child: never returns normally (it runs until it is killed).
int run_child(const shape& s);

}  // namespace pagepool::stress::crash
