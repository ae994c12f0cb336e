/*
 * page_sizes_test.c: files of every page size Berkeley DB accepts, 512 B to
 * 64 KiB, in one environment that was told nothing of them (no
 * DB_ENV->set_mp_pagesize: in BDB that is a sizing hint only), written past
 * the cache's size and read back; the memory a small page costs; the
 * per-file page size in the statistics.
 *
 * Manual pages: DB_MPOOLFILE->open (spec 003: "pagesize ... the unit of
 * transfer between the application and the cache"), DB_ENV->set_mp_pagesize,
 * DB_ENV->memp_stat (st_pages, st_pagesize); db.h's "pagepool:" notes.
 */
#include "ctest_harness.h"

#define NSIZES 8
#define CACHE (1024u * 1024u)

static void fill(void *page, u_int32_t size, db_pgno_t pgno, int seed) {
  unsigned char *b = page;
  for (u_int32_t i = 0; i < size; ++i) b[i] = (unsigned char)(pgno * 7u + i * 13u + (unsigned)seed);
}

static int holds(const void *page, u_int32_t size, db_pgno_t pgno, int seed) {
  const unsigned char *b = page;
  for (u_int32_t i = 0; i < size; ++i)
    if (b[i] != (unsigned char)(pgno * 7u + i * 13u + (unsigned)seed)) return 0;
  return 1;
}

/* Pages each file gets: together about 4 MiB, four times the cache. */
static db_pgno_t pages_of(u_int32_t size) { return (db_pgno_t)((512u * 1024u) / size + 2); }

static void test_every_size_in_one_environment(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, CACHE, 0));
  DB_MPOOLFILE *mpf[NSIZES];
  char name[64];
  for (int i = 0; i < NSIZES; ++i) {
    snprintf(name, sizeof name, "size%u.db", 512u << i);
    REQUIRE_OK(ct_mpf_open(env, &mpf[i], ct_path(name), DB_CREATE, 512u << i));
  }
  /* Written round-robin across the files, so that every size evicts every
   * other. */
  for (db_pgno_t n = 0; n < pages_of(512); ++n)
    for (int i = 0; i < NSIZES; ++i) {
      const u_int32_t size = 512u << i;
      if (n >= pages_of(size)) continue;
      db_pgno_t pg = n;
      void *p = NULL;
      REQUIRE_OK(mpf[i]->get(mpf[i], &pg, NULL, DB_MPOOL_CREATE, &p));
      fill(p, size, n, i);
      REQUIRE_OK(mpf[i]->put(mpf[i], p, DB_PRIORITY_UNCHANGED, DB_MPOOL_DIRTY));
    }
  DB_MPOOL_STAT *gsp = NULL;
  DB_MPOOL_FSTAT **fsp = NULL;
  REQUIRE_OK(env->memp_stat(env, &gsp, &fsp, 0));
  CHECK(gsp->st_pages > 0);
  int seen = 0;
  for (DB_MPOOL_FSTAT **f = fsp; f != NULL && *f != NULL; ++f) {
    unsigned size = 0;
    CHECK(sscanf(strrchr((*f)->file_name, '/') + 1, "size%u.db", &size) == 1);
    CHECK_EQ((*f)->st_pagesize, size); /* each file's own page size */
    ++seen;
  }
  CHECK_EQ(seen, NSIZES);
  free(gsp);
  free(fsp);
  /* Every page reads back, through the cache and from the file. */
  CHECK_OK(env->memp_sync(env, NULL));
  for (int i = 0; i < NSIZES; ++i) {
    const u_int32_t size = 512u << i;
    snprintf(name, sizeof name, "size%u.db", size);
    CHECK_EQ(ct_file_size(ct_path(name)), (long long)pages_of(size) * size);
    void *buf = malloc(size);
    REQUIRE(buf != NULL);
    for (db_pgno_t n = 0; n < pages_of(size); ++n) {
      db_pgno_t pg = n;
      void *p = NULL;
      REQUIRE_OK(mpf[i]->get(mpf[i], &pg, NULL, 0, &p));
      CHECK(holds(p, size, n, i));
      CHECK_OK(mpf[i]->put(mpf[i], p, DB_PRIORITY_UNCHANGED, 0));
      CHECK_EQ(ct_read_page(ct_path(name), n, size, buf), (long)size);
      CHECK(holds(buf, size, n, i));
    }
    free(buf);
    CHECK_OK(mpf[i]->close(mpf[i], 0));
  }
  CHECK_OK(env->close(env, 0));
}

static void test_small_pages_cost_their_size(void) {
  /* A 1 MiB cache holds 2048 pages of 512 bytes (Berkeley DB: about 2000),
   * not 256 frames of 4 KiB. */
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, CACHE, 0));
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(ct_mpf_open(env, &mpf, ct_path("small.db"), DB_CREATE, 512));
  for (db_pgno_t n = 0; n < 2048; ++n) {
    db_pgno_t pg = n;
    void *p = NULL;
    REQUIRE_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_CREATE, &p));
    fill(p, 512, n, 3);
    REQUIRE_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, DB_MPOOL_DIRTY));
  }
  DB_MPOOL_STAT st;
  CHECK_OK(ct_stat(env, &st));
  CHECK(st.st_pages >= 1536);
  CHECK_EQ(st.st_pages, 2048);
  CHECK_EQ(st.st_page_dirty, 2048);
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

int main(int argc, char **argv) {
  (void)argc;
  ct_begin(argv[0]);
  CT_RUN(test_every_size_in_one_environment);
  CT_RUN(test_small_pages_cost_their_size);
  return ct_end();
}
