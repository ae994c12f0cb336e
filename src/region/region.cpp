// src/region/region.cpp: the region's mapping, its free list, grow and shrink.
#include "region/region.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

#include <bit>
#include <cerrno>
#include <cstddef>
#include <new>

#include "port/assert.hpp"
#include "share/region_file.hpp"

namespace pagepool::internal {

namespace {
constexpr std::size_t align_up(std::size_t v, std::size_t a) { return (v + a - 1) / a * a; }

// Where the parts of a region's mapping start: [header][buckets][frames],
// then its pages (when they are mapped with it). One formula for the maker
// and for a region attached to its file.
struct layout {
  std::size_t buckets_off, frames_off, pages_off;
  static layout of(std::uint32_t nbuckets, std::uint32_t cap) noexcept {
    layout l{};
    l.buckets_off = align_up(sizeof(region_header), cache_line);
    l.frames_off = align_up(l.buckets_off + sizeof(bucket) * std::size_t{nbuckets}, cache_line);
    l.pages_off = align_up(l.frames_off + sizeof(frame) * std::size_t{cap}, 4096);
    return l;
  }
};
}  // namespace

region::region(std::uint32_t index, std::uint32_t nframes, std::uint32_t frame_size,
               std::uint32_t cap, std::byte* pages, const region_file_spec* file) noexcept {
  cap = std::max(cap, nframes);
  // Load factor about 1 for the frames in service at creation (chains
  // average one frame; a region grown to a larger cap has longer chains,
  // still walked latch-free up to the walk's bound), at least 16 buckets. A
  // sparser array would spread the lookups over more lines than the frames
  // themselves occupy, a cache miss the hit pays before its pin.
  const std::uint32_t nbuckets = std::bit_ceil(std::max(nframes, 16u));
  const auto [buckets_off, frames_off, pages_off] = layout::of(nbuckets, cap);
  const std::size_t total = pages_off + (pages == nullptr ? std::size_t{cap} * frame_size : 0);
  void* p = nullptr;
  if (file != nullptr) {
    // The region's memory in a file mapped shared (share/region_file.hpp):
    // the metadata and the pages in service committed now, so that a
    // directory without room is ENOSPC here and never a fault later.
    file_ = std::make_unique<region_file>();
    if (!file_) {
      error_ = ENOMEM;
      return;
    }
    if (auto ec = file_->make(*file, pages_off, std::size_t{cap} * frame_size, pages,
                              std::size_t{nframes} * frame_size)) {
      error_ = ec.value();
      file_.reset();
      return;
    }
    p = file_->meta();
    pages = file_->pages();
  } else {
    p = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
               -1, 0);
    if (p == MAP_FAILED) {
      error_ = ENOMEM;
      return;
    }
    // Transparent huge pages where the system allows them on request:
    // frames and buckets are touched at random, and 4 KiB pages make every
    // touch a TLB miss. Advice only; failure changes nothing.
    (void)::madvise(p, total, MADV_HUGEPAGE);
  }
  base_ = static_cast<std::byte*>(p);
  size_ = total;
  auto* h = new (base_) region_header();
  h->index = index;
  h->cap = cap;
  h->nbuckets = nbuckets;
  h->frame_size = frame_size;
  h->buckets_off = buckets_off;
  h->frames_off = frames_off;
  // A region file says where its pages are in it (share/region_file.hpp).
  h->pages_off = file_ != nullptr ? file_->pages_offset() : pages_off;
  h->total_size = file_ != nullptr ? file_->file_length() : total;
  auto* buckets = reinterpret_cast<bucket*>(base_ + buckets_off);
  frames_ = reinterpret_cast<frame*>(base_ + frames_off);
  pages_ = pages != nullptr ? pages : base_ + pages_off;
  frame_shift_ = static_cast<unsigned>(std::countr_zero(frame_size));  // a power of two
  for (std::uint32_t b = 0; b < nbuckets; ++b) new (&buckets[b]) bucket();
  table_ = page_table(buckets, frames_, nbuckets, &h->table);
  // Every frame header the region may ever use is constructed now, before
  // any other thread can reach the region: a latch-free chain walk may follow
  // a stale link to any index below the cap (links are hints, checked against
  // the state word), and a header constructed later, by grow, would be a
  // plain write racing that walk's atomic loads. 24 bytes a frame.
  for (std::uint32_t i = 0; i < cap; ++i) new (&frames_[i]) frame();
  // The frames in service start free; the free list is in index order.
  for (std::uint32_t i = 0; i < nframes; ++i)
    frames_[i].next.store(i + 1 < nframes ? i + 1 : no_frame, std::memory_order_relaxed);
  h->free_head.store(nframes ? 0 : no_frame, std::memory_order_relaxed);
  h->limit.store(nframes, std::memory_order_relaxed);
  h->high.store(nframes, std::memory_order_relaxed);
}

region::region(attach_t, const region_file_spec& file, std::uint32_t index,
               std::uint32_t frame_size, std::uint32_t cap, std::byte* pages) noexcept
    : attached_(true) {
  // The header's leading plain fields, read before anything is mapped, and
  // checked against the geometry the caller knows (the pool file's): a file
  // that is not that region is EINVAL, never a mapping that could fault.
  region_identity rh{};
  {
    const int fd = ::openat(file.dir_fd, file.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      error_ = errno;
      return;
    }
    const ssize_t n = ::pread(fd, &rh, sizeof rh, 0);
    ::close(fd);
    if (n != static_cast<ssize_t>(sizeof rh)) {
      error_ = EINVAL;
      return;
    }
  }
  const auto [buckets_off, frames_off, pages_off] = layout::of(rh.nbuckets, cap);
  if (rh.index != index || rh.cap != cap || rh.frame_size != frame_size || rh.nbuckets < 16 ||
      !std::has_single_bit(rh.nbuckets) || rh.buckets_off != buckets_off ||
      rh.frames_off != frames_off || !std::has_single_bit(frame_size)) {
    error_ = EINVAL;
    return;
  }
  file_ = std::make_unique<region_file>();
  if (!file_) {
    error_ = ENOMEM;
    return;
  }
  if (auto ec = file_->open(file, pages_off, std::size_t{cap} * frame_size, pages)) {
    error_ = ec.value();
    file_.reset();
    return;
  }
  if (rh.pages_off != file_->pages_offset() || rh.total_size != file_->file_length()) {
    error_ = EINVAL;
    file_.reset();
    return;
  }
  base_ = file_->meta();
  size_ = pages_off;
  frames_ = reinterpret_cast<frame*>(base_ + frames_off);
  pages_ = file_->pages();
  frame_shift_ = static_cast<unsigned>(std::countr_zero(frame_size));
  table_ = page_table(reinterpret_cast<bucket*>(base_ + buckets_off), frames_, rh.nbuckets,
                      &hdr().table);
}

region::~region() {
  if (base_ == nullptr) return;
  if (!attached_) hdr().~region_header();  // an attached region's header is its maker's
  if (file_ == nullptr) ::munmap(base_, size_);  // a file's mappings go with it
}

std::uint32_t region::pop_free() noexcept {
  region_header& h = hdr();
  // relaxed: a peek, no frame is taken through it. A full region (every
  // frame in service holds a page) is the steady state of a miss, and the
  // latch's CAS and release would otherwise be two writes to one line shared
  // by every thread that misses, for nothing. A frame pushed concurrently is
  // found by the caller's next pop (alloc_frame looks again after a failed
  // eviction) or by the next miss; under the latch the head is read again.
  if (h.free_head.load(std::memory_order_relaxed) == no_frame) return no_frame;
  h.counters.add(h.free_latch.lock() ? &region_counters::free_wait : &region_counters::free_nowait);
  // relaxed (free_head everywhere below): changed only under the latch,
  // which orders it.
  const std::uint32_t f = h.free_head.load(std::memory_order_relaxed);
  if (f != no_frame) {
    frame& fr = frames_[f];
    h.free_head.store(fr.next.load(std::memory_order_relaxed), std::memory_order_relaxed);
    fr.next.store(no_frame, std::memory_order_relaxed);
    // The free-list latch ordered us after the thread that freed it. Under
    // the latch, so that a grow never sees this frame free and unlisted.
    frame_ops::make_blank(fr);
  }
  h.free_latch.unlock();
  return f;
}

void region::push_free(std::uint32_t f) noexcept {
  frame& fr = frames_[f];
  region_header& h = hdr();
  // A frame past the limit retires below, and its memory goes back to the
  // system. Anonymous memory is released before the latch (MADV_DONTNEED
  // is harmless even if a grow revives the frame meanwhile: it reads back
  // zeros); a region file's hole is punched under the latch, so that a
  // grow, which commits again what it revives, never revives a frame whose
  // hole is punched after its commit.
  if (file_ == nullptr && f >= h.limit.load(std::memory_order_relaxed)) release_memory(f);
  h.counters.add(h.free_latch.lock() ? &region_counters::free_wait : &region_counters::free_nowait);
  // The frame is owned (busy) by this thread; the latch publishes the store
  // to the next popper (or to a grow that revives it). Under the latch, so
  // that a grow never sees this frame free before it is listed.
  frame_ops::make_free(fr);
  if (f < h.limit.load(std::memory_order_relaxed)) {
    fr.next.store(h.free_head.load(std::memory_order_relaxed), std::memory_order_relaxed);
    h.free_head.store(f, std::memory_order_relaxed);
  } else {
    if (file_ != nullptr) release_memory(f);
    fr.next.store(no_frame, std::memory_order_relaxed);  // retired
    const std::uint32_t e = h.excess.load(std::memory_order_relaxed);
    if (e > 0) h.excess.store(e - 1, std::memory_order_relaxed);
  }
  h.free_latch.unlock();
}

void region::release_memory(std::uint32_t f) noexcept {
  if (file_ != nullptr) {
    // Under the latch, the only place a file's frame is punched. The
    // counter moves once the hole is made: a grow that read the old count
    // before its commit sees the new one under the latch and commits again;
    // one that read the new count read it after the hole was made, so its
    // commit came after the punch (grow, below).
    file_->punch(std::size_t{f} * frame_size(), frame_size());
    punches_.store(punches_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return;
  }
  // Whole system pages inside the frame's page memory only.
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::uintptr_t b = reinterpret_cast<std::uintptr_t>(pages_) + std::uintptr_t{f} * frame_size();
  const std::uintptr_t start = (b + page - 1) / page * page;
  const std::uintptr_t end = (b + frame_size()) / page * page;
  if (end > start) (void)::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
}

std::error_code region::grow(std::uint32_t n) noexcept {
  region_header& h = hdr();
  PAGEPOOL_ASSERT(n <= h.cap, "grow past the region's cap");
  std::uint64_t punched = 0;
  if (file_ != nullptr) {
    // Commit what will serve before it serves, outside the latch (it may
    // take a while for a large grow). Resizes are serialised by the caller,
    // so the limit read here is the one the latch sees; a frame retired
    // meanwhile is punched under the latch, which the counter tells.
    punched = punches_.load(std::memory_order_relaxed);
    const std::uint32_t from = h.limit.load(std::memory_order_relaxed);
    if (n > from) {
      if (auto ec = file_->commit(std::size_t{from} * frame_size(),
                                  std::size_t{n - from} * frame_size()))
        return ec;  // nothing changed
    }
  }
  h.free_latch.lock();
  const std::uint32_t limit = h.limit.load(std::memory_order_relaxed);
  if (file_ != nullptr && n > limit && punches_.load(std::memory_order_relaxed) != punched) {
    // A retirement punched a hole since the commit above: commit again,
    // under the latch now (no more punches until it is released). Rare.
    if (auto ec = file_->commit(std::size_t{limit} * frame_size(),
                                std::size_t{n - limit} * frame_size())) {
      h.free_latch.unlock();
      return ec;
    }
  }
  std::uint32_t high = h.high.load(std::memory_order_relaxed);
  for (std::uint32_t i = limit; i < n; ++i) {
    frame& fr = frames_[i];
    if (i >= high) {
      high = i + 1;  // never used: still as the constructor left it (free)
    } else {
      // relaxed: retired frames are only touched under this latch; a frame
      // still holding a page (pinned through the shrink) simply serves again.
      const frame_state::word s = fr.state.load(std::memory_order_relaxed);
      if ((s & (frame_state::busy | frame_state::valid)) != 0) {
        const std::uint32_t e = h.excess.load(std::memory_order_relaxed);
        if (e > 0) h.excess.store(e - 1, std::memory_order_relaxed);
        continue;
      }
    }
    fr.next.store(h.free_head.load(std::memory_order_relaxed), std::memory_order_relaxed);
    h.free_head.store(i, std::memory_order_relaxed);
  }
  // release (RG1): pairs with nframes() / scan_end() [acquire]: a thread that
  // sees the new bound also sees the frames put in service above, revived
  // and listed (the CLOCK hand and the scans read frames below the bound
  // without this latch).
  h.high.store(high, std::memory_order_release);  // (RG1)
  h.limit.store(std::max(limit, n), std::memory_order_release);  // (RG1)
  h.free_latch.unlock();
  return {};
}

void region::shrink(std::uint32_t n) noexcept {
  region_header& h = hdr();
  h.free_latch.lock();
  const std::uint32_t limit = h.limit.load(std::memory_order_relaxed);
  if (n >= limit) {
    h.free_latch.unlock();
    return;
  }
  h.limit.store(n, std::memory_order_relaxed);
  // Drop free frames past the new limit from the free list: they retire.
  std::uint32_t retired = 0;
  std::uint32_t prev = no_frame;  // last kept frame; no_frame: the head
  for (std::uint32_t f = h.free_head.load(std::memory_order_relaxed); f != no_frame;) {
    const std::uint32_t nx = frames_[f].next.load(std::memory_order_relaxed);
    if (f >= n) {
      if (prev == no_frame)
        h.free_head.store(nx, std::memory_order_relaxed);
      else
        frames_[prev].next.store(nx, std::memory_order_relaxed);
      frames_[f].next.store(no_frame, std::memory_order_relaxed);
      release_memory(f);
      ++retired;
    } else {
      prev = f;
    }
    f = nx;
  }
  h.excess.store(h.excess.load(std::memory_order_relaxed) + (limit - n - retired),
                 std::memory_order_relaxed);
  h.free_latch.unlock();
}

}  // namespace pagepool::internal
