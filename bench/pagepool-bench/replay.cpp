// bench/pagepool-bench/replay.cpp: densify and the replay loop.
#include "replay.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <ctime>
#include <unordered_map>

namespace pagepool::bench {

dense_trace densify(std::span<const std::uint32_t> raw) {
  dense_trace d;
  d.pages.resize(raw.size());
  constexpr std::uint32_t unseen = 0xFFFFFFFFu;
  std::uint32_t max = 0;
  for (std::uint32_t p : raw) max = std::max(max, p);
  if (max < (1u << 28)) {  // a direct table (at most 1 GiB; 42 MB for arc_p3)
    std::vector<std::uint32_t> id(std::size_t{max} + 1, unseen);
    for (std::size_t i = 0; i < raw.size(); ++i) {
      std::uint32_t& v = id[raw[i]];
      if (v == unseen) v = d.unique++;
      d.pages[i] = v;
    }
  } else {
    std::unordered_map<std::uint32_t, std::uint32_t> id;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      auto [it, fresh] = id.try_emplace(raw[i], d.unique);
      if (fresh) ++d.unique;
      d.pages[i] = it->second;
    }
  }
  return d;
}

std::size_t pages_for_percent(std::uint64_t unique, double pct) noexcept {
  const double c = std::floor(static_cast<double>(unique) * pct / 100.0);
  return c < 1.0 ? 1 : static_cast<std::size_t>(c);
}

namespace {

constexpr std::size_t progress_batch = 1u << 16;
constexpr auto enomem_patience = std::chrono::seconds(10);

double process_cpu_seconds() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

constexpr std::size_t skew_check = 64;  // requests between looks at the others

struct thread_outcome {
  std::uint64_t retries = 0;
  std::uint64_t skew_waits = 0;
  std::error_code ec;
  std::uint32_t failed_pgno = 0;
};

/// How far each thread has got (its own requests done), on its own line.
struct alignas(64) thread_position {
  std::atomic<std::uint64_t> done{0};
};

/// Requests tid, tid+T, tid+2T, ... through handle f; with max_skew, waits
/// whenever it is more than max_skew of its requests ahead of another thread.
void replay_share(file& f, std::span<const std::uint32_t> trace, unsigned tid, unsigned nthreads,
                  std::size_t max_skew, std::vector<thread_position>* pos, progress* prog, thread_outcome& out) {
  std::size_t since = 0;
  std::uint64_t mine = 0;
  for (std::size_t i = tid; i < trace.size(); i += nthreads, ++mine) {
    if (pos != nullptr && mine % skew_check == 0) {
      // relaxed (store and loads): the positions only pace the threads;
      // nothing is published through them (the pool orders its own data).
      (*pos)[tid].done.store(mine, std::memory_order_relaxed);
      for (unsigned o = 0; o < nthreads; ++o) {
        while (o != tid && mine > (*pos)[o].done.load(std::memory_order_relaxed) + max_skew) {
          ++out.skew_waits;
          std::this_thread::yield();
        }
      }
    }
    pgno_t pgno = trace[i];
    void* page = nullptr;
    std::error_code ec = f.get(&pgno, get_flags::create, &page);
    if (ec == std::errc::not_enough_memory) {  // every frame pinned by the other threads: wait
      const auto until = std::chrono::steady_clock::now() + enomem_patience;
      while (ec == std::errc::not_enough_memory && std::chrono::steady_clock::now() < until) {
        ++out.retries;
        std::this_thread::yield();
        pgno = trace[i];
        ec = f.get(&pgno, get_flags::create, &page);
      }
    }
    if (!ec) ec = f.put(page);
    if (ec) {
      out.ec = ec;
      out.failed_pgno = trace[i];
      if (pos != nullptr) (*pos)[tid].done.store(~std::uint64_t{0} / 2, std::memory_order_relaxed);  // relaxed: as above
      return;
    }
    if (prog != nullptr && ++since == progress_batch) {
      prog->advance(since);
      since = 0;
    }
  }
  if (prog != nullptr) prog->advance(since);
  // relaxed: as above; a finished thread holds nobody back.
  if (pos != nullptr) (*pos)[tid].done.store(~std::uint64_t{0} / 2, std::memory_order_relaxed);
}

}  // namespace

bool replay_trace(std::span<const std::uint32_t> trace, std::uint32_t unique, const replay_config& cfg,
                  progress* prog, replay_result& out, std::string& err) {
  if (cfg.threads == 0) {
    err = "threads must be at least 1";
    return false;
  }
  rig_config rc;
  rc.policy = cfg.policy;
  rc.frames = cfg.cache_pages;
  rc.regions = cfg.regions;
  rc.page_size = cfg.page_size;
  rc.back = cfg.back;
  rc.pages = std::max<std::uint32_t>(unique, 1);
  rc.handles = cfg.threads;
  std::unique_ptr<pool_rig> rig;
  if (!pool_rig::make(rc, rig, err)) return false;
  (void)rig->counts(true);  // nothing happened yet; start from zero regardless

  std::vector<thread_outcome> outcomes(cfg.threads);
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  if (cfg.threads == 1) {
    replay_share(rig->handle(0), trace, 0, 1, 0, nullptr, prog, outcomes[0]);
  } else {
    std::vector<thread_position> positions(cfg.threads);
    std::vector<thread_position>* pos = cfg.max_skew != 0 ? &positions : nullptr;
    std::vector<std::thread> team;
    team.reserve(cfg.threads);
    for (unsigned t = 0; t < cfg.threads; ++t)
      team.emplace_back(
          [&, t] { replay_share(rig->handle(t), trace, t, cfg.threads, cfg.max_skew, pos, prog, outcomes[t]); });
    for (auto& th : team) th.join();  // the join orders every thread's work before the statistics below
  }
  const auto t1 = std::chrono::steady_clock::now();
  const double cpu1 = process_cpu_seconds();

  out = replay_result{};
  for (const auto& o : outcomes) {
    out.enomem_retries += o.retries;
    out.skew_waits += o.skew_waits;
    if (o.ec && err.empty())
      err = "get/put of page " + std::to_string(o.failed_pgno) + " failed: " + describe(o.ec);
  }
  if (!err.empty()) return false;
  const rig_counts c = rig->counts();
  out.requests = trace.size();
  out.misses = c.misses;
  out.seconds = std::chrono::duration<double>(t1 - t0).count();
  out.cpu_seconds = cpu1 - cpu0;
  if (out.enomem_retries == 0 && c.hits + c.misses != out.requests) {
    err = "pool statistics do not add up: hits " + std::to_string(c.hits) + " + misses " +
          std::to_string(c.misses) + " != requests " + std::to_string(out.requests);
    return false;
  }
  return true;
}

}  // namespace pagepool::bench
