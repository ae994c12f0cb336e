/*
 * mpool_bench_file.c: mpool_bench's data file, read and written with
 * pread/pwrite, not through the pool: stamping pages (page number, its
 * complement, an update counter, a tail), reporting a page with a wrong
 * stamp, creating the file, checking that a reused file is valid, and
 * summing the update counters the write workload increments.
 */
#include "mpool_bench.h"

/* ------------------------------------------------------------------- pages */

/* Page layout: [0] u32 page number, [4] u32 ~page number, [8] u64 update
 * counter (write workload), last 8 bytes: page number ^ STAMP_MAGIC. */
void stamp_page(unsigned char *p, uint32_t pgno) {
  uint32_t inv = ~pgno;
  uint64_t counter = 0, tail = (uint64_t)pgno ^ STAMP_MAGIC;
  memset(p, 0, PAGE_SIZE);
  memcpy(p, &pgno, 4);
  memcpy(p + 4, &inv, 4);
  memcpy(p + 8, &counter, 8);
  memcpy(p + PAGE_SIZE - 8, &tail, 8);
}

void bad_page(const unsigned char *p, uint32_t pgno) {
  uint32_t a;
  memcpy(&a, p, 4);
  fprintf(stderr, "mpool_bench (%s): page %" PRIu32 " has a wrong stamp (says %" PRIu32 ")\n",
          LIB_NAME, pgno, a);
  exit(3);
}

/* Sum of the update counters, read straight from the file (not the pool). */
uint64_t file_counter_sum(const char *path, uint32_t npages) {
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
int file_valid(const char *path, uint32_t npages) {
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

void create_file(const char *path, uint32_t npages) {
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
