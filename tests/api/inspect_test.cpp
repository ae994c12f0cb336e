// tests/api/inspect_test.cpp: pool::inspect, a pool in region files read
// from its memory by another process (pagepool/pool.hpp, pool_view;
// src/share/pool_file.hpp). The other process is exec'd
// (inspect_helper.cpp): it says what its own stats() give, and the reader
// must find exactly that in its memory.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "api_util.hpp"
#include "stats_line.hpp"
#include "support/child_process.hpp"

namespace pagepool::apitest {
namespace {

using fields = std::map<std::string, std::uint64_t>;

fields parse_stats(const std::string& line) {
  fields m;
  std::istringstream in(line);
  std::string word;
  in >> word;  // "stats"
  while (in >> word) {
    const auto eq = word.find('=');
    m[word.substr(0, eq)] = std::stoull(word.substr(eq + 1));
  }
  return m;
}

/// What the helper printed: its stats line, its file lines, up to `end`.
struct said {
  fields stats;
  std::vector<std::string> files;
};
said read_said(test::child_process& h, const std::string& end) {
  said s;
  for (;;) {
    const std::string line = h.read_line();
    if (line.empty() || line == end) break;
    if (line.rfind("stats ", 0) == 0)
      s.stats = parse_stats(line);
    else if (line.rfind("file ", 0) == 0)
      s.files.push_back(line);
  }
  std::sort(s.files.begin(), s.files.end());
  return s;
}

std::vector<std::string> file_lines(const pool_view& v) {
  std::vector<std::string> out;
  for (const file_stats& f : v.files) out.push_back(test::file_line(f));
  std::sort(out.begin(), out.end());
  return out;
}

/// A pool of 16 frames in region files with its home in `dir`.
std::error_code region_pool(const std::string& dir, std::unique_ptr<pool>& p) {
  pool_options o;
  o.cache_frames = 16;
  o.home = dir;
  o.region_files = true;
  return pool::create(o, p);
}

std::size_t pagepool_files(const std::string& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    n += e.path().filename().string().rfind("__pagepool.", 0) == 0 &&
         e.path().filename() != "__pagepool.registry";
  return n;
}

// The helper's fixed work, read from its memory, is what its own stats()
// and file_statistics() say, field for field; with the region files in a
// directory apart from the home (the pool file says where).
TEST(PoolInspect, AnotherProcessReadsALivePoolFromItsMemoryExactly) {
  temp_dir home, regions;
  test::child_process h({PAGEPOOL_INSPECT_HELPER, home.path().string(), regions.path().string()});
  const said s = read_said(h, "ready");
  ASSERT_FALSE(s.stats.empty()) << "the helper said nothing";
  pool_view v;
  ASSERT_OK(pool::inspect(home.path().string(), v));
  EXPECT_EQ(v.pid, h.pid());
  EXPECT_TRUE(v.alive);
  EXPECT_EQ(test::stats_fields(v.stats), s.stats);
  EXPECT_EQ(file_lines(v), s.files);
  // What the work must have done, so that the equality above means something.
  EXPECT_EQ(s.stats.at("cache_hit"), 32u);
  EXPECT_GT(s.stats.at("rw_evict"), 0u);
  EXPECT_GT(s.stats.at("page_trickle"), 0u);
  EXPECT_GT(s.stats.at("pages_by_size_8192"), 0u);
  EXPECT_EQ(s.files.size(), 3u);  // c.db closed, its state kept for its written pages' fsync
  EXPECT_GT(pagepool_files(regions.path().string()), 2u);  // regions and a table chunk
  h.close_stdin();
  EXPECT_EQ(h.wait(), 0);
  // The pool went: its files with it.
  EXPECT_ERR(pool::inspect(home.path().string(), v), std::errc::no_such_file_or_directory);
  EXPECT_EQ(pagepool_files(home.path().string()), 0u);
  EXPECT_EQ(pagepool_files(regions.path().string()), 0u);
}

// Read while two threads of the helper work: every read succeeds, and the
// counts never go back; once they stop, the read is exact again.
TEST(PoolInspect, ReadingWhileThePoolWorksNeverFailsAndCountsOnlyGrow) {
  temp_dir home;
  test::child_process h({PAGEPOOL_INSPECT_HELPER, home.path().string()});
  (void)read_said(h, "ready");
  ASSERT_TRUE(h.write_line("churn"));
  std::uint64_t last_gets = 0;
  int grew = 0;
  for (int i = 0; i < 200; ++i) {
    pool_view v;
    ASSERT_OK(pool::inspect(home.path().string(), v));
    const std::uint64_t gets = v.stats.cache_hit + v.stats.cache_miss + v.stats.page_create;
    EXPECT_GE(gets, last_gets);
    grew += gets > last_gets;
    last_gets = gets;
    EXPECT_LE(v.stats.pages, 32u + 8u);  // never more pages than frames
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_GT(grew, 10) << "the reads did not see the work";
  ASSERT_TRUE(h.write_line("stop"));
  const said s = read_said(h, "stopped");
  pool_view v;
  ASSERT_OK(pool::inspect(home.path().string(), v));
  EXPECT_EQ(test::stats_fields(v.stats), s.stats);
  EXPECT_EQ(file_lines(v), s.files);
  h.close_stdin();
  EXPECT_EQ(h.wait(), 0);
}

// A creator killed leaves its pool as it was: it reads so, not alive. The
// next pool of the home replaces the pool file, and removing the home
// removes every file.
TEST(PoolInspect, APoolWhoseCreatorDiedReadsAsItWasLeft) {
  temp_dir home;
  const std::string dir = home.path().string();
  test::child_process h({PAGEPOOL_INSPECT_HELPER, dir});
  const said s = read_said(h, "ready");
  (void)h.kill();
  pool_view v;
  ASSERT_OK(pool::inspect(dir, v));
  EXPECT_FALSE(v.alive);
  EXPECT_EQ(test::stats_fields(v.stats), s.stats);

  std::unique_ptr<pool> p;
  ASSERT_OK(region_pool(dir, p));
  ASSERT_OK(pool::inspect(dir, v));
  EXPECT_EQ(v.pid, ::getpid());
  EXPECT_TRUE(v.alive);
  EXPECT_EQ(test::stats_fields(v.stats), test::stats_fields(p->stats()));
  EXPECT_EQ(v.stats.cache_hit, 0u);
  p.reset();
  ASSERT_OK(pool::remove(dir, false));
  EXPECT_EQ(pagepool_files(dir), 0u);
}

// In one process, threads working while it reads itself (ThreadSanitizer
// runs this: the reader's loads against the pool's stores); quiescent, the
// two folds agree.
TEST(PoolInspect, APoolReadingItselfAgreesWithItsOwnStatistics) {
  temp_dir home;
  const std::string dir = home.path().string();
  std::unique_ptr<pool> p;
  ASSERT_OK(region_pool(dir, p));
  auto f = p->file_create();
  ASSERT_OK(f->open(dir + "/d.db", open_flags::create, 0600, 4096));
  std::atomic<bool> stop{false};
  std::atomic<int> gets{0};
  std::thread worker([&] {
    for (pgno_t i = 0; !stop.load(std::memory_order_relaxed); i = (i + 7) % 40) {  // relaxed: a flag
      pgno_t n = i;
      void* page = nullptr;
      if (f->get(&n, get_flags::create, &page)) continue;
      (void)f->put(page, priority::unchanged, put_flags::dirty);
      gets.fetch_add(1, std::memory_order_relaxed);  // relaxed: a count the reader waits for
    }
  });
  // At least 50 reads, and until the worker has made some 200 gets (the
  // reads then race real work).
  for (int i = 0; i < 50 || gets.load(std::memory_order_relaxed) < 200; ++i) {  // relaxed: as above
    pool_view v;
    ASSERT_OK(pool::inspect(dir, v));
    EXPECT_LE(v.stats.pages, 16u);
  }
  stop.store(true, std::memory_order_relaxed);  // relaxed: a flag; join orders the rest
  worker.join();
  pool_view v;
  ASSERT_OK(pool::inspect(dir, v));
  EXPECT_EQ(test::stats_fields(v.stats), test::stats_fields(p->stats()));
  ASSERT_EQ(v.files.size(), 1u);
  EXPECT_EQ(v.files[0].file_name, dir + "/d.db");
  EXPECT_GT(v.files[0].cache_miss + v.files[0].page_create, 0u);
}

// spec: issue 14 (another process opens a pool's files by the names in its
// file states): a file opened by a relative path is named absolutely in the
// pool's memory, whatever the reader's working directory; an in-memory
// file's name is its key, kept as given
TEST(PoolInspect, FilesOpenedByRelativePathsAreNamedAbsolutely) {
  temp_dir home;
  const std::string dir = home.path().string();
  std::unique_ptr<pool> p;
  ASSERT_OK(region_pool(dir, p));
  const std::filesystem::path was = std::filesystem::current_path();
  std::filesystem::current_path(home.path());
  auto f = p->file_create();
  const std::error_code opened = f->open("sub/../rel.db", open_flags::create, 0600, 4096);
  auto m = p->file_create();
  ASSERT_OK(m->set_flags(file_flags::nofile, true));
  const std::error_code mem = m->open("mem-key", open_flags::create, 0, 4096);
  std::filesystem::current_path(was);  // before any assertion can return
  ASSERT_EQ(opened, std::errc::no_such_file_or_directory);  // sub/ does not exist
  ASSERT_OK(mem);
  std::filesystem::create_directory(home.path() / "sub");
  std::filesystem::current_path(home.path());
  f = p->file_create();
  const std::error_code opened2 = f->open("sub/../rel.db", open_flags::create, 0600, 4096);
  std::filesystem::current_path(was);
  ASSERT_OK(opened2);
  pool_view v;
  ASSERT_OK(pool::inspect(dir, v));
  std::set<std::string> names;
  for (const auto& fs : v.files) names.insert(fs.file_name);
  // (the working directory as the system gives it: the home's real path)
  const std::string real = std::filesystem::canonical(home.path()).string();
  EXPECT_EQ(names, (std::set<std::string>{real + "/rel.db", "mem-key"}));
}

// Reads racing pools being made and destroyed by another process, at every
// step of both: a read succeeds with figures a pool can have, or says the
// pool went (ENOENT) or is being made (EAGAIN); it never faults, and never
// reads one pool's pool file with another's region files as a success.
TEST(PoolInspect, ReadsRacingPoolsMadeAndDestroyedFailCleanlyOrReadAWholePool) {
  temp_dir home;
  test::child_process h({PAGEPOOL_INSPECT_HELPER, "cycle", home.path().string()});
  ASSERT_EQ(h.read_line(), "cycling");
  int ok = 0, gone = 0, making = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < deadline || ok < 20) {
    pool_view v;
    const std::error_code ec = pool::inspect(home.path().string(), v);
    if (!ec) {
      ++ok;
      EXPECT_EQ(v.pid, h.pid());
      EXPECT_LE(v.stats.pages, 32u);  // the largest of the cycle's pools
      EXPECT_LE(v.stats.pages, v.stats.frames);
      EXPECT_LE(v.files.size(), 1u);
    } else if (ec == std::errc::no_such_file_or_directory) {
      ++gone;
    } else if (ec == std::errc::resource_unavailable_try_again) {
      ++making;
    } else {
      ADD_FAILURE() << "inspect: " << ec.message();
      break;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline + std::chrono::seconds(20));
  }
  std::printf("reads: %d whole, %d of a pool gone, %d of one being made\n", ok, gone, making);
  EXPECT_GT(gone + making, 0) << "no read met a pool coming or going";
  h.close_stdin();
  EXPECT_EQ(h.wait(), 0);
}

/// The bytes of a live pool's pool file, written as the pool file of
/// another home after `change`.
void plant(const std::string& from, const std::string& to,
           const std::function<void(std::string&)>& change) {
  std::ifstream in(from + "/__pagepool.pool", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 64u);
  change(bytes);
  std::filesystem::remove(to + "/__pagepool.pool");
  std::ofstream out(to + "/__pagepool.pool", std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A pool file another version or build made (or one too short for its
// identity) is DB_VERSION_MISMATCH, one being made EAGAIN, none ENOENT; a region file that is not what the pool
// file says is DB_VERSION_MISMATCH before anything of it is mapped.
TEST(PoolInspect, AFileNotOfThisBuildIsVersionMismatchAndNoneIsENOENT) {
  temp_dir home, other;
  const std::string dir = home.path().string(), odir = other.path().string();
  std::unique_ptr<pool> p;
  ASSERT_OK(region_pool(dir, p));
  pool_view v;
  EXPECT_ERR(pool::inspect(odir, v), std::errc::no_such_file_or_directory);
  // A home with a pool, not in region files: nothing to read from outside.
  {
    temp_dir plain;
    pool_options po;
    po.cache_frames = 16;
    po.home = plain.path().string();
    std::unique_ptr<pool> q;
    ASSERT_OK(pool::create(po, q));
    EXPECT_ERR(pool::inspect(po.home, v), std::errc::no_such_file_or_directory);
  }
  plant(dir, odir, [](std::string& b) { b[0] ^= 1; });  // magic
  EXPECT_ERR(pool::inspect(odir, v), errc::version_mismatch);
  plant(dir, odir, [](std::string& b) { b[8] ^= 2; });  // version
  EXPECT_ERR(pool::inspect(odir, v), errc::version_mismatch);
  plant(dir, odir, [](std::string& b) { b[12] ^= 1; });  // layout
  EXPECT_ERR(pool::inspect(odir, v), errc::version_mismatch);
  plant(dir, odir, [](std::string& b) { b.resize(10); });  // short
  EXPECT_ERR(pool::inspect(odir, v), errc::version_mismatch);
  plant(dir, odir, [](std::string& b) { b.resize(100); });  // short, its identity whole
  EXPECT_ERR(pool::inspect(odir, v), errc::version_mismatch);
  // Being made: empty, or sized with its identity not all written yet.
  plant(dir, odir, [](std::string& b) { b.clear(); });
  EXPECT_ERR(pool::inspect(odir, v), std::errc::resource_unavailable_try_again);
  plant(dir, odir, [](std::string& b) { std::memset(&b[12], 0, 4); });
  EXPECT_ERR(pool::inspect(odir, v), std::errc::resource_unavailable_try_again);
  plant(dir, odir, [](std::string& b) { std::memset(&b[16], 0, 4); });  // not ready
  EXPECT_ERR(pool::inspect(odir, v), std::errc::resource_unavailable_try_again);
  // The live pool's own registry is not in `odir`: the copy needs one to say
  // whether its creator lives. A copy in the pool's own home, pointing at its
  // region files with a cap the region files do not have:
  // caps[] follows magic(8) version(4) layout(4) ready(4) pid(4) owner(4)
  // nregions(4) frame_size(4) file_base(4): at 40.
  ASSERT_OK(pool::inspect(dir, v));  // the real one reads
  std::string keep;
  {
    std::ifstream in(dir + "/__pagepool.pool", std::ios::binary);
    keep.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  const int fd = ::open((dir + "/__pagepool.pool").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  std::uint32_t cap = 0;
  std::memcpy(&cap, keep.data() + 40 + 4 * 3, 4);  // class 3: 4096-byte pages
  ASSERT_GT(cap, 0u);
  const std::uint32_t wrong = cap + 1;
  ASSERT_EQ(::pwrite(fd, &wrong, 4, 40 + 4 * 3), 4);
  EXPECT_ERR(pool::inspect(dir, v), errc::version_mismatch);
  ASSERT_EQ(::pwrite(fd, &cap, 4, 40 + 4 * 3), 4);
  ::close(fd);
  ASSERT_OK(pool::inspect(dir, v));
}

#ifdef PAGEPOOL_BENCH_EXE
// The tool reads the same (Berkeley DB's db_stat -m): `stat HOME --live`.
TEST(PoolInspect, TheToolPrintsALivePoolsCountsFromItsMemory) {
  temp_dir home;
  test::child_process h({PAGEPOOL_INSPECT_HELPER, home.path().string()});
  const said s = read_said(h, "ready");
  const std::string cmd = std::string(PAGEPOOL_BENCH_EXE) + " stat " + home.path().string() + " --live";
  std::string text;
  EXPECT_EQ(run_command(cmd, text), 0) << text;
  const std::string want = std::to_string(s.stats.at("cache_hit")) + " hits, " +
                           std::to_string(s.stats.at("cache_miss")) + " misses, " +
                           std::to_string(s.stats.at("page_create")) + " pages created";
  EXPECT_NE(text.find(want), std::string::npos) << text;
  EXPECT_NE(text.find("pid " + std::to_string(h.pid()) + " (alive)"), std::string::npos) << text;
  EXPECT_NE(text.find(home.path().string() + "/a.db"), std::string::npos) << text;
  h.close_stdin();
  EXPECT_EQ(h.wait(), 0);
}
#endif

}  // namespace
}  // namespace pagepool::apitest
