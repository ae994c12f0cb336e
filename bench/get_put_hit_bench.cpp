// bench/get_put_hit_bench.cpp: get+put on resident pages, uniform random, at
// 1 and 2 threads (more with --benchmark_filter and a bigger machine), for
// pagepool's raw-pointer API, its page_handle API, and two baselines built in
// this binary: a mutex per bucket (Berkeley DB's design) and
// tbb::concurrent_hash_map. Each get touches the page (reads a word), as a
// real caller would.
//
//   cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DPAGEPOOL_BUILD_BENCH=ON
//   cmake --build build-bench --target bench_get_put_hit
//   build-bench/bench/bench_get_put_hit --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include "baselines/mutex_table.hpp"
#include "baselines/tbb_table.hpp"
#include "pagepool/pagepool.hpp"

namespace {

constexpr std::size_t kPageSize = 4096;

std::uint32_t next(std::uint64_t& x, std::uint32_t n) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return static_cast<std::uint32_t>((x >> 11) % n);
}

/// A pool holding every page of one file, all resident.
struct resident_pool {
  std::unique_ptr<pagepool::pool> pool;
  std::unique_ptr<pagepool::file> file;
  explicit resident_pool(std::uint32_t pages) {
    pagepool::pool_options o;
    o.cache_frames = pages + pages / 8;
    if (pagepool::pool::create(o, pool)) std::abort();
    file = pool->file_create();
    // A temporary file: every page is created in the cache and never written.
    if (file->open(std::nullopt, pagepool::open_flags::none, 0, kPageSize)) std::abort();
    for (std::uint32_t p = 0; p < pages; ++p) {
      pagepool::pgno_t n = p;
      void* page;
      if (file->get(&n, pagepool::get_flags::create, &page)) std::abort();
      if (file->put(page)) std::abort();
    }
  }
  ~resident_pool() {
    (void)file->close();
    (void)pool->close();
  }
};

template <typename Fixture>
Fixture& shared_fixture(std::uint32_t pages) {
  static std::unique_ptr<Fixture> f;
  static std::uint32_t made_for = 0;
  if (!f || made_for != pages) {
    f.reset();
    f = std::make_unique<Fixture>(pages, kPageSize);
    made_for = pages;
  }
  return *f;
}

struct pagepool_fixture : resident_pool {
  pagepool_fixture(std::uint32_t pages, std::size_t) : resident_pool(pages) {}
};

/// The loop every variant shares: thread 0 builds (or reuses) the fixture for
/// st.range(0) pages before the start barrier; each thread then runs
/// op(fixture, pgno) on uniformly random resident pages.
template <typename Fixture, typename Op>
void run_hits(benchmark::State& st, Op op) {
  const auto pages = static_cast<std::uint32_t>(st.range(0));
  static Fixture* fx = nullptr;
  if (st.thread_index() == 0) fx = &shared_fixture<Fixture>(pages);
  std::uint64_t x = 0x9E3779B97F4A7C15ull * (st.thread_index() + 1);
  for (auto _ : st) op(*fx, next(x, pages));
  st.SetItemsProcessed(st.iterations());
}

void touch(const void* page) { benchmark::DoNotOptimize(*static_cast<const volatile std::uint64_t*>(page)); }

void BM_pagepool_raw(benchmark::State& st) {
  run_hits<pagepool_fixture>(st, [](pagepool_fixture& fx, pagepool::pgno_t p) {
    void* page;
    if (fx.file->get(&p, pagepool::get_flags::none, &page)) std::abort();
    touch(page);
    if (fx.file->put(page)) std::abort();
  });
}

void BM_pagepool_handle(benchmark::State& st) {
  run_hits<pagepool_fixture>(st, [](pagepool_fixture& fx, pagepool::pgno_t p) {
    pagepool::page_handle h;
    if (fx.file->get(p, pagepool::get_flags::none, h)) std::abort();
    touch(h.data());
  });
}

template <typename Table>
void BM_baseline(benchmark::State& st) {
  run_hits<Table>(st, [](Table& t, std::uint32_t p) {
    touch(t.get(p));
    t.put(p);
  });
}

#define HIT_ARGS ->Arg(16 << 10)->Arg(256 << 10)->Threads(1)->Threads(2)->UseRealTime()
BENCHMARK(BM_pagepool_raw) HIT_ARGS;
BENCHMARK(BM_pagepool_handle) HIT_ARGS;
BENCHMARK(BM_baseline<pagepool::bench::mutex_table>) HIT_ARGS;
BENCHMARK(BM_baseline<pagepool::bench::tbb_table>) HIT_ARGS;

}  // namespace

BENCHMARK_MAIN();
