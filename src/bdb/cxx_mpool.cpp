// src/bdb/cxx_mpool.cpp: DbMpoolFile (db_cxx.h) over the C DB_MPOOLFILE of db.h.
//
// Each method calls the C method, or fails with EINVAL when the C handle is
// gone (the environment closed it), and reports the result with the policy of
// the environment that made the handle (DbEnv::report).
#include <cerrno>

#include "db_cxx.h"

#include "bdb/cxx_mpool_files.hpp"

// DbMpoolFile's destructor is in cxx_env.cpp, beside memp_fcreate, which makes
// every DbMpoolFile: this file calls into cxx_env.cpp (DbEnv::forget_file),
// not the other way round.

int DbMpoolFile::open(const char* file, u_int32_t flags, int mode, size_t pagesize) {
  return report("DbMpoolFile::open",
                imp_ != nullptr ? imp_->open(imp_, file, flags, mode, pagesize) : EINVAL);
}

int DbMpoolFile::close(u_int32_t flags) {
  int ret = imp_ != nullptr ? imp_->close(imp_, flags) : EINVAL;
  // The wrapper goes whatever the result (Berkeley DB's rule); keep what the
  // report needs first.
  DbEnv* env = env_;
  bool throws = throws_;
  if (env != nullptr) env->forget_file(this);
  if (mpool_ != nullptr) mpool_->files_->forget(this);
  imp_ = nullptr;
  delete this;
  return DbEnv::report(env, throws, "DbMpoolFile::close", ret);
}

int DbMpoolFile::get(db_pgno_t* pgnoaddr, DbTxn* txnid, u_int32_t flags, void* pagep) {
  // DbTxn is never defined: there are no transactions. A non-NULL txnid goes
  // to the C layer as an opaque pointer, which it refuses without using it.
  DB_TXN* txn = reinterpret_cast<DB_TXN*>(txnid);
  int ret = imp_ != nullptr ? imp_->get(imp_, pgnoaddr, txn, flags, pagep) : EINVAL;
  if (ret == DB_PAGE_NOTFOUND) return ret;  // a result, not a failure
  return report("DbMpoolFile::get", ret);
}

int DbMpoolFile::put(void* pgaddr, DB_CACHE_PRIORITY priority, u_int32_t flags) {
  return report("DbMpoolFile::put",
                imp_ != nullptr ? imp_->put(imp_, pgaddr, priority, flags) : EINVAL);
}

int DbMpoolFile::set(void* pgaddr, u_int32_t flags) {
  return report("DbMpoolFile::set", imp_ != nullptr ? imp_->set(imp_, pgaddr, flags) : EINVAL);
}

int DbMpoolFile::sync() {
  int ret = imp_ != nullptr ? imp_->sync(imp_) : EINVAL;
  if (ret == DB_PP_INCOMPLETE) return ret;  // a result, not a failure
  return report("DbMpoolFile::sync", ret);
}

int DbMpoolFile::get_clear_len(u_int32_t* lenp) {
  return report("DbMpoolFile::get_clear_len",
                imp_ != nullptr ? imp_->get_clear_len(imp_, lenp) : EINVAL);
}

int DbMpoolFile::set_clear_len(u_int32_t len) {
  return report("DbMpoolFile::set_clear_len",
                imp_ != nullptr ? imp_->set_clear_len(imp_, len) : EINVAL);
}

int DbMpoolFile::get_fileid(u_int8_t* fileid) {
  return report("DbMpoolFile::get_fileid",
                imp_ != nullptr ? imp_->get_fileid(imp_, fileid) : EINVAL);
}

int DbMpoolFile::set_fileid(u_int8_t* fileid) {
  return report("DbMpoolFile::set_fileid",
                imp_ != nullptr ? imp_->set_fileid(imp_, fileid) : EINVAL);
}

int DbMpoolFile::get_flags(u_int32_t* flagsp) {
  return report("DbMpoolFile::get_flags", imp_ != nullptr ? imp_->get_flags(imp_, flagsp) : EINVAL);
}

int DbMpoolFile::set_flags(u_int32_t flags, int onoff) {
  return report("DbMpoolFile::set_flags",
                imp_ != nullptr ? imp_->set_flags(imp_, flags, onoff) : EINVAL);
}

int DbMpoolFile::get_ftype(int* ftypep) {
  return report("DbMpoolFile::get_ftype", imp_ != nullptr ? imp_->get_ftype(imp_, ftypep) : EINVAL);
}

int DbMpoolFile::set_ftype(int ftype) {
  return report("DbMpoolFile::set_ftype", imp_ != nullptr ? imp_->set_ftype(imp_, ftype) : EINVAL);
}

int DbMpoolFile::get_last_pgno(db_pgno_t* pgnoaddr) {
  return report("DbMpoolFile::get_last_pgno",
                imp_ != nullptr ? imp_->get_last_pgno(imp_, pgnoaddr) : EINVAL);
}

int DbMpoolFile::get_lsn_offset(int32_t* offsetp) {
  return report("DbMpoolFile::get_lsn_offset",
                imp_ != nullptr ? imp_->get_lsn_offset(imp_, offsetp) : EINVAL);
}

int DbMpoolFile::set_lsn_offset(int32_t offset) {
  return report("DbMpoolFile::set_lsn_offset",
                imp_ != nullptr ? imp_->set_lsn_offset(imp_, offset) : EINVAL);
}

int DbMpoolFile::get_maxsize(u_int32_t* gbytesp, u_int32_t* bytesp) {
  return report("DbMpoolFile::get_maxsize",
                imp_ != nullptr ? imp_->get_maxsize(imp_, gbytesp, bytesp) : EINVAL);
}

int DbMpoolFile::set_maxsize(u_int32_t gbytes, u_int32_t bytes) {
  return report("DbMpoolFile::set_maxsize",
                imp_ != nullptr ? imp_->set_maxsize(imp_, gbytes, bytes) : EINVAL);
}

int DbMpoolFile::get_pgcookie(Dbt* dbt) {
  DBT* c = dbt != nullptr ? dbt->get_DBT() : nullptr;
  return report("DbMpoolFile::get_pgcookie",
                imp_ != nullptr ? imp_->get_pgcookie(imp_, c) : EINVAL, dbt);
}

int DbMpoolFile::set_pgcookie(Dbt* dbt) {
  DBT* c = dbt != nullptr ? dbt->get_DBT() : nullptr;
  return report("DbMpoolFile::set_pgcookie",
                imp_ != nullptr ? imp_->set_pgcookie(imp_, c) : EINVAL, dbt);
}

int DbMpoolFile::get_pgcookie(DBT* dbt) { return get_pgcookie(Dbt::get_Dbt(dbt)); }

int DbMpoolFile::set_pgcookie(DBT* dbt) { return set_pgcookie(Dbt::get_Dbt(dbt)); }

int DbMpoolFile::get_priority(DB_CACHE_PRIORITY* priorityp) {
  return report("DbMpoolFile::get_priority",
                imp_ != nullptr ? imp_->get_priority(imp_, priorityp) : EINVAL);
}

int DbMpoolFile::set_priority(DB_CACHE_PRIORITY priority) {
  return report("DbMpoolFile::set_priority",
                imp_ != nullptr ? imp_->set_priority(imp_, priority) : EINVAL);
}
