// bench/pagepool-bench/cmd_run.cpp: `pagepool-bench run`: a synthetic
// workload (workloads.hpp) against the pool, for each policy and each thread
// count: throughput (get+put pairs per second, all threads) and hit ratio.
//
// Each thread's requests are generated before timing, into a buffer it then
// cycles through, so the generator's cost is not measured; every policy sees
// the same buffers. A run is: a warm-up of --warmup seconds (the cache
// fills), the statistics cleared, then --seconds timed, all threads together.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <latch>
#include <thread>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "plot.hpp"
#include "progress.hpp"

namespace pagepool::bench {

namespace {

constexpr std::uint32_t write_bit = 0x80000000u;

// A line of its own: each thread stores pos and done on every request, and
// two threads' states side by side in one line would make the benchmark,
// not the pool, move that line between the cores.
struct alignas(64) thread_state {
  std::vector<std::uint32_t> reqs;  // pgno | write_bit
  std::size_t pos = 0;
  std::uint64_t done = 0;
  std::uint64_t retries = 0;
  std::error_code ec;
};

/// Runs every thread on its buffer until `stop`; false if a get/put failed.
void run_thread(file& f, thread_state& st, const std::atomic<bool>& stop, std::latch& start) {
  start.arrive_and_wait();
  const std::size_t n = st.reqs.size();
  for (;;) {
    // relaxed: the flag only ends the loop; what the thread did reaches the
    // main thread through join.
    if (stop.load(std::memory_order_relaxed)) return;
    for (int k = 0; k < 256; ++k) {
      const std::uint32_t q = st.reqs[st.pos];
      if (++st.pos == n) st.pos = 0;
      const bool w = (q & write_bit) != 0;
      pgno_t pgno = q & ~write_bit;
      void* page = nullptr;
      std::error_code ec = f.get(&pgno, w ? get_flags::dirty : get_flags::none, &page);
      while (ec == std::errc::not_enough_memory && !stop.load(std::memory_order_relaxed)) {
        ++st.retries;
        std::this_thread::yield();
        pgno = q & ~write_bit;
        ec = f.get(&pgno, w ? get_flags::dirty : get_flags::none, &page);
      }
      if (ec == std::errc::not_enough_memory) return;  // stopped while waiting
      if (!ec) {
        if (w) static_cast<unsigned char*>(page)[0] ^= 1;  // the write
        ec = f.put(page, priority::unchanged, w ? put_flags::dirty : put_flags::none);
      }
      if (ec) {
        st.ec = ec;
        return;
      }
      ++st.done;
    }
  }
}

/// CPU seconds this process has used (every thread, user and system).
double process_cpu_seconds() {
  rusage ru{};
  (void)::getrusage(RUSAGE_SELF, &ru);
  const auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

const char* sharing_name(run_options::sharing s) {
  return s == run_options::sharing::shared       ? "shared"
         : s == run_options::sharing::per_thread ? "per-thread"
                                                 : "private";
}

/// The handle thread t uses: the one shared handle, its own handle, or the
/// one handle of its own pool.
file& handle_of(std::vector<std::unique_ptr<pool_rig>>& rigs, unsigned t) {
  if (rigs.size() > 1) return rigs[t]->handle(0);
  return rigs[0]->handle(rigs[0]->config().handles == 1 ? 0 : t);
}

/// The counters of every rig, summed.
rig_counts sum_counts(std::vector<std::unique_ptr<pool_rig>>& rigs, bool clear = false) {
  rig_counts s;
  for (auto& r : rigs) s += r->counts(clear);
  return s;
}

/// One phase of `seconds` with the first `threads` states; `cpu`: the CPU
/// seconds the process used meanwhile (the main thread sleeps).
bool run_phase(std::vector<std::unique_ptr<pool_rig>>& rigs, std::vector<thread_state>& states, unsigned threads,
               double seconds, double& took, double& cpu, std::string& err) {
  std::atomic<bool> stop{false};
  std::latch start(threads + 1);
  std::vector<std::thread> team;
  for (unsigned t = 0; t < threads; ++t) {
    states[t].done = 0;
    file& f = handle_of(rigs, t);
    team.emplace_back([&, t] { run_thread(f, states[t], stop, start); });
  }
  start.arrive_and_wait();
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop.store(true, std::memory_order_relaxed);  // relaxed: see run_thread
  for (auto& th : team) th.join();
  took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  cpu = process_cpu_seconds() - cpu0;
  for (unsigned t = 0; t < threads; ++t)
    if (states[t].ec) {
      err = "get/put failed: " + describe(states[t].ec);
      return false;
    }
  return true;
}

}  // namespace

int run_run_command(const run_options& o) {
  workload_spec spec = o.spec;
  std::size_t cache = o.cache_pages;
  if (cache == 0) cache = o.workload == "hit" ? spec.pages : std::max<std::size_t>(1, spec.pages / 10);
  const unsigned max_threads = *std::max_element(o.threads.begin(), o.threads.end());
  std::vector<policy_choice> policies;
  for (const auto& p : o.policies)
    if (!p.opt) policies.push_back(p);
  if (policies.size() != o.policies.size())
    std::fprintf(stderr, "pagepool-bench: run: opt is offline only; left out\n");

  std::printf("workload=%s shape=%s pages=%u cache_pages=%zu theta=%g write_share=%g regions=%u backing=%s "
              "handles=%s page_size=%zu seconds=%g warmup=%g seed=%llu memory=%s\n",
              o.workload.c_str(), std::string(shape_name(spec.kind)).c_str(), spec.pages, cache, spec.theta,
              spec.write_share, o.regions, std::string(backing_name(o.back)).c_str(),
              sharing_name(o.share), o.page_size, o.seconds,
              o.warmup_seconds, static_cast<unsigned long long>(o.seed),
              o.region_dir.empty() ? "private" : ("region-files:" + o.region_dir).c_str());
  std::fflush(stdout);

  // The request buffers: one per thread, the same for every policy.
  const workload_tables tables(spec, o.seed);
  std::size_t len = std::size_t{1} << 20;
  if (spec.kind == shape::mixed) len = std::max<std::size_t>(len, 4 * spec.phase());
  if (spec.kind == shape::shift) len = std::max<std::size_t>(len, 4 * spec.shift_period());
  len = std::min<std::size_t>(len, std::size_t{1} << 24);
  std::vector<thread_state> states(max_threads);
  for (unsigned t = 0; t < max_threads; ++t) {
    request_stream s(tables, o.seed, t);
    states[t].reqs.resize(len);
    for (auto& q : states[t].reqs) {
      const request r = s.next();
      q = r.pgno | (r.write ? write_bit : 0u);
    }
  }

  nlohmann::json j{{"command", "run"},
                   {"workload", o.workload},
                   {"shape", shape_name(spec.kind)},
                   {"pages", spec.pages},
                   {"cache_pages", cache},
                   {"theta", spec.theta},
                   {"write_share", spec.write_share},
                   {"hot_pages", spec.hot()},
                   {"hot_share", spec.hot_share},
                   {"regions", o.regions},
                   {"backing", backing_name(o.back)},
                   {"handles", sharing_name(o.share)},
                   {"page_size", o.page_size},
                   {"seconds", o.seconds},
                   {"warmup_seconds", o.warmup_seconds},
                   {"seed", o.seed},
                   {"hardware_threads", std::thread::hardware_concurrency()},
                   {"results", nlohmann::json::array()}};
  // Besides throughput, where the threads met (pool_stats, issue 12): latch
  // waits / acquisitions of the page table's buckets, the region's free list
  // and the policy latch; CAS retries on the miss path (a victim's claim lost,
  // an ageing CAS lost, a page another thread loaded first, a pin that waited
  // for a busy frame); victims per evict call (the eviction batch), frames
  // looked at per victim, and the share of hits a batched_hits policy never
  // saw (dropped by BP-Wrapper's try-lock: what LRU and ARC approximate).
  std::printf("\n| policy | threads | Mreq/s | Mreq/CPU-s | hit ratio | pages written | ENOMEM retries | bucket waits | free-list "
              "waits | policy waits | claim retries | ageing retries | load races | pin waits | victims/evict | "
              "visits/victim | hits dropped |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  std::fflush(stdout);
  std::vector<plot_series> series;
  std::string err;
  const double total_s = static_cast<double>(policies.size() * o.threads.size()) * (o.seconds + o.warmup_seconds);
  if (total_s > 3.0) std::fprintf(stderr, "pagepool-bench: run takes about %.0f s\n", total_s);
  // Progress in milliseconds of planned run time, advanced after each phase.
  progress prog("run " + o.workload, static_cast<std::uint64_t>(total_s * 1000), false);
  const auto phase_ms = [](double s) { return static_cast<std::uint64_t>(s * 1000); };
  for (const auto& p : policies) {
    plot_series ser;
    ser.name = p.name();
    for (unsigned threads : o.threads) {
      rig_config rc;
      rc.policy = p.kind;
      rc.frames = cache;
      rc.regions = o.regions;
      rc.page_size = o.page_size;
      rc.back = o.back;
      rc.pages = spec.pages;
      rc.handles = o.share == run_options::sharing::per_thread ? threads : 1;
      rc.region_dir = o.region_dir;
      // private: one pool per thread, each the whole configuration.
      std::vector<std::unique_ptr<pool_rig>> rigs(o.share == run_options::sharing::private_pool ? threads : 1);
      for (auto& rig : rigs)
        if (!pool_rig::make(rc, rig, err)) {
          std::fprintf(stderr, "pagepool-bench: %s\n", err.c_str());
          return 1;
        }
      for (unsigned t = 0; t < threads; ++t) states[t].pos = states[t].retries = 0;
      if (cache >= spec.pages) {  // everything fits: make everything resident first
        for (auto& rig : rigs)
          for (std::uint32_t pg = 0; pg < spec.pages; ++pg) {
            pgno_t pgno = pg;
            void* page = nullptr;
            std::error_code ec = rig->handle(0).get(&pgno, get_flags::none, &page);
            if (!ec) ec = rig->handle(0).put(page);
            if (ec) {
              std::fprintf(stderr, "pagepool-bench: loading page %u: %s\n", pg, describe(ec).c_str());
              return 1;
            }
          }
      }
      double took = 0, cpu = 0;
      if (o.warmup_seconds > 0 && !run_phase(rigs, states, threads, o.warmup_seconds, took, cpu, err)) {
        std::fprintf(stderr, "pagepool-bench: %s warm-up: %s\n", p.name().c_str(), err.c_str());
        return 1;
      }
      prog.advance(phase_ms(o.warmup_seconds));
      (void)sum_counts(rigs, true);
      for (unsigned t = 0; t < threads; ++t) states[t].retries = 0;
      if (!run_phase(rigs, states, threads, o.seconds, took, cpu, err)) {
        std::fprintf(stderr, "pagepool-bench: %s: %s\n", p.name().c_str(), err.c_str());
        return 1;
      }
      prog.advance(phase_ms(o.seconds));
      const rig_counts c = sum_counts(rigs);
      std::uint64_t ops = 0, retries = 0;
      for (unsigned t = 0; t < threads; ++t) ops += states[t].done, retries += states[t].retries;
      const double rate = took > 0 ? static_cast<double>(ops) / took : 0.0;
      // Per CPU-second: what the threads did with the CPU time they got; on
      // a shared machine a thread count's wall rate is bounded by the cores
      // it was given, this one by what the pool costs per request.
      const double cpu_rate = cpu > 0 ? static_cast<double>(ops) / cpu : 0.0;
      const double hit = c.hits + c.misses > 0 ? static_cast<double>(c.hits) / static_cast<double>(c.hits + c.misses)
                                               : 0.0;
      prog.print_above([&] {
        const auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
        const auto ratio = [](std::uint64_t a, std::uint64_t b) {
          return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
        };
        std::printf("| %s | %u | %.3f | %.3f | %.4f | %llu | %llu | %llu/%llu | %llu/%llu | %llu/%llu | %llu | %llu | %llu | "
                    "%llu | %.2f | %.2f | %.4f%% |\n",
                    p.name().c_str(), threads, rate / 1e6, cpu_rate / 1e6, hit, u(c.page_out), u(retries), u(c.bucket_wait),
                    u(c.bucket_latch), u(c.free_wait), u(c.free_latch), u(c.policy_wait), u(c.policy_latch),
                    u(c.claim_retries), u(c.usage_retries), u(c.load_races), u(c.pin_waits),
                    ratio(c.victims, c.evict_calls), ratio(c.visits, c.victims), 100.0 * ratio(c.hits_dropped, c.hits));
      });
      j["results"].push_back({{"policy", p.name()},
                              {"threads", threads},
                              {"requests", ops},
                              {"seconds", took},
                              {"requests_per_s", rate},
                              {"cpu_seconds", cpu},
                              {"requests_per_cpu_s", cpu_rate},
                              {"hits", c.hits},
                              {"misses", c.misses},
                              {"hit_ratio", hit},
                              {"pages_written", c.page_out},
                              {"enomem_retries", retries},
                              {"bucket_latch_waits", c.bucket_wait},
                              {"bucket_latch_acquisitions", c.bucket_latch},
                              {"free_latch_waits", c.free_wait},
                              {"free_latch_acquisitions", c.free_latch},
                              {"policy_latch_waits", c.policy_wait},
                              {"policy_latch_acquisitions", c.policy_latch},
                              {"claim_retries", c.claim_retries},
                              {"usage_retries", c.usage_retries},
                              {"load_races", c.load_races},
                              {"pin_waits", c.pin_waits},
                              {"evict_calls", c.evict_calls},
                              {"evict_victims", c.victims},
                              {"evict_visits", c.visits},
                              {"hits_dropped", c.hits_dropped}});
      ser.x.push_back(threads);
      ser.y.push_back(rate / 1e6);
    }
    series.push_back(std::move(ser));
  }
  prog.finish();
  if (!o.json.empty() && !write_json_file(o.json, j.dump(2), err)) {
    std::fprintf(stderr, "pagepool-bench: %s\n", err.c_str());
    return 1;
  }
  if (!o.plot.empty()) {
    plot_spec ps;
    ps.title = "throughput, workload " + o.workload + ": " + std::to_string(spec.pages) + " pages of " +
               std::to_string(o.page_size) + " B, cache " + std::to_string(cache) + " pages, " +
               std::to_string(o.regions) + " region(s), " +
               (o.back == backing::file ? "file" : "memory") + " backing";
    ps.xlabel = "threads";
    ps.integer_x = true;
    ps.y_from_zero = true;
    ps.ylabel = "million get+put per second";
    ps.series = std::move(series);
    bool skipped = false;
    if (!draw_plot(ps, o.plot, skipped, err)) {
      std::fprintf(stderr, "pagepool-bench: %s\n", err.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace pagepool::bench
