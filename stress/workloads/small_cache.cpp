// stress/workloads/small_cache.cpp: a cache far smaller than the working set.
//
// Two files of --file-pages / 2 pages each, read and written uniformly (half
// the operations write), through a pool of at most a sixteenth of the pages
// (--cache-pages, or fewer): nearly every get misses, and nearly every victim
// is dirty, so eviction writes pages back while other threads miss on them and
// read them in again, and the background writer (a quarter of the frames kept
// clean, every 5 ms) writes pages that threads are about to pin. A write-back that is lost, late or torn, or a page read
// in before its dirty copy was written, shows as a version older than the
// oracle's.

#include <algorithm>
#include <cstdio>

#include "../page_ops.hpp"

namespace pagepool::stress {

workload_result run_small_cache(run_context& ctx) {
  const config& cfg = ctx.cfg;
  const std::size_t pages = std::max<std::size_t>(cfg.file_pages / 2, 1);
  const std::size_t frames = std::max(ctx.min_frames(), std::min(cfg.cache_pages, cfg.file_pages / 16));
  ctx.announce(msg() << "2 files of " << pages << " pages, " << frames << " frames, uniform, 50% writes");

  workload_result r;
  auto files = make_files(ctx, 2, pages, 1);
  pool_options o = pool_options_for(ctx, frames);
  // The background writer cleans victims ahead of the threads that need them,
  // racing their gets of the same pages.
  o.background_clean_percent = 25;
  o.background_period = std::chrono::milliseconds(5);
  std::unique_ptr<pool> p = make_pool(ctx, o);
  if (!p || files.size() != 2) return r;
  std::vector<std::unique_ptr<file>> handles;
  for (const auto& df : files) {
    handles.push_back(open_handle(ctx, *p, df->path()));
    if (!handles.back()) return r;
  }

  r.total = run_team(ctx, cfg.threads, [&](worker& w) {
    while (w.time_left() && !ctx.log.failed()) {
      const std::size_t i = w.below(2);
      touch_page(w, *handles[i], *files[i], static_cast<pgno_t>(w.below(pages)), 50);
    }
  });
  const pool_stats st = p->stats();
  const double gets = static_cast<double>(st.cache_hit + st.cache_miss);
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "reads %llu, writes %llu, in-flight reads %llu, miss ratio %.3f, evictions %llu clean + %llu dirty",
                static_cast<unsigned long long>(r.total.reads), static_cast<unsigned long long>(r.total.writes),
                static_cast<unsigned long long>(r.total.in_flight), gets > 0 ? static_cast<double>(st.cache_miss) / gets : 0.0,
                static_cast<unsigned long long>(st.ro_evict), static_cast<unsigned long long>(st.rw_evict));
  r.detail = buf;
  finish(ctx, p, handles, files, r.total, true);
  return r;
}

}  // namespace pagepool::stress
