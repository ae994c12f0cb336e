// src/core/pool_impl.cpp: the pool's creation and destruction, the registry
// of page-in/out functions and the log flush, and put's out-of-line parts.
// get is in core/hit_path.hpp (the hit) and core/get.cpp (the rest); frames'
// allocation, eviction and resize in core/frames.cpp.
//
// Synchronization edges (the frame's own, P1-P4, E1, E2, are in
// frame/frame.hpp; the bucket latch's in table/bucket_latch.hpp):
//   (F1) fs.frames.fetch_sub [release] after the evictor's last use of the
//        file state; the reaper's acquire load pairs with it.
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

namespace pagepool::internal {

namespace {
std::error_code err(int e) { return {e, std::generic_category()}; }
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
  // The page reservation: each region's range spans a power of two of
  // frames (at least its cap), so that locate() splits an offset into region
  // and frame with a shift. Address space only (MAP_NORESERVE): memory is
  // committed as frames are first touched, and handed back by a shrink.
  p->cap_ = static_cast<std::uint32_t>(cap);
  p->frame_shift_ = static_cast<unsigned>(std::countr_zero(fs));
  p->stride_shift_ = static_cast<unsigned>(std::countr_zero(std::bit_ceil(cap)));
  p->nregions_ = o.regions;
  p->arena_len_ = (std::size_t{o.regions} << p->stride_shift_) << p->frame_shift_;
  void* arena = ::mmap(nullptr, p->arena_len_, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (arena == MAP_FAILED) return err(ENOMEM);
  p->arena_ = static_cast<std::byte*>(arena);
  // Transparent huge pages where the system allows them on request: pages
  // are touched at random. Advice only.
  (void)::madvise(arena, p->arena_len_, MADV_HUGEPAGE);
  try {
    for (unsigned r = 0; r < o.regions; ++r) {
      const std::size_t n = frames / o.regions + (r < frames % o.regions ? 1 : 0);
      auto rg = std::make_unique<region>(
          r, static_cast<std::uint32_t>(n), static_cast<std::uint32_t>(fs),
          static_cast<std::uint32_t>(cap),
          p->arena_ + ((std::size_t{r} << p->stride_shift_) << p->frame_shift_));
      if (!rg->ok()) return err(ENOMEM);
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
  regions_.clear();  // before the pages they point into
  if (arena_ != nullptr) ::munmap(arena_, arena_len_);
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

// ------------------------------------------------------------------ put (unfix)

std::error_code pool_impl::locate_mapped(const file_handle_state& h, std::uintptr_t a,
                                         frame_ref& ref) const noexcept {
  if (!h.open || h.map == nullptr) return err(EINVAL);
  const auto m = reinterpret_cast<std::uintptr_t>(h.map);
  if (a < m || a >= m + h.map_len || (a - m) % h.page_size != 0) return err(EINVAL);
  ref = make_ref(no_frame, static_cast<std::uint32_t>((a - m) / h.page_size));
  return no_error;
}

std::error_code pool_impl::check_put_slow(const file_handle_state& h, priority prio,
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

void pool_impl::after_unpin(frame_ref ref, bool demote, policy::page_key pk) noexcept {
  // The policy also learns of a discarded or very_low page: list policies
  // move it to their eviction end, CLOCK hints it to the hand.
  if (demote) policy_demoted(ref_region(ref), ref_frame(ref), pk);
  // The last pin of a frame that a shrink took out of service: the page
  // leaves now (written first if dirty) and the frame's memory goes back.
  if (ref_frame(ref) >= regions_[ref_region(ref)]->nframes())
    retire_one(ref_region(ref), ref_frame(ref));
}

namespace {
std::atomic<std::uint64_t> handle_serials{1};  // relaxed: unique numbers, order nothing
}  // namespace

std::uint64_t file_handle_state::next_handle_serial() noexcept {
  return handle_serials.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace pagepool::internal
