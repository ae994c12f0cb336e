// tests/unit/share/owned_latch_test.cpp: the latch for memory several
// processes map (src/share/owned_latch.hpp): exclusion between threads and
// between exec'd processes checked by a counter that loses increments
// without it, a wake that crosses processes, a dead holder's latch taken
// over and named, a stopped holder left alone, a slot taken again by another
// process not hiding the dead holder, failchk's take_if_dead, and holders
// SIGKILLed at random while four processes churn a record under the latch.
#include "share/owned_latch.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "latch_churn.hpp"
#include "share/registry.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace pagepool::internal {
namespace {

using namespace std::chrono_literals;
using test::child_process;
using test::temp_dir;

// FILE in d, 4 KiB, mapped shared: the latch at 0, a counter at 64 (as the
// helper's "latch" mode maps it).
class shared_page {
 public:
  explicit shared_page(const temp_dir& d) : path_(d.file("latch")) {
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || ::ftruncate(fd, 4096) != 0) std::abort();
    m_ = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    if (m_ == MAP_FAILED) std::abort();
  }
  ~shared_page() { ::munmap(m_, 4096); }
  owned_latch& latch() { return *static_cast<owned_latch*>(m_); }
  std::uint64_t& counter() { return *reinterpret_cast<std::uint64_t*>(static_cast<char*>(m_) + 64); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  void* m_ = nullptr;
};

std::unique_ptr<process_registry> attach(const temp_dir& d) {
  std::unique_ptr<process_registry> r;
  process_registry::attach_info info;
  EXPECT_FALSE(process_registry::attach(d.path().string(), 0, true, false, r, info));
  return r;
}

// A helper in "latch" mode; returns its owner id (0 if it did not start).
std::uint32_t start(child_process& c) {
  const std::string line = c.read_line();
  if (line.rfind("ready ", 0) != 0) return 0;
  return static_cast<std::uint32_t>(std::stoul(line.substr(6)));
}
std::unique_ptr<child_process> latch_helper(const temp_dir& d, const shared_page& sp) {
  return std::make_unique<child_process>(std::vector<std::string>{
      PAGEPOOL_REGISTRY_HELPER, "latch", d.path().string(), sp.path()});
}

void bump(std::uint64_t& c) {
  const std::uint64_t v = std::atomic_ref<std::uint64_t>(c).load(std::memory_order_relaxed);
  std::this_thread::yield();
  std::atomic_ref<std::uint64_t>(c).store(v + 1, std::memory_order_relaxed);
}

// The usual scene: a directory with a registry this process is attached
// to, the shared page, and a helper process that holds the latch.
class OwnedLatchHeld : public ::testing::Test {
 protected:
  temp_dir d;
  shared_page sp{d};
  std::unique_ptr<process_registry> r = attach(d);
  std::unique_ptr<child_process> h = latch_helper(d, sp);
  std::uint32_t id = 0;  // the helper's owner id

  // Starts the helper and has it take the latch; false if it did not.
  bool take() {
    if (!r || (id = start(*h)) == 0) return false;
    return h->write_line("lock") && h->read_line() == "locked" && sp.latch().owner() == id;
  }
};

TEST(OwnedLatch, ThreadsOfOneProcessExcludeEachOther) {
  owned_latch l;
  std::uint64_t counter = 0;
  constexpr int threads = 4, each = 5000;
  std::atomic<int> waited{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < each; ++i) {
        const auto r = l.lock(owned_latch::private_owner, owner_oracle{});
        EXPECT_EQ(r.how, owned_latch::outcome::acquired);
        waited.fetch_add(r.waited, std::memory_order_relaxed);  // relaxed: a count, read after join
        bump(counter);
        l.unlock();
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(counter, std::uint64_t{threads} * each);
  EXPECT_GT(waited.load(std::memory_order_relaxed), 0);  // threads did wait (lock_slow ran)
  EXPECT_EQ(l.owner(), 0u);
}

TEST(OwnedLatch, ProcessesExcludeEachOther) {
  temp_dir d;
  shared_page sp(d);
  auto r = attach(d);
  ASSERT_TRUE(r);
  auto a = latch_helper(d, sp), b = latch_helper(d, sp);
  const std::uint32_t ia = start(*a), ib = start(*b);
  ASSERT_NE(ia, 0u);
  ASSERT_NE(ib, 0u);
  EXPECT_NE(ia, ib);
  EXPECT_NE(ia, r->owner_id());
  constexpr int each = 20000;
  ASSERT_TRUE(a->write_line("count " + std::to_string(each)));
  ASSERT_TRUE(b->write_line("count " + std::to_string(each)));
  for (int i = 0; i < each; ++i) {
    (void)sp.latch().lock(r->owner_id(), r->oracle());
    bump(sp.counter());
    sp.latch().unlock();
  }
  EXPECT_EQ(a->read_line(60s), "counted");
  EXPECT_EQ(b->read_line(60s), "counted");
  EXPECT_EQ(sp.counter(), 3u * each);
  a->close_stdin();
  b->close_stdin();
  EXPECT_EQ(a->wait(), 0);
  EXPECT_EQ(b->wait(), 0);
}

TEST_F(OwnedLatchHeld, AnotherProcessesUnlockWakesASleeper) {
  ASSERT_TRUE(take());
  EXPECT_EQ(sp.latch().owner(), id);
  // One sleep of a minute, no liveness check: only the helper's futex wake
  // can end it before the deadline (a private futex would not cross).
  owned_latch::wait_options o;
  o.spins = 0;
  o.slice = 60s;
  o.check_after = 3600s;
  o.deadline = 30s;
  std::atomic<bool> got{false};
  owned_latch::result res;
  std::thread waiter([&] {
    res = sp.latch().lock(r->owner_id(), r->oracle(), o);
    got.store(true, std::memory_order_relaxed);  // relaxed: a flag polled; res is read after join
  });
  std::this_thread::sleep_for(200ms);  // let it fall asleep
  EXPECT_FALSE(got.load(std::memory_order_relaxed));
  ASSERT_TRUE(h->write_line("unlock"));
  EXPECT_EQ(h->read_line(), "unlocked");
  // Woken, not at the end of its minute's sleep (20 s is only a bound for a
  // wake that never came; the wake takes microseconds).
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (!got.load(std::memory_order_relaxed) && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(got.load(std::memory_order_relaxed)) << "the other process's unlock did not wake the sleeper";
  waiter.join();
  EXPECT_EQ(res.how, owned_latch::outcome::acquired);
  EXPECT_TRUE(res.waited);
  EXPECT_EQ(sp.latch().owner(), r->owner_id());
  sp.latch().unlock();
  h->close_stdin();
  EXPECT_EQ(h->wait(), 0);
}

TEST_F(OwnedLatchHeld, ADeadHoldersLatchIsTakenOverAndNamed) {
  ASSERT_TRUE(take());
  EXPECT_TRUE(r->owner_alive(id));
  EXPECT_EQ(sp.latch().take_if_dead(r->owner_id(), r->oracle()), 0u);  // alive: left alone
  // Two waiters asleep behind it; then it dies holding the latch.
  std::vector<owned_latch::result> res(2);
  std::vector<std::thread> ws;
  for (int i = 0; i < 2; ++i)
    ws.emplace_back([&, i] {
      res[i] = sp.latch().lock(r->owner_id(), r->oracle());
      bump(sp.counter());
      std::this_thread::sleep_for(20ms);
      sp.latch().unlock();
    });
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(sp.latch().owner(), id);
  h->kill();
  for (auto& w : ws) w.join();
  EXPECT_FALSE(r->owner_alive(id));
  // Exactly one was told of the death, with the dead holder's id; the other
  // had the latch from it in the ordinary way.
  const int dead = (res[0].how == owned_latch::outcome::from_dead) +
                   (res[1].how == owned_latch::outcome::from_dead);
  EXPECT_EQ(dead, 1);
  for (const auto& x : res) {
    EXPECT_NE(x.how, owned_latch::outcome::timed_out);
    if (x.how == owned_latch::outcome::from_dead) {
      EXPECT_EQ(x.dead, id);
    }
  }
  EXPECT_EQ(sp.counter(), 2u);
  EXPECT_EQ(sp.latch().owner(), 0u);
}

TEST_F(OwnedLatchHeld, FailchkTakesADeadHoldersLatchAtOnce) {
  ASSERT_TRUE(take());
  h->kill();
  EXPECT_EQ(sp.latch().take_if_dead(r->owner_id(), r->oracle()), id);
  EXPECT_EQ(sp.latch().owner(), r->owner_id());
  EXPECT_EQ(sp.latch().take_if_dead(r->owner_id(), r->oracle()), 0u);  // ours now
  sp.latch().unlock();
  EXPECT_EQ(sp.latch().owner(), 0u);
}

TEST_F(OwnedLatchHeld, AStoppedHolderIsAliveAndKeepsItsLatch) {
  ASSERT_TRUE(take());
  ASSERT_EQ(::kill(h->pid(), SIGSTOP), 0);
  owned_latch::wait_options o;
  o.check_after = 5ms;  // asked many times before the deadline
  o.deadline = 300ms;
  const auto res = sp.latch().lock(r->owner_id(), r->oracle(), o);
  EXPECT_EQ(res.how, owned_latch::outcome::timed_out);
  EXPECT_EQ(sp.latch().owner(), id);
  EXPECT_EQ(sp.latch().take_if_dead(r->owner_id(), r->oracle()), 0u);
  ASSERT_EQ(::kill(h->pid(), SIGCONT), 0);
  ASSERT_TRUE(h->write_line("unlock"));
  EXPECT_EQ(h->read_line(), "unlocked");
  EXPECT_EQ(sp.latch().lock(r->owner_id(), r->oracle()).how, owned_latch::outcome::acquired);
  sp.latch().unlock();
  h->close_stdin();
  EXPECT_EQ(h->wait(), 0);
}

TEST(OwnedLatch, ASlotTakenAgainDoesNotReviveItsDeadHolder) {
  temp_dir d;
  shared_page sp(d);
  auto r = attach(d);  // slot 0
  ASSERT_TRUE(r);
  auto a = latch_helper(d, sp);
  const std::uint32_t ia = start(*a);
  ASSERT_NE(ia, 0u);
  ASSERT_TRUE(a->write_line("lock"));
  ASSERT_EQ(a->read_line(), "locked");
  a->kill();
  // The next attach reaps the dead slot and takes it (the lowest free one).
  auto b = latch_helper(d, sp);
  const std::uint32_t ib = start(*b);
  ASSERT_NE(ib, 0u);
  ASSERT_EQ(ib & 0xFFu, ia & 0xFFu) << "the newcomer should have the dead holder's slot";
  EXPECT_NE(ib, ia);
  EXPECT_TRUE(r->owner_alive(ib));
  EXPECT_FALSE(r->owner_alive(ia));
  owned_latch::wait_options o;
  o.deadline = 10s;  // were the slot's new holder taken for the dead one, this would time out
  const auto res = sp.latch().lock(r->owner_id(), r->oracle(), o);
  EXPECT_EQ(res.how, owned_latch::outcome::from_dead);
  EXPECT_EQ(res.dead, ia);
  sp.latch().unlock();
  b->close_stdin();
  EXPECT_EQ(b->wait(), 0);
}

TEST(OwnedLatch, OwnerIdsAreNeverZeroOrPrivateAndNeverRepeat) {
  temp_dir d;
  std::vector<std::uint32_t> ids;
  for (int i = 0; i < 20; ++i) {
    auto r = attach(d);
    ASSERT_TRUE(r);
    EXPECT_NE(r->owner_id(), 0u);
    EXPECT_NE(r->owner_id(), owned_latch::private_owner);
    EXPECT_EQ(r->owner_id() & ~owned_latch::owner_mask, 0u);
    EXPECT_TRUE(r->owner_alive(r->owner_id()));
    for (auto x : ids) EXPECT_NE(x, r->owner_id());
    ids.push_back(r->owner_id());
  }
  // Each of those detached: none is alive any more.
  auto r = attach(d);
  for (auto x : ids) EXPECT_FALSE(r->owner_alive(x));
}


// The latch's kill matrix at random moments: four exec'd helpers take the
// latch in turn and change a record under it (two counters that move
// together, the holder's id while it does); the test SIGKILLs one at a random
// moment every 0-3 ms and starts another. A taker from a dead holder repairs
// the record; any helper that finds it broken (counters apart, or a live
// owner) exits 5. Between every ten kills some helper must make progress
// (20 s deadline: nobody waits forever behind the dead). CI runs 150 kills;
// PAGEPOOL_LATCH_KILLS=N runs more.
TEST(OwnedLatch, HoldersKilledAtRandomAreTakenOverAndNeverBreakExclusion) {
  temp_dir d;
  shared_page sp(d);
  auto r = attach(d);
  ASSERT_TRUE(r);
  int kills = 150;
  if (const char* v = std::getenv("PAGEPOOL_LATCH_KILLS")) kills = std::atoi(v);
  auto* rec = reinterpret_cast<test::churn_record*>(reinterpret_cast<char*>(&sp.latch()) +
                                                    test::churn_offset);
  auto ops = [&] { return std::atomic_ref(rec->ops).load(std::memory_order_relaxed); };
  constexpr int nproc = 4;
  std::vector<std::unique_ptr<child_process>> procs;
  auto spawn = [&] {
    auto c = std::make_unique<child_process>(std::vector<std::string>{
        PAGEPOOL_REGISTRY_HELPER, "latch-churn", d.path().string(), sp.path()});
    EXPECT_EQ(c->read_line(), "ready");
    return c;
  };
  for (int i = 0; i < nproc; ++i) procs.push_back(spawn());
  std::mt19937 rng(2024);
  std::uint64_t seen = 0;
  for (int k = 0; k < kills; ++k) {
    if (k % 10 == 0) {
      const auto deadline = std::chrono::steady_clock::now() + 20s;
      while (ops() == seen && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
      ASSERT_GT(ops(), seen) << "no helper changed the record in 20 s (kill " << k << ")";
      seen = ops();
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    auto& victim = procs[rng() % nproc];
    ::kill(victim->pid(), SIGKILL);
    const int st = victim->wait();
    ASSERT_TRUE(WIFSIGNALED(st)) << "a helper ended on its own, status " << st << ": "
                                 << victim->read_line(100ms);
    victim = spawn();
  }
  long total = 0;
  for (auto& p : procs) {
    p->close_stdin();
    const std::string line = p->read_line();
    ASSERT_EQ(line.rfind("ops ", 0), 0u) << line;
    total += std::stol(line.substr(4));
    EXPECT_EQ(p->wait(), 0);
  }
  // The last word: a dead holder's latch may still be held; take it, and
  // repair as a helper would.
  const auto res = sp.latch().lock(r->owner_id(), r->oracle());
  ASSERT_NE(res.how, owned_latch::outcome::timed_out);
  auto ld = [](std::uint64_t& x) { return std::atomic_ref(x).load(std::memory_order_relaxed); };
  if (res.how == owned_latch::outcome::from_dead)
    std::atomic_ref(rec->b).store(ld(rec->a), std::memory_order_relaxed);
  EXPECT_EQ(ld(rec->a), ld(rec->b));
  // Every finished change counted once; a change a kill cut short moved a
  // (made whole by its taker) but not ops: at most one per takeover.
  const std::uint64_t repairs = ld(rec->repairs);
  EXPECT_GE(ld(rec->a), ops());
  EXPECT_LE(ld(rec->a) - ops(), repairs + 1);
  EXPECT_GT(repairs, 0u) << "no kill hit a holder: the takeover was not exercised";
  EXPECT_LE(repairs, static_cast<std::uint64_t>(kills));
  sp.latch().unlock();
  std::printf("kills %d, takeovers by helpers %llu, changes %llu (survivors at the end %ld)\n",
              kills, static_cast<unsigned long long>(repairs),
              static_cast<unsigned long long>(ops()), total);
}

}  // namespace
}  // namespace pagepool::internal
