// stress/workloads/skew.cpp: Zipf-skewed gets and puts on one file.
//
// Every thread picks pages with a Zipf-like law (theta 0.99: a few pages take
// most of the traffic), so many threads meet on the same hot pages: hits on
// pages another thread holds pinned (often to write them), second pins, dirty
// gets of pages that are being read. A quarter of the operations write (the
// dirty flag at get, at put or through set); the rest read and check. The
// cache holds --cache-pages frames of a file of --file-pages pages, so the
// cold tail still misses and evicts.

#include <algorithm>
#include <cstdio>

#include "../page_ops.hpp"

namespace pagepool::stress {

workload_result run_skew(run_context& ctx) {
  const config& cfg = ctx.cfg;
  const std::size_t frames = std::max(cfg.cache_pages, ctx.min_frames());
  const std::size_t pages = cfg.file_pages;
  ctx.announce(msg() << "1 file of " << pages << " pages, " << frames << " frames, zipf 0.99, 25% writes");

  workload_result r;
  auto files = make_files(ctx, 1, pages, 1);
  std::unique_ptr<pool> p = make_pool(ctx, pool_options_for(ctx, frames));
  if (!p || files.empty()) return r;
  std::vector<std::unique_ptr<file>> handles;
  handles.push_back(open_handle(ctx, *p, files[0]->path()));
  if (!handles[0]) return r;
  const zipf_pages pick(pages, 0.99, ctx.seed);
  file& f = *handles[0];
  const data_file& df = *files[0];

  r.total = run_team(ctx, cfg.threads, [&](worker& w) {
    while (w.time_left() && !ctx.log.failed()) touch_page(w, f, df, pick(w.rng), 25);
  });
  const pool_stats st = p->stats();
  const double gets = static_cast<double>(st.cache_hit + st.cache_miss);
  char buf[160];
  std::snprintf(buf, sizeof buf, "reads %llu, writes %llu, in-flight reads %llu, hit ratio %.3f, dirty evictions %llu",
                static_cast<unsigned long long>(r.total.reads), static_cast<unsigned long long>(r.total.writes),
                static_cast<unsigned long long>(r.total.in_flight), gets > 0 ? static_cast<double>(st.cache_hit) / gets : 0.0,
                static_cast<unsigned long long>(st.rw_evict));
  r.detail = buf;
  finish(ctx, p, handles, files, r.total, true);
  return r;
}

}  // namespace pagepool::stress
