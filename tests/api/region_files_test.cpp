// tests/api/region_files_test.cpp: pool_options::region_files (pagepool/pool.hpp;
// src/share/region_file.hpp): a pool whose memory is files mapped shared, the
// form processes will share. The pool behaves as a private one does; its
// files are where the options say, with the home's mode, gone with the pool;
// a directory without room is ENOSPC from the call that asked for memory
// (create, resize, the open of a file of a new page size) and changes
// nothing; files a killed process left are removed by the next pool of the
// home and by pool::remove; a pool whose process leaves while another is
// attached leaves its files to it.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api_util.hpp"
#include "support/child_process.hpp"
#include "support/small_tmpfs.hpp"

#include <set>

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 4096;

std::vector<std::string> region_files_in(const std::filesystem::path& dir) {
  std::vector<std::string> v;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.find(".region.") != std::string::npos) v.push_back(n);
  }
  std::sort(v.begin(), v.end());
  return v;
}

pool_options region_options(const std::string& home, std::size_t frames) {
  pool_options o;
  o.cache_frames = frames;
  o.home = home;
  o.region_files = true;
  o.publish_period = std::chrono::milliseconds(0);
  return o;
}

TEST(RegionFiles, NeedAHome) {
  pool_options o;
  o.cache_frames = 16;
  o.region_files = true;
  std::unique_ptr<pool> p;
  EXPECT_ERR(pool::create(o, p), std::errc::invalid_argument);
  EXPECT_EQ(p, nullptr);
}

TEST(RegionFiles, EachRegionIsAFileOfTheHomesModeWhileThePoolLives) {
  temp_dir home, other;
  pool_options o = region_options(home.path().string(), 48);
  o.regions = 3;
  o.home_mode = 0600;
  {
    auto p = make_pool(o);
    ASSERT_NE(p, nullptr);
    const auto names = region_files_in(home.path());
    ASSERT_EQ(names.size(), 3u);
    for (const auto& n : names) {
      EXPECT_EQ(n.rfind("__pagepool.", 0), 0u) << n;
      EXPECT_NE(n.find("." + std::to_string(::getpid()) + "."), std::string::npos) << n;
      struct stat st {};
      ASSERT_EQ(::lstat(home.file(n).c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 0777 & ~0600u, 0u) << n << " has more than the home's mode";
    }
  }
  EXPECT_TRUE(region_files_in(home.path()).empty()) << "the pool's files outlived it";
  // region_dir: the files go there instead.
  o.region_dir = other.path().string();
  {
    auto p = make_pool(o);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(region_files_in(other.path()).size(), 3u);
    EXPECT_TRUE(region_files_in(home.path()).empty());
  }
  EXPECT_TRUE(region_files_in(other.path()).empty());
  o.region_dir = home.file("no-such-dir");
  std::unique_ptr<pool> p;
  EXPECT_ERR(pool::create(o, p), std::errc::no_such_file_or_directory);
}

// Two homes whose pools both hold registry slot 0 put their region files in
// one directory (a common tmpfs): neither takes the other's for a dead
// predecessor's.
TEST(RegionFiles, HomesSharingARegionDirectoryKeepTheirOwnFiles) {
  temp_dir home_a, home_b, shared;
  pool_options oa = region_options(home_a.path().string(), 16);
  pool_options ob = region_options(home_b.path().string(), 16);
  oa.region_dir = ob.region_dir = shared.path().string();
  auto a = make_pool(oa);
  ASSERT_NE(a, nullptr);
  const auto a_files = region_files_in(shared.path());
  ASSERT_EQ(a_files.size(), 1u);
  auto b = make_pool(ob);
  ASSERT_NE(b, nullptr);
  const auto both = region_files_in(shared.path());
  EXPECT_EQ(both.size(), 2u);
  EXPECT_TRUE(std::find(both.begin(), both.end(), a_files[0]) != both.end())
      << "b's pool removed a's live file";
  b.reset();
  EXPECT_EQ(region_files_in(shared.path()), a_files);
}

// The pool serves pages as a private one does: more pages than frames
// (evictions of dirty pages), a resize each way, and the disk equal to what
// was written after a sync.
TEST(RegionFiles, PagesRoundTripThroughEvictionsAndResizes) {
  temp_dir home;
  pool_options o = region_options(home.path().string(), 16);
  o.regions = 2;
  auto p = make_pool(o);
  ASSERT_NE(p, nullptr);
  const std::string path = home.file("data");
  auto f = open_file(*p, path, open_flags::create, kPs);
  ASSERT_TRUE(f && f->is_open());
  for (pgno_t i = 0; i < 64; ++i) write_page(*f, i, 1);
  for (pgno_t i = 0; i < 64; ++i) ASSERT_TRUE(page_reads(*f, i, 1)) << i;
  ASSERT_OK(p->resize(48));
  for (pgno_t i = 0; i < 64; ++i) write_page(*f, i, 2, get_flags::dirty);
  ASSERT_OK(p->resize(8));
  for (pgno_t i = 0; i < 64; ++i) ASSERT_TRUE(page_reads(*f, i, 2)) << i;
  ASSERT_OK(p->sync());
  for (pgno_t i = 0; i < 64; ++i) EXPECT_TRUE(disk_page_has_pattern(path, i, kPs, 2)) << i;
  EXPECT_OK(f->close());
}

// Never a SIGBUS: a directory too small is ENOSPC from the call that wanted
// the memory, and that call changes nothing.
TEST(RegionFiles, ADirectoryWithoutRoomIsENOSPCAndChangesNothing) {
  test::small_tmpfs fs("384k");
  if (!fs.mounted()) GTEST_SKIP() << "SKIPPED LOUDLY: " << fs.why_not();
  temp_dir home;
  pool_options o = region_options(home.path().string(), 256);  // 1 MiB of pages
  o.region_dir = fs.path();
  o.cache_max_bytes = 1u << 20;
  std::unique_ptr<pool> p;
  EXPECT_ERR(pool::create(o, p), std::errc::no_space_on_device);
  EXPECT_EQ(p, nullptr);
  EXPECT_TRUE(region_files_in(fs.path()).empty()) << "a failed create left files";
  std::vector<int> pids;
  ASSERT_OK(pool::processes(home.path().string(), pids));
  EXPECT_TRUE(pids.empty()) << "a failed create stayed attached";

  o.cache_frames = 64;  // 256 KiB: fits
  p = make_pool(o);
  ASSERT_NE(p, nullptr);
  const std::string path = home.file("data");
  auto f = open_file(*p, path, open_flags::create, kPs);
  ASSERT_TRUE(f && f->is_open());
  for (pgno_t i = 0; i < 96; ++i) write_page(*f, i, 3);
  EXPECT_ERR(p->resize(256), std::errc::no_space_on_device);
  EXPECT_EQ(p->frames(), 64u) << "a failed resize changed the pool";
  for (pgno_t i = 0; i < 96; ++i) ASSERT_TRUE(page_reads(*f, i, 3)) << i;
  // A file of another page size needs regions of its own: no room either.
  auto big = p->file_create();
  ASSERT_NE(big, nullptr);
  EXPECT_ERR(big->open(home.file("big"), open_flags::create, 0, 2 * kPs),
             std::errc::no_space_on_device);
  EXPECT_FALSE(big->is_open());
  // A resize that fits still works after the failures.
  ASSERT_OK(p->resize(32));
  ASSERT_OK(p->resize(64));
  for (pgno_t i = 0; i < 96; ++i) ASSERT_TRUE(page_reads(*f, i, 3)) << i;
  ASSERT_OK(p->sync());
  for (pgno_t i = 0; i < 96; ++i) EXPECT_TRUE(disk_page_has_pattern(path, i, kPs, 3)) << i;
  EXPECT_OK(f->close());
}

// A process killed with its pool in region files leaves them (nothing ran
// to unlink them); the next pool to hold its registry slot removes them,
// and so does pool::remove.
TEST(RegionFiles, AKilledProcessesFilesGoWithTheNextHolderOfItsSlotOrRemove) {
  for (const bool by_remove : {false, true}) {
    SCOPED_TRACE(by_remove ? "pool::remove" : "the next holder of the slot");
    temp_dir d;
    const std::string home = d.path().string();
    test::child_process h({PAGEPOOL_REGISTRY_HELPER, "region-pool", home});
    ASSERT_EQ(h.read_line(), "ready");
    const auto left = region_files_in(d.path());
    ASSERT_EQ(left.size(), 1u);
    EXPECT_NE(left[0].find("." + std::to_string(h.pid()) + "."), std::string::npos) << left[0];
    const int st = h.kill();
    ASSERT_TRUE(WIFSIGNALED(st)) << st;
    EXPECT_EQ(region_files_in(d.path()), left) << "who removed the dead process's file?";
    if (by_remove) {
      ASSERT_OK(pool::remove(home, false));
      EXPECT_TRUE(region_files_in(d.path()).empty());
      EXPECT_FALSE(std::filesystem::exists(d.file("__pagepool.registry")));
    } else {
      auto p = make_pool(region_options(home, 16));  // takes slot 0 back
      ASSERT_NE(p, nullptr);
      const auto now = region_files_in(d.path());
      ASSERT_EQ(now.size(), 1u);
      EXPECT_NE(now[0], left[0]);
      EXPECT_NE(now[0].find("." + std::to_string(::getpid()) + "."), std::string::npos) << now[0];
    }
  }
}

// A pool destroyed while a handle is still open lingers (its memory stays
// until the handle goes; its slot is free); a new pool of the same home takes
// the same slot and removes the lingering pool's name (its mapping lives
// on), and the lingering pool, when it goes, removes nothing of the new one.
TEST(RegionFiles, ALingeringPoolAndItsSuccessorKeepTheirOwnMemory) {
  temp_dir d;
  const std::string home = d.path().string();
  auto a = make_pool(region_options(home, 16));
  ASSERT_NE(a, nullptr);
  auto fa = open_file(*a, d.file("a"), open_flags::create, kPs);
  ASSERT_TRUE(fa && fa->is_open());
  for (pgno_t i = 0; i < 8; ++i) write_page(*fa, i, 4);
  a.reset();  // writes the dirty pages; the handle keeps the memory; the slot is free
  for (pgno_t i = 0; i < 8; ++i) EXPECT_TRUE(disk_page_has_pattern(d.file("a"), i, kPs, 4)) << i;
  auto b = make_pool(region_options(home, 16));
  ASSERT_NE(b, nullptr);
  auto fb = open_file(*b, d.file("b"), open_flags::create, kPs);
  ASSERT_TRUE(fb && fb->is_open());
  for (pgno_t i = 0; i < 8; ++i) write_page(*fb, i, 5);
  EXPECT_EQ(region_files_in(d.path()).size(), 1u) << "b's file, a's name already removed";
  fa.reset();  // the lingering pool goes: its unlink must not take b's file
  EXPECT_EQ(region_files_in(d.path()).size(), 1u);
  for (pgno_t i = 0; i < 8; ++i) EXPECT_TRUE(page_reads(*fb, i, 5)) << i;
  ASSERT_OK(b->sync());
  for (pgno_t i = 0; i < 8; ++i) EXPECT_TRUE(disk_page_has_pattern(d.file("b"), i, kPs, 5)) << i;
}

std::size_t chunk_files_in(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    n += e.path().filename().string().find(".files.") != std::string::npos ? 1 : 0;
  return n;
}

// spec: issue 14 part 6 (a pool's memory is every attached process's): a
// pool whose process leaves while another process is attached to its home
// leaves its files (pool file, regions, file table) to it; the last process
// of a pool removes them (here a registry user that is not a pool, so they
// stay), and the next pool of the home, made with no process attached,
// clears whatever earlier pools of the home left
TEST(RegionFiles, APoolLeavesItsFilesToAProcessStillAttached) {
  temp_dir d;
  const std::string home = d.path().string();
  auto p = make_pool(region_options(home, 16));
  ASSERT_NE(p, nullptr);
  test::child_process h({PAGEPOOL_REGISTRY_HELPER, "slot", home});
  ASSERT_EQ(h.read_line(), "ready");
  const auto regions = region_files_in(d.path());
  ASSERT_EQ(regions.size(), 1u);
  ASSERT_EQ(chunk_files_in(d.path()), 1u);
  p.reset();
  EXPECT_EQ(region_files_in(d.path()), regions) << "removed under a process still attached";
  EXPECT_EQ(chunk_files_in(d.path()), 1u);
  EXPECT_TRUE(std::filesystem::exists(d.path() / "__pagepool.pool"));
  h.close_stdin();
  ASSERT_EQ(h.wait(), 0);
  auto q = make_pool(region_options(home, 16));
  ASSERT_NE(q, nullptr);
  const auto now = region_files_in(d.path());
  ASSERT_EQ(now.size(), 1u);
  EXPECT_NE(now[0], regions[0]) << "the next pool left the earlier pool's file";
  EXPECT_EQ(chunk_files_in(d.path()), 1u);
  q.reset();  // alone: the last process, it removes everything of its pool
  EXPECT_TRUE(region_files_in(d.path()).empty());
  EXPECT_EQ(chunk_files_in(d.path()), 0u);
  EXPECT_FALSE(std::filesystem::exists(d.path() / "__pagepool.pool"));
}

}  // namespace
}  // namespace pagepool::apitest
