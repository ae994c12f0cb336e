// src/core/hit_path.hpp: get and put of a resident page, inline where the
// caller is (included at the end of core/pool_impl.hpp).
//
// get: route (file, pgno) to a region and bucket by one hash, walk the chain
// without the latch (table/page_table.hpp, P4), pin with one CAS from the word
// the walk read (frame/frame.hpp, P1; a CAS lost to another pin of the same
// page retries there), count the hit once. Anything else, a busy frame, a
// miss, a long chain, flags other than dirty/edit, a mapped file, goes to
// fix_slow (core/get.cpp), which looks again under the bucket's latch.
//
// put: the caller found the frame from the page's address by arithmetic
// (locate) and checked the pin (pin records, or the page_handle); unfix is
// one CAS on the state word (P2), which also refuses a frame that holds no
// such pin.
#pragma once

#include "core/pool_impl.hpp"

namespace pagepool::internal {

namespace detail {
/// The usage bits a page keeps at its final unpin (pool.hpp, "Priorities"):
/// the hit already set them by the policy's rule; a priority other than
/// normal overrides that.
[[gnu::always_inline]] inline frame_state::word usage_at_put(frame_state::word u,
                                                             priority p) noexcept {
  switch (p) {
    case priority::very_low:
    case priority::low: return 0;
    case priority::high: return u < 3 ? 3 : u;
    case priority::very_high: return frame_state::usage_max;
    default: return u;
  }
}
}  // namespace detail

inline bool pool_impl::try_hit(route rt, std::uint32_t slot, pgno_t p, bool to_write,
                                fix_result& out) noexcept {
  region& rg = *regions_[rt.region];
  // The bucket's head is the page's frame in most lookups (load factor 1):
  // fetch its page while the walk reads the frame header, so that the two
  // misses overlap instead of following each other. A hint: a wrong or stale
  // index only prefetches a page that is not read (the bound is the largest
  // cap of any class, a constant: a prefetch past this class's cap touches
  // no page and never faults).
  if (const std::uint32_t h = rg.table().head_hint(rt.bucket); h < max_cap_) [[likely]]
    __builtin_prefetch(rg.page(h));
  frame_state::word s = 0;
  std::uint32_t extra = 0;
  const std::uint32_t f = rg.table().find_unlatched(rt.bucket, slot, p, s, extra);  // (P4)
  if (f == no_frame) return false;
  std::byte* page = rg.page(f);
  // relaxed: see hit_rule_; the policy's hit rule changes the usage bits in
  // the pin's CAS.
  const std::uint32_t rule = hit_rule_.load(std::memory_order_relaxed);
  if (frame_ops::try_pin(rg.frame_at(f), s, to_write,
                         [rule](frame_state::word w) { return hit_rule::apply(rule, w); }) !=
      frame_ops::pin_result::pinned)  // (P1)
    return false;
  if (rule & hit_rule::record) queue_touch(rt.region, f, policy::page_key::of(slot, p), false);
  count_hit(files_.shared(slot), extra);
  out = {make_ref(rt.region, f), page, p, to_write};
  return true;
}

inline std::error_code pool_impl::fix(file_handle_state& h, pgno_t* pgno, get_flags flags,
                                      fix_result& out) noexcept {
  constexpr auto hit_flags = static_cast<std::uint32_t>(get_flags::dirty | get_flags::edit);
  const auto fl = static_cast<std::uint32_t>(flags);
  // relaxed (closed): a flag read at each call; close waits for no get.
  if ((fl & ~hit_flags) == 0 && pgno != nullptr && h.open && h.map == nullptr &&
      !(fl != 0 && h.rdonly) && !closed.load(std::memory_order_relaxed)) [[likely]] {
    const pgno_t p = *pgno;
    if (try_hit(route_of(h.cls, h.slot, p), h.slot, p, fl != 0, out)) [[likely]]
      return no_error;
  }
  return fix_slow(h, pgno, flags, out);
}

inline std::error_code pool_impl::unfix(file_handle_state& h, frame_ref ref, priority prio,
                                        put_flags flags, bool set_only, bool to_write) noexcept {
  using pf = put_flags;
  PAGEPOOL_ASSERT(!check_put(h, prio, flags), "unfix: arguments not checked");
  if (ref_region(ref) == no_frame) return no_error;  // mapped page: nothing to unpin
  region& rg = *regions_[ref_region(ref)];
  frame& fr = rg.frame_at(ref_frame(ref));
  // relaxed (prio): a setting read at the put; the file's, whichever handle
  // set it.
  const priority eff = prio == priority::unchanged
                           ? static_cast<priority>(h.shared->prio.load(std::memory_order_relaxed))
                           : prio;
  // relaxed (the peek at discard): a hint; a page marked discard takes the
  // general path below, which reads its key while still pinned for the
  // policy's demote.
  if (flags == put_flags::none && !set_only && eff == priority::normal &&
      !(fr.state.load(std::memory_order_relaxed) & frame_state::discard)) [[likely]] {
    // The caller holds the pin: one RMW, no check before it (frame_ops::
    // unpin_held).
    const frame_state::word before = frame_ops::unpin_held(fr, to_write);  // (P2)
    PAGEPOOL_ASSERT(frame_state::pins(before) > 0 && (before & frame_state::valid),
                    "unfix: a put of a pin not held");
    if (frame_state::pins(before) == 1) [[unlikely]] {
      // A discard marked by another holder after the peek: the last unpin
      // still clears it and the usage bits (the policy is not told: a hint).
      if (before & frame_state::discard) (void)frame_ops::clear_discard(fr, before);
      // The last pin of a frame a shrink took out of service: retire it.
      if (ref_frame(ref) >= rg.nframes()) after_unpin(ref, false, {});
    }
    return no_error;
  }
  bool demote = false;
  policy::page_key pk{};
  const frame_state::word ns = frame_ops::unpin(fr, [&](frame_state::word s) -> frame_state::word {
    if (frame_state::pins(s) == 0 || !(s & frame_state::valid)) return 0;
    if (to_write && !set_only && frame_state::writers(s) == 0) return 0;
    frame_state::word n = s;
    if (any(flags, pf::dirty)) n |= frame_state::dirty;
    if (any(flags, pf::clean)) n &= ~frame_state::dirty;
    demote = false;
    if (set_only) {
      if (any(flags, pf::discard)) n |= frame_state::discard;
    } else {
      n = frame_state::unpinned(n, to_write);
      if (frame_state::pins(n) == 0) {
        const bool disc = any(flags, pf::discard) || (s & frame_state::discard);
        demote = disc || eff == priority::very_low;
        if (demote) pk = key_of(ref_region(ref), ref_frame(ref));  // still pinned: stable
        n = frame_state::with_usage(n, disc ? 0 : detail::usage_at_put(frame_state::usage(n), eff)) &
            ~frame_state::discard;
      } else if (any(flags, pf::discard)) {
        n |= frame_state::discard;
      }
    }
    return n;
  });  // (P2)
  if (ns == 0) return std::error_code(EINVAL, std::generic_category());
  if (set_only) return no_error;
  // A final unpin that the policy must hear of, or of a frame a shrink took
  // out of service: rare, out of line.
  if (frame_state::pins(ns) == 0 &&
      (demote || ref_frame(ref) >= rg.nframes())) [[unlikely]]
    after_unpin(ref, demote, pk);
  return no_error;
}

}  // namespace pagepool::internal
