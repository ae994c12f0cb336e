// tests/unit/share/registry_helper.cpp: a second process for the tests of
// pools with a home (tests/unit/share/registry_test.cpp,
// tests/api/processes_test.cpp), exec'd by them. It prints "ready" on stdout
// once it is attached, and stays attached until its stdin reaches end of
// file (then it detaches and exits 0), unless told to die.
//
//   pool DIR         a pagepool::pool with home DIR (refuses company),
//                    publishing every 10 ms, that has made 8 pages of
//                    DIR/data (8 gets with create) and hit each once (8 hits)
//   region-pool DIR  the same with pool_options::region_files (its memory
//                    in region files in DIR)
//   slot DIR         a registry slot in DIR, company allowed (white box)
//   die-create DIR   dies (SIGKILL) creating DIR's registry
//   die-attach DIR   dies (SIGKILL) holding the registry latch, its slot
//                    record written
//   fork-pool DIR    a pool with home DIR, then fork(): the child prints
//                    "child PID" and waits for end of file; the parent
//                    prints "ready" and kills itself
//   cycle DIR        prints "ready", then until end of file on stdin: make a pool with home DIR
//                    (EAGAIN: another process has it; try again), and while
//                    it is held own DIR/owner (created O_EXCL, holding our
//                    pid; one left by a process that is dead or exiting is
//                    taken over), append a byte to DIR/held, then give both
//                    back; prints "cycles N" at the end. Two pools attached at once is "double PID",
//                    exit 5: the registry let two processes in.
//
//   latch DIR FILE   a registry slot in DIR (company allowed), FILE (at
//                    least 4 KiB) mapped shared: an owned_latch at offset 0,
//                    a counter at offset 64. Prints "ready ID" (its owner
//                    id), then obeys stdin line by line: "lock" (prints
//                    "locked"), "unlock" ("unlocked"), "count N" (N times:
//                    lock, read the counter, store it plus one, unlock;
//                    prints "counted"); end of file ends it.
//   count DIR FILE N [bare]
//                    a registry slot in DIR (company allowed), FILE
//                    (shared_count.hpp's layout) mapped shared: a table of
//                    shard owners and a sharded counter. Attaches the table
//                    as its owner id (not with "bare": then its threads
//                    count in their process's own shards, as if nothing
//                    were shared), prints "ready", waits for the line "go",
//                    has 3 threads add 1 N times each, prints "counted",
//                    and at end of file detaches and exits.
//   latch-churn DIR FILE
//                    the same slot and mapping; prints "ready", then until
//                    end of file on stdin takes the latch and checks and
//                    changes the churn record (latch_churn.hpp; now and
//                    then holding the latch for 12 ms), then
//                    prints "ops N". A holder taken over from a dead one
//                    repairs what it left. Exclusion broken (the record's
//                    owner another live process, or its two counters
//                    apart) is "broken WHAT", exit 5.
//
// Exit status: 0 done, 2 usage, 3 an attach failed (its error on stderr),
// 5 two processes held the home at once.
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <atomic>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "pagepool/file.hpp"
#include "pagepool/pool.hpp"
#include "pagepool/testing.hpp"
#include "share/owned_latch.hpp"
#include "share/registry.hpp"
#include "latch_churn.hpp"
#include "shared_count.hpp"
#include "stats/sharded_counter.hpp"

namespace {

void say(const char* line) {
  std::fputs(line, stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void wait_for_eof() {
  char buf[64];
  while (::read(0, buf, sizeof buf) > 0) {
  }
}

int fail(const char* what, std::error_code ec) {
  std::fprintf(stderr, "registry_helper: %s: %s\n", what, ec.message().c_str());
  return 3;
}

std::unique_ptr<pagepool::pool> make_pool(const std::string& dir, std::error_code& ec,
                                          bool region_files = false) {
  pagepool::pool_options o;
  o.cache_frames = 16;
  o.home = dir;
  o.region_files = region_files;
  o.publish_period = std::chrono::milliseconds(10);
  std::unique_ptr<pagepool::pool> p;
  ec = pagepool::pool::create(o, p);
  return p;
}

bool stdin_done() {
  pollfd p{0, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  char b[64];
  return ::read(0, b, sizeof b) <= 0;
}

// Whether pid is gone, a zombie, or on its way out (its locks may already be
// dropped while /proc still shows it running: wait up to 2 s for that).
bool dead_or_exiting(pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (;;) {
    std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(st, text)) return true;
    const auto close = text.rfind(')');
    if (close != std::string::npos && close + 2 < text.size() &&
        (text[close + 2] == 'Z' || text[close + 2] == 'X'))
      return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// Takes DIR/owner for this process; false if a live process holds it.
bool take_owner(const std::string& path) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      const std::string me = std::to_string(::getpid());
      (void)!::write(fd, me.data(), me.size());
      ::close(fd);
      return true;
    }
    std::ifstream in(path);
    pid_t other = 0;
    in >> other;
    if (other != 0 && !dead_or_exiting(other)) {
      std::printf("double %d\n", static_cast<int>(other));
      std::fflush(stdout);
      return false;
    }
    ::unlink(path.c_str());  // left by a process that died holding the home
  }
  return false;
}

int cycle(const std::string& dir) {
  std::mt19937 rng(static_cast<unsigned>(::getpid()));
  const std::string owner = dir + "/owner";
  long cycles = 0;
  say("ready");
  while (!stdin_done()) {
    std::error_code ec;
    auto p = make_pool(dir, ec);
    if (ec == std::errc::resource_unavailable_try_again) {
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 500));
      continue;
    }
    if (ec) return fail("pool::create", ec);
    if (!take_owner(owner)) return 5;
    {
      // One byte per time the home was held, for the test's count.
      const int fd = ::open((dir + "/held").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (fd >= 0) {
        (void)!::write(fd, "x", 1);
        ::close(fd);
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 300));
    ::unlink(owner.c_str());
    p.reset();
    ++cycles;
  }
  std::printf("cycles %ld\n", cycles);
  std::fflush(stdout);
  return 0;
}

// The latch modes' start: a registry slot in dir (company allowed) and the
// first 4 KiB of file mapped shared. 0, or the exit status to fail with.
int attach_and_map(const std::string& dir, const std::string& file,
                   std::unique_ptr<pagepool::internal::process_registry>& r, void*& m,
                   std::size_t len = 4096) {
  using pagepool::internal::process_registry;
  process_registry::attach_info info;
  if (auto ec = process_registry::attach(dir, 0, true, /*alone=*/false, r, info))
    return fail("attach", ec);
  const int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return 3;
  m = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  return m == MAP_FAILED ? 3 : 0;
}

int latch(const std::string& dir, const std::string& file) {
  using pagepool::internal::owned_latch;
  std::unique_ptr<pagepool::internal::process_registry> r;
  void* m = nullptr;
  if (const int rc = attach_and_map(dir, file, r, m)) return rc;
  auto* l = static_cast<owned_latch*>(m);
  auto* counter = reinterpret_cast<std::uint64_t*>(static_cast<char*>(m) + 64);
  const pagepool::internal::owner_oracle alive = r->oracle();
  const std::uint32_t me = r->owner_id();
  std::printf("ready %u\n", me);
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line == "lock") {
      (void)l->lock(me, alive);
      say("locked");
    } else if (line == "unlock") {
      l->unlock();
      say("unlocked");
    } else if (line.rfind("count ", 0) == 0) {
      const long n = std::stol(line.substr(6));
      for (long i = 0; i < n; ++i) {
        (void)l->lock(me, alive);
        // A read and a separate store: increments are lost unless the
        // latch excludes the other processes.
        const std::uint64_t v = std::atomic_ref<std::uint64_t>(*counter).load(std::memory_order_relaxed);
        if ((i & 63) == 0) std::this_thread::yield();
        std::atomic_ref<std::uint64_t>(*counter).store(v + 1, std::memory_order_relaxed);
        l->unlock();
      }
      say("counted");
    }
  }
  return 0;
}

int latch_churn(const std::string& dir, const std::string& file) {
  using pagepool::internal::owned_latch;
  std::unique_ptr<pagepool::internal::process_registry> r;
  void* m = nullptr;
  if (const int rc = attach_and_map(dir, file, r, m)) return rc;
  auto* l = static_cast<owned_latch*>(m);
  auto* rec = reinterpret_cast<pagepool::test::churn_record*>(static_cast<char*>(m) +
                                                          pagepool::test::churn_offset);
  // The record's fields are changed only under the latch, but the test reads
  // ops while helpers run, and a dead holder's taker reads what it left:
  // relaxed atomic accesses throughout.
  auto ld = [](auto& x) { return std::atomic_ref(x).load(std::memory_order_relaxed); };
  auto st = [](auto& x, auto v) { std::atomic_ref(x).store(v, std::memory_order_relaxed); };
  const pagepool::internal::owner_oracle alive = r->oracle();
  const std::uint32_t me = r->owner_id();
  std::mt19937 rng(static_cast<unsigned>(::getpid()));
  long ops = 0;
  say("ready");
  while (!stdin_done()) {
    const owned_latch::result res = l->lock(me, alive);
    const std::uint32_t owner = ld(rec->owner);
    if (res.how == owned_latch::outcome::from_dead) {
      // What a dead holder (or a taker that died before repairing) left.
      if (owner != 0 && alive.is_alive(owner)) {
        std::printf("broken owner %u alive at a takeover\n", owner);
        return 5;
      }
      st(rec->b, ld(rec->a));
      st(rec->repairs, ld(rec->repairs) + 1);
    } else if (owner != 0) {
      std::printf("broken owner %u at an ordinary acquisition\n", owner);
      return 5;
    }
    if (ld(rec->a) != ld(rec->b)) {
      std::printf("broken a %llu b %llu\n", static_cast<unsigned long long>(ld(rec->a)),
                  static_cast<unsigned long long>(ld(rec->b)));
      return 5;
    }
    st(rec->owner, me);
    st(rec->a, ld(rec->a) + 1);
    // Now and then a hold longer than a waiter's check_after (10 ms), so
    // that waiters ask about a live holder too: one taken for dead would
    // then change the record beside it, and the counters would part.
    if (rng() % 128 == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(12));
    else
      for (unsigned k = rng() % 4; k > 0; --k) std::this_thread::yield();
    st(rec->b, ld(rec->b) + 1);
    st(rec->ops, ld(rec->ops) + 1);
    st(rec->owner, 0u);
    l->unlock();
    ++ops;
  }
  std::printf("ops %ld\n", ops);
  std::fflush(stdout);
  return 0;
}

// "count": counters shared between processes (stats/sharded_counter.hpp).
int count(const std::string& dir, const std::string& file, long n, bool bare) {
  using namespace pagepool::internal;
  std::unique_ptr<process_registry> r;
  void* m = nullptr;
  if (const int rc = attach_and_map(dir, file, r, m, pagepool::test::shared_count_len)) return rc;
  auto* table = static_cast<shard_owner_table*>(m);
  auto* c = reinterpret_cast<sharded<pagepool::test::one_count>*>(static_cast<char*>(m) +
                                                                 pagepool::test::shared_count_offset);
  auto alive = [](const void* ctx, std::uint32_t id) noexcept {
    return static_cast<const process_registry*>(ctx)->owner_alive(id);
  };
  if (!bare && !attach_shard_table(*table, r->owner_id(), alive, r.get())) return 3;
  say("ready");
  std::string line;
  if (!std::getline(std::cin, line) || line != "go") return 2;
  std::vector<std::thread> ts;
  for (int t = 0; t < 3; ++t)
    ts.emplace_back([&] {
      for (long i = 0; i < n; ++i) c->add<&pagepool::test::one_count::n>();
    });
  for (auto& t : ts) t.join();
  say("counted");
  wait_for_eof();
  if (!bare) detach_shard_table(*table);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using pagepool::internal::process_registry;
  if (argc == 4 && std::string(argv[1]) == "latch") return latch(argv[2], argv[3]);
  if (argc == 4 && std::string(argv[1]) == "latch-churn") return latch_churn(argv[2], argv[3]);
  if ((argc == 5 || argc == 6) && std::string(argv[1]) == "count")
    return count(argv[2], argv[3], std::stol(argv[4]), argc == 6 && std::string(argv[5]) == "bare");
  if (argc != 3) return 2;
  const std::string cmd = argv[1], dir = argv[2];
  if (cmd == "pool" || cmd == "region-pool") {
    std::error_code ec;
    auto p = make_pool(dir, ec, cmd == "region-pool");
    if (ec) return fail("pool::create", ec);
    auto f = p->file_create();
    if (!f) return 3;
    if ((ec = f->open(dir + "/data", pagepool::open_flags::create, 0600, 4096))) return fail("open", ec);
    for (int round = 0; round < 2; ++round) {
      for (pagepool::pgno_t i = 0; i < 8; ++i) {
        pagepool::pgno_t n = i;
        void* page = nullptr;
        if ((ec = f->get(&n, pagepool::get_flags::create, &page))) return fail("get", ec);
        if ((ec = f->put(page))) return fail("put", ec);
      }
    }
    say("ready");
    wait_for_eof();
    return 0;
  }
  if (cmd == "slot" || cmd == "die-create" || cmd == "die-attach") {
    if (cmd == "die-create") pagepool::testing::set_kill_point(pagepool::testing::kill_point::registry_create);
    if (cmd == "die-attach") pagepool::testing::set_kill_point(pagepool::testing::kill_point::registry_attach);
    std::unique_ptr<process_registry> r;
    process_registry::attach_info info;
    if (auto ec = process_registry::attach(dir, 0, true, /*alone=*/false, r, info))
      return fail("attach", ec);
    say("ready");
    wait_for_eof();
    return 0;
  }
  if (cmd == "cycle") return cycle(dir);
  if (cmd == "fork-pool") {
    std::error_code ec;
    auto p = make_pool(dir, ec);
    if (ec) return fail("pool::create", ec);
    int sync_pipe[2];
    if (::pipe(sync_pipe) != 0) return 3;
    const pid_t child = ::fork();
    if (child < 0) return 3;
    if (child == 0) {
      // After fork's child handlers: the parent's registry descriptor is closed here.
      char line[64];
      std::snprintf(line, sizeof line, "child %d", static_cast<int>(::getpid()));
      say(line);
      const char b = 'x';
      (void)!::write(sync_pipe[1], &b, 1);
      wait_for_eof();
      ::_exit(p->forked() ? 0 : 4);
    }
    char b;
    (void)!::read(sync_pipe[0], &b, 1);
    say("ready");
    ::kill(::getpid(), SIGKILL);
  }
  return 2;
}
