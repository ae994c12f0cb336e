// bench/epoch_bench.cpp: the cost of pagepool's epoch_domain
// (src/epoch/epoch_domain.hpp) next to liburcu's memb flavour (userspace
// RCU with sys_membarrier), both in this binary, at 1 and 2 threads:
//
//   *_enter_leave          enter and leave a read-side region (guard /
//                          rcu_read_lock+unlock)
//   *_enter_leave_nested   the same inside an outer region (a counter bump)
//   *_retire               retire one freshly allocated object: pagepool
//                          frees on the retiring thread (amortized, every
//                          threshold); urcu's call_rcu queues it for its
//                          call_rcu thread, which frees it there
//   *_retire_and_free      1024 retires, then collect() / rcu_barrier(): every
//                          free and grace period counted; time per object
//
// liburcu is optional (Debian: liburcu-dev); without it the urcu_* variants
// are omitted and the program says so.
//
//   cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DPAGEPOOL_BUILD_BENCH=ON
//   cmake --build build-bench --target bench_epoch -j2
//   build-bench/bench/bench_epoch --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>

#include "epoch/epoch_domain.hpp"

#if PAGEPOOL_BENCH_HAVE_URCU
#define _LGPL_SOURCE  // the read side inlined, as pagepool's guard is
#include <urcu.h>
#endif

namespace {

using pagepool::internal::epoch_domain;

constexpr int batch = 1024;  // objects per *_retire_and_free iteration

/// What is retired: small, as a replaced table or list node would be.
struct node {
  std::uint64_t payload[4] = {};
};

epoch_domain& domain() {
  static epoch_domain d;
  return d;
}

void BM_pagepool_enter_leave(benchmark::State& st) {
  epoch_domain& d = domain();
  { epoch_domain::guard warm = d.enter(); }  // registers this thread, untimed
  for (auto _ : st) {
    epoch_domain::guard g = d.enter();
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(st.iterations());
}

void BM_pagepool_enter_leave_nested(benchmark::State& st) {
  epoch_domain& d = domain();
  epoch_domain::guard outer = d.enter();
  for (auto _ : st) {
    epoch_domain::guard g = d.enter();
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(st.iterations());
}

void BM_pagepool_retire(benchmark::State& st) {
  epoch_domain& d = domain();
  d.collect();  // registers this thread, untimed
  for (auto _ : st) d.retire(new node);
  st.SetItemsProcessed(st.iterations());
}

void BM_pagepool_retire_and_free(benchmark::State& st) {
  epoch_domain& d = domain();
  d.collect();
  for (auto _ : st) {
    for (int i = 0; i < batch; ++i) d.retire(new node);
    d.collect();
  }
  st.SetItemsProcessed(st.iterations() * batch);
}

#define EPOCH_ARGS ->Threads(1)->Threads(2)->UseRealTime()
BENCHMARK(BM_pagepool_enter_leave) EPOCH_ARGS;
BENCHMARK(BM_pagepool_enter_leave_nested) EPOCH_ARGS;
BENCHMARK(BM_pagepool_retire) EPOCH_ARGS;
BENCHMARK(BM_pagepool_retire_and_free) EPOCH_ARGS;

#if PAGEPOOL_BENCH_HAVE_URCU

struct urcu_node {
  rcu_head head;
  node n;
};
void free_urcu_node(rcu_head* h) { delete caa_container_of(h, urcu_node, head); }

/// rcu_register_thread / rcu_unregister_thread around one benchmark thread.
struct urcu_thread {
  urcu_thread() { rcu_register_thread(); }
  ~urcu_thread() { rcu_unregister_thread(); }
  urcu_thread(const urcu_thread&) = delete;
  urcu_thread& operator=(const urcu_thread&) = delete;
};

void BM_urcu_enter_leave(benchmark::State& st) {
  urcu_thread reg;
  for (auto _ : st) {
    rcu_read_lock();
    benchmark::ClobberMemory();
    rcu_read_unlock();
  }
  st.SetItemsProcessed(st.iterations());
}

void BM_urcu_enter_leave_nested(benchmark::State& st) {
  urcu_thread reg;
  rcu_read_lock();
  for (auto _ : st) {
    rcu_read_lock();
    benchmark::ClobberMemory();
    rcu_read_unlock();
  }
  rcu_read_unlock();
  st.SetItemsProcessed(st.iterations());
}

void BM_urcu_retire(benchmark::State& st) {
  urcu_thread reg;
  for (auto _ : st) {
    auto* u = new urcu_node;
    call_rcu(&u->head, free_urcu_node);
  }
  st.SetItemsProcessed(st.iterations());
  rcu_barrier();  // untimed: the run's objects are freed before the next run
}

void BM_urcu_retire_and_free(benchmark::State& st) {
  urcu_thread reg;
  for (auto _ : st) {
    for (int i = 0; i < batch; ++i) {
      auto* u = new urcu_node;
      call_rcu(&u->head, free_urcu_node);
    }
    rcu_barrier();
  }
  st.SetItemsProcessed(st.iterations() * batch);
}

BENCHMARK(BM_urcu_enter_leave) EPOCH_ARGS;
BENCHMARK(BM_urcu_enter_leave_nested) EPOCH_ARGS;
BENCHMARK(BM_urcu_retire) EPOCH_ARGS;
BENCHMARK(BM_urcu_retire_and_free) EPOCH_ARGS;

#endif  // PAGEPOOL_BENCH_HAVE_URCU

}  // namespace

int main(int argc, char** argv) {
#if PAGEPOOL_BENCH_HAVE_URCU
  rcu_init();
  std::printf("bench_epoch: liburcu memb flavour; sys_membarrier %s\n",
              urcu_memb_has_sys_membarrier ? "in use (readers need no fence)"
                                           : "unavailable (readers use a full fence)");
#else
  std::printf("bench_epoch: built without liburcu; the urcu_* variants are omitted\n");
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
