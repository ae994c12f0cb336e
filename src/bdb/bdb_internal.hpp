// src/bdb/bdb_internal.hpp: the C shim's one header of shared declarations:
// the state behind db.h's DB_ENV and DB_MPOOLFILE, the helpers every file
// uses, and the few functions one file offers another.
//
// A DB_ENV's api_internal points at a dbenv_state, a DB_MPOOLFILE's at an
// mpf_state. The C structs are allocated with the state (one new each); every
// method translates its arguments and calls pagepool::pool / pagepool::file.
//
// The files, one concept each, and which calls which (an arrow is "calls
// into"; no two files call each other):
//
//   env.cpp            db_env_create, DB_ENV->open/close/remove, db_version
//     |--> env_config.cpp     the before-open settings and their getters
//     |--> env_messages.cpp   err, errx and where messages go
//     |--> env_callbacks.cpp  memp_register, set_log_flush: the application's
//     |                       functions the pool calls back
//     |--> env_memp.cpp       memp_fcreate, memp_stat(_print), memp_sync,
//     |      |                memp_trickle
//     |      +--> mpoolfile.cpp (init_mpoolfile)
//     +--> mpoolfile.cpp      DB_MPOOLFILE's methods (close_mpoolfile)
//     |--> env_threads.cpp    thread count and identity, is_alive, failchk,
//     |                       the event, feedback and panic callbacks
//     |--> env_settings.cpp   settings kept for their getters (verbose,
//     |                       shm key, timeouts, ...) and stat_print
//     |--> env_unsupported.cpp  what pagepool does not do (data directories,
//     |                       encryption, file-id and LSN resets): errors
//   every file --> bdb_common.cpp  to_int, db_strerror, report, message,
//                                  env_malloc, split_bytes, frame_size
//   bdb_common.cpp calls nothing else in src/bdb.
//
// Thread safety: DB_ENV configuration and the list of open DB_MPOOLFILEs are
// guarded by dbenv_state::mu; the page methods (get, put, set, sync) take no
// lock here: pagepool::file is thread-safe.
#pragma once

#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "db.h"
#include "pagepool/file.hpp"
#include "pagepool/pool.hpp"

namespace pagepool::bdb {

struct mpf_state;

using pgio_fn = int (*)(DB_ENV*, db_pgno_t, void*, DBT*);

/// The state behind a DB_ENV. (The C++ layer's DbEnv keeps its own,
/// pagepool::bdb_detail::env_state, in cxx_env.cpp.)
struct dbenv_state {
  DB_ENV api{};
  std::mutex mu;

  // Configuration (before open, unless said otherwise).
  std::uint64_t cache_bytes = 256 * 1024;  // BDB's default cache
  int ncache = 1;
  std::uint64_t cache_max = 0;  // 0: pagepool's default (4x the initial size)
  std::size_t mmapsize = 10u << 20;
  int max_openfd = 0;
  int maxwrite = 0;
  db_timeout_t maxwrite_sleep = 0;
  std::uint32_t mp_pagesize = 0;  // 0: not set (4096 assumed)
  std::uint32_t mp_tablesize = 0;
  std::uint32_t mp_mtxcount = 0;
  std::uint32_t env_flags = 0;  // DB_NOMMAP, DB_DIRECT_DB
  std::string home;
  bool home_set = false;
  std::string tmp_dir;
  bool tmp_dir_set = false;
  void* (*db_malloc)(std::size_t) = nullptr;
  void* (*db_realloc)(void*, std::size_t) = nullptr;
  void (*db_free)(void*) = nullptr;

  // Messages.
  FILE* errfile = nullptr;
  std::string errpfx;
  bool errpfx_set = false;
  void (*errcall)(const DB_ENV*, const char*, const char*) = nullptr;
  FILE* msgfile = nullptr;
  void (*msgcall)(const DB_ENV*, const char*) = nullptr;

  // Page-in/out functions (index: ftype) and the log flush.
  std::array<pgio_fn, 128> pgin{}, pgout{};
  std::array<bool, 128> registered{};
  int (*log_flush)(DB_ENV*, const DB_LSN*) = nullptr;

  // Threads and failures (env_threads.cpp): kept for the getters.
  std::uint32_t thread_count = 0;
  void (*thread_id)(DB_ENV*, pid_t*, db_threadid_t*) = nullptr;
  char* (*thread_id_string)(DB_ENV*, pid_t, db_threadid_t, char*) = nullptr;
  int (*is_alive)(DB_ENV*, pid_t, db_threadid_t, u_int32_t) = nullptr;
  void (*event_notify)(DB_ENV*, u_int32_t, void*) = nullptr;
  void (*feedback)(DB_ENV*, int, int) = nullptr;
  void (*paniccall)(DB_ENV*, int) = nullptr;

  // Settings kept for their getters (env_settings.cpp).
  std::uint32_t verbose = 0;  // DB_VERB_* bits
  std::uint32_t data_len = 0;
  long shm_key = -1;  // Berkeley DB's INVALID_REGION_SEGID: none set
  // DB_CONFIG's set_region_dir (env_db_config.cpp): where a pool without
  // DB_PRIVATE keeps its region files; empty: the home (or /dev/shm).
  std::string region_dir;
  db_timeout_t lock_timeout = 0, txn_timeout = 0, reg_timeout = 0;
  std::string dir_mode;  // set_intermediate_dir_mode
  bool dir_mode_set = false;
  std::array<std::uint32_t, 7> memory_init{};  // index: DB_MEM_CONFIG
  std::uint64_t memory_max = 0;

  // Open state.
  bool opened = false;
  std::uint32_t open_flags = 0;
  std::unique_ptr<pagepool::pool> pool;  // null unless opened with DB_INIT_MPOOL
  std::vector<mpf_state*> files;         // DB_MPOOLFILEs not yet closed (any order)

  /// Frame size the pool uses: set_mp_pagesize rounded up to a power of two,
  /// at least 4096.
  std::uint32_t frame_size() const noexcept;
};

/// The state behind a DB_MPOOLFILE.
struct mpf_state {
  DB_MPOOLFILE api{};
  std::size_t env_index = 0;  // its place in dbenv_state::files (under the env's mu)
  dbenv_state* env = nullptr;
  std::unique_ptr<pagepool::file> file;
  std::vector<std::uint8_t> cookie;  // what get_pgcookie hands out
  bool opened = false;
  std::string path;  // as resolved at open
};

inline dbenv_state* env_of(const DB_ENV* e) noexcept {
  return e == nullptr ? nullptr : static_cast<dbenv_state*>(e->api_internal);
}
inline mpf_state* mpf_of(const DB_MPOOLFILE* m) noexcept {
  return m == nullptr ? nullptr : static_cast<mpf_state*>(m->api_internal);
}

// ------------------------------------------------- shared helpers (bdb_common.cpp)

/// The int a C caller gets for a pagepool error that is set.
int error_to_int(std::error_code ec) noexcept;

/// The int a C caller gets for a pagepool result: 0 for success. Inline, so
/// that a method's success path (DB_MPOOLFILE->get and ->put above all) makes
/// no call beyond the one into pagepool.
inline int to_int(std::error_code ec) noexcept { return ec ? error_to_int(ec) : 0; }

/// Reports a message the way BDB does: to errcall if set, to errfile if set,
/// to stderr if neither is; the file line is prefixed by errpfx. `error` > 0
/// or a DB_* code appends db_strerror(error).
void report(const dbenv_state* env, int error, const char* fmt, ...) noexcept
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void vreport(const dbenv_state* env, int error, const char* fmt, std::va_list ap) noexcept;

/// A before-open setter called after open: reports it as BDB does and
/// returns EINVAL.
inline int refuse_after_open(const dbenv_state* env, const char* method) noexcept {
  report(env, 0, "%s: method not permitted after handle's open method", method);
  return EINVAL;
}

/// A method of an environment opened before fork(), called in the child:
/// reports it (the caller returns EINVAL).
inline void report_forked(const dbenv_state* env, const char* method) noexcept {
  report(env, 0,
         "%s: the environment was opened before fork() and this is the child; "
         "the child must open the environment again (its pages are the parent's)",
         method);
}

/// A method for something pagepool does not do: reports "method: what" and
/// returns `error` (EINVAL or DB_OPNOTSUP).
inline int refuse_unsupported(const dbenv_state* env, int error, const char* method,
                              const char* what) noexcept {
  report(env, 0, "%s: %s", method, what);
  return error;
}

/// Sends one line to msgcall, else msgfile, else stdout.
void message(const dbenv_state* env, const char* fmt, ...) noexcept
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/// Allocates with the environment's set_alloc malloc, or malloc.
void* env_malloc(const dbenv_state* env, std::size_t n) noexcept;

/// BDB passes sizes as gigabytes plus bytes.
inline constexpr std::uint64_t gigabyte = 1ull << 30;

/// Splits a byte count into BDB's gigabytes and bytes; either pointer may be
/// NULL.
void split_bytes(std::uint64_t total, u_int32_t* gbytesp, u_int32_t* bytesp) noexcept;

/// Retries sync briefly while pinned pages hold it back (BDB waits for them);
/// DB_PP_INCOMPLETE if they stay pinned.
template <typename Sync>
int sync_with_wait(Sync&& sync) noexcept;

// ---------------------------------- what one file offers another (see the map above)

/// Fill their part of a new DB_ENV's method pointers (db_env_create).
void init_env_config(DB_ENV& api) noexcept;     // env_config.cpp
void init_env_messages(DB_ENV& api) noexcept;   // env_messages.cpp
void init_env_callbacks(DB_ENV& api) noexcept;  // env_callbacks.cpp
void init_env_memp(DB_ENV& api) noexcept;       // env_memp.cpp
void init_env_threads(DB_ENV& api) noexcept;    // env_threads.cpp
void init_env_settings(DB_ENV& api) noexcept;   // env_settings.cpp
void init_env_unsupported(DB_ENV& api) noexcept;  // env_unsupported.cpp
/// HOME/DB_CONFIG's settings, applied through the handle's methods before
/// its open (env_db_config.cpp); set_open_flags lines change `open_flags`.
/// 0, or the first failing line's error (reported). The caller holds no
/// lock of the environment.
int read_db_config(DB_ENV* dbenv, const std::string& home, u_int32_t& open_flags);
/// DB_CONFIG's set_region_dir (pagepool's own; before open).
int set_region_dir(dbenv_state* e, const std::string& dir);

/// Hands every registered page-in/out pair and the log flush to the pool of
/// an environment being opened with DB_INIT_MPOOL; caller holds e.mu
/// (env_callbacks.cpp).
void apply_callbacks(dbenv_state& e);

/// Fills a DB_MPOOLFILE's method pointers (mpoolfile.cpp).
void init_mpoolfile(mpf_state& m) noexcept;
/// Closes and frees a DB_MPOOLFILE; used by DB_MPOOLFILE->close and by
/// DB_ENV->close for handles left open. Caller holds no env lock
/// (mpoolfile.cpp).
int close_mpoolfile(mpf_state* m, bool from_env_close) noexcept;

}  // namespace pagepool::bdb

#include <chrono>
#include <thread>

template <typename Sync>
int pagepool::bdb::sync_with_wait(Sync&& sync) noexcept {
  // BDB waits for each pinned dirty page; a thread that syncs while holding a
  // pin itself would wait forever. pagepool waits a bounded time (about
  // 100 ms), then reports the pages it could not write.
  std::error_code ec = sync();
  for (int i = 0; i < 20 && ec == pagepool::errc::incomplete; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ec = sync();
  }
  return to_int(ec);
}
