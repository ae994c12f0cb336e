/*
 * env_test.c: the DB_ENV handle's life: db_env_create, DB_ENV->open with
 * every open flag, opening twice, a missing home, DB_ENV->set_cachesize
 * after open (the cache is resized), DB_ENV->close closing the files still
 * open in it, and DB_ENV->remove. The configuration setters and getters are
 * in env_config_test.c, err/msg/db_strerror/db_version in env_messages_test.c.
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

/* pagepool's files in the home other than its registry (the pool file and
 * region files of a shared environment). */
static int count_pagepool_files(void) {
  int n = 0;
  DIR *d = opendir(ct_dir);
  if (d == NULL) return -1;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strncmp(e->d_name, "__pagepool.", 11) == 0 && strcmp(e->d_name, "__pagepool.registry") != 0)
      ++n;
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
  open_ok(base | DB_PRIVATE | DB_SYSTEM_MEM, "...|DB_PRIVATE|DB_SYSTEM_MEM");
  open_ok(base | DB_THREAD, "...|DB_THREAD");
  /* DB_SYSTEM_MEM in a shared environment needs a base key (set_shm_key):
   * Berkeley DB's "no base system shared memory ID specified" (EINVAL). */
  open_einval(base | DB_SYSTEM_MEM, "DB_SYSTEM_MEM without set_shm_key");

  /* Berkeley DB's region files are named __db.00N; pagepool's are its own
   * (db.h: in the home, or in /dev/shm with DB_SYSTEM_MEM), and go with the
   * environment's close. */
  open_ok(base, "DB_CREATE|DB_INIT_MPOOL");
  CHECK_EQ(count_region_files(), 0);
  CHECK_EQ(count_pagepool_files(), 0);

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

int main(int argc, char **argv) {
  (void)argc;
  ct_begin(argv[0]);
  CT_RUN(test_create_and_close);
  CT_RUN(test_open_flags);
  CT_RUN(test_open_twice_and_open_flags);
  CT_RUN(test_open_missing_home);
  CT_RUN(test_set_cachesize_after_open_resizes);
  CT_RUN(test_close_closes_open_files);
  CT_RUN(test_remove);
  return ct_end();
}
