// A DB_ENV opened without DB_PRIVATE keeps its pool in region files another
// process can map (issue 14, part 5): in the home, as Berkeley DB keeps its
// __db.00N files there, or with DB_SYSTEM_MEM in system shared memory, which
// needs a base key (DB_ENV->set_shm_key), as in Berkeley DB ("no base system
// shared memory ID specified"). pool::inspect reads such a pool from outside
// (here from the same process; tests/api/inspect_test.cpp does it from
// another); DB_ENV->remove removes every file, the shared memory's included.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "cxx_util.hpp"
#include "pagepool/pool.hpp"

namespace cxxtest {
namespace {

constexpr u_int32_t kShared = DB_CREATE | DB_INIT_MPOOL | DB_THREAD;

std::string last_message;
void keep_message(const DB_ENV*, const char*, const char* msg) { last_message = msg; }

DB_ENV* open_c_env(const std::string& home, u_int32_t flags, long shm_key, int* ret) {
  DB_ENV* env = nullptr;
  *ret = db_env_create(&env, 0);
  if (*ret != 0) return nullptr;
  env->set_errcall(env, keep_message);
  (void)env->set_cachesize(env, 0, 256 * 1024, 1);
  if (shm_key != -1) (void)env->set_shm_key(env, shm_key);
  last_message.clear();
  *ret = env->open(env, home.c_str(), flags, 0);
  if (*ret != 0) {
    env->close(env, 0);
    return nullptr;
  }
  return env;
}

/// Files of pagepool's (other than the registry) in `dir` whose names carry
/// the home's identity (region and file table files), or all of them.
std::size_t files_of(const std::string& dir, const std::string& home_tag = "") {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("__pagepool.", 0) != 0 || name == "__pagepool.registry") continue;
    if (!home_tag.empty() && name.rfind("__pagepool." + home_tag + ".", 0) != 0) continue;
    ++n;
  }
  return n;
}

/// The home's identity as its region files are named (share/region_file.hpp).
std::string home_tag(const std::string& home) {
  struct stat st {};
  if (::stat((home + "/__pagepool.registry").c_str(), &st) != 0) return "none";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llx",
                static_cast<unsigned long long>((static_cast<std::uint64_t>(st.st_dev) << 40) ^ st.st_ino));
  return buf;
}

/// Makes `n` pages of file `name` and gets each once more (n misses that
/// create, n hits).
void work(DB_ENV* env, const std::string& path, db_pgno_t n) {
  DB_MPOOLFILE* mpf = nullptr;
  ASSERT_EQ(0, env->memp_fcreate(env, &mpf, 0));
  ASSERT_EQ(0, mpf->open(mpf, path.c_str(), DB_CREATE, 0600, kPage));
  for (int round = 0; round < 2; ++round)
    for (db_pgno_t i = 0; i < n; ++i) {
      db_pgno_t p = i;
      void* page = nullptr;
      ASSERT_EQ(0, mpf->get(mpf, &p, nullptr, DB_MPOOL_CREATE, &page));
      ASSERT_EQ(0, mpf->put(mpf, page, DB_PRIORITY_UNCHANGED, 0));
    }
  ASSERT_EQ(0, mpf->close(mpf, 0));
}

TEST(EnvRegionFiles, WithoutDbPrivateThePoolIsInRegionFilesInTheHomeAndReadsFromOutside) {
  temp_dir d;
  const std::string home = d.path().string();
  int ret = 0;
  DB_ENV* env = open_c_env(home, kShared, -1, &ret);
  ASSERT_NE(nullptr, env) << db_strerror(ret) << ": " << last_message;
  work(env, home + "/f.db", 10);
  DB_MPOOL_STAT* gsp = nullptr;
  ASSERT_EQ(0, env->memp_stat(env, &gsp, nullptr, 0));
  pagepool::pool_view v;
  ASSERT_FALSE(pagepool::pool::inspect(home, v));
  EXPECT_TRUE(v.alive);
  EXPECT_EQ(v.pid, ::getpid());
  char real[PATH_MAX];
  ASSERT_NE(nullptr, ::realpath(home.c_str(), real));
  EXPECT_EQ(v.region_dir, real);
  EXPECT_EQ(v.stats.cache_hit, gsp->st_cache_hit);
  EXPECT_EQ(v.stats.cache_miss, gsp->st_cache_miss);
  EXPECT_EQ(v.stats.page_create, gsp->st_page_create);
  EXPECT_EQ(v.stats.pages, gsp->st_pages);
  EXPECT_EQ(10u, gsp->st_cache_hit);
  EXPECT_EQ(10u, gsp->st_page_create);
  std::free(gsp);
  EXPECT_GE(files_of(home), 3u);  // the pool file, a region, a file table chunk
  ASSERT_EQ(0, env->close(env, 0));
  EXPECT_EQ(0u, files_of(home));
  EXPECT_TRUE(pagepool::pool::inspect(home, v) == std::errc::no_such_file_or_directory);
}

TEST(EnvRegionFiles, DbSystemMemPutsThePoolInSystemSharedMemory) {
  if (!std::filesystem::is_directory("/dev/shm")) GTEST_SKIP() << "no /dev/shm on this system";
  temp_dir d;
  const std::string home = d.path().string();
  int ret = 0;
  DB_ENV* env = open_c_env(home, kShared | DB_SYSTEM_MEM, 42, &ret);
  ASSERT_NE(nullptr, env) << db_strerror(ret) << ": " << last_message;
  long key = 0;
  EXPECT_EQ(0, env->get_shm_key(env, &key));
  EXPECT_EQ(42, key);
  work(env, home + "/f.db", 4);
  pagepool::pool_view v;
  ASSERT_FALSE(pagepool::pool::inspect(home, v));
  EXPECT_EQ(v.region_dir, "/dev/shm");
  EXPECT_EQ(v.stats.cache_hit, 4u);
  const std::string tag = home_tag(home);
  EXPECT_GE(files_of("/dev/shm", tag), 2u);  // a region and a file table chunk
  EXPECT_EQ(1u, files_of(home));             // only the pool file is in the home
  ASSERT_EQ(0, env->close(env, 0));
  EXPECT_EQ(0u, files_of("/dev/shm", tag));
  EXPECT_EQ(0u, files_of(home));
}

// Berkeley DB: DB_SYSTEM_MEM without a base key is EINVAL ("no base system
// shared memory ID specified"); get_shm_key says none (-1) was set.
TEST(EnvRegionFiles, DbSystemMemWithoutAKeyIsEinval) {
  temp_dir d;
  DB_ENV* env = nullptr;
  ASSERT_EQ(0, db_env_create(&env, 0));
  long key = 0;
  EXPECT_EQ(0, env->get_shm_key(env, &key));
  EXPECT_EQ(-1, key);
  env->close(env, 0);
  int ret = 0;
  EXPECT_EQ(nullptr, open_c_env(d.path().string(), kShared | DB_SYSTEM_MEM, -1, &ret));
  EXPECT_EQ(EINVAL, ret);
  EXPECT_NE(last_message.find("set_shm_key"), std::string::npos) << last_message;
  EXPECT_EQ(0u, files_of(d.path().string()));
}

TEST(EnvRegionFiles, ADbPrivateEnvironmentKeepsNoFiles) {
  temp_dir d;
  int ret = 0;
  DB_ENV* env = open_c_env(d.path().string(), kShared | DB_PRIVATE, -1, &ret);
  ASSERT_NE(nullptr, env) << db_strerror(ret);
  pagepool::pool_view v;
  EXPECT_TRUE(pagepool::pool::inspect(d.path().string(), v) ==
              std::errc::no_such_file_or_directory);
  EXPECT_EQ(0u, files_of(d.path().string()));
  ASSERT_EQ(0, env->close(env, 0));
}

// A process killed with its environment open leaves its shared memory;
// DB_ENV->remove of the home removes it, where the pool file says it is.
TEST(EnvRegionFiles, RemoveTakesBackTheSharedMemoryOfAKilledProcess) {
  if (!std::filesystem::is_directory("/dev/shm")) GTEST_SKIP() << "no /dev/shm on this system";
  temp_dir d;
  const std::string home = d.path().string();
  int ready[2];
  ASSERT_EQ(0, ::pipe(ready));
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int r = 0;
    DB_ENV* env = open_c_env(home, kShared | DB_SYSTEM_MEM, 7, &r);
    const char c = env != nullptr ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    ::pause();  // killed here, the environment open
    _exit(0);
  }
  ::close(ready[1]);
  char c = 0;
  ASSERT_EQ(1, ::read(ready[0], &c, 1));
  ::close(ready[0]);
  ASSERT_EQ('y', c);
  ::kill(child, SIGKILL);
  int st = 0;
  ASSERT_EQ(child, ::waitpid(child, &st, 0));
  const std::string tag = home_tag(home);
  EXPECT_GE(files_of("/dev/shm", tag), 2u);
  pagepool::pool_view v;
  ASSERT_FALSE(pagepool::pool::inspect(home, v));
  EXPECT_FALSE(v.alive);
  DB_ENV* env = nullptr;
  ASSERT_EQ(0, db_env_create(&env, 0));
  EXPECT_EQ(0, env->remove(env, home.c_str(), 0));
  EXPECT_EQ(0u, files_of("/dev/shm", tag));
  EXPECT_EQ(0u, files_of(home));
}

}  // namespace
}  // namespace cxxtest
