// src/bdb/cxx_except.cpp: DbException, DbMemoryException and Dbt (db_cxx.h), and the
// error policy shared by DbEnv and DbMpoolFile (DbEnv::report).
#include <cerrno>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "db_cxx.h"

namespace {

// "prefix: description: db_strerror(err)", leaving out what is absent. If
// the string cannot be allocated, the exception still carries a fixed text.
std::shared_ptr<const std::string> describe(const char* prefix, const char* description,
                                            int err) noexcept {
  try {
    std::string s;
    auto append = [&s](const char* part) {
      if (part == nullptr || *part == '\0') return;
      if (!s.empty()) s += ": ";
      s += part;
    };
    append(prefix);
    append(description);
    if (err != 0) append(db_strerror(err));
    return std::make_shared<const std::string>(std::move(s));
  } catch (...) {
    return nullptr;
  }
}

constexpr const char* kBufferSmall = "Dbt not large enough for the data";

}  // namespace

// ----------------------------------------------------------------- DbException

DbException::DbException(int err) : what_(describe(nullptr, nullptr, err)), err_(err), dbenv_(nullptr) {}

DbException::DbException(const char* description)
    : what_(describe(nullptr, description, 0)), err_(0), dbenv_(nullptr) {}

DbException::DbException(const char* description, int err)
    : what_(describe(nullptr, description, err)), err_(err), dbenv_(nullptr) {}

DbException::DbException(const char* prefix, const char* description, int err)
    : what_(describe(prefix, description, err)), err_(err), dbenv_(nullptr) {}

DbException::~DbException() noexcept = default;
DbException::DbException(const DbException&) noexcept = default;
DbException& DbException::operator=(const DbException&) noexcept = default;

int DbException::get_errno() const noexcept { return err_; }

const char* DbException::what() const noexcept {
  return what_ != nullptr ? what_->c_str() : "DbException (no memory for its description)";
}

DbEnv* DbException::get_env() const noexcept { return dbenv_; }

void DbException::set_env(DbEnv* dbenv) noexcept { dbenv_ = dbenv; }

// ----------------------------------------------------------- DbMemoryException

DbMemoryException::DbMemoryException(Dbt* dbt)
    : DbException(nullptr, kBufferSmall, DB_BUFFER_SMALL), dbt_(dbt) {}

DbMemoryException::DbMemoryException(const char* prefix, Dbt* dbt)
    : DbException(prefix, kBufferSmall, DB_BUFFER_SMALL), dbt_(dbt) {}

DbMemoryException::DbMemoryException(const char* description, int err)
    : DbException(description, err), dbt_(nullptr) {}

DbMemoryException::~DbMemoryException() noexcept = default;
DbMemoryException::DbMemoryException(const DbMemoryException&) noexcept = default;
DbMemoryException& DbMemoryException::operator=(const DbMemoryException&) noexcept = default;

Dbt* DbMemoryException::get_dbt() const noexcept { return dbt_; }

// ------------------------------------------------------------------------- Dbt

Dbt::Dbt() noexcept : DBT() {}

Dbt::Dbt(void* data_arg, u_int32_t size_arg) noexcept : DBT() {
  data = data_arg;
  size = size_arg;
}

Dbt::~Dbt() = default;
Dbt::Dbt(const Dbt& other) noexcept = default;
Dbt& Dbt::operator=(const Dbt& other) noexcept = default;

// -------------------------------------------------------------- error policy

int DbEnv::report(DbEnv* env, bool throws, const char* method, int error, Dbt* dbt) {
  if (error == 0 || !throws) return error;
  if (error == DB_BUFFER_SMALL && dbt != nullptr) {
    DbMemoryException e(method, dbt);
    e.set_env(env);
    throw e;
  }
  if (error == ENOMEM || error == DB_BUFFER_SMALL) {
    DbMemoryException e(method, error);
    e.set_env(env);
    throw e;
  }
  DbException e(method, error);
  e.set_env(env);
  throw e;
}
