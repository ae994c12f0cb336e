// bench/get_put_hit_bench.cpp: get+put on resident pages, uniform random keys,
// at 1..N threads, for 16 Ki, 256 Ki and 1 Mi pages, in one binary:
//
//   pagepool_raw     file::get(pgno_t*, flags, void**) + file::put(void*)
//   pagepool_handle  file::get(pgno, flags, page_handle&), put by the handle
//   mutex_table      a mutex per bucket (Berkeley DB 5.3's design)
//   tbb_table        tbb::concurrent_hash_map with an accessor per get and put
//   rocksdb_hcc      RocksDB's HyperClockCache, Lookup + Value + Release
//   rocksdb_lru      RocksDB's LRUCache, Lookup + Value + Release
//   pin_floor        no table: a direct-indexed array of 64-bit state words,
//                    one RMW to pin, the page read, one RMW to unpin: the
//                    least any pinned pool can do for this work (the floor the
//                    hit path is measured against)
//   touch_only       no table and no pin: the key and the page read alone
//                    (how far the machine itself scales this access)
//
// The RocksDB variants are built when librocksdb-dev is found (see
// bench/CMakeLists.txt); without it the binary says they are omitted.
// Every variant does the same per-op work: look the page up by number, pin
// it, read one word of the page, unpin it. Every page is resident before the
// timing starts (checked for the RocksDB caches, which could evict).
//
// Settings (environment variables, read once at start):
//   PAGEPOOL_BENCH_PAGE_SIZE      page size in bytes for every variant
//                                 (default 1024: 1 Mi pages are then 1 GiB per
//                                 variant instead of 4 GiB; pagepool's frames
//                                 are this size too)
//   PAGEPOOL_BENCH_MAX_THREADS    most threads (default: hardware threads, at
//                                 least 2); runs 1, 2, 4, ... and the max
//   PAGEPOOL_BENCH_PAGES          comma-separated page counts
//                                 (default 16384,262144,1048576)
//   PAGEPOOL_BENCH_ROCKSDB_SHARD_BITS  num_shard_bits of both RocksDB caches
//                                 (default 6: 64 shards; -1 = RocksDB's choice)
//   PAGEPOOL_BENCH_ROCKSDB_HEADROOM  capacity of both RocksDB caches, as a
//                                 multiple of pages x (page size + 256)
//                                 (default 2; below about 1.1 shards overflow
//                                 and the residency check stops the run)
//   PAGEPOOL_BENCH_FIXTURE_MB     memory the built tables may keep between runs
//                                 (default half the machine's memory); past it
//                                 the oldest are dropped and rebuilt on demand
//
// Instructions per get+put: `bench_get_put_hit --count-loop=VARIANT:N` runs N
// get+put of the 16 Ki-page fixture in count_loop_VARIANT() and exits;
// bench/instructions.sh runs that under callgrind and divides the loop's
// inclusive instruction count by N.
//
//   cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DPAGEPOOL_BUILD_BENCH=ON
//   cmake --build build-bench --target bench_get_put_hit
//   build-bench/bench/bench_get_put_hit --benchmark_min_time=1
//   bench/hit_compare.sh -b build-bench  # the table: medians and ratios
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <typeindex>
#include <typeinfo>
#include <vector>

#include "baselines/mutex_table.hpp"
#include "baselines/tbb_table.hpp"
#include "pagepool/pagepool.hpp"

#if PAGEPOOL_BENCH_HAVE_ROCKSDB
#include <rocksdb/cache.h>
#include <rocksdb/slice.h>
#include <rocksdb/status.h>
#include <rocksdb/version.h>
#endif

namespace {

// --- settings

long env_long(const char* name, long dflt) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return dflt;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (end == v || *end != '\0') {
    std::fprintf(stderr, "%s=%s: not a number\n", name, v);
    std::exit(2);
  }
  return n;
}

std::size_t g_page_size = 1024;
std::size_t g_fixture_budget = 0;  // bytes
#if PAGEPOOL_BENCH_HAVE_ROCKSDB
int g_shard_bits = 6;
double g_headroom = 2.0;
#endif

// --- key stream and the per-op touch

std::uint32_t next(std::uint64_t& x, std::uint32_t n) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return static_cast<std::uint32_t>((x >> 11) % n);
}

void touch(const void* page) { benchmark::DoNotOptimize(*static_cast<const volatile std::uint64_t*>(page)); }

// --- fixtures: one table per (variant, page count), built once, reused
//
// Thread 0 fetches (or builds) the fixture before the start barrier, so the
// build is never timed. Built fixtures stay alive while they fit in the
// budget, so that interleaved repetitions do not rebuild a 1 Mi-page table
// each time; past the budget the oldest are destroyed first.

struct fixture_cache {
  struct entry {
    std::type_index type;
    std::uint32_t pages;
    std::size_t bytes;
    std::shared_ptr<void> obj;
  };
  std::vector<entry> live;

  template <typename Fixture>
  Fixture& get(std::uint32_t pages) {
    for (auto& e : live)
      if (e.type == std::type_index(typeid(Fixture)) && e.pages == pages)
        return *static_cast<Fixture*>(e.obj.get());
    // Rough size: the pages, plus table and header overhead per page.
    const std::size_t need = std::size_t{pages} * (g_page_size + g_page_size / 8 + 256);
    std::size_t used = 0;
    for (auto& e : live) used += e.bytes;
    while (!live.empty() && used + need > g_fixture_budget) {
      used -= live.front().bytes;
      live.erase(live.begin());
    }
    auto f = std::make_shared<Fixture>(pages, g_page_size);
    live.push_back({std::type_index(typeid(Fixture)), pages, need, f});
    return *f;
  }
};

fixture_cache& fixtures() {
  static fixture_cache c;
  return c;
}

/// A pool holding every page of one temporary file, all resident: frames are
/// the page size, and there are 1/8 more frames than pages.
struct pagepool_fixture {
  std::unique_ptr<pagepool::pool> pool;
  std::unique_ptr<pagepool::file> file;
  pagepool_fixture(std::uint32_t pages, std::size_t page_size) {
    pagepool::pool_options o;
    o.frame_size = page_size;
    o.cache_frames = pages + pages / 8;
    if (pagepool::pool::create(o, pool)) std::abort();
    file = pool->file_create();
    // A temporary file: every page is created in the cache and never written.
    if (file->open(std::nullopt, pagepool::open_flags::none, 0, page_size)) std::abort();
    for (std::uint32_t p = 0; p < pages; ++p) {
      pagepool::pgno_t n = p;
      void* page;
      if (file->get(&n, pagepool::get_flags::create, &page)) std::abort();
      if (file->put(page)) std::abort();
    }
  }
  ~pagepool_fixture() {
    (void)file->close();
    (void)pool->close();
  }
};

#if PAGEPOOL_BENCH_HAVE_ROCKSDB
/// A RocksDB cache holding one entry per page: key 16 bytes (a file number and
/// the page number; HyperClockCache takes 16-byte keys only), value a pointer
/// to the page's bytes in one array (as the baselines keep them), charge the
/// page size. Capacity is g_headroom (default 2) times what the entries and
/// their metadata need, so nothing is evicted; the constructor checks that
/// every key is found.
struct rocksdb_fixture {
  std::vector<std::byte> memory;
  std::shared_ptr<rocksdb::Cache> owner;
  rocksdb::Cache* cache = nullptr;
  std::size_t page_size;

  static void key_of(std::uint32_t p, char (&k)[16]) {
    const std::uint64_t file = 1, page = p;
    std::memcpy(k, &file, 8);
    std::memcpy(k + 8, &page, 8);
  }
  static std::size_t capacity_for(std::uint32_t pages, std::size_t page_size) {
    return static_cast<std::size_t>(g_headroom * static_cast<double>(pages) *
                                    static_cast<double>(page_size + 256));
  }
  static void no_delete(const rocksdb::Slice&, void*) {}

  rocksdb_fixture(std::uint32_t pages, std::size_t ps, std::shared_ptr<rocksdb::Cache> c)
      : memory(std::size_t{pages} * ps), owner(std::move(c)), cache(owner.get()), page_size(ps) {
    for (std::uint32_t p = 0; p < pages; ++p) {
      char k[16];
      key_of(p, k);
      const rocksdb::Status s =
          cache->Insert(rocksdb::Slice(k, sizeof k), memory.data() + std::size_t{p} * ps, ps, &no_delete);
      if (!s.ok()) {
        std::fprintf(stderr, "%s: Insert: %s\n", cache->Name(), s.ToString().c_str());
        std::abort();
      }
    }
    for (std::uint32_t p = 0; p < pages; ++p) {
      char k[16];
      key_of(p, k);
      rocksdb::Cache::Handle* h = cache->Lookup(rocksdb::Slice(k, sizeof k));
      if (h == nullptr) {
        std::fprintf(stderr, "%s: page %u of %u not resident after insert\n", cache->Name(), p, pages);
        std::abort();
      }
      cache->Release(h);
    }
  }
};

struct rocksdb_hcc_fixture : rocksdb_fixture {
  static std::shared_ptr<rocksdb::Cache> make(std::uint32_t pages, std::size_t ps) {
    rocksdb::HyperClockCacheOptions o(capacity_for(pages, ps), /*estimated_entry_charge=*/ps,
                                      g_shard_bits);
    return o.MakeSharedCache();
  }
  rocksdb_hcc_fixture(std::uint32_t pages, std::size_t ps) : rocksdb_fixture(pages, ps, make(pages, ps)) {}
};

struct rocksdb_lru_fixture : rocksdb_fixture {
  static std::shared_ptr<rocksdb::Cache> make(std::uint32_t pages, std::size_t ps) {
    rocksdb::LRUCacheOptions o;  // defaults otherwise: high_pri_pool_ratio 0.5, no adaptive mutex
    o.capacity = capacity_for(pages, ps);
    o.num_shard_bits = g_shard_bits;
    return rocksdb::NewLRUCache(o);
  }
  rocksdb_lru_fixture(std::uint32_t pages, std::size_t ps) : rocksdb_fixture(pages, ps, make(pages, ps)) {}
};
#endif

/// No table at all: the page array alone, for the floor (key generation and
/// the page read, with no lookup or pin) and for the machine's own scaling
/// from 1 to N threads on this access pattern.
struct touch_only_fixture {
  std::vector<std::byte> memory;
  std::size_t page_size;
  touch_only_fixture(std::uint32_t pages, std::size_t ps) : memory(std::size_t{pages} * ps), page_size(ps) {}
};

/// The floor: one state word per page in a plain array (no lookup: the page
/// number is the index), pinned with one RMW and unpinned with another, as a
/// pool's frame header would be, with the page read in between.
struct pin_floor_fixture {
  std::vector<std::byte> memory;
  std::unique_ptr<std::atomic<std::uint64_t>[]> state;
  std::size_t page_size;
  pin_floor_fixture(std::uint32_t pages, std::size_t ps)
      : memory(std::size_t{pages} * ps), state(new std::atomic<std::uint64_t>[pages]), page_size(ps) {
    for (std::uint32_t p = 0; p < pages; ++p) state[p].store(1ull << 20, std::memory_order_relaxed);
  }
  void op(std::uint32_t p) {
    // acquire / release: the pool's pin (P1) and unpin (P2) orders.
    if ((state[p].fetch_add(1, std::memory_order_acquire) & (1ull << 20)) == 0) std::abort();
    touch(memory.data() + std::size_t{p} * page_size);
    state[p].fetch_sub(1, std::memory_order_release);
  }
};

/// The loop every variant shares: thread 0 gets the fixture for st.range(0)
/// pages before the start barrier; each thread then runs op(fixture, pgno) on
/// uniformly random resident pages.
template <typename Fixture, typename Op>
void run_hits(benchmark::State& st, Op op) {
  const auto pages = static_cast<std::uint32_t>(st.range(0));
  static Fixture* fx = nullptr;
  if (st.thread_index() == 0) fx = &fixtures().get<Fixture>(pages);
  std::uint64_t x = 0x9E3779B97F4A7C15ull * (st.thread_index() + 1);
  for (auto _ : st) op(*fx, next(x, pages));
  st.SetItemsProcessed(st.iterations());
}

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
void BM_table(benchmark::State& st) {
  run_hits<Table>(st, [](Table& t, std::uint32_t p) {
    touch(t.get(p));
    t.put(p);
  });
}

void BM_pin_floor(benchmark::State& st) {
  run_hits<pin_floor_fixture>(st, [](pin_floor_fixture& fx, std::uint32_t p) { fx.op(p); });
}

void BM_touch_only(benchmark::State& st) {
  run_hits<touch_only_fixture>(st, [](touch_only_fixture& fx, std::uint32_t p) {
    touch(fx.memory.data() + std::size_t{p} * fx.page_size);
  });
}

#if PAGEPOOL_BENCH_HAVE_ROCKSDB
template <typename Fixture>
void BM_rocksdb(benchmark::State& st) {
  run_hits<Fixture>(st, [](Fixture& fx, std::uint32_t p) {
    char k[16];
    rocksdb_fixture::key_of(p, k);
    rocksdb::Cache::Handle* h = fx.cache->Lookup(rocksdb::Slice(k, sizeof k));
    if (h == nullptr) std::abort();
    touch(fx.cache->Value(h));
    fx.cache->Release(h);
  });
}
#endif

// --- instruction counts (bench/instructions.sh): one named loop per variant,
// never inlined, so that callgrind's inclusive count of it is the variant's.

[[gnu::noinline]] void count_loop_pagepool_raw(pagepool_fixture& fx, std::uint32_t pages, long n) {
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (long i = 0; i < n; ++i) {
    pagepool::pgno_t p = next(x, pages);
    void* page;
    if (fx.file->get(&p, pagepool::get_flags::none, &page)) std::abort();
    touch(page);
    if (fx.file->put(page)) std::abort();
  }
}
[[gnu::noinline]] void count_loop_pagepool_handle(pagepool_fixture& fx, std::uint32_t pages, long n) {
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (long i = 0; i < n; ++i) {
    pagepool::page_handle h;
    pagepool::pgno_t p = next(x, pages);
    if (fx.file->get(p, pagepool::get_flags::none, h)) std::abort();
    touch(h.data());
  }
}
[[gnu::noinline]] void count_loop_pin_floor(pin_floor_fixture& fx, std::uint32_t pages, long n) {
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (long i = 0; i < n; ++i) fx.op(next(x, pages));
}
[[gnu::noinline]] void count_loop_touch_only(touch_only_fixture& fx, std::uint32_t pages, long n) {
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (long i = 0; i < n; ++i) touch(fx.memory.data() + std::size_t{next(x, pages)} * fx.page_size);
}

/// --count-loop=VARIANT:N: builds VARIANT's 16 Ki-page fixture, runs its loop
/// N times, returns the exit status.
int count_loop(const std::string& arg) {
  const std::size_t colon = arg.find(':');
  const std::string v = arg.substr(0, colon);
  const long n = colon == std::string::npos ? 100000 : std::strtol(arg.c_str() + colon + 1, nullptr, 10);
  constexpr std::uint32_t pages = 16384;
  if (v == "pagepool_raw") {
    pagepool_fixture fx(pages, g_page_size);
    count_loop_pagepool_raw(fx, pages, n);
  } else if (v == "pagepool_handle") {
    pagepool_fixture fx(pages, g_page_size);
    count_loop_pagepool_handle(fx, pages, n);
  } else if (v == "pin_floor") {
    pin_floor_fixture fx(pages, g_page_size);
    count_loop_pin_floor(fx, pages, n);
  } else if (v == "touch_only") {
    touch_only_fixture fx(pages, g_page_size);
    count_loop_touch_only(fx, pages, n);
  } else {
    std::fprintf(stderr, "--count-loop=%s: variants are pagepool_raw, pagepool_handle, pin_floor, touch_only\n",
                 v.c_str());
    return 2;
  }
  return 0;
}

std::vector<std::int64_t> page_counts() {
  std::vector<std::int64_t> v;
  const char* s = std::getenv("PAGEPOOL_BENCH_PAGES");
  std::string list = s != nullptr && *s != '\0' ? s : "16384,262144,1048576";
  std::size_t i = 0;
  while (i < list.size()) {
    std::size_t j = list.find(',', i);
    if (j == std::string::npos) j = list.size();
    const long n = std::strtol(list.substr(i, j - i).c_str(), nullptr, 10);
    if (n <= 0 || n > (1l << 30)) {
      std::fprintf(stderr, "PAGEPOOL_BENCH_PAGES=%s: bad page count\n", list.c_str());
      std::exit(2);
    }
    v.push_back(n);
    i = j + 1;
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  g_page_size = static_cast<std::size_t>(env_long("PAGEPOOL_BENCH_PAGE_SIZE", 1024));
  if (g_page_size < 512 || g_page_size > 65536 || (g_page_size & (g_page_size - 1)) != 0) {
    std::fprintf(stderr, "PAGEPOOL_BENCH_PAGE_SIZE: a power of two from 512 to 65536\n");
    return 2;
  }
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--count-loop=", 13) == 0) return count_loop(argv[i] + 13);
  const long hw = static_cast<long>(std::thread::hardware_concurrency());
  const int max_threads = static_cast<int>(env_long("PAGEPOOL_BENCH_MAX_THREADS", std::max(2l, hw)));
  if (max_threads < 1) {
    std::fprintf(stderr, "PAGEPOOL_BENCH_MAX_THREADS: at least 1\n");
    return 2;
  }
  const long phys_mb = sysconf(_SC_PHYS_PAGES) / 1024 * sysconf(_SC_PAGE_SIZE) / 1024;
  g_fixture_budget = static_cast<std::size_t>(env_long("PAGEPOOL_BENCH_FIXTURE_MB", phys_mb / 2)) << 20;
  const std::vector<std::int64_t> pages = page_counts();

  const auto add = [&](const char* name, void (*fn)(benchmark::State&)) {
    auto* b = benchmark::RegisterBenchmark(name, fn);
    for (auto n : pages) b->Arg(n);
    b->ThreadRange(1, max_threads)->UseRealTime();
  };
  add("BM_pagepool_raw", BM_pagepool_raw);
  add("BM_pagepool_handle", BM_pagepool_handle);
  add("BM_mutex_table", BM_table<pagepool::bench::mutex_table>);
  add("BM_tbb_table", BM_table<pagepool::bench::tbb_table>);
  add("BM_pin_floor", BM_pin_floor);
  add("BM_touch_only", BM_touch_only);
#if PAGEPOOL_BENCH_HAVE_ROCKSDB
  g_shard_bits = static_cast<int>(env_long("PAGEPOOL_BENCH_ROCKSDB_SHARD_BITS", 6));
  if (const char* h = std::getenv("PAGEPOOL_BENCH_ROCKSDB_HEADROOM"); h != nullptr && *h != '\0') {
    g_headroom = std::strtod(h, nullptr);
    if (!(g_headroom >= 1.0 && g_headroom <= 64.0)) {
      std::fprintf(stderr, "PAGEPOOL_BENCH_ROCKSDB_HEADROOM: a number from 1 to 64\n");
      return 2;
    }
  }
  add("BM_rocksdb_hcc", BM_rocksdb<rocksdb_hcc_fixture>);
  add("BM_rocksdb_lru", BM_rocksdb<rocksdb_lru_fixture>);
  benchmark::AddCustomContext(
      "rocksdb", std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) + "." +
                     std::to_string(ROCKSDB_PATCH) + ", num_shard_bits " + std::to_string(g_shard_bits) +
                     ", capacity " + std::to_string(g_headroom) + " x pages x (page size + 256)");
#else
  std::fprintf(stderr,
               "bench_get_put_hit: built without RocksDB (librocksdb-dev not found, or "
               "-DPAGEPOOL_BENCH_ROCKSDB=OFF): the rocksdb_hcc and rocksdb_lru variants are omitted\n");
  benchmark::AddCustomContext("rocksdb", "omitted (built without RocksDB)");
#endif
  benchmark::AddCustomContext("page_size", std::to_string(g_page_size));
  benchmark::AddCustomContext("max_threads", std::to_string(max_threads));

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
