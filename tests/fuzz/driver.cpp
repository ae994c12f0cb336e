// tests/fuzz/driver.cpp: the input decoder, the operation encoding of
// pagepool_api_fuzz. driver::run reads the pool's frame count (2 + b % 4)
// and a byte c for the eviction policy (c % 6), the regions (1 + c / 6 % 8)
// and mmap_size (c / 48 % 3: off, 1 MiB, 8 KiB; bytes 0..5, the seeds of
// before, give one region and no mmap), then per call an op byte (b % 20) and a handle slot
// (b % 4), and calls the op_* that reads the op's own bytes; at most max_ops
// calls, and the input is cut short once the model holds more than max_worlds
// worlds. make_pool creates the pool and checks its frame count and regions.
// With more regions than the frame count, pool::create must fail (EINVAL);
// the pool is then made with 1 to 4 frames per region.
#include "driver.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <utility>

#include "run_stats.hpp"

namespace pagepool_fuzz {

void driver::make_pool() {
  std::unique_ptr<pool> p;
  const auto ec = pool::create(opts_, p);
  call("pool::create", -1, static_cast<long long>(opts_.cache_frames), 0, 0, ec);
  if (ec) diverge("pool::create failed");
  pool_ = std::move(p);
  nframes_ = pool_->frames();
  if (nframes_ != opts_.cache_frames) diverge("pool::frames() is not cache_frames");
  if (pool_->regions() != opts_.regions) diverge("pool::regions() is not regions");
  if (pool_->mmap_size() != opts_.mmap_size) diverge("pool::mmap_size() is not mmap_size");
  if (nregions_ > 1) seen(pool_regions);
}

void driver::run() {
  std::lock_guard g(mu_);
  const std::uint8_t fb = r_.u8();
  opts_.cache_frames = 2 + fb % 4;
  opts_.frame_size = frame_size;
  const std::uint8_t cb = r_.u8();
  nregions_ = 1 + (cb / 6) % 8;
  opts_.regions = nregions_;
  opts_.alloc_timeout = std::chrono::milliseconds(0);
  // mmap: read-only files up to mmap_size are served from a mapping unless a
  // page of theirs is cached (is_mapped() after open tells the model which).
  static constexpr std::size_t mmap_sizes[] = {0, 1u << 20, 8192};
  opts_.mmap_size = mmap_sizes[(cb / 48) % 3];
  opts_.max_files = 64;
  opts_.temp_dir = g_dir;
  opts_.policy = static_cast<pagepool::policy_kind>(cb % pagepool::policy_kind_count);
  if (opts_.cache_frames < nregions_) {
    // Fewer frames than regions: EINVAL (pool.hpp), then 1..4 frames a region.
    std::unique_ptr<pool> p;
    const auto ec = pool::create(opts_, p);
    call("pool::create", -1, static_cast<long long>(opts_.cache_frames), nregions_, 0, ec);
    if (ec != E(EINVAL) || p) diverge("pool::create with fewer frames than regions");
    opts_.cache_frames = nregions_ * (1 + (fb / 4) % 4);
  }
  make_pool();
  world w;
  for (std::size_t i = 0; i < disk_ps.size(); ++i) {
    file_m f;
    f.kind = fkind::disk;
    f.name = g_dir + "/f" + std::to_string(i);
    f.ps = disk_ps[i];
    w.files.push_back(std::move(f));
  }
  worlds_.push_back(std::move(w));

  for (int n = 0; n < max_ops && !r_.done() && !gave_up_; ++n) {
    const int op = r_.u8() % 20;
    const int k = r_.u8() % nhandles;
    switch (op) {
      case 0: case 1: op_open(k); break;
      case 2: case 3: case 4: case 5: op_get(k); break;
      case 6: case 7: op_put(k, false, r_.u8() % 8); break;
      case 8: op_put(k, true, r_.u8() % 8); break;
      case 9: op_double_put(k); break;
      case 10: op_stamp(k); break;
      case 11: op_close(k); break;
      case 12: op_file_sync(k); break;
      case 13: op_pool_sync(); break;
      case 14: op_trickle(); break;
      case 15: op_setting(k); break;
      case 16: op_destroy(k); break;
      case 17: op_last_pgno(k); break;
      case 18: if (r_.u8() % 4 == 0) op_pool_close(); else op_get(k); break;
      case 19:
        if (w0().closed) op_pool_new();
        else if (k == 3) op_set_policy();
        else if (k == 2) op_resize();
        else op_put(k, false, 0);
        break;
    }
    g_max_worlds = std::max(g_max_worlds, worlds_.size());
    if (worlds_.size() > max_worlds) gave_up_ = true;
  }
  if (gave_up_) ++g_gave_up;
  // Tear down through the destructors: handles left open release their pins.
  for (auto& o : obj_) o.reset();
  pool_.reset();
}

}  // namespace pagepool_fuzz
