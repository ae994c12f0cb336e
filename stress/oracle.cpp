// stress/oracle.cpp: the oracle's check of a pinned page (see oracle.hpp for
// the protocol and why the check is exact).

#include "oracle.hpp"

#include <algorithm>
#include <sstream>
#include <thread>

namespace pagepool::stress {

data_file::data_file(std::string path, std::uint16_t file_no, std::size_t pages, std::uint64_t initial)
    : path_(std::move(path)), file_no_(file_no), pages_(pages), oracle_(new page_oracle[pages]) {
  for (std::size_t p = 0; p < pages; ++p) {
    oracle_[p].seq.store(2 * initial, std::memory_order_relaxed);
    oracle_[p].committed.store(initial, std::memory_order_relaxed);
  }
}

std::string describe_scan(const stamp_scan& s, const data_file& df, pgno_t pgno) {
  std::ostringstream os;
  if (!s.whole) {
    const std::uint64_t v = s.bad_word >> 32;
    os << "word " << s.bad_index << " (byte " << s.bad_index * sizeof(std::uint64_t) << ") is 0x"
       << std::hex << s.bad_word << std::dec << ", which is no version of file " << df.file_no()
       << " page " << pgno;
    if (v != 0)
      os << " (version " << v << " of this page would have 0x" << std::hex
         << stamp_word(df.file_no(), pgno, v, s.bad_index) << std::dec << ")";
    if (s.bad_index == 0 && v != 0)
      os << "; word 0 names page " << static_cast<std::uint32_t>(s.bad_word);
  }
  if (s.max_version != 0 || s.min_version != ~std::uint64_t{0}) {
    if (!s.whole) os << "; ";
    os << "whole words of versions " << s.min_version << ".." << s.max_version;
  }
  return os.str();
}

pinned_check check_pinned(const void* page, std::size_t page_size, const data_file& df, pgno_t pgno,
                          std::uint64_t floor) {
  const page_oracle& o = df.page(pgno);
  // A writer holds the page for one scan's worth of stores; a few retries
  // almost always find it gone and allow the exact check.
  constexpr int tries = 4;
  pinned_check out;
  for (int attempt = 0; attempt < tries; ++attempt) {
    const std::uint64_t s1 = o.seq.load(std::memory_order_acquire);  // (R1) pairs with (S2)
    const stamp_scan scan = scan_pool_page(page, page_size, df.file_no(), pgno);
    std::atomic_thread_fence(std::memory_order_acquire);  // (R2) pairs with the fence after (S1)
    const std::uint64_t s2 = o.seq.load(std::memory_order_relaxed);
    std::ostringstream os;
    if (s1 == s2 && s1 % 2 == 0) {
      const std::uint64_t v = s1 / 2;
      if (scan.is_exactly(v) && v >= floor) return {pinned_check::kind::exact, v, {}};
      os << "file " << df.file_no() << " page " << pgno << ": expected exactly version " << v
         << " (no writer at the page; committed before the get: " << floor << "), found "
         << describe_scan(scan, df, pgno);
      return {pinned_check::kind::bad, v, os.str()};
    }
    const std::uint64_t lo = std::max(floor, s1 / 2);
    const std::uint64_t hi = (s2 + 1) / 2;
    if (!scan.whole || scan.min_version < lo || scan.max_version > hi) {
      os << "file " << df.file_no() << " page " << pgno << ": a writer was at the page, so every word"
         << " must be a whole word of a version in " << lo << ".." << hi << " (seq " << s1 << " -> "
         << s2 << ", committed before the get: " << floor << "), found " << describe_scan(scan, df, pgno);
      return {pinned_check::kind::bad, 0, os.str()};
    }
    out = {pinned_check::kind::in_flight, scan.max_version, {}};
    std::this_thread::yield();
  }
  return out;
}

}  // namespace pagepool::stress
