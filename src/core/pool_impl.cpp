// src/core/pool_impl.cpp: creation, routing, and the get/put paths.
//
// Synchronization edges (numbers used at the sites below; the bucket latch's
// own edges are in table/bucket_latch.hpp):
//   (P1) pin CAS [acquire] synchronizes-with the store that published the page
//        (P3) or the unpin CAS (P2) of an earlier holder: the pinner sees the
//        page bytes as last written.
//   (P2) unpin CAS [release]: the holder's writes to the page happen-before
//        the evictor's or writer's claim (E1 in pool_frames::claim and
//        retire_one, W1 in flush/writeback.cpp).
//   (P3) publish after load: store of valid [release], read by (P1) of waiters.
//   (E1) evictor's claim CAS to busy [acquire], pairs with (P2).
//   (E2) evictor gives a frame back after a failed write: store [release],
//        pairs with the next claim's acquire.
//   (F1) fs.frames.fetch_sub [release] after the evictor's last use of the
//        file state; the reaper's acquire load pairs with it.
//   (P4) latch-free hit: state load [acquire] before the key, then the pin
//        CAS from exactly that word (see fix()).
//   (X1) a new page-in/out entry or log-flush function is published by an
//        exchange [acq_rel: release publishes the new object's construction;
//        acquire orders the old one's loads before its retirement]; pairs
//        with (X2).
//   (X2) a reader loads it [acquire] inside an epoch guard; the epoch domain
//        (epoch/epoch_domain.hpp) frees a retired one only after every guard
//        that could have loaded it has ended.
#include "core/pool_impl.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>

#include "io/checksum.hpp"
#include "io/posix_io.hpp"
#include "port/assert.hpp"
#include "port/backoff.hpp"

namespace pagepool::internal {

namespace {

std::error_code err(int e) { return {e, std::generic_category()}; }

/// The usage bits a page keeps at its final unpin (pool.hpp, "Priorities"):
/// the hit already set them by the policy's rule; a priority other than
/// normal overrides that.
frame_state::word usage_at_put(frame_state::word u, priority p) noexcept {
  switch (p) {
    case priority::very_low:
    case priority::low: return 0;
    case priority::high: return u < 3 ? 3 : u;
    case priority::very_high: return frame_state::usage_max;
    default: return u;
  }
}

std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

}  // namespace

// ---------------------------------------------------------------- scratch page

std::byte* scratch_page(std::size_t size) noexcept {
  struct buf {
    std::byte* p = nullptr;
    std::size_t n = 0;
    ~buf() { std::free(p); }
  };
  thread_local buf b;
  if (b.n < size) {
    std::free(b.p);
    b.p = static_cast<std::byte*>(std::aligned_alloc(4096, (size + 4095) / 4096 * 4096));
    b.n = b.p ? size : 0;
  }
  return b.p;
}

// ------------------------------------------------------------------- pin table

pin_table::~pin_table() {
  if (counts_ != nullptr)
    ::munmap(counts_, sizeof(std::atomic<std::uint32_t>) * (std::size_t{regions_} * cap_ + mapped_));
}

bool pin_table::init(std::uint32_t regions, std::uint32_t cap, std::uint32_t mapped) noexcept {
  if (counts_ != nullptr) return false;
  const std::size_t len = sizeof(std::atomic<std::uint32_t>) * (std::size_t{regions} * cap + mapped);
  // Zero pages until touched: a handle pays for the frames it pins.
  void* m = ::mmap(nullptr, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return false;
  static_assert(std::atomic<std::uint32_t>::is_always_lock_free &&
                sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  counts_ = static_cast<std::atomic<std::uint32_t>*>(m);  // zero bytes are zero counts
  regions_ = regions;
  cap_ = cap;
  mapped_ = mapped;
  return true;
}

std::vector<pin_table::drained> pin_table::drain() noexcept {
  std::vector<drained> out;
  if (counts_ == nullptr || empty()) return out;
  auto take = [&](frame_ref r) {
    const std::uint32_t v = slot(r).exchange(0, std::memory_order_relaxed);
    if (v == 0) return;
    const drained d{r, v & plain_mask, v >> 16};
    total_.add<&totals::n>(0 - std::uint64_t{d.plain + d.write});
    try {
      out.push_back(d);
    } catch (...) {  // out of memory: those pins stay (the handle leaks them)
    }
  };
  for (std::uint32_t r = 0; r < regions_; ++r)
    for (std::uint32_t f = 0; f < cap_; ++f) take(make_ref(r, f));
  for (std::uint32_t p = 0; p < mapped_; ++p) take(make_ref(no_frame, p));
  return out;
}

// -------------------------------------------------------------------- creation

std::error_code pool_impl::create(const pool_options& o, std::shared_ptr<pool_impl>& out) noexcept {
  const std::size_t fs = o.frame_size;
  if (fs < 512 || fs > 65536 || !std::has_single_bit(fs)) return err(EINVAL);
  if (o.regions == 0 || o.max_files == 0 || o.max_files > 1u << 20) return err(EINVAL);
  if (o.max_open_fd < 0 || o.max_write < 0 || o.max_write_sleep.count() < 0) return err(EINVAL);
  const std::size_t frames = o.cache_frames ? o.cache_frames : o.cache_bytes / fs;
  if (frames == 0 || frames < o.regions) return err(EINVAL);
  if (frames / o.regions >= no_frame - 1) return err(EINVAL);
  const std::size_t max_frames =
      o.cache_max_bytes == 0 ? frames * 4 : std::max(frames, o.cache_max_bytes / fs);
  const std::size_t cap = (max_frames + o.regions - 1) / o.regions;
  if (cap >= no_frame - 1) return err(EINVAL);

  std::shared_ptr<pool_impl> p(new (std::nothrow) pool_impl());
  if (!p) return err(ENOMEM);
  p->opts_ = o;
  p->io_ = o.io ? o.io : posix_io();
  p->frame_size_ = fs;
  p->total_frames_.store(frames, std::memory_order_relaxed);
  p->max_frames_ = max_frames;  // regions round their share up; the pool never exceeds the maximum
  p->mmap_size.store(o.mmap_size, std::memory_order_relaxed);
  p->max_open_fd.store(o.max_open_fd, std::memory_order_relaxed);
  p->max_write.store(o.max_write, std::memory_order_relaxed);
  p->max_write_sleep_us.store(o.max_write_sleep.count(), std::memory_order_relaxed);
  try {
    for (unsigned r = 0; r < o.regions; ++r) {
      const std::size_t n = frames / o.regions + (r < frames % o.regions ? 1 : 0);
      auto rg = std::make_unique<region>(r, static_cast<std::uint32_t>(n),
                                         static_cast<std::uint32_t>(fs),
                                         static_cast<std::uint32_t>(cap));
      if (!rg->ok()) return err(ENOMEM);
      p->bucket_masks_.push_back(rg->nbuckets() - 1);
      p->regions_.push_back(std::move(rg));
    }
    p->max_files_ = o.max_files;
    p->files_len_ = sizeof(file_shared) * o.max_files;
    void* m = ::mmap(nullptr, p->files_len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    if (m == MAP_FAILED) return err(ENOMEM);
    p->files_ = static_cast<file_shared*>(m);
    for (std::size_t i = 0; i < o.max_files; ++i) new (&p->files_[i]) file_shared();
    p->locals_ = std::make_unique<file_local[]>(o.max_files);
  } catch (const std::bad_alloc&) {
    return err(ENOMEM);
  }
  if (auto ec = p->init_policy(o.policy)) return ec;
  out = std::move(p);
  return {};
}

pool_impl::~pool_impl() {
  stop_background_writer();
  // No reader is left: the current functions go now, retired ones with epoch_.
  // relaxed: every other thread's last use of the pool happens-before its
  // destruction (the last shared_ptr's release).
  for (auto& e : page_io_) delete e.load(std::memory_order_relaxed);
  delete log_flush_.load(std::memory_order_relaxed);
  if (locals_) {
    for (std::size_t i = 0; i < max_files_; ++i)
      if (locals_[i].fd >= 0) (void)io_->close(locals_[i].fd);
  }
  if (files_ != nullptr) {
    for (std::size_t i = 0; i < max_files_; ++i) files_[i].~file_shared();
    ::munmap(files_, files_len_);
  }
}

inline pool_impl::route pool_impl::route_of(std::uint32_t slot, pgno_t pgno) const noexcept {
  const std::uint64_t h = mix64((std::uint64_t{slot} << 32) | pgno);
  const auto r = static_cast<std::uint32_t>(((h >> 32) * regions_.size()) >> 32);
  return {r, static_cast<std::uint32_t>(h) & bucket_masks_[r]};
}

// ------------------------------------------------------------- page-io registry

std::error_code pool_impl::register_page_io(int ftype, page_io_fn pgin, page_io_fn pgout,
                                            const checksum_options* sum) noexcept {
  if (ftype < 1 || ftype > 127) return err(EINVAL);
  // Moving a std::function does not throw: only the allocation can fail.
  const page_io* e = new (std::nothrow)
      page_io{std::move(pgin), std::move(pgout), sum != nullptr, sum ? *sum : checksum_options{}};
  if (e == nullptr) return err(ENOMEM);
  const page_io* old;
  {
    std::lock_guard g(io_mu_);
    old = page_io_[ftype].exchange(e, std::memory_order_acq_rel);  // (X1)
  }
  epoch_.retire(old);  // freed after every reader that may hold it
  return {};
}

void pool_impl::set_log_flush(log_flush_fn fn) noexcept {
  const log_flush_fn* p = nullptr;
  if (fn) {
    p = new (std::nothrow) log_flush_fn(std::move(fn));  // the move does not throw
    if (p == nullptr) return;  // out of memory: the previous function stays
  }
  const log_flush_fn* old;
  {
    std::lock_guard g(io_mu_);
    old = log_flush_.exchange(p, std::memory_order_acq_rel);  // (X1)
  }
  epoch_.retire(old);
}

bool pool_impl::has_pgin(int ftype) noexcept {
  if (ftype < 1 || ftype > 127) return false;
  auto g = epoch_.enter();
  const page_io* e = page_io_[ftype].load(std::memory_order_acquire);  // (X2)
  return e != nullptr && (e->pgin || e->checksum);  // a checksum must be verified too
}

std::error_code pool_impl::call_page_io(std::uint32_t slot, bool in, pgno_t pgno, void* page,
                                        bool from_disk) noexcept {
  file_shared& fs = files_[slot];
  const int ftype = fs.ftype;
  if (ftype < 1 || ftype > 127) return {};
  auto g = epoch_.enter();  // e stays alive while the function runs
  const page_io* e = page_io_[ftype].load(std::memory_order_acquire);  // (X2)
  if (e == nullptr) return {};
  // The checksum wraps the application's pair: verify before its pgin,
  // stamp after its pgout, so that it covers the bytes on disk.
  std::ptrdiff_t field = -1;
  if (e->checksum) {
    field = checksum_field(e->sum, fs.page_size);
    if (field < 0) return err(EINVAL);  // the field does not fit this file's pages
    if (in && from_disk) {
      const auto v = verify_checksum(static_cast<const std::byte*>(page), fs.page_size,
                                     static_cast<std::size_t>(field));
      if (v == checksum_verdict::corrupt) {
        fs.counters.add<&file_counters::sum_fail>();
        return errc::page_corrupt;
      }
    }
  }
  const page_io_fn& fn = in ? e->pgin : e->pgout;
  if (fn) {
    const auto& c = locals_[slot].cookie;
    int rc;
    try {
      rc = fn(pgno, page, std::span<const std::byte>(c.data(), c.size()));
    } catch (...) {
      rc = EIO;  // a callback must not throw; the read or write fails instead
    }
    if (rc != 0) return err(rc);
  }
  if (!in && field >= 0)
    stamp_checksum(static_cast<std::byte*>(page), fs.page_size, static_cast<std::size_t>(field));
  return {};
}

// ------------------------------------------------------------------ get (fix)

std::error_code pool_impl::fix(file_handle_state& h, pgno_t* pgno, get_flags flags,
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
  file_shared& fs = files_[slot];
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
      const route rt = route_of(slot, n);
      region& rg = *regions_[rt.region];
      std::uint32_t f;
      if (auto ec = alloc_frame(rt.region, policy::page_key::of(slot, n), f)) return ec;
      std::uint32_t expect = n;
      if (!fs.npages.compare_exchange_strong(expect, n + 1, std::memory_order_relaxed)) {
        release_frame(rt.region, f);
        continue;
      }
      const frame_state::word l = insert_loading(rt, f, slot, n);
      if (l == 0) {  // CREATEd meanwhile: take the next number
        release_frame(rt.region, f);
        continue;
      }
      policy_inserted(rt.region, f, policy::page_key::of(slot, n));
      std::byte* page = rg.page(f);
      const std::size_t clear = fs.clear_len == 0 ? ps : std::min<std::size_t>(fs.clear_len, ps);
      std::memset(page, 0, clear);
      fs.counters.add<&file_counters::create>();
      publish(rg.frame_at(f), l, true, true);  // the new page's pin is a pin to write
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
  const route rt = route_of(slot, p);
  region& rg = *regions_[rt.region];
  bucket& b = rg.bucket_at(rt.bucket);

  // Hit path without the bucket latch: walk the chain reading keys and links
  // as hints, then pin with one CAS on the state word read before the key.
  // (P4) The state load [acquire] pairs with publish (P3) or the last unpin
  // (P2) of the frame's current identity, so the key read after it is that
  // identity's or a later one's; and the CAS succeeds only if the word did
  // not change since, so no eviction claimed the frame in between (a claim
  // needs pins == 0, a change of identity changes the version): a successful
  // CAS pins the page the key names. Frames are type-stable and links are
  // always frame indices, so a chain changed under the walk ends in a false
  // miss, never a bad access; any doubt falls back to the latched lookup.
  {
    std::uint32_t steps = 0;
    frame_state::word s = 0;
    const std::uint32_t f = find_unlatched(rg, b, slot, p, s, steps);
    if (f != no_frame && frame_state::pinnable(s) && frame_state::pin_fits(s, want_dirty)) {
      __builtin_prefetch(rg.page(f));  // the caller reads the page next: overlap that miss
      frame& fr = rg.frame_at(f);
      // The policy's hit rule changes the usage bits in the same CAS.
      const std::uint32_t rule = hit_rule_.load(std::memory_order_relaxed);
      if (fr.state.compare_exchange_strong(s, hit_rule::apply(rule, frame_state::pinned(s, want_dirty)),
                                           std::memory_order_acquire)) {  // (P1)
        if (rule & hit_rule::record) queue_touch(rt.region, f, policy::page_key::of(slot, p), false);
        auto& rc = rg.hdr().counters;
        rc.add<&region_counters::hash_searches>();
        rc.add<&region_counters::hash_examined>(steps);
        fs.counters.add<&file_counters::hit>();
        if (last) *pgno = p;
        out = {make_ref(rt.region, f), rg.page(f), p, want_dirty};
        return no_error;
      }
    }
  }

  for (;;) {
    auto& rc = rg.hdr().counters;
    rc.add(b.latch.lock_shared() ? &region_counters::hash_wait : &region_counters::hash_nowait);
    std::uint32_t f = rg.find(rt.bucket, slot, p);
    if (f != no_frame) {
      frame& fr = rg.frame_at(f);
      frame_state::word s = fr.state.load(std::memory_order_relaxed);
      while (frame_state::pinnable(s)) {
        if (!frame_state::pin_fits(s, want_dirty)) {
          b.latch.unlock_shared();
          return err(EAGAIN);
        }
        const std::uint32_t rule = hit_rule_.load(std::memory_order_relaxed);
        const frame_state::word ns = hit_rule::apply(rule, frame_state::pinned(s, want_dirty));
        if (fr.state.compare_exchange_weak(s, ns, std::memory_order_acquire,  // (P1)
                                           std::memory_order_relaxed)) {
          b.latch.unlock_shared();
          if (rule & hit_rule::record) queue_touch(rt.region, f, policy::page_key::of(slot, p), false);
          fs.counters.add<&file_counters::hit>();
          if (last) *pgno = p;
          out = {make_ref(rt.region, f), rg.page(f), p, want_dirty};
          return {};
        }
      }
      // Busy: being read in, evicted, or copied for write-back. Wait for it to
      // change, then look again.
      b.latch.unlock_shared();
      rc.add<&region_counters::io_wait>();
      backoff bo;
      while (fr.state.load(std::memory_order_relaxed) == s) bo.pause();
      continue;
    }
    b.latch.unlock_shared();

    // Miss. A page past the end without create fails before any frame is
    // taken (a get that raced with the create of that page is ordered
    // before it).
    if (p >= fs.npages.load(std::memory_order_relaxed)) {
      if (!create) return errc::page_not_found;
      if (h.rdonly) return err(EINVAL);
      const std::uint64_t maxp = fs.maxpages.load(std::memory_order_relaxed);
      if (p == no_frame || p >= maxp) return err(ENOSPC);
    }
    if (auto ec = alloc_frame(rt.region, policy::page_key::of(slot, p), f)) return ec;
    const frame_state::word l = insert_loading(rt, f, slot, p);
    if (l == 0) {  // another thread read it in first: pin theirs
      release_frame(rt.region, f);
      continue;
    }
    policy_inserted(rt.region, f, policy::page_key::of(slot, p));
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
    // BDB counts a page made past the end as created, not missed.
    if (!exists || !created) fs.counters.add<&file_counters::miss>();
    if (created) {
      fs.counters.add<&file_counters::create>();
      std::uint32_t cur = fs.npages.load(std::memory_order_relaxed);
      while (cur < p + 1 &&
             !fs.npages.compare_exchange_weak(cur, p + 1, std::memory_order_relaxed)) {
      }
    } else {
      fs.counters.add<&file_counters::in>();
    }
    publish(rg.frame_at(f), l, created || want_dirty, want_dirty);
    if (last) *pgno = p;
    out = {make_ref(rt.region, f), rg.page(f), p, want_dirty};
    return {};
  }
}

inline std::uint32_t pool_impl::find_unlatched(region& rg, bucket& b, std::uint32_t slot, pgno_t p,
                                        frame_state::word& s, std::uint32_t& steps) noexcept {
  std::uint32_t f = b.head.load(std::memory_order_relaxed);
  for (steps = 1; f != no_frame && steps <= 32; ++steps) {
    frame& fr = rg.frame_at(f);
    s = fr.state.load(std::memory_order_acquire);  // (P4)
    if (fr.pgno.load(std::memory_order_relaxed) == p &&
        fr.file.load(std::memory_order_relaxed) == slot)
      return f;
    f = fr.next.load(std::memory_order_relaxed);
  }
  return no_frame;
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
  if (!h.open) return 2;
  const std::uint32_t slot = h.slot;
  file_shared& fs = files_[slot];
  // relaxed: as in fix(); a mapped read-only file has no writer to race with.
  if (h.map != nullptr && p < h.map_pages && fs.can_mmap.load(std::memory_order_relaxed)) {
    t.state = nullptr;
    t.word = 0;
    t.page = h.map + std::size_t{p} * h.page_size;
    fs.counters.add<&file_counters::map>();
    return 0;
  }
  const route rt = route_of(slot, p);
  region& rg = *regions_[rt.region];
  std::uint32_t steps = 0;
  frame_state::word s = 0;
  bucket& b = rg.bucket_at(rt.bucket);
  std::uint32_t f = find_unlatched(rg, b, slot, p, s, steps);  // (O1)
  if (f == no_frame) {
    // Not seen without the latch (a long chain, or a chain changing under
    // the walk): look again under it, so that not_resident is exact.
    (void)b.latch.lock_shared();
    f = rg.find(rt.bucket, slot, p);
    if (f != no_frame) s = rg.frame_at(f).state.load(std::memory_order_acquire);  // (O1)
    b.latch.unlock_shared();
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
  if (h.open) files_[h.slot].counters.add<&file_counters::opt_fail>();
}

frame_state::word pool_impl::insert_loading(route rt, std::uint32_t f, std::uint32_t slot,
                                            pgno_t p) noexcept {
  region& rg = *regions_[rt.region];
  bucket& b = rg.bucket_at(rt.bucket);
  auto& rc = rg.hdr().counters;
  rc.add(b.latch.lock() ? &region_counters::hash_wait : &region_counters::hash_nowait);
  if (rg.find(rt.bucket, slot, p) != no_frame) {
    b.latch.unlock();
    return 0;
  }
  frame& fr = rg.frame_at(f);
  fr.file.store(slot, std::memory_order_relaxed);
  fr.pgno.store(p, std::memory_order_relaxed);
  // relaxed: the frame is ours (busy) and the latch publishes key and link;
  // getters that find it see busy and wait for publish().
  const frame_state::word l = fr.state.load(std::memory_order_relaxed) | 1;  // L: one pin
  fr.state.store(l, std::memory_order_relaxed);
  rg.link(rt.bucket, f);
  files_[slot].frames.fetch_add(1, std::memory_order_relaxed);
  b.latch.unlock();
  return l;
}

void pool_impl::publish(frame& fr, frame_state::word l, bool dirty, bool to_write) noexcept {
  // (P3) L -> R: release, read by waiters' pin CAS (P1).
  if (to_write) l += frame_state::writer_one;
  // A page starts with usage 0 (the contract's point 3): textbook CLOCK loads
  // with the reference bit clear.
  fr.state.store(frame_state::with_usage((l & ~frame_state::busy) | frame_state::valid |
                                             (dirty ? frame_state::dirty : 0),
                                         0),
                 std::memory_order_release);
}

std::error_code pool_impl::load_page(file_handle_state& h, std::uint32_t r, std::uint32_t f,
                                     pgno_t pgno, bool exists, bool create, bool is_new,
                                     bool& created) noexcept {
  const std::uint32_t slot = h.slot;
  file_shared& fs = files_[slot];
  file_local& fl = locals_[slot];
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

void pool_impl::unlink_and_free(std::uint32_t r, std::uint32_t f) noexcept {
  region& rg = *regions_[r];
  frame& fr = rg.frame_at(f);
  const std::uint32_t slot = fr.file.load(std::memory_order_relaxed);
  const route rt = route_of(slot, fr.pgno.load(std::memory_order_relaxed));
  bucket& b = rg.bucket_at(rt.bucket);
  b.latch.lock();
  rg.unlink(rt.bucket, f);
  b.latch.unlock();
  policy_removed(r, f);
  files_[slot].frames.fetch_sub(1, std::memory_order_release);  // (F1)
  rg.push_free(f);
}

void pool_impl::release_frame(std::uint32_t r, std::uint32_t f) noexcept { regions_[r]->push_free(f); }

// ------------------------------------------------------------ frame allocation

std::error_code pool_impl::alloc_frame(std::uint32_t r, policy::page_key k, std::uint32_t& out) noexcept {
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
    const std::uint32_t v = choose_victim(r, k, view);
    visits += view.visits();
    if (v != no_frame) {
      if (auto ec = evict(r, v, view.claimed_word())) {
        write_err = ec;  // still dirty and resident: the policy tracks it again
        policy_inserted(r, v, key_of(r, v));
      } else if (v >= rg.nframes()) {
        rg.push_free(v);  // a frame a shrink took out of service: retire it
      } else {
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
  return slot < max_files_ && files_[slot].nofile.load(std::memory_order_relaxed);
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
  // acquire/release: the drain flag is a try-lock; the previous drainer's
  // stores to frames are ordered before ours.
  if (hd.draining.exchange(true, std::memory_order_acquire)) return;
  const std::uint32_t end = rg.scan_end();
  for (std::uint32_t i = rg.nframes(); i < end; ++i) retire_one(r, i);
  hd.draining.store(false, std::memory_order_release);
}

void pool_impl::retire_one(std::uint32_t r, std::uint32_t i) noexcept {
  region& rg = *regions_[r];
  frame& fr = rg.frame_at(i);
  frame_state::word s = fr.state.load(std::memory_order_relaxed);
  if (!frame_state::evictable(s) || unevictable(r, i)) return;
  if (!fr.state.compare_exchange_strong(s, s | frame_state::busy,
                                        std::memory_order_acquire))  // (E1)
    return;
  if (i < rg.nframes() || unevictable(r, i)) {  // grown back meanwhile, or key changed
    fr.state.store(s, std::memory_order_release);  // (E2)
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
  file_shared& fs = files_[slot];
  const bool dirty = (s & frame_state::dirty) != 0;
  if (dirty) {
    std::byte* copy = scratch_page(frame_size_);
    if (copy == nullptr) {
      fr.state.store(s & ~frame_state::busy, std::memory_order_release);  // (E2)
      return err(ENOMEM);
    }
    std::memcpy(copy, rg.page(f), fs.page_size);
    if (auto ec = write_page(slot, pgno, copy)) {
      fr.state.store(s & ~frame_state::busy, std::memory_order_release);  // (E2): still dirty
      return ec;
    }
  }
  const route rt = route_of(slot, pgno);
  bucket& b = rg.bucket_at(rt.bucket);
  b.latch.lock();
  rg.unlink(rt.bucket, f);
  b.latch.unlock();
  rg.hdr().counters.add(dirty ? &region_counters::rw_evict : &region_counters::ro_evict);
  if (dirty) nudge_background_writer();
  fs.frames.fetch_sub(1, std::memory_order_release);  // (F1)
  fr.state.store(frame_state::next_blank(s), std::memory_order_relaxed);  // E': still ours
  return {};
}

// ------------------------------------------------------------------ put (unfix)

std::error_code pool_impl::locate(file_handle_state& h, const void* page, frame_ref& ref) noexcept {
  if (!h.open) return err(EINVAL);
  const auto a = reinterpret_cast<std::uintptr_t>(page);
  if (h.map != nullptr) {
    const auto m = reinterpret_cast<std::uintptr_t>(h.map);
    if (a >= m && a < m + h.map_len) {
      if ((a - m) % h.page_size != 0) return err(EINVAL);
      ref = make_ref(no_frame, static_cast<std::uint32_t>((a - m) / h.page_size));
      return no_error;
    }
  }
  for (std::uint32_t r = 0; r < regions_.size(); ++r) {
    region& rg = *regions_[r];
    const std::uint32_t f = rg.frame_of(page);
    if (f == no_frame) continue;
    // relaxed: a frame this handle has pinned cannot change its key; for any
    // other frame the answer is EINVAL whatever is read.
    if (rg.frame_at(f).file.load(std::memory_order_relaxed) != h.slot) return err(EINVAL);
    ref = make_ref(r, f);
    return no_error;
  }
  return err(EINVAL);
}

std::error_code pool_impl::check_put(const file_handle_state& h, priority prio,
                                     put_flags flags) noexcept {
  using pf = put_flags;
  const auto fl = static_cast<std::uint32_t>(flags);
  constexpr auto known = static_cast<std::uint32_t>(pf::clean | pf::dirty | pf::discard);
  if ((fl & ~known) != 0) return err(EINVAL);
  if (any(flags, pf::clean) && any(flags, pf::dirty)) return err(EINVAL);
  const int pv = static_cast<int>(prio);
  if (pv < 0 || pv > 5) return err(EINVAL);
  if (any(flags, pf::dirty) && h.rdonly) return err(EACCES);
  return no_error;
}

std::error_code pool_impl::unfix(file_handle_state& h, frame_ref ref, priority prio,
                                 put_flags flags, bool set_only, bool to_write) noexcept {
  using pf = put_flags;
  PAGEPOOL_ASSERT(!check_put(h, prio, flags), "unfix: arguments not checked");
  if (ref_region(ref) == no_frame) return no_error;  // mapped page: nothing to unpin
  frame& fr = regions_[ref_region(ref)]->frame_at(ref_frame(ref));
  const priority eff =
      prio == priority::unchanged ? static_cast<priority>(h.prio.load(std::memory_order_relaxed)) : prio;
  frame_state::word s = fr.state.load(std::memory_order_relaxed);
  bool demote = false;
  policy::page_key pk;
  for (;;) {
    if (frame_state::pins(s) == 0 || !(s & frame_state::valid)) return err(EINVAL);
    if (to_write && !set_only && frame_state::writers(s) == 0) return err(EINVAL);
    frame_state::word ns = s;
    if (any(flags, pf::dirty)) ns |= frame_state::dirty;
    if (any(flags, pf::clean)) ns &= ~frame_state::dirty;
    if (set_only) {
      if (any(flags, pf::discard)) ns |= frame_state::discard;
    } else {
      ns = frame_state::unpinned(ns, to_write);
      if (frame_state::pins(ns) == 0) {
        const bool disc = any(flags, pf::discard) || (s & frame_state::discard);
        demote = disc || eff == priority::very_low;
        if (demote) pk = key_of(ref_region(ref), ref_frame(ref));  // still pinned: stable
        ns = frame_state::with_usage(ns, disc ? 0 : usage_at_put(frame_state::usage(ns), eff)) &
             ~frame_state::discard;
      } else if (any(flags, pf::discard)) {
        ns |= frame_state::discard;
      }
    }
    if (fr.state.compare_exchange_weak(s, ns, std::memory_order_release,  // (P2)
                                       std::memory_order_relaxed)) {
      // The policy also learns of a discarded or very_low page: list
      // policies move it to their eviction end, CLOCK hints it to the hand.
      if (demote) policy_demoted(ref_region(ref), ref_frame(ref), pk);
      // The last pin of a frame that a shrink took out of service: the page
      // leaves now (written first if dirty) and the frame's memory goes back.
      if (frame_state::pins(ns) == 0 && !set_only &&
          ref_frame(ref) >= regions_[ref_region(ref)]->nframes())
        retire_one(ref_region(ref), ref_frame(ref));
      return no_error;
    }
  }
}

}  // namespace pagepool::internal
