// stress/workloads/churn.cpp: handles opened and closed all the time, several
// per file, on several files, while other threads' pages stay pinned.
//
// Three files of --file-pages / 3 pages start empty; every get passes create,
// so pages are made (zeroed: version 0) by whichever thread comes first. Each
// thread, again and again: opens 1 to 3 handles of its own on one file (under
// different spellings of its path, which must still name one file and share
// its pages: README, "One copy"), and sometimes a read-only one as well,
// reads and writes through them at random (40% writes; the read-only handle
// only reads, and its dirty gets must be EACCES), sometimes checks that closing a handle with a page pinned
// through it is EBUSY and changes nothing, sometimes syncs the pool, then
// closes its handles. Files lose their last handle and get new ones with dirty
// pages still cached, and the pool keeps one descriptor of a closed file
// (max_open_fd 1), so those pages are written back through reopened ones. The
// oracle is per file, whatever handle reads it.

#include <algorithm>
#include <cstdio>

#include "../page_ops.hpp"

namespace pagepool::stress {

namespace {

/// A read through a read-only handle. Without create, a page nobody has made
/// yet is page_not_found; one whose version 1 was committed before the get
/// must exist. A get with the dirty flag must be EACCES.
void read_only_op(worker& w, file& f, const data_file& df, pgno_t pgno) {
  // acquire: pairs with (S3), as in read_page.
  const std::uint64_t floor = df.page(pgno).committed.load(std::memory_order_acquire);
  pgno_t n = pgno;
  void* page = nullptr;
  const bool dirty = w.chance(5);
  w.hb.at("read-only get", std::uint64_t{df.file_no()} << 32 | pgno);
  ++w.tally.ops;
  const std::error_code ec = f.get(&n, dirty ? get_flags::dirty : get_flags::none, &page);
  if (dirty) {
    ++w.tally.checks;
    if (ec != std::errc::permission_denied)
      w.fail(msg() << "get with dirty through a read-only handle of file " << df.file_no() << " page " << pgno
                   << " returned " << describe(ec) << ", expected EACCES");
    if (!ec) (void)f.put(page);
    return;
  }
  if (ec == errc::page_not_found && floor == 0) return;
  if (ec) {
    w.fail(msg() << "read-only get of file " << df.file_no() << " page " << pgno << " (committed version " << floor
                 << "): " << describe(ec));
    return;
  }
  ++w.tally.gets;
  check_read(w, page, df, pgno, floor, f.is_mapped() ? "read through a read-only mapped handle" : "read through a read-only handle");
  ++w.tally.reads;
  ++w.tally.ops;
  if (auto e2 = f.put(page)) w.fail(msg() << "put through a read-only handle: " << describe(e2));
}

}  // namespace

workload_result run_churn(run_context& ctx) {
  const config& cfg = ctx.cfg;
  constexpr std::size_t nfiles = 3;
  const std::size_t pages = std::max<std::size_t>(cfg.file_pages / nfiles, 1);
  const std::size_t frames = std::max(cfg.cache_pages, ctx.min_frames());
  ctx.announce(msg() << nfiles << " files of up to " << pages << " pages (made by get with create), " << frames
                     << " frames, 1-3 handles per thread per file, 40% writes");

  workload_result r;
  auto files = make_files(ctx, nfiles, pages, 0);
  pool_options o = pool_options_for(ctx, frames);
  // One descriptor kept for files no handle has open: a dirty page of a file
  // whose last handle closed must be written back through a reopened one.
  o.max_open_fd = 1;
  std::unique_ptr<pool> p = make_pool(ctx, o);
  if (!p || files.size() != nfiles) return r;
  std::atomic<std::uint64_t> opens{0}, readonly_opens{0}, ebusy_checks{0}, syncs{0};

  r.total = run_team(ctx, cfg.threads, [&](worker& w) {
    std::vector<std::unique_ptr<file>> mine;
    while (w.time_left() && !ctx.log.failed()) {
      const std::size_t fi = w.below(nfiles);
      const data_file& df = *files[fi];
      const std::filesystem::path path(df.path());
      // One file, three names: the pool must find it by device and inode.
      const std::string names[] = {df.path(), (path.parent_path() / "." / path.filename()).string(),
                                   path.parent_path().string() + "//" + path.filename().string()};
      const std::size_t n = 1 + w.below(3);
      mine.clear();
      for (std::size_t i = 0; i < n; ++i) {
        w.hb.at("open", fi);
        ++w.tally.ops;
        auto h = open_handle(ctx, *p, names[w.below(3)]);
        if (!h) return;
        mine.push_back(std::move(h));
        opens.fetch_add(1, std::memory_order_relaxed);
      }
      // Sometimes a read-only handle too: reads only, and no create.
      std::unique_ptr<file> reader;
      if (w.chance(25)) {
        w.hb.at("open read-only", fi);
        ++w.tally.ops;
        reader = open_handle(ctx, *p, names[w.below(3)], open_flags::rdonly);
        if (!reader) return;
        opens.fetch_add(1, std::memory_order_relaxed);
        readonly_opens.fetch_add(1, std::memory_order_relaxed);
      }
      const std::size_t ops = 8 + w.below(40);
      for (std::size_t i = 0; i < ops && !ctx.log.failed(); ++i) {
        const auto pg = static_cast<pgno_t>(w.below(pages));
        if (reader && w.chance(30))
          read_only_op(w, *reader, df, pg);
        else
          touch_page(w, *mine[w.below(n)], df, pg, 40, get_flags::create);
      }
      if (reader) {
        w.hb.at("close read-only", fi);
        ++w.tally.ops;
        if (auto ec = reader->close()) w.fail(msg() << "close of a read-only handle, nothing pinned: " << describe(ec));
        reader.reset();
      }

      if (w.chance(15)) {
        // Closing a handle that still has a page pinned through it: EBUSY,
        // and the handle and its pin stay as they were.
        file& h = *mine[0];
        const auto pg = static_cast<pgno_t>(w.below(pages));
        pgno_t got = pg;
        void* page = nullptr;
        w.hb.at("get before EBUSY close", std::uint64_t{df.file_no()} << 32 | pg);
        ++w.tally.ops;
        if (auto ec = h.get(&got, get_flags::create, &page)) {
          w.fail(msg() << "get of file " << fi << " page " << pg << " before closing: " << describe(ec));
        } else {
          ++w.tally.gets;
          check_held(w, page, df, pg, "page pinned before closing its handle");
          ++w.tally.checks;
          ++w.tally.ops;
          w.hb.at("close, page pinned", std::uint64_t{df.file_no()} << 32 | pg);
          const std::error_code cec = h.close();
          if (cec != std::errc::device_or_resource_busy)
            w.fail(msg() << "close of a handle with file " << fi << " page " << pg << " pinned through it returned "
                         << describe(cec) << ", expected EBUSY");
          if (cec == std::errc::device_or_resource_busy) {
            ++w.tally.checks;
            if (!h.is_open()) w.fail("a close that failed with EBUSY left the handle closed");
            check_held(w, page, df, pg, "page pinned through a handle whose close failed");
            ++w.tally.ops;
            if (auto e2 = h.put(page)) w.fail(msg() << "put after the EBUSY close: " << describe(e2));
          }
          ebusy_checks.fetch_add(1, std::memory_order_relaxed);
        }
      }
      for (auto& h : mine) {
        if (!h->is_open()) continue;
        w.hb.at("close", fi);
        ++w.tally.ops;
        if (auto ec = h->close()) w.fail(msg() << "close of a handle of file " << fi << ", nothing pinned: " << describe(ec));
      }
      mine.clear();
      if (w.chance(5)) {
        w.hb.at("pool sync");
        ++w.tally.ops;
        ++w.tally.checks;
        const std::error_code ec = p->sync();
        if (ec && ec != errc::incomplete) w.fail(msg() << "pool sync: " << describe(ec));
        syncs.fetch_add(1, std::memory_order_relaxed);
      }
    }
  });
  const pool_stats st = p->stats();
  char buf[240];
  std::snprintf(buf, sizeof buf,
                "reads %llu, writes %llu, in-flight reads %llu, opens %llu (%llu read-only), EBUSY closes %llu,"
                " syncs %llu, descriptors closed %llu, mapped gets %llu",
                static_cast<unsigned long long>(r.total.reads), static_cast<unsigned long long>(r.total.writes),
                static_cast<unsigned long long>(r.total.in_flight), static_cast<unsigned long long>(opens.load()),
                static_cast<unsigned long long>(readonly_opens.load()),
                static_cast<unsigned long long>(ebusy_checks.load()), static_cast<unsigned long long>(syncs.load()),
                static_cast<unsigned long long>(st.fd_closed), static_cast<unsigned long long>(st.map));
  r.detail = buf;
  std::vector<std::unique_ptr<file>> none;
  finish(ctx, p, none, files, r.total, false);
  return r;
}

}  // namespace pagepool::stress
