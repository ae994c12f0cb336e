/*
 * mpf_put_set_test.c: DB_MPOOLFILE->put (priorities, DB_MPOOL_CLEAN,
 * DB_MPOOL_DIRTY, DB_MPOOL_DISCARD, the pointers and values it refuses) and
 * DB_MPOOLFILE->set (DB_MPOOL_CLEAN, DB_MPOOL_DIRTY, DB_MPOOL_DISCARD).
 *
 * Manual pages: DB_MPOOLFILE->put (5.3 and spec 001, which documents the
 * put/set flags), DB_MPOOLFILE->set (spec 001; db.h), DB_MPOOLFILE->get.
 */
#include "ctest_harness.h"

#define PS 4096u
#define FRAMES 8u
#define NPAGES 32u

static DB_ENV *env;
static DB_MPOOLFILE *mpf;
static const char *path;

static int setup(void) {
  path = ct_path("putset.db");
  return ct_fixture_open(&env, &mpf, path, NPAGES, PS, 0, FRAMES);
}

static void teardown(void) { CT_FIXTURE_CLOSE(&env, &mpf); }

static void *get(db_pgno_t pg, u_int32_t flags) {
  void *p = NULL;
  if (mpf->get(mpf, &pg, NULL, flags, &p) != 0) return NULL;
  return p;
}

static int on_disk(db_pgno_t pgno, unsigned char c) {
  unsigned char buf[PS];
  if (ct_read_page(path, pgno, PS, buf) != (long)PS) return 0;
  return ct_all_bytes(buf + 4, PS - 4, c);
}

/* Whether page pgno is in the cache: a get of it counts as a hit. */
static int resident(db_pgno_t pgno) {
  DB_MPOOL_STAT before, after;
  if (ct_stat(env, &before) != 0) return -1;
  void *p = get(pgno, 0);
  if (p == NULL) return -1;
  mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0);
  if (ct_stat(env, &after) != 0) return -1;
  return after.st_cache_hit > before.st_cache_hit;
}

/* ------------------------------------------------------------------ put */

static void test_put_priorities(void) {
  REQUIRE(setup() == 0);
  /* DB_MPOOLFILE->put priority: DB_PRIORITY_UNCHANGED, VERY_LOW, LOW,
   * DEFAULT, HIGH, VERY_HIGH are all valid. */
  for (int pr = DB_PRIORITY_UNCHANGED; pr <= DB_PRIORITY_VERY_HIGH; ++pr) {
    void *p = get(1, 0);
    REQUIRE(p != NULL);
    CHECK_OK(mpf->put(mpf, p, (DB_CACHE_PRIORITY)pr, 0));
  }
  /* EINVAL: "An invalid flag value or parameter was specified": a priority
   * that is none of those. The refused put changes nothing: the page is
   * still pinned, and a valid put releases it. */
  void *p = get(1, 0);
  REQUIRE(p != NULL);
  CHECK_ERR(mpf->put(mpf, p, (DB_CACHE_PRIORITY)42, 0), EINVAL);
  CHECK_ERR(mpf->put(mpf, p, (DB_CACHE_PRIORITY)-1, 0), EINVAL);
  CHECK_ERR(mpf->put(mpf, p, (DB_CACHE_PRIORITY)6, 0), EINVAL);
  CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_DEFAULT, 0));
  CHECK_ERR(mpf->put(mpf, p, DB_PRIORITY_DEFAULT, 0), EINVAL);
  teardown();
}

static void test_put_refused(void) {
  REQUIRE(setup() == 0);
  void *p = get(2, 0);
  REQUIRE(p != NULL);
  /* Flags: "An invalid flag value or parameter was specified"; spec 001:
   * "More than one of DB_MPOOL_CLEAN and DB_MPOOL_DIRTY was set". */
  CHECK_ERR(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, DB_MPOOL_CLEAN | DB_MPOOL_DIRTY), EINVAL);
  CHECK_ERR(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0x40000000u), EINVAL);
  CHECK_ERR(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, DB_MPOOL_NEW), EINVAL);
  /* "The pgaddr parameter must be a value previously returned by the
   * DB_MPOOLFILE->get() method"; spec 001 EINVAL: "The pgaddr parameter does
   * not reference a page returned by DbMpoolFile::get": memory of the
   * application's, and an address inside a page. */
  void *foreign = calloc(1, PS);
  REQUIRE(foreign != NULL);
  CHECK_ERR(mpf->put(mpf, foreign, DB_PRIORITY_UNCHANGED, 0), EINVAL);
  char on_stack[64];
  CHECK_ERR(mpf->put(mpf, on_stack, DB_PRIORITY_UNCHANGED, 0), EINVAL);
  CHECK_ERR(mpf->put(mpf, (char *)p + 8, DB_PRIORITY_UNCHANGED, 0), EINVAL);
  free(foreign);
  /* None of that released the pin: the real put works, once. */
  CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  /* A second put of the same page (no pin left) is EINVAL ... */
  CHECK_ERR(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0), EINVAL);
  /* ... and leaves the pool working. */
  p = get(2, 0);
  CHECK(p != NULL);
  if (p != NULL) {
    CHECK_EQ(ct_page_number(p), 2);
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  teardown();
}

static void test_put_dirty_and_clean(void) {
  REQUIRE(setup() == 0);
  /* spec 001 put DB_MPOOL_DIRTY: "The page has been modified and must be
   * written to the source file before being evicted from the pool". */
  unsigned char *p = get(3, 0);
  REQUIRE(p != NULL);
  memset(p + 4, 0x33, PS - 4);
  CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, DB_MPOOL_DIRTY));
  CHECK_OK(env->memp_sync(env, NULL));
  CHECK(on_disk(3, 0x33));

  /* spec 001 put DB_MPOOL_CLEAN: "Clear any previously set modification
   * information (i.e., don't bother writing the page back to the source
   * file)". */
  p = get(4, DB_MPOOL_DIRTY);
  REQUIRE(p != NULL);
  memset(p + 4, 0x44, PS - 4);
  CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, DB_MPOOL_CLEAN));
  CHECK_OK(env->memp_sync(env, NULL));
  CHECK(on_disk(4, 0x04));
  DB_MPOOL_STAT st;
  CHECK_OK(ct_stat(env, &st));
  CHECK_EQ(st.st_page_dirty, 0);
  teardown();
}

static void test_put_discard(void) {
  REQUIRE(setup() == 0);
  /* spec 001 put DB_MPOOL_DISCARD: "The page is unlikely to be useful in the
   * near future, and should be discarded before other pages in the pool".
   * Fill the cache (pages 0..7), put page 5 with DISCARD and the others
   * plainly, then bring in one more page: page 5 is the one that goes. */
  void *pins[FRAMES];
  for (db_pgno_t i = 0; i < FRAMES; ++i) {
    pins[i] = get(i, 0);
    REQUIRE(pins[i] != NULL);
  }
  for (db_pgno_t i = 0; i < FRAMES; ++i)
    CHECK_OK(mpf->put(mpf, pins[i], DB_PRIORITY_UNCHANGED, i == 5 ? DB_MPOOL_DISCARD : 0));
  void *p = get(FRAMES, 0);
  REQUIRE(p != NULL);
  CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  /* (Pages known to be resident first: a get of an evicted page brings it
   * back, evicting another.) */
  CHECK_EQ(resident(4), 1);
  CHECK_EQ(resident(6), 1);
  CHECK_EQ(resident(5), 0);
  teardown();
}

static void test_priority_order(void) {
  REQUIRE(setup() == 0);
  /* put priority: DB_PRIORITY_VERY_LOW: "The lowest priority: pages are the
   * most likely to be discarded." Pages 0..7 fill the cache; page 2 goes
   * back VERY_LOW, the rest VERY_HIGH; one more page evicts page 2. */
  void *pins[FRAMES];
  for (db_pgno_t i = 0; i < FRAMES; ++i) {
    pins[i] = get(i, 0);
    REQUIRE(pins[i] != NULL);
  }
  for (db_pgno_t i = 0; i < FRAMES; ++i)
    CHECK_OK(mpf->put(mpf, pins[i], i == 2 ? DB_PRIORITY_VERY_LOW : DB_PRIORITY_VERY_HIGH, 0));
  void *p = get(FRAMES, 0);
  REQUIRE(p != NULL);
  CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_DEFAULT, 0));
  CHECK_EQ(resident(3), 1);
  CHECK_EQ(resident(2), 0);
  teardown();

  /* DB_PRIORITY_VERY_HIGH: "The highest priority: pages are the least likely
   * to be discarded." Page 0 goes back VERY_HIGH, pages 1..7 VERY_LOW; six
   * more pages pass through the cache, and page 0 is still there. */
  REQUIRE(setup() == 0);
  for (db_pgno_t i = 0; i < FRAMES; ++i) {
    pins[i] = get(i, 0);
    REQUIRE(pins[i] != NULL);
  }
  for (db_pgno_t i = 0; i < FRAMES; ++i)
    CHECK_OK(mpf->put(mpf, pins[i], i == 0 ? DB_PRIORITY_VERY_HIGH : DB_PRIORITY_VERY_LOW, 0));
  for (db_pgno_t i = FRAMES; i < FRAMES + 6; ++i) {
    p = get(i, 0);
    REQUIRE(p != NULL);
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_VERY_LOW, 0));
  }
  CHECK_EQ(resident(0), 1);
  teardown();

  /* DB_MPOOLFILE->set_priority: the file's priority biases "the replacement
   * algorithm to be more or less likely to discard a page"; DB_PRIORITY_
   * UNCHANGED on put leaves it to the file's. Two files: pages of the
   * VERY_HIGH file survive a stream of pages of the VERY_LOW one. */
  REQUIRE(setup() == 0);
  const char *other = ct_path("putset-other.db");
  REQUIRE(ct_make_file(other, NPAGES, PS, 0x80) == 0);
  DB_MPOOLFILE *low = NULL;
  REQUIRE_OK(ct_mpf_open(env, &low, other, 0, PS));
  CHECK_OK(mpf->set_priority(mpf, DB_PRIORITY_VERY_HIGH));
  CHECK_OK(low->set_priority(low, DB_PRIORITY_VERY_LOW));
  p = get(0, 0);
  REQUIRE(p != NULL);
  CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  for (db_pgno_t i = 0; i < 3 * FRAMES; ++i) {
    db_pgno_t pg = i;
    void *q = NULL;
    CHECK_OK(low->get(low, &pg, NULL, 0, &q));
    if (q != NULL) CHECK_OK(low->put(low, q, DB_PRIORITY_UNCHANGED, 0));
  }
  CHECK_EQ(resident(0), 1);
  CHECK_OK(low->close(low, 0));
  teardown();
}

/* ------------------------------------------------------------------ set */

#ifdef DB_PAGEPOOL
static void test_set(void) {
  REQUIRE(setup() == 0);
  /* DB_MPOOLFILE->set (spec 001): "sets the flags associated with the page
   * referenced by pgaddr without unpinning it from the pool ... one or more
   * of the values specified as flags for the DbMpoolFile::put call". */
  unsigned char *p = get(6, 0);
  REQUIRE(p != NULL);
  memset(p + 4, 0x66, PS - 4);
  CHECK_OK(mpf->set(mpf, p, DB_MPOOL_DIRTY));
  /* Still pinned: a put is accepted exactly once more. */
  CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  CHECK_ERR(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0), EINVAL);
  CHECK_OK(env->memp_sync(env, NULL));
  CHECK(on_disk(6, 0x66));

  /* set DB_MPOOL_CLEAN forgets the modification. */
  p = get(7, DB_MPOOL_DIRTY);
  REQUIRE(p != NULL);
  memset(p + 4, 0x77, PS - 4);
  CHECK_OK(mpf->set(mpf, p, DB_MPOOL_CLEAN));
  CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  CHECK_OK(env->memp_sync(env, NULL));
  CHECK(on_disk(7, 0x07));

  /* set DB_MPOOL_DISCARD is accepted. */
  p = get(8, 0);
  REQUIRE(p != NULL);
  CHECK_OK(mpf->set(mpf, p, DB_MPOOL_DISCARD));
  /* EINVAL (spec 001): "An invalid flag value or parameter was specified":
   * CLEAN with DIRTY, an unknown flag, an address get did not return. */
  CHECK_ERR(mpf->set(mpf, p, DB_MPOOL_CLEAN | DB_MPOOL_DIRTY), EINVAL);
  CHECK_ERR(mpf->set(mpf, p, 0x40000000u), EINVAL);
  char foreign[PS];
  CHECK_ERR(mpf->set(mpf, foreign, DB_MPOOL_DIRTY), EINVAL);
  CHECK_ERR(mpf->set(mpf, p + 8, DB_MPOOL_DIRTY), EINVAL);
  CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  /* A page no longer pinned cannot be set ("without unpinning it": set
   * applies to a pinned page). */
  CHECK_ERR(mpf->set(mpf, p, DB_MPOOL_DIRTY), EINVAL);
  teardown();
}
#endif

int main(int argc, char **argv) {
  (void)argc;
  ct_begin(argv[0]);
  CT_RUN(test_put_priorities);
  CT_RUN(test_put_refused);
  CT_RUN(test_put_dirty_and_clean);
  CT_RUN(test_put_discard);
  CT_RUN(test_priority_order);
#ifdef DB_PAGEPOOL
  CT_RUN(test_set);
#endif
  return ct_end();
}
