// bench/pagepool-bench/cmd_stat.cpp: `pagepool-bench stat HOME`: a live
// pool's statistics from another process (Berkeley DB's db_stat -m): every
// process attached to the home, when it attached, and the statistics its
// pool last published (pool_options::publish_period, once a second by
// default), with their age; with --live, the pool read from its memory now
// (pool::inspect: a pool in region files, its counts and its files, whether
// its creator is alive). --json FILE writes the same as JSON. Exit 1 if the
// home has no registry (no pool file, with --live) or another version made
// it.
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

void print_counts(const pool_stats& s) {
  std::printf("  %" PRIu64 " cache bytes, %u regions, %u-byte default pages\n", s.cache_bytes,
              s.ncache, s.frame_size);
  std::printf("  %" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64 " pages created (hit ratio %.4f)\n",
              s.cache_hit, s.cache_miss, s.page_create, hit_ratio(s));
  std::printf("  %" PRIu64 " pages read, %" PRIu64 " written, %" PRIu64 " by trickle\n", s.page_in,
              s.page_out, s.page_trickle);
  std::printf("  %u pages cached (%u clean, %u dirty), %" PRIu64 " bytes of page memory\n", s.pages,
              s.page_clean, s.page_dirty, s.page_bytes);
  std::printf("  %" PRIu64 " clean and %" PRIu64 " dirty pages evicted\n", s.ro_evict, s.rw_evict);
}

nlohmann::json json_counts(const pool_stats& s) {
  return {{"cache_bytes", s.cache_bytes}, {"ncache", s.ncache},
          {"frame_size", s.frame_size},   {"cache_hit", s.cache_hit},
          {"cache_miss", s.cache_miss},   {"page_create", s.page_create},
          {"page_in", s.page_in},         {"page_out", s.page_out},
          {"page_trickle", s.page_trickle}, {"pages", s.pages},
          {"page_clean", s.page_clean},   {"page_dirty", s.page_dirty},
          {"page_bytes", s.page_bytes},   {"ro_evict", s.ro_evict},
          {"rw_evict", s.rw_evict},       {"open_fds", s.open_fds}};
}

bool write_json(const stat_options& o, const nlohmann::json& j) {
  if (o.json.empty()) return true;
  std::string err;
  if (!write_json_file(o.json, j.dump(2), err)) {
    std::fprintf(stderr, "pagepool-bench: %s\n", err.c_str());
    return false;
  }
  return true;
}

// --live: the pool read from its memory now (pool::inspect).
int run_live(const stat_options& o) {
  pool_view v;
  if (auto ec = pool::inspect(o.home, v)) {
    std::fprintf(stderr, "pagepool-bench: %s: %s\n", o.home.c_str(), ec.message().c_str());
    return 1;
  }
  std::printf("home %s: pool of pid %d (%s), read from its memory\n", o.home.c_str(), v.pid,
              v.alive ? "alive" : "dead: as it was left");
  print_counts(v.stats);
  nlohmann::json j = json_counts(v.stats);
  j["home"] = o.home;
  j["pid"] = v.pid;
  j["alive"] = v.alive;
  j["files"] = nlohmann::json::array();
  for (const file_stats& f : v.files) {
    std::printf("  file %s: %u-byte pages, %" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64
                " created, %" PRIu64 " read, %" PRIu64 " written\n",
                f.file_name.c_str(), f.pagesize, f.cache_hit, f.cache_miss, f.page_create,
                f.page_in, f.page_out);
    j["files"].push_back({{"name", f.file_name}, {"pagesize", f.pagesize},
                          {"cache_hit", f.cache_hit}, {"cache_miss", f.cache_miss},
                          {"page_create", f.page_create}, {"page_in", f.page_in},
                          {"page_out", f.page_out}});
  }
  return write_json(o, j) ? 0 : 1;
}

}  // namespace

int run_stat_command(const stat_options& o) {
  if (o.live) return run_live(o);
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
    if (!p.has_stats) {
      std::printf("  no statistics published yet\n");
      j["processes"].push_back({{"pid", p.pid}, {"has_stats", false}});
      continue;
    }
    const auto age = std::chrono::duration<double>(now - p.published).count();
    std::printf("  published %.1f s ago\n", age);
    print_counts(p.stats);
    std::printf("  %u descriptors open, %" PRIu64 " closed for max_open_fd\n", p.stats.open_fds,
                p.stats.fd_closed);
    nlohmann::json e = json_counts(p.stats);
    e["pid"] = p.pid;
    e["has_stats"] = true;
    e["published_seconds_ago"] = age;
    j["processes"].push_back(e);
  }
  return write_json(o, j) ? 0 : 1;
}

}  // namespace pagepool::bench
