// src/bdb/cxx_env_settings.cpp: DbEnv's methods (db_cxx.h) for the settings
// pagepool keeps for their getters, stat_print, and what pagepool does not
// do (data directories, file-id and LSN resets, encryption). Each calls the
// C method of the same name (env_settings.cpp, env_unsupported.cpp), whose
// message goes to the environment's error channel (errcall, errfile or
// error stream), and reports its result as every DbEnv method does.
#include <cerrno>

#include "db_cxx.h"

// ------------------------------------------------------------ messages

int DbEnv::get_verbose(u_int32_t which, int* onoffp) {
  return report("DbEnv::get_verbose",
                imp_ != nullptr ? imp_->get_verbose(imp_, which, onoffp) : EINVAL);
}

int DbEnv::set_verbose(u_int32_t which, int onoff) {
  return report("DbEnv::set_verbose",
                imp_ != nullptr ? imp_->set_verbose(imp_, which, onoff) : EINVAL);
}

int DbEnv::stat_print(u_int32_t flags) {
  return report("DbEnv::stat_print", imp_ != nullptr ? imp_->stat_print(imp_, flags) : EINVAL);
}

// -------------------------------------------------- settings kept

int DbEnv::get_shm_key(long* keyp) {
  return report("DbEnv::get_shm_key", imp_ != nullptr ? imp_->get_shm_key(imp_, keyp) : EINVAL);
}

int DbEnv::set_shm_key(long key) {
  return report("DbEnv::set_shm_key", imp_ != nullptr ? imp_->set_shm_key(imp_, key) : EINVAL);
}

int DbEnv::get_timeout(db_timeout_t* timeoutp, u_int32_t which) {
  return report("DbEnv::get_timeout",
                imp_ != nullptr ? imp_->get_timeout(imp_, timeoutp, which) : EINVAL);
}

int DbEnv::set_timeout(db_timeout_t timeout, u_int32_t which) {
  return report("DbEnv::set_timeout",
                imp_ != nullptr ? imp_->set_timeout(imp_, timeout, which) : EINVAL);
}

int DbEnv::get_intermediate_dir_mode(const char** modep) {
  return report("DbEnv::get_intermediate_dir_mode",
                imp_ != nullptr ? imp_->get_intermediate_dir_mode(imp_, modep) : EINVAL);
}

int DbEnv::set_intermediate_dir_mode(const char* mode) {
  return report("DbEnv::set_intermediate_dir_mode",
                imp_ != nullptr ? imp_->set_intermediate_dir_mode(imp_, mode) : EINVAL);
}

int DbEnv::get_memory_init(DB_MEM_CONFIG type, u_int32_t* countp) {
  return report("DbEnv::get_memory_init",
                imp_ != nullptr ? imp_->get_memory_init(imp_, type, countp) : EINVAL);
}

int DbEnv::set_memory_init(DB_MEM_CONFIG type, u_int32_t count) {
  return report("DbEnv::set_memory_init",
                imp_ != nullptr ? imp_->set_memory_init(imp_, type, count) : EINVAL);
}

int DbEnv::get_memory_max(u_int32_t* gbytesp, u_int32_t* bytesp) {
  return report("DbEnv::get_memory_max",
                imp_ != nullptr ? imp_->get_memory_max(imp_, gbytesp, bytesp) : EINVAL);
}

int DbEnv::set_memory_max(u_int32_t gbytes, u_int32_t bytes) {
  return report("DbEnv::set_memory_max",
                imp_ != nullptr ? imp_->set_memory_max(imp_, gbytes, bytes) : EINVAL);
}

int DbEnv::get_alloc(db_malloc_fcn_type* mallocp, db_realloc_fcn_type* reallocp,
                     db_free_fcn_type* freep) {
  return report("DbEnv::get_alloc",
                imp_ != nullptr ? imp_->get_alloc(imp_, mallocp, reallocp, freep) : EINVAL);
}

// ----------------------------------------- what pagepool does not do

int DbEnv::add_data_dir(const char* dir) {
  return report("DbEnv::add_data_dir", imp_ != nullptr ? imp_->add_data_dir(imp_, dir) : EINVAL);
}

int DbEnv::set_data_dir(const char* dir) {
  return report("DbEnv::set_data_dir", imp_ != nullptr ? imp_->set_data_dir(imp_, dir) : EINVAL);
}

int DbEnv::get_data_dirs(const char*** dirsp) {
  return report("DbEnv::get_data_dirs",
                imp_ != nullptr ? imp_->get_data_dirs(imp_, dirsp) : EINVAL);
}

int DbEnv::get_create_dir(const char** dirp) {
  return report("DbEnv::get_create_dir",
                imp_ != nullptr ? imp_->get_create_dir(imp_, dirp) : EINVAL);
}

int DbEnv::set_create_dir(const char* dir) {
  return report("DbEnv::set_create_dir",
                imp_ != nullptr ? imp_->set_create_dir(imp_, dir) : EINVAL);
}

int DbEnv::get_metadata_dir(const char** dirp) {
  return report("DbEnv::get_metadata_dir",
                imp_ != nullptr ? imp_->get_metadata_dir(imp_, dirp) : EINVAL);
}

int DbEnv::set_metadata_dir(const char* dir) {
  return report("DbEnv::set_metadata_dir",
                imp_ != nullptr ? imp_->set_metadata_dir(imp_, dir) : EINVAL);
}

int DbEnv::fileid_reset(const char* file, u_int32_t flags) {
  return report("DbEnv::fileid_reset",
                imp_ != nullptr ? imp_->fileid_reset(imp_, file, flags) : EINVAL);
}

int DbEnv::lsn_reset(const char* file, u_int32_t flags) {
  return report("DbEnv::lsn_reset", imp_ != nullptr ? imp_->lsn_reset(imp_, file, flags) : EINVAL);
}

int DbEnv::get_encrypt_flags(u_int32_t* flagsp) {
  return report("DbEnv::get_encrypt_flags",
                imp_ != nullptr ? imp_->get_encrypt_flags(imp_, flagsp) : EINVAL);
}

int DbEnv::set_encrypt(const char* passwd, u_int32_t flags) {
  return report("DbEnv::set_encrypt",
                imp_ != nullptr ? imp_->set_encrypt(imp_, passwd, flags) : EINVAL);
}

bool DbEnv::is_bigendian() { return imp_ != nullptr ? imp_->is_bigendian() != 0 : false; }
