// src/bdb/cxx_env_threads.cpp: DbEnv's methods about threads and failures
// (db_cxx.h) over the C methods of db.h (env_threads.cpp).
//
// Berkeley DB's C++ callbacks receive the DbEnv, the C ones the DB_ENV: each
// setter keeps the application's C++ function in the DbEnv's state and hands
// the C layer a trampoline that finds the DbEnv again (find_env_state) and
// calls it; each getter returns the C++ function. pagepool's C layer keeps
// these callbacks without calling them (db.h), so the trampolines are there
// for the day it does, and for a C caller that reads them back.
//
// The functions are kept under env_state::cb_mu; a trampoline copies the
// pointer under it and calls it after.
#include <cerrno>
#include <mutex>
#include <utility>

#include "bdb/cxx_env_state.hpp"

using pagepool::bdb_detail::env_state;
using pagepool::bdb_detail::find_env_state;

namespace {

/// The C++ function `member` of dbenv's DbEnv, read under cb_mu, and the
/// DbEnv; {nullptr, nullptr} when there is none.
template <typename Fn>
std::pair<Fn, DbEnv*> cxx_callback(const DB_ENV* dbenv, Fn env_state::*member) {
  env_state* s = find_env_state(dbenv);
  if (s == nullptr) return {nullptr, nullptr};
  std::lock_guard lock(s->cb_mu);
  return {s->*member, s->owner};
}

}  // namespace

extern "C" {
static void thread_id_trampoline(DB_ENV* dbenv, pid_t* pid, db_threadid_t* tid) {
  auto [fn, env] = cxx_callback(dbenv, &env_state::thread_id);
  if (fn != nullptr) fn(env, pid, tid);
}

static char* thread_id_string_trampoline(DB_ENV* dbenv, pid_t pid, db_threadid_t tid, char* buf) {
  auto [fn, env] = cxx_callback(dbenv, &env_state::thread_id_string);
  return fn != nullptr ? fn(env, pid, tid, buf) : buf;
}

static int is_alive_trampoline(DB_ENV* dbenv, pid_t pid, db_threadid_t tid, u_int32_t flags) {
  auto [fn, env] = cxx_callback(dbenv, &env_state::is_alive);
  return fn != nullptr ? fn(env, pid, tid, flags) : 1;
}

static void event_trampoline(DB_ENV* dbenv, u_int32_t event, void* info) {
  auto [fn, env] = cxx_callback(dbenv, &env_state::event_notify);
  if (fn != nullptr) fn(env, event, info);
}

static void feedback_trampoline(DB_ENV* dbenv, int opcode, int percent) {
  auto [fn, env] = cxx_callback(dbenv, &env_state::feedback);
  if (fn != nullptr) fn(env, opcode, percent);
}

static void panic_trampoline(DB_ENV* dbenv, int error) {
  auto [fn, env] = cxx_callback(dbenv, &env_state::paniccall);
  if (fn != nullptr) fn(env, error);
}
}

namespace {

/// Keeps fn in the state, then sets the C layer's callback (trampoline, or
/// NULL with fn) with `set`; the C method's result.
template <typename Fn, typename Set>
int set_callback(DB_ENV* imp, env_state* s, Fn env_state::*member, Fn fn, Set&& set) {
  if (imp == nullptr || s == nullptr) return EINVAL;
  {
    std::lock_guard lock(s->cb_mu);
    s->*member = fn;
  }
  return set(fn != nullptr);
}

template <typename Fn>
int get_callback(DB_ENV* imp, env_state* s, Fn env_state::*member, Fn* fnp) {
  if (imp == nullptr || s == nullptr) return EINVAL;
  std::lock_guard lock(s->cb_mu);
  if (fnp != nullptr) *fnp = s->*member;
  return 0;
}

}  // namespace

int DbEnv::get_thread_count(u_int32_t* countp) {
  return report("DbEnv::get_thread_count",
                imp_ != nullptr ? imp_->get_thread_count(imp_, countp) : EINVAL);
}

int DbEnv::set_thread_count(u_int32_t count) {
  return report("DbEnv::set_thread_count",
                imp_ != nullptr ? imp_->set_thread_count(imp_, count) : EINVAL);
}

int DbEnv::get_thread_id_fn(void (**fnp)(DbEnv*, pid_t*, db_threadid_t*)) {
  return report("DbEnv::get_thread_id_fn", get_callback(imp_, state_, &env_state::thread_id, fnp));
}

int DbEnv::set_thread_id(void (*fn)(DbEnv*, pid_t*, db_threadid_t*)) {
  return report("DbEnv::set_thread_id",
                set_callback(imp_, state_, &env_state::thread_id, fn, [&](bool on) {
                  return imp_->set_thread_id(imp_, on ? thread_id_trampoline : nullptr);
                }));
}

int DbEnv::get_thread_id_string_fn(char* (**fnp)(DbEnv*, pid_t, db_threadid_t, char*)) {
  return report("DbEnv::get_thread_id_string_fn",
                get_callback(imp_, state_, &env_state::thread_id_string, fnp));
}

int DbEnv::set_thread_id_string(char* (*fn)(DbEnv*, pid_t, db_threadid_t, char*)) {
  return report("DbEnv::set_thread_id_string",
                set_callback(imp_, state_, &env_state::thread_id_string, fn, [&](bool on) {
                  return imp_->set_thread_id_string(imp_,
                                                    on ? thread_id_string_trampoline : nullptr);
                }));
}

int DbEnv::get_isalive(int (**fnp)(DbEnv*, pid_t, db_threadid_t, u_int32_t)) {
  return report("DbEnv::get_isalive", get_callback(imp_, state_, &env_state::is_alive, fnp));
}

int DbEnv::set_isalive(int (*fn)(DbEnv*, pid_t, db_threadid_t, u_int32_t)) {
  return report("DbEnv::set_isalive",
                set_callback(imp_, state_, &env_state::is_alive, fn, [&](bool on) {
                  return imp_->set_isalive(imp_, on ? is_alive_trampoline : nullptr);
                }));
}

int DbEnv::failchk(u_int32_t flags) {
  return report("DbEnv::failchk", imp_ != nullptr ? imp_->failchk(imp_, flags) : EINVAL);
}

int DbEnv::set_event_notify(void (*fn)(DbEnv*, u_int32_t, void*)) {
  return report("DbEnv::set_event_notify",
                set_callback(imp_, state_, &env_state::event_notify, fn, [&](bool on) {
                  return imp_->set_event_notify(imp_, on ? event_trampoline : nullptr);
                }));
}

int DbEnv::get_feedback(void (**fnp)(DbEnv*, int, int)) {
  return report("DbEnv::get_feedback", get_callback(imp_, state_, &env_state::feedback, fnp));
}

int DbEnv::set_feedback(void (*fn)(DbEnv*, int, int)) {
  return report("DbEnv::set_feedback",
                set_callback(imp_, state_, &env_state::feedback, fn, [&](bool on) {
                  return imp_->set_feedback(imp_, on ? feedback_trampoline : nullptr);
                }));
}

int DbEnv::set_paniccall(void (*fn)(DbEnv*, int)) {
  return report("DbEnv::set_paniccall",
                set_callback(imp_, state_, &env_state::paniccall, fn, [&](bool on) {
                  return imp_->set_paniccall(imp_, on ? panic_trampoline : nullptr);
                }));
}
