// src/bdb/cxx_env.cpp: DbEnv (db_cxx.h) over the C DB_ENV of db.h.
//
// Finding the DbEnv of a DB_ENV. The C struct has no field for the C++ layer
// (api_internal is the C layer's, app_private the application's), so a
// process-wide table maps each live DB_ENV* to its DbEnv's state. It serves
// DbEnv::get_DbEnv and the C callbacks (errcall, msgcall) that must hand the
// application's C++ callback a DbEnv. Entries are added when the C handle is
// made and removed after it is freed (close, remove, destruction), under a
// reader-writer lock, so lookups from any thread see only live environments.
//
// Synchronization edges (papers/design/memory-ordering.md):
//   (CB1) set_errcall / set_msgcall store the application's C++ callback,
//         set_error_stream / set_message_stream its std::ostream* [release];
//         the trampolines and the getters load them [acquire]. Whatever the setting thread did before the set (the
//         state its callback reads) happens-before a call of that callback
//         from another thread, and the stream's construction happens-before
//         a message written to it. pagepool's own data needs no edge here;
//         the edge is the application's.
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <new>
#include <ostream>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "db_cxx.h"

#include "bdb/cxx_env_state.hpp"

using pagepool::bdb_detail::env_state;

namespace {

// DB_ENV* -> state of its DbEnv. Never destroyed, so that a DbEnv with static
// storage duration can still unregister at exit.
struct env_registry {
  std::shared_mutex mu;
  std::unordered_map<const DB_ENV*, env_state*> map;
};

env_registry& the_registry() {
  static env_registry* r = new env_registry;
  return *r;
}

bool registry_add(const DB_ENV* env, env_state* state) noexcept {
  try {
    env_registry& r = the_registry();
    std::unique_lock lock(r.mu);
    r.map[env] = state;
    return true;
  } catch (...) {
    return false;
  }
}

void registry_remove(const DB_ENV* env) noexcept {
  env_registry& r = the_registry();
  std::unique_lock lock(r.mu);
  r.map.erase(env);
}

env_state* registry_find(const DB_ENV* env) noexcept {
  if (env == nullptr) return nullptr;
  env_registry& r = the_registry();
  std::shared_lock lock(r.mu);
  auto it = r.map.find(env);
  return it == r.map.end() ? nullptr : it->second;
}

}  // namespace

env_state* pagepool::bdb_detail::find_env_state(const DB_ENV* env) noexcept {
  return registry_find(env);
}

// The C callbacks: find the DbEnv, call the application's C++ callback. The C
// layer calls them only from inside a call on a live environment, so the
// state found outlives the call.
extern "C" {
static void errcall_trampoline(const DB_ENV* env, const char* errpfx, const char* msg) {
  env_state* s = registry_find(env);
  if (s == nullptr) return;
  errcall_fn fn = s->errcall.load(std::memory_order_acquire);  // (CB1)
  if (fn != nullptr) {
    fn(s->owner, errpfx, msg);
    return;
  }
  std::ostream* os = s->error_stream.load(std::memory_order_acquire);  // (CB1)
  if (os == nullptr) return;
  if (errpfx != nullptr) *os << errpfx << ": ";
  if (msg != nullptr) *os << msg;
  *os << '\n' << std::flush;
}

static void msgcall_trampoline(const DB_ENV* env, const char* msg) {
  env_state* s = registry_find(env);
  if (s == nullptr) return;
  msgcall_fn fn = s->msgcall.load(std::memory_order_acquire);  // (CB1)
  if (fn != nullptr) {
    fn(s->owner, msg);
    return;
  }
  std::ostream* os = s->message_stream.load(std::memory_order_acquire);  // (CB1)
  if (os == nullptr) return;
  if (msg != nullptr) *os << msg;
  *os << '\n' << std::flush;
}
}

namespace {

// printf into a string; empty (not throwing) if memory runs out.
std::string vformat(const char* format, va_list ap) noexcept {
  if (format == nullptr) return {};
  try {
    char small[512];
    va_list copy;
    va_copy(copy, ap);
    int n = std::vsnprintf(small, sizeof small, format, copy);
    va_end(copy);
    if (n < 0) return {};
    if (static_cast<size_t>(n) < sizeof small) return std::string(small, static_cast<size_t>(n));
    std::string big(static_cast<size_t>(n) + 1, '\0');
    std::vsnprintf(big.data(), big.size(), format, ap);
    big.resize(static_cast<size_t>(n));
    return big;
  } catch (...) {
    return {};
  }
}

}  // namespace

// ------------------------------------------------------------------ life cycle

DbEnv::DbEnv(u_int32_t flags) : imp_(nullptr), construct_flags_(flags), state_(nullptr) {
  int ret = 0;
  DB_ENV* env = nullptr;
  state_ = new (std::nothrow) env_state(this);
  if (state_ == nullptr) ret = ENOMEM;
  if (ret == 0) ret = db_env_create(&env, flags & ~static_cast<u_int32_t>(DB_CXX_NO_EXCEPTIONS));
  if (ret == 0 && !registry_add(env, state_)) {
    (void)env->close(env, 0);
    ret = ENOMEM;
  }
  if (ret != 0) {
    // No destructor runs if this throws: free what was made. The exception
    // names no environment, as the object never came to exist.
    delete state_;
    state_ = nullptr;
    report(nullptr, throws(), "DbEnv::DbEnv", ret);
    return;
  }
  imp_ = env;
}

DbEnv::~DbEnv() {
  if (imp_ != nullptr) {
    (void)imp_->close(imp_, 0);
    release_handle();
  }
  delete state_;
}

void DbEnv::release_handle() noexcept {
  if (imp_ == nullptr) return;
  registry_remove(imp_);
  imp_ = nullptr;
  if (state_ == nullptr) return;
  // The C close closed these files' handles: their wrappers now fail with
  // EINVAL, and are deleted by their own close.
  std::lock_guard lock(state_->files_mu);
  for (DbMpoolFile* f : state_->files) {
    f->imp_ = nullptr;
    f->env_ = nullptr;
  }
  state_->files.clear();
}

void DbEnv::forget_file(DbMpoolFile* file) noexcept {
  if (state_ == nullptr) return;
  std::lock_guard lock(state_->files_mu);
  state_->files.erase(file);
}

int DbEnv::open(const char* home, u_int32_t flags, int mode) {
  const int ret = imp_ != nullptr ? imp_->open(imp_, home, flags, mode) : EINVAL;
  if (ret == 0) state_->opened = true;  // for DbMpool::open
  return report("DbEnv::open", ret);
}

int DbEnv::close(u_int32_t flags) {
  int ret = EINVAL;
  if (imp_ != nullptr) {
    ret = imp_->close(imp_, flags);  // frees the handle whatever it returns
    release_handle();
  }
  return report("DbEnv::close", ret);
}

int DbEnv::remove(const char* home, u_int32_t flags) {
  int ret = EINVAL;
  if (imp_ != nullptr) {
    ret = imp_->remove(imp_, home, flags);  // frees the handle whatever it returns
    release_handle();
  }
  return report("DbEnv::remove", ret);
}

// --------------------------------------------------------------- configuration

int DbEnv::get_cachesize(u_int32_t* gbytesp, u_int32_t* bytesp, int* ncachep) {
  return report("DbEnv::get_cachesize",
                imp_ != nullptr ? imp_->get_cachesize(imp_, gbytesp, bytesp, ncachep) : EINVAL);
}

int DbEnv::set_cachesize(u_int32_t gbytes, u_int32_t bytes, int ncache) {
  return report("DbEnv::set_cachesize",
                imp_ != nullptr ? imp_->set_cachesize(imp_, gbytes, bytes, ncache) : EINVAL);
}

int DbEnv::get_cache_max(u_int32_t* gbytesp, u_int32_t* bytesp) {
  return report("DbEnv::get_cache_max",
                imp_ != nullptr ? imp_->get_cache_max(imp_, gbytesp, bytesp) : EINVAL);
}

int DbEnv::set_cache_max(u_int32_t gbytes, u_int32_t bytes) {
  return report("DbEnv::set_cache_max",
                imp_ != nullptr ? imp_->set_cache_max(imp_, gbytes, bytes) : EINVAL);
}

int DbEnv::get_flags(u_int32_t* flagsp) {
  return report("DbEnv::get_flags", imp_ != nullptr ? imp_->get_flags(imp_, flagsp) : EINVAL);
}

int DbEnv::set_flags(u_int32_t flags, int onoff) {
  return report("DbEnv::set_flags", imp_ != nullptr ? imp_->set_flags(imp_, flags, onoff) : EINVAL);
}

int DbEnv::get_home(const char** homep) {
  return report("DbEnv::get_home", imp_ != nullptr ? imp_->get_home(imp_, homep) : EINVAL);
}

int DbEnv::get_open_flags(u_int32_t* flagsp) {
  return report("DbEnv::get_open_flags",
                imp_ != nullptr ? imp_->get_open_flags(imp_, flagsp) : EINVAL);
}

int DbEnv::get_mp_max_openfd(int* maxopenfdp) {
  return report("DbEnv::get_mp_max_openfd",
                imp_ != nullptr ? imp_->get_mp_max_openfd(imp_, maxopenfdp) : EINVAL);
}

int DbEnv::set_mp_max_openfd(int maxopenfd) {
  return report("DbEnv::set_mp_max_openfd",
                imp_ != nullptr ? imp_->set_mp_max_openfd(imp_, maxopenfd) : EINVAL);
}

int DbEnv::get_mp_max_write(int* maxwritep, db_timeout_t* maxwrite_sleepp) {
  return report("DbEnv::get_mp_max_write",
                imp_ != nullptr ? imp_->get_mp_max_write(imp_, maxwritep, maxwrite_sleepp) : EINVAL);
}

int DbEnv::set_mp_max_write(int maxwrite, db_timeout_t maxwrite_sleep) {
  return report("DbEnv::set_mp_max_write",
                imp_ != nullptr ? imp_->set_mp_max_write(imp_, maxwrite, maxwrite_sleep) : EINVAL);
}

int DbEnv::get_mp_mmapsize(size_t* mp_mmapsizep) {
  return report("DbEnv::get_mp_mmapsize",
                imp_ != nullptr ? imp_->get_mp_mmapsize(imp_, mp_mmapsizep) : EINVAL);
}

int DbEnv::set_mp_mmapsize(size_t mp_mmapsize) {
  return report("DbEnv::set_mp_mmapsize",
                imp_ != nullptr ? imp_->set_mp_mmapsize(imp_, mp_mmapsize) : EINVAL);
}

int DbEnv::get_mp_pagesize(u_int32_t* pagesizep) {
  return report("DbEnv::get_mp_pagesize",
                imp_ != nullptr ? imp_->get_mp_pagesize(imp_, pagesizep) : EINVAL);
}

int DbEnv::set_mp_pagesize(u_int32_t pagesize) {
  return report("DbEnv::set_mp_pagesize",
                imp_ != nullptr ? imp_->set_mp_pagesize(imp_, pagesize) : EINVAL);
}

int DbEnv::get_mp_tablesize(u_int32_t* tablesizep) {
  return report("DbEnv::get_mp_tablesize",
                imp_ != nullptr ? imp_->get_mp_tablesize(imp_, tablesizep) : EINVAL);
}

int DbEnv::set_mp_tablesize(u_int32_t tablesize) {
  return report("DbEnv::set_mp_tablesize",
                imp_ != nullptr ? imp_->set_mp_tablesize(imp_, tablesize) : EINVAL);
}

int DbEnv::get_tmp_dir(const char** dirp) {
  return report("DbEnv::get_tmp_dir", imp_ != nullptr ? imp_->get_tmp_dir(imp_, dirp) : EINVAL);
}

int DbEnv::set_tmp_dir(const char* dir) {
  return report("DbEnv::set_tmp_dir", imp_ != nullptr ? imp_->set_tmp_dir(imp_, dir) : EINVAL);
}

int DbEnv::set_alloc(db_malloc_fcn_type app_malloc, db_realloc_fcn_type app_realloc,
                     db_free_fcn_type app_free) {
  return report("DbEnv::set_alloc",
                imp_ != nullptr ? imp_->set_alloc(imp_, app_malloc, app_realloc, app_free) : EINVAL);
}

// -------------------------------------------------------------------- messages

void DbEnv::get_errcall(errcall_fn* errcallp) {
  if (errcallp != nullptr)  // (CB1)
    *errcallp = state_ != nullptr ? state_->errcall.load(std::memory_order_acquire) : nullptr;
}

void DbEnv::set_errcall(errcall_fn errcall) {
  if (imp_ == nullptr || state_ == nullptr) return;
  state_->error_stream.store(nullptr, std::memory_order_release);  // (CB1)
  state_->errcall.store(errcall, std::memory_order_release);  // (CB1)
  imp_->set_errcall(imp_, errcall != nullptr ? errcall_trampoline : nullptr);
}

void DbEnv::set_error_stream(std::ostream* stream) {
  if (imp_ == nullptr || state_ == nullptr) return;
  state_->errcall.store(nullptr, std::memory_order_release);  // (CB1)
  state_->error_stream.store(stream, std::memory_order_release);  // (CB1)
  imp_->set_errcall(imp_, stream != nullptr ? errcall_trampoline : nullptr);
}

std::ostream* DbEnv::get_error_stream() {
  if (state_ == nullptr) return nullptr;
  return state_->error_stream.load(std::memory_order_acquire);  // (CB1)
}

void DbEnv::get_errfile(FILE** errfilep) {
  if (imp_ != nullptr) {
    imp_->get_errfile(imp_, errfilep);
  } else if (errfilep != nullptr) {
    *errfilep = nullptr;
  }
}

void DbEnv::set_errfile(FILE* errfile) {
  if (imp_ != nullptr) imp_->set_errfile(imp_, errfile);
}

void DbEnv::get_errpfx(const char** errpfxp) {
  if (imp_ != nullptr) {
    imp_->get_errpfx(imp_, errpfxp);
  } else if (errpfxp != nullptr) {
    *errpfxp = nullptr;
  }
}

void DbEnv::set_errpfx(const char* errpfx) {
  if (imp_ != nullptr) imp_->set_errpfx(imp_, errpfx);
}

void DbEnv::get_msgcall(msgcall_fn* msgcallp) {
  if (msgcallp != nullptr)  // (CB1)
    *msgcallp = state_ != nullptr ? state_->msgcall.load(std::memory_order_acquire) : nullptr;
}

void DbEnv::set_msgcall(msgcall_fn msgcall) {
  if (imp_ == nullptr || state_ == nullptr) return;
  state_->message_stream.store(nullptr, std::memory_order_release);  // (CB1)
  state_->msgcall.store(msgcall, std::memory_order_release);  // (CB1)
  imp_->set_msgcall(imp_, msgcall != nullptr ? msgcall_trampoline : nullptr);
}

void DbEnv::set_message_stream(std::ostream* stream) {
  if (imp_ == nullptr || state_ == nullptr) return;
  state_->msgcall.store(nullptr, std::memory_order_release);  // (CB1)
  state_->message_stream.store(stream, std::memory_order_release);  // (CB1)
  imp_->set_msgcall(imp_, stream != nullptr ? msgcall_trampoline : nullptr);
}

std::ostream* DbEnv::get_message_stream() {
  if (state_ == nullptr) return nullptr;
  return state_->message_stream.load(std::memory_order_acquire);  // (CB1)
}

void DbEnv::get_msgfile(FILE** msgfilep) {
  if (imp_ != nullptr) {
    imp_->get_msgfile(imp_, msgfilep);
  } else if (msgfilep != nullptr) {
    *msgfilep = nullptr;
  }
}

void DbEnv::set_msgfile(FILE* msgfile) {
  if (imp_ != nullptr) imp_->set_msgfile(imp_, msgfile);
}

void DbEnv::err(int error, const char* format, ...) {
  if (imp_ == nullptr) return;
  va_list ap;
  va_start(ap, format);
  std::string msg = vformat(format, ap);
  va_end(ap);
  imp_->err(imp_, error, "%s", msg.c_str());
}

void DbEnv::errx(const char* format, ...) {
  if (imp_ == nullptr) return;
  va_list ap;
  va_start(ap, format);
  std::string msg = vformat(format, ap);
  va_end(ap);
  imp_->errx(imp_, "%s", msg.c_str());
}

// ----------------------------------------------------------------- memory pool

// Every DbMpoolFile is made here and unmade by its close (or here, if it
// cannot be recorded); its destructor lives with its maker, so that
// cxx_mpool.cpp depends on this file and not the reverse.
DbMpoolFile::~DbMpoolFile() = default;

int DbEnv::memp_fcreate(DbMpoolFile** dbmfp, u_int32_t flags) {
  if (imp_ == nullptr || dbmfp == nullptr) return report("DbEnv::memp_fcreate", EINVAL);
  DB_MPOOLFILE* mpf = nullptr;
  int ret = imp_->memp_fcreate(imp_, &mpf, flags);
  if (ret != 0) return report("DbEnv::memp_fcreate", ret);
  DbMpoolFile* wrapper = new (std::nothrow) DbMpoolFile(this, mpf, throws());
  if (wrapper != nullptr) {
    try {
      std::lock_guard lock(state_->files_mu);
      state_->files.insert(wrapper);
    } catch (...) {
      delete wrapper;
      wrapper = nullptr;
    }
  }
  if (wrapper == nullptr) {
    (void)mpf->close(mpf, 0);
    return report("DbEnv::memp_fcreate", ENOMEM);
  }
  *dbmfp = wrapper;
  return 0;
}

int DbEnv::memp_register(int ftype, pgin_fcn_type pgin_fcn, pgout_fcn_type pgout_fcn) {
  return report("DbEnv::memp_register",
                imp_ != nullptr ? imp_->memp_register(imp_, ftype, pgin_fcn, pgout_fcn) : EINVAL);
}

int DbEnv::memp_stat(DB_MPOOL_STAT** gsp, DB_MPOOL_FSTAT*** fsp, u_int32_t flags) {
  return report("DbEnv::memp_stat",
                imp_ != nullptr ? imp_->memp_stat(imp_, gsp, fsp, flags) : EINVAL);
}

int DbEnv::memp_stat_print(u_int32_t flags) {
  return report("DbEnv::memp_stat_print",
                imp_ != nullptr ? imp_->memp_stat_print(imp_, flags) : EINVAL);
}

int DbEnv::memp_sync(DbLsn* lsn) {
  int ret = imp_ != nullptr ? imp_->memp_sync(imp_, lsn) : EINVAL;
  if (ret == DB_PP_INCOMPLETE) return ret;  // a result, not a failure
  return report("DbEnv::memp_sync", ret);
}

int DbEnv::memp_trickle(int pct, int* nwrotep) {
  return report("DbEnv::memp_trickle",
                imp_ != nullptr ? imp_->memp_trickle(imp_, pct, nwrotep) : EINVAL);
}

// ------------------------------------------------------ conversions, utilities

DbEnv* DbEnv::get_DbEnv(DB_ENV* dbenv) {
  env_state* s = registry_find(dbenv);
  return s != nullptr ? s->owner : nullptr;
}

const DbEnv* DbEnv::get_const_DbEnv(const DB_ENV* dbenv) {
  env_state* s = registry_find(dbenv);
  return s != nullptr ? s->owner : nullptr;
}

char* DbEnv::strerror(int error) { return db_strerror(error); }

char* DbEnv::version(int* major, int* minor, int* patch) { return db_version(major, minor, patch); }

char* DbEnv::full_version(int* family, int* release, int* major, int* minor, int* patch) {
  if (family != nullptr) *family = DB_VERSION_FAMILY;
  if (release != nullptr) *release = DB_VERSION_RELEASE;
  return db_version(major, minor, patch);
}
