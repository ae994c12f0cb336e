// src/core/page_classes.cpp: every page size in one pool (pool.hpp, "Page
// sizes"): the size classes, their reservation, and the byte budget they
// share.
//
// Class c holds pages of 512 << c bytes (512 B .. 64 KiB). Each class has
// the pool's `regions` regions, made when the first file of that page size
// opens (the default class, pool_options::frame_size, at creation), each
// with its own frames, page table and policy instance: a frame of class c
// holds exactly one page of that size, so a 512-byte page costs 512 bytes of
// page memory plus its frame header, not a 4 KiB frame.
//
// The budget (pool_accounts, share/pool_file.hpp: the pool file's with
// region files, so that every process attached to the pool charges one).
// The budget is frames() * frame_size bytes of page memory; `used` counts the
// bytes of the frames taken from the free lists (holding or loading a page),
// class_used[c] those of class c. A frame is charged when take_free pops it
// and credited when give_free pushes it back; a victim evicted for a page of
// its own class keeps its charge, so a pool whose files all have one page
// size never touches `used` once full, and behaves
// exactly as a pool of that one size (its free frames are always within the
// budget: see take_free).
//
// Where the bytes come from. A miss in class c whose region has free frames
// but whose page the budget has no room for draws a class with a
// probability proportional to the bytes each holds (pick_donor): its own
// victim if c is drawn, otherwise the drawn class's policy gives up a page
// (donate), whose frame goes back to that class's free list with its memory
// returned to the system (MADV_DONTNEED, whole system pages: a frame smaller
// than a system page gives back its memory only as its neighbours go), and
// the miss takes a free frame of its own class once the budget has room.
// In the long run each class holds a share of the budget proportional to
// the bytes its misses bring in (a class loses bytes in proportion to what
// it holds and gains what its misses take): what a single replacement
// queue over pages of every size, choosing victims at random, would give,
// while each class keeps its own policy's order within it.
//
// Memory ordering. The budget's counts are relaxed RMWs (they publish
// nothing; the frames they count are handed over through the free-list
// latch and the state word). A class's regions and policy slots are built
// under resize_mu_ and published by (C1): live_classes.fetch_or [release],
// paired with class_live's acquire load; a thread that uses a file of class
// c opened it (ensure_class), so it is ordered after (C1) too.
#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <mutex>
#include <new>

#include "core/pool_impl.hpp"

#include "share/region_file.hpp"

namespace pagepool::internal {

namespace {
std::error_code err(int e) { return {e, std::generic_category()}; }

/// This thread's draws (xorshift64*): which class pays for a page is a
/// random draw, its own per thread, so that concurrent misses share no state.
std::uint64_t next_draw() noexcept {
  thread_local std::uint64_t x =
      0x9E3779B97F4A7C15ull ^ reinterpret_cast<std::uintptr_t>(&x);  // a per-thread seed
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  return x * 0x2545F4914F6CDD1Dull;
}
}  // namespace

std::error_code pool_impl::init_classes(std::size_t frames) noexcept {
  const std::uint32_t nreg = nregions_;
  const std::size_t max_bytes = max_frames_ * frame_size_;
  const std::uint32_t dflt = class_of(frame_size_);
  unsigned span = 0;
  for (std::uint32_t c = 0; c < page_classes; ++c) {
    class_geometry& g = geo_[c];
    const std::size_t pages = max_bytes >> (min_page_shift + c);
    std::size_t cap = (pages + nreg - 1) / nreg;
    // A class of pages smaller than the default may not be able to hold the
    // whole budget in pages of its size if that is over 2^32 frames a region.
    if (cap >= no_frame - 1) {
      if (c == dflt) return err(EINVAL);
      cap = no_frame - 2;
    }
    g.cap = static_cast<std::uint32_t>(std::max<std::size_t>(cap, 1));
    g.first_region = c * nreg;
    g.frame_shift = min_page_shift + c;
    // A region's range starts on a 4 KiB boundary (at least a page of the
    // system's), where a region file's pages can be mapped over it.
    g.stride_shift = std::max(static_cast<unsigned>(std::countr_zero(std::bit_ceil(g.cap))),
                              g.frame_shift < 12 ? 12 - g.frame_shift : 0u);
    const unsigned s = static_cast<unsigned>(std::countr_zero(std::bit_ceil(nreg))) +
                       g.stride_shift + g.frame_shift;
    span = std::max(span, s);
    max_cap_ = std::max(max_cap_, g.cap);
  }
  if (span > 46) return err(ENOMEM);  // past what x86-64 and AArch64 can map
  class_span_shift_ = span;
  // The page reservation: address space only (MAP_NORESERVE). Memory is
  // committed as frames are first touched, and handed back by a shrink or a
  // donation.
  arena_len_ = std::size_t{page_classes} << span;
  // On a 2 MiB boundary (reserved 2 MiB longer, the ends trimmed), so that
  // a large region's pages start on one and can be mapped with huge pages,
  // anonymous or shared (share/region_file.hpp).
  constexpr std::size_t huge = std::size_t{2} << 20;
  void* arena = ::mmap(nullptr, arena_len_ + huge, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (arena == MAP_FAILED) return err(ENOMEM);
  {
    const auto raw = reinterpret_cast<std::uintptr_t>(arena);
    const std::uintptr_t aligned = (raw + huge - 1) / huge * huge;
    if (aligned > raw) ::munmap(arena, aligned - raw);
    const std::uintptr_t tail = aligned + arena_len_;
    if (raw + arena_len_ + huge > tail) ::munmap(reinterpret_cast<void*>(tail), raw + arena_len_ + huge - tail);
    arena = reinterpret_cast<void*>(aligned);
  }
  arena_ = static_cast<std::byte*>(arena);
  // Transparent huge pages where the system allows them on request: pages
  // are touched at random. Advice only.
  (void)::madvise(arena, arena_len_, MADV_HUGEPAGE);
  try {
    regions_.resize(std::size_t{page_classes} * nreg);
  } catch (const std::bad_alloc&) {
    return err(ENOMEM);
  }
  const std::size_t total = frames;
  for (std::uint32_t i = 0; i < nreg; ++i)
    if (auto ec = make_class_region(dflt, i, total / nreg + (i < total % nreg ? 1 : 0))) return ec;
  // relaxed: creation; nothing else can see the pool yet.
  acct_->live_classes.store(1u << dflt, std::memory_order_relaxed);
  return {};
}

std::error_code pool_impl::make_class_region(std::uint32_t c, std::uint32_t i,
                                             std::size_t frames) noexcept {
  const class_geometry& g = geo_[c];
  const std::uint32_t r = g.first_region + i;
  std::byte* pages = arena_ + (std::size_t{c} << class_span_shift_) +
                     ((std::size_t{i} << g.stride_shift) << g.frame_shift);
  try {
    region_file_spec spec;
    const bool in_file = region_dir_.fd >= 0;
    if (in_file) {
      spec.dir_fd = region_dir_.fd;
      spec.name = region_file_name(region_tag_, r);
      spec.mode = opts_.home_mode;
    }
    auto rg = std::make_unique<region>(
        r, static_cast<std::uint32_t>(std::min<std::size_t>(frames, g.cap)),
        std::uint32_t{1} << g.frame_shift, g.cap, pages, in_file ? &spec : nullptr);
    if (!rg->ok()) return err(rg->error());
    regions_[r] = std::move(rg);
  } catch (const std::bad_alloc&) {
    return err(ENOMEM);
  }
  return {};
}

std::error_code pool_impl::ensure_class(std::uint32_t c) noexcept {
  if (class_live(c)) return {};  // (C1)
  std::lock_guard g(resize_mu_);
  if (class_live(c)) return {};
  if (closed.load(std::memory_order_relaxed)) return err(EINVAL);
  const std::size_t total = budget_bytes() >> (min_page_shift + c);
  std::error_code ec;
  for (std::uint32_t i = 0; i < nregions_ && !ec; ++i)
    ec = make_class_region(c, i, total / nregions_ + (i < total % nregions_ ? 1 : 0));
  for (std::uint32_t i = 0; i < nregions_ && !ec; ++i) ec = init_region_policy(c * nregions_ + i);
  if (ec) {  // nothing of the class stays: no thread has seen it
    for (std::uint32_t i = 0; i < nregions_; ++i) {
      const std::uint32_t r = c * nregions_ + i;
      pslots_[r].p.reset();
      pslots_[r].clock.reset();
      regions_[r].reset();
    }
    return ec;
  }
  // release (C1): the class's regions and policy slots, built above, are
  // seen by every thread that sees the bit (class_live's acquire); with
  // region files the bit is in the pool file, and a reader in another
  // process that sees it finds the class's region files made (PF2).
  acct_->live_classes.fetch_or(1u << c, std::memory_order_release);  // (C1) (PF2)
  return {};
}

// --------------------------------------------------------------- the budget

std::uint32_t pool_impl::take_free(std::uint32_t r) noexcept {
  region& rg = *regions_[r];
  if (!rg.has_free()) return no_frame;
  const std::uint32_t c = r / nregions_;
  const std::size_t bytes = std::size_t{1} << (min_page_shift + c);
  // The charge first, so that two threads cannot both take the last room.
  // relaxed (used, frames here and in give_free): counts; see the top.
  const std::size_t was = acct_->used.fetch_add(bytes, std::memory_order_relaxed);
  // One class in use: its frames in service are exactly what the budget
  // pays for, so a free frame is always within it (after a shrink, pinned
  // pages past the new size may hold more for a while: as before classes,
  // the free frame is used). With several, a page the budget has no room
  // for must be paid for by an eviction first.
  if (was + bytes > budget_bytes() &&
      !std::has_single_bit(acct_->live_classes.load(std::memory_order_relaxed))) {
    acct_->used.fetch_sub(bytes, std::memory_order_relaxed);
    return no_frame;
  }
  const std::uint32_t f = rg.pop_free();
  if (f == no_frame) {
    acct_->used.fetch_sub(bytes, std::memory_order_relaxed);
    return no_frame;
  }
  acct_->class_used[c].fetch_add(bytes, std::memory_order_relaxed);
  return f;
}

void pool_impl::give_free(std::uint32_t r, std::uint32_t f, bool release) noexcept {
  region& rg = *regions_[r];
  const std::uint32_t c = r / nregions_;
  const std::size_t bytes = std::size_t{1} << (min_page_shift + c);
  // The frame is ours (blank or busy): its memory can go before it is listed.
  // A region file's frame in service keeps its memory (committed: it may
  // serve again at once, and a hole would be committed only at the next
  // access, where a full directory could only fault).
  if (release && f < rg.nframes() && !rg.file_backed()) rg.release_memory(f);
  rg.push_free(f);
  acct_->class_used[c].fetch_sub(bytes, std::memory_order_relaxed);
  acct_->used.fetch_sub(bytes, std::memory_order_relaxed);
}

std::uint32_t pool_impl::pick_donor(std::uint32_t c, bool others_only) noexcept {
  // relaxed: which classes exist decides only where a draw may land; a class
  // made since is drawn next time.
  const std::uint32_t live = acct_->live_classes.load(std::memory_order_relaxed);
  if (std::has_single_bit(live)) return c;
  const std::uint32_t from = others_only ? live & ~(1u << c) : live;
  std::size_t total = 0;
  for (std::uint32_t d = 0; d < page_classes; ++d)
    if ((from >> d) & 1u) total += acct_->class_used[d].load(std::memory_order_relaxed);
  if (total == 0) return c;
  std::size_t x = next_draw() % total;
  for (std::uint32_t d = 0; d < page_classes; ++d) {
    if (!((from >> d) & 1u)) continue;
    const std::size_t b = acct_->class_used[d].load(std::memory_order_relaxed);
    if (x < b) return d;
    x -= b;
  }
  return c;  // the counts moved under the draw
}

bool pool_impl::donate(std::uint32_t d) noexcept {
  if (!class_live(d)) return false;  // (C1)
  // relaxed: spreads donations over the class's regions; any order will do.
  const std::uint32_t start = donor_rr_.fetch_add(1, std::memory_order_relaxed);
  for (std::uint32_t k = 0; k < nregions_; ++k) {
    const std::uint32_t r = d * nregions_ + (start + k) % nregions_;
    region& rg = *regions_[r];
    pool_frames view(*this, r, rg);
    bool inserted = false;
    // No page of this class is coming in: the policy is asked for a victim
    // for a key no page has (slot no_slot), so that no ghost or test entry
    // of a real page is taken for the newcomer.
    const std::uint32_t v = choose_victim(r, policy::page_key::of(no_slot, no_frame), view,
                                          inserted, /*may_insert=*/false);
    if (v == no_frame) continue;
    if (evict(r, v, view.claimed_word())) {
      policy_inserted(r, v, key_of(r, v));  // still dirty and resident: tracked again
      continue;
    }
    rg.hdr().counters.add<&region_counters::donated>();
    give_free(r, v, /*release=*/true);
    return true;
  }
  return false;
}

void pool_impl::enforce_budget() noexcept {
  // relaxed: see pick_donor.
  if (std::has_single_bit(acct_->live_classes.load(std::memory_order_relaxed))) return;
  std::uint32_t failures = 0;
  while (acct_->used.load(std::memory_order_relaxed) > budget_bytes() &&
         failures < 2 * page_classes) {
    // Any class, by the bytes it holds (page_classes names none of them).
    if (!donate(pick_donor(page_classes))) ++failures;
  }
}

}  // namespace pagepool::internal
