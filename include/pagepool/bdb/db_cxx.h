// pagepool/bdb/db_cxx.h: Berkeley DB 5.3's C++ API for the environment and the
// memory pool (DbEnv, DbMpoolFile, Dbt, DbLsn, DbException), served by
// pagepool through the C API of db.h. BDB: db_cxx.h.
//
// A C++ program written for Berkeley DB's memory pool builds against this
// header by changing only its include path and link line:
//
//     c++ prog.cpp $(pkg-config --cflags --libs pagepool-bdb)
//
// Source compatibility, not binary: class, method and type names are Berkeley
// DB 5.3's, but only the environment and memory-pool parts exist. Every method
// calls the C method of the same name (db.h) and reports its result. The
// seed's Berkeley DB 2.x API (DbMpool, DbMpoolFile::open(mp, ...)) is here
// too: db_cxx_mpool.h, included at the end, says how one DbMpoolFile class
// serves both.
//
// Errors. A method that fails either throws or returns the error, chosen once
// per environment:
//   - DbEnv(0): a non-zero return becomes an exception: DbException carrying
//     the error (get_errno()), the method's name (what()) and the DbEnv
//     (get_env()); DbMemoryException, a DbException, for ENOMEM and
//     DB_BUFFER_SMALL.
//   - DbEnv(DB_CXX_NO_EXCEPTIONS): nothing is thrown; the error is returned.
// A DbMpoolFile follows the policy of the DbEnv that made it. Results that are
// not failures are always returned, never thrown: DB_PAGE_NOTFOUND from
// DbMpoolFile::get, and DB_PP_INCOMPLETE (pagepool's DB_INCOMPLETE) from
// DbEnv::memp_sync and DbMpoolFile::sync.
// A method called on a wrapper whose C handle is gone (a DbEnv after close or
// remove, a DbMpoolFile whose environment was closed) fails with EINVAL, thrown
// or returned as above. Methods that return void do nothing then.
//
// Lifetimes (as in Berkeley DB):
//   - DbEnv is the application's object (on the stack or with new). close()
//     and remove() free the C handle whatever they return; the DbEnv object
//     itself lives on until destroyed. Its destructor closes the environment
//     if the application did not, ignoring errors.
//   - DbMpoolFile objects are made only by DbEnv::memp_fcreate and freed only
//     by DbMpoolFile::close, which deletes the object even when it fails.
//     Closing the environment closes the C handles of its files that are still
//     open (the C layer does so); their DbMpoolFile objects then fail with
//     EINVAL until closed, which deletes them.
//
// Thread safety: as db.h, whose methods these call: DbMpoolFile's get, put,
// set and sync may run on one object from several threads at once. Configure
// a DbEnv (set_*) before sharing it; close must not run concurrently with
// other calls on the same object (or, for a DbEnv, on its files).
// DbEnv::get_DbEnv may be called from any thread.
//
// Needs C++11 or later.
#ifndef PAGEPOOL_BDB_DB_CXX_H
#define PAGEPOOL_BDB_DB_CXX_H

#include <exception>
#include <iosfwd>
#include <memory>
#include <string>

#include "db.h"

class DbEnv;
class DbMpoolFile;
class DbMpool;
class Dbt;
class DbLsn;
/// Transactions do not exist in pagepool: DbTxn is declared only so that
/// DbMpoolFile::get keeps Berkeley DB's signature. Pass NULL; anything else is
/// EINVAL (from the C layer).
class DbTxn;
class DbException;
class DbMemoryException;
namespace pagepool {
namespace bdb_detail {
struct env_state;     // DbEnv's bookkeeping, private to the library
struct mpool_files;   // DbMpool's open files, private to the library
}  // namespace bdb_detail
}  // namespace pagepool

extern "C" {
/// Page-in and page-out functions for DbEnv::memp_register: called with the
/// environment, the page number, the page's memory and the file's pgcookie. A
/// non-zero return fails the get (pgin) or the write (pgout). BDB: the same.
typedef int (*pgin_fcn_type)(DB_ENV *dbenv, db_pgno_t pgno, void *pgaddr, DBT *pgcookie);
typedef int (*pgout_fcn_type)(DB_ENV *dbenv, db_pgno_t pgno, void *pgaddr, DBT *pgcookie);
/// Allocation functions for DbEnv::set_alloc (memp_stat's results).
typedef void *(*db_malloc_fcn_type)(size_t);
typedef void *(*db_realloc_fcn_type)(void *, size_t);
typedef void (*db_free_fcn_type)(void *);
}

// ------------------------------------------------------------------ DbException

/// The exception thrown by a failing method of an environment created without
/// DB_CXX_NO_EXCEPTIONS. get_errno() is the error the C method returned (an
/// errno value or one of db.h's DB_* codes); what() names the method and the
/// error ("DbMpoolFile::open: Invalid argument"); get_env() is the DbEnv the
/// method belongs to, or NULL. Copying never throws. BDB: DbException.
class DbException : public std::exception {
 public:
  /// what() is db_strerror(err).
  explicit DbException(int err);
  /// get_errno() is 0; what() is description.
  explicit DbException(const char *description);
  /// what() is "description: db_strerror(err)" (just the error's text when
  /// description is NULL).
  DbException(const char *description, int err);
  /// what() is "prefix: description: db_strerror(err)", leaving out the parts
  /// that are NULL.
  DbException(const char *prefix, const char *description, int err);
  ~DbException() noexcept override;
  DbException(const DbException &) noexcept;
  DbException &operator=(const DbException &) noexcept;

  /// The error: an errno value or a DB_* code; 0 when none was given.
  int get_errno() const noexcept;
  /// The description; valid as long as this exception (or a copy) lives.
  const char *what() const noexcept override;
  /// The environment whose method threw, or NULL.
  DbEnv *get_env() const noexcept;
  void set_env(DbEnv *dbenv) noexcept;

 private:
  std::shared_ptr<const std::string> what_;  // shared: copies never allocate
  int err_;
  DbEnv *dbenv_;
};

/// A DbException for a lack of memory: ENOMEM (a method that could not
/// allocate, or DbMpoolFile::open past the open-file limit, as the manual
/// says), or DB_BUFFER_SMALL (a Dbt whose DB_DBT_USERMEM buffer, ulen bytes,
/// is too small; get_dbt() is that Dbt, with size set to the bytes needed).
/// BDB: DbMemoryException.
class DbMemoryException : public DbException {
 public:
  /// DB_BUFFER_SMALL for dbt.
  explicit DbMemoryException(Dbt *dbt);
  /// DB_BUFFER_SMALL for dbt; what() starts with prefix (a method's name).
  DbMemoryException(const char *prefix, Dbt *dbt);
  /// pagepool: any error (ENOMEM in practice) with no Dbt; what() as
  /// DbException(description, err).
  DbMemoryException(const char *description, int err);
  ~DbMemoryException() noexcept override;
  DbMemoryException(const DbMemoryException &) noexcept;
  DbMemoryException &operator=(const DbMemoryException &) noexcept;

  /// The Dbt that was too small, or NULL.
  Dbt *get_dbt() const noexcept;

 private:
  Dbt *dbt_;
};

// -------------------------------------------------------------------------- Dbt

/// A DBT (db.h) with accessors; a Dbt* and the DBT* of get_DBT() name the
/// same object, so a Dbt can be passed wherever a DBT* is wanted. Here only
/// the pgcookie uses it. The Dbt never owns the memory it points to.
/// BDB: Dbt.
class Dbt : private DBT {
 public:
  /// All fields zero.
  Dbt() noexcept;
  /// data and size set, everything else zero.
  Dbt(void *data, u_int32_t size) noexcept;
  ~Dbt();
  /// Copies the fields (the data pointer, not the bytes).
  Dbt(const Dbt &) noexcept;
  Dbt &operator=(const Dbt &) noexcept;

  void *get_data() const noexcept { return data; }
  void set_data(void *value) noexcept { data = value; }
  u_int32_t get_size() const noexcept { return size; }
  void set_size(u_int32_t value) noexcept { size = value; }
  /// Bytes of the application's buffer (DB_DBT_USERMEM).
  u_int32_t get_ulen() const noexcept { return ulen; }
  void set_ulen(u_int32_t value) noexcept { ulen = value; }
  u_int32_t get_dlen() const noexcept { return dlen; }
  void set_dlen(u_int32_t value) noexcept { dlen = value; }
  u_int32_t get_doff() const noexcept { return doff; }
  void set_doff(u_int32_t value) noexcept { doff = value; }
  /// DB_DBT_MALLOC, DB_DBT_REALLOC, DB_DBT_USERMEM.
  u_int32_t get_flags() const noexcept { return flags; }
  void set_flags(u_int32_t value) noexcept { flags = value; }

  /// This object as the C struct.
  DBT *get_DBT() noexcept { return static_cast<DBT *>(this); }
  const DBT *get_const_DBT() const noexcept { return static_cast<const DBT *>(this); }
  /// A DBT as a Dbt (the same object).
  static Dbt *get_Dbt(DBT *dbt) noexcept { return static_cast<Dbt *>(dbt); }
  static const Dbt *get_const_Dbt(const DBT *dbt) noexcept {
    return static_cast<const Dbt *>(dbt);
  }
};

// ------------------------------------------------------------------------ DbLsn

/// A log sequence number (file, offset): a DB_LSN. Not initialised by its
/// constructor, like the C struct. BDB: DbLsn.
class DbLsn : public DB_LSN {};

// ------------------------------------------------------------------------ DbEnv

/// An environment: here, one memory pool. Construct it, configure it (set_*),
/// open it with DB_INIT_MPOOL, make files with memp_fcreate, then close it.
/// Wraps the DB_ENV made by db_env_create; each method calls the C method of
/// the same name, so arguments, flags, defaults and errors are db.h's (see
/// there for where pagepool departs from Berkeley DB: exact cache sizes,
/// set_cachesize after open resizing the live cache, and so on).
/// Errors: see the top of this file. BDB: DbEnv.
class DbEnv {
 public:
  /// Creates the environment handle (db_env_create). flags: 0 or
  /// DB_CXX_NO_EXCEPTIONS (the error policy above). If db_env_create fails,
  /// the constructor throws DbException (DbMemoryException for ENOMEM), or,
  /// with DB_CXX_NO_EXCEPTIONS, leaves a DbEnv on which every method fails
  /// with EINVAL.
  explicit DbEnv(u_int32_t flags);
  /// Closes the environment if close() or remove() was not called, ignoring
  /// errors (never throws).
  virtual ~DbEnv();
  DbEnv(const DbEnv &) = delete;
  DbEnv &operator=(const DbEnv &) = delete;

  // -- life cycle

  /// Opens the environment. flags must include DB_INIT_MPOOL (DB_CREATE to
  /// make it); EINVAL for the subsystems pagepool lacks. BDB: DbEnv::open.
  virtual int open(const char *home, u_int32_t flags, int mode);
  /// Closes the environment and frees the C handle, whatever the result; the
  /// files still open are closed with it (their DbMpoolFile objects then fail
  /// with EINVAL until closed). BDB: DbEnv::close.
  virtual int close(u_int32_t flags);
  /// Removes the environment's files. Call on an unopened DbEnv; the C handle
  /// is freed whatever the result. flags: 0 or DB_FORCE. BDB: DbEnv::remove.
  virtual int remove(const char *home, u_int32_t flags);

  // -- configuration (db.h says which may follow open)

  virtual int get_cachesize(u_int32_t *gbytesp, u_int32_t *bytesp, int *ncachep);
  /// Before open: the cache size. After open: resizes the live cache (up to
  /// cache_max), keeping every page.
  virtual int set_cachesize(u_int32_t gbytes, u_int32_t bytes, int ncache);
  virtual int get_cache_max(u_int32_t *gbytesp, u_int32_t *bytesp);
  virtual int set_cache_max(u_int32_t gbytes, u_int32_t bytes);
  virtual int get_flags(u_int32_t *flagsp);
  /// DB_NOMMAP, DB_DIRECT_DB.
  virtual int set_flags(u_int32_t flags, int onoff);
  virtual int get_home(const char **homep);
  virtual int get_open_flags(u_int32_t *flagsp);
  virtual int get_mp_max_openfd(int *maxopenfdp);
  virtual int set_mp_max_openfd(int maxopenfd);
  virtual int get_mp_max_write(int *maxwritep, db_timeout_t *maxwrite_sleepp);
  virtual int set_mp_max_write(int maxwrite, db_timeout_t maxwrite_sleep);
  virtual int get_mp_mmapsize(size_t *mp_mmapsizep);
  virtual int set_mp_mmapsize(size_t mp_mmapsize);
  /// pagepool: also the frame size; a file with larger pages cannot open.
  virtual int get_mp_pagesize(u_int32_t *pagesizep);
  virtual int set_mp_pagesize(u_int32_t pagesize);
  virtual int get_mp_tablesize(u_int32_t *tablesizep);
  virtual int set_mp_tablesize(u_int32_t tablesize);
  virtual int get_tmp_dir(const char **dirp);
  virtual int set_tmp_dir(const char *dir);
  /// The functions memp_stat allocates its results with (default malloc).
  virtual int set_alloc(db_malloc_fcn_type app_malloc, db_realloc_fcn_type app_realloc,
                        db_free_fcn_type app_free);

  // -- messages

  /// Error messages of the C layer go to errcall (with the errpfx and the
  /// message) and to errfile. errcall receives this DbEnv.
  virtual void get_errcall(void (**errcallp)(const DbEnv *, const char *, const char *));
  virtual void set_errcall(void (*errcall)(const DbEnv *, const char *, const char *));
  virtual void get_errfile(FILE **errfilep);
  virtual void set_errfile(FILE *errfile);
  virtual void get_errpfx(const char **errpfxp);
  virtual void set_errpfx(const char *errpfx);
  /// Informational messages (memp_stat_print) go to msgcall and msgfile.
  virtual void get_msgcall(void (**msgcallp)(const DbEnv *, const char *));
  virtual void set_msgcall(void (*msgcall)(const DbEnv *, const char *));
  virtual void get_msgfile(FILE **msgfilep);
  virtual void set_msgfile(FILE *msgfile);
  /// Reports an error through errcall/errfile: the formatted message, then
  /// ": " and db_strerror(error).
  virtual void err(int error, const char *format, ...)
#if defined(__GNUC__)
      __attribute__((format(printf, 3, 4)))
#endif
      ;
  /// The same, without an error's text.
  virtual void errx(const char *format, ...)
#if defined(__GNUC__)
      __attribute__((format(printf, 2, 3)))
#endif
      ;
  /// Error messages go to *stream instead ("errpfx: message", one line
  /// each); NULL stops that. It replaces set_errcall's callback, and
  /// set_errcall replaces it. BDB: DbEnv::set_error_stream.
  virtual void set_error_stream(std::ostream *stream);
  virtual std::ostream *get_error_stream();
  /// Informational messages go to *stream, one line each; replaces and is
  /// replaced by set_msgcall. BDB: DbEnv::set_message_stream.
  virtual void set_message_stream(std::ostream *stream);
  virtual std::ostream *get_message_stream();
  /// Kept for get_verbose; pagepool writes no verbose messages.
  virtual int get_verbose(u_int32_t which, int *onoffp);
  virtual int set_verbose(u_int32_t which, int onoff);
  /// The memory pool's statistics (the only subsystem) via memp_stat_print.
  virtual int stat_print(u_int32_t flags);

  // -- threads and failures (db.h: failchk has nothing to clean up in a
  //    pool private to one process; the callbacks are kept, never called)

  virtual int get_thread_count(u_int32_t *countp);
  virtual int set_thread_count(u_int32_t count);
  virtual int get_thread_id_fn(void (**fnp)(DbEnv *, pid_t *, db_threadid_t *));
  virtual int set_thread_id(void (*fn)(DbEnv *, pid_t *, db_threadid_t *));
  virtual int get_thread_id_string_fn(char *(**fnp)(DbEnv *, pid_t, db_threadid_t, char *));
  virtual int set_thread_id_string(char *(*fn)(DbEnv *, pid_t, db_threadid_t, char *));
  virtual int get_isalive(int (**fnp)(DbEnv *, pid_t, db_threadid_t, u_int32_t));
  virtual int set_isalive(int (*fn)(DbEnv *, pid_t, db_threadid_t, u_int32_t));
  virtual int failchk(u_int32_t flags);
  virtual int set_event_notify(void (*fn)(DbEnv *, u_int32_t, void *));
  virtual int get_feedback(void (**fnp)(DbEnv *, int, int));
  virtual int set_feedback(void (*fn)(DbEnv *, int, int));
  virtual int set_paniccall(void (*fn)(DbEnv *, int));

  // -- settings kept for their getters (db.h)

  virtual int get_shm_key(long *keyp);
  virtual int set_shm_key(long key);
  virtual int get_timeout(db_timeout_t *timeoutp, u_int32_t which);
  virtual int set_timeout(db_timeout_t timeout, u_int32_t which);
  virtual int get_intermediate_dir_mode(const char **modep);
  virtual int set_intermediate_dir_mode(const char *mode);
  virtual int get_memory_init(DB_MEM_CONFIG type, u_int32_t *countp);
  virtual int set_memory_init(DB_MEM_CONFIG type, u_int32_t count);
  virtual int get_memory_max(u_int32_t *gbytesp, u_int32_t *bytesp);
  virtual int set_memory_max(u_int32_t gbytes, u_int32_t bytes);
  virtual int get_alloc(db_malloc_fcn_type *mallocp, db_realloc_fcn_type *reallocp,
                        db_free_fcn_type *freep);
  virtual bool is_bigendian();

  // -- what pagepool does not do: the error db.h names, with a message
  //    (EINVAL: data directories, fileid_reset, lsn_reset; DB_OPNOTSUP:
  //    encryption); nothing changes

  virtual int add_data_dir(const char *dir);
  virtual int set_data_dir(const char *dir);
  virtual int get_data_dirs(const char ***dirsp);
  virtual int get_create_dir(const char **dirp);
  virtual int set_create_dir(const char *dir);
  virtual int get_metadata_dir(const char **dirp);
  virtual int set_metadata_dir(const char *dir);
  virtual int fileid_reset(const char *file, u_int32_t flags);
  virtual int lsn_reset(const char *file, u_int32_t flags);
  virtual int get_encrypt_flags(u_int32_t *flagsp);
  virtual int set_encrypt(const char *passwd, u_int32_t flags);

  // -- memory pool

  /// Makes a DbMpoolFile (not yet open) in *dbmfp. flags must be 0.
  /// ENOMEM if the wrapper cannot be allocated. BDB: DbEnv::memp_fcreate.
  virtual int memp_fcreate(DbMpoolFile **dbmfp, u_int32_t flags);
  /// Registers the page-in and page-out functions of files whose ftype is
  /// ftype (set_ftype); either may be NULL. Registering a type again replaces
  /// its functions. BDB: DbEnv::memp_register.
  virtual int memp_register(int ftype, pgin_fcn_type pgin_fcn, pgout_fcn_type pgout_fcn);
  /// Statistics: *gsp (if gsp is not NULL) and the NULL-terminated array *fsp
  /// (if fsp is not NULL), each one allocated block for the caller to free.
  /// flags: 0 or DB_STAT_CLEAR (counters reset after reading).
  virtual int memp_stat(DB_MPOOL_STAT **gsp, DB_MPOOL_FSTAT ***fsp, u_int32_t flags);
  virtual int memp_stat_print(u_int32_t flags);
  /// Writes every modified page to its file. Returns (never throws)
  /// DB_PP_INCOMPLETE when pages stayed pinned and were not written.
  virtual int memp_sync(DbLsn *lsn);
  /// Writes modified pages until pct percent (1..100) of the cache is clean;
  /// *nwrotep (if not NULL) receives the number written.
  virtual int memp_trickle(int pct, int *nwrotep);

  // -- conversions and utilities

  /// The C handle; NULL after close or remove.
  virtual DB_ENV *get_DB_ENV() { return imp_; }
  virtual const DB_ENV *get_const_DB_ENV() const { return imp_; }
  /// The DbEnv that wraps dbenv, or NULL (none, or already closed).
  /// Thread-safe.
  static DbEnv *get_DbEnv(DB_ENV *dbenv);
  static const DbEnv *get_const_DbEnv(const DB_ENV *dbenv);

  /// db_strerror.
  static char *strerror(int error);
  /// db_version.
  static char *version(int *major, int *minor, int *patch);
  /// db_version, with DB_VERSION_FAMILY and DB_VERSION_RELEASE too.
  static char *full_version(int *family, int *release, int *major, int *minor, int *patch);

 private:
  friend class DbMpoolFile;
  friend class DbMpool;

  bool throws() const noexcept { return (construct_flags_ & DB_CXX_NO_EXCEPTIONS) == 0; }
  /// A method's result: 0 stays 0; an error is returned or thrown (DbException
  /// with env set, DbMemoryException for ENOMEM, or for DB_BUFFER_SMALL with
  /// dbt) as `throws` says.
  static int report(DbEnv *env, bool throws, const char *method, int error, Dbt *dbt = nullptr);
  int report(const char *method, int error) { return report(this, throws(), method, error); }
  /// Frees the C handle's bookkeeping: unregisters it, detaches the files.
  void release_handle() noexcept;
  void forget_file(DbMpoolFile *file) noexcept;

  DB_ENV *imp_;               // NULL after close or remove
  u_int32_t construct_flags_;  // the constructor's flags
  pagepool::bdb_detail::env_state *state_;  // callbacks, open files
};

// The memory-pool classes: DbMpoolFile (5.3's, and seed 001's 2.x methods)
// and DbMpool (2.x).
#include "db_cxx_mpool.h"

#endif  // PAGEPOOL_BDB_DB_CXX_H
