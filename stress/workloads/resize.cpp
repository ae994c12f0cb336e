// stress/workloads/resize.cpp: the cache grows and shrinks under traffic.
//
// One file of --file-pages pages. The pool starts with --cache-pages frames
// and may grow to twice that (pool_options::cache_max_bytes); thread 0 keeps
// resizing it, to the smallest size that leaves every thread room (a quarter
// of the time), to pool::max_frames (a quarter), or in between, and checks
// that frames() follows and that sizes out of range are EINVAL and change
// nothing. The other threads read and write (40% writes, half Zipf-skewed,
// half uniform) and hold a pinned page across other operations now and then,
// so that shrinking meets pinned pages (which must stay put and unchanged
// until they are unpinned) and dirty pages (which must be written first).

#include <algorithm>
#include <cstdio>
#include <thread>

#include "../page_ops.hpp"

namespace pagepool::stress {

workload_result run_resize(run_context& ctx) {
  const config& cfg = ctx.cfg;
  const std::size_t pages = cfg.file_pages;
  const std::size_t min_frames = ctx.min_frames();
  const std::size_t frames0 = std::max(cfg.cache_pages, min_frames);
  pool_options o = pool_options_for(ctx, frames0);
  o.cache_max_bytes = 2 * frames0 * cfg.frame_bytes();
  ctx.announce(msg() << "1 file of " << pages << " pages, " << frames0 << " frames resized between " << min_frames
                     << " and max_frames (cache_max_bytes " << o.cache_max_bytes << "), 40% writes");

  workload_result r;
  auto files = make_files(ctx, 1, pages, 1);
  std::unique_ptr<pool> p = make_pool(ctx, o);
  if (!p || files.empty()) return r;
  const std::size_t max_frames = p->max_frames();
  if (max_frames < frames0 || max_frames * cfg.frame_bytes() > o.cache_max_bytes) {
    ctx.log.fail(msg() << "max_frames() is " << max_frames << " for " << frames0 << " frames and cache_max_bytes "
                       << o.cache_max_bytes << " (frames of " << cfg.frame_bytes() << " bytes)");
    return r;
  }
  std::vector<std::unique_ptr<file>> handles;
  handles.push_back(open_handle(ctx, *p, files[0]->path()));
  if (!handles[0]) return r;
  file& f = *handles[0];
  const data_file& df = *files[0];
  const zipf_pages pick(pages, 0.99, ctx.seed);
  std::atomic<std::uint64_t> resizes{0}, held_checks{0};

  auto resizer = [&](worker& w) {
    while (w.time_left() && !ctx.log.failed()) {
      const unsigned c = static_cast<unsigned>(w.below(100));
      const std::size_t n = c < 25 ? min_frames : c < 50 ? max_frames : min_frames + w.below(max_frames - min_frames + 1);
      w.hb.at("resize", n);
      ++w.tally.ops;
      ++w.tally.checks;
      if (auto ec = p->resize(n)) {
        w.fail(msg() << "resize(" << n << ") with max_frames " << max_frames << ": " << describe(ec));
        return;
      }
      resizes.fetch_add(1, std::memory_order_relaxed);
      if (p->frames() != n) w.fail(msg() << "frames() is " << p->frames() << " after resize(" << n << ")");
      if (w.chance(5)) {
        // Out of range: EINVAL, and the size stays.
        for (const std::size_t bad : {max_frames + 1, std::size_t{cfg.regions} - 1}) {
          ++w.tally.ops;
          ++w.tally.checks;
          const std::error_code ec = p->resize(bad);
          if (ec != std::errc::invalid_argument || p->frames() != n)
            w.fail(msg() << "resize(" << bad << ") out of range returned " << describe(ec) << " and left "
                         << p->frames() << " frames (expected EINVAL and " << n << ")");
        }
      }
      w.hb.at("pause");
      std::this_thread::sleep_for(std::chrono::microseconds(w.below(500)));
    }
  };

  r.total = run_team(ctx, cfg.threads, [&](worker& w) {
    if (w.tid == 0) return resizer(w);
    pgno_t held_pg = 0;
    void* held = nullptr;  // a page pinned across other operations (a reader's pin)
    while (w.time_left() && !ctx.log.failed()) {
      const pgno_t pg = w.chance(50) ? pick(w.rng) : static_cast<pgno_t>(w.below(pages));
      if (held == nullptr && w.chance(10)) {
        pgno_t n = pg;
        w.hb.at("get to hold", pg);
        ++w.tally.ops;
        if (auto ec = f.get(&n, get_flags::none, &held)) {
          w.fail(msg() << "get of page " << pg << " to hold: " << describe(ec));
          held = nullptr;
        } else {
          ++w.tally.gets;
          held_pg = pg;
          check_held(w, held, df, pg, "a page just pinned to hold");
        }
      } else if (held != nullptr && w.chance(20)) {
        held_checks.fetch_add(1, std::memory_order_relaxed);
        check_held(w, held, df, held_pg, "a page held pinned across resizes");
        ++w.tally.ops;
        if (auto ec = f.put(held)) w.fail(msg() << "put of held page " << held_pg << ": " << describe(ec));
        held = nullptr;
      } else {
        touch_page(w, f, df, pg, 40);
      }
    }
    if (held != nullptr) {
      check_held(w, held, df, held_pg, "a page held pinned across resizes");
      ++w.tally.ops;
      if (auto ec = f.put(held)) w.fail(msg() << "put of held page " << held_pg << ": " << describe(ec));
    }
  });
  char buf[200];
  std::snprintf(buf, sizeof buf, "reads %llu, writes %llu, in-flight reads %llu, resizes %llu (%zu..%zu frames), held-pin checks %llu",
                static_cast<unsigned long long>(r.total.reads), static_cast<unsigned long long>(r.total.writes),
                static_cast<unsigned long long>(r.total.in_flight), static_cast<unsigned long long>(resizes.load()),
                min_frames, max_frames, static_cast<unsigned long long>(held_checks.load()));
  r.detail = buf;
  finish(ctx, p, handles, files, r.total, true);
  return r;
}

}  // namespace pagepool::stress
