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
 *
 * The program's files: mpool_bench.h (shared declarations and the timed
 * loop's inline helpers), mpool_bench_env.c (environment, statistics, cache
 * sizing), mpool_bench_file.c (the data file), mpool_bench_workers.c (Zipf,
 * the worker threads, prewarm); this file parses the options and runs the
 * steps of main.
 */
#include "mpool_bench.h"

const char *const wl_names[] = {"all-hit", "zipf", "scan", "write"};

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
