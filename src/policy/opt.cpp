// src/policy/opt.cpp: Belady's MIN with forced insertion (see opt.hpp).
//
// The pages are first numbered densely (0..u-1) with a key_table, so the rest
// works on plain arrays. next[i] is the index of the next request for the page
// of request i (n if none). The residents sit in a max-heap keyed by their
// next use. Every resident has exactly one live entry, the one whose key is
// its next use (> the current time); a hit at time i makes the page's entry
// (key i) stale and pushes a fresh one (key next[i]). Stale keys are at most
// the current time and live keys are greater, so the heap's top is always
// live: no lookups are needed to skip stale entries. When the heap holds more
// than 2c + 16 entries, the stale ones are filtered out and it is rebuilt,
// which keeps it O(c) and the whole run O(n log c).
//
// Ties: pages never used again get distinct keys n + their dense id, so the
// order is total; which of them goes first does not change the count.
#include "policy/opt.hpp"

#include <algorithm>
#include <vector>

#include "policy/key_table.hpp"

namespace pagepool::policy {

std::uint64_t opt_misses(std::span<const std::uint32_t> trace, std::size_t c) {
  const std::size_t n = trace.size();
  if (c == 0) return n;

  // Dense page ids.
  std::vector<std::uint32_t> id(n);
  std::uint32_t pages = 0;
  {
    internal::key_table ids(1024);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t d = ids.find(trace[i]);
      if (d == internal::key_table::npos) {
        d = pages++;
        ids.insert_or_assign(trace[i], d);
      }
      id[i] = d;
    }
  }

  // Next uses, from a backward pass.
  std::vector<std::uint64_t> next(n);
  {
    std::vector<std::uint64_t> seen(pages, 0);  // 0: not seen; else index + 1
    for (std::size_t i = n; i-- > 0;) {
      const std::uint32_t d = id[i];
      next[i] = seen[d] != 0 ? seen[d] - 1 : n + d;
      seen[d] = i + 1;
    }
  }

  std::vector<std::uint8_t> resident(pages, 0);
  std::vector<std::uint64_t> heap;  // keys: next use (or n + id if none)
  heap.reserve(2 * c + 17);
  std::size_t count = 0;
  std::uint64_t misses = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t d = id[i];
    if (!resident[d]) {
      ++misses;
      if (count == c) {
        // The top is live (see above): the page used farthest in the future.
        std::pop_heap(heap.begin(), heap.end());
        const std::uint64_t key = heap.back();
        heap.pop_back();
        resident[key >= n ? key - n : id[key]] = 0;
        --count;
      }
      resident[d] = 1;
      ++count;
    }
    // Hit or miss, the page's live entry is now next[i] (the old one, key i,
    // if any, is stale).
    heap.push_back(next[i]);
    std::push_heap(heap.begin(), heap.end());
    if (heap.size() > 2 * c + 16) {
      std::erase_if(heap, [i](std::uint64_t key) { return key <= i; });
      std::make_heap(heap.begin(), heap.end());
    }
  }
  return misses;
}

}  // namespace pagepool::policy
