// src/region/region.cpp: mapping, page-table chains and the free list.
#include "region/region.hpp"

#include <sys/mman.h>

#include <bit>
#include <new>

#include "port/assert.hpp"

namespace pagepool::internal {

namespace {
constexpr std::size_t align_up(std::size_t v, std::size_t a) { return (v + a - 1) / a * a; }
}  // namespace

region::region(std::uint32_t index, std::uint32_t nframes, std::uint32_t frame_size) noexcept {
  const std::uint32_t nbuckets = std::bit_ceil(std::max<std::uint32_t>(nframes, 16));
  const std::size_t buckets_off = align_up(sizeof(region_header), cache_line);
  const std::size_t frames_off = align_up(buckets_off + sizeof(bucket) * nbuckets, cache_line);
  const std::size_t pages_off = align_up(frames_off + sizeof(frame) * std::size_t{nframes}, 4096);
  const std::size_t total = pages_off + std::size_t{nframes} * frame_size;
  void* p = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;
  base_ = static_cast<std::byte*>(p);
  size_ = total;
  // Transparent huge pages where the system allows them on request: a pool's
  // frames are touched at random, and 4 KiB pages make every touch a TLB miss.
  // Advice only; failure changes nothing.
  (void)::madvise(p, total, MADV_HUGEPAGE);
  auto* h = new (base_) region_header();
  h->index = index;
  h->nframes = nframes;
  h->nbuckets = nbuckets;
  h->frame_size = frame_size;
  h->buckets_off = buckets_off;
  h->frames_off = frames_off;
  h->pages_off = pages_off;
  h->total_size = total;
  buckets_ = reinterpret_cast<bucket*>(base_ + buckets_off);
  frames_ = reinterpret_cast<frame*>(base_ + frames_off);
  pages_ = base_ + pages_off;
  for (std::uint32_t b = 0; b < nbuckets; ++b) new (&buckets_[b]) bucket();
  // Every frame starts free; the free list is in index order.
  for (std::uint32_t i = 0; i < nframes; ++i) {
    new (&frames_[i]) frame();
    frames_[i].next.store(i + 1 < nframes ? i + 1 : no_frame, std::memory_order_relaxed);
  }
  h->free_head = nframes ? 0 : no_frame;
}

region::~region() {
  if (base_ == nullptr) return;
  hdr().~region_header();
  ::munmap(base_, size_);
}

std::uint32_t region::frame_of(const void* p) const noexcept {
  const auto* b = static_cast<const std::byte*>(p);
  if (b < pages_) return no_frame;
  const std::size_t off = static_cast<std::size_t>(b - pages_);
  const std::size_t fs = frame_size();
  if (off % fs != 0 || off / fs >= nframes()) return no_frame;
  return static_cast<std::uint32_t>(off / fs);
}

std::uint32_t region::find(std::uint32_t b, std::uint32_t file, std::uint32_t pgno) noexcept {
  std::uint64_t examined = 0;
  std::uint32_t f = buckets_[b].head.load(std::memory_order_relaxed);
  while (f != no_frame) {
    ++examined;
    frame& fr = frames_[f];
    if (fr.pgno.load(std::memory_order_relaxed) == pgno &&
        fr.file.load(std::memory_order_relaxed) == file)
      break;
    f = fr.next.load(std::memory_order_relaxed);
  }
  auto& c = hdr().counters;
  c.add<&region_counters::hash_searches>();
  c.add<&region_counters::hash_examined>(examined);
  auto& longest = hdr().hash_longest;
  std::uint64_t cur = longest.load(std::memory_order_relaxed);
  while (examined > cur &&
         !longest.compare_exchange_weak(cur, examined, std::memory_order_relaxed)) {
  }
  return f;
}

void region::link(std::uint32_t b, std::uint32_t f) noexcept {
  frames_[f].next.store(buckets_[b].head.load(std::memory_order_relaxed), std::memory_order_relaxed);
  buckets_[b].head.store(f, std::memory_order_relaxed);
}

void region::unlink(std::uint32_t b, std::uint32_t f) noexcept {
  std::atomic<std::uint32_t>* link = &buckets_[b].head;
  for (std::uint32_t cur = link->load(std::memory_order_relaxed); cur != no_frame;
       cur = link->load(std::memory_order_relaxed)) {
    if (cur == f) {
      link->store(frames_[f].next.load(std::memory_order_relaxed), std::memory_order_relaxed);
      frames_[f].next.store(no_frame, std::memory_order_relaxed);
      return;
    }
    link = &frames_[cur].next;
  }
  PAGEPOOL_ASSERT(false, "unlink: frame not in its bucket's chain");
}

std::uint32_t region::pop_free() noexcept {
  region_header& h = hdr();
  h.free_latch.lock();
  const std::uint32_t f = h.free_head;
  if (f != no_frame) {
    h.free_head = frames_[f].next.load(std::memory_order_relaxed);
    frames_[f].next.store(no_frame, std::memory_order_relaxed);
  }
  h.free_latch.unlock();
  if (f != no_frame) {
    frame& fr = frames_[f];
    // relaxed: the free-list latch ordered us after the thread that freed it.
    fr.state.store(frame_state::next_blank(fr.state.load(std::memory_order_relaxed)),
                   std::memory_order_relaxed);
  }
  return f;
}

void region::push_free(std::uint32_t f) noexcept {
  frame& fr = frames_[f];
  // relaxed: the frame is owned (busy) by this thread; the latch below
  // publishes the store to the next popper.
  fr.state.store(frame_state::free_of(fr.state.load(std::memory_order_relaxed)),
                 std::memory_order_relaxed);
  region_header& h = hdr();
  h.free_latch.lock();
  fr.next.store(h.free_head, std::memory_order_relaxed);
  h.free_head = f;
  h.free_latch.unlock();
}

}  // namespace pagepool::internal
