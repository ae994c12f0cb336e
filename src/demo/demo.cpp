// src/demo/demo.cpp: the demonstration's setup (the data file, the pool), the
// checked read and update of one page, and the order of the phases.

#include "demo.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "report.hpp"
#include "testkit/page_stamp.hpp"
#include "testkit/stamp_file.hpp"

namespace pagepool_demo {

demo::demo(const options& opt)
    : opt_(opt), zipf_(opt.pages, 0.99, opt.seed), oracle_(opt.pages, initial_version) {}

demo::~demo() { cleanup(); }

int demo::run() {
  if (!make_file()) return 1;
  if (!open_pool()) return 1;
  std::uint64_t gets = 0;
  gets += phase_scan();
  gets += phase_zipf_reads();
  gets += phase_optimistic_reads();
  gets += phase_policies();
  gets += phase_updates();
  phase_sync_and_verify("d. sync, then every page read back with pread(2)");
  gets += phase_trickle();
  phase_sync_and_verify("   final sync, every page read back with pread(2) once more");
  phase_stats(gets);
  if (auto ec = file_->close()) fail("file close: " + ec.message());
  file_.reset();
  if (auto ec = pool_->close()) fail("pool close: " + ec.message());
  pool_.reset();

  if (const std::uint64_t n = failures(); n != 0) {
    std::printf("\nFAILED: %" PRIu64 " check(s) failed\n", n);
    return 1;
  }
  std::printf("\nOK: every page read matched its oracle version; all checks passed\n");
  return 0;
}

// Writes the data file directly (not through the pool): every page at the
// initial version.
bool demo::make_file() {
  const std::string parent = !opt_.dir.empty()       ? opt_.dir
                             : std::getenv("TMPDIR") ? std::getenv("TMPDIR")
                                                     : "/tmp";
  std::string tmpl = parent + "/pagepool_demo.XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::fprintf(stderr, "pagepool_demo: mkdtemp in %s: %s\n", parent.c_str(), std::strerror(errno));
    return false;
  }
  dir_ = tmpl;
  path_ = dir_ + "/data.db";
  const auto t0 = clock_type::now();
  if (auto err = testkit::write_stamp_file(path_, opt_.pages, initial_version, {page_size}); !err.empty()) {
    std::fprintf(stderr, "pagepool_demo: %s\n", err.c_str());
    return false;
  }
  std::printf("data file   %s: %" PRIu64 " pages x %zu bytes = %.1f MiB, written in %.2f s\n",
              path_.c_str(), opt_.pages, page_size,
              static_cast<double>(opt_.pages * page_size) / (1 << 20), seconds_since(t0));
  return true;
}

bool demo::open_pool() {
  pagepool::pool_options po;
  po.cache_frames = opt_.frames;
  po.frame_size = page_size;
  po.regions = opt_.regions;
  if (auto ec = pagepool::pool::create(po, pool_)) {
    std::fprintf(stderr, "pagepool_demo: pool::create: %s\n", ec.message().c_str());
    return false;
  }
  file_ = pool_->file_create();
  if (!file_) {
    std::fprintf(stderr, "pagepool_demo: file_create returned no handle\n");
    return false;
  }
  if (auto ec = file_->open(path_, pagepool::open_flags::none, 0, page_size)) {
    std::fprintf(stderr, "pagepool_demo: open %s: %s\n", path_.c_str(), ec.message().c_str());
    return false;
  }
  std::printf(
      "pool        %zu frames x %zu bytes = %.1f MiB in %u regions; the file is %.1fx "
      "the cache\n",
      pool_->frames(), pool_->frame_size(),
      static_cast<double>(pool_->frames() * pool_->frame_size()) / (1 << 20), pool_->regions(),
      static_cast<double>(opt_.pages) / static_cast<double>(pool_->frames()));
  std::printf("workers     %u threads, %.1f s per timed phase, seed %" PRIu64 "\n\n", opt_.threads,
              opt_.seconds, opt_.seed);
  check(pool_->frames() == opt_.frames, "pool has the number of frames asked for");
  return true;
}

void demo::read_and_check(pgno_t pgno) {
  pagepool::page_handle h;
  pgno_t p = pgno;
  if (auto ec = file_->get(p, pagepool::get_flags::none, h)) {
    fail_ec("get", pgno, ec);
    return;
  }
  if (auto err = testkit::stamp_mismatch(h.data(), page_size, pgno, oracle_[pgno]); !err.empty()) fail(err);
  if (auto ec = h.release()) fail_ec("put", pgno, ec);
}

void demo::update(pgno_t pgno) {
  pagepool::page_handle h;
  pgno_t p = pgno;
  if (auto ec = file_->get(p, pagepool::get_flags::dirty, h)) {
    fail_ec("get dirty", pgno, ec);
    return;
  }
  if (auto err = testkit::stamp_mismatch(h.data(), page_size, pgno, oracle_[pgno]); !err.empty()) fail(err);
  testkit::stamp_page(h.data(), page_size, pgno, oracle_[pgno] + 1);
  ++oracle_[pgno];
  if (auto ec = h.release(pagepool::priority::unchanged, pagepool::put_flags::dirty)) {
    fail_ec("put dirty", pgno, ec);
  }
}

void demo::cleanup() {
  file_.reset();
  pool_.reset();
  if (!path_.empty()) ::unlink(path_.c_str());
  if (!dir_.empty()) ::rmdir(dir_.c_str());
  path_.clear();
  dir_.clear();
}

}  // namespace pagepool_demo
