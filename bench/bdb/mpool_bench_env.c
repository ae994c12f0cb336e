/*
 * mpool_bench_env.c: mpool_bench's environment: die and die_errno, opening
 * the environment (page size, cache size, --ncache regions) and a file in
 * it, reading the pool's statistics and the process's system-call I/O
 * (/proc/self/io), and sizing the cache: probing with a sparse file until
 * DB_MPOOL_STAT.st_pages, once the cache is full, is within 1% of --pages.
 */
#include "mpool_bench.h"

void die(const char *what, int ret) {
  fprintf(stderr, "mpool_bench (%s): %s: %s\n", LIB_NAME, what, db_strerror(ret));
  exit(2);
}

void die_errno(const char *what, const char *path) {
  fprintf(stderr, "mpool_bench: %s %s: %s\n", what, path, strerror(errno));
  exit(2);
}

/* ------------------------------------------------------------ environment */

int g_ncache = 1; /* --ncache, for open_env */

DB_ENV *open_env(uint64_t cache_bytes) {
  DB_ENV *env;
  int ret;
  if ((ret = db_env_create(&env, 0)) != 0) die("db_env_create", ret);
  env->set_errfile(env, stderr);
  env->set_errpfx(env, "mpool_bench");
  if ((ret = env->set_mp_pagesize(env, PAGE_SIZE)) != 0) die("set_mp_pagesize", ret);
  if ((ret = env->set_cachesize(env, (u_int32_t)(cache_bytes >> 30),
                                (u_int32_t)(cache_bytes & ((1u << 30) - 1)), g_ncache)) != 0)
    die("set_cachesize", ret);
  if ((ret = env->open(env, NULL, ENV_FLAGS, 0)) != 0) die("DB_ENV->open", ret);
  return env;
}

DB_MPOOLFILE *open_file(DB_ENV *env, const char *path) {
  DB_MPOOLFILE *mpf;
  int ret;
  if ((ret = env->memp_fcreate(env, &mpf, 0)) != 0) die("memp_fcreate", ret);
  if ((ret = mpf->open(mpf, path, 0, 0, PAGE_SIZE)) != 0) {
    fprintf(stderr, "mpool_bench: cannot open %s\n", path);
    die("DB_MPOOLFILE->open", ret);
  }
  return mpf;
}

struct pool_stat read_stat(DB_ENV *env) {
  DB_MPOOL_STAT *gsp = NULL;
  int ret = env->memp_stat(env, &gsp, NULL, 0);
  if (ret != 0) die("memp_stat", ret);
  struct pool_stat s = {(uint64_t)gsp->st_cache_hit, (uint64_t)gsp->st_cache_miss,
                        (uint64_t)gsp->st_page_in, (uint64_t)gsp->st_page_out,
                        gsp->st_pages, gsp->st_page_dirty};
  free(gsp);
  return s;
}

/* Bytes this process has read and written through system calls (Linux
 * /proc/self/io rchar and wchar), or zeros where that file is missing. A
 * count of page-ins and write-backs that does not depend on the library's
 * statistics (Berkeley DB's are not atomic, so threads lose counts). */
struct os_io read_os_io(void) {
  struct os_io io = {0, 0};
  FILE *f = fopen("/proc/self/io", "r");
  if (!f) return io;
  char line[128];
  while (fgets(line, sizeof line, f)) {
    unsigned long long v;
    if (sscanf(line, "rchar: %llu", &v) == 1) io.rchar = v;
    else if (sscanf(line, "wchar: %llu", &v) == 1) io.wchar = v;
  }
  fclose(f);
  return io;
}

/* --------------------------------------------------------- cache sizing */

/* Resident pages a cache of `bytes` holds once full: fill it from a sparse
 * probe file bigger than the cache (holes read as zeros, so no disk I/O). */
static uint32_t probe_pages(const char *probe_path, uint64_t bytes, uint32_t *probe_file_pages) {
  for (;;) {
    int fd = open(probe_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die_errno("create", probe_path);
    if (ftruncate(fd, (off_t)*probe_file_pages * PAGE_SIZE) != 0) die_errno("truncate", probe_path);
    close(fd);

    DB_ENV *env = open_env(bytes);
    DB_MPOOLFILE *mpf = open_file(env, probe_path);
    for (uint32_t pg = 0; pg < *probe_file_pages; pg++) {
      db_pgno_t p = pg;
      void *addr;
      int ret = mpf->get(mpf, &p, NULL, 0, &addr);
      if (ret != 0) die("probe get", ret);
      put_page(mpf, addr);
    }
    uint32_t pages = read_stat(env).pages;
    int ret;
    if ((ret = mpf->close(mpf, 0)) != 0) die("DB_MPOOLFILE->close", ret);
    if ((ret = env->close(env, 0)) != 0) die("DB_ENV->close", ret);
    /* The cache was full only if it holds clearly fewer pages than we touched. */
    if ((uint64_t)pages + 16 < *probe_file_pages) return pages;
    *probe_file_pages *= 2;
  }
}

/* Finds a cache size whose st_pages (when full) is within 1% of `want`:
 * start at want * 4096 bytes and correct proportionally. */
uint64_t size_cache(const struct options *o, uint32_t *resident_out, int *tries_out) {
  char probe_path[4200];
  snprintf(probe_path, sizeof probe_path, "%s/mpool_bench_probe.%ld", o->dir, (long)getpid());
  const uint32_t want = o->pages;
  const double tight = 0.002, loose = 0.01;
  uint32_t probe_file_pages = want + want / 2 + 64;
  uint64_t bytes = (uint64_t)want * PAGE_SIZE, best_bytes = bytes;
  uint32_t best_pages = 0;
  double best_err = 1e9;
  int tries = 0;
  while (tries < 8) {
    tries++;
    uint32_t got = probe_pages(probe_path, bytes, &probe_file_pages);
    double err = fabs((double)got - want) / want;
    printf("# sizing lib=%s try=%d request_bytes=%" PRIu64 " st_pages=%" PRIu32 " want=%" PRIu32
           " err=%.4f\n", LIB_NAME, tries, bytes, got, want, err);
    if (err < best_err) best_err = err, best_bytes = bytes, best_pages = got;
#ifdef DB_PAGEPOOL
    if (tries == 1 && got != want)
      fprintf(stderr, "mpool_bench: ODD: pagepool's cache of %" PRIu64 " bytes holds %" PRIu32
              " pages, not bytes/4096 = %" PRIu32 "\n", bytes, got, want);
#endif
    if (err <= tight) break;
    uint64_t next = (uint64_t)((double)bytes * want / (got ? got : 1) + 0.5);
    next = (next + 1023) & ~(uint64_t)1023; /* whole KiB, tidy numbers */
    if (next == bytes) break;
    bytes = next;
  }
  unlink(probe_path);
  if (best_err > loose) {
    fprintf(stderr, "mpool_bench: could not size the cache within 1%% of %" PRIu32 " pages\n", want);
    exit(2);
  }
  *resident_out = best_pages;
  *tries_out = tries;
  return best_bytes;
}
