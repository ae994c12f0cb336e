// bench/optimistic_read_bench.cpp: reading a resident page three ways, side
// by side in one binary, at 1 and 2 threads (more with a bigger machine):
//
//   pinned_raw       file::get(void**) + file::put (the BDB-shaped API)
//   pinned_handle    file::get(page_handle&) + release
//   optimistic       file::read_optimistic (no pin: the frame's version is
//                    validated after the read)
//
// Each read sums 8 words of the page (one cache line), uniform random pages of
// a file that fits in the cache (16K pages of 1 KiB). Report ratios from one
// run (the machine is shared and noisy):
//
//   cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DPAGEPOOL_BUILD_BENCH=ON
//   cmake --build build-bench --target bench_optimistic_read
//   build-bench/bench/bench_optimistic_read --benchmark_repetitions=5
//       --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
//   (one command line)
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "pagepool/pagepool.hpp"

namespace {

constexpr std::uint32_t kPages = 16384;
constexpr std::size_t kPageSize = 1024;

std::uint32_t next(std::uint64_t& x, std::uint32_t n) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return static_cast<std::uint32_t>((x >> 11) % n);
}

std::uint64_t sum_line(const std::byte* p) {
  std::uint64_t w[8];
  std::memcpy(w, p, sizeof w);
  return w[0] + w[1] + w[2] + w[3] + w[4] + w[5] + w[6] + w[7];
}

/// One pool holding every page of one temporary file, shared by all threads.
struct fixture {
  std::unique_ptr<pagepool::pool> pool;
  std::unique_ptr<pagepool::file> file;
  fixture() {
    pagepool::pool_options o;
    o.cache_frames = kPages + kPages / 8;
    o.frame_size = kPageSize;
    o.regions = 4;
    if (pagepool::pool::create(o, pool)) std::abort();
    file = pool->file_create();
    if (!file || file->open(std::nullopt, pagepool::open_flags::create, 0, kPageSize)) std::abort();
    for (pagepool::pgno_t i = 0; i < kPages; ++i) {
      pagepool::pgno_t n = i;
      void* pg = nullptr;
      if (file->get(&n, pagepool::get_flags::new_page, &pg)) std::abort();
      std::memset(pg, static_cast<int>(i & 0xFF), kPageSize);
      if (file->put(pg)) std::abort();
    }
  }
};

fixture& shared_fixture() {
  static fixture* f = new fixture();  // kept for the whole run: threads share it
  return *f;
}

void BM_pinned_raw(benchmark::State& st) {
  pagepool::file& f = *shared_fixture().file;
  std::uint64_t x = 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(st.thread_index()) * 7919;
  std::uint64_t acc = 0;
  for (auto _ : st) {
    pagepool::pgno_t p = next(x, kPages);
    void* pg = nullptr;
    if (f.get(&p, pagepool::get_flags::none, &pg)) std::abort();
    acc += sum_line(static_cast<const std::byte*>(pg));
    if (f.put(pg)) std::abort();
  }
  benchmark::DoNotOptimize(acc);
  st.SetItemsProcessed(st.iterations());
}

void BM_pinned_handle(benchmark::State& st) {
  pagepool::file& f = *shared_fixture().file;
  std::uint64_t x = 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(st.thread_index()) * 7919;
  std::uint64_t acc = 0;
  for (auto _ : st) {
    pagepool::pgno_t p = next(x, kPages);
    pagepool::page_handle h;
    if (f.get(p, pagepool::get_flags::none, h)) std::abort();
    acc += sum_line(static_cast<const std::byte*>(h.data()));
    if (h.release()) std::abort();
  }
  benchmark::DoNotOptimize(acc);
  st.SetItemsProcessed(st.iterations());
}

void BM_optimistic(benchmark::State& st) {
  pagepool::file& f = *shared_fixture().file;
  std::uint64_t x = 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(st.thread_index()) * 7919;
  std::uint64_t acc = 0;
  for (auto _ : st) {
    const pagepool::pgno_t p = next(x, kPages);
    std::uint64_t v = 0;
    if (f.read_optimistic(p, [&](const std::byte* pg) { v = sum_line(pg); })) std::abort();
    acc += v;
  }
  benchmark::DoNotOptimize(acc);
  st.SetItemsProcessed(st.iterations());
}

BENCHMARK(BM_pinned_raw)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(BM_pinned_handle)->ThreadRange(1, 2)->UseRealTime();
BENCHMARK(BM_optimistic)->ThreadRange(1, 2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
