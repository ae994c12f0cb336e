/*
 * mpool_bench.h: what the files of mpool_bench share (mpool_bench.c: options,
 * usage and main; mpool_bench_env.c: the environment, statistics and cache
 * sizing; mpool_bench_file.c: the stamped data file; mpool_bench_workers.c:
 * the Zipf and scramble set-up, the worker threads and the prewarm): the
 * library label, the page layout's constants, the options and the shared
 * structs, and the small functions more than one file calls (the clock, the
 * random stream, the page stamp check, get/put of a page) as static inline.
 * The timed loop's own helpers (touch, Zipf ranks, scramble) stay static in
 * mpool_bench_workers.c, as in the single file before, so that the compiler
 * treats the loop as it did. Still one program built
 * twice: against pagepool's db.h and Berkeley DB 5.3's (see mpool_bench.c).
 */
#ifndef PAGEPOOL_BENCH_MPOOL_BENCH_H
#define PAGEPOOL_BENCH_MPOOL_BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
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
extern const char *const wl_names[]; /* indexed by enum workload */

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

/* Print what failed and exit with status 2 (mpool_bench_env.c). */
_Noreturn void die(const char *what, int ret);
_Noreturn void die_errno(const char *what, const char *path);

static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* splitmix64: small, fast, good enough for choosing pages. */
static inline uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline uint32_t rng_below(uint64_t *s, uint32_t n) {
  return (uint32_t)(((rng_next(s) >> 32) * (uint64_t)n) >> 32);
}

/* ------------------------------------------------------------------- pages */

/* Page layout: [0] u32 page number, [4] u32 ~page number, [8] u64 update
 * counter (write workload), last 8 bytes: page number ^ STAMP_MAGIC. */
void stamp_page(unsigned char *p, uint32_t pgno);

static inline int page_ok(const unsigned char *p, uint32_t pgno) {
  uint32_t a, b;
  uint64_t tail;
  memcpy(&a, p, 4);
  memcpy(&b, p + 4, 4);
  memcpy(&tail, p + PAGE_SIZE - 8, 8);
  return a == pgno && b == ~pgno && tail == ((uint64_t)pgno ^ STAMP_MAGIC);
}

/* Reports a page whose stamp is wrong and exits with status 3. */
_Noreturn void bad_page(const unsigned char *p, uint32_t pgno);

static inline uint64_t page_counter(const unsigned char *p) {
  uint64_t c;
  memcpy(&c, p + 8, 8);
  return c;
}

/* The data file (mpool_bench_file.c). */
uint64_t file_counter_sum(const char *path, uint32_t npages);
int file_valid(const char *path, uint32_t npages);
void create_file(const char *path, uint32_t npages);

/* ------------------------------------------------------------ environment */

extern int g_ncache; /* --ncache, for open_env */

DB_ENV *open_env(uint64_t cache_bytes);
DB_MPOOLFILE *open_file(DB_ENV *env, const char *path);

struct pool_stat {
  uint64_t hit, miss, page_in, page_out;
  uint32_t pages, dirty;
};

struct pool_stat read_stat(DB_ENV *env);

/* Bytes this process has read and written through system calls (Linux
 * /proc/self/io rchar and wchar), or zeros where that file is missing. A
 * count of page-ins and write-backs that does not depend on the library's
 * statistics (Berkeley DB's are not atomic, so threads lose counts). */
struct os_io {
  uint64_t rchar, wchar;
};

struct os_io read_os_io(void);

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

/* The cache size giving o->pages resident pages (mpool_bench_env.c). */
uint64_t size_cache(const struct options *o, uint32_t *resident_out, int *tries_out);

/* ------------------------------------------------------------------ zipf */

/* Zipf ranks over [0, n) with exponent theta, by the method of Gray et al.,
 * "Quickly generating billion-record synthetic databases" (SIGMOD 1994). */
struct zipf {
  uint32_t n;
  double theta, alpha, zetan, eta, half_pow_theta;
};

void zipf_init(struct zipf *z, uint32_t n, double theta);

/* A fixed permutation of [0, n): hot ranks land all over the file. */
struct scramble {
  uint64_t n, mul, add;
};

void scramble_init(struct scramble *s, uint32_t n);


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

/* A worker thread's body; arg is its struct worker (mpool_bench_workers.c). */
void *worker_main(void *arg);
/* Untimed: bring the pool to the state the timed part expects. */
void prewarm(struct shared *sh, DB_MPOOLFILE *mpf, uint32_t resident);

#endif /* PAGEPOOL_BENCH_MPOOL_BENCH_H */
