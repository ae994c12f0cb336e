// src/bdb/cxx_mpool_2x.cpp: Berkeley DB 2.x's C++ memory-pool API (seed 001,
// DbMpoolFile(3), and its companion DbMpool(3)) over the 5.3 classes:
// DbMpool, and DbMpoolFile's static open and its 2.x get and put
// (db_cxx_mpool.h says which 2.x forms are 5.3 methods as they are).
//
// A DbMpool is an environment's pool: the application's DbEnv if it is
// already open, else a private DbEnv the DbMpool makes, configures from the
// application's (2.x's DbEnv only carried settings) and closes. Files are
// made through that DbEnv (memp_fcreate), so everything the 5.3 classes do
// for them (closing with the environment, error policy) holds.
//
// Process-wide state, under one mutex (`the_pools`):
//   - which DbMpool serves each C environment: the page-in/out trampolines
//     find their DbMpool's 2.x functions through it (the C layer's callback
//     carries the DB_ENV but no ftype, so there is one trampoline per ftype);
//   - the directories of open DbMpools, for unlink's EBUSY (another
//     process's pool in the directory is found by its registry).
#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "bdb/cxx_env_state.hpp"
#include "bdb/cxx_mpool_files.hpp"
#include "pagepool/pool.hpp"

namespace {

using pgio_2x = int (*)(db_pgno_t, void*, Dbt*);

/// A DbMpool's entry: its 2.x page-in and page-out functions by ftype.
struct pool_entry {
  DbMpool* mp = nullptr;
  std::array<pgio_2x, 128> in{}, out{};
};

struct pool_registry {
  std::shared_mutex mu;
  std::unordered_map<const DB_ENV*, pool_entry> by_env;
  std::unordered_multiset<std::string> dirs;
};

pool_registry& the_pools() {
  static pool_registry* r = new pool_registry;  // never destroyed (as cxx_env.cpp's)
  return *r;
}

/// Writes a message to outer's error channel, or to stderr without one (the
/// C layer's default).
void say(DbEnv* outer, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void say(DbEnv* outer, const char* fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  DB_ENV* c = outer != nullptr ? outer->get_DB_ENV() : nullptr;
  if (c != nullptr)
    c->errx(c, "%s", msg);
  else
    std::fprintf(stderr, "%s\n", msg);
}

/// The errcall of a DbEnv a DbMpool made: passes the message on to the
/// application's DbEnv (the DbMpool is the C handle's app_private).
void forward_error(const DbEnv* inner, const char* /*errpfx*/, const char* msg) {
  const DB_ENV* c = inner->get_const_DB_ENV();
  auto* outer = c != nullptr ? static_cast<DbEnv*>(c->app_private) : nullptr;
  if (outer != nullptr && outer->get_DB_ENV() != nullptr)
    outer->get_DB_ENV()->errx(outer->get_DB_ENV(), "%s", msg);
}

/// Gives inner (not yet open) the settings of outer (never opened).
void copy_settings(DB_ENV* outer, DB_ENV* inner) {
  u_int32_t g = 0, b = 0, flags = 0;
  int n = 0, maxwrite = 0, openfd = 0;
  db_timeout_t sleep = 0;
  std::size_t mmap = 0;
  const char* tmp = nullptr;
  if (outer->get_cachesize(outer, &g, &b, &n) == 0) (void)inner->set_cachesize(inner, g, b, n);
  if (outer->get_cache_max(outer, &g, &b) == 0) (void)inner->set_cache_max(inner, g, b);
  if (outer->get_mp_pagesize(outer, &b) == 0 && b != 0) (void)inner->set_mp_pagesize(inner, b);
  if (outer->get_mp_mmapsize(outer, &mmap) == 0) (void)inner->set_mp_mmapsize(inner, mmap);
  if (outer->get_mp_max_openfd(outer, &openfd) == 0 && openfd != 0)
    (void)inner->set_mp_max_openfd(inner, openfd);
  if (outer->get_mp_max_write(outer, &maxwrite, &sleep) == 0 && maxwrite != 0)
    (void)inner->set_mp_max_write(inner, maxwrite, sleep);
  if (outer->get_flags(outer, &flags) == 0 && (flags & (DB_NOMMAP | DB_DIRECT_DB)) != 0)
    (void)inner->set_flags(inner, flags & (DB_NOMMAP | DB_DIRECT_DB), 1);
  if (outer->get_tmp_dir(outer, &tmp) == 0 && tmp != nullptr) (void)inner->set_tmp_dir(inner, tmp);
}

/// The page-in or page-out function dbenv's DbMpool registered for ftype.
int call_pgio(DB_ENV* dbenv, int ftype, bool in, db_pgno_t pgno, void* page, DBT* cookie) {
  pgio_2x fn = nullptr;
  {
    pool_registry& r = the_pools();
    std::shared_lock lock(r.mu);
    auto it = r.by_env.find(dbenv);
    if (it != r.by_env.end()) fn = in ? it->second.in[ftype] : it->second.out[ftype];
  }
  return fn != nullptr ? fn(pgno, page, Dbt::get_Dbt(cookie)) : 0;
}

template <int Ftype>
int pgin_trampoline(DB_ENV* e, db_pgno_t pgno, void* page, DBT* cookie) {
  return call_pgio(e, Ftype, true, pgno, page, cookie);
}
template <int Ftype>
int pgout_trampoline(DB_ENV* e, db_pgno_t pgno, void* page, DBT* cookie) {
  return call_pgio(e, Ftype, false, pgno, page, cookie);
}

using pgio_c = int (*)(DB_ENV*, db_pgno_t, void*, DBT*);
template <std::size_t... F>
constexpr std::array<std::pair<pgio_c, pgio_c>, sizeof...(F)> trampolines(
    std::index_sequence<F...>) {
  return {{{&pgin_trampoline<static_cast<int>(F)>, &pgout_trampoline<static_cast<int>(F)>}...}};
}
constexpr auto trampoline_table = trampolines(std::make_index_sequence<128>{});

}  // namespace

// ---------------------------------------------------------------------- DbMpool

DbMpool::~DbMpool() { delete files_; }

int DbMpool::report(const char* method, int error) {
  return DbEnv::report(outer_, throws_, method, error);
}

int DbMpool::open(const char* dir, u_int32_t flags, int mode, DbEnv* dbenv, DbMpool** regionp) {
  const bool throws = dbenv != nullptr ? dbenv->throws() : true;
  auto fail = [&](int error) { return DbEnv::report(dbenv, throws, "DbMpool::open", error); };
  constexpr u_int32_t known = DB_CREATE | DB_MPOOL_PRIVATE | DB_NOMMAP | DB_THREAD;
  if (regionp == nullptr) {
    say(dbenv, "DbMpool::open: regionp is NULL");
    return fail(EINVAL);
  }
  if ((flags & ~known) != 0) {
    say(dbenv,
        "DbMpool::open: unknown flags 0x%x (DB_CREATE, DB_MPOOL_PRIVATE, DB_NOMMAP, "
        "DB_THREAD)",
        flags & ~known);
    return fail(EINVAL);
  }
  if (dbenv != nullptr && dbenv->get_DB_ENV() == nullptr) {
    say(nullptr, "DbMpool::open: the DbEnv is closed");
    return fail(EINVAL);
  }
  auto* mp = new (std::nothrow) DbMpool;
  if (mp == nullptr) return fail(ENOMEM);
  mp->files_ = new (std::nothrow) pagepool::bdb_detail::mpool_files;
  try {
    mp->dir_ = dir != nullptr ? dir : "";
  } catch (...) {
    delete mp;
    return fail(ENOMEM);
  }
  if (mp->files_ == nullptr) {
    delete mp;
    return fail(ENOMEM);
  }
  mp->outer_ = dbenv;
  mp->throws_ = throws;

  if (dbenv != nullptr && dbenv->state_->opened) {
    // 5.3 style: the application's environment and its pool.
    mp->env_ = dbenv;
    DB_ENV* c = dbenv->get_DB_ENV();
    {
      pool_registry& r = the_pools();
      std::unique_lock lock(r.mu);
      if (r.by_env.count(c) != 0) {
        lock.unlock();
        delete mp;
        say(dbenv, "DbMpool::open: another DbMpool already serves this DbEnv");
        return fail(EINVAL);
      }
      try {
        r.by_env.emplace(c, pool_entry{mp, {}, {}});
        r.dirs.insert(mp->dir_);
      } catch (...) {
        r.by_env.erase(c);
        lock.unlock();
        delete mp;
        return fail(ENOMEM);
      }
    }
    if (flags & DB_NOMMAP) (void)c->set_flags(c, DB_NOMMAP, 1);
    *regionp = mp;
    return 0;
  }

  // 2.x style: a private environment configured from the DbEnv's settings.
  auto* inner = new (std::nothrow) DbEnv(DB_CXX_NO_EXCEPTIONS);
  DB_ENV* c = inner != nullptr ? inner->get_DB_ENV() : nullptr;
  if (c == nullptr) {
    delete inner;
    delete mp;
    return fail(ENOMEM);
  }
  mp->env_ = inner;
  mp->owns_env_ = true;
  if (dbenv != nullptr) {
    copy_settings(dbenv->get_DB_ENV(), c);
    c->app_private = dbenv;  // for forward_error
    inner->set_errcall(forward_error);
  }
  if (flags & DB_NOMMAP) (void)c->set_flags(c, DB_NOMMAP, 1);
  // Without DB_MPOOL_PRIVATE the pool is the directory's, as a DB_ENV
  // opened without DB_PRIVATE (README, "Processes").
  const u_int32_t sharing = (flags & DB_MPOOL_PRIVATE) ? DB_PRIVATE : 0;
  int ret = inner->open(dir, (flags & (DB_CREATE | DB_THREAD)) | DB_INIT_MPOOL | sharing, mode);
  if (ret == 0) {
    pool_registry& r = the_pools();
    std::unique_lock lock(r.mu);
    try {
      r.by_env.emplace(c, pool_entry{mp, {}, {}});
      r.dirs.insert(mp->dir_);
    } catch (...) {
      r.by_env.erase(c);
      ret = ENOMEM;
    }
  }
  if (ret != 0) {
    delete inner;  // closes it
    delete mp;
    return fail(ret);
  }
  *regionp = mp;
  return 0;
}

int DbMpool::close() {
  int ret = 0;
  // Files still open through this pool: closed (their objects fail with
  // EINVAL until their own close deletes them).
  for (DbMpoolFile* f : files_->take_all()) {
    f->mpool_ = nullptr;
    if (owns_env_) continue;  // closing the environment below closes them
    if (f->imp_ != nullptr) {
      const int rc = f->imp_->close(f->imp_, 0);
      if (rc != 0 && ret == 0) ret = rc;
    }
    if (f->env_ != nullptr) f->env_->forget_file(f);
    f->imp_ = nullptr;
    f->env_ = nullptr;
  }
  DB_ENV* c = env_->get_DB_ENV();
  if (owns_env_) {
    const int rc = env_->close(0);  // writes modified pages; page-out still finds us
    if (rc != 0 && ret == 0) ret = rc;
    delete env_;
  }
  {
    pool_registry& r = the_pools();
    std::unique_lock lock(r.mu);
    r.by_env.erase(c);
    auto it = r.dirs.find(dir_);
    if (it != r.dirs.end()) r.dirs.erase(it);
  }
  DbEnv* outer = outer_;
  const bool throws = throws_;
  delete this;
  return DbEnv::report(outer, throws, "DbMpool::close", ret);
}

int DbMpool::unlink(const char* dir, int force, DbEnv* dbenv) {
  const bool throws = dbenv != nullptr ? dbenv->throws() : true;
  bool busy = false;
  {
    pool_registry& r = the_pools();
    std::shared_lock lock(r.mu);
    try {
      busy = r.dirs.count(dir != nullptr ? dir : "") != 0;
    } catch (...) {
      return DbEnv::report(dbenv, throws, "DbMpool::unlink", ENOMEM);
    }
  }
  if (busy && !force) {
    say(dbenv, "DbMpool::unlink: a pool in %s is still open", dir != nullptr ? dir : ".");
    return DbEnv::report(dbenv, throws, "DbMpool::unlink", EBUSY);
  }
  // The directory's registry (a pool opened without DB_MPOOL_PRIVATE):
  // EBUSY while another process is attached to it, unless forced.
  const std::error_code ec = pagepool::pool::remove(
      dir != nullptr && *dir != '\0' ? std::string(dir) : std::string("."), force != 0);
  if (ec) {
    if (ec == std::errc::device_or_resource_busy)
      say(dbenv, "DbMpool::unlink: a pool in %s is in use by another process",
          dir != nullptr ? dir : ".");
    return DbEnv::report(dbenv, throws, "DbMpool::unlink", ec.value());
  }
  return 0;
}

int DbMpool::db_register(int ftype, pgio_2x pgin, pgio_2x pgout) {
  DB_ENV* c = env_ != nullptr ? env_->get_DB_ENV() : nullptr;
  if (c == nullptr) return report("DbMpool::db_register", EINVAL);
  if (ftype < 1 || ftype > 127)  // the C layer says why, and changes nothing
    return report("DbMpool::db_register", c->memp_register(c, ftype, nullptr, nullptr));
  const auto slot = static_cast<std::size_t>(ftype);
  pgio_2x old_in = nullptr, old_out = nullptr;
  {
    pool_registry& r = the_pools();
    std::unique_lock lock(r.mu);
    pool_entry& e = r.by_env.at(c);  // there from open to close
    old_in = std::exchange(e.in[slot], pgin);
    old_out = std::exchange(e.out[slot], pgout);
  }
  const auto& t = trampoline_table[slot];
  const int ret = c->memp_register(c, ftype, pgin != nullptr ? t.first : nullptr,
                                   pgout != nullptr ? t.second : nullptr);
  if (ret != 0) {
    pool_registry& r = the_pools();
    std::unique_lock lock(r.mu);
    pool_entry& e = r.by_env.at(c);
    e.in[slot] = old_in;
    e.out[slot] = old_out;
  }
  return report("DbMpool::db_register", ret);
}

int DbMpool::trickle(int pct, int* nwrotep) {
  DB_ENV* c = env_ != nullptr ? env_->get_DB_ENV() : nullptr;
  return report("DbMpool::trickle", c != nullptr ? c->memp_trickle(c, pct, nwrotep) : EINVAL);
}

int DbMpool::sync(DB_LSN* lsn) {
  DB_ENV* c = env_ != nullptr ? env_->get_DB_ENV() : nullptr;
  const int ret = c != nullptr ? c->memp_sync(c, lsn) : EINVAL;
  if (ret == DB_INCOMPLETE) return ret;  // a result, not a failure
  return report("DbMpool::sync", ret);
}

namespace {

/// A copy of the NULL-terminated array fs in one block from db_malloc: the
/// pointers, then the structs, then the names.
DB_MPOOL_FSTAT** copy_fstats(DB_MPOOL_FSTAT** fs, void* (*db_malloc)(size_t)) {
  std::size_t n = 0, names = 0;
  for (; fs[n] != nullptr; ++n) names += std::strlen(fs[n]->file_name) + 1;
  const std::size_t ptrs = (n + 1) * sizeof(DB_MPOOL_FSTAT*);
  auto* block = static_cast<char*>(db_malloc(ptrs + n * sizeof(DB_MPOOL_FSTAT) + names));
  if (block == nullptr) return nullptr;
  auto** out = reinterpret_cast<DB_MPOOL_FSTAT**>(block);
  auto* structs = reinterpret_cast<DB_MPOOL_FSTAT*>(block + ptrs);
  char* name = block + ptrs + n * sizeof(DB_MPOOL_FSTAT);
  for (std::size_t i = 0; i < n; ++i) {
    structs[i] = *fs[i];
    const std::size_t len = std::strlen(fs[i]->file_name) + 1;
    std::memcpy(name, fs[i]->file_name, len);
    structs[i].file_name = name;
    name += len;
    out[i] = &structs[i];
  }
  out[n] = nullptr;
  return out;
}

}  // namespace

int DbMpool::stat(DB_MPOOL_STAT** gsp, DB_MPOOL_FSTAT* (*fsp)[], void* (*db_malloc)(size_t)) {
  DB_ENV* c = env_ != nullptr ? env_->get_DB_ENV() : nullptr;
  if (c == nullptr) return report("DbMpool::stat", EINVAL);
  // 2.x passes the array's address as a pointer to an array of unknown
  // bound; what is stored through it is the array's first element's address.
  auto** fspp = reinterpret_cast<DB_MPOOL_FSTAT***>(fsp);
  DB_MPOOL_STAT* g = nullptr;
  DB_MPOOL_FSTAT** f = nullptr;
  int ret = c->memp_stat(c, gsp != nullptr ? &g : nullptr, fspp != nullptr ? &f : nullptr, 0);
  if (ret != 0) return report("DbMpool::stat", ret);
  if (db_malloc != nullptr) {
    // memp_stat allocated with the environment's allocator: copy into
    // db_malloc's blocks and free those.
    void (*env_free)(void*) = nullptr;
    (void)c->get_alloc(c, nullptr, nullptr, &env_free);
    if (env_free == nullptr) env_free = std::free;
    DB_MPOOL_STAT* g2 = nullptr;
    DB_MPOOL_FSTAT** f2 = nullptr;
    if (g != nullptr && (g2 = static_cast<DB_MPOOL_STAT*>(db_malloc(sizeof *g))) != nullptr)
      *g2 = *g;
    if (f != nullptr) f2 = copy_fstats(f, db_malloc);
    const bool short_of_memory = (g != nullptr && g2 == nullptr) || (f != nullptr && f2 == nullptr);
    env_free(g);
    env_free(f);
    if (short_of_memory) {
      // Give back what db_malloc gave: nothing is returned on failure. The
      // application's allocator has no free here; 2.x leaves this to it too,
      // so only the block that cannot reach the caller is a loss.
      return report("DbMpool::stat", ENOMEM);
    }
    g = g2;
    f = f2;
  }
  if (gsp != nullptr) *gsp = g;
  if (fspp != nullptr) *fspp = f;
  return 0;
}

// ----------------------------------------------------- DbMpoolFile, the 2.x forms

int DbMpoolFile::open(DbMpool* mp, const char* file, int ftype, int flags, int mode,
                      size_t pagesize, int lsn_offset, Dbt* pgcookie, u_int8_t* uid,
                      DbMpoolFile** mpfp) {
  if (mp == nullptr || mp->env_ == nullptr || mpfp == nullptr) {
    say(mp != nullptr ? mp->outer_ : nullptr, "DbMpoolFile::open: %s is NULL",
        mpfp == nullptr ? "mpf" : "mp");
    return DbEnv::report(mp != nullptr ? mp->outer_ : nullptr, mp != nullptr ? mp->throws_ : true,
                         "DbMpoolFile::open", EINVAL);
  }
  DbMpoolFile* f = nullptr;
  int ret = mp->env_->memp_fcreate(&f, 0);
  if (ret != 0) return mp->report("DbMpoolFile::open", ret);
  f->throws_ = false;  // the steps report nothing: this method reports once
  if (ftype != 0) ret = f->set_ftype(ftype);
  if (ret == 0 && lsn_offset != -1) ret = f->set_lsn_offset(lsn_offset);
  if (ret == 0 && pgcookie != nullptr) ret = f->set_pgcookie(pgcookie);
  if (ret == 0 && uid != nullptr) ret = f->set_fileid(uid);
  if (ret == 0) ret = f->open(file, static_cast<u_int32_t>(flags), mode, pagesize);
  if (ret == 0 && !mp->files_->add(f)) ret = ENOMEM;
  if (ret != 0) {
    (void)f->close(0);  // deletes it
    return mp->report("DbMpoolFile::open", ret);
  }
  f->throws_ = mp->throws_;
  f->mpool_ = mp;
  *mpfp = f;
  return 0;
}

int DbMpoolFile::get(db_pgno_t* pgnoaddr, int flags, void** pagep) {
  int ret = imp_ != nullptr
                ? imp_->get(imp_, pgnoaddr, nullptr, static_cast<u_int32_t>(flags), pagep)
                : EINVAL;
  if (ret == DB_PAGE_NOTFOUND) {
    // 2.x: "The requested page does not exist and DB_MPOOL_CREATE was not set."
    say(env_, "DbMpoolFile::get: page %lu does not exist and DB_MPOOL_CREATE was not set",
        pgnoaddr != nullptr ? static_cast<unsigned long>(*pgnoaddr) : 0ul);
    ret = EINVAL;
  }
  return report("DbMpoolFile::get", ret);
}

int DbMpoolFile::put(void* pgaddr, int flags) {
  return report("DbMpoolFile::put", imp_ != nullptr ? imp_->put(imp_, pgaddr, DB_PRIORITY_UNCHANGED,
                                                                static_cast<u_int32_t>(flags))
                                                    : EINVAL);
}
