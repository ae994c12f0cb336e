// testkit/page_stamp.cpp: the failure messages of the stamp format
// (page_stamp.hpp).

#include "testkit/page_stamp.hpp"

#include <sstream>

namespace pagepool::testkit {

std::string describe_scan(const stamp_scan& s, pgno_t pgno, std::uint16_t file_no) {
  std::ostringstream os;
  if (!s.whole) {
    const std::uint64_t v = s.bad_word >> 32;
    os << "word " << s.bad_index << " (byte " << s.bad_index * sizeof(std::uint64_t) << ") is 0x"
       << std::hex << s.bad_word << std::dec << ", which is no version of file " << file_no
       << " page " << pgno;
    if (v != 0)
      os << " (version " << v << " of this page would have 0x" << std::hex
         << stamp_word(pgno, v, s.bad_index, file_no) << std::dec << ")";
    if (s.bad_index == 0 && v != 0)
      os << "; word 0 names page " << static_cast<std::uint32_t>(s.bad_word);
  }
  if (s.max_version != 0 || s.min_version != ~std::uint64_t{0}) {
    if (!s.whole) os << "; ";
    os << "whole words of versions " << s.min_version << ".." << s.max_version;
  }
  return os.str();
}

std::string stamp_mismatch(const void* page, std::size_t bytes, pgno_t pgno, std::uint64_t expected,
                           std::uint16_t file_no) {
  const stamp_scan s = scan_page(page, bytes, pgno, file_no);
  if (s.is_exactly(expected) || (expected == 0 && s.whole && s.max_version == 0)) return {};
  std::ostringstream os;
  os << "file " << file_no << " page " << pgno << ": expected exactly version " << expected << ", found "
     << describe_scan(s, pgno, file_no);
  return os.str();
}

}  // namespace pagepool::testkit
