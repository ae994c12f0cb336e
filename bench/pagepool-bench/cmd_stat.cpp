// bench/pagepool-bench/cmd_stat.cpp: `pagepool-bench stat HOME`: a live
// pool's statistics from another process (Berkeley DB's db_stat -m): every
// process attached to the home, when it attached, and the statistics its
// pool last published (pool_options::publish_period, once a second by
// default), with their age. --json FILE writes the same as JSON. Exit 1 if
// the home has no registry or another version made it.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "pagepool/pool.hpp"

namespace pagepool::bench {

namespace {

std::string local_time(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::localtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

double hit_ratio(const pool_stats& s) {
  const double all = static_cast<double>(s.cache_hit + s.cache_miss + s.page_create);
  return all > 0 ? static_cast<double>(s.cache_hit) / all : 0.0;
}

}  // namespace

int run_stat_command(const stat_options& o) {
  std::vector<process_info> procs;
  if (auto ec = pool::attached(o.home, procs)) {
    std::fprintf(stderr, "pagepool-bench: %s: %s\n", o.home.c_str(), ec.message().c_str());
    return 1;
  }
  const auto now = std::chrono::system_clock::now();
  std::printf("home %s: %zu process(es) attached\n", o.home.c_str(), procs.size());
  nlohmann::json j = {{"home", o.home}, {"processes", nlohmann::json::array()}};
  for (const auto& p : procs) {
    std::printf("pid %d, attached %s\n", p.pid, local_time(p.attached).c_str());
    nlohmann::json e = {{"pid", p.pid}, {"has_stats", p.has_stats}};
    if (!p.has_stats) {
      std::printf("  no statistics published yet\n");
      j["processes"].push_back(e);
      continue;
    }
    const auto age = std::chrono::duration<double>(now - p.published).count();
    const pool_stats& s = p.stats;
    std::printf("  published %.1f s ago\n", age);
    std::printf("  %" PRIu64 " cache bytes, %u regions, %u-byte default pages\n", s.cache_bytes,
                s.ncache, s.frame_size);
    std::printf("  %" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64 " pages created (hit ratio %.4f)\n",
                s.cache_hit, s.cache_miss, s.page_create, hit_ratio(s));
    std::printf("  %" PRIu64 " pages read, %" PRIu64 " written, %" PRIu64 " by trickle\n", s.page_in,
                s.page_out, s.page_trickle);
    std::printf("  %u pages cached (%u clean, %u dirty), %" PRIu64 " bytes of page memory\n", s.pages,
                s.page_clean, s.page_dirty, s.page_bytes);
    std::printf("  %" PRIu64 " clean and %" PRIu64 " dirty pages evicted\n", s.ro_evict, s.rw_evict);
    std::printf("  %u descriptors open, %" PRIu64 " closed for max_open_fd\n", s.open_fds, s.fd_closed);
    e["published_seconds_ago"] = age;
    e["cache_bytes"] = s.cache_bytes;
    e["ncache"] = s.ncache;
    e["frame_size"] = s.frame_size;
    e["cache_hit"] = s.cache_hit;
    e["cache_miss"] = s.cache_miss;
    e["page_create"] = s.page_create;
    e["page_in"] = s.page_in;
    e["page_out"] = s.page_out;
    e["page_trickle"] = s.page_trickle;
    e["pages"] = s.pages;
    e["page_clean"] = s.page_clean;
    e["page_dirty"] = s.page_dirty;
    e["page_bytes"] = s.page_bytes;
    e["ro_evict"] = s.ro_evict;
    e["rw_evict"] = s.rw_evict;
    e["open_fds"] = s.open_fds;
    j["processes"].push_back(e);
  }
  if (!o.json.empty()) {
    std::string err;
    if (!write_json_file(o.json, j.dump(2), err)) {
      std::fprintf(stderr, "pagepool-bench: %s\n", err.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace pagepool::bench
