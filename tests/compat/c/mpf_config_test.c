/*
 * mpf_config_test.c: the DB_MPOOLFILE file configuration methods:
 * set_clear_len, set_fileid / get_fileid, set_flags (DB_MPOOL_NOFILE,
 * DB_MPOOL_UNLINK), set_lsn_offset, set_priority, set_maxsize, and the
 * setters allowed only before DB_MPOOLFILE->open. (Split from
 * mpf_open_test.c, which holds open and close.)
 *
 * Manual pages: DB_MPOOLFILE->open (spec 003), DB_MPOOLFILE->close, the
 * DB_MPOOLFILE->set_* / get_* pages, DB_ENV->set_mp_mmapsize,
 * DB_ENV->set_flags (DB_NOMMAP); db.h's "pagepool:" notes.
 */
#include "ctest_harness.h"

#define PS 4096u
#define FRAMES 8u
#define UNKNOWN_FLAG 0x40000000u

static DB_ENV *open_env(void) {
  DB_ENV *env = NULL;
  if (ct_env_open(&env, FRAMES * PS, PS) != 0) return NULL;
  return env;
}

static int get_put(DB_MPOOLFILE *mpf, db_pgno_t *pgno, u_int32_t flags) {
  void *p = NULL;
  int ret = mpf->get(mpf, pgno, NULL, flags, &p);
  if (ret != 0) return ret;
  return mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0);
}

/* ---------------------------------------------------------- clear_len */

/* Fills every frame of the cache with pages full of 0xEE, so that the next
 * pages made land in frames that held other data. */
static void dirty_the_frames(DB_MPOOLFILE *mpf, db_pgno_t first) {
  for (db_pgno_t i = first; i < first + 2 * FRAMES; ++i) {
    db_pgno_t pg = i;
    CHECK_OK(get_put(mpf, &pg, 0));
  }
}

static void test_clear_len(void) {
  const char *junk = ct_path("junk.db");
  REQUIRE(ct_make_file(junk, 2 * FRAMES, PS, 0xEE) == 0);
  /* Every byte of every page of junk.db except the page number is (p + 0xEE)
   * & 0xff, never 0 for p < 2 * FRAMES. */
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *jm = NULL, *mpf = NULL;
  REQUIRE_OK(ct_mpf_open(env, &jm, junk, DB_NOMMAP, PS));

  /* DB_MPOOLFILE->get: "Fully or partially created pages have all their
   * bytes set to a nul byte, unless the DB_MPOOLFILE->set_clear_len() method
   * was called"; set_clear_len: "If no clear length is specified, the entire
   * page is cleared when it is created." */
  REQUIRE_OK(ct_mpf_open(env, &mpf, ct_path("clear-default.db"), DB_CREATE, PS));
  u_int32_t len = 99;
  CHECK_OK(mpf->get_clear_len(mpf, &len));
  for (int k = 0; k < 2; ++k) {
    dirty_the_frames(jm, 0);
    db_pgno_t pg = 0;
    void *p = NULL;
    /* k == 0: DB_MPOOL_NEW; k == 1: DB_MPOOL_CREATE past the end. */
    if (k == 0) {
      CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p));
    } else {
      pg = 5;
      CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_CREATE, &p));
    }
    if (p == NULL) continue;
    CHECK(ct_all_bytes(p, PS, 0));
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  CHECK_OK(mpf->close(mpf, 0));

  /* set_clear_len: "sets the number of initial bytes in a page that should
   * be set to nul when the page is created"; get_clear_len returns it. */
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  CHECK_OK(mpf->set_clear_len(mpf, 32));
  len = 0;
  CHECK_OK(mpf->get_clear_len(mpf, &len));
  CHECK_EQ(len, 32);
  REQUIRE_OK(mpf->open(mpf, ct_path("clear-32.db"), DB_CREATE, 0, PS));
  /* "may not be called after the DB_MPOOLFILE->open() method is called" */
  CHECK_ERR(mpf->set_clear_len(mpf, 64), EINVAL);
  len = 0;
  CHECK_OK(mpf->get_clear_len(mpf, &len));
  CHECK_EQ(len, 32);
  for (int k = 0; k < 2; ++k) {
    dirty_the_frames(jm, 0);
    db_pgno_t pg = 0;
    void *p = NULL;
    if (k == 0) {
      CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p));
    } else {
      pg = 7;
      CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_CREATE, &p));
    }
    if (p == NULL) continue;
    CHECK(ct_all_bytes(p, 32, 0));
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  CHECK_OK(mpf->close(mpf, 0));

  /* "A value of 0 results in the entire page being set to nul bytes." */
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  CHECK_OK(mpf->set_clear_len(mpf, 0));
  REQUIRE_OK(mpf->open(mpf, ct_path("clear-0.db"), DB_CREATE, 0, PS));
  dirty_the_frames(jm, 0);
  db_pgno_t pg = 0;
  void *p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p));
  if (p != NULL) {
    CHECK(ct_all_bytes(p, PS, 0));
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  CHECK_OK(mpf->close(mpf, 0));

  /* A clear length longer than the page is an invalid parameter. */
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  CHECK_OK(mpf->set_clear_len(mpf, PS + 1));
  CHECK_ERR(mpf->open(mpf, ct_path("clear-long.db"), DB_CREATE, 0, PS), EINVAL);
  mpf->close(mpf, 0);

  CHECK_OK(jm->close(jm, 0));
  CHECK_OK(env->close(env, 0));
}

/* ------------------------------------------------------------- fileid */

static void test_fileid(void) {
  const char *path = ct_path("fileid.db");
  const char *other = ct_path("fileid-other.db");
  const char *link_path = ct_path("fileid-link.db");
  REQUIRE(ct_make_file(path, 2, PS, 0) == 0);
  REQUIRE(ct_make_file(other, 2, PS, 0) == 0);
  REQUIRE(link(path, link_path) == 0);
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  u_int8_t id1[DB_FILE_ID_LEN], id2[DB_FILE_ID_LEN], id3[DB_FILE_ID_LEN];

  /* DB_MPOOLFILE->set_fileid: "the memory pool functions will use the file's
   * device and inode numbers for this purpose" by default: two handles on
   * one file -- even by two names (a hard link) -- have one id and share one
   * cached copy of each page; another file has another id. */
  DB_MPOOLFILE *a = NULL, *b = NULL, *c = NULL;
  REQUIRE_OK(ct_mpf_open(env, &a, path, 0, PS));
  REQUIRE_OK(ct_mpf_open(env, &b, link_path, 0, PS));
  REQUIRE_OK(ct_mpf_open(env, &c, other, 0, PS));
  CHECK_OK(a->get_fileid(a, id1));
  CHECK_OK(b->get_fileid(b, id2));
  CHECK_OK(c->get_fileid(c, id3));
  CHECK(memcmp(id1, id2, DB_FILE_ID_LEN) == 0);
  CHECK(memcmp(id1, id3, DB_FILE_ID_LEN) != 0);
  db_pgno_t pg = 1;
  void *pa = NULL, *pb = NULL;
  CHECK_OK(a->get(a, &pg, NULL, 0, &pa));
  CHECK_OK(b->get(b, &pg, NULL, 0, &pb));
  CHECK(pa != NULL && pa == pb);
  if (pa != NULL) CHECK_OK(a->put(a, pa, DB_PRIORITY_UNCHANGED, 0));
  if (pb != NULL) CHECK_OK(b->put(b, pb, DB_PRIORITY_UNCHANGED, 0));
  /* set_fileid: "may not be called after the DB_MPOOLFILE->open() method is
   * called." */
  CHECK_ERR(a->set_fileid(a, id3), EINVAL);
  CHECK_OK(c->close(c, 0));
  CHECK_OK(b->close(b, 0));
  CHECK_OK(a->close(a, 0));

  /* set_fileid: "specifies a unique identifier for the file": an id given
   * before open is the file's id (get_fileid returns it), and two names
   * given the same id are one file in the cache. */
  u_int8_t mine[DB_FILE_ID_LEN];
  for (int i = 0; i < DB_FILE_ID_LEN; ++i) mine[i] = (u_int8_t)(0xA0 + i);
  REQUIRE_OK(env->memp_fcreate(env, &a, 0));
  CHECK_OK(a->set_fileid(a, mine));
  REQUIRE_OK(a->open(a, path, 0, 0, PS));
  memset(id1, 0, sizeof id1);
  CHECK_OK(a->get_fileid(a, id1));
  CHECK(memcmp(id1, mine, DB_FILE_ID_LEN) == 0);
  REQUIRE_OK(env->memp_fcreate(env, &b, 0));
  CHECK_OK(b->set_fileid(b, mine));
  REQUIRE_OK(b->open(b, other, 0, 0, PS));
  pa = pb = NULL;
  pg = 0;
  CHECK_OK(a->get(a, &pg, NULL, 0, &pa));
  CHECK_OK(b->get(b, &pg, NULL, 0, &pb));
  CHECK(pa != NULL && pa == pb);
  if (pa != NULL) CHECK_OK(a->put(a, pa, DB_PRIORITY_UNCHANGED, 0));
  if (pb != NULL) CHECK_OK(b->put(b, pb, DB_PRIORITY_UNCHANGED, 0));
  CHECK_OK(b->close(b, 0));
  CHECK_OK(a->close(a, 0));
  CHECK_OK(env->close(env, 0));
}

/* ------------------------------------------------------------- set_flags */

static void test_unlink_flag(void) {
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  const char *path = ct_path("unlink.db");
  DB_MPOOLFILE *a = NULL, *b = NULL;
  REQUIRE_OK(ct_mpf_open(env, &a, path, DB_CREATE, PS));
  REQUIRE_OK(ct_mpf_open(env, &b, path, 0, PS));
  db_pgno_t pg = 0;
  CHECK_OK(get_put(a, &pg, DB_MPOOL_NEW));
  /* DB_MPOOLFILE->set_flags DB_MPOOL_UNLINK: "If set, remove the file when
   * the last reference to it is closed"; "may be used to configure Berkeley
   * DB at any time during the life of the application"; get_flags reports
   * it. */
  CHECK_OK(a->set_flags(a, DB_MPOOL_UNLINK, 1));
  u_int32_t flags = 0;
  CHECK_OK(a->get_flags(a, &flags));
  CHECK((flags & DB_MPOOL_UNLINK) != 0);
  CHECK_OK(a->close(a, 0));
  CHECK(ct_exists(path)); /* b is still open */
  CHECK_OK(b->close(b, 0));
  CHECK(!ct_exists(path));

  /* "If onoff is zero, the specified flags are cleared". */
  REQUIRE_OK(ct_mpf_open(env, &a, path, DB_CREATE, PS));
  CHECK_OK(a->set_flags(a, DB_MPOOL_UNLINK, 1));
  CHECK_OK(a->set_flags(a, DB_MPOOL_UNLINK, 0));
  flags = 0;
  CHECK_OK(a->get_flags(a, &flags));
  CHECK((flags & DB_MPOOL_UNLINK) == 0);
  CHECK_OK(a->close(a, 0));
  CHECK(ct_exists(path));

  /* Set before open, too. */
  REQUIRE_OK(env->memp_fcreate(env, &a, 0));
  CHECK_OK(a->set_flags(a, DB_MPOOL_UNLINK, 1));
  REQUIRE_OK(a->open(a, path, 0, 0, PS));
  CHECK_OK(a->close(a, 0));
  CHECK(!ct_exists(path));
  CHECK_OK(env->close(env, 0));
}

static void test_nofile_flag(void) {
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  const char *path = ct_path("nofile.db");
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  /* DB_MPOOL_NOFILE: "If set, no backing temporary file will be opened for
   * the specified in-memory database, even if it expands to fill the entire
   * cache. Attempts to create new database pages after the cache has been
   * filled will fail." */
  CHECK_OK(mpf->set_flags(mpf, DB_MPOOL_NOFILE, 1));
  u_int32_t flags = 0;
  CHECK_OK(mpf->get_flags(mpf, &flags));
  CHECK((flags & DB_MPOOL_NOFILE) != 0);
  REQUIRE_OK(mpf->open(mpf, path, DB_CREATE, 0, PS));
  u_int32_t made = 0;
  int ret = 0;
  for (u_int32_t i = 0; i < 4 * FRAMES; ++i) {
    db_pgno_t pg = 0;
    void *p = NULL;
    ret = mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p);
    if (ret != 0) break;
    memset(p, 0x30 + (int)pg, PS);
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
    ++made;
  }
  CHECK(ret != 0);
  CHECK_EQ(made, FRAMES);
  /* The pages made are all still there. */
  for (db_pgno_t i = 0; i < made; ++i) {
    db_pgno_t pg = i;
    void *p = NULL;
    CHECK_OK(mpf->get(mpf, &pg, NULL, 0, &p));
    if (p == NULL) continue;
    CHECK(ct_all_bytes(p, PS, (unsigned char)(0x30 + i)));
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  CHECK_OK(env->memp_sync(env, NULL));
  CHECK(!ct_exists(path));
  CHECK_OK(mpf->close(mpf, 0));
  CHECK(!ct_exists(path));
  CHECK_OK(env->close(env, 0));
}

/* --------------------------------------------- lsn_offset, priority */

static void test_lsn_offset(void) {
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  int32_t off = 0;
  /* set_lsn_offset / get_lsn_offset: the offset set is the offset returned;
   * "may not be called after the DB_MPOOLFILE->open() method is called". */
  CHECK_OK(mpf->set_lsn_offset(mpf, 24));
  CHECK_OK(mpf->get_lsn_offset(mpf, &off));
  CHECK_EQ(off, 24);
  REQUIRE_OK(mpf->open(mpf, ct_path("lsnoff.db"), DB_CREATE, 0, PS));
  CHECK_ERR(mpf->set_lsn_offset(mpf, 0), EINVAL);
  off = 0;
  CHECK_OK(mpf->get_lsn_offset(mpf, &off));
  CHECK_EQ(off, 24);
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

static void test_priority(void) {
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  DB_CACHE_PRIORITY pr = DB_PRIORITY_UNCHANGED;
  /* DB_MPOOLFILE->set_priority: "The priority parameter must be set to one
   * of the following values: DB_PRIORITY_VERY_LOW ... DB_PRIORITY_VERY_HIGH";
   * get_priority returns it. */
  const DB_CACHE_PRIORITY ok[] = {DB_PRIORITY_VERY_LOW, DB_PRIORITY_LOW, DB_PRIORITY_DEFAULT,
                                  DB_PRIORITY_HIGH, DB_PRIORITY_VERY_HIGH};
  for (size_t i = 0; i < 5; ++i) {
    CHECK_OK(mpf->set_priority(mpf, ok[i]));
    CHECK_OK(mpf->get_priority(mpf, &pr));
    CHECK_EQ(pr, ok[i]);
  }
  /* Anything else (DB_PRIORITY_UNCHANGED included) is EINVAL, and changes
   * nothing. */
  CHECK_ERR(mpf->set_priority(mpf, DB_PRIORITY_UNCHANGED), EINVAL);
  CHECK_ERR(mpf->set_priority(mpf, (DB_CACHE_PRIORITY)6), EINVAL);
  CHECK_ERR(mpf->set_priority(mpf, (DB_CACHE_PRIORITY)-1), EINVAL);
  CHECK_OK(mpf->get_priority(mpf, &pr));
  CHECK_EQ(pr, DB_PRIORITY_VERY_HIGH);
  /* "may be called at any time during the life of the application". */
  REQUIRE_OK(mpf->open(mpf, ct_path("prio.db"), DB_CREATE, 0, PS));
  CHECK_OK(mpf->set_priority(mpf, DB_PRIORITY_LOW));
  CHECK_OK(mpf->get_priority(mpf, &pr));
  CHECK_EQ(pr, DB_PRIORITY_LOW);
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

/* -------------------------------------------------------------- maxsize */

static void test_maxsize(void) {
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *mpf = NULL;
  u_int32_t g = 9, b = 9;
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  /* set_maxsize / get_maxsize: "Set the maximum size for the file to be
   * gbytes gigabytes plus bytes". */
  CHECK_OK(mpf->set_maxsize(mpf, 1, 0));
  CHECK_OK(mpf->get_maxsize(mpf, &g, &b));
  CHECK_EQ(g, 1);
  CHECK_EQ(b, 0);
  CHECK_OK(mpf->set_maxsize(mpf, 0, 4 * PS));
  CHECK_OK(mpf->get_maxsize(mpf, &g, &b));
  CHECK_EQ(g, 0);
  CHECK_EQ(b, 4 * PS);
  REQUIRE_OK(mpf->open(mpf, ct_path("maxsize.db"), DB_CREATE, 0, PS));
  /* "Attempts to allocate new pages in the file after the limit has been
   * reached will fail": a cap of four pages' bytes allows exactly four pages
   * (0..3); the fifth is ENOSPC, by DB_MPOOL_NEW or DB_MPOOL_CREATE. */
  for (db_pgno_t i = 0; i < 4; ++i) {
    db_pgno_t pg = 0;
    CHECK_OK(get_put(mpf, &pg, DB_MPOOL_NEW));
    CHECK_EQ(pg, i);
  }
  db_pgno_t pg = 0;
  void *p = NULL;
  CHECK_ERR(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p), ENOSPC);
  pg = 4;
  CHECK_ERR(mpf->get(mpf, &pg, NULL, DB_MPOOL_CREATE, &p), ENOSPC);
  pg = 9;
  CHECK_ERR(mpf->get(mpf, &pg, NULL, DB_MPOOL_CREATE, &p), ENOSPC);
  /* Pages within the cap are still there. */
  pg = 3;
  CHECK_OK(get_put(mpf, &pg, DB_MPOOL_CREATE));
  db_pgno_t last = 0;
  CHECK_OK(mpf->get_last_pgno(mpf, &last));
  CHECK_EQ(last, 3);
  /* "may be called at any time during the life of the application": raising
   * the cap after open lets the file grow again. */
  CHECK_OK(mpf->set_maxsize(mpf, 0, 6 * PS));
  pg = 0;
  CHECK_OK(get_put(mpf, &pg, DB_MPOOL_NEW));
  CHECK_EQ(pg, 4);
  pg = 5;
  CHECK_OK(get_put(mpf, &pg, DB_MPOOL_CREATE));
  pg = 0;
  CHECK_ERR(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p), ENOSPC);
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

/* ----------------------------------------------- before-open-only setters */

static void test_setters_after_open(void) {
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(ct_mpf_open(env, &mpf, ct_path("after-open.db"), DB_CREATE, PS));
  u_int8_t id[DB_FILE_ID_LEN] = {1, 2, 3};
  DBT cookie;
  memset(&cookie, 0, sizeof cookie);
  cookie.data = id;
  cookie.size = 3;
  /* db.h: "The set_* methods that configure the file (clear_len, fileid,
   * ftype, lsn_offset, pgcookie) are EINVAL after open"; each manual page:
   * "may not be called after the DB_MPOOLFILE->open() method is called". */
  CHECK_ERR(mpf->set_clear_len(mpf, 8), EINVAL);
  CHECK_ERR(mpf->set_fileid(mpf, id), EINVAL);
  CHECK_ERR(mpf->set_ftype(mpf, 1), EINVAL);
  CHECK_ERR(mpf->set_lsn_offset(mpf, 8), EINVAL);
  CHECK_ERR(mpf->set_pgcookie(mpf, &cookie), EINVAL);
  /* get_flags, get_maxsize, get_clear_len: "may be called at any time". */
  u_int32_t u = 0, g = 0;
  CHECK_OK(mpf->get_flags(mpf, &u));
  CHECK_OK(mpf->get_maxsize(mpf, &g, &u));
  CHECK_OK(mpf->get_clear_len(mpf, &u));
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

int main(int argc, char **argv) {
  (void)argc;
  ct_begin(argv[0]);
  CT_RUN(test_clear_len);
  CT_RUN(test_fileid);
  CT_RUN(test_unlink_flag);
  CT_RUN(test_nofile_flag);
  CT_RUN(test_lsn_offset);
  CT_RUN(test_priority);
  CT_RUN(test_maxsize);
  CT_RUN(test_setters_after_open);
  return ct_end();
}
