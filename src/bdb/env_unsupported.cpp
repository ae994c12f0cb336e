// src/bdb/env_unsupported.cpp: the DB_ENV methods for things pagepool does
// not do. Each compiles and links as Berkeley DB's does; a call reports what
// is missing through the environment's error channel (errcall, errfile, or
// the C++ error stream), returns the error Berkeley DB documents for it, and
// changes nothing:
//   - data directories (set_data_dir, add_data_dir, set_create_dir,
//     set_metadata_dir): pagepool finds files relative to the home directory
//     only, so a directory list would silently go unsearched. EINVAL. The
//     getters report none set.
//   - fileid_reset, lsn_reset: these rewrite a database file's metadata
//     page; pagepool has no database file format. EINVAL.
//   - set_encrypt, get_encrypt_flags: there is no cryptography. DB_OPNOTSUP,
//     which is what Berkeley DB built without it returns.
// The argument checks come first where Berkeley DB has them, so that a call
// that would be wrong in Berkeley DB is also reported as such.
#include <cerrno>

#include "bdb/bdb_internal.hpp"

namespace pagepool::bdb {

namespace {

constexpr const char* no_data_dirs =
    "pagepool finds files relative to the environment's home directory only; "
    "data directories are not supported";

int add_data_dir(DB_ENV* dbenv, const char* dir) {
  (void)dir;
  return refuse_unsupported(env_of(dbenv), EINVAL, "DB_ENV->add_data_dir", no_data_dirs);
}

int set_data_dir(DB_ENV* dbenv, const char* dir) {
  (void)dir;
  return refuse_unsupported(env_of(dbenv), EINVAL, "DB_ENV->set_data_dir", no_data_dirs);
}

int get_data_dirs(DB_ENV* dbenv, const char*** dirsp) {
  (void)dbenv;
  if (dirsp) *dirsp = nullptr;  // none set: none can be
  return 0;
}

int set_create_dir(DB_ENV* dbenv, const char* dir) {
  (void)dir;
  return refuse_unsupported(env_of(dbenv), EINVAL, "DB_ENV->set_create_dir", no_data_dirs);
}

int get_create_dir(DB_ENV* dbenv, const char** dirp) {
  (void)dbenv;
  if (dirp) *dirp = nullptr;
  return 0;
}

int set_metadata_dir(DB_ENV* dbenv, const char* dir) {
  (void)dir;
  return refuse_unsupported(env_of(dbenv), EINVAL, "DB_ENV->set_metadata_dir", no_data_dirs);
}

int get_metadata_dir(DB_ENV* dbenv, const char** dirp) {
  (void)dbenv;
  if (dirp) *dirp = nullptr;
  return 0;
}

constexpr const char* no_file_format =
    "pagepool has no database file format; there is no metadata to reset";

int fileid_reset(DB_ENV* dbenv, const char* file, u_int32_t flags) {
  dbenv_state* e = env_of(dbenv);
  if (flags != 0 && flags != DB_ENCRYPT) {
    report(e, 0, "DB_ENV->fileid_reset: unknown flags 0x%x", flags);
    return EINVAL;
  }
  (void)file;
  return refuse_unsupported(e, EINVAL, "DB_ENV->fileid_reset", no_file_format);
}

int lsn_reset(DB_ENV* dbenv, const char* file, u_int32_t flags) {
  dbenv_state* e = env_of(dbenv);
  if (flags != 0 && flags != DB_ENCRYPT) {
    report(e, 0, "DB_ENV->lsn_reset: unknown flags 0x%x", flags);
    return EINVAL;
  }
  (void)file;
  return refuse_unsupported(e, EINVAL, "DB_ENV->lsn_reset", no_file_format);
}

constexpr const char* no_crypto = "library build did not include support for cryptography";

int set_encrypt(DB_ENV* dbenv, const char* passwd, u_int32_t flags) {
  (void)passwd;
  (void)flags;
  return refuse_unsupported(env_of(dbenv), DB_OPNOTSUP, "DB_ENV->set_encrypt", no_crypto);
}

int get_encrypt_flags(DB_ENV* dbenv, u_int32_t* flagsp) {
  (void)flagsp;
  return refuse_unsupported(env_of(dbenv), DB_OPNOTSUP, "DB_ENV->get_encrypt_flags", no_crypto);
}

}  // namespace

void init_env_unsupported(DB_ENV& a) noexcept {
  a.add_data_dir = add_data_dir;
  a.fileid_reset = fileid_reset;
  a.get_create_dir = get_create_dir;
  a.get_data_dirs = get_data_dirs;
  a.get_encrypt_flags = get_encrypt_flags;
  a.get_metadata_dir = get_metadata_dir;
  a.lsn_reset = lsn_reset;
  a.set_create_dir = set_create_dir;
  a.set_data_dir = set_data_dir;
  a.set_encrypt = set_encrypt;
  a.set_metadata_dir = set_metadata_dir;
}

}  // namespace pagepool::bdb
