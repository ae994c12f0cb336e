// src/core/get.cpp: get's paths past the latch-free hit (core/hit_path.hpp):
// flags other than dirty/edit, mapped files, the latched lookup, waiting for
// a busy frame, the miss (a frame allocated, the page read in and published)
// and new pages; and the optimistic read's begin.
//
// The edges named here are the frame's (P1-P4, frame/frame.hpp), the
// optimistic read's (O1, O2, below) and the file state's (F1,
// core/pool_impl.cpp).
#include <algorithm>
#include <cstring>

#include "core/pool_impl.hpp"
#include "io/posix_io.hpp"
#include "port/backoff.hpp"

namespace pagepool::internal {

namespace {
std::error_code err(int e) { return {e, std::generic_category()}; }
}  // namespace

// ------------------------------------------------------------------ get (fix)

std::error_code pool_impl::fix_slow(file_handle_state& h, pgno_t* pgno, get_flags flags,
                                    fix_result& out) noexcept {
  using gf = get_flags;
  const auto fl = static_cast<std::uint32_t>(flags);
  constexpr auto known = static_cast<std::uint32_t>(gf::create | gf::dirty | gf::edit | gf::last |
                                                    gf::new_page);
  if ((fl & ~known) != 0) return err(EINVAL);
  const bool create = any(flags, gf::create), last = any(flags, gf::last),
             is_new = any(flags, gf::new_page);
  if (int{create} + int{last} + int{is_new} > 1) return err(EINVAL);
  if (!h.open || closed.load(std::memory_order_relaxed) || pgno == nullptr) return err(EINVAL);
  const bool want_dirty = any(flags, gf::dirty | gf::edit);
  if (h.rdonly) {
    if (want_dirty) return err(EACCES);
    if (is_new) return err(EINVAL);
  }
  const std::uint32_t slot = h.slot;
  file_shared& fs = files_.shared(slot);
  const std::size_t ps = fs.page_size;

  // Small read-only files: served from the mapping while no writer joined.
  // relaxed: can_mmap only ever goes true -> false; a stale true serves the
  // mapped file, which is what the handle saw at open.
  if (h.map != nullptr && !is_new && fs.can_mmap.load(std::memory_order_relaxed)) {
    if (last && h.map_pages == 0) return errc::page_not_found;
    const pgno_t p = last ? h.map_pages - 1 : *pgno;
    if (p < h.map_pages) {
      fs.counters.add<&file_counters::map>();
      *pgno = p;
      out = {make_ref(no_frame, p), h.map + std::size_t{p} * ps, p};
      return {};
    }
  }

  if (is_new) {
    // Allocate the frame first so that a failure changes nothing.
    for (;;) {
      // relaxed (npages everywhere): a count that publishes nothing; a page's
      // bytes are published through its frame's state word.
      const std::uint32_t n = fs.npages.load(std::memory_order_relaxed);
      const std::uint64_t maxp = fs.maxpages.load(std::memory_order_relaxed);
      if (n == no_frame || n >= maxp) return err(ENOSPC);
      const route rt = route_of(h.cls, slot, n);
      region& rg = *regions_[rt.region];
      std::uint32_t f;
      bool tracked = false;  // alloc_frame told the policy already (clean victim)
      if (auto ec = alloc_frame(rt.region, policy::page_key::of(slot, n), f, tracked)) return ec;
      std::uint32_t expect = n;
      if (!fs.npages.compare_exchange_strong(expect, n + 1, std::memory_order_relaxed)) {
        if (tracked) policy_removed(rt.region, f);
        release_frame(rt.region, f);
        continue;
      }
      const frame_state::word l = insert_loading(rt, f, slot, n);
      if (l == 0) {  // CREATEd meanwhile: take the next number
        if (tracked) policy_removed(rt.region, f);
        release_frame(rt.region, f);
        continue;
      }
      if (!tracked) policy_inserted(rt.region, f, policy::page_key::of(slot, n));
      std::byte* page = rg.page(f);
      const std::size_t clear = fs.clear_len == 0 ? ps : std::min<std::size_t>(fs.clear_len, ps);
      std::memset(page, 0, clear);
      fs.counters.add<&file_counters::create>();
      frame_ops::publish(rg.frame_at(f), l, true, true);  // (P3) the new page's pin is a pin to write
      *pgno = n;
      out = {make_ref(rt.region, f), page, n, true};
      return {};
    }
  }

  pgno_t p = *pgno;
  if (last) {
    const std::uint32_t n = fs.npages.load(std::memory_order_relaxed);
    if (n == 0) return errc::page_not_found;
    p = n - 1;
  }
  const route rt = route_of(h.cls, slot, p);
  region& rg = *regions_[rt.region];
  page_table& t = rg.table();

  // The latch-free hit (core/hit_path.hpp), for the flags and files fix()
  // leaves to this path (create, last; a mapped file's pages past the map).
  if (try_hit(rt, slot, p, want_dirty, out)) {
    if (last) *pgno = p;
    return no_error;
  }

  for (;;) {
    t.lock_shared(rt.bucket);
    std::uint32_t f = t.find(rt.bucket, slot, p);
    if (f != no_frame) {
      frame& fr = rg.frame_at(f);
      frame_state::word s = fr.state.load(std::memory_order_relaxed);
      const std::uint32_t rule = hit_rule_.load(std::memory_order_relaxed);  // relaxed: see hit_rule_
      const auto res = frame_ops::try_pin(
          fr, s, want_dirty, [rule](frame_state::word w) { return hit_rule::apply(rule, w); });  // (P1)
      if (res == frame_ops::pin_result::full) {
        t.unlock_shared(rt.bucket);
        return err(EAGAIN);
      }
      if (res == frame_ops::pin_result::pinned) {
        t.unlock_shared(rt.bucket);
        if (rule & hit_rule::record) queue_touch(rt.region, f, policy::page_key::of(slot, p), false);
        const thread_shard ts = this_thread_shard();
        fs.counters.shard(ts).hit.add(1, ts.owned);
        rg.hdr().table.c.shard(ts).latched_hits.add(1, ts.owned);
        if (last) *pgno = p;
        out = {make_ref(rt.region, f), rg.page(f), p, want_dirty};
        return no_error;
      }
      // Busy (being read in, evicted, or copied for write-back), or changed
      // identity under us: wait for the word to change, then look again.
      t.unlock_shared(rt.bucket);
      rg.hdr().counters.add<&region_counters::io_wait>();
      backoff bo;
      while (fr.state.load(std::memory_order_relaxed) == s) bo.pause();
      continue;
    }
    t.unlock_shared(rt.bucket);

    // Miss. A page past the end without create fails before any frame is
    // taken (a get that raced with the create of that page is ordered
    // before it).
    if (p >= fs.npages.load(std::memory_order_relaxed)) {
      if (!create) return errc::page_not_found;
      if (h.rdonly) return err(EINVAL);
      const std::uint64_t maxp = fs.maxpages.load(std::memory_order_relaxed);
      if (p == no_frame || p >= maxp) return err(ENOSPC);
    }
    bool tracked = false;  // alloc_frame told the policy already (clean victim)
    if (auto ec = alloc_frame(rt.region, policy::page_key::of(slot, p), f, tracked)) return ec;
    const frame_state::word l = insert_loading(rt, f, slot, p);
    if (l == 0) {  // another thread read it in first: pin theirs
      rg.hdr().counters.add<&region_counters::load_lost>();
      if (tracked) policy_removed(rt.region, f);
      release_frame(rt.region, f);
      continue;
    }
    if (!tracked) policy_inserted(rt.region, f, policy::page_key::of(slot, p));
    // Whether the page exists is decided only now that our loading frame
    // holds its place in the table: while this thread looked for a frame
    // (evicting, writing a dirty victim), another could create the page
    // past the end, write it, and see it evicted to the file; taken before
    // the insert, `exists` would then be stale, and the page made again as
    // zeros over the written one (a committed write lost). The insert's
    // bucket latch orders us after that eviction's unlink, which came after
    // the creator's npages update, so this load sees the page counted.
    const bool exists = p < fs.npages.load(std::memory_order_relaxed);

    bool created = false;
    if (auto ec = load_page(h, rt.region, f, p, exists, create, false, created)) {
      unlink_and_free(rt.region, f);
      return ec;
    }
    // As BDB counts: a page in the file's range that was not in the cache
    // is a miss (a short read that makes it is also a create); a page made
    // past the end is a create only.
    if (exists) fs.counters.add<&file_counters::miss>();
    if (created) {
      fs.counters.add<&file_counters::create>();
      std::uint32_t cur = fs.npages.load(std::memory_order_relaxed);
      while (cur < p + 1 &&
             !fs.npages.compare_exchange_weak(cur, p + 1, std::memory_order_relaxed)) {
      }
    } else {
      fs.counters.add<&file_counters::in>();
    }
    frame_ops::publish(rg.frame_at(f), l, created || want_dirty, want_dirty);  // (P3)
    if (last) *pgno = p;
    out = {make_ref(rt.region, f), rg.page(f), p, want_dirty};
    return no_error;
  }
}


// ------------------------------------------------------------ optimistic read
//
// (O1) optimistic_begin's state load [acquire] pairs with publish (P3) or the
//      last unpin (P2) of the frame's identity, as (P4): the page bytes the
//      reader then reads are at least that version's.
// (O2) optimistic_validate (file.hpp): an acquire fence after the reader's
//      loads, then a relaxed load of the state word: if the version is the
//      one (O1) read, no pin to write was taken and the frame kept its page
//      meanwhile (both move the version), and since (O1) saw no write pin
//      running, every byte the reader saw is from that one version. The fence
//      is the only one in pagepool: it orders the reader's plain loads, which
//      race by design with a writer whose presence validation then detects.
//      ThreadSanitizer builds exclude those loads from race detection (see
//      file::read_optimistic); the state-word edges stay visible to it.

int pool_impl::optimistic_begin(file_handle_state& h, pgno_t p, pagepool::optimistic_ticket& t) noexcept {
  static_assert(static_cast<int>(file::optimistic::ok) == 0 &&
                static_cast<int>(file::optimistic::writer) == 1 &&
                static_cast<int>(file::optimistic::not_resident) == 2);
  // relaxed (closed): a flag, as in fix(); set in a forked child too, so
  // that read_optimistic falls back to a get, which fails there.
  if (!h.open || closed.load(std::memory_order_relaxed)) return 2;
  const std::uint32_t slot = h.slot;
  file_shared& fs = files_.shared(slot);
  // relaxed: as in fix(); a mapped read-only file has no writer to race with.
  if (h.map != nullptr && p < h.map_pages && fs.can_mmap.load(std::memory_order_relaxed)) {
    t.state = nullptr;
    t.word = 0;
    t.page = h.map + std::size_t{p} * h.page_size;
    fs.counters.add<&file_counters::map>();
    return 0;
  }
  const route rt = route_of(h.cls, slot, p);
  region& rg = *regions_[rt.region];
  page_table& tb = rg.table();
  std::uint32_t extra = 0;
  frame_state::word s = 0;
  std::uint32_t f = tb.find_unlatched(rt.bucket, slot, p, s, extra);  // (O1)
  if (f == no_frame) {
    // Not seen without the latch (a long chain, or a chain changing under
    // the walk): look again under it, so that not_resident is exact.
    tb.lock_shared(rt.bucket);
    f = tb.find(rt.bucket, slot, p);
    if (f != no_frame) s = rg.frame_at(f).state.load(std::memory_order_acquire);  // (O1)
    tb.unlock_shared(rt.bucket);
  }
  if (f == no_frame || !frame_state::pinnable(s)) return 2;  // absent, or being read in or out
  if (!frame_state::optimistic_readable(s)) return 1;
  t.state = &rg.frame_at(f).state;
  t.word = s;
  t.page = rg.page(f);
  fs.counters.add<&file_counters::opt_read>();
  return 0;
}

void pool_impl::optimistic_failed(file_handle_state& h) noexcept {
  if (h.open) files_.shared(h.slot).counters.add<&file_counters::opt_fail>();
}

frame_state::word pool_impl::insert_loading(route rt, std::uint32_t f, std::uint32_t slot,
                                            pgno_t p) noexcept {
  const frame_state::word l = regions_[rt.region]->table().insert_loading(rt.bucket, f, slot, p);
  // relaxed: a count; the reaper reads it under the registry latch (F1).
  if (l != 0) files_.shared(slot).frame_in();
  return l;
}

std::error_code pool_impl::load_page(file_handle_state& h, std::uint32_t r, std::uint32_t f,
                                     pgno_t pgno, bool exists, bool create, bool is_new,
                                     bool& created) noexcept {
  const std::uint32_t slot = h.slot;
  file_shared& fs = files_.shared(slot);
  file_local& fl = files_.local(slot);
  const std::size_t ps = fs.page_size;
  std::byte* page = regions_[r]->page(f);
  if (fs.nofile.load(std::memory_order_relaxed)) exists = false;  // nothing to read
  created = !exists;
  if (exists) {
    std::size_t got = 0;
    if (auto ec = ensure_fd(slot, false); ec && !fs.temp.load(std::memory_order_relaxed)) return ec;
    std::shared_lock lk(fl.fd_mu);
    if (fl.fd >= 0) {
      if (auto ec = io::read_at(*io_, fl.fd, page, ps, std::uint64_t{pgno} * ps, &got))
        return ec;
    }
    if (got < ps) {
      if (!create) return errc::page_not_found;
      created = true;
    }
  }
  if (created) {
    const std::size_t clear = fs.clear_len == 0 ? ps : std::min<std::size_t>(fs.clear_len, ps);
    std::memset(page, 0, clear);
  }
  if (!is_new) {
    if (auto ec = call_page_io(slot, true, pgno, page, !created)) return ec;
  }
  return {};
}

}  // namespace pagepool::internal
