// tests/fuzz/input.hpp: how pagepool_api_fuzz reads its input: reader hands
// out the input's bytes one at a time (0 once they run out), and the tables
// some of those bytes index (page sizes for open, the disk files' own page
// sizes). Which byte means what is the decoder's, driver::run (driver.cpp)
// and each op_* in turn.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace pagepool_fuzz {

struct reader {
  const std::uint8_t* d;
  std::size_t n, i = 0;
  bool done() const { return i >= n; }
  std::uint8_t u8() { return i < n ? d[i++] : 0; }
};

// Indexed by a byte % 10: six valid sizes (four distinct), four invalid.
constexpr std::array<std::size_t, 10> page_sizes{512, 1024, 2048, 4096, 0, 100, 3000, 8192, 65536, 512};
constexpr std::array<std::size_t, 3> disk_ps{512, 2048, 4096};

}  // namespace pagepool_fuzz
