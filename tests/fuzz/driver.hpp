// tests/fuzz/driver.hpp: the driver of one input. It decodes the input into
// calls on one small pool (driver::run, driver.cpp), makes each call, and
// keeps the set of model worlds (model.hpp) that allow every result so far
// (each: a world the result does not fit is dropped; none left is a
// divergence). One op_* per kind of call; their definitions are grouped by
// call in op_open.cpp, op_get.cpp, op_put.cpp, op_close.cpp, op_sync.cpp,
// op_setting.cpp and op_pool.cpp. A single std::mutex guards the model (the
// target is single-threaded; the lock states that the model is the serial
// reference).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "fuzz_common.hpp"
#include "input.hpp"
#include "model.hpp"
#include "trace.hpp"

namespace pagepool_fuzz {

class driver {
 public:
  driver(const std::uint8_t* d, std::size_t n) : r_{d, n} {}
  void run();

 private:
  std::mutex mu_;  // the model's one lock
  reader r_;
  std::unique_ptr<pool> pool_;
  pagepool::pool_options opts_;
  std::array<std::unique_ptr<file>, nhandles> obj_;
  std::vector<world> worlds_;
  std::vector<std::uintptr_t> history_;  // addresses put before (double puts)
  std::vector<world> extra_;  // worlds a call forked off (appended by each)
  std::uint64_t serial_ = 0;
  std::size_t nframes_ = 0;
  unsigned nregions_ = 1;
  bool gave_up_ = false;

  // Applies `f` to every world; keeps those that allow the result.
  template <class F>
  void each(const char* what, F f) {
    each(what, f, [] {});
  }
  /// The same; `explain` prints what the worlds expected before a divergence.
  template <class F, class X>
  void each(const char* what, F f, X explain) {
    std::vector<world> keep;
    keep.reserve(worlds_.size());
    extra_.clear();
    for (auto& w : worlds_)
      if (f(w)) keep.push_back(std::move(w));
    for (auto& x : extra_) keep.push_back(std::move(x));
    extra_.clear();
    if (keep.empty()) {
      explain();
      diverge(what);
    }
    worlds_ = std::move(keep);
  }
  world& w0() { return worlds_.front(); }
  /// Whether a get of page p of file f that needs a frame gets one
  /// (pool.hpp, "Page sizes"): `no` when every frame of the page's region (of
  /// its page size's class) holds a pinned page or an in-memory one; `yes`
  /// when, besides, the pinned and in-memory pages of every size leave room
  /// in the byte budget for this one (an unpinned page somewhere is evicted
  /// for it); `maybe` otherwise: the get succeeds only if an unpinned page
  /// of the same region is still cached, which the model does not know (a
  /// clean page may have been dropped), and fails with ENOMEM, after
  /// evicting what it could, if none is.
  enum class room { no, yes, maybe };
  room full(const world& w, int f, pgno_t p) const {
    const std::size_t ps = w.files[f].ps;
    const unsigned r = region_of(w.files[f].slot, p, nregions_);
    const std::size_t budget = nframes_ * frame_size;
    const auto [in_r, bytes] = w.locked_class(ps, r, nregions_);
    if (in_r >= region_share(r, budget / ps, nregions_)) return room::no;
    return bytes + ps <= budget ? room::yes : room::maybe;
  }

  void make_pool();
  void op_open(int k);
  void configure(int k, file& fo);
  void op_get(int k);
  void op_put(int k, bool set_only, int mode);
  void op_double_put(int k);
  void op_stamp(int k);
  void op_close(int k);
  void op_destroy(int k);
  void op_file_sync(int k);
  void op_pool_sync();
  void op_trickle();
  void op_setting(int k);
  void op_last_pgno(int k);
  void op_pool_close();
  void op_pool_new();
  void op_set_policy();
  void op_resize();
  void stamp(int k, std::uintptr_t addr);
  void observe_open(int k, std::uint32_t flags);
};

}  // namespace pagepool_fuzz
