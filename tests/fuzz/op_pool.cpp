// tests/fuzz/op_pool.cpp: calls on the pool itself in pagepool_api_fuzz:
// close (EBUSY while a handle is open; dirty pages written), a new pool on the
// same files, set_policy (any policy, or one out of range) and resize (sizes in
// range and out of it, fewer frames than regions; a shrink only where the
// model stays exact). After a resize the frames are split between the regions
// again (region_share), which the ENOMEM rule of op_get follows.
#include <cstddef>

#include "driver.hpp"

namespace pagepool_fuzz {

void driver::op_pool_close() {
  const auto ec = pool_->close();
  call("pool::close", -1, 0, 0, 0, ec);
  each("pool::close", [&](world& w) {
    if (w.closed) return !ec;
    for (const auto& h : w.h)
      if (h.open) return ec == E(EBUSY);
    if (ec) return false;
    w.closed = true;
    for (auto& f : w.files) {
      if (!f.alive || f.kind != fkind::disk) continue;
      for (auto& [p, pm] : f.pages)
        if (pm.d != dirt::no) world::written(pm);
    }
    return true;
  });
}

void driver::op_pool_new() {
  for (int k = 0; k < nhandles; ++k)
    if (obj_[k]) op_destroy(k);
  pool_.reset();
  make_pool();
  each("new pool", [&](world& w) {
    w.closed = false;
    for (auto& f : w.files) {
      if (f.kind == fkind::disk) {
        world::state_gone(f);
      } else {
        f.alive = false;
        f.pages.clear();
      }
    }
    return true;
  });
}

void driver::op_set_policy() {
  // Any policy, or a value out of range; pages keep their frames (pool.hpp).
  const int v = static_cast<int>(r_.u8() % 8) - 1;
  const auto ec = pool_->set_policy(static_cast<pagepool::policy_kind>(v));
  call("set_policy", -1, v, 0, 0, ec);
  each("set_policy", [&](world& w) {
    if (v < 0 || v >= pagepool::policy_kind_count || w.closed) return ec == E(EINVAL);
    return !ec;
  });
}

void driver::op_resize() {
  // Sizes in range and out of it. A shrink is made only while no world has
  // a page that holds its frame (pinned, or of an in-memory file): then every
  // frame past the new size is drained at once (dirty pages written) and the
  // ENOMEM rule stays exact. A shrink with held pages leaves them past the
  // size until their put, in frames whose place no model without the frame
  // indices could predict; the stress swarm and the crash harness cover it.
  const std::size_t maxf = pool_->max_frames();
  const int sel = r_.u8() % 8;
  std::size_t n;
  switch (sel) {
    case 0: n = nregions_ - 1; break;            // fewer frames than regions: EINVAL
    case 1: n = maxf + 1; break;                 // past the maximum: EINVAL
    case 2: n = maxf; break;
    case 3: n = nframes_ + 1; break;
    case 4: n = nframes_ > 1 ? nframes_ - 1 : 1; break;
    default: n = 1 + r_.u8() % maxf; break;      // with regions, maybe fewer than them
  }
  const bool in_range = n >= nregions_ && n <= maxf;
  if (in_range && n < nframes_) {
    for (const world& w : worlds_)
      if (w.closed || w.locked() != 0) return;  // not exact: no call
  }
  const auto ec = pool_->resize(n);
  call("resize", -1, static_cast<long long>(n), static_cast<long long>(nframes_), 0, ec);
  each("resize", [&](world& w) {
    if (!in_range || w.closed) return ec == E(EINVAL);
    if (ec) return false;
    // A shrink evicts pages past the new size, dirty ones written first.
    if (n < nframes_) w.may_evict();
    return true;
  });
  if (!ec) {
    nframes_ = n;
    if (pool_->frames() != n) diverge("pool::frames() does not follow resize");
  } else if (pool_->frames() != nframes_) {
    diverge("a resize that failed changed pool::frames()");
  }
}

}  // namespace pagepool_fuzz
