/*
 * env_config_test.c: DB_ENV configuration: the defaults, the cache minimum,
 * every configuration setter and getter in db.h, the setters allowed only
 * before DB_ENV->open, the memory-pool methods called before open, and
 * DB_ENV->memp_fcreate's flags. (Split from env_test.c; the handle's life is
 * there, err/msg/db_strerror/db_version in env_messages_test.c.)
 *
 * Manual pages: db_env_create, DB_ENV->open, DB_ENV->close, DB_ENV->remove,
 * DB_ENV->set_* / get_*, DB_ENV->err, db_strerror, db_version (Berkeley DB
 * 5.3 C API), and the "pagepool:" notes in db.h where pagepool departs.
 */
#include "ctest_harness.h"

#define KB 1024u
#define MB (1024u * 1024u)
#define UNKNOWN_FLAG 0x40000000u

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

int main(int argc, char **argv) {
  (void)argc;
  ct_begin(argv[0]);
  CT_RUN(test_defaults);
  CT_RUN(test_cache_minimum);
  CT_RUN(test_setters_and_getters);
  CT_RUN(test_before_open_only);
  CT_RUN(test_mpool_methods_before_open);
  CT_RUN(test_fcreate_flags);
  return ct_end();
}
