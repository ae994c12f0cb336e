// bench/region_files_bench.cpp: what a pool's memory in region files costs
// (pool_options::region_files; issue 14's targets: a resident hit at most
// 1.1x, a miss with eviction at most 1.2x the time of a private pool).
//
// Two pools of the same configuration live side by side in this process,
// one in anonymous memory (the floor: the same work, the memory the process
// would have anyway) and one in region files, and the run alternates between
// them in short slices (default 20 ms of requests each, the order of the two
// drawn at random per round), so that a shared machine's drifting speed
// falls on both alike. Each slice runs T threads at once on one pool (a
// barrier starts them). The ratio is total time per request, region files
// over private, summed over the rounds; the spread is the middle 80% of
// per-round ratios.
//
//   bench_region_files [--dir DIR] [--rounds N] [--slice-ms MS] [--threads T]
//
// Workloads (one shared handle, CLOCK, one region, 512 B pages, memory I/O):
//   hit:  65,536 pages, all resident: a get and a put of a random page
//   miss: 65,536 pages, a cache of 10% (6,553 frames): uniform random gets,
//         so about 90% miss and evict a clean page
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "pagepool/pagepool.hpp"

namespace {

using namespace pagepool;
using clock_type = std::chrono::steady_clock;

constexpr std::uint32_t kPages = 65536;
constexpr std::size_t kPageSize = 512;

struct variant {
  std::string name;
  std::unique_ptr<pool> p;
  std::unique_ptr<file> f;
  std::filesystem::path home;  // region files: the pool's home
  double ns = 0;               // time summed over the slices
  std::uint64_t requests = 0;  // requests summed over the slices
};

[[noreturn]] void die(const std::string& what, std::error_code ec = {}) {
  std::fprintf(stderr, "bench_region_files: %s%s%s\n", what.c_str(), ec ? ": " : "",
               ec ? ec.message().c_str() : "");
  std::exit(1);
}

void make(variant& v, std::size_t frames, const std::string& dir,
          const std::shared_ptr<io_backend>& io) {
  pool_options o;
  o.cache_frames = frames;
  o.frame_size = kPageSize;
  o.io = io;
  o.mmap_size = 0;
  if (!dir.empty()) {
    std::string tmpl = (std::filesystem::path(dir) / "pagepool-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) die("mkdtemp in " + dir);
    v.home = tmpl;
    o.home = tmpl;
    o.region_files = true;
    o.publish_period = std::chrono::milliseconds(0);
  }
  if (auto ec = pool::create(o, v.p)) die("pool::create " + v.name, ec);
  v.f = v.p->file_create();
  if (!v.f) die("file_create");
  // Every pool its own in-memory file of kPages zero pages (a hole).
  const std::string path = "/" + v.name;
  if (auto ec = v.f->open(path, open_flags::create, 0, kPageSize)) die("open", ec);
  for (pgno_t i = 0; i < kPages; ++i) {
    pgno_t n = i;
    void* page = nullptr;
    if (auto ec = v.f->get(&n, get_flags::create, &page)) die("get", ec);
    if (auto ec = v.f->put(page, priority::unchanged, put_flags::dirty)) die("put", ec);
  }
  if (auto ec = v.p->sync()) die("sync", ec);
}

void destroy(variant& v) {
  if (v.f) (void)v.f->close();
  v.f.reset();
  v.p.reset();
  if (!v.home.empty()) {
    (void)pool::remove(v.home.string(), false);
    std::error_code ec;
    std::filesystem::remove_all(v.home, ec);
  }
}

// One slice: T threads run gets and puts on v for about slice_ms; returns
// (requests, nanoseconds of the slowest thread).
std::pair<std::uint64_t, double> slice(variant& v, unsigned threads, int slice_ms,
                                       std::vector<std::mt19937_64>& rngs) {
  std::barrier<> start(static_cast<std::ptrdiff_t>(threads));
  std::atomic<std::uint64_t> total{0};
  std::atomic<std::int64_t> longest{0};
  auto work = [&](unsigned t) {
    auto& rng = rngs[t];
    start.arrive_and_wait();
    const auto t0 = clock_type::now();
    const auto end = t0 + std::chrono::milliseconds(slice_ms);
    std::uint64_t n = 0;
    do {
      for (int k = 0; k < 256; ++k, ++n) {
        pgno_t pg = static_cast<pgno_t>(rng() % kPages);
        void* page = nullptr;
        if (auto ec = v.f->get(&pg, get_flags::none, &page)) die("get", ec);
        if (auto ec = v.f->put(page)) die("put", ec);
      }
    } while (clock_type::now() < end);
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - t0).count();
    total.fetch_add(n, std::memory_order_relaxed);
    std::int64_t cur = longest.load(std::memory_order_relaxed);
    while (ns > cur && !longest.compare_exchange_weak(cur, ns, std::memory_order_relaxed)) {
    }
  };
  std::vector<std::thread> team;
  for (unsigned t = 1; t < threads; ++t) team.emplace_back(work, t);
  work(0);
  for (auto& th : team) th.join();
  return {total.load(), static_cast<double>(longest.load())};
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/dev/shm";
  int rounds = 200, slice_ms = 20;
  unsigned max_threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--dir") dir = argv[i + 1];
    else if (a == "--rounds") rounds = std::atoi(argv[i + 1]);
    else if (a == "--slice-ms") slice_ms = std::atoi(argv[i + 1]);
    else if (a == "--threads") max_threads = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else die("usage: bench_region_files [--dir DIR] [--rounds N] [--slice-ms MS] [--threads T]");
  }
  if (rounds < 1 || slice_ms < 1 || max_threads < 1) die("bad arguments");
  std::printf("region files in %s; %d rounds of %d ms slices per variant\n", dir.c_str(), rounds,
              slice_ms);
  std::printf("| workload | threads | private Mreq/s | region files Mreq/s | time ratio files/private | "
              "per-round ratios, 10th-90th percentile |\n|---|---:|---:|---:|---:|---|\n");
  for (const char* workload : {"hit", "miss"}) {
    const bool hit = std::string(workload) == "hit";
    const std::size_t frames = hit ? kPages : kPages / 10;
    auto io = make_memory_io();
    variant priv, files;
    priv.name = "private";
    files.name = "files";
    make(priv, frames, "", io);
    make(files, frames, dir, io);
    for (unsigned threads = 1; threads <= max_threads; ++threads) {
      std::vector<std::mt19937_64> rngs;
      for (unsigned t = 0; t < threads; ++t) rngs.emplace_back(1000 + t);
      std::mt19937 order(7);
      priv.ns = files.ns = 0;
      priv.requests = files.requests = 0;
      std::vector<double> ratios;
      for (int r = 0; r < rounds; ++r) {
        variant* a = &priv;
        variant* b = &files;
        if (order() & 1) std::swap(a, b);
        const auto ra = slice(*a, threads, slice_ms, rngs);
        const auto rb = slice(*b, threads, slice_ms, rngs);
        a->requests += ra.first;
        a->ns += ra.second;
        b->requests += rb.first;
        b->ns += rb.second;
        const auto& rp = a == &priv ? ra : rb;
        const auto& rf = a == &priv ? rb : ra;
        ratios.push_back((rf.second / static_cast<double>(rf.first)) /
                         (rp.second / static_cast<double>(rp.first)));
      }
      std::sort(ratios.begin(), ratios.end());
      const double mp = static_cast<double>(priv.requests) / priv.ns * 1e3;
      const double mf = static_cast<double>(files.requests) / files.ns * 1e3;
      std::printf("| %s | %u | %.2f | %.2f | %.3f | %.2f-%.2f |\n", workload, threads, mp, mf, mp / mf,
                  ratios[ratios.size() / 10], ratios[ratios.size() * 9 / 10]);
      std::fflush(stdout);
    }
    destroy(priv);
    destroy(files);
  }
  return 0;
}
