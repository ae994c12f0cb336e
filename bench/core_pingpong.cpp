// bench/core_pingpong.cpp: bench_core_pingpong, what moving one cache line
// between two cores costs on this machine right now.
//
// Two threads, pinned to CPUs 0 and 1, hand one counter back and forth: the
// main thread stores an odd value and waits for the next even one, the other
// waits for the odd value and stores the next even one. Each round trip moves
// the line to the other core and back, so the time per round trip is twice
// the core-to-core transfer latency. A shared pool's threads pay such
// transfers on the lines they both write (papers/eviction/README.md, issue 12
// part 5: on this VM the cost changes by an order of magnitude for minutes at
// a time, and the shared pool's two-thread rate with it).
//
//   bench_core_pingpong [ROUND_TRIPS]     (default 200000) prints ns per round trip
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace {

alignas(64) std::atomic<long> ball{0};

void pin_to(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  (void)pthread_setaffinity_np(pthread_self(), sizeof s, &s);  // best effort: unpinned still measures
}

}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 200000;
  if (n <= 0 || std::thread::hardware_concurrency() < 2) {
    std::fprintf(stderr, "usage: bench_core_pingpong [ROUND_TRIPS > 0]; needs two CPUs\n");
    return 2;
  }
  std::thread other([n] {
    pin_to(1);
    for (long i = 0; i < n; ++i) {
      // acquire/release: a handshake; only the line's travel is measured,
      // but the orders make each store the answer to the load before it.
      while (ball.load(std::memory_order_acquire) != 2 * i + 1) {
      }
      ball.store(2 * i + 2, std::memory_order_release);
    }
  });
  pin_to(0);
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) {
    ball.store(2 * i + 1, std::memory_order_release);  // release/acquire: see above
    while (ball.load(std::memory_order_acquire) != 2 * i + 2) {
    }
  }
  const auto t1 = std::chrono::steady_clock::now();
  other.join();
  std::printf("%.0f ns per round trip\n",
              std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(n));
  return 0;
}
