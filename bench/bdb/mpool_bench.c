/*
 * mpool_bench: a memory-pool benchmark written only against Berkeley DB 5.3's
 * C API (DB_ENV memp_* methods and DB_MPOOLFILE). The same source is built
 * twice: against pagepool's db.h (pagepool::bdb) and against Berkeley DB 5.3's
 * own db.h and libdb-5.3. The only library-specific code is the `lib=` label,
 * chosen by whether db.h defines DB_PAGEPOOL.
 *
 * Workloads (page size 4096, every page stamped with its number, the stamp
 * checked on every get):
 *   all-hit  file = 0.9 x resident pages, prewarmed; uniform random get/put
 *   zipf     file = 10 x resident pages; Zipf(theta) ranks, scrambled over the
 *            file; pages missing from the pool are read from the file
 *   scan     file = 4 x resident pages; sequential passes; with two threads
 *            each one passes over its own half
 *   write    file = 2 x resident pages; uniform random get(DB_MPOOL_DIRTY),
 *            increment a counter in the page, put; then memp_sync (timed)
 *
 * Resident pages are matched, not bytes: the cache size is found by probing
 * (see size_cache) so that DB_MPOOL_STAT.st_pages, once the cache is full,
 * is within 1% of --pages.
 *
 * Output: comment lines start with '#'; one result line of key=value pairs.
 */
#define _GNU_SOURCE
#include <db.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(BENCH_EXPECT_PAGEPOOL) && !defined(DB_PAGEPOOL)
#error "bench_mpool_pagepool was compiled against a db.h that is not pagepool's"
#endif
#if defined(BENCH_EXPECT_BDB) && defined(DB_PAGEPOOL)
#error "bench_mpool_bdb was compiled against pagepool's db.h, not Berkeley DB's"
#endif

#ifdef DB_PAGEPOOL
#define LIB_NAME "pagepool"
#else
#define LIB_NAME "bdb"
#endif

#define PAGE_SIZE 4096u
#define STAMP_MAGIC 0x4d504f4f4c42454eULL /* arbitrary */
#define ENV_FLAGS (DB_THREAD | DB_PRIVATE | DB_CREATE | DB_INIT_MPOOL)

enum workload { WL_ALL_HIT, WL_ZIPF, WL_SCAN, WL_WRITE };
static const char *const wl_names[] = {"all-hit", "zipf", "scan", "write"};

struct options {
  enum workload wl;
  int threads;
  uint32_t pages;  /* resident pages wanted */
  double seconds;  /* used when ops == 0 */
  uint64_t ops;    /* total over all threads; 0: run for `seconds` */
  uint64_t seed;
  double theta;
  char dir[4096];
  int reuse;       /* keep the data file and reuse it when valid */
  int ncache;      /* set_cachesize's ncache: cache regions */
};

/* ---------------------------------------------------------------- helpers */

static void die(const char *what, int ret) {
  fprintf(stderr, "mpool_bench (%s): %s: %s\n", LIB_NAME, what, db_strerror(ret));
  exit(2);
}

static void die_errno(const char *what, const char *path) {
  fprintf(stderr, "mpool_bench: %s %s: %s\n", what, path, strerror(errno));
  exit(2);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* splitmix64: small, fast, good enough for choosing pages. */
static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint32_t rng_below(uint64_t *s, uint32_t n) {
  return (uint32_t)(((rng_next(s) >> 32) * (uint64_t)n) >> 32);
}

static double rng_unit(uint64_t *s) { /* [0, 1) */
  return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* ------------------------------------------------------------------- pages */

/* Page layout: [0] u32 page number, [4] u32 ~page number, [8] u64 update
 * counter (write workload), last 8 bytes: page number ^ STAMP_MAGIC. */
static void stamp_page(unsigned char *p, uint32_t pgno) {
  uint32_t inv = ~pgno;
  uint64_t counter = 0, tail = (uint64_t)pgno ^ STAMP_MAGIC;
  memset(p, 0, PAGE_SIZE);
  memcpy(p, &pgno, 4);
  memcpy(p + 4, &inv, 4);
  memcpy(p + 8, &counter, 8);
  memcpy(p + PAGE_SIZE - 8, &tail, 8);
}

static int page_ok(const unsigned char *p, uint32_t pgno) {
  uint32_t a, b;
  uint64_t tail;
  memcpy(&a, p, 4);
  memcpy(&b, p + 4, 4);
  memcpy(&tail, p + PAGE_SIZE - 8, 8);
  return a == pgno && b == ~pgno && tail == ((uint64_t)pgno ^ STAMP_MAGIC);
}

static void bad_page(const unsigned char *p, uint32_t pgno) {
  uint32_t a;
  memcpy(&a, p, 4);
  fprintf(stderr, "mpool_bench (%s): page %" PRIu32 " has a wrong stamp (says %" PRIu32 ")\n",
          LIB_NAME, pgno, a);
  exit(3);
}

static uint64_t page_counter(const unsigned char *p) {
  uint64_t c;
  memcpy(&c, p + 8, 8);
  return c;
}

/* Sum of the update counters, read straight from the file (not the pool). */
static uint64_t file_counter_sum(const char *path, uint32_t npages) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) die_errno("open", path);
  enum { CHUNK = 256 };
  unsigned char *buf = malloc((size_t)CHUNK * PAGE_SIZE);
  uint64_t sum = 0;
  for (uint32_t pg = 0; pg < npages; pg += CHUNK) {
    uint32_t n = npages - pg < CHUNK ? npages - pg : CHUNK;
    ssize_t got = pread(fd, buf, (size_t)n * PAGE_SIZE, (off_t)pg * PAGE_SIZE);
    if (got != (ssize_t)((size_t)n * PAGE_SIZE)) die_errno("read", path);
    for (uint32_t i = 0; i < n; i++) {
      if (!page_ok(buf + (size_t)i * PAGE_SIZE, pg + i)) bad_page(buf + (size_t)i * PAGE_SIZE, pg + i);
      sum += page_counter(buf + (size_t)i * PAGE_SIZE);
    }
  }
  free(buf);
  close(fd);
  return sum;
}

/* Returns 1 if `path` has npages pages and a sample of them carry their stamps. */
static int file_valid(const char *path, uint32_t npages) {
  struct stat st;
  if (stat(path, &st) != 0 || (uint64_t)st.st_size != (uint64_t)npages * PAGE_SIZE) return 0;
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  unsigned char *buf = malloc(PAGE_SIZE);
  uint64_t s = 12345;
  int ok = 1;
  for (int i = 0; i < 64 && ok; i++) {
    uint32_t pg = i == 0 ? 0 : i == 1 ? npages - 1 : rng_below(&s, npages);
    ok = pread(fd, buf, PAGE_SIZE, (off_t)pg * PAGE_SIZE) == (ssize_t)PAGE_SIZE && page_ok(buf, pg);
  }
  free(buf);
  close(fd);
  return ok;
}

static void create_file(const char *path, uint32_t npages) {
  char tmp[4400];
  snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die_errno("create", tmp);
  enum { CHUNK = 256 };
  unsigned char *buf = malloc((size_t)CHUNK * PAGE_SIZE);
  for (uint32_t pg = 0; pg < npages; pg += CHUNK) {
    uint32_t n = npages - pg < CHUNK ? npages - pg : CHUNK;
    for (uint32_t i = 0; i < n; i++) stamp_page(buf + (size_t)i * PAGE_SIZE, pg + i);
    if (pwrite(fd, buf, (size_t)n * PAGE_SIZE, (off_t)pg * PAGE_SIZE) != (ssize_t)((size_t)n * PAGE_SIZE))
      die_errno("write", tmp);
  }
  free(buf);
  if (close(fd) != 0) die_errno("close", tmp);
  if (rename(tmp, path) != 0) die_errno("rename", tmp);
}

/* ------------------------------------------------------------ environment */

static int g_ncache = 1; /* --ncache, for open_env */

static DB_ENV *open_env(uint64_t cache_bytes) {
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

static DB_MPOOLFILE *open_file(DB_ENV *env, const char *path) {
  DB_MPOOLFILE *mpf;
  int ret;
  if ((ret = env->memp_fcreate(env, &mpf, 0)) != 0) die("memp_fcreate", ret);
  if ((ret = mpf->open(mpf, path, 0, 0, PAGE_SIZE)) != 0) {
    fprintf(stderr, "mpool_bench: cannot open %s\n", path);
    die("DB_MPOOLFILE->open", ret);
  }
  return mpf;
}

struct pool_stat {
  uint64_t hit, miss, page_in, page_out;
  uint32_t pages, dirty;
};

static struct pool_stat read_stat(DB_ENV *env) {
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
struct os_io {
  uint64_t rchar, wchar;
};

static struct os_io read_os_io(void) {
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

/* Reads page pgno and checks its stamp; flags for get (0 or DB_MPOOL_DIRTY). */
static inline unsigned char *get_page(DB_MPOOLFILE *mpf, uint32_t pgno, u_int32_t flags) {
  db_pgno_t p = pgno;
  void *addr;
  int ret = mpf->get(mpf, &p, NULL, flags, &addr);
  if (ret != 0) {
    fprintf(stderr, "mpool_bench: get of page %" PRIu32 " failed\n", pgno);
    die("DB_MPOOLFILE->get", ret);
  }
  if (!page_ok(addr, pgno)) bad_page(addr, pgno);
  return addr;
}

static inline void put_page(DB_MPOOLFILE *mpf, void *addr) {
  int ret = mpf->put(mpf, addr, DB_PRIORITY_UNCHANGED, 0);
  if (ret != 0) die("DB_MPOOLFILE->put", ret);
}

static void touch(DB_MPOOLFILE *mpf, uint32_t pgno) { put_page(mpf, get_page(mpf, pgno, 0)); }

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
static uint64_t size_cache(const struct options *o, uint32_t *resident_out, int *tries_out) {
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

/* ------------------------------------------------------------------ zipf */

/* Zipf ranks over [0, n) with exponent theta, by the method of Gray et al.,
 * "Quickly generating billion-record synthetic databases" (SIGMOD 1994). */
struct zipf {
  uint32_t n;
  double theta, alpha, zetan, eta, half_pow_theta;
};

static void zipf_init(struct zipf *z, uint32_t n, double theta) {
  double zeta2 = 1.0 + pow(0.5, theta), zetan = 0;
  for (uint32_t i = 1; i <= n; i++) zetan += pow((double)i, -theta);
  z->n = n;
  z->theta = theta;
  z->alpha = 1.0 / (1.0 - theta);
  z->zetan = zetan;
  z->eta = (1.0 - pow(2.0 / n, 1.0 - theta)) / (1.0 - zeta2 / zetan);
  z->half_pow_theta = pow(0.5, theta);
}

static uint32_t zipf_rank(const struct zipf *z, uint64_t *rng) {
  double u = rng_unit(rng), uz = u * z->zetan;
  if (uz < 1.0) return 0;
  if (uz < 1.0 + z->half_pow_theta) return 1;
  uint32_t r = (uint32_t)((double)z->n * pow(z->eta * u - z->eta + 1.0, z->alpha));
  return r < z->n ? r : z->n - 1;
}

static uint64_t gcd64(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* A fixed permutation of [0, n): hot ranks land all over the file. */
struct scramble {
  uint64_t n, mul, add;
};

static void scramble_init(struct scramble *s, uint32_t n) {
  s->n = n;
  s->mul = 2654435761u % n;
  if (s->mul == 0) s->mul = 1;
  while (gcd64(s->mul, n) != 1) s->mul++;
  s->add = n / 3;
}

static uint32_t scramble(const struct scramble *s, uint32_t rank) {
  return (uint32_t)(((uint64_t)rank * s->mul + s->add) % s->n);
}

/* ---------------------------------------------------------------- workers */

struct shared {
  const struct options *o;
  uint32_t file_pages;
  struct zipf zipf;
  struct scramble scr;
  pthread_barrier_t start;
  double deadline; /* seconds mode: absolute time to stop */
};

struct worker {
  struct shared *sh;
  DB_MPOOLFILE *mpf;
  int id;
  uint64_t ops_target; /* ops mode */
  uint64_t ops_done;
  pthread_t tid;
};

static void *worker_main(void *arg) {
  struct worker *w = arg;
  struct shared *sh = w->sh;
  const struct options *o = sh->o;
  DB_MPOOLFILE *mpf = w->mpf;
  const uint32_t n = sh->file_pages;
  /* Each thread's stream starts at a scrambled point of splitmix's single
   * sequence (seeding with seed + id would only shift the streams by a step,
   * and the threads would ask for the same pages). */
  uint64_t rng = o->seed * 0x100000001b3ULL + (uint64_t)w->id;
  rng = rng_next(&rng);
  rng = rng_next(&rng);
  /* scan: this thread's slice of the file, [scan_lo, scan_hi). Disjoint
   * slices keep the threads from sharing pages: overlapping scans would
   * drift into a convoy (one reads, the other hits), at a speed-dependent
   * rate. */
  const uint32_t scan_lo = (uint32_t)((uint64_t)n * (uint64_t)w->id / (uint64_t)o->threads);
  const uint32_t scan_hi = (uint32_t)((uint64_t)n * (uint64_t)(w->id + 1) / (uint64_t)o->threads);
  uint32_t scan_pos = scan_lo;
  const int timed = o->ops == 0;
  uint64_t done = 0;

  pthread_barrier_wait(&sh->start);
  for (;;) {
    /* check the clock (or the op budget) every 256 operations */
    if (timed) {
      if ((done & 255) == 0 && now_s() >= sh->deadline) break;
    } else if (done >= w->ops_target) {
      break;
    }
    switch (o->wl) {
    case WL_ALL_HIT:
      touch(mpf, rng_below(&rng, n));
      break;
    case WL_ZIPF:
      touch(mpf, scramble(&sh->scr, zipf_rank(&sh->zipf, &rng)));
      break;
    case WL_SCAN:
      touch(mpf, scan_pos);
      if (++scan_pos == scan_hi) scan_pos = scan_lo;
      break;
    case WL_WRITE: {
      uint32_t pg = rng_below(&rng, n);
      unsigned char *p = get_page(mpf, pg, DB_MPOOL_DIRTY);
      uint64_t c = page_counter(p) + 1;
      memcpy(p + 8, &c, 8);
      put_page(mpf, p);
      break;
    }
    }
    done++;
  }
  w->ops_done = done;
  return NULL;
}

/* Untimed: bring the pool to the state the timed part expects. */
static void prewarm(struct shared *sh, DB_MPOOLFILE *mpf, uint32_t resident) {
  const uint32_t n = sh->file_pages;
  uint64_t rng = sh->o->seed ^ 0x5bd1e995u;
  switch (sh->o->wl) {
  case WL_ALL_HIT: /* every page resident */
    for (uint32_t pg = 0; pg < n; pg++) touch(mpf, pg);
    break;
  case WL_ZIPF: /* the hottest pages, then a round of the distribution */
    for (uint32_t r = 0; r < resident && r < n; r++) touch(mpf, scramble(&sh->scr, r));
    for (uint32_t i = 0; i < resident; i++) touch(mpf, scramble(&sh->scr, zipf_rank(&sh->zipf, &rng)));
    break;
  case WL_SCAN: /* the end of each thread's slice: the pages its first pass reads last */
    for (int t = 0; t < sh->o->threads; t++) {
      uint32_t lo = (uint32_t)((uint64_t)n * (uint64_t)t / (uint64_t)sh->o->threads);
      uint32_t hi = (uint32_t)((uint64_t)n * (uint64_t)(t + 1) / (uint64_t)sh->o->threads);
      uint32_t k = resident / (uint32_t)sh->o->threads;
      for (uint32_t pg = hi - k > lo && hi > k ? hi - k : lo; pg < hi; pg++) touch(mpf, pg);
    }
    break;
  case WL_WRITE: /* fill the pool with clean pages of the same distribution */
    for (uint32_t i = 0; i < resident; i++) touch(mpf, rng_below(&rng, n));
    break;
  }
}

/* ------------------------------------------------------------------- main */

static void usage(FILE *f) {
  fprintf(f,
          "usage: mpool_bench [options]\n"
          "  --workload all-hit|zipf|scan|write   (default all-hit)\n"
          "  --threads N      1 or 2 (default 1); each thread has its own DB_MPOOLFILE\n"
          "  --pages N        resident pages wanted, 4096 bytes each (default 16384)\n"
          "  --seconds S      timed run length (default 2)\n"
          "  --ops N          run N operations in total instead of --seconds\n"
          "  --seed N         random seed (default 1)\n"
          "  --theta X        Zipf exponent for zipf (default 0.99)\n"
          "  --dir DIR        where the data file goes (default .)\n"
          "  --ncache N       cache regions, set_cachesize's ncache (default 1)\n"
          "  --reuse          keep the data file, and reuse it if it is valid\n");
}

static uint64_t parse_u64(const char *s, const char *opt) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end || !*s) {
    fprintf(stderr, "mpool_bench: bad value for %s: %s\n", opt, s);
    exit(1);
  }
  return v;
}

int main(int argc, char **argv) {
  struct options o = {WL_ALL_HIT, 1, 16384, 2.0, 0, 1, 0.99, ".", 0, 1};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "--reuse")) {
      o.reuse = 1;
      continue;
    }
    if (!v) {
      usage(stderr);
      return 1;
    }
    i++;
    if (!strcmp(a, "--workload")) {
      int k;
      for (k = 0; k < 4 && strcmp(v, wl_names[k]); k++) {
      }
      if (k == 4) {
        fprintf(stderr, "mpool_bench: unknown workload %s\n", v);
        return 1;
      }
      o.wl = (enum workload)k;
    } else if (!strcmp(a, "--threads")) {
      o.threads = (int)parse_u64(v, a);
    } else if (!strcmp(a, "--pages")) {
      o.pages = (uint32_t)parse_u64(v, a);
    } else if (!strcmp(a, "--seconds")) {
      o.seconds = atof(v);
    } else if (!strcmp(a, "--ops")) {
      o.ops = parse_u64(v, a);
    } else if (!strcmp(a, "--seed")) {
      o.seed = parse_u64(v, a);
    } else if (!strcmp(a, "--theta")) {
      o.theta = atof(v);
    } else if (!strcmp(a, "--ncache")) {
      o.ncache = (int)parse_u64(v, a);
    } else if (!strcmp(a, "--dir")) {
      snprintf(o.dir, sizeof o.dir, "%s", v);
    } else {
      usage(stderr);
      return 1;
    }
  }
  if (o.threads < 1 || o.threads > 2) {
    fprintf(stderr, "mpool_bench: --threads must be 1 or 2\n");
    return 1;
  }
  if (o.pages < 64 || o.pages > 100000000u) {
    fprintf(stderr, "mpool_bench: --pages must be between 64 and 100000000\n");
    return 1;
  }
  if (o.ops == 0 && !(o.seconds > 0)) {
    fprintf(stderr, "mpool_bench: --seconds must be positive\n");
    return 1;
  }
  if (!(o.theta > 0 && o.theta < 1)) {
    fprintf(stderr, "mpool_bench: --theta must be in (0, 1)\n");
    return 1;
  }
  if (o.ncache < 1 || o.ncache > 64) {
    fprintf(stderr, "mpool_bench: --ncache must be between 1 and 64\n");
    return 1;
  }
  g_ncache = o.ncache;
  char absdir[4096];
  if (!realpath(o.dir, absdir)) die_errno("cannot resolve", o.dir);
  snprintf(o.dir, sizeof o.dir, "%s", absdir);

  int major = 0, minor = 0, patch = 0;
  const char *version = db_version(&major, &minor, &patch);
  printf("# lib=%s version=\"%s\" (%d.%d.%d)\n", LIB_NAME, version, major, minor, patch);

  /* 1. the cache size giving the wanted resident pages */
  uint32_t probed_pages;
  int tries;
  uint64_t cache_bytes = size_cache(&o, &probed_pages, &tries);

  /* 2. the data file */
  static const double file_factor[] = {0.9, 10.0, 4.0, 2.0};
  uint64_t fp = (uint64_t)((double)o.pages * file_factor[o.wl]); /* same file for both libraries */
  if (fp < 1) fp = 1;
  if (fp > 0xfffffff0u) {
    fprintf(stderr, "mpool_bench: file too large\n");
    return 1;
  }
  struct shared sh;
  memset(&sh, 0, sizeof sh);
  sh.o = &o;
  sh.file_pages = (uint32_t)fp;
  char path[4200];
  if (o.reuse)
    snprintf(path, sizeof path, "%s/mpool_bench.%" PRIu32 ".db", o.dir, sh.file_pages);
  else
    snprintf(path, sizeof path, "%s/mpool_bench.%" PRIu32 ".%ld.db", o.dir, sh.file_pages, (long)getpid());
  double t0 = now_s();
  int reused = o.reuse && file_valid(path, sh.file_pages);
  if (!reused) create_file(path, sh.file_pages);
  uint64_t counters_before = o.wl == WL_WRITE ? file_counter_sum(path, sh.file_pages) : 0;
  printf("# file %s pages=%" PRIu32 " %s in %.2fs\n", path, sh.file_pages, reused ? "reused" : "created",
         now_s() - t0);

  if (o.wl == WL_ZIPF) {
    zipf_init(&sh.zipf, sh.file_pages, o.theta);
    scramble_init(&sh.scr, sh.file_pages);
  }

  /* 3. the environment and one handle per thread */
  DB_ENV *env = open_env(cache_bytes);
  u_int32_t eff_gb = 0, eff_b = 0;
  int eff_n = 0, ret;
  if ((ret = env->get_cachesize(env, &eff_gb, &eff_b, &eff_n)) != 0) die("get_cachesize", ret);
  uint64_t eff_bytes = ((uint64_t)eff_gb << 30) + eff_b;
  struct worker w[2];
  memset(w, 0, sizeof w);
  for (int t = 0; t < o.threads; t++) {
    w[t].sh = &sh;
    w[t].id = t;
    w[t].mpf = open_file(env, path);
    w[t].ops_target = o.ops / (uint64_t)o.threads + ((uint64_t)t < o.ops % (uint64_t)o.threads);
  }
  t0 = now_s();
  prewarm(&sh, w[0].mpf, o.pages);
  double prewarm_s = now_s() - t0;

  /* 4. the timed run */
  if (pthread_barrier_init(&sh.start, NULL, (unsigned)o.threads + 1) != 0) die_errno("barrier", "");
  struct pool_stat before = read_stat(env);
  struct os_io io_before = read_os_io();
  for (int t = 0; t < o.threads; t++)
    if (pthread_create(&w[t].tid, NULL, worker_main, &w[t]) != 0) die_errno("pthread_create", "");
  sh.deadline = now_s() + o.seconds;
  double start = now_s();
  pthread_barrier_wait(&sh.start);
  for (int t = 0; t < o.threads; t++) pthread_join(w[t].tid, NULL);
  double loop_end = now_s(), sync_s = 0;
  if (o.wl == WL_WRITE) {
    if ((ret = env->memp_sync(env, NULL)) != 0) die("memp_sync", ret);
    sync_s = now_s() - loop_end;
  }
  double secs = now_s() - start;
  struct os_io io_after = read_os_io();
  struct pool_stat after = read_stat(env);
  pthread_barrier_destroy(&sh.start);

  uint64_t ops = 0;
  for (int t = 0; t < o.threads; t++) ops += w[t].ops_done;
  uint64_t hits = after.hit - before.hit, misses = after.miss - before.miss;
  double hit_ratio = hits + misses ? (double)hits / (double)(hits + misses) : 0.0;

  for (int t = 0; t < o.threads; t++)
    if ((ret = w[t].mpf->close(w[t].mpf, 0)) != 0) die("DB_MPOOLFILE->close", ret);
  if ((ret = env->close(env, 0)) != 0) die("DB_ENV->close", ret);

  /* 5. write: how many of the updates reached the file */
  char persisted[64] = "";
  if (o.wl == WL_WRITE) {
    uint64_t p = file_counter_sum(path, sh.file_pages) - counters_before;
    snprintf(persisted, sizeof persisted, " persisted=%" PRIu64, p);
    if (p != ops)
      fprintf(stderr, "# note: lib=%s write: %" PRIu64 " of %" PRIu64 " updates reached the file%s\n",
              LIB_NAME, p, ops,
#ifdef DB_PAGEPOOL
              " (ODD: pagepool should persist every DB_MPOOL_DIRTY update after memp_sync)"
#else
              " (Berkeley DB 5.3's public get drops DB_MPOOL_DIRTY)"
#endif
      );
  }
  if (!o.reuse) unlink(path);

  printf("lib=%s workload=%s threads=%d want=%" PRIu32 " resident=%" PRIu32
         " pages_at_end=%" PRIu32 " size_tries=%d ncache=%d cache_request=%" PRIu64 " cache_effective=%" PRIu64 " file_pages=%" PRIu32
         " ops=%" PRIu64 " secs=%.4f ops_per_s=%.0f hit_ratio=%.4f page_in=%" PRIu64
         " page_out=%" PRIu64 " os_read_pages=%" PRIu64 " os_write_pages=%" PRIu64 " sync_secs=%.4f%s prewarm_secs=%.2f seed=%" PRIu64 "\n",
         LIB_NAME, wl_names[o.wl], o.threads, o.pages, probed_pages, after.pages, tries, o.ncache, cache_bytes,
         eff_bytes, sh.file_pages, ops, secs, ops / secs, hit_ratio, after.page_in - before.page_in,
         after.page_out - before.page_out,
         (io_after.rchar - io_before.rchar) / PAGE_SIZE, (io_after.wchar - io_before.wchar) / PAGE_SIZE, sync_s, persisted, prewarm_s, o.seed);
  return 0;
}
