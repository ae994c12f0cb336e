// src/io/scratch_page.cpp: the per-thread scratch page (io/scratch_page.hpp).
#include "io/scratch_page.hpp"

#include <cstdlib>

namespace pagepool::internal {

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

}  // namespace pagepool::internal
