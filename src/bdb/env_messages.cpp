// src/bdb/env_messages.cpp: the DB_ENV methods for messages: err and errx,
// and where errors and informational messages go (errcall, errfile, errpfx,
// msgcall, msgfile). Delivery itself is report/message (bdb_common.cpp).
//
// All of them may be called before or after open.
#include <cstdarg>
#include <cstdio>

#include "bdb/bdb_internal.hpp"

namespace pagepool::bdb {

namespace {

void env_err(const DB_ENV* dbenv, int error, const char* fmt, ...) {
  std::va_list ap;
  va_start(ap, fmt);
  vreport(env_of(dbenv), error == 0 ? 0 : error, fmt, ap);
  va_end(ap);
}

void env_errx(const DB_ENV* dbenv, const char* fmt, ...) {
  std::va_list ap;
  va_start(ap, fmt);
  vreport(env_of(dbenv), 0, fmt, ap);
  va_end(ap);
}

void set_errcall(DB_ENV* dbenv, void (*fn)(const DB_ENV*, const char*, const char*)) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->errcall = fn;
}
void get_errcall(DB_ENV* dbenv, void (**fn)(const DB_ENV*, const char*, const char*)) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (fn) *fn = e->errcall;
}
void set_errfile(DB_ENV* dbenv, FILE* f) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->errfile = f;
}
void get_errfile(DB_ENV* dbenv, FILE** f) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (f) *f = e->errfile;
}
void set_errpfx(DB_ENV* dbenv, const char* pfx) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  try {
    e->errpfx = pfx ? pfx : "";
    e->errpfx_set = pfx != nullptr;
  } catch (...) {
  }
}
void get_errpfx(DB_ENV* dbenv, const char** pfx) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (pfx) *pfx = e->errpfx_set ? e->errpfx.c_str() : nullptr;
}
void set_msgfile(DB_ENV* dbenv, FILE* f) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->msgfile = f;
}
void get_msgfile(DB_ENV* dbenv, FILE** f) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (f) *f = e->msgfile;
}
void set_msgcall(DB_ENV* dbenv, void (*fn)(const DB_ENV*, const char*)) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->msgcall = fn;
}

void get_msgcall(DB_ENV* dbenv, void (**fn)(const DB_ENV*, const char*)) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (fn) *fn = e->msgcall;
}

}  // namespace

void init_env_messages(DB_ENV& a) noexcept {
  a.err = env_err;
  a.errx = env_errx;
  a.get_errcall = get_errcall;
  a.get_errfile = get_errfile;
  a.get_errpfx = get_errpfx;
  a.get_msgcall = get_msgcall;
  a.get_msgfile = get_msgfile;
  a.set_errcall = set_errcall;
  a.set_errfile = set_errfile;
  a.set_errpfx = set_errpfx;
  a.set_msgcall = set_msgcall;
  a.set_msgfile = set_msgfile;
}

}  // namespace pagepool::bdb
