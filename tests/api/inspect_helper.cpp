// tests/api/inspect_helper.cpp: a process that makes a pool in region files
// and works in it, for inspect_test.cpp to read from outside
// (pool::inspect).
//
//   pagepool_inspect_helper HOME [REGION_DIR]
//   pagepool_inspect_helper cycle HOME   (pools made and destroyed in a loop)
//
// Makes the pool (32 frames of 4 KiB, 2 regions, region files in
// REGION_DIR or the home), then does a fixed piece of work: 48 pages of
// a.db made and written (more than the pool holds: evictions, some of
// dirty pages), 16 of them got again twice, 8 pages of 8 KiB in b.db (a
// second page-size class), 4 pages of c.db, which is then closed (its
// counters go to the freed states' totals), and a trickle to 50%. It then
// prints what its own stats() and file_statistics() say (stats_line.hpp),
// and "ready", and obeys lines on stdin:
//
//   churn   two threads get, dirty and put random pages of a.db until stop
//           (each its own pages: pins to write share a page, as in BDB)
//   stop    joins them, prints the statistics again, then "stopped"
//   (EOF)   exits 0
//
// Exit 3 and a message on stderr if a call fails.
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "pagepool/file.hpp"
#include "pagepool/pool.hpp"
#include "stats_line.hpp"

namespace {

using namespace pagepool;

int fail(const char* what, std::error_code ec) {
  std::fprintf(stderr, "inspect_helper: %s: %s\n", what, ec.message().c_str());
  return 3;
}

void print_stats(pool& p) {
  std::printf("%s\n", test::stats_line(p.stats()).c_str());
  for (const file_stats& f : p.file_statistics()) std::printf("%s\n", test::file_line(f).c_str());
  std::fflush(stdout);
}

// Gets page n (a pin to write it with `dirty`: the only pin then), changes
// it if `dirty`, and puts it back.
std::error_code touch(file& f, pgno_t n, get_flags flags, bool dirty) {
  void* page = nullptr;
  if (dirty) flags = flags | get_flags::dirty;
  if (auto ec = f.get(&n, flags, &page)) return ec;
  if (dirty) static_cast<unsigned char*>(page)[0] ^= 1;
  return f.put(page, priority::unchanged, dirty ? put_flags::dirty : put_flags::none);
}

}  // namespace

// "cycle HOME": makes a pool, works a little in it and destroys it, again
// and again until stdin closes, so that a reader meets pools being made and
// going at every step. Prints "cycling" once the first pool exists.
int cycle(const std::string& home) {
  bool said = false;
  for (std::uint64_t round = 0;; ++round) {
    pool_options o;
    o.cache_frames = 8 + round % 24;
    o.regions = 1 + round % 2;
    o.home = home;
    o.region_files = true;
    std::unique_ptr<pool> p;
    if (auto ec = pool::create(o, p)) return fail("pool::create", ec);
    auto f = p->file_create();
    if (!f) return 3;
    if (auto ec = f->open(home + "/cycle.db", open_flags::create, 0600, round % 3 == 0 ? 8192 : 4096))
      return fail("open", ec);
    for (pgno_t i = 0; i < 40; ++i)
      if (auto ec = touch(*f, i, get_flags::create, i % 3 == 0)) return fail("get", ec);
    if (!said) {
      std::printf("cycling\n");
      std::fflush(stdout);
      said = true;
    }
    pollfd in{0, POLLIN, 0};
    if (::poll(&in, 1, 0) > 0) {
      char buf[64];
      if (::read(0, buf, sizeof buf) <= 0) return 0;
    }
  }
}

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "cycle") return cycle(argv[2]);
  if (argc != 2 && argc != 3) return 2;
  const std::string home = argv[1];
  pool_options o;
  o.cache_frames = 32;
  o.regions = 2;
  o.home = home;
  o.region_files = true;
  if (argc == 3) o.region_dir = argv[2];
  std::unique_ptr<pool> p;
  if (auto ec = pool::create(o, p)) return fail("pool::create", ec);
  // Settings changed at run time: the pool's, in its memory for a reader too.
  p->set_mmap_size(123456);
  if (auto ec = p->set_max_open_fd(9)) return fail("set_max_open_fd", ec);
  if (auto ec = p->set_max_write(64, std::chrono::microseconds(7))) return fail("set_max_write", ec);
  auto a = p->file_create(), b = p->file_create(), c = p->file_create();
  if (!a || !b || !c) return 3;
  if (auto ec = a->open(home + "/a.db", open_flags::create, 0600, 4096)) return fail("open a", ec);
  if (auto ec = b->open(home + "/b.db", open_flags::create, 0600, 8192)) return fail("open b", ec);
  if (auto ec = c->open(home + "/c.db", open_flags::create, 0600, 4096)) return fail("open c", ec);
  for (pgno_t i = 0; i < 48; ++i)
    if (auto ec = touch(*a, i, get_flags::create, true)) return fail("get a", ec);
  for (int round = 0; round < 2; ++round)
    for (pgno_t i = 32; i < 48; ++i)
      if (auto ec = touch(*a, i, get_flags::none, false)) return fail("hit a", ec);
  for (pgno_t i = 0; i < 8; ++i)
    if (auto ec = touch(*b, i, get_flags::create, true)) return fail("get b", ec);
  for (pgno_t i = 0; i < 4; ++i)
    if (auto ec = touch(*c, i, get_flags::create, true)) return fail("get c", ec);
  if (auto ec = c->close()) return fail("close c", ec);
  int written = 0;
  if (auto ec = p->trickle(50, &written)) return fail("trickle", ec);
  print_stats(*p);
  std::printf("ready\n");
  std::fflush(stdout);

  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> workers;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line == "churn") {
      stop.store(false, std::memory_order_relaxed);  // relaxed: a flag; join orders the rest
      for (unsigned t = 0; t < 2; ++t)
        workers.emplace_back([&, t] {
          std::mt19937 rng(t + 1);
          while (!stop.load(std::memory_order_relaxed))  // relaxed: as above
            // Thread t's pages are those of its parity: pins to write do
            // not exclude each other (as in Berkeley DB, the application
            // serialises writers of a page), so two threads never write one.
            if (touch(*a, (rng() % 32) * 2 + t, get_flags::create, rng() % 4 == 0))
              errors.fetch_add(1, std::memory_order_relaxed);  // relaxed: a count read after join
        });
    } else if (line == "stop") {
      stop.store(true, std::memory_order_relaxed);  // relaxed: as above
      for (auto& w : workers) w.join();
      workers.clear();
      if (errors.load(std::memory_order_relaxed) != 0) return 3;  // relaxed: after join
      print_stats(*p);
      std::printf("stopped\n");
      std::fflush(stdout);
    }
  }
  stop.store(true, std::memory_order_relaxed);  // relaxed: as above
  for (auto& w : workers) w.join();
  return 0;
}
