// src/core/frames.cpp: frames in and out of service: allocation (a free
// frame, or the policy's victim evicted), eviction, the frames a shrink took
// out of service (drained and retired), and resize.
//
// The edges named here are the frame's (E1, E2, frame/frame.hpp), the file
// state's (F1, core/pool_impl.cpp) and the drain try-lock's (D1,
// papers/design/memory-ordering.md).
#include <bit>
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
  const route rt = route_of(r / nregions_, slot, fr.pgno.load(std::memory_order_relaxed));
  rg.table().erase(rt.bucket, f);
  policy_removed(r, f);
  files_.shared(slot).frame_out();  // (F1)
  give_free(r, f);
}

void pool_impl::release_frame(std::uint32_t r, std::uint32_t f) noexcept { give_free(r, f); }

// ------------------------------------------------------------ frame allocation

std::error_code pool_impl::alloc_frame(std::uint32_t r, policy::page_key k, std::uint32_t& out,
                                       bool& tracked) noexcept {
  tracked = false;
  region& rg = *regions_[r];
  region_header& hd = rg.hdr();
  auto& rc = hd.counters;
  rc.add<&region_counters::alloc>();
  std::uint32_t f = take_free(r);
  if (f != no_frame) {
    out = f;
    return {};
  }
  // After a shrink: frames past the limit whose pins are gone go back to the
  // system (a cheap check; the drain itself is rate-limited).
  // relaxed: a hint; drain_excess works under the free-list latch.
  if (hd.excess.load(std::memory_order_relaxed) != 0) {
    drain_excess(r, false);
    if ((f = take_free(r)) != no_frame) {
      out = f;
      return {};
    }
  }
  const std::uint32_t cls = r / nregions_;
  // The deadline is read from the clock only once a first attempt failed:
  // the common miss evicts at the first try and pays no clock_gettime.
  std::chrono::steady_clock::time_point deadline{};
  bool timed = false;
  std::error_code write_err;
  std::uint64_t visits = 0;
  std::uint32_t donations = 0;
  bool own_dry = false;  // this class had no victim: draw among the others
  backoff bo;
  for (;;) {
    // The region has free frames but the budget no room for another page
    // of this size: one class, drawn by the bytes it holds
    // (core/page_classes.cpp), pays for the page: this class's own victim if
    // it is drawn, or pages of the drawn class given up until the page fits
    // (a page of 64 KiB may take 128 of 512 B). Never with one class in use.
    if (donations < 8192 && rg.has_free()) {
      const std::uint32_t d = pick_donor(cls, own_dry);
      if (d != cls) {
        bool gave = false;
        while (donations < 8192 && donate(d)) {
          ++donations;
          gave = true;
          if ((f = take_free(r)) != no_frame) {
            out = f;
            return {};
          }
        }
        if (gave) continue;  // the drawn class ran dry (or others took the bytes): draw again
      }
    }
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
        give_free(r, v);  // a frame a shrink took out of service: retire it
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
    // No victim of its own, and the budget, not the region, is full: before
    // waiting, every class in turn gives up what it can (the draw above may
    // have missed the one class with unpinned pages), so that a get fails
    // only if the pinned pages alone leave no room for this one.
    // relaxed: see pick_donor.
    if (const std::uint32_t live = acct_->live_classes.load(std::memory_order_relaxed);
        v == no_frame && rg.has_free() && !std::has_single_bit(live)) {
      for (std::uint32_t d = 0; d < page_classes && f == no_frame; ++d)
        if ((live >> d) & 1u)
          while (donate(d) && (f = take_free(r)) == no_frame) {
          }
      if (f != no_frame) {
        rc.add<&region_counters::alloc_pages>(visits);
        out = f;
        return {};
      }
    }
    if ((f = take_free(r)) != no_frame) {  // a frame was freed meanwhile
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
    if (v == no_frame) {
      own_dry = true;
      bo.pause();
    }
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
  give_free(r, i);  // past the limit: retires it and returns its memory
}

std::error_code pool_impl::resize(std::size_t frames) noexcept {
  if (closed.load(std::memory_order_relaxed)) return err(EINVAL);
  if (frames < nregions_ || frames > max_frames_) return err(EINVAL);
  std::lock_guard g(resize_mu_);
  // Every class's regions get the frames the new budget pays for (the
  // default class exactly `frames`); the bytes its pages hold then come back
  // under the budget as enforce_budget evicts.
  const std::size_t bytes = frames * frame_size_;
  if (auto ec = size_regions(bytes)) {
    // A region file's directory had no room for a grow (ENOSPC): the
    // regions grown so far go back to the size the budget still pays for,
    // so the pool is as it was.
    (void)size_regions(budget_bytes());
    return ec;
  }
  acct_->frames.store(frames, std::memory_order_relaxed);  // the budget (budget_bytes())
  enforce_budget();
  return {};
}

std::error_code pool_impl::size_regions(std::size_t bytes) noexcept {
  for (std::uint32_t c = 0; c < page_classes; ++c) {
    if (!class_live(c)) continue;
    const std::size_t total = bytes >> (min_page_shift + c);
    for (std::uint32_t i = 0; i < nregions_; ++i) {
      const std::uint32_t r = c * nregions_ + i;
      region& rg = *regions_[r];
      const auto n = static_cast<std::uint32_t>(
          std::min<std::size_t>(total / nregions_ + (i < total % nregions_ ? 1 : 0), rg.cap()));
      if (n > rg.nframes()) {
        if (auto ec = rg.grow(n)) return ec;  // this region unchanged
      } else if (n < rg.nframes()) {
        rg.shrink(n);
        drain_excess(r, true);
      }
      policy_resized(r);
    }
  }
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
    std::byte* copy = scratch_page(fs.page_size);
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
  const route rt = route_of(r / nregions_, slot, pgno);
  rg.table().erase(rt.bucket, f);
  rg.hdr().counters.add(dirty ? &region_counters::rw_evict : &region_counters::ro_evict);
  if (dirty) nudge_background_writer();
  fs.frame_out();  // (F1)
  frame_ops::make_blank(fr);  // E': still ours
  return {};
}

}  // namespace pagepool::internal
