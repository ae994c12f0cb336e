// pagepool/bdb/db_cxx_mpool.h: the memory-pool classes of db_cxx.h:
// DbMpoolFile, for Berkeley DB 5.3 and for the 2.x API of seed 001
// (DbMpoolFile(3)), and DbMpool, 2.x's pool. Included by db_cxx.h; not meant
// to be included alone.
//
// One DbMpoolFile class serves both APIs. Where a 2.x method has the same
// name and the same arguments as 5.3's, or arguments that convert (close()
// is close(u_int32_t = 0); set(void *, int) converts its flags to
// u_int32_t; sync() is one method), it is the same method. Where they differ
// (the static 10-argument open, get without a DbTxn, put without a
// priority) the 2.x form is an overload, so a call picks its API by its
// arguments. Flag names are shared, with 5.3's values: a program that uses
// the names, as both manuals do, is unaffected by the values.
//
// Where the 2.x pages and 5.3 differ in behaviour, the 2.x forms follow the
// 2.x page: get of a missing page is EINVAL, and DbMpool's results
// (DB_INCOMPLETE) and errors are reported as the DbEnv given to
// DbMpool::open says (thrown unless it was made with DB_CXX_NO_EXCEPTIONS;
// thrown when there is none, 2.x's default).
#ifndef PAGEPOOL_BDB_DB_CXX_MPOOL_H
#define PAGEPOOL_BDB_DB_CXX_MPOOL_H

#include "db_cxx.h"

class DbMpool;

// ------------------------------------------------------------------ DbMpoolFile

/// A file in the memory pool: made by DbEnv::memp_fcreate, configured with the
/// set_* methods, opened with open(), used with get/put/set/sync, released by
/// close() (which deletes the object). Wraps a DB_MPOOLFILE; each method calls
/// the C method of the same name, so arguments, flags and errors are db.h's.
/// Errors: as its DbEnv (top of this file); DB_PAGE_NOTFOUND from get and
/// DB_PP_INCOMPLETE from sync are returned, never thrown. BDB: DbMpoolFile.
class DbMpoolFile {
 public:
  DbMpoolFile(const DbMpoolFile &) = delete;
  DbMpoolFile &operator=(const DbMpoolFile &) = delete;

  /// Opens file (NULL: a private temporary file, backed on disk only when a
  /// page must leave the cache). flags: DB_CREATE, DB_DIRECT,
  /// DB_MULTIVERSION, DB_NOMMAP, DB_ODDFILESIZE, DB_RDONLY. mode 0 means
  /// 0660. EINVAL (bad flag or page size, DB_RDONLY with no file, a length
  /// not a multiple of pagesize), ENOENT (missing without DB_CREATE), ENOMEM
  /// (DbMemoryException: too many open files). BDB: DbMpoolFile::open.
  int open(const char *file, u_int32_t flags, int mode, size_t pagesize);
  /// Closes the handle, writing nothing, and deletes this object whatever
  /// the result. A temporary file's pages and backing file go with its last
  /// handle. BDB: DbMpoolFile::close.
  /// The 2.x close() is this with flags 0.
  int close(u_int32_t flags = 0);
  /// Pins page *pgnoaddr and stores its address in *(void **)pagep. flags:
  /// 0, or one of DB_MPOOL_CREATE, DB_MPOOL_LAST, DB_MPOOL_NEW (which write
  /// the page number back), with DB_MPOOL_DIRTY or DB_MPOOL_EDIT. txnid must
  /// be NULL. Returns DB_PAGE_NOTFOUND (not thrown) for a missing page.
  /// EINVAL, EACCES, ENOSPC, ENOMEM, EAGAIN as db.h. BDB: DbMpoolFile::get.
  int get(db_pgno_t *pgnoaddr, DbTxn *txnid, u_int32_t flags, void *pagep);
  /// Unpins a page from get. flags: DB_MPOOL_CLEAN, DB_MPOOL_DIRTY,
  /// DB_MPOOL_DISCARD (CLEAN and DIRTY exclusive). BDB: DbMpoolFile::put.
  int put(void *pgaddr, DB_CACHE_PRIORITY priority, u_int32_t flags);
  /// Changes a pinned page's flags (as put's) without unpinning it. Serves
  /// 2.x's set(void *, int) too: its int flags convert.
  /// BDB: DbMpoolFile::set (the manual's).
  int set(void *pgaddr, u_int32_t flags);
  /// Writes the file's modified pages. Returns (never throws)
  /// DB_PP_INCOMPLETE (2.x: DB_INCOMPLETE) when some stayed pinned: they are
  /// not written, every other modified page is. BDB: DbMpoolFile::sync, in
  /// 5.3 and in 2.x alike.
  int sync();

  // -- Berkeley DB 2.x (seed 001, DbMpoolFile(3)): a file opened in a
  //    DbMpool in one call. The methods above serve 2.x's close(), set()
  //    and sync() as they are; get and put differ in their arguments, so the
  //    2.x forms are overloads of their own.

  /// Makes and opens a file in mp's pool in one call: as memp_fcreate, then
  /// set_ftype(ftype) unless 0, set_lsn_offset(lsn_offset) (-1: none),
  /// set_pgcookie(pgcookie) and set_fileid(uid) unless NULL, then
  /// open(file, flags, mode, pagesize). flags: DB_CREATE, DB_NOMMAP,
  /// DB_RDONLY (and 5.3's other open flags). *mpf is the new file, to be
  /// released with close(); nothing is made on failure. Errors as open, and
  /// EINVAL for a NULL or closed mp or a NULL mpf; thrown or returned as
  /// mp's environment says. BDB 2.x: DbMpoolFile::open.
  static int open(DbMpool *mp, const char *file, int ftype, int flags, int mode,
                  size_t pagesize, int lsn_offset, Dbt *pgcookie, u_int8_t *uid,
                  DbMpoolFile **mpf);
  /// Pins page *pgnoaddr and stores its address in *pagep. flags: 0, or one
  /// of DB_MPOOL_CREATE, DB_MPOOL_LAST, DB_MPOOL_NEW (these two write the
  /// page number back). As the 2.x page says, a page that does not exist
  /// without DB_MPOOL_CREATE is EINVAL (thrown or returned), not 5.3's
  /// DB_PAGE_NOTFOUND. BDB 2.x: DbMpoolFile::get.
  int get(db_pgno_t *pgnoaddr, int flags, void **pagep);
  /// Unpins a page from get. flags: DB_MPOOL_CLEAN, DB_MPOOL_DIRTY (the page
  /// is written back by sync, or before it leaves the cache),
  /// DB_MPOOL_DISCARD. BDB 2.x: DbMpoolFile::put.
  int put(void *pgaddr, int flags);

  // -- configuration: clear_len, fileid, ftype, lsn_offset and pgcookie
  //    before open only (EINVAL after)

  int get_clear_len(u_int32_t *lenp);
  int set_clear_len(u_int32_t len);
  /// DB_FILE_ID_LEN bytes.
  int get_fileid(u_int8_t *fileid);
  int set_fileid(u_int8_t *fileid);
  /// DB_MPOOL_NOFILE, DB_MPOOL_UNLINK.
  int get_flags(u_int32_t *flagsp);
  int set_flags(u_int32_t flags, int onoff);
  int get_ftype(int *ftypep);
  int set_ftype(int ftype);
  int get_last_pgno(db_pgno_t *pgnoaddr);
  int get_lsn_offset(int32_t *offsetp);
  int set_lsn_offset(int32_t offset);
  int get_maxsize(u_int32_t *gbytesp, u_int32_t *bytesp);
  int set_maxsize(u_int32_t gbytes, u_int32_t bytes);
  /// The bytes handed to pgin and pgout. get_pgcookie fills the Dbt as the C
  /// method does; DB_BUFFER_SMALL is thrown as DbMemoryException(dbt).
  int get_pgcookie(Dbt *dbt);
  int set_pgcookie(Dbt *dbt);
  /// Berkeley DB's signatures.
  int get_pgcookie(DBT *dbt);
  int set_pgcookie(DBT *dbt);
  int get_priority(DB_CACHE_PRIORITY *priorityp);
  int set_priority(DB_CACHE_PRIORITY priority);

  /// The C handle; NULL once the environment has closed it.
  DB_MPOOLFILE *get_DB_MPOOLFILE() { return imp_; }
  const DB_MPOOLFILE *get_const_DB_MPOOLFILE() const { return imp_; }

 private:
  friend class DbEnv;
  friend class DbMpool;
  DbMpoolFile(DbEnv *env, DB_MPOOLFILE *imp, bool throws) noexcept
      : imp_(imp), env_(env), throws_(throws) {}
  ~DbMpoolFile();
  int report(const char *method, int error, Dbt *dbt = nullptr) {
    return DbEnv::report(env_, throws_, method, error, dbt);
  }

  DB_MPOOLFILE *imp_;  // NULL once the environment closed it
  DbEnv *env_;         // NULL once the environment closed it
  bool throws_;        // the environment's policy, kept for after it is gone
  DbMpool *mpool_ = nullptr;  // the 2.x pool that opened it, or NULL
};


// ---------------------------------------------------------------------- DbMpool

/// DbMpool::open: a pool private to this process (2.x's DB_MPOOL_PRIVATE).
/// Every pagepool pool is private; the flag is accepted for 2.x programs.
#define DB_MPOOL_PRIVATE DB_PRIVATE

/// Berkeley DB 2.x's memory pool (the DbMpool page that seed 001 refers to):
/// open a pool, open files in it with DbMpoolFile::open, close it.
///
/// The pool. DbMpool::open with a DbEnv that is already open with
/// DB_INIT_MPOOL (5.3 style) uses that environment's pool, and close() leaves
/// it open. Otherwise (no DbEnv, or one not opened: 2.x style, where the
/// DbEnv only carries settings) DbMpool makes a private environment of its
/// own in dir, sized and configured from the DbEnv's settings (cache size,
/// cache_max, page size, mmap size, max open files and writes, DB_NOMMAP /
/// DB_DIRECT_DB, tmp dir), with its error messages passed on to the DbEnv's
/// error channel (errcall, errfile or error stream); that DbEnv must outlive
/// the DbMpool. close() closes that environment, writing modified pages.
///
/// Errors are thrown or returned as the DbEnv says (thrown when there is
/// none); DB_INCOMPLETE from sync is returned, never thrown.
/// Thread safety: as DbEnv: trickle, sync and stat may run from several
/// threads at once; close must run alone.
class DbMpool {
 public:
  DbMpool(const DbMpool &) = delete;
  DbMpool &operator=(const DbMpool &) = delete;

  /// Opens a pool and stores it in *regionp. dir: the pool's home directory
  /// (relative file names are found there); NULL for the current one. flags:
  /// DB_CREATE, DB_MPOOL_PRIVATE, DB_NOMMAP, DB_THREAD; mode is unused (no
  /// region files are made). EINVAL for other flags, a NULL regionp, or a
  /// DbEnv another DbMpool already serves. BDB 2.x: DbMpool::open.
  static int open(const char *dir, u_int32_t flags, int mode, DbEnv *dbenv, DbMpool **regionp);
  /// Closes the pool and deletes this object, whatever the result. Files
  /// still open through it are closed (their objects then fail with EINVAL
  /// until their own close() deletes them). BDB 2.x: DbMpool::close.
  int close();
  /// Removes the pool's region files: pagepool makes none, so this only
  /// checks that no DbMpool opened in dir is still open (EBUSY unless force).
  /// BDB 2.x: DbMpool::unlink.
  static int unlink(const char *dir, int force, DbEnv *dbenv);
  /// Registers the page-in and page-out functions of files opened with
  /// ftype (1 to 127); either may be NULL. They are called with the page
  /// number, the page and the file's pgcookie; a non-zero return fails the
  /// read (get) or the write. BDB 2.x: DbMpool::db_register.
  int db_register(int ftype, int (*pgin)(db_pgno_t pgno, void *pgaddr, Dbt *pgcookie),
                  int (*pgout)(db_pgno_t pgno, void *pgaddr, Dbt *pgcookie));
  /// Writes modified pages until pct percent (1..100) of the pool is clean;
  /// *nwrotep (if not NULL) receives the number written. BDB 2.x: trickle.
  int trickle(int pct, int *nwrotep);
  /// Writes every modified page whose LSN is at most *lsn (every modified
  /// page when lsn is NULL). Returns DB_INCOMPLETE when pinned pages could
  /// not be written. BDB 2.x: DbMpool::sync.
  int sync(DB_LSN *lsn);
  /// Statistics, as DbEnv::memp_stat: *gsp and the NULL-terminated array
  /// *fsp (either may be NULL), each one block allocated with db_malloc
  /// (malloc when NULL), for the caller to free. BDB 2.x: DbMpool::stat.
  /// (A parameter of pointer-to-array-of-unknown-bound type, as the 2.x page
  /// has it, is standard from C++17; older modes accept it as an extension,
  /// which -pedantic would report.)
#if defined(__GNUC__) && __cplusplus < 201703L
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
  int stat(DB_MPOOL_STAT **gsp, DB_MPOOL_FSTAT *(*fsp)[], void *(*db_malloc)(size_t));
#if defined(__GNUC__) && __cplusplus < 201703L
#pragma GCC diagnostic pop
#endif

  /// pagepool: the environment serving the pool (the caller's DbEnv, or the
  /// one DbMpool made); valid until close(). The C handle of one DbMpool made
  /// keeps DbMpool's data in its app_private: leave that alone.
  DbEnv *get_env() { return env_; }

 private:
  friend class DbMpoolFile;
  DbMpool() = default;
  ~DbMpool();
  int report(const char *method, int error);

  DbEnv *env_ = nullptr;     // the environment whose pool this is
  DbEnv *outer_ = nullptr;   // the DbEnv given to open, or NULL
  bool owns_env_ = false;    // env_ was made by open (and is closed by close)
  bool throws_ = true;       // the error policy (outer_'s; 2.x's default)
  std::string dir_;          // as given to open, for unlink
  pagepool::bdb_detail::mpool_files *files_ = nullptr;  // files opened through it
};

#endif  // PAGEPOOL_BDB_DB_CXX_MPOOL_H
