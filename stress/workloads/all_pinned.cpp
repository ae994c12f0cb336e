// stress/workloads/all_pinned.cpp: every frame pinned, then released.
//
// One file of at least eight pages per frame, in a pool with the default
// alloc_timeout (20 ms). In rounds, all threads together:
//
//   fill     pin distinct pages (a quarter of them with the dirty flag) until
//            exactly as many pages as the cache holds are pinned (its bytes in
//            pages of the file's size: pool.hpp, "Page sizes"); a get whose region is already
//            full fails with ENOMEM, which is allowed here;
//   probe    with every frame pinned: gets of unpinned pages, a create past
//            the end and a new_page must fail with ENOMEM, each within
//            --enomem-bound-ms of wall time less the thread's run-queue wait
//            (README, "Errors": a bounded effort, never a sleep; an overrun
//            is tried again, and three in a row fail); the end of the file must not move; a get
//            of a pinned page (plain or dirty) must succeed at the same
//            address; sync must report the dirty pinned pages as incomplete;
//            trickle must write nothing and succeed; no two pins may share an
//            address and no more pages than the cache holds may be pinned;
//   release  every pinned page is checked again and put;
//   traffic  ordinary verified reads and writes (30% writes), where ENOMEM is
//            a failure again.
//
// The worst ENOMEM latency seen is reported.

#include <algorithm>
#include <barrier>
#include <cstdio>
#include <set>
#include <thread>

#include "../page_ops.hpp"

namespace pagepool::stress {

namespace {

/// Microseconds this thread has spent runnable but waiting for a CPU
/// (/proc/thread-self/schedstat, second field, in ns); 0 where the kernel
/// does not say, and the check then counts wall time alone.
std::uint64_t runqueue_wait_us() {
  std::FILE* fp = std::fopen("/proc/thread-self/schedstat", "r");
  if (fp == nullptr) return 0;
  unsigned long long on_cpu = 0, waiting = 0;
  const int got = std::fscanf(fp, "%llu %llu", &on_cpu, &waiting);
  std::fclose(fp);
  return got == 2 ? waiting / 1000 : 0;
}

std::uint64_t micros_since(clock_type::time_point t0) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - t0).count());
}

}  // namespace

workload_result run_all_pinned(run_context& ctx) {
  const config& cfg = ctx.cfg;
  const std::size_t threads = cfg.threads;
  const std::size_t frames = std::max(ctx.min_frames(), std::min(cfg.cache_pages, cfg.file_pages / 8));
  pool_options o = pool_options_for(ctx, frames);
  // The pages the cache holds: its bytes in pages of the file's size (pool.hpp,
  // "Page sizes"; with --frame-size above --page-size, more pages than frames).
  const std::size_t held = frames * o.frame_size / cfg.page_size;
  const std::size_t pages = std::max(cfg.file_pages, 8 * std::max<std::size_t>(held, 1));
  o.alloc_timeout = pool_options{}.alloc_timeout;  // the default: how fast ENOMEM comes is the point
  const auto traffic_time = std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(std::clamp(ctx.seconds / 10, 0.05, 0.5)));
  const std::uint64_t bound_us = std::uint64_t{cfg.enomem_bound_ms} * 1000;
  ctx.announce(msg() << "1 file of " << pages << " pages, " << frames << " frames, alloc_timeout "
                     << o.alloc_timeout.count() << " ms, ENOMEM bound " << cfg.enomem_bound_ms << " ms");

  workload_result r;
  auto files = make_files(ctx, 1, pages, 1);
  std::unique_ptr<pool> p = make_pool(ctx, o);
  if (!p || files.empty()) return r;
  std::vector<std::unique_ptr<file>> handles;
  handles.push_back(open_handle(ctx, *p, files[0]->path()));
  if (!handles[0]) return r;
  file& f = *handles[0];
  const data_file& df = *files[0];

  std::barrier<> bar(static_cast<std::ptrdiff_t>(threads));
  bool go_on = true;                // thread 0 writes it between two barriers
  std::vector<pgno_t> order(pages);  // this round's fill order; idem
  std::atomic<std::size_t> next{0}, pinned{0}, dirty_pins{0};
  std::vector<std::vector<std::pair<pgno_t, void*>>> pins(threads);
  std::atomic<std::uint64_t> worst_us{0}, enomem_seen{0}, slow_enomem{0}, probes{0}, rounds{0}, incomplete_syncs{0};

  // A get while every frame of the page's region is pinned: it must fail with
  // ENOMEM within the bound. A thread descheduled in the middle of its get (two
  // cores, a sanitizer, ctest -j2, a swarm beside a build) can overrun the
  // bound through no fault of the pool: the time it spent runnable but waiting
  // for a CPU (its run-queue wait, from the kernel's schedstat) is not
  // counted, and an overrun is retried: only a get that overruns three times
  // in a row fails the check; a pool that sleeps overruns every time.
  auto timed_get = [&](worker& w, pgno_t pg, get_flags flags, void** page, const char* what) {
    std::uint64_t took[3] = {};
    std::error_code ec;
    for (int attempt = 0; attempt < 3; ++attempt) {
      pgno_t n = pg;
      w.hb.at(what, pg);
      ++w.tally.ops;
      const std::uint64_t q0 = runqueue_wait_us();
      const auto t0 = clock_type::now();
      ec = f.get(&n, flags, page);
      // The time the get had, not the time the scheduler kept it waiting:
      // a sleeping pool still shows its sleep, a starved thread does not.
      const std::uint64_t wall = micros_since(t0), queued = runqueue_wait_us() - q0;
      took[attempt] = wall > queued ? wall - queued : 0;
      if (ec != std::errc::not_enough_memory) return ec;
      enomem_seen.fetch_add(1, std::memory_order_relaxed);
      std::uint64_t cur = worst_us.load(std::memory_order_relaxed);
      while (took[attempt] > cur &&
             !worst_us.compare_exchange_weak(cur, took[attempt], std::memory_order_relaxed)) {
      }
      if (took[attempt] <= bound_us) break;
      slow_enomem.fetch_add(1, std::memory_order_relaxed);
      if (attempt == 2)
        w.fail(msg() << what << " of page " << pg << " took " << took[0] / 1000.0 << ", " << took[1] / 1000.0
                     << " and " << took[2] / 1000.0 << " ms to fail with ENOMEM, three times in a row (bound "
                     << cfg.enomem_bound_ms << " ms, alloc_timeout " << o.alloc_timeout.count() << " ms)");
    }
    ++w.tally.checks;
    return ec;
  };

  // A get that must fail with ENOMEM, quickly: every frame is pinned.
  auto probe = [&](worker& w, pgno_t pg, get_flags flags, const char* what) {
    void* page = nullptr;
    probes.fetch_add(1, std::memory_order_relaxed);
    const std::error_code ec = timed_get(w, pg, flags, &page, what);
    if (ec == std::errc::not_enough_memory) return;
    ++w.tally.checks;
    w.fail(msg() << what << " of page " << pg << " with every frame pinned returned " << describe(ec)
                 << ", expected ENOMEM");
    if (!ec) (void)f.put(page);
  };

  r.total = run_team(ctx, threads, [&](worker& w) {
    auto& mine = pins[w.tid];
    for (;;) {
      w.hb.at("barrier: round");
      bar.arrive_and_wait();
      if (w.tid == 0) {
        go_on = w.time_left() && !ctx.log.failed();
        for (std::size_t i = 0; i < pages; ++i) order[i] = static_cast<pgno_t>(i);
        std::shuffle(order.begin(), order.end(), w.rng);
        next = 0;
        pinned = 0;
        dirty_pins = 0;
        if (go_on) rounds.fetch_add(1, std::memory_order_relaxed);
      }
      bar.arrive_and_wait();
      if (!go_on) break;

      // Fill: distinct pages until every frame holds a pinned one.
      while (pinned.load(std::memory_order_acquire) < held && !ctx.log.failed()) {
        const std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
        if (i >= pages) {
          w.fail(msg() << "all " << pages << " pages tried, only " << pinned.load() << " of " << held
                       << " frames pinned (does ENOMEM come while frames are free?)");
          break;
        }
        const pgno_t pg = order[i];
        const bool dirty = mine.size() % 4 == 0;
        void* page = nullptr;
        const std::error_code ec = timed_get(w, pg, dirty ? get_flags::dirty : get_flags::none, &page, "fill get");
        if (ec == std::errc::not_enough_memory) continue;  // the page's region is full
        if (ec) {
          w.fail(msg() << "fill: get of page " << pg << ": " << describe(ec));
          break;
        }
        ++w.tally.gets;
        check_held(w, page, df, pg, "fill: a page just pinned");
        mine.emplace_back(pg, page);
        if (dirty) dirty_pins.fetch_add(1, std::memory_order_relaxed);
        if (pinned.fetch_add(1, std::memory_order_acq_rel) + 1 > held)
          w.fail(msg() << "page " << pg << " pinned when all " << held << " pages the cache holds were already pinned");
      }
      w.hb.at("barrier: filled");
      bar.arrive_and_wait();

      if (!ctx.log.failed() && pinned.load() == held) {
        if (w.tid == 0) {
          std::set<void*> addrs;
          for (const auto& v : pins)
            for (const auto& pr : v) addrs.insert(pr.second);
          ++w.tally.checks;
          if (addrs.size() != held)
            w.fail(msg() << held << " pages pinned at " << addrs.size() << " distinct addresses");
          if (p->frames() != frames) w.fail(msg() << "frames() is " << p->frames() << ", expected " << frames);
        }
        // Pages never pinned this round: uncached or evictable, and no frame for them.
        for (int k = 0; k < 3; ++k) {
          const std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
          if (i < pages) probe(w, order[i], get_flags::none, "probe get");
        }
        if (w.tid == 0) {
          probe(w, static_cast<pgno_t>(pages + 1), get_flags::create, "probe create past the end");
          probe(w, 0, get_flags::new_page, "probe new_page");
        }
        // A pinned page needs no frame: a hit, at the address it has.
        const auto& other = pins[w.below(threads)];
        if (!other.empty()) {
          const auto [pg, addr] = other[w.below(other.size())];
          pgno_t n = pg;
          void* page = nullptr;
          const bool dirty = w.chance(50);
          w.hb.at("get of a pinned page", pg);
          ++w.tally.ops;
          ++w.tally.checks;
          if (auto ec = f.get(&n, dirty ? get_flags::dirty : get_flags::none, &page)) {
            w.fail(msg() << "get of pinned page " << pg << " with every frame pinned: " << describe(ec));
          } else {
            ++w.tally.gets;
            if (page != addr) w.fail(msg() << "pinned page " << pg << " at " << addr << " got again at " << page);
            ++w.tally.ops;
            if (auto e2 = f.put(page)) w.fail(msg() << "put of a second pin of page " << pg << ": " << describe(e2));
          }
        }
        if (w.tid == threads - 1) {
          w.hb.at("sync, every frame pinned");
          ++w.tally.ops;
          ++w.tally.checks;
          // dirty_pins counts the fill's dirty pins only (stable since the
          // barrier); the dirty gets of pinned pages above race with this sync.
          const std::error_code ec = p->sync();
          if (dirty_pins.load() > 0 && ec != errc::incomplete)
            w.fail(msg() << "sync with " << dirty_pins.load() << " dirty pages pinned returned " << describe(ec)
                         << ", expected incomplete");
          if (ec == errc::incomplete) incomplete_syncs.fetch_add(1, std::memory_order_relaxed);
          int written = -1;
          w.hb.at("trickle, every frame pinned");
          ++w.tally.ops;
          ++w.tally.checks;
          if (auto e2 = p->trickle(100, &written); e2 || written != 0)
            w.fail(msg() << "trickle(100) with every frame pinned returned " << describe(e2) << ", " << written
                         << " pages written (expected success and 0)");
        }
      }
      w.hb.at("barrier: probed");
      bar.arrive_and_wait();
      if (w.tid == 0) {
        pgno_t last = 0;
        ++w.tally.ops;
        ++w.tally.checks;
        if (auto ec = f.get_last_pgno(&last))
          w.fail(msg() << "get_last_pgno: " << describe(ec));
        else if (last != pages - 1)
          w.fail(msg() << "the last page is " << last << " after failed create and new_page (expected "
                       << pages - 1 << ")");
      }

      // Release, then ordinary traffic.
      for (const auto& [pg, page] : mine) {
        check_held(w, page, df, pg, "a page held pinned through the ENOMEM probes");
        w.hb.at("release", pg);
        ++w.tally.ops;
        if (auto ec = f.put(page)) w.fail(msg() << "put of pinned page " << pg << ": " << describe(ec));
      }
      mine.clear();
      const auto traffic_end = clock_type::now() + traffic_time;
      while (clock_type::now() < traffic_end && !ctx.log.failed())
        touch_page(w, f, df, static_cast<pgno_t>(w.below(pages)), 30);
    }
  });
  char buf[240];
  std::snprintf(buf, sizeof buf,
                "rounds %llu, reads %llu, writes %llu, ENOMEM %llu (probes %llu), worst ENOMEM latency %.2f ms"
                " (bound %u; %llu over it, retried), incomplete syncs %llu",
                static_cast<unsigned long long>(rounds.load()), static_cast<unsigned long long>(r.total.reads),
                static_cast<unsigned long long>(r.total.writes), static_cast<unsigned long long>(enomem_seen.load()),
                static_cast<unsigned long long>(probes.load()), static_cast<double>(worst_us.load()) / 1000.0,
                cfg.enomem_bound_ms, static_cast<unsigned long long>(slow_enomem.load()),
                static_cast<unsigned long long>(incomplete_syncs.load()));
  r.detail = buf;
  finish(ctx, p, handles, files, r.total, false);
  return r;
}

}  // namespace pagepool::stress
