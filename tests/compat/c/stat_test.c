/*
 * stat_test.c: DB_ENV->memp_stat: the global and per-file structures, what
 * the counters count, DB_STAT_CLEAR, the flags it accepts, how the memory is
 * allocated and freed.
 *
 * Manual pages: DB_ENV->memp_stat, DB_ENV->set_alloc; the field comments of
 * DB_MPOOL_STAT and DB_MPOOL_FSTAT in db.h.
 */
#include "ctest_harness.h"

#define PS 4096u
#define FRAMES 16u

/* Gets page pgno (flags 0) and puts it back. */
static int touch(DB_MPOOLFILE *mpf, db_pgno_t pgno) {
  void *p = NULL;
  int ret = mpf->get(mpf, &pgno, NULL, 0, &p);
  if (ret != 0) return ret;
  return mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0);
}

static void test_no_files_gives_null_fsp(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  DB_MPOOL_STAT *gsp = NULL;
  DB_MPOOL_FSTAT **fsp = (DB_MPOOL_FSTAT **)&gsp; /* anything but NULL */
  /* DB_ENV->memp_stat: "If no individual files currently exist in the cache,
   * fsp will be set to NULL." */
  CHECK_OK(env->memp_stat(env, &gsp, &fsp, 0));
  CHECK(gsp != NULL);
  CHECK(fsp == NULL);
  free(gsp);
  CHECK_OK(env->close(env, 0));
}

static void test_counters_and_file_stats(void) {
  const char *path = ct_path("stat.db");
  DB_ENV *env = NULL;
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE(ct_fixture_open(&env, &mpf, path, 4, PS, 0, FRAMES) == 0);

  /* Four reads (misses), four hits, one page made by DB_MPOOL_NEW. */
  for (db_pgno_t i = 0; i < 4; ++i) CHECK_OK(touch(mpf, i));
  for (db_pgno_t i = 0; i < 4; ++i) CHECK_OK(touch(mpf, i));
  db_pgno_t pg = 0;
  void *p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p));
  CHECK_EQ(pg, 4);
  if (p != NULL) CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));

  DB_MPOOL_STAT *gsp = NULL;
  DB_MPOOL_FSTAT **fsp = NULL;
  REQUIRE_OK(env->memp_stat(env, &gsp, &fsp, 0));
  REQUIRE(gsp != NULL);
  /* DB_MPOOL_STAT: "st_cache_hit: Requested pages found in the cache";
   * "st_cache_miss: Requested pages not found in the cache" (db.h: gets that
   * had to read the page; a page made by DB_MPOOL_NEW counts as created
   * only, as in Berkeley DB's code); "st_page_create: Pages created in the
   * cache"; "st_page_in: Pages read into the cache"; "st_pages: Pages in the
   * cache"; "st_page_clean / st_page_dirty: Clean / Dirty pages currently in
   * the cache" (the NEW page is dirty). */
  CHECK_EQ(gsp->st_cache_hit, 4);
  CHECK_EQ(gsp->st_cache_miss, 4);
  CHECK_EQ(gsp->st_page_create, 1);
  CHECK_EQ(gsp->st_page_in, 4);
  CHECK_EQ(gsp->st_page_out, 0);
  CHECK_EQ(gsp->st_pages, 5);
  CHECK_EQ(gsp->st_page_dirty, 1);
  CHECK_EQ(gsp->st_page_clean, 4);
  CHECK_EQ(gsp->st_ro_evict, 0);
  CHECK_EQ(gsp->st_rw_evict, 0);
  CHECK_EQ(gsp->st_map, 0);
  /* "st_gbytes ... st_bytes: total cache size is st_gbytes + st_bytes";
   * pagepool: sizes are exact. */
  CHECK_EQ(gsp->st_gbytes, 0);
  CHECK_EQ(gsp->st_bytes, FRAMES * PS);
  CHECK_EQ(gsp->st_ncache, 1);
  CHECK_EQ(gsp->st_pagesize, PS);
  CHECK(gsp->st_hash_buckets > 0);

  /* "fsp: a pointer to a NULL-terminated variable length array of statistics
   * for individual files"; "file_name: The name of the file"; "st_pagesize:
   * Page size in bytes"; per-file hit, miss, create, in, out. */
  REQUIRE(fsp != NULL);
  REQUIRE(fsp[0] != NULL);
  CHECK(fsp[1] == NULL);
  CHECK_STR(fsp[0]->file_name, path);
  CHECK_EQ(fsp[0]->st_pagesize, PS);
  CHECK_EQ(fsp[0]->st_cache_hit, 4);
  CHECK_EQ(fsp[0]->st_cache_miss, 4);
  CHECK_EQ(fsp[0]->st_page_create, 1);
  CHECK_EQ(fsp[0]->st_page_in, 4);
  CHECK_EQ(fsp[0]->st_page_out, 0);
  /* "To deallocate the memory, free the memory reference; references inside
   * the returned memory need not be individually freed" (a leak checker sees
   * anything else). */
  free(fsp);
  free(gsp);

  /* "st_page_out: Pages written from the cache to the backing file." */
  CHECK_OK(env->memp_sync(env, NULL));
  gsp = NULL;
  fsp = NULL;
  REQUIRE_OK(env->memp_stat(env, &gsp, &fsp, 0));
  CHECK_EQ(gsp->st_page_out, 1);
  CHECK_EQ(gsp->st_page_dirty, 0);
  CHECK_EQ(gsp->st_page_clean, 5);
  if (fsp != NULL && fsp[0] != NULL) CHECK_EQ(fsp[0]->st_page_out, 1);
  free(fsp);
  free(gsp);

  /* gsp and fsp are each optional: "If gsp is non-NULL ...", "If fsp is
   * non-NULL ...". */
  fsp = NULL;
  CHECK_OK(env->memp_stat(env, NULL, &fsp, 0));
  CHECK(fsp != NULL && fsp[0] != NULL);
  free(fsp);
  gsp = NULL;
  CHECK_OK(env->memp_stat(env, &gsp, NULL, 0));
  CHECK(gsp != NULL);
  free(gsp);

  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

static void test_stat_clear(void) {
  const char *path = ct_path("clear.db");
  DB_ENV *env = NULL;
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE(ct_fixture_open(&env, &mpf, path, 4, PS, 0, FRAMES) == 0);
  for (db_pgno_t i = 0; i < 4; ++i) CHECK_OK(touch(mpf, i));
  CHECK_OK(touch(mpf, 0));
  CHECK_OK(touch(mpf, 1));

  /* DB_STAT_CLEAR: "Reset statistics after returning their values": the
   * values returned are those before the reset ... */
  DB_MPOOL_STAT *gsp = NULL;
  DB_MPOOL_FSTAT **fsp = NULL;
  REQUIRE_OK(env->memp_stat(env, &gsp, &fsp, DB_STAT_CLEAR));
  CHECK_EQ(gsp->st_cache_hit, 2);
  CHECK_EQ(gsp->st_cache_miss, 4);
  CHECK_EQ(gsp->st_page_in, 4);
  REQUIRE(fsp != NULL && fsp[0] != NULL);
  CHECK(fsp[1] == NULL);
  CHECK_STR(fsp[0]->file_name, path);
  CHECK_EQ(fsp[0]->st_cache_hit, 2);
  CHECK_EQ(fsp[0]->st_cache_miss, 4);
  free(fsp);
  free(gsp);

  /* ... and afterwards the counters are zero, globally and per file, while
   * the cache's configuration and contents are not statistics and stay. */
  gsp = NULL;
  fsp = NULL;
  REQUIRE_OK(env->memp_stat(env, &gsp, &fsp, 0));
  CHECK_EQ(gsp->st_cache_hit, 0);
  CHECK_EQ(gsp->st_cache_miss, 0);
  CHECK_EQ(gsp->st_page_in, 0);
  CHECK_EQ(gsp->st_page_create, 0);
  CHECK_EQ(gsp->st_page_out, 0);
  CHECK_EQ(gsp->st_ro_evict, 0);
  CHECK_EQ(gsp->st_rw_evict, 0);
  CHECK_EQ(gsp->st_bytes, FRAMES * PS);
  CHECK_EQ(gsp->st_pages, 4);
  REQUIRE(fsp != NULL && fsp[0] != NULL);
  CHECK_STR(fsp[0]->file_name, path);
  CHECK_EQ(fsp[0]->st_cache_hit, 0);
  CHECK_EQ(fsp[0]->st_cache_miss, 0);
  CHECK_EQ(fsp[0]->st_page_in, 0);
  free(fsp);
  free(gsp);

  /* Counting resumes from zero. */
  CHECK_OK(touch(mpf, 2));
  DB_MPOOL_STAT st;
  CHECK_OK(ct_stat(env, &st));
  CHECK_EQ(st.st_cache_hit, 1);
  CHECK_EQ(st.st_cache_miss, 0);
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

static void test_stat_flags(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  env->set_errfile(env, NULL);
  /* DB_ENV->memp_stat: "The flags parameter must be set to 0 or the
   * following value: DB_STAT_CLEAR"; EINVAL: "An invalid flag value or
   * parameter was specified." */
  const u_int32_t bad[] = {DB_STAT_ALL, DB_STAT_ALLOC, DB_STAT_MEMP_HASH, 0x40000000u,
                           DB_STAT_CLEAR | DB_STAT_ALL};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    DB_MPOOL_STAT *gsp = NULL;
    int ret = env->memp_stat(env, &gsp, NULL, bad[i]);
    if (ret != EINVAL) fprintf(stderr, "  (memp_stat flags 0x%x)\n", (unsigned)bad[i]);
    CHECK_ERR(ret, EINVAL);
    if (ret == 0) free(gsp);
  }
  CHECK_OK(env->close(env, 0));
}

static void test_evictions_counted(void) {
  const char *path = ct_path("evict.db");
  REQUIRE(ct_make_file(path, 4 * FRAMES, PS, 0) == 0);
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(ct_mpf_open(env, &mpf, path, 0, PS));
  /* Reading four times as many pages as there are frames evicts clean pages:
   * "st_ro_evict: Clean pages forced from the cache". */
  for (db_pgno_t i = 0; i < 4 * FRAMES; ++i) CHECK_OK(touch(mpf, i));
  DB_MPOOL_STAT st;
  CHECK_OK(ct_stat(env, &st));
  CHECK_EQ(st.st_cache_miss, 4 * FRAMES);
  CHECK_EQ(st.st_page_in, 4 * FRAMES);
  CHECK(st.st_ro_evict >= 3 * FRAMES);
  CHECK_EQ(st.st_rw_evict, 0);
  CHECK(st.st_pages <= FRAMES);

  /* Dirtying them all and reading them again evicts dirty pages: "st_rw_evict:
   * Dirty pages forced from the cache", each written first (st_page_out). */
  CHECK_OK(env->memp_stat(env, NULL, NULL, DB_STAT_CLEAR));
  for (db_pgno_t i = 0; i < 4 * FRAMES; ++i) {
    db_pgno_t pg = i;
    void *p = NULL;
    CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_DIRTY, &p));
    if (p == NULL) continue;
    ((unsigned char *)p)[100] ^= 0xff;
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  CHECK_OK(ct_stat(env, &st));
  CHECK(st.st_rw_evict >= 3 * FRAMES);
  CHECK(st.st_page_out >= st.st_rw_evict);
  CHECK(st.st_page_dirty <= FRAMES);
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

static void test_temporary_and_several_files(void) {
  const char *a = ct_path("a.db");
  const char *b = ct_path("b.db");
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  DB_MPOOLFILE *ma = NULL, *mb = NULL, *mt = NULL;
  REQUIRE_OK(ct_mpf_open(env, &ma, a, DB_CREATE, PS));
  REQUIRE_OK(ct_mpf_open(env, &mb, b, DB_CREATE, 1024));
  REQUIRE_OK(ct_mpf_open(env, &mt, NULL, 0, PS));
  DB_MPOOLFILE *all[3] = {ma, mb, mt};
  for (int i = 0; i < 3; ++i) {
    db_pgno_t pg = 0;
    void *p = NULL;
    CHECK_OK(all[i]->get(all[i], &pg, NULL, DB_MPOOL_NEW, &p));
    if (p != NULL) CHECK_OK(all[i]->put(all[i], p, DB_PRIORITY_UNCHANGED, 0));
  }
  DB_MPOOL_FSTAT **fsp = NULL;
  REQUIRE_OK(env->memp_stat(env, NULL, &fsp, 0));
  REQUIRE(fsp != NULL);
  /* One entry per file in the cache, NULL-terminated; each names its file
   * and its page size; db.h: a temporary file's name is "unknown". */
  int n = 0, seen_a = 0, seen_b = 0, seen_tmp = 0;
  for (; fsp[n] != NULL && n < 16; ++n) {
    const char *name = fsp[n]->file_name;
    REQUIRE(name != NULL);
    if (strcmp(name, a) == 0) {
      ++seen_a;
      CHECK_EQ(fsp[n]->st_pagesize, PS);
    } else if (strcmp(name, b) == 0) {
      ++seen_b;
      CHECK_EQ(fsp[n]->st_pagesize, 1024);
    } else if (strcmp(name, "unknown") == 0) {
      ++seen_tmp;
    }
    CHECK_EQ(fsp[n]->st_page_create, 1);
  }
  CHECK_EQ(n, 3);
  CHECK_EQ(seen_a, 1);
  CHECK_EQ(seen_b, 1);
  CHECK_EQ(seen_tmp, 1);
  free(fsp);
  CHECK_OK(mt->close(mt, 0));
  CHECK_OK(mb->close(mb, 0));
  CHECK_OK(ma->close(ma, 0));
  CHECK_OK(env->close(env, 0));
}

static int alloc_calls, free_calls;
static void *my_malloc(size_t n) {
  ++alloc_calls;
  return malloc(n);
}
static void *my_realloc(void *p, size_t n) {
  ++alloc_calls;
  return realloc(p, n);
}
static void my_free(void *p) {
  ++free_calls;
  free(p);
}

static void test_set_alloc_used_for_stats(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(db_env_create(&env, 0));
  env->set_errfile(env, stderr);
  /* DB_ENV->set_alloc: "Set the allocation functions used by the DB_ENV and
   * DB methods to allocate or free memory owned by the application ... the
   * Berkeley DB interfaces which return statistical information ...
   * DB_ENV->memp_stat()"; DB_ENV->memp_stat: "If application-specific
   * allocation routines have been declared ..., they are used to allocate
   * the memory". */
  CHECK_OK(env->set_alloc(env, my_malloc, my_realloc, my_free));
  CHECK_OK(env->set_mp_pagesize(env, PS));
  CHECK_OK(env->set_cachesize(env, 0, FRAMES * PS, 1));
  REQUIRE_OK(env->open(env, ct_dir, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0));
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(ct_mpf_open(env, &mpf, ct_path("alloc.db"), DB_CREATE, PS));
  alloc_calls = 0;
  DB_MPOOL_STAT *gsp = NULL;
  DB_MPOOL_FSTAT **fsp = NULL;
  CHECK_OK(env->memp_stat(env, &gsp, &fsp, 0));
  CHECK(alloc_calls >= 2);
  CHECK(gsp != NULL);
  CHECK(fsp != NULL);
  my_free(fsp);
  my_free(gsp);
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

int main(int argc, char **argv) {
  (void)argc;
  ct_begin(argv[0]);
  CT_RUN(test_no_files_gives_null_fsp);
  CT_RUN(test_counters_and_file_stats);
  CT_RUN(test_stat_clear);
  CT_RUN(test_stat_flags);
  CT_RUN(test_evictions_counted);
  CT_RUN(test_temporary_and_several_files);
  CT_RUN(test_set_alloc_used_for_stats);
  return ct_end();
}
