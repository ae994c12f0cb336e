/* mpool_files.c: many files in one memory pool, written only against Berkeley
 * DB 5.3's C API and built twice (bench_files_pagepool, bench_files_bdb), as
 * mpool_bench.c is. Issue 13, part 4.
 *
 * Two phases, each timed per file:
 *   churn:  for each of N files in --dir: open (DB_CREATE), get page 0
 *           (DB_MPOOL_CREATE | DB_MPOOL_DIRTY: 5.3's put takes no DIRTY),
 *           write it, put it, close. The
 *           files' states stay in the cache after their close (their pages are
 *           dirty); set_mp_max_openfd bounds the descriptors they keep.
 *           Then memp_sync writes and syncs every page (timed apart).
 *   held:   N in-memory files (DB_MPOOL_NOFILE) open at once: open all,
 *           then get+check+put page 0 of each, then close all.
 * The cache holds every page of both phases (no eviction), so the numbers are
 * of the file table, not of I/O. Put --dir on tmpfs (/dev/shm) to keep the
 * file system's cost small and equal for both.
 *
 * Output: one line per phase step, "lib step files ns_per_file". */
#define _GNU_SOURCE /* u_int in Berkeley DB's db.h; clock_gettime */
#include <db.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(DB_PAGEPOOL)
#define LIB "pagepool"
#else
#define LIB "bdb-5.3"
#endif

#define PAGE_SIZE 4096

static void die(const char *what, int ret) {
  fprintf(stderr, "mpool_files: %s: %s\n", what, db_strerror(ret));
  exit(1);
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void report(const char *step, long n, double t0) {
  printf("%-8s %-12s %ld %.0f\n", LIB, step, n, (now_ns() - t0) / (double)n);
  fflush(stdout);
}

static DB_ENV *open_env(uint64_t cache_bytes, int max_openfd) {
  DB_ENV *env;
  int ret;
  if ((ret = db_env_create(&env, 0)) != 0) die("db_env_create", ret);
  env->set_errfile(env, stderr);
  env->set_errpfx(env, "mpool_files");
  if ((ret = env->set_mp_pagesize(env, PAGE_SIZE)) != 0) die("set_mp_pagesize", ret);
  if ((ret = env->set_cachesize(env, (u_int32_t)(cache_bytes >> 30),
                                (u_int32_t)(cache_bytes & ((1u << 30) - 1)), 1)) != 0)
    die("set_cachesize", ret);
  if ((ret = env->set_mp_max_openfd(env, max_openfd)) != 0) die("set_mp_max_openfd", ret);
  if ((ret = env->open(env, NULL, DB_THREAD | DB_PRIVATE | DB_CREATE | DB_INIT_MPOOL, 0)) != 0)
    die("DB_ENV->open", ret);
  return env;
}

static void fill(void *page, long i) {
  memset(page, (int)(i & 0xFF), PAGE_SIZE);
  memcpy(page, &i, sizeof i);
}

static void check(const void *page, long i) {
  long v;
  memcpy(&v, page, sizeof v);
  if (v != i) {
    fprintf(stderr, "mpool_files: page of file %ld holds %ld\n", i, v);
    exit(1);
  }
}

static void put_page(DB_MPOOLFILE *mpf, void *page, u_int32_t flags) {
  int ret = mpf->put(mpf, page, DB_PRIORITY_UNCHANGED, flags);
  if (ret != 0) die("DB_MPOOLFILE->put", ret);
}

static void *get_page(DB_MPOOLFILE *mpf, u_int32_t flags) {
  db_pgno_t pg = 0;
  void *page;
  int ret = mpf->get(mpf, &pg, NULL, flags, &page);
  if (ret != 0) die("DB_MPOOLFILE->get", ret);
  return page;
}

static void churn(long n, const char *dir, int max_openfd) {
  DB_ENV *env = open_env((uint64_t)(n + 1024) * (PAGE_SIZE + 512), max_openfd);
  char path[4096];
  int ret;
  double t0 = now_ns();
  for (long i = 0; i < n; ++i) {
    DB_MPOOLFILE *mpf;
    snprintf(path, sizeof path, "%s/f%ld", dir, i);
    if ((ret = env->memp_fcreate(env, &mpf, 0)) != 0) die("memp_fcreate", ret);
    if ((ret = mpf->open(mpf, path, DB_CREATE, 0600, PAGE_SIZE)) != 0) die("DB_MPOOLFILE->open", ret);
    void *page = get_page(mpf, DB_MPOOL_CREATE | DB_MPOOL_DIRTY);
    fill(page, i);
    put_page(mpf, page, 0);
    if ((ret = mpf->close(mpf, 0)) != 0) die("DB_MPOOLFILE->close", ret);
  }
  report("churn", n, t0);
  t0 = now_ns();
  if ((ret = env->memp_sync(env, NULL)) != 0) die("memp_sync", ret);
  report("churn-sync", n, t0);
  if ((ret = env->close(env, 0)) != 0) die("DB_ENV->close", ret);
  for (long i = 0; i < n; ++i) {
    snprintf(path, sizeof path, "%s/f%ld", dir, i);
    (void)unlink(path);
  }
}

static void held(long n) {
  DB_ENV *env = open_env((uint64_t)(n + 1024) * (PAGE_SIZE + 512), 0);
  DB_MPOOLFILE **mpf = calloc((size_t)n, sizeof *mpf);
  char name[64];
  int ret;
  if (mpf == NULL) die("calloc", ENOMEM);
  double t0 = now_ns();
  for (long i = 0; i < n; ++i) {
    snprintf(name, sizeof name, "mem%ld", i);
    if ((ret = env->memp_fcreate(env, &mpf[i], 0)) != 0) die("memp_fcreate", ret);
    if ((ret = mpf[i]->set_flags(mpf[i], DB_MPOOL_NOFILE, 1)) != 0) die("set_flags", ret);
    if ((ret = mpf[i]->open(mpf[i], name, DB_CREATE, 0, PAGE_SIZE)) != 0) die("DB_MPOOLFILE->open", ret);
    void *page = get_page(mpf[i], DB_MPOOL_CREATE | DB_MPOOL_DIRTY);
    fill(page, i);
    put_page(mpf[i], page, 0);
  }
  report("held-open", n, t0);
  t0 = now_ns();
  for (long i = 0; i < n; ++i) {
    void *page = get_page(mpf[i], 0);
    check(page, i);
    put_page(mpf[i], page, 0);
  }
  report("held-getput", n, t0);
  t0 = now_ns();
  if ((ret = env->memp_sync(env, NULL)) != 0) die("memp_sync", ret);
  report("held-sync", n, t0);
  t0 = now_ns();
  for (long i = 0; i < n; ++i)
    if ((ret = mpf[i]->close(mpf[i], 0)) != 0) die("DB_MPOOLFILE->close", ret);
  report("held-close", n, t0);
  free(mpf);
  if ((ret = env->close(env, 0)) != 0) die("DB_ENV->close", ret);
}

int main(int argc, char **argv) {
  long n = 100000;
  const char *dir = NULL;
  int max_openfd = 100;
  for (int a = 1; a < argc; ++a) {
    if (strcmp(argv[a], "--files") == 0 && a + 1 < argc) n = atol(argv[++a]);
    else if (strcmp(argv[a], "--dir") == 0 && a + 1 < argc) dir = argv[++a];
    else if (strcmp(argv[a], "--max-openfd") == 0 && a + 1 < argc) max_openfd = atoi(argv[++a]);
    else {
      fprintf(stderr,
              "usage: %s [--files N (100000)] [--dir DIR (churn phase; none: skipped)]\n"
              "          [--max-openfd N (100; set_mp_max_openfd for the churn phase)]\n",
              argv[0]);
      return 2;
    }
  }
  if (n <= 0) return 2;
  if (dir != NULL) churn(n, dir, max_openfd);
  held(n);
  return 0;
}
