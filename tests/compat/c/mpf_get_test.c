/*
 * mpf_get_test.c: DB_MPOOLFILE->get: every flag (0, DB_MPOOL_CREATE,
 * DB_MPOOL_LAST, DB_MPOOL_NEW, DB_MPOOL_DIRTY, DB_MPOOL_EDIT), the flags and
 * arguments it refuses, page numbering and last_pgno, repeated pins.
 *
 * Manual pages: DB_MPOOLFILE->get, DB_MPOOLFILE->get_last_pgno (db.h);
 * spec 001 (the old DbMpoolFile page); db.h's notes on DB_MPOOL_TRY and
 * DB_MPOOL_FREE.
 */
#include "ctest_harness.h"

#define PS 4096u
#define FRAMES 16u
#define NPAGES 4u

static DB_ENV *env;
static DB_MPOOLFILE *mpf;
static const char *path;

static int setup(void) {
  path = ct_path("get.db");
  return ct_fixture_open(&env, &mpf, path, NPAGES, PS, 0x10, FRAMES);
}

static void teardown(void) { CT_FIXTURE_CLOSE(&env, &mpf); }

static void test_get_existing_and_missing(void) {
  REQUIRE(setup() == 0);
  for (db_pgno_t i = 0; i < NPAGES; ++i) {
    db_pgno_t pg = i;
    void *p = NULL;
    /* DB_MPOOLFILE->get "returns pages from the cache"; "Page numbers begin
     * at 0"; without LAST or NEW, pgnoaddr "is the page to ... retrieve" (and
     * is left as it is). */
    CHECK_OK(mpf->get(mpf, &pg, NULL, 0, &p));
    CHECK_EQ(pg, i);
    REQUIRE(p != NULL);
    CHECK_EQ(ct_page_number(p), i);
    CHECK(ct_all_bytes((char *)p + 4, PS - 4, (unsigned char)(0x10 + i)));
    /* "The returned page is size_t type aligned." */
    CHECK_EQ((uintptr_t)p % sizeof(size_t), 0);
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  /* "The DB_MPOOLFILE->get() method will return DB_PAGE_NOTFOUND if the
   * requested page does not exist and DB_MPOOL_CREATE was not set." */
  db_pgno_t pg = NPAGES;
  void *p = NULL;
  CHECK_ERR(mpf->get(mpf, &pg, NULL, 0, &p), DB_PAGE_NOTFOUND);
  pg = 1000;
  CHECK_ERR(mpf->get(mpf, &pg, NULL, 0, &p), DB_PAGE_NOTFOUND);
  pg = DB_MAX_PAGES - 1;
  CHECK_ERR(mpf->get(mpf, &pg, NULL, DB_MPOOL_DIRTY, &p), DB_PAGE_NOTFOUND);
  db_pgno_t last = 0;
  CHECK_OK(mpf->get_last_pgno(mpf, &last));
  CHECK_EQ(last, NPAGES - 1);
  teardown();
}

static void test_create(void) {
  REQUIRE(setup() == 0);
  /* DB_MPOOL_CREATE: "If the specified page does not exist, create it" --
   * an existing page is returned as it is, not re-created. */
  db_pgno_t pg = 2;
  void *p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_CREATE, &p));
  REQUIRE(p != NULL);
  CHECK_EQ(pg, 2);
  CHECK_EQ(ct_page_number(p), 2);
  CHECK(ct_all_bytes((char *)p + 4, PS - 4, 0x12));
  CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  /* A page past the end is created: zero-filled ("Fully or partially
   * created pages have all their bytes set to a nul byte"), and the file's
   * last page number becomes its number. */
  pg = NPAGES + 2;
  p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_CREATE, &p));
  REQUIRE(p != NULL);
  CHECK_EQ(pg, NPAGES + 2);
  CHECK(ct_all_bytes(p, PS, 0));
  CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  db_pgno_t last = 0;
  CHECK_OK(mpf->get_last_pgno(mpf, &last));
  CHECK_EQ(last, NPAGES + 2);
  /* DB_MPOOL_CREATE combines with DB_MPOOL_DIRTY. */
  pg = NPAGES + 3;
  p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_CREATE | DB_MPOOL_DIRTY, &p));
  if (p != NULL) CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  CHECK_OK(mpf->get_last_pgno(mpf, &last));
  CHECK_EQ(last, NPAGES + 3);
  /* The created page is now found without DB_MPOOL_CREATE. */
  pg = NPAGES + 3;
  p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, 0, &p));
  if (p != NULL) CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  teardown();
}

static void test_last(void) {
  REQUIRE(setup() == 0);
  /* DB_MPOOL_LAST: "Return the last page of the source file, and copy its
   * page number into the memory location to which pgnoaddr refers." */
  db_pgno_t pg = 12345;
  void *p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_LAST, &p));
  CHECK_EQ(pg, NPAGES - 1);
  REQUIRE(p != NULL);
  CHECK_EQ(ct_page_number(p), NPAGES - 1);
  CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  /* After the file grows, LAST follows it. */
  pg = 0;
  p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p));
  CHECK_EQ(pg, NPAGES);
  if (p != NULL) {
    db_pgno_t mark = 0xABCD;
    memcpy(p, &mark, sizeof mark);
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  pg = 0;
  p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_LAST | DB_MPOOL_DIRTY, &p));
  CHECK_EQ(pg, NPAGES);
  if (p != NULL) {
    CHECK_EQ(ct_page_number(p), 0xABCD);
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  teardown();
}

static void test_new(void) {
  REQUIRE(setup() == 0);
  /* DB_MPOOL_NEW: "Create a new page in the file, and copy its page number
   * into the memory location to which pgnoaddr refers": the page after the
   * last, zero-filled, and the new last page. */
  for (db_pgno_t want = NPAGES; want < NPAGES + 3; ++want) {
    db_pgno_t pg = 777;
    void *p = NULL;
    CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p));
    CHECK_EQ(pg, want);
    REQUIRE(p != NULL);
    CHECK(ct_all_bytes(p, PS, 0));
    memcpy(p, &pg, sizeof pg);
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
    db_pgno_t last = 0;
    CHECK_OK(mpf->get_last_pgno(mpf, &last));
    CHECK_EQ(last, want);
  }
  /* The new pages are pages of the file: found by number, and written by a
   * sync. */
  db_pgno_t pg = NPAGES + 1;
  void *p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, 0, &p));
  if (p != NULL) {
    CHECK_EQ(ct_page_number(p), NPAGES + 1);
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  CHECK_OK(env->memp_sync(env, NULL));
  CHECK_EQ(ct_file_size(path), (NPAGES + 3) * PS);
  teardown();

  /* On an empty file, the new page is the first page: page 0 ("the first
   * page in the file is page number 0"). */
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  REQUIRE_OK(ct_mpf_open(env, &mpf, ct_path("empty.db"), DB_CREATE, PS));
  pg = 99;
  p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p));
  CHECK_EQ(pg, 0);
  if (p != NULL) CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  pg = 99;
  p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p));
  CHECK_EQ(pg, 1);
  if (p != NULL) CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  teardown();
}

static void test_refused_flags(void) {
  REQUIRE(setup() == 0);
  struct {
    u_int32_t flags;
    const char *name;
  } bad[] = {
      /* "The DB_MPOOL_CREATE, DB_MPOOL_LAST, and DB_MPOOL_NEW flags are
       * mutually exclusive"; EINVAL: "more than one of DB_MPOOL_CREATE,
       * DB_MPOOL_LAST, and DB_MPOOL_NEW was set". */
      {DB_MPOOL_CREATE | DB_MPOOL_LAST, "CREATE|LAST"},
      {DB_MPOOL_CREATE | DB_MPOOL_NEW, "CREATE|NEW"},
      {DB_MPOOL_LAST | DB_MPOOL_NEW, "LAST|NEW"},
      {DB_MPOOL_CREATE | DB_MPOOL_LAST | DB_MPOOL_NEW, "CREATE|LAST|NEW"},
      {DB_MPOOL_CREATE | DB_MPOOL_NEW | DB_MPOOL_DIRTY, "CREATE|NEW|DIRTY"},
      /* db.h: DB_MPOOL_TRY and DB_MPOOL_FREE are "internal to Berkeley DB:
       * EINVAL here"; and "if an invalid flag value ... was specified". */
      {DB_MPOOL_TRY, "TRY"},
      {DB_MPOOL_FREE, "FREE"},
      {DB_MPOOL_TRY | DB_MPOOL_DIRTY, "TRY|DIRTY"},
      {0x00001000u, "unknown 0x1000"},
      {0x40000000u, "unknown 0x40000000"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    db_pgno_t pg = 1;
    void *p = NULL;
    int ret = mpf->get(mpf, &pg, NULL, bad[i].flags, &p);
    if (ret != EINVAL) fprintf(stderr, "  (get flags %s)\n", bad[i].name);
    CHECK_ERR(ret, EINVAL);
    if (ret == 0) mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0);
  }
  /* Nothing was created by the refused calls. */
  db_pgno_t last = 0;
  CHECK_OK(mpf->get_last_pgno(mpf, &last));
  CHECK_EQ(last, NPAGES - 1);

  /* txnid: "If the operation is part of an application-specified
   * transaction, the txnid parameter is a transaction handle returned from
   * DB_ENV->txn_begin(); otherwise NULL." pagepool has no transactions
   * (DB_INIT_TXN is refused), so no valid handle exists: EINVAL. */
  int not_a_txn = 0;
  db_pgno_t pg = 1;
  void *p = NULL;
  int ret = mpf->get(mpf, &pg, (DB_TXN *)(void *)&not_a_txn, 0, &p);
  CHECK_ERR(ret, EINVAL);
  if (ret == 0) mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0);
  teardown();

  /* A handle that is not open has no pages to give. */
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  env->set_errfile(env, NULL);
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  pg = 0;
  p = NULL;
  CHECK_ERR(mpf->get(mpf, &pg, NULL, 0, &p), EINVAL);
  teardown();
}

static void test_repeated_pins(void) {
  REQUIRE(setup() == 0);
  /* All pages returned by get "will be retained ... in the cache until a
   * subsequent call to DB_MPOOLFILE->put()": one page may be pinned several
   * times, getting the same address, and each pin is released by its own
   * put, in any order. */
  void *p[5] = {NULL, NULL, NULL, NULL, NULL};
  for (int i = 0; i < 5; ++i) {
    db_pgno_t pg = 1;
    CHECK_OK(mpf->get(mpf, &pg, NULL, 0, &p[i]));
  }
  for (int i = 1; i < 5; ++i) CHECK(p[i] == p[0]);
  const int order[5] = {3, 0, 4, 1, 2};
  for (int i = 0; i < 5; ++i)
    if (p[order[i]] != NULL) CHECK_OK(mpf->put(mpf, p[order[i]], DB_PRIORITY_UNCHANGED, 0));
  /* Five pins, five puts: a sixth put has no pin left (EINVAL). */
  if (p[0] != NULL) CHECK_ERR(mpf->put(mpf, p[0], DB_PRIORITY_UNCHANGED, 0), EINVAL);
  teardown();
}

static void test_pin_count_overflow(void) {
  REQUIRE(setup() == 0);
  /* DB_MPOOLFILE->get, EAGAIN: "The page reference count has overflowed."
   * Pin one page over and over: if the count has a limit, reaching it is
   * EAGAIN (never a crash or another error), and every pin taken can be
   * released. */
  enum { MAXPINS = 70000 };
  void **pins = malloc(sizeof(void *) * MAXPINS);
  REQUIRE(pins != NULL);
  int n = 0, ret = 0;
  for (; n < MAXPINS; ++n) {
    db_pgno_t pg = 0;
    ret = mpf->get(mpf, &pg, NULL, 0, &pins[n]);
    if (ret != 0) break;
  }
  if (n < MAXPINS) CHECK_ERR(ret, EAGAIN);
  CHECK(n >= 65535 || n == MAXPINS);
  int bad_puts = 0;
  for (int i = 0; i < n; ++i)
    if (mpf->put(mpf, pins[i], DB_PRIORITY_UNCHANGED, 0) != 0) ++bad_puts;
  CHECK_EQ(bad_puts, 0);
  free(pins);
  /* The page is usable afterwards. */
  db_pgno_t pg = 0;
  void *p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, 0, &p));
  if (p != NULL) CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  teardown();
}

int main(int argc, char **argv) {
  (void)argc;
  ct_begin(argv[0]);
  CT_RUN(test_get_existing_and_missing);
  CT_RUN(test_create);
  CT_RUN(test_last);
  CT_RUN(test_new);
  CT_RUN(test_refused_flags);
  CT_RUN(test_repeated_pins);
  CT_RUN(test_pin_count_overflow);
  return ct_end();
}
