// tests/fuzz/content.hpp: the content oracle's unit, a page's bytes as the
// model predicts them (content: the bytes and how many leading ones are
// known; the rest is frame garbage), shared between worlds (cptr), and the
// contents a get may see: cleared (a new page, clear_len bytes zeroed),
// zeros (a hole read back), observed (what a pinned page holds now).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace pagepool_fuzz {

struct content {
  std::vector<std::uint8_t> b;
  std::size_t known = 0;  // leading bytes that are predicted; the rest is frame garbage
};
using cptr = std::shared_ptr<const content>;

inline bool matches(const content& c, const std::uint8_t* page) {
  return std::memcmp(c.b.data(), page, c.known) == 0;
}
inline cptr cleared(std::size_t ps, std::uint32_t clear_len) {
  auto c = std::make_shared<content>();
  c->b.assign(ps, 0);
  c->known = clear_len == 0 ? ps : std::min<std::size_t>(clear_len, ps);
  return c;
}
inline cptr zeros(std::size_t ps) { return cleared(ps, 0); }
inline cptr observed(const void* page, std::size_t ps) {
  auto c = std::make_shared<content>();
  c->b.assign(static_cast<const std::uint8_t*>(page), static_cast<const std::uint8_t*>(page) + ps);
  c->known = ps;
  return c;
}

}  // namespace pagepool_fuzz
