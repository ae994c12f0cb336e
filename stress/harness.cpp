// stress/harness.cpp: the shared machinery of the workloads (harness.hpp).

#include "harness.hpp"

#include "chaos.hpp"
#include "testkit/crc32c_trailer.hpp"
#include "testkit/page_stamp.hpp"
#include "testkit/rng.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace pagepool::stress {

namespace {

using testkit::splitmix64;

std::uint64_t fnv1a(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return h;
}

/// How long after its deadline a team may still run before the watchdog calls
/// it a hang. Generous: the final checks of a sanitizer build are slow, and a
/// false alarm costs more than a late one.
constexpr auto hang_grace = std::chrono::seconds(60);

}  // namespace

std::string config::command_line(std::string_view workload_name, double secs) const {
  std::ostringstream os;
  os << "pagepool-stress --seed " << seed << " --workload " << workload_name << " --threads " << threads
     << " --seconds " << secs << " --cache-pages " << cache_pages << " --file-pages " << file_pages
     << " --regions " << regions << " --page-size " << page_size;
  const config d{};
  if (enomem_bound_ms != d.enomem_bound_ms) os << " --enomem-bound-ms " << enomem_bound_ms;
  if (frame_size != d.frame_size) os << " --frame-size " << frame_size;
  if (policy != d.policy) os << " --policy " << policy;
  if (policy_swaps) os << " --policy-swaps";
  if (resize) os << " --resize";
  if (bg_writer) os << " --background-writer";
  if (max_open_fd != d.max_open_fd) os << " --max-open-fd " << max_open_fd;
  if (max_write != d.max_write) os << " --max-write " << max_write;
  if (checksums) os << " --checksums";
  if (region_files) os << " --region-files";
  return os.str();
}

std::string describe(const std::error_code& ec) {
  std::ostringstream os;
  os << ec.category().name() << ":" << ec.value() << " (" << ec.message() << ")";
  return os.str();
}

void failure_log::fail(const std::string& m) {
  const std::uint64_t n = count_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n > printed) return;
  std::lock_guard<std::mutex> lock(print_mu_);
  std::fprintf(stderr, "FAIL [%s] %s\n", workload_.c_str(), m.c_str());
  if (n == printed) std::fprintf(stderr, "FAIL [%s] (further failures are counted, not printed)\n", workload_.c_str());
  std::fflush(stderr);
}

thread_tally& thread_tally::operator+=(const thread_tally& o) noexcept {
  ops += o.ops;
  checks += o.checks;
  gets += o.gets;
  reads += o.reads;
  writes += o.writes;
  in_flight += o.in_flight;
  enomem += o.enomem;
  swaps += o.swaps;
  resizes += o.resizes;
  starved += o.starved;
  return *this;
}

run_context::run_context(const config& c, std::string workload_name, double secs,
                         std::filesystem::path scratch)
    : cfg(c),
      name(std::move(workload_name)),
      seconds(secs),
      seed(splitmix64(c.seed ^ fnv1a(name))),
      dir(std::move(scratch)),
      log(name),
      start(clock_type::now()) {}

clock_type::time_point run_context::deadline() const noexcept {
  return start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds));
}

void run_context::announce(const std::string& shape) const {
  std::printf("# %s: %s; replay: %s\n", name.c_str(), shape.c_str(), cfg.command_line(name, seconds).c_str());
  std::fflush(stdout);
}

worker::worker(run_context& c, std::size_t id)
    : ctx(c), tid(id), rng(splitmix64(c.seed + 0x1000193ull * (id + 1))), hb(*c.beats[id]) {}

thread_tally run_team(run_context& ctx, std::size_t threads, const std::function<void(worker&)>& fn) {
  ctx.beats.clear();
  for (std::size_t i = 0; i < threads; ++i) ctx.beats.push_back(std::make_unique<heartbeat>());
  std::vector<thread_tally> tallies(threads);
  std::atomic<std::size_t> running{threads};
  std::vector<std::thread> team;
  team.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    team.emplace_back([&, i] {
      worker w(ctx, i);
      fn(w);
      w.hb.at("done");
      tallies[i] = w.tally;
      running.fetch_sub(1, std::memory_order_release);
    });
  }
  // The chaos thread, while the team runs (it ends when the team has).
  thread_tally chaos;
  std::thread chaos_thread;
  if (wants_chaos(ctx)) chaos_thread = std::thread([&] { chaos = run_chaos(ctx, running); });
  // The watchdog: this thread, while the team runs.
  const auto hang_at = ctx.deadline() + hang_grace;
  while (running.load(std::memory_order_acquire) != 0) {
    if (clock_type::now() > hang_at) {
      std::fprintf(stderr, "HANG [%s] the team still runs %lld s after its deadline; threads:\n",
                   ctx.name.c_str(), static_cast<long long>(hang_grace.count()));
      for (std::size_t i = 0; i < threads; ++i) {
        const std::uint64_t d = ctx.beats[i]->detail.load(std::memory_order_relaxed);
        std::fprintf(stderr, "  thread %zu: %s (file %u page %u)\n", i,
                     ctx.beats[i]->what.load(std::memory_order_relaxed),
                     static_cast<unsigned>(d >> 32), static_cast<unsigned>(d));
      }
      std::fprintf(stderr, "HANG [%s] replay: %s\n", ctx.name.c_str(),
                   ctx.cfg.command_line(ctx.name, ctx.seconds).c_str());
      std::fflush(stderr);
      std::abort();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (auto& t : team) t.join();
  if (chaos_thread.joinable()) chaos_thread.join();
  thread_tally total;
  for (const auto& t : tallies) total += t;
  total += chaos;
  return total;
}

pool_options pool_options_for(const run_context& ctx, std::size_t frames) {
  const config& cfg = ctx.cfg;
  pool_options o;
  o.cache_frames = frames;
  o.frame_size = cfg.frame_bytes();
  o.regions = cfg.regions;
  // Traffic never pins more than a fraction of the frames, so ENOMEM there is
  // a failure, whatever the machine's speed: give eviction time (a dirty
  // victim is written first, and sanitizers are slow).
  o.alloc_timeout = std::chrono::milliseconds(2000);
  if (!parse_policy(cfg.policy, o.policy)) o.policy = policy_kind::clock;  // checked at parse time
  o.max_open_fd = cfg.max_open_fd;
  o.max_write = cfg.max_write;
  if (cfg.bg_writer) {
    o.background_clean_percent = 20;
    o.background_period = std::chrono::milliseconds(10);
  }
  // Room for the chaos thread to double the pool.
  if (ctx.chaos_may_resize()) o.cache_max_bytes = 2 * frames * o.frame_size;
  if (cfg.region_files) {
    // A home of its own for every pool (a workload may hold two at once, and
    // a home takes one live pool), inside the workload's directory.
    std::string tmpl = (ctx.dir / "home-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::fprintf(stderr, "pagepool-stress: mkdtemp %s: %s\n", tmpl.c_str(), std::strerror(errno));
      std::abort();
    }
    o.home = tmpl;
    o.region_files = true;
    o.publish_period = std::chrono::milliseconds(0);
  }
  return o;
}

std::unique_ptr<pool> make_pool(run_context& ctx, const pool_options& o) {
  std::unique_ptr<pool> p;
  if (auto ec = pool::create(o, p)) {
    ctx.log.fail(msg() << "pool::create(" << o.cache_frames << " frames of " << o.frame_size << " bytes, "
                       << o.regions << " regions): " << describe(ec));
    return nullptr;
  }
  if (ctx.cfg.checksums) {
    if (auto ec = register_checksum(*p, checksum_ftype, checksum_options{})) {
      ctx.log.fail(msg() << "register_checksum: " << describe(ec));
      return nullptr;
    }
  }
  if (ctx.live == nullptr) {  // the workload's pool (the fresh pools of finish come later)
    ctx.live = p.get();
    ctx.live_frames = o.cache_frames;
    ctx.alloc_timeout = o.alloc_timeout;
  }
  return p;
}

std::unique_ptr<file> open_handle(run_context& ctx, pool& p, const std::string& path, open_flags flags) {
  std::unique_ptr<file> f = p.file_create();
  if (!f) {
    ctx.log.fail("file_create returned nullptr");
    return nullptr;
  }
  if (ctx.cfg.checksums) {
    if (auto ec = f->set_ftype(checksum_ftype)) {
      ctx.log.fail(msg() << "set_ftype: " << describe(ec));
      return nullptr;
    }
  }
  if (auto ec = f->open(path, flags, 0, ctx.cfg.page_size)) {
    ctx.log.fail(msg() << "open " << path << ": " << describe(ec));
    return nullptr;
  }
  return f;
}

std::vector<std::unique_ptr<data_file>> make_files(run_context& ctx, std::size_t count,
                                                   std::size_t pages, std::uint64_t initial) {
  std::vector<std::unique_ptr<data_file>> files;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string path = (ctx.dir / ("data" + std::to_string(i) + ".db")).string();
    auto df = std::make_unique<data_file>(path, static_cast<std::uint16_t>(i), pages, initial);
    testkit::stamp_layout layout = ctx.cfg.layout();
    layout.file_no = df->file_no();
    // Version 0: an empty file (the pages do not exist yet), not one of zeros.
    if (auto err = testkit::write_stamp_file(path, initial != 0 ? pages : 0, initial, layout); !err.empty()) {
      ctx.log.fail(err);
      return {};
    }
    files.push_back(std::move(df));
  }
  return files;
}

namespace {

/// Every page of every file, on disk, must be exactly its committed version.
void check_disk(run_context& ctx, const std::vector<std::unique_ptr<data_file>>& files, thread_tally& total) {
  const std::size_t ps = ctx.cfg.page_size;
  std::vector<std::uint64_t> buf(ps / sizeof(std::uint64_t));
  for (const auto& df : files) {
    const int fd = ::open(df->path().c_str(), O_RDONLY);
    if (fd < 0) {
      ctx.log.fail(msg() << "open " << df->path() << " to check it: " << std::strerror(errno));
      continue;
    }
    struct stat st {};
    ++total.checks;
    if (::fstat(fd, &st) != 0 || static_cast<std::uint64_t>(st.st_size) > df->pages() * ps ||
        st.st_size % static_cast<off_t>(ps) != 0)
      ctx.log.fail(msg() << df->path() << " is " << st.st_size << " bytes: expected a multiple of "
                         << ps << " up to " << df->pages() * ps);
    for (pgno_t p = 0; p < df->pages(); ++p) {
      const page_oracle& o = df->page(p);
      const std::uint64_t c = o.committed.load(std::memory_order_relaxed);
      ++total.checks;
      if (o.seq.load(std::memory_order_relaxed) != 2 * c)
        ctx.log.fail(msg() << "oracle of file " << df->file_no() << " page " << p << ": seq "
                           << o.seq.load() << ", committed " << c << " (a writer did not finish)");
      if (!testkit::pread_page(fd, p, ps, buf.data())) {
        ctx.log.fail(msg() << "pread " << df->path() << " page " << p << ": " << std::strerror(errno));
        break;
      }
      const testkit::stamp_scan s = testkit::scan_page(buf.data(), ctx.cfg.stamp_bytes(), p, df->file_no());
      if (ctx.cfg.checksums && !testkit::crc32c_trailer_ok(buf.data(), ps)) {
        ++total.checks;
        ctx.log.fail(msg() << "on disk after the final sync and close: file " << df->file_no() << " page "
                           << p << ": the CRC32C trailer does not match the page");
      }
      if (!s.is_exactly(c))
        ctx.log.fail(msg() << "on disk after the final sync and close: file " << df->file_no() << " page "
                           << p << ": expected exactly version " << c << " (the last committed), found "
                           << testkit::describe_scan(s, p, df->file_no()));
    }
    ::close(fd);
  }
}

/// Every page through a fresh pool, sequentially: pages on disk must be
/// exactly their committed version; pages past the end must not exist.
void check_fresh_pool(run_context& ctx, const std::vector<std::unique_ptr<data_file>>& files,
                      thread_tally& total, open_flags flags) {
  const std::size_t ps = ctx.cfg.page_size;
  // Smaller than the files, so that clean pages are evicted on the way.
  pool_options o = pool_options_for(ctx, std::max<std::size_t>(4 * ctx.cfg.regions, ctx.cfg.cache_pages / 2));
  std::unique_ptr<pool> p = make_pool(ctx, o);
  if (!p) return;
  const char* mode = any(flags, open_flags::rdonly) ? "read-only" : "read-write";
  for (const auto& df : files) {
    std::unique_ptr<file> f = open_handle(ctx, *p, df->path(), flags);
    if (!f) continue;
    struct stat st {};
    const std::uint64_t on_disk = ::stat(df->path().c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) / ps : 0;
    for (pgno_t pg = 0; pg < df->pages(); ++pg) {
      const std::uint64_t c = df->page(pg).committed.load(std::memory_order_relaxed);
      pgno_t n = pg;
      void* page = nullptr;
      ++total.ops;
      ++total.checks;
      const std::error_code ec = f->get(&n, get_flags::none, &page);
      if (pg >= on_disk) {
        if (ec != errc::page_not_found)
          ctx.log.fail(msg() << "fresh pool (" << mode << "): get of file " << df->file_no() << " page " << pg
                             << ", past the end of the file (" << on_disk << " pages), returned "
                             << describe(ec) << ", expected page_not_found");
        if (!ec) (void)f->put(page);
        continue;
      }
      if (ec) {
        ctx.log.fail(msg() << "fresh pool (" << mode << "): get of file " << df->file_no() << " page " << pg
                           << ": " << describe(ec));
        continue;
      }
      const testkit::stamp_scan s = testkit::scan_page(page, ctx.cfg.stamp_bytes(), pg, df->file_no());
      if (!s.is_exactly(c))
        ctx.log.fail(msg() << "fresh pool (" << mode << "): file " << df->file_no() << " page " << pg
                           << ": expected exactly version " << c << ", found " << testkit::describe_scan(s, pg, df->file_no()));
      if (auto e2 = f->put(page))
        ctx.log.fail(msg() << "fresh pool: put of page " << pg << ": " << describe(e2));
    }
    if (auto ec = f->close()) ctx.log.fail(msg() << "fresh pool: close " << df->path() << ": " << describe(ec));
  }
  if (auto ec = p->close()) ctx.log.fail(msg() << "fresh pool: close: " << describe(ec));
}

}  // namespace

void finish(run_context& ctx, std::unique_ptr<pool>& p, std::vector<std::unique_ptr<file>>& handles,
            const std::vector<std::unique_ptr<data_file>>& files, thread_tally& total,
            bool exact_get_stats) {
  ctx.live = nullptr;  // the fresh pools below are not the workload's
  if (!p) return;
  ++total.ops;
  ++total.checks;
  if (auto ec = p->sync()) ctx.log.fail(msg() << "final sync, nothing pinned: " << describe(ec));
  const pool_stats st = p->stats();
  ++total.checks;
  if (st.page_dirty != 0)
    ctx.log.fail(msg() << "after the final sync, the quiescent pool has " << st.page_dirty << " dirty pages");
  if (exact_get_stats) {
    ++total.checks;
    if (st.cache_hit + st.cache_miss != total.gets)
      ctx.log.fail(msg() << "quiescent statistics: cache_hit " << st.cache_hit << " + cache_miss "
                         << st.cache_miss << " = " << st.cache_hit + st.cache_miss << ", but "
                         << total.gets << " gets succeeded");
  }
  for (auto& h : handles) {
    if (!h) continue;
    ++total.ops;
    if (auto ec = h->close()) ctx.log.fail(msg() << "close of a handle, nothing pinned: " << describe(ec));
  }
  handles.clear();
  ++total.ops;
  if (auto ec = p->close()) ctx.log.fail(msg() << "pool close: " << describe(ec));
  p.reset();
  check_disk(ctx, files, total);
  check_fresh_pool(ctx, files, total, open_flags::none);
  check_fresh_pool(ctx, files, total, open_flags::rdonly);
}

}  // namespace pagepool::stress
