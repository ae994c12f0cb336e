// src/bdb/env_threads.cpp: the DB_ENV methods about threads of control and
// their failures: set_thread_count, set_thread_id, set_thread_id_string,
// set_isalive, failchk, and the callbacks Berkeley DB calls when something
// goes wrong or takes long (set_event_notify, set_feedback, set_paniccall).
//
// What they mean here. Berkeley DB shares its environment between processes
// and keeps a table of the threads in it, so that failchk can find one that
// died inside the library (is_alive says which) and release what it held.
// A pagepool environment opened without DB_PRIVATE registers its process in
// the home's registry (src/share/registry.hpp), where liveness is a lock the
// kernel drops at the process's death: failchk takes back the registry
// slots of dead processes (is_alive is not needed to find them, but is
// required as Berkeley DB requires it). Pages are not yet shared between
// processes, so a dead process held nothing else of the pool. A thread that
// dies takes its process with it, so there is never a dead thread of a live
// process to clean up after. pagepool raises no events and never panics, so
// the callbacks are kept for their getters and never called.
//
// When each may be called (as in Berkeley DB): set_thread_count before open;
// the callbacks at any time; failchk after open.
#include <cerrno>

#include "bdb/bdb_internal.hpp"

namespace pagepool::bdb {

namespace {

int set_thread_count(DB_ENV* dbenv, u_int32_t count) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (e->opened) return refuse_after_open(e, "DB_ENV->set_thread_count");
  e->thread_count = count;
  return 0;
}

int get_thread_count(DB_ENV* dbenv, u_int32_t* countp) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (countp) *countp = e->thread_count;
  return 0;
}

int set_thread_id(DB_ENV* dbenv, void (*fn)(DB_ENV*, pid_t*, db_threadid_t*)) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->thread_id = fn;
  return 0;
}

int get_thread_id_fn(DB_ENV* dbenv, void (**fnp)(DB_ENV*, pid_t*, db_threadid_t*)) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (fnp) *fnp = e->thread_id;
  return 0;
}

int set_thread_id_string(DB_ENV* dbenv, char* (*fn)(DB_ENV*, pid_t, db_threadid_t, char*)) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->thread_id_string = fn;
  return 0;
}

int get_thread_id_string_fn(DB_ENV* dbenv, char* (**fnp)(DB_ENV*, pid_t, db_threadid_t, char*)) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (fnp) *fnp = e->thread_id_string;
  return 0;
}

int set_isalive(DB_ENV* dbenv, int (*fn)(DB_ENV*, pid_t, db_threadid_t, u_int32_t)) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->is_alive = fn;
  return 0;
}

int get_isalive(DB_ENV* dbenv, int (**fnp)(DB_ENV*, pid_t, db_threadid_t, u_int32_t)) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (fnp) *fnp = e->is_alive;
  return 0;
}

int failchk(DB_ENV* dbenv, u_int32_t flags) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (flags != 0) {
    report(e, 0, "DB_ENV->failchk: unknown flags 0x%x: must be 0", flags);
    return EINVAL;
  }
  if (!e->opened) {
    report(e, 0, "DB_ENV->failchk: method not permitted before handle's open method");
    return EINVAL;
  }
  if (e->is_alive == nullptr) {
    report(e, 0, "DB_ENV->failchk: requires DB_ENV->set_isalive to have been called");
    return EINVAL;
  }
  if (e->pool && e->pool->forked()) {
    report_forked(e, "DB_ENV->failchk");
    return EINVAL;
  }
  if (e->pool && (e->open_flags & DB_PRIVATE) == 0) {
    if (auto ec = e->pool->failchk()) {
      report(e, to_int(ec), "DB_ENV->failchk");
      return to_int(ec);
    }
  }
  return 0;
}

int set_event_notify(DB_ENV* dbenv, void (*fn)(DB_ENV*, u_int32_t, void*)) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->event_notify = fn;
  return 0;
}

int set_feedback(DB_ENV* dbenv, void (*fn)(DB_ENV*, int, int)) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->feedback = fn;
  return 0;
}

int get_feedback(DB_ENV* dbenv, void (**fnp)(DB_ENV*, int, int)) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (fnp) *fnp = e->feedback;
  return 0;
}

int set_paniccall(DB_ENV* dbenv, void (*fn)(DB_ENV*, int)) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->paniccall = fn;
  return 0;
}

}  // namespace

void init_env_threads(DB_ENV& a) noexcept {
  a.failchk = failchk;
  a.get_feedback = get_feedback;
  a.get_isalive = get_isalive;
  a.get_thread_count = get_thread_count;
  a.get_thread_id_fn = get_thread_id_fn;
  a.get_thread_id_string_fn = get_thread_id_string_fn;
  a.set_event_notify = set_event_notify;
  a.set_feedback = set_feedback;
  a.set_isalive = set_isalive;
  a.set_paniccall = set_paniccall;
  a.set_thread_count = set_thread_count;
  a.set_thread_id = set_thread_id;
  a.set_thread_id_string = set_thread_id_string;
}

}  // namespace pagepool::bdb
