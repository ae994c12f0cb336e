// tests/api/processes_test.cpp: pool_options::home and the process's place
// among others (pagepool/pool.hpp: home, remove, processes, failchk,
// forked). Pages are not yet shared between processes, so a pool with a
// home refuses company rather than cache the same files twice; and a pool
// used in a forked child refuses its methods and writes nothing.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api_util.hpp"
#include "support/child_process.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 4096;

std::unique_ptr<pool> home_pool(const std::string& home, std::error_code& ec) {
  pool_options o;
  o.cache_frames = 16;
  o.home = home;
  std::unique_ptr<pool> p;
  ec = pool::create(o, p);
  return p;
}

std::vector<int> attached(const std::string& home) {
  std::vector<int> v;
  EXPECT_OK(pool::processes(home, v));
  return v;
}

TEST(PoolHome, ASecondPoolOfTheSameHomeIsRefusedUntilTheFirstIsGone) {
  temp_dir d;
  const std::string home = d.path().string();
  std::error_code ec;
  auto a = home_pool(home, ec);
  ASSERT_OK(ec);
  EXPECT_EQ(attached(home), std::vector<int>{::getpid()});
  auto b = home_pool(home, ec);
  EXPECT_ERR(ec, std::errc::resource_unavailable_try_again);
  EXPECT_EQ(b, nullptr);
  a.reset();
  EXPECT_TRUE(attached(home).empty());
  b = home_pool(home, ec);
  EXPECT_OK(ec);
}

TEST(PoolHome, AnotherProcessesPoolIsRefusedUntilItDies) {
  temp_dir d;
  const std::string home = d.path().string();
  test::child_process h({PAGEPOOL_REGISTRY_HELPER, "pool", home});
  ASSERT_EQ(h.read_line(), "ready");
  EXPECT_EQ(attached(home), std::vector<int>{h.pid()});
  std::error_code ec;
  auto p = home_pool(home, ec);
  EXPECT_ERR(ec, std::errc::resource_unavailable_try_again);
  EXPECT_ERR(pool::remove(home, false), std::errc::device_or_resource_busy);
  const int st = h.kill();
  ASSERT_TRUE(WIFSIGNALED(st)) << st;
  p = home_pool(home, ec);  // the dead process's slot is taken back at join
  ASSERT_OK(ec);
  unsigned reaped = 9, live = 9;
  ASSERT_OK(p->failchk(&reaped, &live));
  EXPECT_EQ(reaped, 0u);
  EXPECT_EQ(live, 1u);
}

// What another process sees of a live pool: the helper made 8 pages (8 gets
// with create past the end: 8 creates) and hit each once; its publisher (every 10 ms) puts those numbers in the registry.
TEST(PoolHome, AnotherProcessReadsALivePoolsPublishedStatistics) {
  temp_dir d;
  const std::string home = d.path().string();
  test::child_process h({PAGEPOOL_REGISTRY_HELPER, "pool", home});
  ASSERT_EQ(h.read_line(), "ready");
  // The helper's work is done. A publication is stamped with the instant its
  // fold began and holds every count made before it; a fold that began
  // earlier may have scanned the frames (pages) before the work and folded
  // the hit counters after it (seen once under ASan: 8 hits, 0 pages). So
  // wait for one stamped after now.
  const auto done = std::chrono::system_clock::now();
  std::vector<process_info> procs;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    ASSERT_OK(pool::attached(home, procs));
    ASSERT_EQ(procs.size(), 1u);
    if (procs[0].has_stats && procs[0].published >= done) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "nothing published in 20 s";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const process_info& p = procs[0];
  EXPECT_EQ(p.pid, h.pid());
  EXPECT_EQ(p.stats.cache_hit, 8u);
  EXPECT_EQ(p.stats.page_create, 8u);
  EXPECT_EQ(p.stats.cache_miss, 0u);  // a page made past the end is a create, not a miss
  EXPECT_EQ(p.stats.pages, 8u);
  EXPECT_EQ(p.stats.frames, 16u);
  EXPECT_LE(p.attached, p.published);
  EXPECT_LE(p.published, std::chrono::system_clock::now());
#ifdef PAGEPOOL_BENCH_EXE  // built with the tools (PAGEPOOL_BUILD_TOOLS; CI does)
  // The same through the tool (BDB's db_stat -m).
  const std::string cmd = std::string(PAGEPOOL_BENCH_EXE) + " stat " + home;
  std::string text;
  EXPECT_EQ(run_command(cmd, text), 0) << text;
  EXPECT_NE(text.find("pid " + std::to_string(h.pid())), std::string::npos) << text;
  EXPECT_NE(text.find("8 hits, 0 misses, 8 pages created"), std::string::npos) << text;
#endif
  h.close_stdin();
  EXPECT_EQ(h.wait(), 0);
  ASSERT_OK(pool::attached(home, procs));
  EXPECT_TRUE(procs.empty());  // a detached process is gone from the list
}

// The publisher folds the statistics while threads work (ThreadSanitizer
// runs this); what it last published is a count the workers really made.
TEST(PoolHome, PublishingWhileThreadsWorkShowsTheirCounts) {
  temp_dir d;
  const std::string path = d.file("data");
  write_file(path, 32, kPs, 0);
  pool_options o;
  o.cache_frames = 16;
  o.home = d.path().string();
  o.publish_period = std::chrono::milliseconds(1);
  auto p = make_pool(o);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  std::atomic<std::uint64_t> gets{0};
  auto work = [&](unsigned seed) {
    for (int i = 0; i < 4000; ++i) {
      pgno_t n = (seed * 7 + static_cast<unsigned>(i) * 13) % 32;
      void* page = nullptr;
      if (f->get(&n, get_flags::none, &page)) continue;
      (void)f->put(page);
      gets.fetch_add(1, std::memory_order_relaxed);
    }
  };
  std::thread a(work, 1), b(work, 2);
  a.join();
  b.join();
  const auto done = std::chrono::system_clock::now();
  std::vector<process_info> procs;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {  // a publication that began after the work ended
    ASSERT_OK(pool::attached(o.home, procs));
    ASSERT_EQ(procs.size(), 1u);
    if (procs[0].has_stats && procs[0].published > done) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const pool_stats& s = procs[0].stats;
  EXPECT_EQ(s.cache_hit + s.cache_miss, gets.load());
  EXPECT_OK(f->close());
}

TEST(PoolHome, APoolThatPublishesNothingIsListedWithoutStatistics) {
  temp_dir d;
  pool_options o;
  o.cache_frames = 16;
  o.home = d.path().string();
  o.publish_period = std::chrono::milliseconds(0);
  auto p = make_pool(o);
  ASSERT_NE(p, nullptr);
  std::vector<process_info> procs;
  ASSERT_OK(pool::attached(o.home, procs));
  ASSERT_EQ(procs.size(), 1u);
  EXPECT_EQ(procs[0].pid, ::getpid());
  EXPECT_FALSE(procs[0].has_stats);
  EXPECT_ERR(pool::attached(d.file("nothing-here"), procs), std::errc::no_such_file_or_directory);
}

TEST(PoolHome, RemoveIsBusyWhileAttachedUnlessForcedAndNothingToRemoveIsSuccess) {
  temp_dir d;
  const std::string home = d.path().string();
  const std::string reg = d.file("__pagepool.registry");
  EXPECT_OK(pool::remove(home, false));
  std::error_code ec;
  auto p = home_pool(home, ec);
  ASSERT_OK(ec);
  EXPECT_TRUE(std::filesystem::exists(reg));
  EXPECT_ERR(pool::remove(home, false), std::errc::device_or_resource_busy);
  EXPECT_TRUE(std::filesystem::exists(reg));
  p.reset();
  EXPECT_TRUE(std::filesystem::exists(reg));  // a registry outlives its processes, as BDB's regions
  EXPECT_OK(pool::remove(home, false));
  EXPECT_FALSE(std::filesystem::exists(reg));
  p = home_pool(home, ec);
  ASSERT_OK(ec);
  EXPECT_OK(pool::remove(home, true));
  EXPECT_FALSE(std::filesystem::exists(reg));
  EXPECT_ERR(pool::remove("", false), std::errc::invalid_argument);
}

TEST(PoolHome, WithoutCreateHomeAMissingRegistryIsENOENT) {
  temp_dir d;
  pool_options o;
  o.cache_frames = 16;
  o.home = d.path().string();
  o.create_home = false;
  std::unique_ptr<pool> p;
  EXPECT_ERR(pool::create(o, p), std::errc::no_such_file_or_directory);
  o.home = d.file("no-such-dir");
  o.create_home = true;
  EXPECT_ERR(pool::create(o, p), std::errc::no_such_file_or_directory);
}

TEST(PoolHome, ABadConfigurationIsEINVALAndLeavesTheHomeAlone) {
  temp_dir d;
  pool_options o;
  o.cache_frames = 16;
  o.frame_size = 3000;  // not a power of two
  o.home = d.path().string();
  std::unique_ptr<pool> p;
  EXPECT_ERR(pool::create(o, p), std::errc::invalid_argument);
  EXPECT_FALSE(std::filesystem::exists(d.file("__pagepool.registry")));
}

TEST(PoolHome, FailchkNeedsAHome) {
  auto p = make_pool(8);
  ASSERT_NE(p, nullptr);
  EXPECT_ERR(p->failchk(), std::errc::invalid_argument);
  EXPECT_FALSE(p->forked());
}

// A pool made before fork(), used in the child: its methods refuse, so do
// its file handles' page methods (issue 14: "using a handle in a child after
// fork fails with a clear error"), and destroying it there writes none of
// the parent's dirty pages (a stale copy written by the child could
// overwrite a newer page the parent writes later). The child also writes
// through a page pointer the parent pinned before the fork: with region
// files (pool_options::region_files) the parent's memory is a shared
// mapping the child inherits, which the fork guard makes private, so that
// write must change only the child's copy.
void check_forked_child(bool with_home, bool region_files = false) {
  temp_dir d;
  const std::string path = d.file("data");
  write_file(path, 4, kPs, 0);
  pool_options o;
  o.cache_frames = 8;
  o.region_files = region_files;
  if (with_home) {
    o.home = d.path().string();
    // A writer thread the child does not have: destroying the pool there
    // must not wait for it (its period keeps it from writing in the parent).
    o.background_clean_percent = 50;
    o.background_period = std::chrono::hours(1);
  }
  auto p = make_pool(o);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  write_page(*f, 2, 7, get_flags::dirty);
  ASSERT_TRUE(page_reads(*f, 1, 0));  // resident before the fork
  void* held = nullptr;  // page 1, pinned across the fork
  pgno_t one = 1;
  ASSERT_OK(f->get(&one, get_flags::none, &held));
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // No gtest assertions in the child: its exit code says what failed.
    int bad = 0;
    if (!p->forked()) bad |= 1;
    if (p->sync() != std::errc::invalid_argument) bad |= 2;
    if (f->sync() != std::errc::invalid_argument) bad |= 4;
    if (p->file_create() != nullptr) bad |= 8;
    if (p->trickle(100, nullptr) != std::errc::invalid_argument) bad |= 16;
    if (p->close() != std::errc::invalid_argument) bad |= 32;
    // The handle's page methods: a resident page, one that is not, the
    // page_handle form (64), an optimistic read, and the put and set of the
    // pin held across the fork (128). (An exit status keeps 8 bits.)
    void* page = nullptr;
    for (pgno_t n : {pgno_t{1}, pgno_t{2}, pgno_t{3}}) {
      pgno_t m = n;
      if (f->get(&m, get_flags::none, &page) != std::errc::invalid_argument) bad |= 64;
    }
    page_handle ph;
    pgno_t two = 2;
    if (f->get(two, get_flags::none, ph) != std::errc::invalid_argument) bad |= 64;
    if (f->read_optimistic(2, [](const std::byte*) {}) != std::errc::invalid_argument)
      bad |= 128;
    if (f->set(held, put_flags::dirty) != std::errc::invalid_argument) bad |= 128;
    if (f->put(held) != std::errc::invalid_argument) bad |= 128;
    // A write through the pointer pinned before the fork: the child's copy.
    fill_page(held, kPs, 1, 99);
    f.reset();
    p.reset();  // must write nothing
    ::_exit(bad);
  }
  int st = 0;
  ASSERT_EQ(::waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st)) << st;
  EXPECT_EQ(WEXITSTATUS(st), 0) << "failed checks in the child (bits)";
  EXPECT_TRUE(disk_page_has_pattern(path, 2, kPs, 0)) << "the child wrote the parent's dirty page";
  EXPECT_FALSE(p->forked());
  if (with_home) {
    EXPECT_EQ(attached(o.home), std::vector<int>{::getpid()});
  }
  ASSERT_OK(f->put(held));  // the parent's pin is the parent's to put
  EXPECT_TRUE(page_reads(*f, 1, 0)) << "the child's write reached the parent's page";
  ASSERT_OK(p->sync());
  EXPECT_TRUE(disk_page_has_pattern(path, 2, kPs, 7));
  EXPECT_TRUE(disk_page_has_pattern(path, 1, kPs, 0));
  EXPECT_OK(f->close());
}

TEST(PoolFork, APrivatePoolInAForkedChildRefusesAndWritesNothing) { check_forked_child(false); }
TEST(PoolFork, APoolWithAHomeInAForkedChildRefusesAndWritesNothing) { check_forked_child(true); }
TEST(PoolFork, APoolInRegionFilesIsTheChildsOwnCopyAfterAFork) { check_forked_child(true, true); }

}  // namespace
}  // namespace pagepool::apitest
