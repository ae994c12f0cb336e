/*
 * env_test.c: the DB_ENV handle: db_env_create, open, close, remove, every
 * configuration setter and getter in db.h, err/errx/errcall/errfile/errpfx,
 * msgfile/msgcall, db_strerror and db_version.
 *
 * Manual pages: db_env_create, DB_ENV->open, DB_ENV->close, DB_ENV->remove,
 * DB_ENV->set_* / get_*, DB_ENV->err, db_strerror, db_version (Berkeley DB
 * 5.3 C API), and the "pagepool:" notes in db.h where pagepool departs.
 */
#include "ctest_harness.h"

#define KB 1024u
#define MB (1024u * 1024u)
#define UNKNOWN_FLAG 0x40000000u

/* ----------------------------------------------------------- creation */

static void test_create_and_close(void) {
  DB_ENV *env = NULL;
  /* db_env_create: "returning a pointer to the structure in the memory to
   * which dbenvp refers"; returns 0 on success. */
  CHECK_OK(db_env_create(&env, 0));
  REQUIRE(env != NULL);
  /* db_env_create: app_private "is initialized to NULL and is not further
   * used by Berkeley DB in any way". */
  CHECK(env->app_private == NULL);
  /* DB_ENV->close: an environment that was never opened can be discarded. */
  CHECK_OK(env->close(env, 0));

  /* db_env_create: "The flags parameter must be set to 0." */
  env = NULL;
  int ret = db_env_create(&env, UNKNOWN_FLAG);
  CHECK_ERR(ret, EINVAL);
  if (ret == 0 && env != NULL) env->close(env, 0);
}

/* ---------------------------------------------------------------- open */

static int count_region_files(void) {
  int n = 0;
  DIR *d = opendir(ct_dir);
  if (d == NULL) return -1;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strncmp(e->d_name, "__db", 4) == 0) ++n;
  closedir(d);
  return n;
}

static void open_ok(u_int32_t flags, const char *what) {
  DB_ENV *env = NULL;
  REQUIRE_OK(db_env_create(&env, 0));
  env->set_errfile(env, stderr);
  env->set_errpfx(env, what);
  int ret = env->open(env, ct_dir, flags, 0);
  CHECK_ERR(ret, 0);
  if (ret == 0) {
    /* DB_INIT_MPOOL: the pool exists; a file handle can be made in it. */
    DB_MPOOLFILE *mpf = NULL;
    CHECK_OK(env->memp_fcreate(env, &mpf, 0));
    if (mpf != NULL) CHECK_OK(mpf->close(mpf, 0));
  }
  CHECK_OK(env->close(env, 0));
}

static void open_einval(u_int32_t flags, const char *what) {
  DB_ENV *env = NULL;
  REQUIRE_OK(db_env_create(&env, 0));
  env->set_errfile(env, NULL);
  env->set_errcall(env, NULL);
  int ret = env->open(env, ct_dir, flags, 0);
  if (ret != EINVAL) fprintf(stderr, "  (open flags: %s)\n", what);
  CHECK_ERR(ret, EINVAL);
  /* DB_ENV->open: "If DB_ENV->open() fails, the DB_ENV->close() method must
   * be called to discard the DB_ENV handle." */
  env->close(env, 0);
}

static void test_open_flags(void) {
  const u_int32_t base = DB_CREATE | DB_INIT_MPOOL;
  /* DB_ENV->open: DB_CREATE, DB_INIT_MPOOL, DB_PRIVATE, DB_THREAD and
   * DB_SYSTEM_MEM are flags of the manual's open; all are accepted. */
  open_ok(base | DB_PRIVATE, "DB_CREATE|DB_INIT_MPOOL|DB_PRIVATE");
  open_ok(base | DB_PRIVATE | DB_THREAD, "...|DB_PRIVATE|DB_THREAD");
  open_ok(base | DB_SYSTEM_MEM, "...|DB_SYSTEM_MEM");
  open_ok(base | DB_THREAD, "...|DB_THREAD");

  /* pagepool (db.h): "an environment opened without DB_PRIVATE works as a
   * private one (no region files are made)". */
  open_ok(base, "DB_CREATE|DB_INIT_MPOOL");
  CHECK_EQ(count_region_files(), 0);

  /* pagepool (db.h): "DB_INIT_TXN, DB_INIT_LOCK, DB_INIT_LOG, DB_INIT_REP,
   * DB_INIT_CDB and DB_RECOVER* are EINVAL at DB_ENV->open". */
  open_einval(base | DB_PRIVATE | DB_INIT_TXN, "DB_INIT_TXN");
  open_einval(base | DB_PRIVATE | DB_INIT_LOCK, "DB_INIT_LOCK");
  open_einval(base | DB_PRIVATE | DB_INIT_LOG, "DB_INIT_LOG");
  open_einval(base | DB_PRIVATE | DB_INIT_REP, "DB_INIT_REP");
  open_einval(base | DB_PRIVATE | DB_INIT_CDB, "DB_INIT_CDB");
  open_einval(base | DB_PRIVATE | DB_RECOVER, "DB_RECOVER");
  open_einval(base | DB_PRIVATE | DB_RECOVER_FATAL, "DB_RECOVER_FATAL");
  /* DB_ENV->open, EINVAL: "an invalid flag value or parameter was
   * specified". */
  open_einval(base | DB_PRIVATE | UNKNOWN_FLAG, "unknown flag");
}

static void test_open_twice_and_open_flags(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(db_env_create(&env, 0));
  env->set_errfile(env, NULL);
  u_int32_t flags = 0;
  /* DB_ENV->get_open_flags: "may not be called before the DB_ENV->open()
   * method is called" (EINVAL). */
  CHECK_ERR(env->get_open_flags(env, &flags), EINVAL);
  /* DB_ENV->get_home: "may be called at any time". */
  const char *home = NULL;
  CHECK_OK(env->get_home(env, &home));

  const u_int32_t oflags = DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE | DB_THREAD;
  CHECK_OK(env->open(env, ct_dir, oflags, 0));
  /* DB_ENV->get_open_flags: "returns the open method flags originally used
   * to create the database environment". */
  flags = 0;
  CHECK_OK(env->get_open_flags(env, &flags));
  CHECK_EQ(flags & oflags, oflags);
  /* DB_ENV->get_home: "returns the database environment home directory". */
  home = NULL;
  CHECK_OK(env->get_home(env, &home));
  CHECK_STR(home, ct_dir);
  /* DB_ENV->open: an open environment cannot be opened again (EINVAL: an
   * invalid parameter). */
  CHECK_ERR(env->open(env, ct_dir, oflags, 0), EINVAL);
  CHECK_OK(env->close(env, 0));
}

static void test_open_missing_home(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(db_env_create(&env, 0));
  env->set_errfile(env, NULL);
  /* DB_ENV->open, errors: "ENOENT: The file or directory does not exist." */
  CHECK_ERR(env->open(env, ct_path("no-such-home"), DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0),
            ENOENT);
  env->close(env, 0);
}

/* ------------------------------------------------- setters and getters */

static void errcall_noop(const DB_ENV *env, const char *pfx, const char *msg) {
  (void)env;
  (void)pfx;
  (void)msg;
}

static void test_defaults(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(db_env_create(&env, 0));
  u_int32_t g = 9, b = 0, u = 0;
  int n = 0;
  size_t sz = 0;
  /* DB_ENV->set_cachesize: "The default cache size is 256KB" (pagepool:
   * sizes are exact). */
  CHECK_OK(env->get_cachesize(env, &g, &b, &n));
  CHECK_EQ(g, 0);
  CHECK_EQ(b, 256 * KB);
  /* DB_ENV->set_mp_mmapsize: "If no value is specified, it defaults to
   * 10MB." */
  CHECK_OK(env->get_mp_mmapsize(env, &sz));
  CHECK_EQ(sz, 10 * MB);
  /* db.h: "Pages live in frames of set_mp_pagesize bytes (default 4096)". */
  CHECK_OK(env->get_mp_pagesize(env, &u));
  CHECK_EQ(u, 4096);
  REQUIRE_OK(env->open(env, ct_dir, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0));
  DB_MPOOL_STAT st;
  CHECK_OK(ct_stat(env, &st));
  CHECK_EQ(st.st_gbytes, 0);
  CHECK_EQ(st.st_bytes, 256 * KB);
  CHECK_EQ(st.st_ncache, 1);
  CHECK_EQ(st.st_pagesize, 4096);
  CHECK_OK(env->close(env, 0));
}

static void test_cache_minimum(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(db_env_create(&env, 0));
  env->set_errfile(env, NULL);
  /* DB_ENV->set_cachesize: the cache "may not be specified as less than
   * 20KB"; EINVAL: "If the specified cache size was impossibly small". A
   * 4KB request is refused (by set_cachesize or by open), or the cache that
   * results is at least 20KB. */
  int ret = env->set_cachesize(env, 0, 4 * KB, 1);
  if (ret == 0) ret = env->open(env, ct_dir, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0);
  if (ret == 0) {
    DB_MPOOL_STAT st;
    CHECK_OK(ct_stat(env, &st));
    CHECK((uintmax_t)st.st_gbytes * 1024 * MB + st.st_bytes >= 20 * KB);
  } else {
    CHECK_ERR(ret, EINVAL);
  }
  env->close(env, 0);
}

static void test_setters_and_getters(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(db_env_create(&env, 0));
  u_int32_t g = 99, b = 99, u = 0;
  int n = 0;
  size_t sz = 0;
  db_timeout_t sleep_us = 0;
  const char *s = NULL;

  /* DB_ENV->get_cachesize: "returns the current size and composition of the
   * cache, as set using the DB_ENV->set_cachesize() method". pagepool:
   * "Cache sizes are exact (no 25% inflation)". */
  CHECK_OK(env->set_cachesize(env, 0, 512 * KB, 2));
  CHECK_OK(env->get_cachesize(env, &g, &b, &n));
  CHECK_EQ(g, 0);
  CHECK_EQ(b, 512 * KB);
  CHECK_EQ(n, 2);

  /* DB_ENV->get_cache_max: "returns the maximum size of the cache as set
   * using the DB_ENV->set_cache_max() method". */
  CHECK_OK(env->set_cache_max(env, 0, 2 * MB));
  g = b = 99;
  CHECK_OK(env->get_cache_max(env, &g, &b));
  CHECK_EQ(g, 0);
  CHECK_EQ(b, 2 * MB);

  /* DB_ENV->get_mp_mmapsize: returns the value managed by set_mp_mmapsize. */
  CHECK_OK(env->set_mp_mmapsize(env, 1 * MB));
  CHECK_OK(env->get_mp_mmapsize(env, &sz));
  CHECK_EQ(sz, 1 * MB);

  /* DB_ENV->get_mp_max_openfd / get_mp_max_write return what was set. */
  CHECK_OK(env->set_mp_max_openfd(env, 7));
  n = 0;
  CHECK_OK(env->get_mp_max_openfd(env, &n));
  CHECK_EQ(n, 7);
  CHECK_OK(env->set_mp_max_write(env, 3, 1000));
  n = 0;
  CHECK_OK(env->get_mp_max_write(env, &n, &sleep_us));
  CHECK_EQ(n, 3);
  CHECK_EQ(sleep_us, 1000);

  /* DB_ENV->get_mp_mtxcount, get_mp_pagesize, get_mp_tablesize return the
   * configured values (1031 is prime, so "adjusted to a near prime number"
   * leaves it alone). */
  CHECK_OK(env->set_mp_mtxcount(env, 64));
  CHECK_OK(env->get_mp_mtxcount(env, &u));
  CHECK_EQ(u, 64);
  CHECK_OK(env->set_mp_pagesize(env, 1024));
  u = 0;
  CHECK_OK(env->get_mp_pagesize(env, &u));
  CHECK_EQ(u, 1024);
  CHECK_OK(env->set_mp_tablesize(env, 1031));
  u = 0;
  CHECK_OK(env->get_mp_tablesize(env, &u));
  CHECK_EQ(u, 1031);

  /* DB_ENV->get_tmp_dir returns the directory set by set_tmp_dir. */
  CHECK_OK(env->set_tmp_dir(env, ct_dir));
  CHECK_OK(env->get_tmp_dir(env, &s));
  CHECK_STR(s, ct_dir);

  /* DB_ENV->get_errpfx: "returns the error prefix ... set using the
   * DB_ENV->set_errpfx() method"; get_errfile, get_errcall, get_msgfile
   * likewise. */
  env->set_errpfx(env, "env_test");
  s = NULL;
  env->get_errpfx(env, &s);
  CHECK_STR(s, "env_test");
  FILE *f = NULL;
  env->set_errfile(env, stderr);
  env->get_errfile(env, &f);
  CHECK(f == stderr);
  void (*cb)(const DB_ENV *, const char *, const char *) = NULL;
  env->set_errcall(env, errcall_noop);
  env->get_errcall(env, &cb);
  CHECK(cb == errcall_noop);
  env->set_errcall(env, NULL);
  f = NULL;
  env->set_msgfile(env, stdout);
  env->get_msgfile(env, &f);
  CHECK(f == stdout);

  /* DB_ENV->set_flags / get_flags: "If onoff is zero, the specified flags
   * are cleared; otherwise they are set"; get_flags "returns the
   * configuration flags set for a DB_ENV handle". */
  u = 0;
  CHECK_OK(env->set_flags(env, DB_NOMMAP, 1));
  CHECK_OK(env->get_flags(env, &u));
  CHECK((u & DB_NOMMAP) != 0);
  CHECK_OK(env->set_flags(env, DB_DIRECT_DB, 1));
  CHECK_OK(env->get_flags(env, &u));
  CHECK((u & DB_DIRECT_DB) != 0);
  CHECK_OK(env->set_flags(env, DB_DIRECT_DB, 0));
  CHECK_OK(env->get_flags(env, &u));
  CHECK((u & DB_DIRECT_DB) == 0);
  CHECK((u & DB_NOMMAP) != 0);
  CHECK_OK(env->set_flags(env, DB_NOMMAP, 0));
  CHECK_OK(env->get_flags(env, &u));
  CHECK((u & DB_NOMMAP) == 0);
  /* DB_ENV->set_flags, EINVAL: "An invalid flag value or parameter was
   * specified." */
  CHECK_ERR(env->set_flags(env, UNKNOWN_FLAG, 1), EINVAL);

  /* After open, the getters return the live values. */
  REQUIRE_OK(env->open(env, ct_dir, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0));
  g = b = 99;
  n = 0;
  CHECK_OK(env->get_cachesize(env, &g, &b, &n));
  CHECK_EQ(g, 0);
  CHECK_EQ(b, 512 * KB);
  CHECK_EQ(n, 2);
  CHECK_OK(env->get_cache_max(env, &g, &b));
  CHECK_EQ(g, 0);
  CHECK_EQ(b, 2 * MB);
  u = 0;
  CHECK_OK(env->get_mp_pagesize(env, &u));
  CHECK_EQ(u, 1024);
  sz = 0;
  CHECK_OK(env->get_mp_mmapsize(env, &sz));
  CHECK_EQ(sz, 1 * MB);
  n = 0;
  CHECK_OK(env->get_mp_max_openfd(env, &n));
  CHECK_EQ(n, 7);
  n = 0;
  sleep_us = 0;
  CHECK_OK(env->get_mp_max_write(env, &n, &sleep_us));
  CHECK_EQ(n, 3);
  CHECK_EQ(sleep_us, 1000);
  s = NULL;
  CHECK_OK(env->get_tmp_dir(env, &s));
  CHECK_STR(s, ct_dir);

  /* DB_ENV->memp_stat: the configuration fields report the same values:
   * st_gbytes + st_bytes is the cache size, st_ncache the number of caches,
   * st_regsize the individual cache size, st_mmapsize, st_maxopenfd,
   * st_maxwrite, st_maxwrite_sleep; st_pagesize is set_mp_pagesize (db.h). */
  DB_MPOOL_STAT st;
  CHECK_OK(ct_stat(env, &st));
  CHECK_EQ(st.st_gbytes, 0);
  CHECK_EQ(st.st_bytes, 512 * KB);
  CHECK_EQ(st.st_ncache, 2);
  CHECK(st.st_max_ncache >= st.st_ncache);
  CHECK_EQ(st.st_regsize, 256 * KB);
  CHECK_EQ(st.st_mmapsize, 1 * MB);
  CHECK_EQ(st.st_maxopenfd, 7);
  CHECK_EQ(st.st_maxwrite, 3);
  CHECK_EQ(st.st_maxwrite_sleep, 1000);
  CHECK_EQ(st.st_pagesize, 1024);
  CHECK_OK(env->close(env, 0));
}

static void *counting_malloc(size_t n) { return malloc(n); }
static void *counting_realloc(void *p, size_t n) { return realloc(p, n); }
static void counting_free(void *p) { free(p); }

static void test_before_open_only(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, 256 * KB, 4096));
  env->set_errfile(env, NULL);
  /* DB_ENV->set_cache_max: "must be called prior to opening the database
   * environment". */
  CHECK_ERR(env->set_cache_max(env, 0, 4 * MB), EINVAL);
  /* DB_ENV->set_mp_mtxcount: "You must call this method only before the
   * environment is opened." */
  CHECK_ERR(env->set_mp_mtxcount(env, 8), EINVAL);
  /* DB_ENV->set_mp_pagesize: "may be called only before the environment is
   * opened." */
  CHECK_ERR(env->set_mp_pagesize(env, 1024), EINVAL);
  /* DB_ENV->set_mp_tablesize: "may be called only before the environment is
   * opened." */
  CHECK_ERR(env->set_mp_tablesize(env, 101), EINVAL);
  /* DB_ENV->set_tmp_dir, EINVAL: "If the method was called after
   * DB_ENV->open() was called". */
  CHECK_ERR(env->set_tmp_dir(env, ct_dir), EINVAL);
  /* DB_ENV->set_alloc: "may not be called after the DB_ENV->open() method is
   * called." */
  CHECK_ERR(env->set_alloc(env, counting_malloc, counting_realloc, counting_free), EINVAL);

  /* A refused setter changes nothing. */
  u_int32_t u = 0;
  CHECK_OK(env->get_mp_pagesize(env, &u));
  CHECK_EQ(u, 4096);

  /* DB_ENV->set_mp_mmapsize: "may be called at any time during the life of
   * the application". */
  size_t sz = 0;
  CHECK_OK(env->set_mp_mmapsize(env, 2 * MB));
  CHECK_OK(env->get_mp_mmapsize(env, &sz));
  CHECK_EQ(sz, 2 * MB);
  /* DB_ENV->set_flags: "The DB_NOMMAP flag may be used to configure Berkeley
   * DB at any time during the life of the application." */
  CHECK_OK(env->set_flags(env, DB_NOMMAP, 1));
  u = 0;
  CHECK_OK(env->get_flags(env, &u));
  CHECK((u & DB_NOMMAP) != 0);
  /* DB_ENV->set_errpfx / set_errfile / set_errcall / set_msgfile: "may be
   * called at any time during the life of the application" (void). */
  env->set_errpfx(env, "after-open");
  const char *s = NULL;
  env->get_errpfx(env, &s);
  CHECK_STR(s, "after-open");
  CHECK_OK(env->close(env, 0));
}

/* Methods that need the pool, called before open. */
static void test_mpool_methods_before_open(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(db_env_create(&env, 0));
  env->set_errfile(env, NULL);
  DB_MPOOL_STAT *sp = NULL;
  DB_MPOOLFILE *mpf = NULL;
  int nwrote = 0;
  /* DB_ENV->memp_stat: "may not be called before the DB_ENV->open() method
   * is called." */
  CHECK_ERR(env->memp_stat(env, &sp, NULL, 0), EINVAL);
  /* DB_ENV->memp_stat_print: "may not be called before the DB_ENV->open()
   * method is called." */
  CHECK_ERR(env->memp_stat_print(env, 0), EINVAL);
  /* The pool does not exist yet (db.h: "opened with DB_INIT_MPOOL"): there is
   * nothing to make a file in, sync or trickle. */
  int ret = env->memp_fcreate(env, &mpf, 0);
  CHECK_ERR(ret, EINVAL);
  if (ret == 0 && mpf != NULL) mpf->close(mpf, 0);
  CHECK_ERR(env->memp_sync(env, NULL), EINVAL);
  CHECK_ERR(env->memp_trickle(env, 50, &nwrote), EINVAL);
  CHECK_OK(env->close(env, 0));
}

static void test_fcreate_flags(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, 256 * KB, 4096));
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *mpf = NULL;
  /* DB_ENV->memp_fcreate: "The flags parameter is currently unused, and must
   * be set to 0." */
  int ret = env->memp_fcreate(env, &mpf, UNKNOWN_FLAG);
  CHECK_ERR(ret, EINVAL);
  if (ret == 0 && mpf != NULL) mpf->close(mpf, 0);
  /* DB_ENV->memp_fcreate: "A pointer to this structure is returned in the
   * memory to which dbmfp refers"; the handle records its environment. */
  mpf = NULL;
  CHECK_OK(env->memp_fcreate(env, &mpf, 0));
  REQUIRE(mpf != NULL);
#ifdef DB_PAGEPOOL
  CHECK(mpf->dbenv == env);
#endif
  /* DB_MPOOLFILE->close: "Calling DB_MPOOLFILE->close() will discard the
   * returned handle" (never opened). */
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

/* ------------------------------------------------------ resize on open */

static void test_set_cachesize_after_open_resizes(void) {
  const u_int32_t ps = 4096;
  DB_ENV *env = NULL;
  REQUIRE_OK(db_env_create(&env, 0));
  env->set_errfile(env, stderr);
  env->set_errpfx(env, "resize");
  REQUIRE_OK(env->set_mp_pagesize(env, ps));
  REQUIRE_OK(env->set_cachesize(env, 0, 16 * ps, 1));
  REQUIRE_OK(env->set_cache_max(env, 0, 64 * ps));
  REQUIRE_OK(env->open(env, ct_dir, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0));

  const char *path = ct_path("resize.db");
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(ct_mpf_open(env, &mpf, path, DB_CREATE, ps));
  /* Eight pages, each stamped with its number and left dirty in the cache. */
  for (db_pgno_t i = 0; i < 8; ++i) {
    db_pgno_t pg = 0;
    void *p = NULL;
    CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p));
    if (p == NULL) continue;
    memset(p, 0x40 + (int)pg, ps);
    memcpy(p, &pg, sizeof pg);
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }

  /* DB_ENV->set_cachesize: "The cache may be resized by calling
   * DB_ENV->set_cachesize() after the environment is open ... may not be
   * larger than the maximum size configured with DB_ENV->set_cache_max()";
   * db.h: "After open: resizes the live cache (ncache ignored)". */
  CHECK_OK(env->set_cachesize(env, 0, 48 * ps, 0));
  u_int32_t g = 9, b = 0;
  int n = 0;
  CHECK_OK(env->get_cachesize(env, &g, &b, &n));
  CHECK_EQ(g, 0);
  CHECK_EQ(b, 48 * ps);
  DB_MPOOL_STAT st;
  CHECK_OK(ct_stat(env, &st));
  CHECK_EQ(st.st_bytes, 48 * ps);

  /* The pages survive the resize, contents intact. */
  for (db_pgno_t i = 0; i < 8; ++i) {
    db_pgno_t pg = i;
    void *p = NULL;
    CHECK_OK(mpf->get(mpf, &pg, NULL, 0, &p));
    if (p == NULL) continue;
    CHECK_EQ(ct_page_number(p), i);
    CHECK(ct_all_bytes((char *)p + sizeof(db_pgno_t), ps - sizeof(db_pgno_t),
                       (unsigned char)(0x40 + i)));
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }

  /* The grown cache holds more pinned pages than the old one could: 40 pages
   * pinned at once in a cache that had 16 frames. */
  void *pins[40];
  int pinned = 0;
  for (int i = 0; i < 40; ++i) {
    db_pgno_t pg = (db_pgno_t)i;
    pins[i] = NULL;
    int ret = mpf->get(mpf, &pg, NULL, DB_MPOOL_CREATE, &pins[i]);
    CHECK_ERR(ret, 0);
    if (ret != 0) break;
    ++pinned;
  }
  for (int i = 0; i < pinned; ++i) CHECK_OK(mpf->put(mpf, pins[i], DB_PRIORITY_UNCHANGED, 0));

  /* Past cache_max: "may not be larger than the maximum size" (EINVAL), and
   * the cache keeps its size. */
  env->set_errfile(env, NULL);
  CHECK_ERR(env->set_cachesize(env, 0, 128 * ps, 0), EINVAL);
  CHECK_OK(env->get_cachesize(env, &g, &b, &n));
  CHECK_EQ(b, 48 * ps);
  env->set_errfile(env, stderr);

  /* Shrinking keeps the pages too (dirty ones are written or kept). */
  CHECK_OK(env->set_cachesize(env, 0, 16 * ps, 0));
  CHECK_OK(env->get_cachesize(env, &g, &b, &n));
  CHECK_EQ(b, 16 * ps);
  for (db_pgno_t i = 0; i < 8; ++i) {
    db_pgno_t pg = i;
    void *p = NULL;
    CHECK_OK(mpf->get(mpf, &pg, NULL, 0, &p));
    if (p == NULL) continue;
    CHECK_EQ(ct_page_number(p), i);
    CHECK(ct_all_bytes((char *)p + sizeof(db_pgno_t), ps - sizeof(db_pgno_t),
                       (unsigned char)(0x40 + i)));
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

/* ---------------------------------------------------------------- close */

static void test_close_closes_open_files(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, 256 * KB, 4096));
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(ct_mpf_open(env, &mpf, ct_path("left-open.db"), DB_CREATE, 4096));
  db_pgno_t pg = 0;
  void *p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p));
  if (p != NULL) CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  /* DB_ENV->close: "calling DB_ENV->close() implies calls to
   * DB_MPOOLFILE->close() for any remaining open files in the memory pool"
   * (the handle left open is closed, and freed, by the environment). */
  CHECK_OK(env->close(env, 0));
}

static void test_remove(void) {
  /* A data file in the home, which remove must leave alone. */
  const char *data = ct_path("remove-keeps-me.db");
  REQUIRE(ct_make_file(data, 2, 4096, 0) == 0);
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, 256 * KB, 4096));
  CHECK_OK(env->close(env, 0));

  REQUIRE_OK(db_env_create(&env, 0));
  env->set_errfile(env, stderr);
  /* DB_ENV->remove: "destroys a Berkeley DB environment if it is not
   * currently in use"; returns 0 on success. The handle may not be used
   * afterwards, "regardless of its return". */
  CHECK_OK(env->remove(env, ct_dir, 0));
  /* "Any log or database files and the environment directory are not
   * removed." */
  CHECK(ct_exists(ct_dir));
  CHECK(ct_exists(data));
  CHECK_EQ(ct_file_size(data), 2 * 4096);

  /* DB_FORCE is accepted. */
  REQUIRE_OK(db_env_create(&env, 0));
  CHECK_OK(env->remove(env, ct_dir, DB_FORCE));
  CHECK(ct_exists(data));
}

/* ------------------------------------------------------------ messages */

static int errcall_count;
static char errcall_pfx[256];
static char errcall_msg[1024];

static void errcall_record(const DB_ENV *env, const char *pfx, const char *msg) {
  (void)env;
  ++errcall_count;
  snprintf(errcall_pfx, sizeof errcall_pfx, "%s", pfx ? pfx : "(null)");
  snprintf(errcall_msg, sizeof errcall_msg, "%s", msg ? msg : "(null)");
}

static void test_err_errx(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(db_env_create(&env, 0));
  char got[2048], want[1024], strerr[512];

  /* DB_ENV->err: the message is "any prefix string specified using the
   * DB_ENV->set_errpfx() method, followed by ... a colon and a <space>", the
   * printf-style message, "a colon and a <space>", and "the standard error
   * string ... as returned by the db_strerror method"; "If a C library FILE *
   * has been set ... the error message is written to that output stream." */
  FILE *f = tmpfile();
  REQUIRE(f != NULL);
  env->set_errfile(env, f);
  env->set_errpfx(env, "pfx");
  env->err(env, ENOENT, "hello %d", 42);
  ct_slurp(f, got, sizeof got);
  snprintf(strerr, sizeof strerr, "%s", db_strerror(ENOENT));
  snprintf(want, sizeof want, "pfx: hello 42: %s", strerr);
  CHECK(strncmp(got, want, strlen(want)) == 0);
  CHECK(strchr(got, '\n') != NULL);
  if (strncmp(got, want, strlen(want)) != 0)
    fprintf(stderr, "  got \"%s\", expected \"%s\"\n", got, want);
  fclose(f);

  /* DB_ENV->err with a Berkeley DB error: its db_strerror string. */
  f = tmpfile();
  REQUIRE(f != NULL);
  env->set_errfile(env, f);
  env->err(env, DB_PAGE_NOTFOUND, "page %u", 7u);
  ct_slurp(f, got, sizeof got);
  snprintf(want, sizeof want, "pfx: page 7: %s", db_strerror(DB_PAGE_NOTFOUND));
  CHECK(strncmp(got, want, strlen(want)) == 0);
  fclose(f);

  /* DB_ENV->errx: as err, but without the separator and error string (it
   * takes no error value). */
  f = tmpfile();
  REQUIRE(f != NULL);
  env->set_errfile(env, f);
  env->errx(env, "plain %s", "text");
  ct_slurp(f, got, sizeof got);
  CHECK(strncmp(got, "pfx: plain text", 15) == 0);
  CHECK(strstr(got, strerr) == NULL);
  CHECK(strstr(got, "plain text: ") == NULL);
  fclose(f);

  /* DB_ENV->set_errcall: "If an error callback function has been set ...
   * that function is called with two parameters: any prefix string specified
   * ... and the error message"; the prefix is not put in the message ("If no
   * error callback function has been set ..., any prefix string"). */
  env->set_errfile(env, NULL);
  env->set_errcall(env, errcall_record);
  errcall_count = 0;
  env->err(env, EINVAL, "call %d", 7);
  CHECK_EQ(errcall_count, 1);
  CHECK_STR(errcall_pfx, "pfx");
  snprintf(want, sizeof want, "call 7: %s", db_strerror(EINVAL));
  CHECK_STR(errcall_msg, want);
  errcall_count = 0;
  env->errx(env, "x%d", 1);
  CHECK_EQ(errcall_count, 1);
  CHECK_STR(errcall_msg, "x1");
  /* Both configured: "If an error callback function has been set ..., that
   * function is called"; "If a C library FILE * has been set ..., the error
   * message is written to that output stream" -- each applies. */
  f = tmpfile();
  REQUIRE(f != NULL);
  env->set_errfile(env, f);
  errcall_count = 0;
  env->errx(env, "both %d", 2);
  CHECK_EQ(errcall_count, 1);
  CHECK_STR(errcall_msg, "both 2");
  ct_slurp(f, got, sizeof got);
  CHECK(strstr(got, "both 2") != NULL);
  env->set_errfile(env, NULL);
  fclose(f);
  /* "Setting db_errcall_fcn to NULL unconfigures the callback interface." */
  env->set_errcall(env, NULL);
  f = tmpfile();
  REQUIRE(f != NULL);
  env->set_errfile(env, f);
  errcall_count = 0;
  env->errx(env, "to the file");
  CHECK_EQ(errcall_count, 0);
  ct_slurp(f, got, sizeof got);
  CHECK(strstr(got, "to the file") != NULL);
  env->set_errfile(env, NULL);
  fclose(f);
  /* Without a prefix, the message starts with the message ("An optional
   * prefix string"). */
  f = tmpfile();
  REQUIRE(f != NULL);
  env->set_errfile(env, f);
  env->set_errpfx(env, NULL);
  env->errx(env, "no prefix");
  ct_slurp(f, got, sizeof got);
  CHECK(strncmp(got, "no prefix", 9) == 0);
  env->set_errfile(env, NULL);
  fclose(f);
  CHECK_OK(env->close(env, 0));
}

static void test_library_errors_reach_errcall(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, 256 * KB, 4096));
  env->set_errfile(env, NULL);
  env->set_errcall(env, errcall_record);
  errcall_count = 0;
  DB_MPOOLFILE *mpf = NULL;
  /* db.h (pagepool): "a file whose page size is larger [than the frame] is
   * EINVAL at open, with a message"; DB_ENV->set_errcall: "when an error
   * occurs, Berkeley DB will call db_errcall_fcn with additional error
   * information". */
  CHECK_ERR(ct_mpf_open(env, &mpf, ct_path("bigpages.db"), DB_CREATE, 8192), EINVAL);
  CHECK(errcall_count >= 1);
  CHECK(strlen(errcall_msg) > 0);
  CHECK_OK(env->close(env, 0));
}

static int msgcall_count;
static void msgcall_record(const DB_ENV *env, const char *msg) {
  (void)env;
  if (msg != NULL) ++msgcall_count;
}

static void test_msgfile_msgcall_stat_print(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, 256 * KB, 4096));
  /* DB_ENV->memp_stat_print: "The information is printed to a specified
   * output channel (see the DB_ENV->set_msgfile() method ...)". */
  FILE *f = tmpfile();
  REQUIRE(f != NULL);
  env->set_msgfile(env, f);
  CHECK_OK(env->memp_stat_print(env, 0));
  char got[8192];
  CHECK(ct_slurp(f, got, sizeof got) > 0);
  /* "or passed to an application callback function (see the
   * DB_ENV->set_msgcall() method ...)". */
  env->set_msgfile(env, NULL);
  env->set_msgcall(env, msgcall_record);
  msgcall_count = 0;
  CHECK_OK(env->memp_stat_print(env, 0));
  CHECK(msgcall_count > 0);
  /* memp_stat_print flags: "0 or ... DB_STAT_ALL, DB_STAT_CLEAR,
   * DB_STAT_MEMP_HASH". */
  CHECK_OK(env->memp_stat_print(env, DB_STAT_ALL));
  CHECK_OK(env->memp_stat_print(env, DB_STAT_MEMP_HASH));
  CHECK_OK(env->memp_stat_print(env, DB_STAT_CLEAR));
  CHECK_OK(env->memp_stat_print(env, DB_STAT_ALL | DB_STAT_CLEAR | DB_STAT_MEMP_HASH));
  env->set_errfile(env, NULL);
  CHECK_ERR(env->memp_stat_print(env, UNKNOWN_FLAG), EINVAL);
  env->set_msgcall(env, NULL);
  fclose(f);
  CHECK_OK(env->close(env, 0));
}

/* ------------------------------------------------- strerror and version */

static void test_db_strerror(void) {
  /* db_strerror: "If the error number error is greater than or equal to 0,
   * then the string returned by the system function strerror(3) is
   * returned." */
  const int errnos[] = {0, ENOENT, EINVAL, ENOMEM, ENOSPC, EACCES, EAGAIN, EIO};
  for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; ++i) {
    char want[512];
    snprintf(want, sizeof want, "%s", strerror(errnos[i]));
    CHECK_STR(db_strerror(errnos[i]), want);
  }
  /* "If the error number is less than 0, an error string appropriate to the
   * corresponding Berkeley DB library error is returned": one non-empty,
   * distinct string per error, none of them the unknown-error string. */
  const int codes[] = {DB_PAGE_NOTFOUND, DB_NOTFOUND,      DB_RUNRECOVERY,
                       DB_BUFFER_SMALL,  DB_LOCK_DEADLOCK, DB_VERSION_MISMATCH,
#ifdef DB_PAGEPOOL
                       DB_PP_INCOMPLETE
#endif
  };
  const size_t ncodes = sizeof codes / sizeof codes[0];
  char unknown[512];
  snprintf(unknown, sizeof unknown, "%s", db_strerror(-12345));
  char msgs[sizeof codes / sizeof codes[0]][512];
  for (size_t i = 0; i < ncodes; ++i) {
    const char *m = db_strerror(codes[i]);
    CHECK(m != NULL && m[0] != '\0');
    snprintf(msgs[i], sizeof msgs[i], "%s", m ? m : "");
    CHECK(strcmp(msgs[i], unknown) != 0);
  }
  for (size_t i = 0; i < ncodes; ++i)
    for (size_t j = i + 1; j < ncodes; ++j) CHECK(strcmp(msgs[i], msgs[j]) != 0);
  /* Berkeley DB's own strings name the error they describe. */
  CHECK(strstr(msgs[0], "DB_PAGE_NOTFOUND") != NULL);
}

static void test_db_version(void) {
  int major = -1, minor = -1, patch = -1;
  /* db_version: "returns a pointer to a string, suitable for display,
   * containing Berkeley DB version information"; "If major is non-NULL, the
   * major version ... is copied" (minor, patch likewise). */
  char *v = db_version(&major, &minor, &patch);
  REQUIRE(v != NULL);
  CHECK(v[0] != '\0');
  CHECK_STR(v, DB_VERSION_STRING);
  CHECK_EQ(major, DB_VERSION_MAJOR);
  CHECK_EQ(minor, DB_VERSION_MINOR);
  CHECK_EQ(patch, DB_VERSION_PATCH);
  CHECK_EQ(major, 5);
  CHECK_EQ(minor, 3);
  /* NULL arguments are allowed. */
  CHECK(db_version(NULL, NULL, NULL) != NULL);
}

int main(int argc, char **argv) {
  (void)argc;
  ct_begin(argv[0]);
  CT_RUN(test_create_and_close);
  CT_RUN(test_open_flags);
  CT_RUN(test_open_twice_and_open_flags);
  CT_RUN(test_open_missing_home);
  CT_RUN(test_defaults);
  CT_RUN(test_cache_minimum);
  CT_RUN(test_setters_and_getters);
  CT_RUN(test_before_open_only);
  CT_RUN(test_mpool_methods_before_open);
  CT_RUN(test_fcreate_flags);
  CT_RUN(test_set_cachesize_after_open_resizes);
  CT_RUN(test_close_closes_open_files);
  CT_RUN(test_remove);
  CT_RUN(test_err_errx);
  CT_RUN(test_library_errors_reach_errcall);
  CT_RUN(test_msgfile_msgcall_stat_print);
  CT_RUN(test_db_strerror);
  CT_RUN(test_db_version);
  return ct_end();
}
