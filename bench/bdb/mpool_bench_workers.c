/*
 * mpool_bench_workers.c: mpool_bench's workloads: setting up the Zipf ranks
 * (Gray et al.) and the scramble that spreads hot ranks over the file, the
 * worker thread's timed loop (all-hit, zipf, scan and write operations until
 * the deadline or the op budget), and the untimed prewarm that brings the
 * pool to the state the timed part expects.
 */
#include "mpool_bench.h"

static double rng_unit(uint64_t *s) { /* [0, 1) */
  return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static void touch(DB_MPOOLFILE *mpf, uint32_t pgno) { put_page(mpf, get_page(mpf, pgno, 0)); }

/* ------------------------------------------------------------------ zipf */

void zipf_init(struct zipf *z, uint32_t n, double theta) {
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

void scramble_init(struct scramble *s, uint32_t n) {
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

void *worker_main(void *arg) {
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
void prewarm(struct shared *sh, DB_MPOOLFILE *mpf, uint32_t resident) {
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
