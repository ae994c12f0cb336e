// src/table/page_table.cpp: the page table's out-of-line part (unlinking).
#include "table/page_table.hpp"

#include "port/assert.hpp"

namespace pagepool::internal {

void page_table::unlink_locked(std::uint32_t b, std::uint32_t f) noexcept {
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
  PAGEPOOL_ASSERT(false, "page_table: frame not in its bucket's chain");
}

}  // namespace pagepool::internal
