// bench/baselines/tbb_table.hpp: the off-the-shelf choice, as a baseline: a
// page table on tbb::concurrent_hash_map (an accessor locks the entry while
// the pin count changes).
#pragma once

#include <tbb/concurrent_hash_map.h>

#include <atomic>
#include <cstdint>
#include <vector>

namespace pagepool::bench {

class tbb_table {
 public:
  tbb_table(std::uint32_t pages, std::size_t page_size)
      : memory_(std::size_t{pages} * page_size), page_size_(page_size) {
    for (std::uint32_t p = 0; p < pages; ++p) map_.insert({p, entry{}});
  }
  void* get(std::uint32_t pgno) {
    map::accessor a;
    if (!map_.find(a, pgno)) return nullptr;
    ++a->second.pins;
    return memory_.data() + std::size_t{pgno} * page_size_;
  }
  void put(std::uint32_t pgno) {
    map::accessor a;
    if (map_.find(a, pgno)) --a->second.pins;
  }

 private:
  struct entry {
    std::uint32_t pins = 0;
  };
  using map = tbb::concurrent_hash_map<std::uint32_t, entry>;
  map map_;
  std::vector<std::byte> memory_;
  std::size_t page_size_;
};

}  // namespace pagepool::bench
