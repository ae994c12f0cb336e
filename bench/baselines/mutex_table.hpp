// bench/baselines/mutex_table.hpp: Berkeley DB 5.3's hit-path design, as a
// baseline: a chained hash table with one mutex per bucket, a pin count per
// entry changed under that mutex, and a priority stamp written on unpin.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace pagepool::bench {

class mutex_table {
 public:
  explicit mutex_table(std::uint32_t pages, std::size_t page_size)
      : buckets_(std::bit_ceil(pages)), memory_(std::size_t{pages} * page_size), page_size_(page_size) {
    entries_.reserve(pages);
    for (std::uint32_t p = 0; p < pages; ++p) {
      entries_.push_back(entry{p, 0, 0, nullptr});
    }
    for (std::uint32_t p = 0; p < pages; ++p) {
      bucket& b = buckets_[hash(p) & (buckets_.size() - 1)];
      entries_[p].next = b.head;
      b.head = &entries_[p];
    }
  }
  void* get(std::uint32_t pgno) {
    bucket& b = buckets_[hash(pgno) & (buckets_.size() - 1)];
    std::lock_guard g(b.mu);
    for (entry* e = b.head; e; e = e->next)
      if (e->pgno == pgno) {
        ++e->pins;
        return memory_.data() + std::size_t{pgno} * page_size_;
      }
    return nullptr;
  }
  void put(std::uint32_t pgno) {
    bucket& b = buckets_[hash(pgno) & (buckets_.size() - 1)];
    std::lock_guard g(b.mu);
    for (entry* e = b.head; e; e = e->next)
      if (e->pgno == pgno) {
        --e->pins;
        e->priority = ++lru_;  // BDB's region-wide LRU counter, written on every unpin
        return;
      }
  }

 private:
  static std::uint64_t hash(std::uint32_t p) { return (std::uint64_t{p} * 0x9E3779B97F4A7C15ull) >> 17; }
  struct entry {
    std::uint32_t pgno, pins;
    std::uint64_t priority;
    entry* next;
  };
  struct bucket {
    std::mutex mu;
    entry* head = nullptr;
  };
  std::vector<bucket> buckets_;
  std::vector<entry> entries_;
  std::vector<std::byte> memory_;
  std::size_t page_size_;
  std::atomic<std::uint64_t> lru_{0};
};

}  // namespace pagepool::bench
