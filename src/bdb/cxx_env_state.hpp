// src/bdb/cxx_env_state.hpp: what a DbEnv keeps beside its C handle
// (pagepool::bdb_detail::env_state), shared by the files of the C++ layer:
// cxx_env.cpp (which owns it and the DB_ENV* -> state registry) and
// cxx_env_threads.cpp (the thread and failure callbacks).
#pragma once

#include <atomic>
#include <iosfwd>
#include <mutex>
#include <unordered_set>

#include "db_cxx.h"

using errcall_fn = void (*)(const DbEnv*, const char*, const char*);
using msgcall_fn = void (*)(const DbEnv*, const char*);

namespace pagepool::bdb_detail {

// Everything a DbEnv keeps beside its C handle.
struct env_state {
  explicit env_state(DbEnv* o) : owner(o) {}
  DbEnv* const owner;
  // The application's C++ callbacks and streams; the C layer gets the
  // trampolines of cxx_env.cpp. A callback and a stream of the same kind
  // replace each other (edge CB1 in cxx_env.cpp).
  std::atomic<errcall_fn> errcall{nullptr};
  std::atomic<msgcall_fn> msgcall{nullptr};
  std::atomic<std::ostream*> error_stream{nullptr};
  std::atomic<std::ostream*> message_stream{nullptr};
  // DbEnv::open succeeded (read by DbMpool::open, on the opening thread).
  bool opened = false;
  // The DbMpoolFile objects made by memp_fcreate and not yet closed.
  std::mutex files_mu;
  std::unordered_set<DbMpoolFile*> files;
  // The thread and failure callbacks (cxx_env_threads.cpp), under cb_mu.
  std::mutex cb_mu;
  void (*thread_id)(DbEnv*, pid_t*, db_threadid_t*) = nullptr;
  char* (*thread_id_string)(DbEnv*, pid_t, db_threadid_t, char*) = nullptr;
  int (*is_alive)(DbEnv*, pid_t, db_threadid_t, u_int32_t) = nullptr;
  void (*event_notify)(DbEnv*, u_int32_t, void*) = nullptr;
  void (*feedback)(DbEnv*, int, int) = nullptr;
  void (*paniccall)(DbEnv*, int) = nullptr;
};

/// The state of the DbEnv wrapping env, or nullptr (cxx_env.cpp).
env_state* find_env_state(const DB_ENV* env) noexcept;

}  // namespace pagepool::bdb_detail
