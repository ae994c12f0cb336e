// The environment's DB_CONFIG file (reference §1.2: "DB_CONFIG keys:
// set_cachesize, set_cache_max, set_mp_mmapsize, set_mp_max_openfd,
// set_mp_max_write, set_mp_mtxcount, set_mp_pagesize, set_mp_tablesize. The
// file is read at open and overrides API calls made earlier"), through the C
// API: each line is the method of its name, comments and blank lines are
// skipped, a line that is not a setting fails the open with EINVAL and
// changes nothing; settings of subsystems pagepool does not have are
// accepted without effect; set_open_flags changes the open's flags; and
// pagepool's own set_region_dir puts a shared environment's region files in
// a directory of the user's choosing (issue 14: "region files there, or in a
// configurable directory such as a tmpfs").
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "cxx_util.hpp"

namespace cxxtest {
namespace {

std::string last_message;
void keep_message(const DB_ENV*, const char*, const char* msg) { last_message = msg; }

void write_config(const temp_dir& home, const std::string& text) {
  std::ofstream(home.path() / "DB_CONFIG") << text;
}

// A handle with the error channel kept and a few settings made through the
// API first (which DB_CONFIG then overrides).
DB_ENV* make_env() {
  DB_ENV* env = nullptr;
  EXPECT_EQ(0, db_env_create(&env, 0));
  env->set_errcall(env, keep_message);
  EXPECT_EQ(0, env->set_cachesize(env, 0, 256 * 1024, 1));
  EXPECT_EQ(0, env->set_mp_mmapsize(env, 1000));
  last_message.clear();
  return env;
}

std::size_t pagepool_files(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    n += e.path().filename().string().rfind("__pagepool.", 0) == 0 ? 1 : 0;
  return n;
}

// spec: ref §1.2 DB_CONFIG keys: every memory pool key is applied at open
// and overrides the call made before it; comments, blank lines, leading
// blanks, CRLF ends and any case of a name are taken as Berkeley DB takes them
TEST(DbConfig, MemoryPoolKeysOverrideCallsMadeBeforeOpen) {
  temp_dir home;
  write_config(home,
               "# the pool's settings\n"
               "\n"
               "   set_cachesize 0 1048576 2\r\n"
               "SET_MP_MMAPSIZE 65536\n"
               "set_mp_max_openfd 7\n"
               "set_mp_max_write 5 250\n"
               "set_mp_pagesize 8192\n"
               "set_mp_tablesize 1000\n"
               "set_mp_mtxcount 100\n"
               "set_cache_max 0 4194304\n"
               "\t# an indented comment\n"
               "set_flags db_nommap\n"
               "set_shm_key 42\n");
  DB_ENV* env = make_env();
  ASSERT_EQ(0, env->open(env, home.path().c_str(), kOpenFlags, 0)) << last_message;
  u_int32_t gb = 1, b = 0, mb = 0;
  int n = 0;
  ASSERT_EQ(0, env->get_cachesize(env, &gb, &b, &n));
  EXPECT_EQ(n, 2);
  EXPECT_EQ(gb, 0u);
  EXPECT_GE(b, 1048576u);  // the file's size (with Berkeley DB's inflation), not the call's
  std::size_t mmap = 0;
  ASSERT_EQ(0, env->get_mp_mmapsize(env, &mmap));
  EXPECT_EQ(mmap, 65536u);
  int fds = 0, writes = 0;
  db_timeout_t sleep = 0;
  ASSERT_EQ(0, env->get_mp_max_openfd(env, &fds));
  EXPECT_EQ(fds, 7);
  ASSERT_EQ(0, env->get_mp_max_write(env, &writes, &sleep));
  EXPECT_EQ(writes, 5);
  EXPECT_EQ(sleep, 250u);
  u_int32_t v = 0;
  ASSERT_EQ(0, env->get_mp_pagesize(env, &v));
  EXPECT_EQ(v, 8192u);
  ASSERT_EQ(0, env->get_mp_tablesize(env, &v));
  EXPECT_GE(v, 1000u);
  ASSERT_EQ(0, env->get_mp_mtxcount(env, &v));
  EXPECT_EQ(v, 100u);
  ASSERT_EQ(0, env->get_cache_max(env, &gb, &mb));
  EXPECT_EQ(mb, 4194304u);
  u_int32_t flags = 0;
  ASSERT_EQ(0, env->get_flags(env, &flags));
  EXPECT_EQ(flags & DB_NOMMAP, static_cast<u_int32_t>(DB_NOMMAP));
  long key = 0;
  ASSERT_EQ(0, env->get_shm_key(env, &key));
  EXPECT_EQ(key, 42);
  EXPECT_EQ(0, env->close(env, 0));
}

// spec: ref §1.2 DB_CONFIG: a line that is not a setting is EINVAL from the
// open, reported, and the environment is not opened (no pool, no file made)
TEST(DbConfig, ALineThatIsNotASettingFailsTheOpen) {
  const struct {
    const char* line;
    const char* says;
  } cases[] = {
      {"set_cachesize 0 1048576\n", "line 1: set_cachesize: incorrect name-value pair"},
      {"set_mp_mmapsize -5\n", "line 1: set_mp_mmapsize: incorrect name-value pair"},
      {"set_mp_mmapsize 12x\n", "line 1: set_mp_mmapsize: incorrect name-value pair"},
      {"set_mp_max_openfd 99999999999\n", "line 1: set_mp_max_openfd: incorrect name-value pair"},
      {"set_flags db_no_such_flag\n", "line 1: set_flags: incorrect name-value pair"},
      {"set_flags db_nommap maybe\n", "line 1: set_flags: incorrect name-value pair"},
      {"set_mp_pagesize\n", "line 1: set_mp_pagesize: incorrect name-value pair"},
      {"# ok\nset_no_such_thing 1\n", "unrecognized name-value pair: set_no_such_thing 1"},
  };
  for (const auto& c : cases) {
    temp_dir home;
    write_config(home, c.line);
    DB_ENV* env = make_env();
    EXPECT_EQ(EINVAL, env->open(env, home.path().c_str(), DB_CREATE | DB_INIT_MPOOL, 0)) << c.line;
    EXPECT_NE(last_message.find(c.says), std::string::npos) << last_message;
    EXPECT_EQ(pagepool_files(home.path()), 0u) << c.line;
    EXPECT_EQ(0, env->close(env, 0));
  }
}

// spec: db.h (data directories are refused by their methods): a DB_CONFIG
// line calls the method, so it is refused the same way, and the open fails
TEST(DbConfig, ALineIsRefusedAsItsMethodIs) {
  temp_dir home;
  write_config(home, "set_data_dir data\n");
  DB_ENV* env = make_env();
  EXPECT_EQ(EINVAL, env->open(env, home.path().c_str(), kOpenFlags, 0));
  EXPECT_NE(last_message.find("data directories are not supported"), std::string::npos)
      << last_message;
  EXPECT_EQ(0, env->close(env, 0));
}

// spec: ref §1.2 DB_CONFIG (Berkeley DB accepts a subsystem's settings in an
// environment that does not start it): locking, logging, transaction,
// replication and mutex lines are checked for form and have no effect
TEST(DbConfig, OtherSubsystemsSettingsHaveNoEffect) {
  temp_dir home;
  write_config(home,
               "set_lk_max_locks 5000\nset_lk_detect db_lock_default\nset_lg_bsize 65536\n"
               "set_lg_dir logs\nset_tx_max 100\nmutex_set_max 10000\nrep_set_priority 3\n"
               "set_flags db_log_autoremove\nset_flags db_txn_nosync off\n");
  DB_ENV* env = make_env();
  // set_flags db_txn_nosync is the environment's method, which pagepool
  // refuses (only DB_NOMMAP and DB_DIRECT_DB apply to a memory pool).
  EXPECT_EQ(EINVAL, env->open(env, home.path().c_str(), kOpenFlags, 0));
  EXPECT_EQ(0, env->close(env, 0));
  write_config(home,
               "set_lk_max_locks 5000\nset_lk_detect db_lock_default\nset_lg_bsize 65536\n"
               "set_lg_dir logs\nset_tx_max 100\nmutex_set_max 10000\nrep_set_priority 3\n"
               "set_flags db_log_autoremove\n");
  env = make_env();
  ASSERT_EQ(0, env->open(env, home.path().c_str(), kOpenFlags, 0)) << last_message;
  EXPECT_EQ(0, env->close(env, 0));
  write_config(home, "set_lk_max_locks 5000 6000\n");  // the form is still checked
  env = make_env();
  EXPECT_EQ(EINVAL, env->open(env, home.path().c_str(), kOpenFlags, 0));
  EXPECT_EQ(0, env->close(env, 0));
}

// spec: DB_CONFIG set_open_flags (Berkeley DB): db_private makes the
// environment private whatever the open's flags said; db_init_rep asks for a
// subsystem pagepool refuses
TEST(DbConfig, SetOpenFlagsChangesTheOpensFlags) {
  temp_dir home;
  write_config(home, "set_open_flags db_private on\n");
  DB_ENV* env = make_env();
  ASSERT_EQ(0, env->open(env, home.path().c_str(), DB_CREATE | DB_INIT_MPOOL, 0)) << last_message;
  u_int32_t flags = 0;
  ASSERT_EQ(0, env->get_open_flags(env, &flags));
  EXPECT_EQ(flags & DB_PRIVATE, static_cast<u_int32_t>(DB_PRIVATE));
  EXPECT_EQ(pagepool_files(home.path()), 0u);  // private: no registry, no region files
  EXPECT_EQ(0, env->close(env, 0));
  write_config(home, "set_open_flags db_init_rep\n");
  env = make_env();
  EXPECT_EQ(EINVAL, env->open(env, home.path().c_str(), kOpenFlags, 0));
  EXPECT_NE(last_message.find("DB_INIT_REP"), std::string::npos) << last_message;
  EXPECT_EQ(0, env->close(env, 0));
}

// spec: issue 14 (region files "in a configurable directory such as a
// tmpfs"): set_region_dir puts a shared environment's region files there,
// its pool file and registry in the home; a directory that is not there
// fails the open with its errno
TEST(DbConfig, SetRegionDirPutsTheRegionFilesThere) {
  temp_dir home, regions;
  write_config(home, "set_region_dir " + regions.path().string() + "\n");
  DB_ENV* env = make_env();
  ASSERT_EQ(0, env->open(env, home.path().c_str(), DB_CREATE | DB_INIT_MPOOL | DB_THREAD, 0))
      << last_message;
  EXPECT_GE(pagepool_files(regions.path()), 2u);  // a region and the file table's first chunk
  EXPECT_TRUE(std::filesystem::exists(home.path() / "__pagepool.pool"));
  std::size_t region_files_in_home = 0;
  for (const auto& e : std::filesystem::directory_iterator(home.path()))
    region_files_in_home += e.path().filename().string().find(".region.") != std::string::npos;
  EXPECT_EQ(region_files_in_home, 0u);
  EXPECT_EQ(0, env->close(env, 0));
  EXPECT_EQ(pagepool_files(regions.path()), 0u);  // gone with the pool
  write_config(home, "set_region_dir " + (regions.path() / "none").string() + "\n");
  env = make_env();
  EXPECT_EQ(ENOENT, env->open(env, home.path().c_str(), DB_CREATE | DB_INIT_MPOOL, 0));
  EXPECT_NE(last_message.find("region directory"), std::string::npos) << last_message;
  EXPECT_EQ(0, env->close(env, 0));
}

}  // namespace
}  // namespace cxxtest
