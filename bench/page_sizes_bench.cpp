// bench/page_sizes_bench.cpp: how much a pool of 64 MiB caches, whatever the
// mix of page sizes (pool.hpp, "Page sizes"), and what a get+put costs in
// each mix.
//
//   build/bench/bench_page_sizes [--mib N] [--seconds S]
//
// For each mix, files of those page sizes (memory backing, so that no disk
// time hides the pool's) get equal shares of the requests: first every page
// of files twice the cache's size is written once, then pages are read at
// random (uniform over the files' pages) for S seconds. The table gives the
// bytes of pages the pool holds against its size (page_bytes / cache_bytes,
// which the budget keeps at or below 1), the pages of each size, their
// metadata (24-byte frame headers and the page table's buckets, at 8 bytes
// each), and the get+put rate of the random phase with its miss ratio. A
// speed is never asserted anywhere: this prints, a reader compares.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "pagepool/file.hpp"
#include "pagepool/io.hpp"
#include "pagepool/pool.hpp"

namespace {

using namespace pagepool;

struct mix {
  const char* name;
  std::vector<std::size_t> sizes;
};

int run_mix(const mix& m, std::size_t mib, double seconds) {
  pool_options o;
  o.cache_bytes = mib << 20;
  o.io = make_memory_io();
  std::unique_ptr<pool> p;
  if (auto ec = pool::create(o, p)) {
    std::fprintf(stderr, "pool::create: %s\n", ec.message().c_str());
    return 1;
  }
  std::vector<std::unique_ptr<file>> files;
  std::vector<pgno_t> npages;
  for (std::size_t ps : m.sizes) {
    auto f = p->file_create();
    const std::string path = "/mem/f" + std::to_string(ps);
    if (!f || f->open(path, open_flags::create, 0, ps)) {
      std::fprintf(stderr, "open %s failed\n", path.c_str());
      return 1;
    }
    files.push_back(std::move(f));
    // Each file: twice the cache divided evenly between the files, in bytes.
    npages.push_back(static_cast<pgno_t>((2 * o.cache_bytes / m.sizes.size()) / ps));
  }
  // Written once, round-robin across the files.
  pgno_t most = 0;
  for (pgno_t n : npages) most = std::max(most, n);
  for (pgno_t i = 0; i < most; ++i)
    for (std::size_t k = 0; k < files.size(); ++k) {
      if (i >= npages[k]) continue;
      pgno_t n = i;
      void* pg = nullptr;
      if (files[k]->get(&n, get_flags::create, &pg)) return 1;
      std::memset(pg, static_cast<int>(i), m.sizes[k]);
      if (files[k]->put(pg, priority::unchanged, put_flags::dirty)) return 1;
    }
  const pool_stats before = p->stats();
  std::mt19937_64 rng(7);
  std::uint64_t ops = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const auto end = t0 + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    for (int j = 0; j < 1024; ++j) {
      const std::size_t k = rng() % files.size();
      pgno_t n = static_cast<pgno_t>(rng() % npages[k]);
      void* pg = nullptr;
      if (files[k]->get(&n, get_flags::none, &pg)) return 1;
      if (files[k]->put(pg)) return 1;
    }
    ops += 1024;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const pool_stats st = p->stats();
  std::uint64_t pages = 0, meta = 0;
  std::string by_size;
  for (std::size_t c = 0; c < 8; ++c) {
    if (st.pages_by_size[c] == 0) continue;
    pages += st.pages_by_size[c];
    by_size += std::to_string(st.pages_by_size[c]) + "x" + std::to_string(512u << c) + " ";
  }
  meta = pages * 24 + std::uint64_t{st.hash_buckets} * 8;
  const double misses = static_cast<double>(st.cache_miss - before.cache_miss);
  std::printf("| %-22s | %10.4f | %8.2f | %8.2f | %-34s | %9.2f | %6.3f |\n", m.name,
              static_cast<double>(st.page_bytes) / static_cast<double>(st.cache_bytes),
              static_cast<double>(st.page_bytes) / (1 << 20), static_cast<double>(meta) / (1 << 20),
              by_size.c_str(), static_cast<double>(ops) / secs / 1e6, misses / static_cast<double>(ops));
  for (auto& f : files)
    if (f->close()) return 1;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mib = 64;
  double seconds = 1.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--mib") == 0) mib = std::strtoull(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::strtod(argv[i + 1], nullptr);
    else {
      std::fprintf(stderr, "usage: %s [--mib N] [--seconds S]\n", argv[0]);
      return 2;
    }
  }
  const mix mixes[] = {
      {"4 KiB only", {4096}},
      {"512 B only", {512}},
      {"64 KiB only", {65536}},
      {"512 B + 4 KiB + 64 KiB", {512, 4096, 65536}},
      {"1, 2, 8, 16, 32 KiB", {1024, 2048, 8192, 16384, 32768}},
      {"all eight sizes", {512, 1024, 2048, 4096, 8192, 16384, 32768, 65536}},
  };
  std::printf("pool of %zu MiB, files twice its size, uniform random get+put for %.1f s per mix\n\n",
              mib, seconds);
  std::printf("| mix                    | held/cache | held MiB | meta MiB | pages held (count x bytes)         | Mget+put/s | miss   |\n");
  std::printf("|---|---:|---:|---:|---|---:|---:|\n");
  for (const mix& m : mixes)
    if (run_mix(m, mib, seconds) != 0) return 1;
  return 0;
}
