// stress/workloads/sync_race.cpp: sync, file sync and trickle racing writers.
//
// Two files of --file-pages / 2 pages. A quarter of the threads (at least
// one) call, at random, pool::sync (40%), file::sync on one file (30%), take
// statistics snapshots (2%), start, retune or stop the background writer (3%)
// and call pool::trickle with a random percentage (25%), with short random
// pauses; the others read and write (60% writes, half Zipf-skewed, half
// uniform), so that sync meets pages being dirtied, pinned, evicted and
// written by others.
//
// Checks beyond every read's: sync returns success or errc::incomplete (pinned
// modified pages), nothing else; trickle and start_background_writer return
// success. After a successful
// sync, pages sampled just before it must be on disk (read with pread) at
// least at the version committed before the sync started: a committed page
// was dirty and unpinned, or clean, or being written back when sync began,
// and success promises all of those written (README, "sync"). A page read
// from disk while the pool writes it can be torn between two versions, so the
// check is per word: every word whole and not older than the floor.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "../page_ops.hpp"
#include "testkit/page_stamp.hpp"

namespace pagepool::stress {

namespace {

struct sample {
  std::size_t file;
  pgno_t pgno;
  std::uint64_t floor;  // committed before the sync began
};

struct sync_counts {
  std::atomic<std::uint64_t> pool_ok{0}, pool_incomplete{0}, file_ok{0}, file_incomplete{0};
  std::atomic<std::uint64_t> trickles{0}, trickled{0}, durable_checks{0}, background{0};
};

}  // namespace

workload_result run_sync_race(run_context& ctx) {
  const config& cfg = ctx.cfg;
  const std::size_t pages = std::max<std::size_t>(cfg.file_pages / 2, 1);
  const std::size_t frames = std::max(cfg.cache_pages, ctx.min_frames());
  const std::size_t syncers = std::max<std::size_t>(1, cfg.threads / 4);
  ctx.announce(msg() << "2 files of " << pages << " pages, " << frames << " frames, " << syncers
                     << " syncing thread(s), the others 60% writes");

  workload_result r;
  auto files = make_files(ctx, 2, pages, 1);
  pool_options o = pool_options_for(ctx, frames);
  // sync pauses every few writes (BDB: set_mp_max_write), so that writers
  // dirty and pin pages in the middle of a sync pass.
  o.max_write = 8;
  o.max_write_sleep = std::chrono::microseconds(50);
  std::unique_ptr<pool> p = make_pool(ctx, o);
  if (!p || files.size() != 2) return r;
  std::vector<std::unique_ptr<file>> handles;
  std::vector<int> fds;
  for (const auto& df : files) {
    handles.push_back(open_handle(ctx, *p, df->path()));
    fds.push_back(::open(df->path().c_str(), O_RDONLY));
    if (!handles.back() || fds.back() < 0) {
      ctx.log.fail("cannot open the data files");
      for (int fd : fds) if (fd >= 0) ::close(fd);
      return r;
    }
  }
  const zipf_pages pick(pages, 0.99, ctx.seed);
  sync_counts counts;

  // After a successful sync: every sampled page on disk at its floor or later.
  auto check_durable = [&](worker& w, const std::vector<sample>& samples, const char* what) {
    for (const sample& s : samples) {
      ++w.tally.checks;
      counts.durable_checks.fetch_add(1, std::memory_order_relaxed);
      const data_file& df = *files[s.file];
      testkit::stamp_scan scan;
      w.buf.resize(cfg.page_size / sizeof(std::uint64_t));
      // A word copied while the pool writes the page may be torn in the
      // kernel's copy; a page that stays unreadable is not a race.
      for (int attempt = 0; attempt < 100; ++attempt) {
        if (!testkit::pread_page(fds[s.file], s.pgno, cfg.page_size, w.buf.data())) {
          w.fail(msg() << "pread of file " << s.file << " page " << s.pgno << " failed");
          return;
        }
        scan = testkit::scan_page(w.buf.data(), cfg.stamp_bytes(), s.pgno, df.file_no());
        if (scan.whole) break;
        std::this_thread::yield();
      }
      if (!scan.whole || scan.min_version < s.floor)
        w.fail(msg() << what << " returned success, but file " << s.file << " page " << s.pgno
                     << " on disk is not at version " << s.floor << " or later (committed before the sync"
                     << " began): " << testkit::describe_scan(scan, s.pgno, df.file_no()));
    }
  };

  auto syncer = [&](worker& w) {
    std::vector<sample> samples;
    while (w.time_left() && !ctx.log.failed()) {
      const unsigned what = static_cast<unsigned>(w.below(100));
      if (what < 70) {
        const bool whole_pool = what < 40;
        const std::size_t only = w.below(files.size());
        samples.clear();
        for (int i = 0; i < 16; ++i) {
          const std::size_t fi = whole_pool ? w.below(files.size()) : only;
          const auto pg = static_cast<pgno_t>(w.below(pages));
          // acquire: pairs with (S3); that version's put returned before the sync.
          samples.push_back({fi, pg, files[fi]->page(pg).committed.load(std::memory_order_acquire)});
        }
        w.hb.at(whole_pool ? "pool sync" : "file sync", only);
        ++w.tally.ops;
        const std::error_code ec = whole_pool ? p->sync() : handles[only]->sync();
        ++w.tally.checks;
        if (!ec) {
          (whole_pool ? counts.pool_ok : counts.file_ok).fetch_add(1, std::memory_order_relaxed);
          check_durable(w, samples, whole_pool ? "pool sync" : "file sync");
        } else if (ec == errc::incomplete) {
          (whole_pool ? counts.pool_incomplete : counts.file_incomplete).fetch_add(1, std::memory_order_relaxed);
        } else {
          w.fail(msg() << (whole_pool ? "pool sync: " : "file sync: ") << describe(ec));
        }
      } else if (what < 72) {
        // Statistics snapshots while everything runs: approximate counters,
        // but the sizes are fixed and both files are known.
        w.hb.at("statistics");
        w.tally.ops += 2;
        ++w.tally.checks;
        const pool_stats st = p->stats();
        const std::vector<file_stats> fst = p->file_statistics();
        if (st.frames != frames || fst.size() < files.size())
          w.fail(msg() << "statistics while running: " << st.frames << " frames (expected " << frames << "), "
                       << fst.size() << " files (expected at least " << files.size() << ")");
      } else if (what < 75) {
        // The background writer (pagepool's own trickle thread): started,
        // retuned while it runs, or stopped.
        ++w.tally.ops;
        ++w.tally.checks;
        if (w.chance(30)) {
          w.hb.at("stop background writer");
          p->stop_background_writer();
        } else {
          const int percent = 1 + static_cast<int>(w.below(100));
          const auto period = std::chrono::milliseconds(1 + w.below(20));
          w.hb.at("start background writer", static_cast<std::uint64_t>(percent));
          if (auto ec = p->start_background_writer(percent, period))
            w.fail(msg() << "start_background_writer(" << percent << ", " << period.count() << " ms): " << describe(ec));
        }
        counts.background.fetch_add(1, std::memory_order_relaxed);
      } else {
        int written = -1;
        const int percent = 1 + static_cast<int>(w.below(100));
        w.hb.at("trickle", static_cast<std::uint64_t>(percent));
        ++w.tally.ops;
        ++w.tally.checks;
        if (auto ec = p->trickle(percent, &written))
          w.fail(msg() << "trickle(" << percent << "): " << describe(ec));
        else if (written < 0)
          w.fail(msg() << "trickle(" << percent << ") reported " << written << " pages written");
        counts.trickles.fetch_add(1, std::memory_order_relaxed);
        if (written > 0) counts.trickled.fetch_add(static_cast<std::uint64_t>(written), std::memory_order_relaxed);
      }
      w.hb.at("pause");
      std::this_thread::sleep_for(std::chrono::microseconds(w.below(1000)));
    }
  };

  r.total = run_team(ctx, cfg.threads, [&](worker& w) {
    if (w.tid < syncers) return syncer(w);
    while (w.time_left() && !ctx.log.failed()) {
      const std::size_t i = w.below(2);
      const pgno_t pg = w.chance(50) ? pick(w.rng) : static_cast<pgno_t>(w.below(pages));
      touch_page(w, *handles[i], *files[i], pg, 60);
    }
  });
  for (int fd : fds) ::close(fd);
  char buf[300];
  std::snprintf(buf, sizeof buf,
                "reads %llu, writes %llu, pool syncs %llu ok + %llu incomplete, file syncs %llu ok + %llu"
                " incomplete, trickles %llu (%llu pages), background writer changes %llu, durability checks %llu,"
                " max_write sleeps %llu",
                static_cast<unsigned long long>(r.total.reads), static_cast<unsigned long long>(r.total.writes),
                static_cast<unsigned long long>(counts.pool_ok.load()),
                static_cast<unsigned long long>(counts.pool_incomplete.load()),
                static_cast<unsigned long long>(counts.file_ok.load()),
                static_cast<unsigned long long>(counts.file_incomplete.load()),
                static_cast<unsigned long long>(counts.trickles.load()),
                static_cast<unsigned long long>(counts.trickled.load()),
                static_cast<unsigned long long>(counts.background.load()),
                static_cast<unsigned long long>(counts.durable_checks.load()),
                static_cast<unsigned long long>(p->stats().write_sleeps));
  r.detail = buf;
  finish(ctx, p, handles, files, r.total, true);
  return r;
}

}  // namespace pagepool::stress
