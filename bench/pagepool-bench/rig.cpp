// bench/pagepool-bench/rig.cpp: building and taking down a pool_rig.
#include "rig.hpp"

#include <fcntl.h>
#include <stdlib.h>

#include <cerrno>
#include <chrono>
#include <system_error>

namespace pagepool::bench {

std::string describe(const std::error_code& ec) {
  return std::string(ec.category().name()) + ":" + std::to_string(ec.value()) + " (" + ec.message() + ")";
}

bool pool_rig::make(const rig_config& cfg, std::unique_ptr<pool_rig>& out, std::string& err) {
  std::unique_ptr<pool_rig> r(new pool_rig());
  r->cfg_ = cfg;
  std::shared_ptr<io_backend> io;
  std::string path;
  if (cfg.back == backing::memory) {
    io = make_memory_io(cfg.page_size);  // one chunk per page
    if (!io) {
      err = "cannot allocate the in-memory backing";
      return false;
    }
    path = "/pagepool-bench/data";
  } else {
    io = posix_io();
    std::string tmpl = (std::filesystem::temp_directory_path() / "pagepool-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      err = "cannot make a directory in " + std::filesystem::temp_directory_path().string() + ": " +
            std::generic_category().message(errno);
      return false;
    }
    r->scratch_ = tmpl;
    path = (r->scratch_ / "data").string();
  }
  // The file, with every page present (a hole, read as zeros).
  const int fd = io->open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    err = "cannot create " + path + ": " + std::generic_category().message(-fd);
    return false;
  }
  const int trc = io->ftruncate(fd, std::uint64_t{cfg.pages} * cfg.page_size);
  (void)io->close(fd);
  if (trc < 0) {
    err = "cannot size " + path + ": " + std::generic_category().message(-trc);
    return false;
  }

  pool_options o;
  o.cache_frames = cfg.frames;
  o.frame_size = cfg.page_size;
  o.regions = cfg.regions;
  o.policy = cfg.policy;
  o.mmap_size = 0;  // every page through the pool, never an mmap
  o.io = io;
  if (!cfg.region_dir.empty()) {
    // A home of its own inside the directory, so that pools of one run
    // (`run --handles private`) do not meet in one registry.
    std::string tmpl = (std::filesystem::path(cfg.region_dir) / "pagepool-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      err = "cannot make a directory in " + cfg.region_dir + ": " + std::generic_category().message(errno);
      return false;
    }
    r->home_ = tmpl;
    o.home = tmpl;
    o.region_files = true;
    o.publish_period = std::chrono::milliseconds(0);
  }
  if (auto ec = pool::create(o, r->pool_)) {
    err = "pool::create (" + std::to_string(cfg.frames) + " frames of " + std::to_string(cfg.page_size) +
          " bytes, " + std::to_string(cfg.regions) + " regions): " + describe(ec);
    return false;
  }
  for (unsigned i = 0; i < cfg.handles; ++i) {
    std::unique_ptr<file> f = r->pool_->file_create();
    if (!f) {
      err = "file_create failed";
      return false;
    }
    if (auto ec = f->open(path, open_flags::none, 0, cfg.page_size)) {
      err = "open " + path + ": " + describe(ec);
      return false;
    }
    r->handles_.push_back(std::move(f));
  }
  out = std::move(r);
  return true;
}

pool_rig::~pool_rig() {
  for (auto& f : handles_)
    if (f && f->is_open()) (void)f->close();
  handles_.clear();
  if (pool_) (void)pool_->close();
  pool_.reset();
  if (!scratch_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(scratch_, ec);
  }
  if (!home_.empty()) {
    (void)pool::remove(home_.string(), false);
    std::error_code ec;
    std::filesystem::remove_all(home_, ec);
  }
}

rig_counts pool_rig::counts(bool clear) noexcept {
  const pool_stats s = pool_->stats(clear);
  rig_counts c;
  c.hits = s.cache_hit;
  c.misses = s.cache_miss + s.page_create;
  c.page_out = s.page_out;
  c.bucket_wait = s.hash_wait;
  c.bucket_latch = s.hash_wait + s.hash_nowait;
  c.free_wait = s.free_latch_wait;
  c.free_latch = s.free_latch_wait + s.free_latch_nowait;
  c.policy_wait = s.policy_latch_wait;
  c.policy_latch = s.policy_latch_wait + s.policy_latch_nowait;
  c.claim_retries = s.claim_retries;
  c.usage_retries = s.usage_retries;
  c.load_races = s.load_races;
  c.pin_waits = s.io_wait;
  c.evict_calls = s.evict_calls;
  c.victims = s.evict_victims;
  c.visits = s.alloc_pages;
  c.hits_dropped = s.policy_hits_dropped;
  return c;
}

}  // namespace pagepool::bench
