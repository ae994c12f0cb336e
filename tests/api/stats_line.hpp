// tests/api/stats_line.hpp: a pool's statistics as one line of text, so that
// a helper process can say what its own stats() gives and a test can compare
// it with what pool::inspect reads from the helper's memory
// (inspect_test.cpp, inspect_helper.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "pagepool/pool.hpp"
#include "pagepool/stats.hpp"

namespace pagepool::test {

/// The figures pool::inspect promises to read as the pool's own stats()
/// gives them (pool_view: every count and the pool's settings; not the
/// creator's descriptors).
inline std::map<std::string, std::uint64_t> stats_fields(const pool_stats& s) {
  std::map<std::string, std::uint64_t> m = {
      {"cache_bytes", s.cache_bytes}, {"ncache", s.ncache}, {"frame_size", s.frame_size},
      {"frames", s.frames}, {"cache_hit", s.cache_hit}, {"cache_miss", s.cache_miss},
      {"page_create", s.page_create}, {"page_in", s.page_in}, {"page_out", s.page_out},
      {"ro_evict", s.ro_evict}, {"rw_evict", s.rw_evict}, {"page_trickle", s.page_trickle},
      {"pages", s.pages}, {"page_clean", s.page_clean}, {"page_dirty", s.page_dirty},
      {"page_bytes", s.page_bytes}, {"hash_buckets", s.hash_buckets},
      {"hash_searches", s.hash_searches}, {"hash_examined", s.hash_examined},
      {"hash_longest", s.hash_longest}, {"alloc", s.alloc}, {"alloc_pages", s.alloc_pages},
      {"alloc_max_pages", s.alloc_max_pages}, {"fd_closed", s.fd_closed},
      {"evict_calls", s.evict_calls}, {"evict_victims", s.evict_victims},
      {"optimistic_reads", s.optimistic_reads}, {"page_donated", s.page_donated},
      {"mmapsize", s.mmapsize}, {"maxopenfd", static_cast<std::uint64_t>(s.maxopenfd)},
      {"maxwrite", static_cast<std::uint64_t>(s.maxwrite)}, {"maxwrite_sleep", s.maxwrite_sleep}};
  for (std::size_t c = 0; c < s.pages_by_size.size(); ++c)
    m["pages_by_size_" + std::to_string(512u << c)] = s.pages_by_size[c];
  return m;
}

inline std::string stats_line(const pool_stats& s) {
  std::ostringstream o;
  o << "stats";
  for (const auto& [k, v] : stats_fields(s)) o << ' ' << k << '=' << v;
  return o.str();
}

/// One file's figures: "file NAME hit miss create in out pagesize".
inline std::string file_line(const file_stats& f) {
  std::ostringstream o;
  o << "file " << f.file_name << ' ' << f.cache_hit << ' ' << f.cache_miss << ' '
    << f.page_create << ' ' << f.page_in << ' ' << f.page_out << ' ' << f.pagesize;
  return o.str();
}

}  // namespace pagepool::test
