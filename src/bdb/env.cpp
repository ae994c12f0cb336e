// src/bdb/env.cpp: the life of a DB_ENV: db_env_create (which assembles the
// method table from the files that implement it), DB_ENV->open, ->close,
// ->remove, the getters of what open was given (get_home, get_open_flags),
// and db_version.
//
// Life of a DB_ENV:
//
//   db_env_create --> configured --open--> open --close--> (freed)
//                        |                   |
//                        +--remove--> (freed)+ set_cachesize resizes,
//                        +--close---> (freed)  memp_* work
//
// Before-open setters return EINVAL after open ("method not permitted after
// handle's open method"); memp_* return EINVAL before open or when the
// environment was opened without DB_INIT_MPOOL.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <new>

#include "bdb/bdb_internal.hpp"

namespace pagepool::bdb {

namespace {

// Where DB_SYSTEM_MEM puts the pool's region files: the system's shared
// memory file system (POSIX shared memory; Berkeley DB uses System V
// segments keyed from set_shm_key instead: README, "Where pagepool differs").
constexpr const char* system_memory_dir = "/dev/shm";

std::uint32_t known_open_flags() {
  return DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE | DB_THREAD | DB_SYSTEM_MEM | DB_USE_ENVIRON |
         DB_USE_ENVIRON_ROOT | DB_LOCKDOWN | DB_INIT_MUTEX | DB_REGISTER | DB_FAILCHK;
}

struct unsupported_flag {
  std::uint32_t flag;
  const char* name;
};
constexpr unsupported_flag unsupported_open[] = {
    {DB_INIT_CDB, "DB_INIT_CDB"},   {DB_INIT_LOCK, "DB_INIT_LOCK"},
    {DB_INIT_LOG, "DB_INIT_LOG"},   {DB_INIT_REP, "DB_INIT_REP"},
    {DB_INIT_TXN, "DB_INIT_TXN"},   {DB_RECOVER, "DB_RECOVER"},
    {DB_RECOVER_FATAL, "DB_RECOVER_FATAL"},
};

// The home an open or a remove names: `home`, else $DB_HOME where the flags
// allow it, else "" (the current directory).
std::string resolve_home(const char* home, u_int32_t flags) {
  if (home != nullptr) return home;
  if (flags & (DB_USE_ENVIRON | DB_USE_ENVIRON_ROOT))
    if (const char* v = std::getenv("DB_HOME")) return v;
  return {};
}

// Why a pool with a home could not start, in the environment's words.
void report_home_error(dbenv_state* e, const std::string& home, std::error_code ec) {
  const char* h = home.empty() ? "." : home.c_str();
  if (ec == pagepool::errc::version_mismatch) {
    report(e, 0,
           "DB_ENV->open: %s: its pool registry (__pagepool.registry) was made by another "
           "version of pagepool or is not one; DB_ENV->remove with DB_FORCE removes it",
           h);
  } else if (ec == std::errc::resource_unavailable_try_again) {
    std::vector<int> pids;
    (void)pagepool::pool::processes(home.empty() ? "." : home, pids);
    if (pids.empty())
      report(e, EAGAIN, "DB_ENV->open: %s: the pool's registry stayed locked", h);
    else if (pids.front() == static_cast<int>(::getpid()))
      report(e, 0,
             "DB_ENV->open: %s: another DB_ENV handle of this process has the pool open, and "
             "this version of pagepool cannot yet share one home's pool between handles: use "
             "that handle, or DB_PRIVATE for a cache of this handle's own",
             h);
    else
      report(e, 0,
             "DB_ENV->open: %s: the pool is in use by process %d, and this version of pagepool "
             "cannot yet share a pool between processes (its pages would be cached twice); "
             "open with DB_PRIVATE for a cache private to this process",
             h, pids.front());
  } else if (ec == std::errc::no_such_file_or_directory) {
    report(e, 0, "DB_ENV->open: %s: no environment exists there (DB_CREATE creates one)", h);
  } else {
    report(e, to_int(ec), "DB_ENV->open: %s: the pool's registry", h);
  }
}

int get_home(DB_ENV* dbenv, const char** home) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (home) *home = e->home_set ? e->home.c_str() : nullptr;
  return 0;
}

int get_open_flags(DB_ENV* dbenv, u_int32_t* flags) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (!e->opened) {
    report(e, 0, "DB_ENV->get_open_flags: method not permitted before handle's open method");
    return EINVAL;
  }
  if (flags) *flags = e->open_flags;
  return 0;
}

int env_open(DB_ENV* dbenv, const char* home, u_int32_t flags, int mode) {
  dbenv_state* e = env_of(dbenv);
  {
    std::lock_guard g(e->mu);
    if (e->opened) {
      report(e, 0, "DB_ENV->open: the environment is already open");
      return EINVAL;
    }
  }
  // HOME/DB_CONFIG first, as Berkeley DB reads it before it makes anything:
  // its lines are the handle's own method calls, made now, so they override
  // calls made before the open (env_db_config.cpp).
  try {
    if (const int ret = read_db_config(dbenv, resolve_home(home, flags), flags)) return ret;
  } catch (...) {
    return ENOMEM;
  }
  std::lock_guard g(e->mu);
  if (e->opened) {
    report(e, 0, "DB_ENV->open: the environment is already open");
    return EINVAL;
  }
  for (const auto& u : unsupported_open) {
    if (flags & u.flag) {
      report(e, 0,
             "DB_ENV->open: %s: pagepool provides only the memory pool (DB_INIT_MPOOL); "
             "it has no transaction, locking, logging or replication subsystem",
             u.name);
      return EINVAL;
    }
  }
  if ((flags & ~known_open_flags()) != 0) {
    report(e, 0, "DB_ENV->open: unknown flags 0x%x", flags & ~known_open_flags());
    return EINVAL;
  }
  std::string h;
  try {
    h = resolve_home(home, flags);
  } catch (...) {
    return ENOMEM;
  }
  if (!h.empty()) {
    struct stat st;
    if (::stat(h.c_str(), &st) != 0) {
      const int rc = errno;
      report(e, rc, "DB_ENV->open: %s", h.c_str());
      return rc;
    }
    if (!S_ISDIR(st.st_mode)) {
      report(e, ENOTDIR, "DB_ENV->open: %s", h.c_str());
      return ENOTDIR;
    }
  }
  std::unique_ptr<pagepool::pool> p;
  if (flags & DB_INIT_MPOOL) {
    pagepool::pool_options o;
    o.frame_size = e->frame_size();
    o.regions = static_cast<unsigned>(e->ncache);
    o.cache_frames = std::max<std::size_t>(e->cache_bytes / o.frame_size, o.regions);
    if (e->cache_max != 0) {
      if (e->cache_max < e->cache_bytes) {
        report(e, 0, "DB_ENV->open: cache_max (%llu bytes) is below the cache size (%llu bytes)",
               static_cast<unsigned long long>(e->cache_max),
               static_cast<unsigned long long>(e->cache_bytes));
        return EINVAL;
      }
      o.cache_max_bytes = e->cache_max;
    }
    o.mmap_size = e->mmapsize;
    o.max_open_fd = e->max_openfd;
    o.max_write = e->maxwrite;
    o.max_write_sleep = std::chrono::microseconds(e->maxwrite_sleep);
    try {
      if (e->tmp_dir_set) o.temp_dir = e->tmp_dir;
      // Without DB_PRIVATE the pool is the environment's: its process
      // registers in the home (pagepool/pool.hpp, pool_options::home), and
      // its memory is in region files another process can map
      // (pool_options::region_files; pool::inspect reads them): in the home,
      // as Berkeley DB keeps its __db.00N region files there, or with
      // DB_SYSTEM_MEM in system shared memory (system_memory_dir).
      if (!(flags & DB_PRIVATE)) {
        o.home = h.empty() ? std::string(".") : h;
        o.region_files = true;
        if (flags & DB_SYSTEM_MEM) {
          // Berkeley DB: "no base system shared memory ID specified".
          if (e->shm_key == -1) {
            report(e, 0,
                   "DB_ENV->open: DB_SYSTEM_MEM needs a base shared memory key "
                   "(DB_ENV->set_shm_key)");
            return EINVAL;
          }
          o.region_dir = system_memory_dir;
        }
        // DB_CONFIG's set_region_dir names the directory itself.
        if (!e->region_dir.empty()) o.region_dir = e->region_dir;
        if (!o.region_dir.empty()) {
          struct stat st;
          const int rc = ::stat(o.region_dir.c_str(), &st) != 0 ? errno
                         : S_ISDIR(st.st_mode)                  ? 0
                                                                : ENOTDIR;
          if (rc != 0) {
            report(e, rc, "DB_ENV->open: the region directory %s", o.region_dir.c_str());
            return rc;
          }
        }
      }
    } catch (...) {
      return ENOMEM;
    }
    o.home_mode = mode;
    o.create_home = (flags & DB_CREATE) != 0;
    if (auto ec = pagepool::pool::create(o, p); ec && !o.home.empty() &&
        (ec == pagepool::errc::version_mismatch || ec == std::errc::resource_unavailable_try_again ||
         ec == std::errc::no_such_file_or_directory || ec == std::errc::permission_denied ||
         ec == std::errc::too_many_symbolic_link_levels)) {
      report_home_error(e, h, ec);
      return to_int(ec);
    } else if (ec) {
      report(e, to_int(ec), "DB_ENV->open: cannot create a cache of %llu bytes in %d regions",
             static_cast<unsigned long long>(e->cache_bytes), e->ncache);
      return to_int(ec);
    }
  }
  e->home = std::move(h);
  e->home_set = home != nullptr || !e->home.empty();
  e->pool = std::move(p);
  e->opened = true;
  e->open_flags = flags;
  if (e->pool) apply_callbacks(*e);
  // DB_FAILCHK: failchk runs as part of the open (the registry's dead slots
  // were already taken back by the attach; this counts them again at zero).
  if ((flags & DB_FAILCHK) && e->pool && !(flags & DB_PRIVATE)) (void)e->pool->failchk();
  return 0;
}

int env_close(DB_ENV* dbenv, u_int32_t flags) {
  dbenv_state* e = env_of(dbenv);
  if (e == nullptr) return EINVAL;
  int ret = 0;
  if (flags != 0 && flags != 0x1 /* DB_FORCESYNC */) {
    report(e, 0, "DB_ENV->close: unknown flags 0x%x", flags);
    ret = EINVAL;  // BDB: the handle is gone whatever the result
  }
  // DB_MPOOLFILEs still open are closed with the environment (BDB discards
  // them too); their pins are released.
  std::vector<mpf_state*> open_files;
  {
    std::lock_guard g(e->mu);
    open_files = e->files;
  }
  for (mpf_state* m : open_files) {
    const int rc = close_mpoolfile(m, true);
    if (rc != 0 && ret == 0) ret = rc;
  }
  if (e->pool && e->pool->forked()) {
    // A child's copy of its parent's environment: freed, nothing written.
    report_forked(e, "DB_ENV->close");
    ret = EINVAL;
  } else if (e->pool) {
    if (auto ec = e->pool->close(); ec && ret == 0) {
      ret = to_int(ec);
      report(e, ret, "DB_ENV->close: writing modified pages");
    }
    e->pool.reset();
  }
  delete e;
  return ret;
}

int env_remove(DB_ENV* dbenv, const char* home, u_int32_t flags) {
  dbenv_state* e = env_of(dbenv);
  if (e == nullptr) return EINVAL;
  int ret = 0;
  if (e->opened) {
    report(e, 0, "DB_ENV->remove: method not permitted after handle's open method");
    ret = EINVAL;
  } else if ((flags & ~static_cast<u_int32_t>(DB_FORCE | DB_USE_ENVIRON | DB_USE_ENVIRON_ROOT)) != 0) {
    report(e, 0, "DB_ENV->remove: unknown flags 0x%x", flags);
    ret = EINVAL;
  }
  if (e->opened) {
    // BDB: the handle may not be used again whatever remove returns.
    env_close(dbenv, 0);
    return ret;
  }
  if (ret == 0) {
    // The home's pool registry: EBUSY while a process is attached, unless
    // DB_FORCE (a process still attached keeps its pool; a new open then
    // starts another).
    std::string h;
    try {
      h = resolve_home(home, flags);
    } catch (...) {
      delete e;
      return ENOMEM;
    }
    if (auto ec = pagepool::pool::remove(h.empty() ? std::string(".") : h, (flags & DB_FORCE) != 0)) {
      ret = to_int(ec);
      if (ret == EBUSY)
        report(e, 0, "DB_ENV->remove: %s: the pool is in use by another process (DB_FORCE removes it anyway)",
               h.empty() ? "." : h.c_str());
      else
        report(e, ret, "DB_ENV->remove: %s", h.empty() ? "." : h.c_str());
    }
  }
  delete e;
  return ret;
}

}  // namespace

}  // namespace pagepool::bdb

using namespace pagepool::bdb;

extern "C" int db_env_create(DB_ENV** dbenvp, u_int32_t flags) {
  if (dbenvp == nullptr) return EINVAL;
  if (flags != 0 && flags != DB_CXX_NO_EXCEPTIONS) return EINVAL;
  auto* e = new (std::nothrow) dbenv_state();
  if (e == nullptr) return ENOMEM;
  DB_ENV& a = e->api;
  a.api_internal = e;
  a.close = env_close;
  a.get_home = get_home;
  a.get_open_flags = get_open_flags;
  a.open = env_open;
  a.remove = env_remove;
  init_env_config(a);
  init_env_messages(a);
  init_env_callbacks(a);
  init_env_memp(a);
  init_env_threads(a);
  init_env_settings(a);
  init_env_unsupported(a);
  *dbenvp = &a;
  return 0;
}

extern "C" char* db_version(int* major, int* minor, int* patch) {
  if (major) *major = DB_VERSION_MAJOR;
  if (minor) *minor = DB_VERSION_MINOR;
  if (patch) *patch = DB_VERSION_PATCH;
  return const_cast<char*>(DB_VERSION_STRING);
}
