// tests/unit/share/registry_test.cpp: the process registry of a pool home
// (src/share/registry.hpp): liveness by kernel-dropped locks, the life of a
// slot, deaths at named points, a foreign file, remove, permissions, fork.
// The other processes are exec'd (registry_helper.cpp), never only forked,
// except where fork itself is the subject.
#include "share/registry.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "pagepool/error.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace pagepool::internal {
namespace {

using test::child_process;
using test::temp_dir;
using info_t = process_registry::attach_info;

std::string reg_file(const temp_dir& d) { return d.file(process_registry::file_name); }

// Attaches with company allowed (the white-box view).
std::error_code attach(const temp_dir& d, std::unique_ptr<process_registry>& r, info_t& info,
                       bool alone = false, int timeout_ms = 10000) {
  return process_registry::attach(d.path().string(), 0, true, alone, r, info, timeout_ms);
}

// A helper process attached to d, started and seen ready.
std::unique_ptr<child_process> helper(const char* cmd, const temp_dir& d) {
  auto c = std::make_unique<child_process>(
      std::vector<std::string>{PAGEPOOL_REGISTRY_HELPER, cmd, d.path().string()});
  return c;
}

std::vector<pid_t> live(const temp_dir& d) {
  std::vector<process_registry::published> v;
  EXPECT_FALSE(process_registry::read_published(d.path().string(), v));
  std::vector<pid_t> pids;
  for (const auto& p : v) pids.push_back(p.pid);
  return pids;
}

TEST(Registry, AProcessIsSeenAliveUntilItDetaches) {
  temp_dir d;
  auto h = helper("slot", d);
  ASSERT_EQ(h->read_line(), "ready");
  EXPECT_EQ(live(d), std::vector<pid_t>{h->pid()});
  std::unique_ptr<process_registry> r;
  info_t info;
  ASSERT_FALSE(attach(d, r, info));
  EXPECT_EQ(info.others, 1u);
  EXPECT_EQ(info.other_pid, h->pid());
  EXPECT_FALSE(info.created);
  h->close_stdin();
  ASSERT_EQ(h->wait(), 0);
  std::uint32_t reaped = 9, n = 9;
  ASSERT_FALSE(r->failchk(&reaped, &n));
  EXPECT_EQ(reaped, 0u);  // it detached: nothing to take back
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(live(d), std::vector<pid_t>{::getpid()});
}

TEST(Registry, ADeadProcessIsTakenBackByFailchk) {
  temp_dir d;
  std::unique_ptr<process_registry> r;
  info_t info;
  ASSERT_FALSE(attach(d, r, info));
  EXPECT_TRUE(info.created);
  auto h = helper("slot", d);
  ASSERT_EQ(h->read_line(), "ready");
  std::uint32_t reaped = 9, n = 9;
  ASSERT_FALSE(r->failchk(&reaped, &n));
  EXPECT_EQ(reaped, 0u);
  EXPECT_EQ(n, 2u);
  const int st = h->kill();
  ASSERT_TRUE(WIFSIGNALED(st));
  ASSERT_FALSE(r->failchk(&reaped, &n));
  EXPECT_EQ(reaped, 1u);
  EXPECT_EQ(n, 1u);
  ASSERT_FALSE(r->failchk(&reaped, &n));
  EXPECT_EQ(reaped, 0u);  // taken back once
}

TEST(Registry, AloneIsRefusedWhileAnotherProcessIsAttachedAndAllowedAfterItDies) {
  temp_dir d;
  auto h = helper("slot", d);
  ASSERT_EQ(h->read_line(), "ready");
  std::unique_ptr<process_registry> r;
  info_t info;
  EXPECT_EQ(attach(d, r, info, /*alone=*/true), std::errc::resource_unavailable_try_again);
  EXPECT_EQ(r, nullptr);
  EXPECT_EQ(info.others, 1u);
  EXPECT_EQ(live(d), std::vector<pid_t>{h->pid()});  // the refusal attached nothing
  h->kill();
  ASSERT_FALSE(attach(d, r, info, /*alone=*/true));
  EXPECT_EQ(info.others, 0u);
  EXPECT_EQ(info.reaped, 1u);  // the stale pool: its dead process taken back at join
}

TEST(Registry, TwoAttachmentsInOneProcessAreTwoSlots) {
  temp_dir d;
  std::unique_ptr<process_registry> a, b;
  info_t info;
  ASSERT_FALSE(attach(d, a, info));
  ASSERT_FALSE(attach(d, b, info));
  EXPECT_EQ(info.others, 1u);
  EXPECT_NE(a->slot(), b->slot());
  a.reset();  // detaching one leaves the other's lock in place
  EXPECT_EQ(live(d).size(), 1u);
  std::unique_ptr<process_registry> c;
  EXPECT_EQ(attach(d, c, info, true), std::errc::resource_unavailable_try_again);
}

TEST(Registry, ACreatorKilledDuringCreateLeavesAFileTheNextAttachMakesAgain) {
  temp_dir d;
  auto h = helper("die-create", d);
  const int st = h->wait();
  ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) << st;
  ASSERT_TRUE(std::filesystem::exists(reg_file(d)));
  std::unique_ptr<process_registry> r;
  info_t info;
  ASSERT_FALSE(attach(d, r, info));
  EXPECT_TRUE(info.created);
  EXPECT_EQ(info.others, 0u);
}

TEST(Registry, ADeathHoldingTheLatchCostsTheNextAttachNoWait) {
  temp_dir d;
  auto h = helper("die-attach", d);
  const int st = h->wait();
  ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) << st;
  std::unique_ptr<process_registry> r;
  info_t info;
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_FALSE(attach(d, r, info, true, /*timeout_ms=*/60000));
  // The kernel dropped the dead holder's latch: no deadline was waited out.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
  EXPECT_EQ(info.reaped, 1u);  // its slot record was written before it died
  EXPECT_EQ(info.others, 0u);
}

TEST(Registry, ALatchHeldByALiveProcessIsWaitedForOnlyUntilTheDeadline) {
  temp_dir d;
  { std::unique_ptr<process_registry> r; info_t info; ASSERT_FALSE(attach(d, r, info)); }
  // Another open file description holds the latch byte (a stopped process).
  const int fd = ::open(reg_file(d).c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  struct flock fl{};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 1;
  ASSERT_EQ(::fcntl(fd, F_OFD_SETLK, &fl), 0);
  std::unique_ptr<process_registry> r;
  info_t info;
  EXPECT_EQ(attach(d, r, info, false, 100), std::errc::resource_unavailable_try_again);
  EXPECT_EQ(r, nullptr);
  ::close(fd);
  EXPECT_FALSE(attach(d, r, info, false, 100));
}

TEST(Registry, AFileOfAnotherVersionIsAMismatchAndIsLeftAlone) {
  temp_dir d;
  { std::unique_ptr<process_registry> r; info_t info; ASSERT_FALSE(attach(d, r, info)); }
  // Bump the version field (after the 8-byte magic).
  {
    std::fstream f(reg_file(d), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8);
    const std::uint32_t v = 99;
    f.write(reinterpret_cast<const char*>(&v), sizeof v);
  }
  const auto before = std::filesystem::file_size(reg_file(d));
  std::unique_ptr<process_registry> r;
  info_t info;
  EXPECT_EQ(attach(d, r, info), errc::version_mismatch);
  EXPECT_EQ(std::filesystem::file_size(reg_file(d)), before);
  std::vector<process_registry::published> v;
  EXPECT_EQ(process_registry::read_published(d.path().string(), v), errc::version_mismatch);
  // Not a registry at all.
  { std::ofstream(reg_file(d), std::ios::trunc) << "some other program's file, long enough to have a header"; }
  EXPECT_EQ(attach(d, r, info), errc::version_mismatch);
  // remove(force) clears the way.
  EXPECT_FALSE(process_registry::remove(d.path().string(), true, nullptr));
  EXPECT_FALSE(attach(d, r, info));
}

TEST(Registry, RemoveIsBusyWhileAProcessIsAttachedUnlessForced) {
  temp_dir d;
  const std::string home = d.path().string();
  EXPECT_FALSE(process_registry::remove(home, false, nullptr));  // nothing to remove
  auto h = helper("slot", d);
  ASSERT_EQ(h->read_line(), "ready");
  std::uint32_t n = 0;
  EXPECT_EQ(process_registry::remove(home, false, &n), std::errc::device_or_resource_busy);
  EXPECT_EQ(n, 1u);
  EXPECT_TRUE(std::filesystem::exists(reg_file(d)));
  EXPECT_FALSE(process_registry::remove(home, true, &n));
  EXPECT_FALSE(std::filesystem::exists(reg_file(d)));
  // A new registry starts empty; the forced-out process keeps its own.
  std::unique_ptr<process_registry> r;
  info_t info;
  ASSERT_FALSE(attach(d, r, info, true));
  EXPECT_TRUE(info.created);
  h->close_stdin();
  EXPECT_EQ(h->wait(), 0);
  r.reset();
  EXPECT_FALSE(process_registry::remove(home, false, nullptr));
  EXPECT_FALSE(std::filesystem::exists(reg_file(d)));
}

TEST(Registry, WithoutCreateAMissingRegistryIsENOENT) {
  temp_dir d;
  std::unique_ptr<process_registry> r;
  info_t info;
  EXPECT_EQ(process_registry::attach(d.path().string(), 0, false, false, r, info),
            std::errc::no_such_file_or_directory);
  EXPECT_FALSE(std::filesystem::exists(reg_file(d)));
}

TEST(Registry, TheCreationModeIsAppliedAndASymbolicLinkIsRefused) {
  temp_dir d;
  const mode_t old = ::umask(0);
  std::unique_ptr<process_registry> r;
  info_t info;
  ASSERT_FALSE(process_registry::attach(d.path().string(), 0600, true, false, r, info));
  ::umask(old);
  struct stat st;
  ASSERT_EQ(::stat(reg_file(d).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  r.reset();
  temp_dir e;
  std::filesystem::create_symlink(reg_file(d), reg_file(e));
  EXPECT_EQ(process_registry::attach(e.path().string(), 0, true, false, r, info),
            std::errc::too_many_symbolic_link_levels);
}

TEST(Registry, AnotherUsersPoolIsEACCES) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED LOUDLY: needs root to act as another user";
  temp_dir d;
  std::unique_ptr<process_registry> r;
  info_t info;
  ASSERT_FALSE(process_registry::attach(d.path().string(), 0600, true, false, r, info));
  ::chmod(d.path().c_str(), 0755);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(10);
    std::unique_ptr<process_registry> mine;
    info_t i;
    const auto ec = process_registry::attach(d.path().string(), 0, true, false, mine, i);
    ::_exit(ec == std::errc::permission_denied ? 0 : 11);
  }
  int st = 0;
  ASSERT_EQ(::waitpid(pid, &st, 0), pid);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
}

TEST(Registry, AForkedChildDoesNotKeepItsParentsSlot) {
  temp_dir d;
  auto h = helper("fork-pool", d);
  const std::string child_line = h->read_line();
  ASSERT_EQ(child_line.rfind("child ", 0), 0u) << child_line;
  const pid_t child = std::stoi(child_line.substr(6));
  ASSERT_EQ(h->read_line(), "ready");
  const int st = h->wait();
  ASSERT_TRUE(WIFSIGNALED(st)) << st;
  ASSERT_EQ(::kill(child, 0), 0);  // the child lives on, holding the parent's copies
  // The parent's slot died with it: the child's copy of its descriptor was
  // closed at fork, so its lock went with the parent.
  EXPECT_TRUE(live(d).empty());
  std::unique_ptr<process_registry> r;
  info_t info;
  ASSERT_FALSE(attach(d, r, info, true));
  EXPECT_EQ(info.reaped, 1u);
  h->close_stdin();  // the child then exits (not ours to wait for)
}

}  // namespace
}  // namespace pagepool::internal

namespace pagepool::internal {
namespace {

// Processes racing for one home while the test kills them at random moments
// (inside create, attach, detach, or while holding the registry latch or
// the home) and removes the registry when it can: never two pools attached
// at once (the helpers' owner file says so), nothing waits past its
// deadline (a helper that gets any error but EAGAIN fails the test), and at
// the end every death has been taken back. PAGEPOOL_REGISTRY_KILLS sets the
// number of kills (CI: the default; the long run in papers/design/processes.md).
TEST(Registry, RacingProcessesKilledAtRandomNeverShareAHome) {
  temp_dir d;
  const std::string home = d.path().string();
  int kills = 150;
  if (const char* v = std::getenv("PAGEPOOL_REGISTRY_KILLS")) kills = std::atoi(v);
  constexpr int nproc = 4;
  std::vector<std::unique_ptr<child_process>> procs;
  auto spawn = [&] {
    auto c = helper("cycle", d);
    EXPECT_EQ(c->read_line(), "ready");  // started: the kills land in its cycles
    return c;
  };
  auto held_count = [&] {
    std::error_code ec;
    const auto n = std::filesystem::file_size(d.file("held"), ec);
    return ec ? std::uintmax_t{0} : n;
  };
  for (int i = 0; i < nproc; ++i) procs.push_back(spawn());
  std::mt19937 rng(12345);
  int removed = 0, busy = 0;
  std::uintmax_t seen = 0;
  for (int k = 0; k < kills; ++k) {
    if (k % 10 == 0) {
      // Progress between kills, whatever the machine's speed: some process
      // gets the home within the deadline (none waits forever on the dead).
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (held_count() == seen && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      ASSERT_GT(held_count(), seen) << "no process got the home in 20 s (kill " << k << ")";
      seen = held_count();
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    auto& victim = procs[rng() % nproc];
    ::kill(victim->pid(), SIGKILL);
    const int st = victim->wait();
    ASSERT_TRUE(WIFSIGNALED(st)) << "a helper ended on its own, status " << st << ": "
                                 << victim->read_line(std::chrono::milliseconds(100));
    victim = spawn();
    if (k % 10 == 5) {
      const auto ec = process_registry::remove(home, false, nullptr);
      if (ec == std::errc::device_or_resource_busy)
        ++busy;
      else if (!ec)
        ++removed;
      else
        ADD_FAILURE() << "remove: " << ec.message();
    }
  }
  long cycles = 0;
  for (auto& p : procs) {
    p->close_stdin();
    const std::string line = p->read_line();
    ASSERT_EQ(line.rfind("cycles ", 0), 0u) << line;
    cycles += std::stol(line.substr(7));
    EXPECT_EQ(p->wait(), 0);
  }
  EXPECT_GT(cycles, 0);  // the survivors made progress
  const auto held = held_count();
  EXPECT_GE(held, static_cast<std::uintmax_t>(kills) / 10);  // the home changed hands between kills
  EXPECT_TRUE(live(d).empty());
  std::unique_ptr<process_registry> r;
  info_t info;
  ASSERT_FALSE(attach(d, r, info, true, 1000));
  std::uint32_t reaped = 9, n = 0;
  ASSERT_FALSE(r->failchk(&reaped, &n));
  EXPECT_EQ(reaped, 0u);  // the attach took back every dead slot
  EXPECT_EQ(n, 1u);
  std::printf("kills %d, removes %d (busy %d), the home held %ju times, slots reaped at the end %u\n",
              kills, removed, busy, held, info.reaped);
}

}  // namespace
}  // namespace pagepool::internal
