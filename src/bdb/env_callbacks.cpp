// src/bdb/env_callbacks.cpp: the application's functions the pool calls
// back: page-in and page-out functions per file type (DB_ENV->memp_register)
// and the log flush the pool calls before it writes a page
// (DB_ENV->set_log_flush). Both may be set before or after open; the
// environment keeps them, and hands them to the pool when it is opened with
// DB_INIT_MPOOL (apply_callbacks) or at once if it already is.
//
// Each C function is wrapped in a pagepool callback that passes the DB_ENV
// back to it, as BDB does.
#include <cerrno>
#include <span>

#include "bdb/bdb_internal.hpp"

namespace pagepool::bdb {

namespace {

/// Hands the environment's log-flush function (or none) to the pool.
void apply_log_flush(dbenv_state* e) {
  const auto fn = e->log_flush;
  if (fn == nullptr) {
    e->pool->set_log_flush({});
    return;
  }
  DB_ENV* self = &e->api;
  e->pool->set_log_flush([self, fn](const pagepool::lsn& l) {
    const DB_LSN c{l.file, l.offset};
    return fn(self, &c);
  });
}

void apply_page_io(dbenv_state* e, int ftype) {
  const pgio_fn in = e->pgin[ftype], out = e->pgout[ftype];
  DB_ENV* self = &e->api;
  auto wrap = [self](pgio_fn fn) -> pagepool::page_io_fn {
    if (fn == nullptr) return {};
    return [self, fn](pgno_t pgno, void* page, std::span<const std::byte> cookie) {
      DBT c{};
      c.data = const_cast<std::byte*>(cookie.data());
      c.size = static_cast<u_int32_t>(cookie.size());
      return fn(self, pgno, page, &c);
    };
  };
  (void)e->pool->register_page_io(ftype, wrap(in), wrap(out));
}

int set_log_flush(DB_ENV* dbenv, int (*fn)(DB_ENV*, const DB_LSN*)) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  e->log_flush = fn;
  if (e->pool) apply_log_flush(e);
  return 0;
}

int memp_register(DB_ENV* dbenv, int ftype, pgio_fn pgin, pgio_fn pgout) {
  dbenv_state* e = env_of(dbenv);
  std::lock_guard g(e->mu);
  if (ftype < 1 || ftype > 127) {
    report(e, 0, "DB_ENV->memp_register: file type %d: must be 1 to 127", ftype);
    return EINVAL;
  }
  e->pgin[ftype] = pgin;
  e->pgout[ftype] = pgout;
  e->registered[ftype] = true;
  if (e->pool) apply_page_io(e, ftype);
  return 0;
}

}  // namespace

void apply_callbacks(dbenv_state& e) {
  for (int t = 1; t < 128; ++t)
    if (e.registered[t]) apply_page_io(&e, t);
  if (e.log_flush) apply_log_flush(&e);
}

void init_env_callbacks(DB_ENV& a) noexcept {
  a.memp_register = memp_register;
  a.set_log_flush = set_log_flush;
}

}  // namespace pagepool::bdb
