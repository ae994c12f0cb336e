// bench/dead_owner_bench.cpp: what the latch for shared memory
// (src/share/owned_latch.hpp) costs, and how soon a waiter behind a holder
// that died goes on (issue 14's target: within 100 ms).
//
//   bench_dead_owner [--rounds N] [--ops N] [--reps N] [--dir DIR]
//
// 1. Takeover. N rounds: a forked child attaches to a registry in DIR (a
//    fresh temporary directory by default), takes the latch in a shared
//    mapping and reports; a thread of this process waits for the latch (the
//    default wait options: spin, then 10 ms futex sleeps, the holder's
//    liveness asked once it has held for 10 ms); after 30 ms the child is
//    SIGKILLed. Reported: the time from the kill to the waiter's from_dead,
//    median, 90th percentile and maximum.
//    Then the cost of one owner_alive question about a dead holder.
// 2. Uncontended lock + unlock, one thread, against the floor of the same
//    work: core/policy_host.hpp's policy_latch, a one-word spin latch (CAS
//    to take, plain release store to give back). The owned latch's unlock
//    is an exchange (it must learn whether anyone sleeps), one locked
//    instruction more.
// 3. Contended: two threads, each taking the latch, incrementing a counter
//    and giving it back, for the same number of operations; policy_latch
//    (spin, yield, sleep: port/backoff.hpp) against the owned latch (spin, then
//    futex sleep).
// 2 and 3 alternate the two latches in --reps repetitions; the ratio is
// owned over spin per repetition, median reported.
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/policy_host.hpp"
#include "share/owned_latch.hpp"
#include "share/registry.hpp"

namespace {

using namespace pagepool::internal;
using clock_type = std::chrono::steady_clock;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "bench_dead_owner: %s\n", what);
  std::exit(1);
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

std::unique_ptr<process_registry> attach(const std::string& dir) {
  std::unique_ptr<process_registry> r;
  process_registry::attach_info info;
  if (process_registry::attach(dir, 0, true, false, r, info)) die("registry attach failed");
  return r;
}

void takeover(const std::string& dir, int rounds) {
  auto* l = static_cast<owned_latch*>(::mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                                             MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (l == MAP_FAILED) die("mmap");
  new (l) owned_latch();
  auto me = attach(dir);
  std::vector<double> ms;
  int not_dead = 0;
  std::uint32_t res_dead_id = 0;  // the last dead holder's id
  for (int i = 0; i < rounds; ++i) {
    int pipefd[2];
    if (::pipe(pipefd) != 0) die("pipe");
    const pid_t child = ::fork();
    if (child < 0) die("fork");
    if (child == 0) {
      auto r = attach(dir);  // the parent's registry descriptor was closed at fork
      (void)l->lock(r->owner_id(), r->oracle());
      const char b = 'x';
      (void)!::write(pipefd[1], &b, 1);
      for (;;) ::pause();
    }
    char b;
    if (::read(pipefd[0], &b, 1) != 1) die("child");
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    clock_type::time_point got;
    owned_latch::result res;
    std::thread waiter([&] {
      res = l->lock(me->owner_id(), me->oracle());
      got = clock_type::now();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    const auto killed = clock_type::now();
    ::kill(child, SIGKILL);
    waiter.join();
    int st;
    ::waitpid(child, &st, 0);
    if (res.how != owned_latch::outcome::from_dead) ++not_dead;
    res_dead_id = res.dead;
    ms.push_back(std::chrono::duration<double, std::milli>(got - killed).count());
    l->unlock();
  }
  std::printf("takeover after SIGKILL (%d rounds): median %.2f ms, p90 %.2f ms, max %.2f ms%s\n",
              rounds, percentile(ms, 0.5), percentile(ms, 0.9), percentile(ms, 1.0),
              not_dead ? " (SOME NOT from_dead)" : "");
  // What one question to the registry costs (a pread of the slot's record
  // and an F_OFD_GETLK): failchk over many latches must ask once per dead
  // process, not once per latch.
  const std::uint32_t dead = res_dead_id;
  constexpr int asks = 10000;
  const auto t0 = clock_type::now();
  int alive_n = 0;
  for (int i = 0; i < asks; ++i) alive_n += me->owner_alive(dead);
  const double us = std::chrono::duration<double, std::micro>(clock_type::now() - t0).count() / asks;
  std::printf("owner_alive of a dead holder: %.2f us per call (%d calls, %d said alive)\n", us, asks,
              alive_n);
  ::munmap(l, 4096);
}

template <class Lock, class Unlock>
double run_threads(int threads, long ops, Lock lock, Unlock unlock) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> ts;
  static std::uint64_t counter;
  counter = 0;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&] {
      ready.fetch_add(1, std::memory_order_relaxed);  // relaxed: a count to start on
      // acquire: pairs with the release below (a start line; the latch
      // orders the counter itself).
      while (!go.load(std::memory_order_acquire)) {
      }
      for (long i = 0; i < ops; ++i) {
        lock();
        ++counter;
        unlock();
      }
    });
  while (ready.load(std::memory_order_relaxed) != threads) {
  }
  const auto t0 = clock_type::now();
  go.store(true, std::memory_order_release);  // release: see the threads' acquire
  for (auto& t : ts) t.join();
  const double ns = std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
  if (counter != static_cast<std::uint64_t>(threads) * static_cast<std::uint64_t>(ops))
    die("lost increments");
  return ns / (static_cast<double>(ops) * threads);
}

void compare(int threads, long ops, int reps) {
  policy_latch s;  // the floor: the core's one-word spin latch
  owned_latch o;
  const owner_oracle alive{};
  std::vector<double> sv, ov, ratio;
  for (int r = 0; r < reps; ++r) {
    double a, b;
    auto run_s = [&] { return run_threads(threads, ops, [&] { s.lock(); }, [&] { s.unlock(); }); };
    auto run_o = [&] {
      return run_threads(threads, ops, [&] { (void)o.lock(owned_latch::private_owner, alive); },
                         [&] { o.unlock(); });
    };
    if (r % 2 == 0) {
      a = run_s();
      b = run_o();
    } else {
      b = run_o();
      a = run_s();
    }
    sv.push_back(a);
    ov.push_back(b);
    ratio.push_back(b / a);
  }
  std::printf("%d thread%s, lock+increment+unlock: spin latch %.2f ns/op, owned latch %.2f ns/op, "
              "owned/spin median %.3f (range %.3f-%.3f, %d reps)\n",
              threads, threads == 1 ? "" : "s", percentile(sv, 0.5), percentile(ov, 0.5),
              percentile(ratio, 0.5), percentile(ratio, 0.0), percentile(ratio, 1.0), reps);
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 50, reps = 11;
  long ops = 2'000'000;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) die("missing value");
      return argv[++i];
    };
    if (a == "--rounds") rounds = std::atoi(next());
    else if (a == "--ops") ops = std::atol(next());
    else if (a == "--reps") reps = std::atoi(next());
    else if (a == "--dir") dir = next();
    else die("usage: bench_dead_owner [--rounds N] [--ops N] [--reps N] [--dir DIR]");
  }
  bool made = false;
  if (dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dead-owner-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) die("mkdtemp");
    dir = tmpl;
    made = true;
  }
  takeover(dir, rounds);
  compare(1, ops, reps);
  compare(2, ops / 4, reps);
  if (made) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return 0;
}
