/*
 * register_test.c: DB_ENV->memp_register: page-in and page-out functions,
 * called with the environment, the page number, the page and the file's
 * pgcookie; when they are (and are not) called; what their failures do.
 *
 * Manual pages: DB_ENV->memp_register (spec 002), DB_MPOOLFILE->get
 * (DB_MPOOL_CREATE, DB_MPOOL_NEW), DB_MPOOLFILE->set_ftype,
 * DB_MPOOLFILE->set_pgcookie / get_pgcookie.
 */
#include "ctest_harness.h"

#define PS 4096u
#define FRAMES 8u
#define FTYPE 7
#define COOKIE "cookie-bytes"
#define MAXPG 64

static DB_ENV *expected_env;
static int pgin_calls, pgout_calls;
static int pgin_per_page[MAXPG], pgout_per_page[MAXPG];
static int bad_cookie, bad_env;
static int pgin_fail, pgout_fail; /* return this from the next call if non-zero */

static void check_args(DB_ENV *env, DBT *cookie) {
  if (env != expected_env) ++bad_env;
  if (cookie == NULL || cookie->size != strlen(COOKIE) || cookie->data == NULL ||
      memcmp(cookie->data, COOKIE, strlen(COOKIE)) != 0)
    ++bad_cookie;
}

/* Page-in: records the call and marks the page at byte 200 with 'I'. */
static int my_pgin(DB_ENV *env, db_pgno_t pgno, void *page, DBT *cookie) {
  check_args(env, cookie);
  if (pgin_fail) {
    int r = pgin_fail;
    pgin_fail = 0;
    return r;
  }
  ++pgin_calls;
  if (pgno < MAXPG) ++pgin_per_page[pgno];
  ((unsigned char *)page)[200] = 'I';
  return 0;
}

/* Page-out: records the call and marks the page at byte 201 with 'O'. */
static int my_pgout(DB_ENV *env, db_pgno_t pgno, void *page, DBT *cookie) {
  check_args(env, cookie);
  if (pgout_fail) {
    int r = pgout_fail;
    pgout_fail = 0;
    return r;
  }
  ++pgout_calls;
  if (pgno < MAXPG) ++pgout_per_page[pgno];
  ((unsigned char *)page)[201] = 'O';
  return 0;
}

static void reset_counts(void) {
  pgin_calls = pgout_calls = 0;
  memset(pgin_per_page, 0, sizeof pgin_per_page);
  memset(pgout_per_page, 0, sizeof pgout_per_page);
  bad_cookie = bad_env = 0;
}

static int open_typed(DB_ENV *env, DB_MPOOLFILE **mpfp, const char *path, u_int32_t flags) {
  DB_MPOOLFILE *mpf = NULL;
  int ret;
  *mpfp = NULL;
  if ((ret = env->memp_fcreate(env, &mpf, 0)) != 0) return ret;
  DBT cookie;
  memset(&cookie, 0, sizeof cookie);
  cookie.data = COOKIE;
  cookie.size = (u_int32_t)strlen(COOKIE);
  /* DB_MPOOLFILE->set_ftype: "The ftype must be the same as a ftype parameter
   * previously specified to the DB_ENV->memp_register() method";
   * set_pgcookie: "a byte string that is provided to the functions
   * registered to do input or output processing of the file's pages". */
  if ((ret = mpf->set_ftype(mpf, FTYPE)) != 0 || (ret = mpf->set_pgcookie(mpf, &cookie)) != 0 ||
      (ret = mpf->open(mpf, path, flags, 0, PS)) != 0) {
    mpf->close(mpf, 0);
    return ret;
  }
  *mpfp = mpf;
  return 0;
}

static int get_put(DB_MPOOLFILE *mpf, db_pgno_t *pgno, u_int32_t flags, unsigned char *byte200) {
  void *p = NULL;
  int ret = mpf->get(mpf, pgno, NULL, flags, &p);
  if (ret != 0) return ret;
  if (byte200 != NULL) *byte200 = ((unsigned char *)p)[200];
  return mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0);
}

static void test_register_ftype_range(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  env->set_errfile(env, NULL);
  /* DB_ENV->memp_register: "The ftype value for a file must be a non-zero
   * positive number less than 128 (0 and negative numbers are reserved for
   * internal use by the Berkeley DB library)." */
  CHECK_OK(env->memp_register(env, 1, my_pgin, my_pgout));
  CHECK_OK(env->memp_register(env, 127, my_pgin, my_pgout));
  CHECK_ERR(env->memp_register(env, 0, my_pgin, my_pgout), EINVAL);
  CHECK_ERR(env->memp_register(env, -1, my_pgin, my_pgout), EINVAL);
  CHECK_ERR(env->memp_register(env, 128, my_pgin, my_pgout), EINVAL);
  /* "If the pgin_fcn function is non-NULL ..." (either may be NULL). */
  CHECK_OK(env->memp_register(env, 2, NULL, my_pgout));
  CHECK_OK(env->memp_register(env, 3, my_pgin, NULL));
  CHECK_OK(env->close(env, 0));
}

static void test_pgin_pgout_calls(void) {
  const char *path = ct_path("typed.db");
  REQUIRE(ct_make_file(path, 16, PS, 0) == 0);
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  expected_env = env;
  REQUIRE_OK(env->memp_register(env, FTYPE, my_pgin, my_pgout));
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(open_typed(env, &mpf, path, 0));
  reset_counts();

  /* DB_ENV->memp_register: pgin "is called each time a page is read into the
   * cache from a file of type ftype" -- once per read, not on hits. */
  unsigned char b200 = 0;
  db_pgno_t pg = 1;
  CHECK_OK(get_put(mpf, &pg, 0, &b200));
  CHECK_EQ(pgin_calls, 1);
  CHECK_EQ(pgin_per_page[1], 1);
  /* The page the application sees is the one pgin processed. */
  CHECK_EQ(b200, 'I');
  CHECK_OK(get_put(mpf, &pg, 0, NULL));
  CHECK_OK(get_put(mpf, &pg, 0, NULL));
  CHECK_EQ(pgin_calls, 1);
  /* "The pgin_fcn and pgout_fcn functions are called with a reference to the
   * current database environment, the page number ..., a pointer to the page
   * ..., and any parameter pgcookie that was specified to the
   * DB_MPOOLFILE->set_pgcookie() method." */
  CHECK_EQ(bad_env, 0);
  CHECK_EQ(bad_cookie, 0);

  /* "... or a page is created for a file of type ftype (see the
   * DB_MPOOL_CREATE flag ...)"; DB_MPOOLFILE->get DB_MPOOL_CREATE: "If the
   * specified page does not exist, create it. In this case, the pgin method,
   * if specified, is called." */
  pg = 16;
  b200 = 0;
  CHECK_OK(get_put(mpf, &pg, DB_MPOOL_CREATE, &b200));
  CHECK_EQ(pgin_calls, 2);
  CHECK_EQ(pgin_per_page[16], 1);
  CHECK_EQ(b200, 'I');

  /* DB_MPOOL_NEW: "In this case, the pgin_fcn callback, if specified on
   * DB_ENV->memp_register(), is not called." */
  pg = 0;
  CHECK_OK(get_put(mpf, &pg, DB_MPOOL_NEW, NULL));
  CHECK_EQ(pg, 17);
  CHECK_EQ(pgin_calls, 2);
  CHECK_EQ(pgin_per_page[17], 0);

  /* pgout "is called each time a page is written to a file of type ftype":
   * pages 16 and 17 (created) and page 2 (dirtied) are written by a sync,
   * once each; a second sync writes nothing and calls nothing. */
  pg = 2;
  void *p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_DIRTY, &p));
  if (p != NULL) CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  CHECK_OK(env->memp_sync(env, NULL));
  CHECK_EQ(pgout_calls, 3);
  CHECK_EQ(pgout_per_page[2], 1);
  CHECK_EQ(pgout_per_page[16], 1);
  CHECK_EQ(pgout_per_page[17], 1);
  /* The file holds what pgout produced. */
  unsigned char buf[PS];
  CHECK_EQ(ct_read_page(path, 2, PS, buf), PS);
  CHECK_EQ(buf[201], 'O');
  CHECK_OK(env->memp_sync(env, NULL));
  CHECK_EQ(pgout_calls, 3);
  CHECK_EQ(bad_env, 0);
  CHECK_EQ(bad_cookie, 0);

  /* Across evictions: pgin once per page read, pgout once per page
   * written, as the statistics count them. */
  CHECK_OK(env->memp_stat(env, NULL, NULL, DB_STAT_CLEAR));
  reset_counts();
  for (int round = 0; round < 3; ++round) {
    for (db_pgno_t i = 0; i < 18; ++i) {
      db_pgno_t q = i;
      p = NULL;
      int ret = mpf->get(mpf, &q, NULL, DB_MPOOL_DIRTY, &p);
      CHECK_OK(ret);
      if (ret == 0) CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
    }
  }
  CHECK_OK(env->memp_sync(env, NULL));
  DB_MPOOL_STAT st;
  CHECK_OK(ct_stat(env, &st));
  CHECK(st.st_page_in > 0);
  CHECK(st.st_page_out > 0);
  CHECK_EQ(st.st_page_create, 0);
  CHECK_EQ(pgin_calls, st.st_page_in);
  CHECK_EQ(pgout_calls, st.st_page_out);
  CHECK_EQ(bad_env, 0);
  CHECK_EQ(bad_cookie, 0);

  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

static void test_callback_failures(void) {
  const char *path = ct_path("failing.db");
  REQUIRE(ct_make_file(path, 4, PS, 0) == 0);
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  env->set_errfile(env, NULL);
  expected_env = env;
  REQUIRE_OK(env->memp_register(env, FTYPE, my_pgin, my_pgout));
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(open_typed(env, &mpf, path, 0));
  reset_counts();

  /* DB_ENV->memp_register: "The pgin_fcn and pgout_fcn functions should
   * return 0 on success, and a non-zero value on failure, in which case the
   * shared Berkeley DB library function calling it will also fail, returning
   * that non-zero value." */
  const int my_error = 424242; /* "outside of the Berkeley DB library namespace" */
  pgin_fail = my_error;
  db_pgno_t pg = 3;
  void *p = NULL;
  CHECK_ERR(mpf->get(mpf, &pg, NULL, 0, &p), my_error);
  /* The failed read left nothing behind: the next get reads the page. */
  unsigned char b200 = 0;
  CHECK_OK(get_put(mpf, &pg, 0, &b200));
  CHECK_EQ(b200, 'I');
  CHECK_EQ(pgin_per_page[3], 1);

  pg = 1;
  p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_DIRTY, &p));
  if (p != NULL) {
    memset((char *)p + 300, 0x5A, 100);
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  pgout_fail = my_error;
  CHECK_ERR(env->memp_sync(env, NULL), my_error);
  /* The page is still modified, and a later sync writes it. */
  CHECK_OK(env->memp_sync(env, NULL));
  unsigned char buf[PS];
  CHECK_EQ(ct_read_page(path, 1, PS, buf), PS);
  CHECK(ct_all_bytes(buf + 300, 100, 0x5A));
  CHECK_EQ(buf[201], 'O');
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

static void test_pgcookie_roundtrip(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  char bytes[] = "abc\0def";
  DBT in, out;
  memset(&in, 0, sizeof in);
  memset(&out, 0, sizeof out);
  in.data = bytes;
  in.size = sizeof bytes;
  /* DB_MPOOLFILE->set_pgcookie / get_pgcookie: the byte string set is the
   * byte string returned (embedded nul included). */
  CHECK_OK(mpf->set_pgcookie(mpf, &in));
  CHECK_OK(mpf->get_pgcookie(mpf, &out));
  CHECK_EQ(out.size, sizeof bytes);
  CHECK(out.data != NULL && memcmp(out.data, bytes, sizeof bytes) == 0);
  /* set_ftype / get_ftype likewise. */
  int ft = 0;
  CHECK_OK(mpf->set_ftype(mpf, FTYPE));
  CHECK_OK(mpf->get_ftype(mpf, &ft));
  CHECK_EQ(ft, FTYPE);
  CHECK_OK(env->memp_register(env, FTYPE, my_pgin, my_pgout));
  REQUIRE_OK(mpf->open(mpf, ct_path("cookie.db"), DB_CREATE, 0, PS));
  /* set_pgcookie: "may not be called after the DB_MPOOLFILE->open() method
   * is called"; set_ftype likewise. */
  CHECK_ERR(mpf->set_pgcookie(mpf, &in), EINVAL);
  CHECK_ERR(mpf->set_ftype(mpf, 1), EINVAL);
  ft = 0;
  CHECK_OK(mpf->get_ftype(mpf, &ft));
  CHECK_EQ(ft, FTYPE);
  memset(&out, 0, sizeof out);
  CHECK_OK(mpf->get_pgcookie(mpf, &out));
  CHECK_EQ(out.size, sizeof bytes);
  CHECK(out.data != NULL && memcmp(out.data, bytes, sizeof bytes) == 0);
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

int main(int argc, char **argv) {
  (void)argc;
  ct_begin(argv[0]);
  CT_RUN(test_register_ftype_range);
  CT_RUN(test_pgin_pgout_calls);
  CT_RUN(test_callback_failures);
  CT_RUN(test_pgcookie_roundtrip);
  return ct_end();
}
