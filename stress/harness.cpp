// stress/harness.cpp: the shared machinery of the workloads (harness.hpp).

#include "harness.hpp"

#include "chaos.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace pagepool::stress {

namespace {

/// splitmix64: spreads a seed so that nearby seeds give unrelated streams.
std::uint64_t mix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

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
      seed(mix64(c.seed ^ fnv1a(name))),
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
    : ctx(c), tid(id), rng(mix64(c.seed + 0x1000193ull * (id + 1))), hb(*c.beats[id]) {}

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

zipf::zipf(std::size_t n, double theta, std::uint64_t seed) : cdf_(n), perm_(n) {
  double sum = 0;
  for (std::size_t r = 0; r < n; ++r) {
    sum += 1.0 / std::pow(static_cast<double>(r + 1), theta);
    cdf_[r] = sum;
  }
  for (auto& c : cdf_) c /= sum;
  for (std::size_t r = 0; r < n; ++r) perm_[r] = static_cast<pgno_t>(r);
  std::mt19937_64 rng(mix64(seed));
  std::shuffle(perm_.begin(), perm_.end(), rng);
}

pgno_t zipf::operator()(std::mt19937_64& rng) const {
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
  if (it == cdf_.end()) --it;
  return perm_[static_cast<std::size_t>(it - cdf_.begin())];
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
  const std::size_t ps = ctx.cfg.page_size;
  std::vector<std::uint64_t> buf(ps / sizeof(std::uint64_t));
  for (std::size_t i = 0; i < count; ++i) {
    const std::string path = (ctx.dir / ("data" + std::to_string(i) + ".db")).string();
    auto df = std::make_unique<data_file>(path, static_cast<std::uint16_t>(i), pages, initial);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
      ctx.log.fail(msg() << "create " << path << ": " << std::strerror(errno));
      return {};
    }
    for (std::size_t p = 0; initial != 0 && p < pages; ++p) {
      fill_buffer(buf.data(), ctx.cfg.stamp_bytes(), df->file_no(), static_cast<pgno_t>(p), initial);
      if (ctx.cfg.checksums) stamp_trailer(buf.data(), ps);
      if (::pwrite(fd, buf.data(), ps, static_cast<off_t>(p * ps)) != static_cast<ssize_t>(ps)) {
        ctx.log.fail(msg() << "pwrite " << path << " page " << p << ": " << std::strerror(errno));
        break;
      }
    }
    ::close(fd);
    files.push_back(std::move(df));
  }
  return files;
}

void stamp_trailer(std::uint64_t* words, std::size_t page_size) noexcept {
  auto* b = reinterpret_cast<unsigned char*>(words);
  const std::uint32_t crc = crc32c(b, page_size - 4);
  for (int i = 0; i < 4; ++i) b[page_size - 4 + i] = static_cast<unsigned char>(crc >> (8 * i));
}

bool trailer_ok(const std::uint64_t* words, std::size_t page_size) noexcept {
  const auto* b = reinterpret_cast<const unsigned char*>(words);
  std::uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) stored |= std::uint32_t{b[page_size - 4 + i]} << (8 * i);
  if (stored == crc32c(b, page_size - 4)) return true;
  for (std::size_t i = 0; i < page_size; ++i)
    if (b[i] != 0) return false;
  return true;  // a page of zeros (a hole) is valid
}

bool pread_page(int fd, pgno_t pgno, std::size_t page_size, std::vector<std::uint64_t>& out) {
  out.assign(page_size / sizeof(std::uint64_t), 0);
  auto* b = reinterpret_cast<char*>(out.data());
  std::size_t done = 0;
  while (done < page_size) {
    const ssize_t n = ::pread(fd, b + done, page_size - done,
                              static_cast<off_t>(pgno) * static_cast<off_t>(page_size) + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) break;  // past the end: the rest stays zero
    done += static_cast<std::size_t>(n);
  }
  return true;
}

namespace {

/// Every page of every file, on disk, must be exactly its committed version.
void check_disk(run_context& ctx, const std::vector<std::unique_ptr<data_file>>& files, thread_tally& total) {
  const std::size_t ps = ctx.cfg.page_size;
  std::vector<std::uint64_t> buf;
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
      if (!pread_page(fd, p, ps, buf)) {
        ctx.log.fail(msg() << "pread " << df->path() << " page " << p << ": " << std::strerror(errno));
        break;
      }
      const stamp_scan s = scan_buffer(buf.data(), ctx.cfg.stamp_bytes(), df->file_no(), p);
      if (ctx.cfg.checksums && !trailer_ok(buf.data(), ps)) {
        ++total.checks;
        ctx.log.fail(msg() << "on disk after the final sync and close: file " << df->file_no() << " page "
                           << p << ": the CRC32C trailer does not match the page");
      }
      if (!s.is_exactly(c))
        ctx.log.fail(msg() << "on disk after the final sync and close: file " << df->file_no() << " page "
                           << p << ": expected exactly version " << c << " (the last committed), found "
                           << describe_scan(s, *df, p));
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
      const stamp_scan s = scan_pool_page(page, ctx.cfg.stamp_bytes(), df->file_no(), pg);
      if (!s.is_exactly(c))
        ctx.log.fail(msg() << "fresh pool (" << mode << "): file " << df->file_no() << " page " << pg
                           << ": expected exactly version " << c << ", found " << describe_scan(s, *df, pg));
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
