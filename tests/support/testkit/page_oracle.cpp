// testkit/page_oracle.cpp: the oracle's check of a pinned page (see
// page_oracle.hpp for the protocol and why the check is exact).

#include "testkit/page_oracle.hpp"

#include <algorithm>
#include <sstream>
#include <thread>

#include "testkit/page_stamp.hpp"

namespace pagepool::testkit {

pinned_check check_pinned(const void* page, std::size_t bytes, const page_oracle& o, pgno_t pgno,
                          std::uint64_t floor, std::uint16_t file_no) {
  // A writer holds the page for one scan's worth of stores; a few retries
  // almost always find it gone and allow the exact check.
  constexpr int tries = 4;
  pinned_check out;
  for (int attempt = 0; attempt < tries; ++attempt) {
    const std::uint64_t s1 = o.seq.load(std::memory_order_acquire);  // (R1) pairs with (S2)
    const stamp_scan scan = scan_page(page, bytes, pgno, file_no);
    std::atomic_thread_fence(std::memory_order_acquire);  // (R2) pairs with the fence after (S1)
    const std::uint64_t s2 = o.seq.load(std::memory_order_relaxed);
    std::ostringstream os;
    if (s1 == s2 && s1 % 2 == 0) {
      const std::uint64_t v = s1 / 2;
      if (scan.is_exactly(v) && v >= floor) return {pinned_check::kind::exact, v, {}};
      os << "file " << file_no << " page " << pgno << ": expected exactly version " << v
         << " (no writer at the page; committed before the get: " << floor << "), found "
         << describe_scan(scan, pgno, file_no);
      return {pinned_check::kind::bad, v, os.str()};
    }
    const std::uint64_t lo = std::max(floor, s1 / 2);
    const std::uint64_t hi = (s2 + 1) / 2;
    if (!scan.whole || scan.min_version < lo || scan.max_version > hi) {
      os << "file " << file_no << " page " << pgno << ": a writer was at the page, so every word"
         << " must be a whole word of a version in " << lo << ".." << hi << " (seq " << s1 << " -> "
         << s2 << ", committed before the get: " << floor << "), found " << describe_scan(scan, pgno, file_no);
      return {pinned_check::kind::bad, 0, os.str()};
    }
    out = {pinned_check::kind::in_flight, scan.max_version, {}};
    std::this_thread::yield();
  }
  return out;
}

}  // namespace pagepool::testkit
