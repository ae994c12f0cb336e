// src/core/frames.cpp: frames in and out of service: allocation (a free
// frame, or the policy's victim evicted), eviction, the frames a shrink took
// out of service (drained and retired), and resize.
//
// The edges named here are the frame's (E1, E2, frame/frame.hpp), the file
// state's (F1, core/pool_impl.cpp) and the drain try-lock's (D1,
// papers/design/memory-ordering.md).
#include <chrono>
#include <cstring>
#include <mutex>

#include "core/pool_impl.hpp"
#include "port/backoff.hpp"

namespace pagepool::internal {

namespace {
std::error_code err(int e) { return {e, std::generic_category()}; }
}  // namespace

void pool_impl::unlink_and_free(std::uint32_t r, std::uint32_t f) noexcept {
  region& rg = *regions_[r];
  frame& fr = rg.frame_at(f);
  const std::uint32_t slot = fr.file.load(std::memory_order_relaxed);
  const route rt = route_of(slot, fr.pgno.load(std::memory_order_relaxed));
  rg.table().erase(rt.bucket, f);
  policy_removed(r, f);
  files_.shared(slot).frames.fetch_sub(1, std::memory_order_release);  // (F1)
  rg.push_free(f);
}

void pool_impl::release_frame(std::uint32_t r, std::uint32_t f) noexcept { regions_[r]->push_free(f); }

// ------------------------------------------------------------ frame allocation

std::error_code pool_impl::alloc_frame(std::uint32_t r, policy::page_key k, std::uint32_t& out,
                                       bool& tracked) noexcept {
  tracked = false;
  region& rg = *regions_[r];
  region_header& hd = rg.hdr();
  auto& rc = hd.counters;
  rc.add<&region_counters::alloc>();
  std::uint32_t f = rg.pop_free();
  if (f != no_frame) {
    out = f;
    return {};
  }
  // After a shrink: frames past the limit whose pins are gone go back to the
  // system (a cheap check; the drain itself is rate-limited).
  // relaxed: a hint; drain_excess works under the free-list latch.
  if (hd.excess.load(std::memory_order_relaxed) != 0) {
    drain_excess(r, false);
    if ((f = rg.pop_free()) != no_frame) {
      out = f;
      return {};
    }
  }
  // The deadline is read from the clock only once a first attempt failed:
  // the common miss evicts at the first try and pays no clock_gettime.
  std::chrono::steady_clock::time_point deadline{};
  bool timed = false;
  std::error_code write_err;
  std::uint64_t visits = 0;
  backoff bo;
  for (;;) {
    // The policy picks and claims a victim (policy_host.hpp); a bounded
    // search that finds every candidate pinned gives no_frame.
    pool_frames view(*this, r, rg);
    bool inserted = false;  // the policy already tracks v for k (clean victims only)
    const std::uint32_t v = choose_victim(r, k, view, inserted);
    visits += view.visits();
    {
      const thread_shard ts = this_thread_shard();
      auto& c = rc.shard(ts);
      c.evict_calls.add(1, ts.owned);
      if (v != no_frame) c.victims.add(1, ts.owned);
      if (view.claims_lost() != 0) c.claim_lost.add(view.claims_lost(), ts.owned);
      if (view.usages_lost() != 0) c.usage_lost.add(view.usages_lost(), ts.owned);
    }
    if (v != no_frame) {
      if (auto ec = evict(r, v, view.claimed_word())) {
        write_err = ec;  // still dirty and resident: the policy tracks it again
        policy_inserted(r, v, key_of(r, v));
      } else if (v >= rg.nframes()) {
        if (inserted) policy_removed(r, v);  // shrunk since choose_victim looked
        rg.push_free(v);  // a frame a shrink took out of service: retire it
      } else {
        tracked = inserted;
        rc.add<&region_counters::alloc_pages>(visits);
        std::uint64_t cur = hd.alloc_max_pages.load(std::memory_order_relaxed);
        while (visits > cur &&
               !hd.alloc_max_pages.compare_exchange_weak(cur, visits, std::memory_order_relaxed)) {
        }
        out = v;
        return {};
      }
    }
    if ((f = rg.pop_free()) != no_frame) {  // a frame was freed meanwhile
      rc.add<&region_counters::alloc_pages>(visits);
      out = f;
      return {};
    }
    // Everything pinned or busy, or writes failing: give up at the
    // deadline, never sleep for long.
    const auto now = std::chrono::steady_clock::now();
    if (!timed) {
      deadline = now + opts_.alloc_timeout;
      timed = true;
    }
    if (now >= deadline) {
      rc.add<&region_counters::alloc_pages>(visits);
      return write_err ? write_err : err(ENOMEM);
    }
    if (v == no_frame) bo.pause();
  }
}

bool pool_impl::unevictable(std::uint32_t r, std::uint32_t f) noexcept {
  // relaxed: see file_shared::nofile.
  const std::uint32_t slot = regions_[r]->frame_at(f).file.load(std::memory_order_relaxed);
  return slot < files_.size() && files_.shared(slot).nofile.load(std::memory_order_relaxed);
}

void pool_impl::drain_excess(std::uint32_t r, bool force) noexcept {
  region& rg = *regions_[r];
  region_header& hd = rg.hdr();
  if (!force) {
    // Rate limit: a page pinned for long would otherwise cost every
    // allocation a scan of the excess frames.
    thread_local std::uint32_t tick = 0;
    if ((++tick & 63) != 1) return;
  }
  // The drain flag is a try-lock: the previous drainer's stores to frames
  // are ordered before ours.
  if (hd.draining.exchange(true, std::memory_order_acquire)) return;  // (D1)
  const std::uint32_t end = rg.scan_end();
  for (std::uint32_t i = rg.nframes(); i < end; ++i) retire_one(r, i);
  hd.draining.store(false, std::memory_order_release);  // (D1)
}

void pool_impl::retire_one(std::uint32_t r, std::uint32_t i) noexcept {
  region& rg = *regions_[r];
  frame& fr = rg.frame_at(i);
  frame_state::word s = fr.state.load(std::memory_order_relaxed);
  if (!frame_state::evictable(s) || unevictable(r, i)) return;
  if (!frame_ops::claim(fr, s)) return;  // (E1)
  if (i < rg.nframes() || unevictable(r, i)) {  // grown back meanwhile, or key changed
    frame_ops::give_back(fr, s);  // (E2)
    return;
  }
  if (evict(r, i, s | frame_state::busy)) return;  // write failed: still dirty, retried later
  policy_removed(r, i);
  rg.push_free(i);  // past the limit: retires it and returns its memory
}

std::error_code pool_impl::resize(std::size_t frames) noexcept {
  if (closed.load(std::memory_order_relaxed)) return err(EINVAL);
  const auto nreg = static_cast<std::uint32_t>(regions_.size());
  if (frames < nreg || frames > max_frames_) return err(EINVAL);
  std::lock_guard g(resize_mu_);
  for (std::uint32_t r = 0; r < nreg; ++r) {
    region& rg = *regions_[r];
    const auto n = static_cast<std::uint32_t>(frames / nreg + (r < frames % nreg ? 1 : 0));
    if (n > rg.cap()) return err(EINVAL);  // cannot happen: cap = ceil(max_frames_ / nreg)
  }
  for (std::uint32_t r = 0; r < nreg; ++r) {
    region& rg = *regions_[r];
    const auto n = static_cast<std::uint32_t>(frames / nreg + (r < frames % nreg ? 1 : 0));
    if (n > rg.nframes()) {
      rg.grow(n);
    } else if (n < rg.nframes()) {
      rg.shrink(n);
      drain_excess(r, true);
    }
    policy_resized(r);
  }
  total_frames_.store(frames, std::memory_order_relaxed);
  return {};
}

std::error_code pool_impl::evict(std::uint32_t r, std::uint32_t f, frame_state::word s) noexcept {
  region& rg = *regions_[r];
  frame& fr = rg.frame_at(f);
  const std::uint32_t slot = fr.file.load(std::memory_order_relaxed);
  const pgno_t pgno = fr.pgno.load(std::memory_order_relaxed);
  file_shared& fs = files_.shared(slot);
  const bool dirty = (s & frame_state::dirty) != 0;
  if (dirty) {
    std::byte* copy = scratch_page(frame_size_);
    if (copy == nullptr) {
      frame_ops::give_back(fr, s);  // (E2)
      return err(ENOMEM);
    }
    std::memcpy(copy, rg.page(f), fs.page_size);
    if (auto ec = write_page(slot, pgno, copy)) {
      frame_ops::give_back(fr, s);  // (E2): still dirty
      return ec;
    }
  }
  const route rt = route_of(slot, pgno);
  rg.table().erase(rt.bucket, f);
  rg.hdr().counters.add(dirty ? &region_counters::rw_evict : &region_counters::ro_evict);
  if (dirty) nudge_background_writer();
  fs.frames.fetch_sub(1, std::memory_order_release);  // (F1)
  frame_ops::make_blank(fr);  // E': still ours
  return {};
}

}  // namespace pagepool::internal
