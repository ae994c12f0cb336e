/*
 * mpf_share_test.c: the pool as a whole: several handles on one file share
 * its pages and its settings; temporary files spill to disk through a small
 * cache and read back; pinning more pages than the cache holds is ENOMEM;
 * threads share a handle (DB_THREAD).
 *
 * Manual pages: Memory Pool subsystem overview (spec 000), DB_MPOOLFILE->open
 * (file NULL, page size of a file already in the cache; spec 003),
 * DB_MPOOLFILE->close (temporary files), DB_MPOOLFILE->get (ENOMEM),
 * DB_MPOOLFILE->set_clear_len / set_lsn_offset ("must be consistent with the
 * existing file"), spec 004 (several databases in one physical file share one
 * pool), DB_ENV->open (DB_THREAD), DB_ENV->set_tmp_dir.
 */
#include "ctest_harness.h"

#include <pthread.h>

#define PS 4096u
#define FRAMES 8u

static void *get(DB_MPOOLFILE *mpf, db_pgno_t pg, u_int32_t flags) {
  void *p = NULL;
  if (mpf->get(mpf, &pg, NULL, flags, &p) != 0) return NULL;
  return p;
}

static void test_two_handles_one_file(void) {
  const char *path = ct_path("shared.db");
  REQUIRE(ct_make_file(path, 4, PS, 0) == 0);
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  DB_MPOOLFILE *a = NULL, *b = NULL;
  REQUIRE_OK(ct_mpf_open(env, &a, path, 0, PS));
  REQUIRE_OK(ct_mpf_open(env, &b, path, 0, PS));

  /* spec 004: handles on one physical file "must share a memory pool ... so
   * per-physical-file information common between the two ... is updated
   * correctly": one copy of each page, seen by both handles. */
  unsigned char *pa = get(a, 1, DB_MPOOL_DIRTY);
  REQUIRE(pa != NULL);
  memset(pa + 4, 0x5E, PS - 4);
  unsigned char *pb = get(b, 1, 0);
  CHECK(pb == pa);
  if (pb != NULL) {
    CHECK(ct_all_bytes(pb + 4, PS - 4, 0x5E));
    CHECK_OK(b->put(b, pb, DB_PRIORITY_UNCHANGED, 0));
  }
  CHECK_OK(a->put(a, pa, DB_PRIORITY_UNCHANGED, 0));
  /* The change made through a is seen through b after a is gone. */
  CHECK_OK(a->close(a, 0));
  pb = get(b, 1, 0);
  REQUIRE(pb != NULL);
  CHECK(ct_all_bytes(pb + 4, PS - 4, 0x5E));
  CHECK_OK(b->put(b, pb, DB_PRIORITY_UNCHANGED, 0));
  /* Syncing through b writes the page dirtied through a. */
  CHECK_OK(b->sync(b));
  unsigned char buf[PS];
  CHECK_EQ(ct_read_page(path, 1, PS, buf), PS);
  CHECK(ct_all_bytes(buf + 4, PS - 4, 0x5E));

  /* One last page number for the file: a page made through one handle is the
   * last page for the other, and the next new page follows it. */
  REQUIRE_OK(ct_mpf_open(env, &a, path, 0, PS));
  db_pgno_t pg = 0;
  void *p = NULL;
  CHECK_OK(a->get(a, &pg, NULL, DB_MPOOL_NEW, &p));
  CHECK_EQ(pg, 4);
  if (p != NULL) CHECK_OK(a->put(a, p, DB_PRIORITY_UNCHANGED, 0));
  db_pgno_t last = 0;
  CHECK_OK(b->get_last_pgno(b, &last));
  CHECK_EQ(last, 4);
  pg = 0;
  p = NULL;
  CHECK_OK(b->get(b, &pg, NULL, DB_MPOOL_NEW, &p));
  CHECK_EQ(pg, 5);
  if (p != NULL) CHECK_OK(b->put(b, p, DB_PRIORITY_UNCHANGED, 0));
  CHECK_OK(a->close(a, 0));
  CHECK_OK(b->close(b, 0));
  CHECK_OK(env->close(env, 0));
}

static void test_second_handle_must_agree(void) {
  const char *path = ct_path("agree.db");
  REQUIRE(ct_make_file(path, 4, PS, 0) == 0);
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *a = NULL, *b = NULL;
  REQUIRE_OK(env->memp_fcreate(env, &a, 0));
  CHECK_OK(a->set_clear_len(a, 16));
  CHECK_OK(a->set_lsn_offset(a, 8));
  REQUIRE_OK(a->open(a, path, 0, 0, PS));

  /* DB_MPOOLFILE->open, EINVAL: "If the file has already been entered into
   * the cache, and the pagesize value is not the same as when the file was
   * entered into the cache". */
  CHECK_ERR(ct_mpf_open(env, &b, path, 0, 1024), EINVAL);
  /* set_clear_len: "If the file is already open in the cache when
   * DB_MPOOLFILE->open() is called, the information specified ... must be
   * consistent with the existing file or an error will be returned";
   * set_lsn_offset likewise. */
  REQUIRE_OK(env->memp_fcreate(env, &b, 0));
  CHECK_OK(b->set_clear_len(b, 32));
  CHECK(b->open(b, path, 0, 0, PS) != 0);
  b->close(b, 0);
  REQUIRE_OK(env->memp_fcreate(env, &b, 0));
  CHECK_OK(b->set_lsn_offset(b, 16));
  CHECK(b->open(b, path, 0, 0, PS) != 0);
  b->close(b, 0);
  /* Consistent settings are fine. */
  REQUIRE_OK(env->memp_fcreate(env, &b, 0));
  CHECK_OK(b->set_clear_len(b, 16));
  CHECK_OK(b->set_lsn_offset(b, 8));
  CHECK_OK(b->open(b, path, 0, 0, PS));
  CHECK_OK(b->close(b, 0));
  CHECK_OK(a->close(a, 0));
  CHECK_OK(env->close(env, 0));
}

static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) ++n;
  closedir(d);
  return n;
}

static int dir_is_empty(const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL) return -1;
  int empty = 1;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) empty = 0;
  closedir(d);
  return empty;
}

static void test_temporary_file_spills(void) {
  const char *tmpdir = ct_path("tmp");
  REQUIRE(mkdir(tmpdir, 0700) == 0);
  const int home_entries = count_entries(ct_dir);
  DB_ENV *env = NULL;
  REQUIRE_OK(db_env_create(&env, 0));
  env->set_errfile(env, stderr);
  /* DB_ENV->set_tmp_dir: "Specify the path of a directory to be used as the
   * location of temporary files." */
  REQUIRE_OK(env->set_tmp_dir(env, tmpdir));
  REQUIRE_OK(env->set_mp_pagesize(env, PS));
  REQUIRE_OK(env->set_cachesize(env, 0, FRAMES * PS, 1));
  REQUIRE_OK(env->open(env, ct_dir, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0));
  DB_MPOOLFILE *mpf = NULL;
  /* DB_MPOOLFILE->open: "If file is NULL, a private temporary file is
   * created". Forty pages through an eight-page cache: they must be written
   * somewhere and read back intact. */
  REQUIRE_OK(ct_mpf_open(env, &mpf, NULL, DB_CREATE, PS));
  const u_int32_t n = 5 * FRAMES;
  for (u_int32_t i = 0; i < n; ++i) {
    db_pgno_t pg = 0;
    void *p = NULL;
    CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p));
    CHECK_EQ(pg, i);
    if (p == NULL) continue;
    memset(p, 0x20 + (int)(i % 200), PS);
    memcpy(p, &pg, sizeof pg);
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  DB_MPOOL_STAT st;
  CHECK_OK(ct_stat(env, &st));
  CHECK(st.st_rw_evict >= n - FRAMES);
  for (int round = 0; round < 2; ++round) {
    for (u_int32_t i = 0; i < n; ++i) {
      db_pgno_t pg = i;
      void *p = NULL;
      CHECK_OK(mpf->get(mpf, &pg, NULL, 0, &p));
      if (p == NULL) continue;
      CHECK_EQ(ct_page_number(p), i);
      CHECK(ct_all_bytes((char *)p + 4, PS - 4, (unsigned char)(0x20 + i % 200)));
      CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
    }
  }
  /* DB_MPOOLFILE->close: "If the DB_MPOOLFILE was temporary, any underlying
   * files created for this DB_MPOOLFILE will be removed." */
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_EQ(dir_is_empty(tmpdir), 1);
  CHECK_OK(env->close(env, 0));
  CHECK_EQ(dir_is_empty(tmpdir), 1);
  /* Nothing of it was left in the home directory either. */
  CHECK_EQ(count_entries(ct_dir), home_entries);
}

static void test_cache_full_is_enomem(void) {
  const char *path = ct_path("full.db");
  REQUIRE(ct_make_file(path, 4 * FRAMES, PS, 0) == 0);
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(ct_mpf_open(env, &mpf, path, 0, PS));
  /* The cache holds FRAMES pages; all of them can be pinned at once. */
  void *pins[FRAMES];
  u_int32_t pinned = 0;
  for (; pinned < FRAMES; ++pinned) {
    pins[pinned] = get(mpf, pinned, 0);
    if (pins[pinned] == NULL) break;
  }
  CHECK_EQ(pinned, FRAMES);
  /* DB_MPOOLFILE->get, ENOMEM: "The cache is full, and no more pages will fit
   * in the cache": one more page, read or created. */
  db_pgno_t pg = FRAMES;
  void *p = NULL;
  CHECK_ERR(mpf->get(mpf, &pg, NULL, 0, &p), ENOMEM);
  pg = 0;
  CHECK_ERR(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p), ENOMEM);
  /* A pinned page can still be pinned again. */
  pg = 0;
  p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, 0, &p));
  if (p != NULL) CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  /* Releasing the pins makes room again. */
  for (u_int32_t i = 0; i < pinned; ++i) CHECK_OK(mpf->put(mpf, pins[i], DB_PRIORITY_UNCHANGED, 0));
  pg = FRAMES;
  p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, 0, &p));
  if (p != NULL) {
    CHECK_EQ(ct_page_number(p), FRAMES);
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

/* ----------------------------------------------------------- threads */

#define NTHREADS 4
#define TPAGES 64u
#define OPS 3000

struct worker {
  DB_MPOOLFILE *mpf;
  unsigned seed;
  int errors;
  int mismatches;
};

static void *worker_main(void *arg) {
  struct worker *w = arg;
  for (int i = 0; i < OPS; ++i) {
    w->seed = w->seed * 1103515245u + 12345u;
    db_pgno_t pg = (w->seed >> 8) % TPAGES;
    int dirty = ((w->seed >> 4) & 7) == 0;
    void *p = NULL;
    if (w->mpf->get(w->mpf, &pg, NULL, dirty ? DB_MPOOL_DIRTY : 0, &p) != 0) {
      ++w->errors;
      continue;
    }
    if (ct_page_number(p) != pg) ++w->mismatches;
    if (w->mpf->put(w->mpf, p, DB_PRIORITY_UNCHANGED, 0) != 0) ++w->errors;
  }
  return NULL;
}

static void test_threads_share_a_handle(void) {
  const char *path = ct_path("threads.db");
  REQUIRE(ct_make_file(path, TPAGES, PS, 0) == 0);
  DB_ENV *env = NULL;
  /* DB_ENV->open DB_THREAD: "Cause the DB_ENV handle returned by
   * DB_ENV->open() to be free-threaded; that is, concurrently usable by
   * multiple threads in the address space"; db.h: "Several threads may use
   * one handle at once; get, put, set and sync are thread-safe". Sixteen
   * frames, sixty-four pages, four threads. */
  REQUIRE_OK(ct_env_open(&env, 2 * FRAMES * PS, PS));
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(ct_mpf_open(env, &mpf, path, 0, PS));
  struct worker w[NTHREADS];
  pthread_t th[NTHREADS];
  int started = 0;
  for (int i = 0; i < NTHREADS; ++i) {
    w[i].mpf = mpf;
    w[i].seed = 7u + (unsigned)i * 7919u;
    w[i].errors = w[i].mismatches = 0;
    if (pthread_create(&th[i], NULL, worker_main, &w[i]) != 0) break;
    ++started;
  }
  CHECK_EQ(started, NTHREADS);
  for (int i = 0; i < started; ++i) pthread_join(th[i], NULL);
  for (int i = 0; i < started; ++i) {
    CHECK_EQ(w[i].errors, 0);
    CHECK_EQ(w[i].mismatches, 0);
  }
  CHECK_OK(env->memp_sync(env, NULL));
  DB_MPOOL_STAT st;
  CHECK_OK(ct_stat(env, &st));
  CHECK_EQ(st.st_cache_hit + st.st_cache_miss, (uintmax_t)NTHREADS * OPS);
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

int main(int argc, char **argv) {
  (void)argc;
  ct_begin(argv[0]);
  CT_RUN(test_two_handles_one_file);
  CT_RUN(test_second_handle_must_agree);
  CT_RUN(test_temporary_file_spills);
  CT_RUN(test_cache_full_is_enomem);
  CT_RUN(test_threads_share_a_handle);
  return ct_end();
}
