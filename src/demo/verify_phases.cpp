// src/demo/verify_phases.cpp: the phases that check what the others did:
// d. sync, then the file as the kernel has it, read with pread(2), against
// the oracle; f. the pool's statistics, exact once no thread works.

#include <cinttypes>
#include <cstdio>
#include <string>

#include "demo.hpp"
#include "report.hpp"
#include "testkit/stamp_file.hpp"

namespace pagepool_demo {

// d. (and after e.) sync, then the file as the kernel has it, read with
// pread(2), must hold every page at its last version.
void demo::phase_sync_and_verify(const char* title) {
  std::printf("%s\n", title);
  const counters before = counters::of(pool_->stats());
  const auto t0 = clock_type::now();
  if (auto ec = pool_->sync()) fail("pool sync: " + ec.message());
  const double sync_secs = seconds_since(t0);
  const pagepool::pool_stats after = pool_->stats();
  const counters d = counters::of(after) - before;
  std::printf("    sync wrote %" PRIu64 " pages in %.2f s; dirty pages left: %u\n", d.page_out, sync_secs,
              after.page_dirty);
  check(after.page_dirty == 0, "after sync with nothing pinned, no page is dirty");

  const testkit::file_verdict v = testkit::check_stamp_file(path_, oracle_, {page_size}, 10);
  if (!v.ok()) fail(std::to_string(v.wrong) + " page(s) on disk differ from the oracle:" + v.report);
  std::uint64_t updated = 0;
  for (const std::uint64_t version : oracle_) updated += version != initial_version;
  std::printf("    %" PRIu64 " pages read back, %" PRIu64 " of them updated: %" PRIu64 " wrong\n\n", v.pages,
              updated, v.wrong);
}

// f. The statistics, exact now that no thread is working.
void demo::phase_stats(std::uint64_t gets) {
  const pagepool::pool_stats s = pool_->stats();
  std::printf("f. statistics (the pool is quiescent, so they are exact)\n\n");
  std::printf("    %-22s %14s\n", "pool", "value");
  std::printf("    %-22s %14s\n", "----------------------", "--------------");
  const auto row = [](const char* name, std::uint64_t v) { std::printf("    %-22s %14" PRIu64 "\n", name, v); };
  row("gets (demo count)", gets);
  row("cache_hit", s.cache_hit);
  row("cache_miss", s.cache_miss);
  std::printf("    %-22s %13.2f%%\n", "hit ratio", ratio(s.cache_hit, s.cache_hit + s.cache_miss));
  row("page_in", s.page_in);
  row("page_out", s.page_out);
  row("ro_evict", s.ro_evict);
  row("rw_evict", s.rw_evict);
  row("page_create", s.page_create);
  row("page_trickle", s.page_trickle);
  row("hash_searches", s.hash_searches);
  row("io_wait", s.io_wait);
  row("pages (resident)", s.pages);
  row("page_dirty", s.page_dirty);
  row("frames", s.frames);
  row("regions (ncache)", s.ncache);

  std::printf("\n    %-28s %8s %12s %12s %10s %10s %8s\n", "file", "pagesize", "cache_hit", "cache_miss",
              "page_in", "page_out", "create");
  for (const pagepool::file_stats& f : pool_->file_statistics()) {
    std::string name = f.file_name.empty() ? std::string("(temporary)") : f.file_name;
    if (name.size() > 28) name = "..." + name.substr(name.size() - 25);
    std::printf("    %-28s %8u %12" PRIu64 " %12" PRIu64 " %10" PRIu64 " %10" PRIu64 " %8" PRIu64 "\n",
                name.c_str(), f.pagesize, f.cache_hit, f.cache_miss, f.page_in, f.page_out, f.page_create);
  }

  check(s.cache_hit + s.cache_miss == gets, "hits + misses == the gets the demo made");
  check(s.page_create == 0, "no page was created (every page existed)");
  check(s.page_dirty == 0, "nothing dirty after the final sync");
  check(s.pages <= s.frames, "resident pages never exceed the frames");
  check(s.ro_evict + s.rw_evict + s.pages == s.page_in + s.page_create,
        "every page read in is still resident or was evicted, exactly once");
}

}  // namespace pagepool_demo
