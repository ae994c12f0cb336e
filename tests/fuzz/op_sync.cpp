// tests/fuzz/op_sync.cpp: writing pages back in pagepool_api_fuzz: file and
// pool sync (apply_sync: every unpinned page that may be dirty is written;
// incomplete if a pinned page is dirty) and trickle (some dirty unpinned
// pages written, how many the call says).
#include <cstddef>
#include <system_error>
#include <vector>

#include "driver.hpp"
#include "run_stats.hpp"

namespace pagepool_fuzz {

namespace {
/// sync of every file (only < 0) or of file `only`: writes every unpinned
/// page that may be dirty; incomplete if a pinned page is dirty.
bool apply_sync(world& w, int only, std::error_code ec) {
  bool must_incomplete = false;
  std::vector<page_m*> maybes;
  for (std::size_t i = 0; i < w.files.size(); ++i) {
    file_m& f = w.files[i];
    if (!f.alive || f.kind != fkind::disk) continue;
    if (only >= 0 && static_cast<int>(i) != only) continue;
    for (auto& [p, pm] : f.pages) {
      if (!pm.mem) continue;
      if (w.pinned(static_cast<int>(i), p)) {
        if (pm.d == dirt::yes) must_incomplete = true;
        if (pm.d == dirt::maybe) maybes.push_back(&pm);
      } else if (pm.d != dirt::no) {
        world::written(pm);
      }
    }
  }
  if (ec == incomplete()) {
    if (!must_incomplete && maybes.empty()) return false;
    if (!must_incomplete && maybes.size() == 1) maybes[0]->d = dirt::yes;
    return true;
  }
  if (ec || must_incomplete) return false;
  for (auto* pm : maybes) world::written(*pm);  // its dirty bit was clear: the file has it
  return true;
}
}  // namespace

void driver::op_file_sync(int k) {
  if (!obj_[k]) return;
  const auto ec = obj_[k]->sync();
  call("file::sync", k, 0, 0, 0, ec);
  if (ec == incomplete()) seen(sync_incomplete);
  each("file::sync", [&](world& w) {
    const handle_m& h = w.h[k];
    if (!h.open) return ec == E(EINVAL);
    const file_m& f = w.files[h.file];
    if (h.rdonly || f.kind != fkind::disk) return !ec;
    return apply_sync(w, h.file, ec);
  });
}

void driver::op_pool_sync() {
  const auto ec = pool_->sync();
  call("pool::sync", -1, 0, 0, 0, ec);
  if (ec == incomplete()) seen(sync_incomplete);
  each("pool::sync", [&](world& w) {
    if (w.closed) return ec == E(EINVAL);
    return apply_sync(w, -1, ec);
  });
}

void driver::op_trickle() {
  static constexpr int pct[] = {-1, 0, 1, 10, 50, 80, 100, 101};
  const int percent = pct[r_.u8() % 8];
  int written = -7;
  const auto ec = pool_->trickle(percent, &written);
  call("trickle", -1, percent, written, 0, ec);
  each("trickle", [&](world& w) {
    if (percent < 1 || percent > 100 || w.closed) return ec == E(EINVAL);
    if (ec) return false;
    std::vector<page_m*> cand;
    for (std::size_t i = 0; i < w.files.size(); ++i) {
      file_m& f = w.files[i];
      if (!f.alive || f.kind != fkind::disk) continue;
      for (auto& [p, pm] : f.pages)
        if (pm.mem && pm.d != dirt::no && !w.pinned(static_cast<int>(i), p)) cand.push_back(&pm);
    }
    if (written < 0 || static_cast<std::size_t>(written) > cand.size()) return false;
    if (written == 0) return true;
    for (auto* pm : cand) {
      if (static_cast<std::size_t>(written) == cand.size()) world::written(*pm);
      else world::written_maybe(*pm);
    }
    return true;
  });
}

}  // namespace pagepool_fuzz
