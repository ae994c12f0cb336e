// pagepool_demo: the pool at work on a file larger than its cache.
//
// Writes a file of --pages pages (4096 bytes each), every page stamped with its
// page number and a version, then opens it in a pool of --frames frames split
// into --regions regions and runs these phases:
//
//   a. sequential scan: every page read once and checked (cold misses, clean
//      evictions);
//   b. Zipf-skewed reads (theta 0.99) from --threads threads for --seconds
//      (hits and misses; the hit ratio); b2. the same reads without pins
//      (file::read_optimistic: validated by the frame's version); b3. the
//      eviction policies swapped on the live pool (pool::set_policy), each
//      given the same stream (Zipf reads mixed with a sequential scan), with
//      its hit ratio;
//   c. updates: threads get pages with get_flags::dirty and write a new version
//      (dirty evictions write pages back before their frames are reused),
//      while the background writer keeps half the frames clean;
//   d. sync, then every page read back with pread(2), bypassing the pool, and
//      compared with the versions the threads wrote (the oracle);
//   e. trickle: pages dirtied through page_handle::set, then written back by
//      trickle until the asked share of frames is clean;
//   f. the pool's statistics and the file's.
//
// Every page read through the pool is checked against the oracle: its stamp,
// its version and its whole body. Any failed check makes the exit status 1.
// Only the public native API is used (include/pagepool/pagepool.hpp).
//
// Synchronization (papers/design/memory-ordering.md): the counters the threads
// share (failures, ops, stop) are relaxed, except where a count is read after
// its writers were joined:
//   (J1) failures and ops read with a plain load() (seq_cst) once every thread
//        that wrote them was joined. Not an edge: std::thread::join orders the
//        threads' writes before the read, and relaxed would do as well.

#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "pagepool/pagepool.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
using pagepool::pgno_t;

constexpr std::size_t page_size = 4096;
constexpr std::size_t words_per_page = page_size / sizeof(std::uint64_t);
constexpr std::uint64_t page_magic = 0x6c6f6f7065676170;  // "pagepool", little-endian

// ---------------------------------------------------------------------------
// Options.

struct options {
  std::uint64_t pages = 16384;  // file size in pages (64 MiB)
  std::uint64_t frames = 2048;  // cache size in frames (8 MiB)
  unsigned regions = 2;
  unsigned threads = 0;  // 0: min(4, max(2, hardware threads))
  double seconds = 3.0;  // length of each timed phase
  std::uint64_t seed = 1;
  std::string dir;  // parent of the temporary directory; "" = $TMPDIR or /tmp
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: pagepool_demo [options]\n"
               "  --pages N     pages in the data file (default 16384: 64 MiB)\n"
               "  --frames N    frames in the pool (default 2048: 8 MiB)\n"
               "  --regions N   regions the frames are split into (default 2)\n"
               "  --threads N   worker threads in phases b and c (default 2..4)\n"
               "  --seconds S   length of phases b and c (default 3)\n"
               "  --seed N      seed of the random generators (default 1)\n"
               "  --dir PATH    where to make the temporary directory (default $TMPDIR or /tmp)\n"
               "  --help        this text\n");
}

bool parse_u64(const char* text, std::uint64_t& out) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-') return false;
  out = v;
  return true;
}

// Returns 0 to go on, or the exit status.
int parse_options(int argc, char** argv, options& opt) {
  enum { o_pages = 1, o_frames, o_regions, o_threads, o_seconds, o_seed, o_dir, o_help };
  static const struct option longopts[] = {
      {"pages", required_argument, nullptr, o_pages},
      {"frames", required_argument, nullptr, o_frames},
      {"regions", required_argument, nullptr, o_regions},
      {"threads", required_argument, nullptr, o_threads},
      {"seconds", required_argument, nullptr, o_seconds},
      {"seed", required_argument, nullptr, o_seed},
      {"dir", required_argument, nullptr, o_dir},
      {"help", no_argument, nullptr, o_help},
      {nullptr, 0, nullptr, 0},
  };
  int c;
  while ((c = getopt_long(argc, argv, "", longopts, nullptr)) != -1) {
    std::uint64_t v = 0;
    bool ok = true;
    switch (c) {
      case o_pages:
        ok = parse_u64(optarg, v) && v >= 1 && v <= (std::uint64_t{1} << 24);
        opt.pages = v;
        break;
      case o_frames:
        ok = parse_u64(optarg, v) && v >= 1 && v <= (std::uint64_t{1} << 22);
        opt.frames = v;
        break;
      case o_regions:
        ok = parse_u64(optarg, v) && v >= 1 && v <= 256;
        opt.regions = static_cast<unsigned>(v);
        break;
      case o_threads:
        ok = parse_u64(optarg, v) && v >= 1 && v <= 256;
        opt.threads = static_cast<unsigned>(v);
        break;
      case o_seconds: {
        char* end = nullptr;
        opt.seconds = std::strtod(optarg, &end);
        ok = end != optarg && *end == '\0' && opt.seconds > 0 && opt.seconds <= 3600;
        break;
      }
      case o_seed:
        ok = parse_u64(optarg, opt.seed);
        break;
      case o_dir:
        opt.dir = optarg;
        break;
      case o_help:
        usage(stdout);
        return -1;
      default:
        usage(stderr);
        return 2;
    }
    if (!ok) {
      std::fprintf(stderr, "pagepool_demo: bad value '%s' for --%s\n", optarg,
                   longopts[c - 1].name);
      return 2;
    }
  }
  if (optind != argc) {
    std::fprintf(stderr, "pagepool_demo: unexpected argument '%s'\n", argv[optind]);
    usage(stderr);
    return 2;
  }
  if (opt.threads == 0) {
    opt.threads = std::clamp(std::thread::hardware_concurrency(), 2u, 4u);
  }
  if (opt.frames < opt.regions) {
    std::fprintf(stderr, "pagepool_demo: --frames must be at least --regions\n");
    return 2;
  }
  return 0;
}

// ---------------------------------------------------------------------------
// Page stamps. A page with number p and version v holds, as 64-bit words:
//   [0] page_magic  [1] p  [2] v  [3..n-2] body(p, v) ^ i  [n-1] body(p, v)
// so a page read from the wrong place, a stale version or a torn write all
// show.

std::uint64_t body(std::uint64_t pgno, std::uint64_t version) {
  std::uint64_t x = pgno * 0x9e3779b97f4a7c15 ^ (version + 0x632be59bd9b4e019);
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9;
  x ^= x >> 29;
  return x;
}

void stamp_page(void* page, std::uint64_t pgno, std::uint64_t version) {
  auto* w = static_cast<std::uint64_t*>(page);
  const std::uint64_t b = body(pgno, version);
  w[0] = page_magic;
  w[1] = pgno;
  w[2] = version;
  for (std::size_t i = 3; i + 1 < words_per_page; ++i) w[i] = b ^ i;
  w[words_per_page - 1] = b;
}

// Empty if the page is page `pgno` at `version`, else what is wrong.
std::string check_page(const void* page, std::uint64_t pgno, std::uint64_t version) {
  const auto* w = static_cast<const std::uint64_t*>(page);
  char msg[160];
  if (w[0] != page_magic || w[1] != pgno) {
    std::snprintf(msg, sizeof msg, "page %" PRIu64 ": stamp says page %" PRIu64 " (magic %s)", pgno,
                  w[1], w[0] == page_magic ? "ok" : "bad");
    return msg;
  }
  if (w[2] != version) {
    std::snprintf(msg, sizeof msg, "page %" PRIu64 ": version %" PRIu64 ", expected %" PRIu64, pgno,
                  w[2], version);
    return msg;
  }
  const std::uint64_t b = body(pgno, version);
  if (w[words_per_page - 1] != b) {
    std::snprintf(msg, sizeof msg, "page %" PRIu64 ": trailer does not match", pgno);
    return msg;
  }
  for (std::size_t i = 3; i + 1 < words_per_page; ++i) {
    if (w[i] != (b ^ i)) {
      std::snprintf(msg, sizeof msg, "page %" PRIu64 ": body word %zu is wrong", pgno, i);
      return msg;
    }
  }
  return {};
}

// ---------------------------------------------------------------------------
// Failures: counted, the first few printed.

std::atomic<std::uint64_t> g_failures{0};
std::mutex g_print_mutex;

void fail(const std::string& what) {
  const std::uint64_t n = g_failures.fetch_add(1, std::memory_order_relaxed);
  if (n < 10) {
    std::lock_guard lock(g_print_mutex);
    std::fprintf(stderr, "  CHECK FAILED: %s\n", what.c_str());
  } else if (n == 10) {
    std::lock_guard lock(g_print_mutex);
    std::fprintf(stderr, "  (further failures counted, not printed)\n");
  }
}

void fail_ec(const char* what, std::uint64_t pgno, std::error_code ec) {
  fail(std::string(what) + " page " + std::to_string(pgno) + ": " + ec.message());
}

void check(bool ok, const std::string& what) {
  if (!ok) fail(what);
}

// ---------------------------------------------------------------------------
// Zipf-distributed ranks in [0, n) with skew theta (Gray et al., "Quickly
// generating billion-record synthetic databases", SIGMOD 1994); rank 0 is the
// most frequent.

class zipf_generator {
 public:
  zipf_generator(std::uint64_t n, double theta) : n_(n), theta_(theta) {
    double zetan = 0;
    for (std::uint64_t i = 1; i <= n; ++i) zetan += 1.0 / std::pow(static_cast<double>(i), theta);
    const double zeta2 = 1.0 + 1.0 / std::pow(2.0, theta);
    zetan_ = zetan;
    alpha_ = 1.0 / (1.0 - theta);
    eta_ = (1.0 - std::pow(2.0 / static_cast<double>(n), 1.0 - theta)) / (1.0 - zeta2 / zetan);
  }

  template <typename Rng>
  std::uint64_t operator()(Rng& rng) const {
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    const double uz = u * zetan_;
    if (uz < 1.0) return 0;
    if (uz < 1.0 + std::pow(0.5, theta_)) return std::min<std::uint64_t>(1, n_ - 1);
    const auto r = static_cast<std::uint64_t>(static_cast<double>(n_) *
                                              std::pow(eta_ * u - eta_ + 1.0, alpha_));
    return std::min(r, n_ - 1);
  }

 private:
  std::uint64_t n_;
  double theta_;
  double zetan_ = 0;
  double alpha_ = 0;
  double eta_ = 0;
};

// ---------------------------------------------------------------------------
// Statistics between two snapshots.

struct counters {
  std::uint64_t hit = 0, miss = 0, page_in = 0, page_out = 0, ro_evict = 0, rw_evict = 0,
                page_create = 0, page_trickle = 0, hash_searches = 0, io_wait = 0;

  static counters of(const pagepool::pool_stats& s) {
    return {s.cache_hit, s.cache_miss,  s.page_in,      s.page_out,      s.ro_evict,
            s.rw_evict,  s.page_create, s.page_trickle, s.hash_searches, s.io_wait};
  }
  counters operator-(const counters& o) const {
    return {hit - o.hit,
            miss - o.miss,
            page_in - o.page_in,
            page_out - o.page_out,
            ro_evict - o.ro_evict,
            rw_evict - o.rw_evict,
            page_create - o.page_create,
            page_trickle - o.page_trickle,
            hash_searches - o.hash_searches,
            io_wait - o.io_wait};
  }
};

double ratio(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

void print_delta(const counters& d) {
  std::printf("    hits %" PRIu64 ", misses %" PRIu64 " (hit ratio %.1f%%), page_in %" PRIu64
              ", page_out %" PRIu64 ", ro_evict %" PRIu64 ", rw_evict %" PRIu64 "\n",
              d.hit, d.miss, ratio(d.hit, d.hit + d.miss), d.page_in, d.page_out, d.ro_evict,
              d.rw_evict);
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Runs `body(thread_index, stop)` on n threads for `seconds`, printing a
// progress line every second from the pool's (approximate, live) counters.
template <typename Body>
void run_timed(pagepool::pool& pool, unsigned n, double seconds,
               const std::atomic<std::uint64_t>& ops, Body body_fn) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> team;
  team.reserve(n);
  const auto t0 = clock_type::now();
  const counters base = counters::of(pool.stats());
  for (unsigned t = 0; t < n; ++t) team.emplace_back([&, t] { body_fn(t, stop); });
  double next = 1.0;
  while (true) {
    const double left = seconds - seconds_since(t0);
    if (left <= 0) break;
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(left, 0.05)));
    if (seconds_since(t0) >= next && next < seconds) {
      const counters d = counters::of(pool.stats()) - base;
      std::lock_guard lock(g_print_mutex);
      std::printf("    [%4.1fs] %10" PRIu64 " ops, hit ratio %5.1f%%, rw_evict %" PRIu64 "\n",
                  seconds_since(t0), ops.load(std::memory_order_relaxed),
                  ratio(d.hit, d.hit + d.miss), d.rw_evict);
      std::fflush(stdout);
      next += 1.0;
    }
  }
  stop.store(true, std::memory_order_relaxed);
  for (auto& th : team) th.join();
}

// ---------------------------------------------------------------------------
// The demonstration.

class demo {
 public:
  explicit demo(const options& opt) : opt_(opt), oracle_(opt.pages, 0) {}
  ~demo() { cleanup(); }

  int run() {
    if (!make_file()) return 1;
    if (!open_pool()) return 1;
    std::uint64_t gets = 0;
    gets += phase_scan();
    gets += phase_zipf_reads();
    gets += phase_optimistic_reads();
    gets += phase_policies();
    gets += phase_updates();
    phase_sync_and_verify("d. sync, then every page read back with pread(2)");
    gets += phase_trickle();
    phase_sync_and_verify("   final sync, every page read back with pread(2) once more");
    phase_stats(gets);
    if (auto ec = file_->close()) fail("file close: " + ec.message());
    file_.reset();
    if (auto ec = pool_->close()) fail("pool close: " + ec.message());
    pool_.reset();

    const std::uint64_t failures = g_failures.load();  // (J1): after every join
    if (failures != 0) {
      std::printf("\nFAILED: %" PRIu64 " check(s) failed\n", failures);
      return 1;
    }
    std::printf("\nOK: every page read matched its oracle version; all checks passed\n");
    return 0;
  }

 private:
  // Writes the data file directly (not through the pool): page p, version 0.
  bool make_file() {
    const std::string parent = !opt_.dir.empty()       ? opt_.dir
                               : std::getenv("TMPDIR") ? std::getenv("TMPDIR")
                                                       : "/tmp";
    std::string tmpl = parent + "/pagepool_demo.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::fprintf(stderr, "pagepool_demo: mkdtemp in %s: %s\n", parent.c_str(),
                   std::strerror(errno));
      return false;
    }
    dir_ = tmpl;
    path_ = dir_ + "/data.db";
    const auto t0 = clock_type::now();
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      std::fprintf(stderr, "pagepool_demo: create %s: %s\n", path_.c_str(), std::strerror(errno));
      return false;
    }
    constexpr std::uint64_t batch = 256;
    std::vector<std::uint64_t> buf(batch * words_per_page);
    for (std::uint64_t first = 0; first < opt_.pages; first += batch) {
      const std::uint64_t count = std::min(batch, opt_.pages - first);
      for (std::uint64_t i = 0; i < count; ++i) stamp_page(&buf[i * words_per_page], first + i, 0);
      const auto bytes = static_cast<std::size_t>(count * page_size);
      const ssize_t n = ::pwrite(fd, buf.data(), bytes, static_cast<off_t>(first * page_size));
      if (n != static_cast<ssize_t>(bytes)) {
        std::fprintf(stderr, "pagepool_demo: write %s: %s\n", path_.c_str(),
                     n < 0 ? std::strerror(errno) : "short write");
        ::close(fd);
        return false;
      }
    }
    ::close(fd);
    std::printf("data file   %s: %" PRIu64 " pages x %zu bytes = %.1f MiB, written in %.2f s\n",
                path_.c_str(), opt_.pages, page_size,
                static_cast<double>(opt_.pages * page_size) / (1 << 20), seconds_since(t0));
    return true;
  }

  bool open_pool() {
    pagepool::pool_options po;
    po.cache_frames = opt_.frames;
    po.frame_size = page_size;
    po.regions = opt_.regions;
    if (auto ec = pagepool::pool::create(po, pool_)) {
      std::fprintf(stderr, "pagepool_demo: pool::create: %s\n", ec.message().c_str());
      return false;
    }
    file_ = pool_->file_create();
    if (!file_) {
      std::fprintf(stderr, "pagepool_demo: file_create returned no handle\n");
      return false;
    }
    if (auto ec = file_->open(path_, pagepool::open_flags::none, 0, page_size)) {
      std::fprintf(stderr, "pagepool_demo: open %s: %s\n", path_.c_str(), ec.message().c_str());
      return false;
    }
    std::printf(
        "pool        %zu frames x %zu bytes = %.1f MiB in %u regions; the file is %.1fx "
        "the cache\n",
        pool_->frames(), pool_->frame_size(),
        static_cast<double>(pool_->frames() * pool_->frame_size()) / (1 << 20), pool_->regions(),
        static_cast<double>(opt_.pages) / static_cast<double>(pool_->frames()));
    std::printf("workers     %u threads, %.1f s per timed phase, seed %" PRIu64 "\n\n",
                opt_.threads, opt_.seconds, opt_.seed);
    check(pool_->frames() == opt_.frames, "pool has the number of frames asked for");
    return true;
  }

  // Gets page pgno (read-only), checks it against the oracle, puts it.
  void read_and_check(pgno_t pgno) {
    pagepool::page_handle h;
    pgno_t p = pgno;
    if (auto ec = file_->get(p, pagepool::get_flags::none, h)) {
      fail_ec("get", pgno, ec);
      return;
    }
    if (auto err = check_page(h.data(), pgno, oracle_[pgno]); !err.empty()) fail(err);
    if (auto ec = h.release()) fail_ec("put", pgno, ec);
  }

  // a. Every page once, in order: a cold cache, so every get misses and, once
  // the frames are full, every miss evicts a clean page.
  std::uint64_t phase_scan() {
    std::printf("a. sequential scan of all %" PRIu64 " pages, each checked\n", opt_.pages);
    const counters before = counters::of(pool_->stats());
    const auto t0 = clock_type::now();
    const std::uint64_t step = std::max<std::uint64_t>(1, opt_.pages / 4);
    for (std::uint64_t p = 0; p < opt_.pages; ++p) {
      read_and_check(static_cast<pgno_t>(p));
      if ((p + 1) % step == 0 && p + 1 < opt_.pages) {
        std::printf("    %" PRIu64 " / %" PRIu64 " pages\n", p + 1, opt_.pages);
        std::fflush(stdout);
      }
    }
    const counters d = counters::of(pool_->stats()) - before;
    std::printf("    %" PRIu64 " pages in %.2f s\n", opt_.pages, seconds_since(t0));
    print_delta(d);
    check(d.miss == opt_.pages, "scan of a cold cache: every get is a miss");
    check(d.page_in == opt_.pages, "scan of a cold cache: every page is read once");
    check(d.rw_evict == 0, "scan: no dirty evictions (nothing was modified)");
    std::printf("\n");
    return opt_.pages;
  }

  // b. Skewed reads from several threads: the hot pages stay cached.
  std::uint64_t phase_zipf_reads() {
    std::printf("b. Zipf reads (theta 0.99), %u threads, %.1f s\n", opt_.threads, opt_.seconds);
    const zipf_generator zipf(opt_.pages, 0.99);
    std::atomic<std::uint64_t> ops{0};
    const counters before = counters::of(pool_->stats());
    const auto t0 = clock_type::now();
    run_timed(*pool_, opt_.threads, opt_.seconds, ops,
              [&](unsigned t, const std::atomic<bool>& stop) {
                std::mt19937_64 rng(opt_.seed * 1000 + 100 + t);
                std::uint64_t n = 0;
                while (!stop.load(std::memory_order_relaxed)) {
                  read_and_check(static_cast<pgno_t>(zipf(rng)));
                  ++n;
                  if ((n & 255) == 0) ops.fetch_add(256, std::memory_order_relaxed);
                }
                ops.fetch_add(n & 255, std::memory_order_relaxed);
              });
    const double secs = seconds_since(t0);
    const counters d = counters::of(pool_->stats()) - before;
    const std::uint64_t total = ops.load();  // (J1): run_timed joined the threads
    std::printf("    %" PRIu64 " gets in %.2f s (%.0f gets/s)\n", total, secs,
                static_cast<double>(total) / secs);
    print_delta(d);
    check(d.hit + d.miss == total, "Zipf reads: hits + misses == gets");
    check(d.rw_evict == 0, "Zipf reads: no dirty evictions (nothing was modified)");
    std::printf("\n");
    return total;
  }

  // b3. Every eviction policy on the live pool: set_policy swaps it (the
  // resident pages stay), then one thread replays one fixed stream, the same
  // for every policy: Zipf reads (theta 0.99) with every fourth request taken
  // from a sequential scan of the whole file, which a scan-resistant policy
  // keeps from flushing the hot pages. Every page is checked as elsewhere.
  // Returns the gets made.
  std::uint64_t phase_policies() {
    using pagepool::policy_kind;
    const std::uint64_t per_policy = std::min<std::uint64_t>(200000, opt_.pages * 16);
    std::printf("b3. eviction policies, swapped on the live pool: %" PRIu64
                " requests each (Zipf 0.99 reads, every 4th a sequential scan), 1 thread\n",
                per_policy);
    std::printf("    %-8s %10s %10s %11s %12s\n", "policy", "hits", "misses", "hit ratio",
                "gets/s");
    const zipf_generator zipf(opt_.pages, 0.99);
    std::uint64_t total = 0;
    for (policy_kind k : {policy_kind::lru, policy_kind::fifo, policy_kind::sieve,
                          policy_kind::s3fifo, policy_kind::arc, policy_kind::clock}) {
      if (auto ec = pool_->set_policy(k)) {
        fail("set_policy(" + std::string(pagepool::policy_name(k)) + "): " + ec.message());
        return total;
      }
      check(pool_->policy() == k, "set_policy: the policy in force is the one set");
      std::mt19937_64 rng(opt_.seed * 1000 + 300);  // the same stream for every policy
      std::uint64_t scan = 0;
      const counters before = counters::of(pool_->stats());
      const auto t0 = clock_type::now();
      for (std::uint64_t i = 0; i < per_policy; ++i) {
        const std::uint64_t p = (i % 4 == 3) ? scan++ % opt_.pages : zipf(rng);
        read_and_check(static_cast<pgno_t>(p));
      }
      const double secs = seconds_since(t0);
      const counters d = counters::of(pool_->stats()) - before;
      std::printf("    %-8s %10" PRIu64 " %10" PRIu64 " %10.1f%% %12.0f\n",
                  std::string(pagepool::policy_name(k)).c_str(), d.hit, d.miss,
                  ratio(d.hit, d.hit + d.miss), static_cast<double>(per_policy) / secs);
      check(d.hit + d.miss == per_policy, "policies: hits + misses == gets");
      total += per_policy;
    }
    std::printf("\n");
    return total;
  }

  // b2. The same reads without pins: file::read_optimistic runs the check on
  // the page and keeps its verdict only if the frame's version did not move
  // meanwhile (a page evicted under the read is read again; one that is not
  // resident is read in and pinned first, by one get). Returns those gets.
  std::uint64_t phase_optimistic_reads() {
    std::printf("b2. the same Zipf reads, optimistic (file::read_optimistic: no pin), %u threads, "
                "%.1f s\n",
                opt_.threads, opt_.seconds);
    const zipf_generator zipf(opt_.pages, 0.99);
    std::atomic<std::uint64_t> ops{0};
    const pagepool::pool_stats s0 = pool_->stats();
    const auto t0 = clock_type::now();
    run_timed(*pool_, opt_.threads, opt_.seconds, ops,
              [&](unsigned t, const std::atomic<bool>& stop) {
                std::mt19937_64 rng(opt_.seed * 1000 + 150 + t);
                std::uint64_t n = 0;
                std::string verdict;
                while (!stop.load(std::memory_order_relaxed)) {
                  const auto pgno = static_cast<pgno_t>(zipf(rng));
                  auto ec = file_->read_optimistic(pgno, [&](const std::byte* page) {
                    verdict = check_page(page, pgno, oracle_[pgno]);
                  });
                  if (ec) fail_ec("read_optimistic", pgno, ec);
                  else if (!verdict.empty()) fail(verdict);
                  ++n;
                  if ((n & 255) == 0) ops.fetch_add(256, std::memory_order_relaxed);
                }
                ops.fetch_add(n & 255, std::memory_order_relaxed);
              });
    const double secs = seconds_since(t0);
    const pagepool::pool_stats s1 = pool_->stats();
    const std::uint64_t total = ops.load();  // (J1): run_timed joined the threads
    const std::uint64_t tries = s1.optimistic_reads - s0.optimistic_reads;
    const std::uint64_t failed = s1.optimistic_failures - s0.optimistic_failures;
    // The gets read_optimistic made for pages that were not resident: a miss,
    // or a hit when another thread read the page in meanwhile.
    const std::uint64_t pinned = (s1.cache_hit - s0.cache_hit) + (s1.cache_miss - s0.cache_miss);
    std::printf("    %" PRIu64 " reads in %.2f s (%.0f reads/s): %" PRIu64
                " optimistic attempts, %" PRIu64 " invalidated by an eviction and retried, %" PRIu64
                " pages not resident, read in and pinned first (%" PRIu64 " misses)\n",
                total, secs, static_cast<double>(total) / secs, tries, failed, pinned,
                s1.cache_miss - s0.cache_miss);
    check(tries - failed == total, "optimistic reads: one validated attempt per read");
    check(pinned <= total, "optimistic reads: at most one get per read");
    check(s1.page_in - s0.page_in == s1.cache_miss - s0.cache_miss,
          "optimistic reads: every miss read its page");
    check(s1.rw_evict == s0.rw_evict, "optimistic reads: no dirty evictions");
    std::printf("\n");
    return pinned;
  }

  // c. Updates. Thread t owns the pages whose number is t modulo the thread
  // count, so that no two threads write one page (a pin does not latch page
  // contents) and oracle_[p] has one writer. Each update checks that the page
  // still holds the version last written, evicted and read back or not.
  std::uint64_t phase_updates() {
    std::printf("c. updates (get dirty, check, write version + 1, put), %u threads, %.1f s\n",
                opt_.threads, opt_.seconds);
    const zipf_generator zipf(opt_.pages, 0.99);
    const std::uint64_t nthreads = opt_.threads;
    std::atomic<std::uint64_t> ops{0};
    // The background writer keeps half the frames clean meanwhile, so that
    // fewer gets have to write a dirty victim themselves.
    if (auto ec = pool_->start_background_writer(50, std::chrono::milliseconds(10)))
      fail_ec("start_background_writer", 0, ec);
    const std::uint64_t bg0 = pool_->stats().background_writes;
    const counters before = counters::of(pool_->stats());
    const auto t0 = clock_type::now();
    run_timed(*pool_, opt_.threads, opt_.seconds, ops,
              [&](unsigned t, const std::atomic<bool>& stop) {
                std::mt19937_64 rng(opt_.seed * 1000 + 200 + t);
                std::uniform_int_distribution<std::uint64_t> uniform(0, opt_.pages - 1);
                std::uint64_t n = 0;
                while (!stop.load(std::memory_order_relaxed)) {
                  // Half skewed, half uniform: hot pages are rewritten in the
                  // cache, cold ones are dirtied and pushed out by the others.
                  std::uint64_t p = (n & 1) ? uniform(rng) : zipf(rng);
                  p = p - p % nthreads + t;
                  if (p >= opt_.pages) {
                    if (opt_.pages <= t) break;  // this thread owns no page
                    p = t;
                  }
                  update(static_cast<pgno_t>(p));
                  ++n;
                  if ((n & 255) == 0) ops.fetch_add(256, std::memory_order_relaxed);
                }
                ops.fetch_add(n & 255, std::memory_order_relaxed);
              });
    const double secs = seconds_since(t0);
    pool_->stop_background_writer();
    const counters d = counters::of(pool_->stats()) - before;
    const std::uint64_t bg = pool_->stats().background_writes - bg0;
    const std::uint64_t total = ops.load();  // (J1): run_timed joined the threads
    std::uint64_t touched = 0;
    for (const std::uint64_t v : oracle_) touched += v != 0;
    std::printf("    %" PRIu64 " updates of %" PRIu64 " distinct pages in %.2f s (%.0f/s)\n", total,
                touched, secs, static_cast<double>(total) / secs);
    print_delta(d);
    std::printf("    background writer: %" PRIu64 " pages written; gets wrote %" PRIu64
                " dirty victims themselves\n",
                bg, d.rw_evict);
    check(d.hit + d.miss == total, "updates: hits + misses == gets");
    check(d.page_out >= d.rw_evict + bg, "updates: every dirty eviction and background write wrote its page");
    std::printf("\n");
    return total;
  }

  void update(pgno_t pgno) {
    pagepool::page_handle h;
    pgno_t p = pgno;
    if (auto ec = file_->get(p, pagepool::get_flags::dirty, h)) {
      fail_ec("get dirty", pgno, ec);
      return;
    }
    if (auto err = check_page(h.data(), pgno, oracle_[pgno]); !err.empty()) fail(err);
    stamp_page(h.data(), pgno, oracle_[pgno] + 1);
    ++oracle_[pgno];
    if (auto ec = h.release(pagepool::priority::unchanged, pagepool::put_flags::dirty)) {
      fail_ec("put dirty", pgno, ec);
    }
  }

  // d. (and after e.) sync, then the file as the kernel has it, read with
  // pread(2), must hold every page at its last version.
  void phase_sync_and_verify(const char* title) {
    std::printf("%s\n", title);
    const counters before = counters::of(pool_->stats());
    const auto t0 = clock_type::now();
    if (auto ec = pool_->sync()) fail("pool sync: " + ec.message());
    const double sync_secs = seconds_since(t0);
    const pagepool::pool_stats after = pool_->stats();
    const counters d = counters::of(after) - before;
    std::printf("    sync wrote %" PRIu64 " pages in %.2f s; dirty pages left: %u\n", d.page_out,
                sync_secs, after.page_dirty);
    check(after.page_dirty == 0, "after sync with nothing pinned, no page is dirty");

    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      fail("open for verification: " + std::string(std::strerror(errno)));
      return;
    }
    std::vector<std::uint64_t> buf(words_per_page);
    std::uint64_t updated = 0;
    std::uint64_t bad = 0;
    for (std::uint64_t p = 0; p < opt_.pages; ++p) {
      const ssize_t n = ::pread(fd, buf.data(), page_size, static_cast<off_t>(p * page_size));
      if (n != static_cast<ssize_t>(page_size)) {
        fail("pread page " + std::to_string(p) + ": " + (n < 0 ? std::strerror(errno) : "short"));
        ++bad;
        continue;
      }
      if (auto err = check_page(buf.data(), p, oracle_[p]); !err.empty()) {
        fail("on disk, " + err);
        ++bad;
      }
      updated += oracle_[p] != 0;
    }
    ::close(fd);
    std::printf("    %" PRIu64 " pages read back, %" PRIu64 " of them updated: %" PRIu64
                " wrong\n\n",
                opt_.pages, updated, bad);
  }

  // e. Dirty a share of the cache through page_handle::set, then ask trickle
  // to make 75% of the frames clean.
  std::uint64_t phase_trickle() {
    constexpr int percent = 75;
    const std::uint64_t want_dirty = std::min<std::uint64_t>(opt_.frames / 2, opt_.pages);
    std::printf("e. trickle: %" PRIu64
                " pages dirtied through page_handle::set, then trickle(%d)\n",
                want_dirty, percent);
    std::uint64_t gets = 0;
    for (std::uint64_t p = 0; p < want_dirty; ++p) {
      const auto pgno = static_cast<pgno_t>(p);
      pagepool::page_handle h;
      pgno_t q = pgno;
      ++gets;
      if (auto ec = file_->get(q, pagepool::get_flags::none, h)) {
        fail_ec("get", pgno, ec);
        continue;
      }
      if (auto err = check_page(h.data(), pgno, oracle_[pgno]); !err.empty()) fail(err);
      if (auto ec = h.set(pagepool::put_flags::dirty)) {
        fail_ec("set dirty", pgno, ec);
        continue;
      }
      stamp_page(h.data(), pgno, oracle_[pgno] + 1);
      ++oracle_[pgno];
      if (auto ec = h.release()) fail_ec("put", pgno, ec);
    }
    const pagepool::pool_stats before = pool_->stats();
    int written = 0;
    const auto t0 = clock_type::now();
    if (auto ec = pool_->trickle(percent, &written)) fail("trickle: " + ec.message());
    const double secs = seconds_since(t0);
    const pagepool::pool_stats after = pool_->stats();
    std::printf(
        "    dirty pages before %u, trickle wrote %d in %.3f s, dirty pages after %u "
        "(%.1f%% of the frames clean)\n",
        before.page_dirty, written, secs, after.page_dirty,
        100.0 - ratio(after.page_dirty, after.frames));
    check(before.page_dirty > 0, "pages dirtied through set() show as dirty");
    check(after.page_dirty * 100 <= after.frames * (100 - percent),
          "after trickle(75), at most 25% of the frames are dirty");
    check(after.page_trickle - before.page_trickle == static_cast<std::uint64_t>(written),
          "page_trickle counts the pages trickle wrote");
    std::printf("\n");
    return gets;
  }

  // f. The statistics, exact now that no thread is working.
  void phase_stats(std::uint64_t gets) {
    const pagepool::pool_stats s = pool_->stats();
    std::printf("f. statistics (the pool is quiescent, so they are exact)\n\n");
    std::printf("    %-22s %14s\n", "pool", "value");
    std::printf("    %-22s %14s\n", "----------------------", "--------------");
    const auto row = [](const char* name, std::uint64_t v) {
      std::printf("    %-22s %14" PRIu64 "\n", name, v);
    };
    row("gets (demo count)", gets);
    row("cache_hit", s.cache_hit);
    row("cache_miss", s.cache_miss);
    std::printf("    %-22s %13.2f%%\n", "hit ratio",
                ratio(s.cache_hit, s.cache_hit + s.cache_miss));
    row("page_in", s.page_in);
    row("page_out", s.page_out);
    row("ro_evict", s.ro_evict);
    row("rw_evict", s.rw_evict);
    row("page_create", s.page_create);
    row("page_trickle", s.page_trickle);
    row("hash_searches", s.hash_searches);
    row("io_wait", s.io_wait);
    row("pages (resident)", s.pages);
    row("page_dirty", s.page_dirty);
    row("frames", s.frames);
    row("regions (ncache)", s.ncache);

    std::printf("\n    %-28s %8s %12s %12s %10s %10s %8s\n", "file", "pagesize", "cache_hit",
                "cache_miss", "page_in", "page_out", "create");
    for (const pagepool::file_stats& f : pool_->file_statistics()) {
      std::string name = f.file_name.empty() ? std::string("(temporary)") : f.file_name;
      if (name.size() > 28) name = "..." + name.substr(name.size() - 25);
      std::printf("    %-28s %8u %12" PRIu64 " %12" PRIu64 " %10" PRIu64 " %10" PRIu64 " %8" PRIu64
                  "\n",
                  name.c_str(), f.pagesize, f.cache_hit, f.cache_miss, f.page_in, f.page_out,
                  f.page_create);
    }

    check(s.cache_hit + s.cache_miss == gets, "hits + misses == the gets the demo made");
    check(s.page_create == 0, "no page was created (every page existed)");
    check(s.page_dirty == 0, "nothing dirty after the final sync");
    check(s.pages <= s.frames, "resident pages never exceed the frames");
    check(s.ro_evict + s.rw_evict + s.pages == s.page_in + s.page_create,
          "every page read in is still resident or was evicted, exactly once");
  }

  void cleanup() {
    file_.reset();
    pool_.reset();
    if (!path_.empty()) ::unlink(path_.c_str());
    if (!dir_.empty()) ::rmdir(dir_.c_str());
    path_.clear();
    dir_.clear();
  }

  options opt_;
  std::vector<std::uint64_t> oracle_;  // last version written to each page
  std::string dir_;
  std::string path_;
  std::unique_ptr<pagepool::pool> pool_;
  std::unique_ptr<pagepool::file> file_;
};

}  // namespace

int main(int argc, char** argv) {
  options opt;
  if (const int rc = parse_options(argc, argv, opt); rc != 0) return rc < 0 ? 0 : rc;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("pagepool %d.%d.%d demonstration\n\n", pagepool::version_major,
              pagepool::version_minor, pagepool::version_patch);
  demo d(opt);
  return d.run();
}
