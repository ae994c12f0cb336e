/*
 * ctest_harness.h: a tiny test harness for the C conformance suite.
 *
 * Include it first in every test program (it sets the feature-test macro the
 * POSIX calls below need). A program is a set of `static void test_x(void)`
 * functions, run from main with CT_RUN(test_x) between ct_begin() and
 * ct_end(); main returns ct_end(), which is non-zero if any check failed.
 *
 *   CHECK(cond)          records a failure (file:line and the expression)
 *                        when cond is false, and goes on.
 *   CHECK_EQ(a, b)       the same for a == b, printing both values.
 *   CHECK_ERR(expr, e)   expr (a Berkeley DB return code) must equal e; both
 *                        are printed with db_strerror on failure.
 *   CHECK_OK(expr)       CHECK_ERR(expr, 0).
 *   CHECK_STR(a, b)      two non-NULL C strings compare equal.
 *   REQUIRE(cond), REQUIRE_OK(expr)
 *                        as CHECK / CHECK_OK, but return from the current test
 *                        function on failure (when going on makes no sense).
 *
 * Each program gets a fresh temporary directory (ct_dir, made with mkdtemp
 * by ct_begin and removed with everything in it by ct_end); ct_path(name)
 * gives a path inside it.
 */
#ifndef PAGEPOOL_CTEST_HARNESS_H
#define PAGEPOOL_CTEST_HARNESS_H

#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1 /* mkdtemp, lstat, fileno, ... under -std=c11 */
#endif

#include <db.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

static int ct_failures;       /* failed checks in the whole program */
static int ct_checks;         /* checks run */
static int ct_test_failures;  /* failed checks in the current test */
static const char *ct_current = "(none)";
static char ct_dir[1024]; /* this program's temporary directory */

static inline int ct_record(int ok, const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static inline int ct_record(int ok, const char *file, int line, const char *fmt, ...) {
  ++ct_checks;
  if (ok) return 1;
  ++ct_failures;
  ++ct_test_failures;
  fprintf(stderr, "%s:%d: FAILED in %s: ", file, line, ct_current);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(stderr);
  return 0;
}

#define CHECK(cond) ((void)ct_record((cond) != 0, __FILE__, __LINE__, "CHECK(%s)", #cond))

#define CHECK_EQ(a, b)                                                                   \
  do {                                                                                   \
    long long ct_a_ = (long long)(a);                                                    \
    long long ct_b_ = (long long)(b);                                                    \
    ct_record(ct_a_ == ct_b_, __FILE__, __LINE__, "CHECK_EQ(%s, %s): %lld != %lld", #a, #b, \
              ct_a_, ct_b_);                                                             \
  } while (0)

#define CHECK_ERR(expr, expected)                                                        \
  do {                                                                                   \
    int ct_got_ = (expr);                                                                \
    int ct_want_ = (expected);                                                           \
    ct_record(ct_got_ == ct_want_, __FILE__, __LINE__,                                   \
              "%s returned %d (%s), expected %d (%s)", #expr, ct_got_,                   \
              db_strerror(ct_got_), ct_want_, db_strerror(ct_want_));                    \
  } while (0)

#define CHECK_OK(expr) CHECK_ERR(expr, 0)

#define CHECK_STR(a, b)                                                                  \
  do {                                                                                   \
    const char *ct_sa_ = (a);                                                            \
    const char *ct_sb_ = (b);                                                            \
    ct_record(ct_sa_ != NULL && ct_sb_ != NULL && strcmp(ct_sa_, ct_sb_) == 0, __FILE__, \
              __LINE__, "CHECK_STR(%s, %s): \"%s\" != \"%s\"", #a, #b,                   \
              ct_sa_ ? ct_sa_ : "(null)", ct_sb_ ? ct_sb_ : "(null)");                   \
  } while (0)

#define REQUIRE(cond)                                                                    \
  do {                                                                                   \
    if (!ct_record((cond) != 0, __FILE__, __LINE__, "REQUIRE(%s)", #cond)) return;       \
  } while (0)

#define REQUIRE_OK(expr)                                                                 \
  do {                                                                                   \
    int ct_rgot_ = (expr);                                                               \
    if (!ct_record(ct_rgot_ == 0, __FILE__, __LINE__, "REQUIRE_OK(%s): %d (%s)", #expr,  \
                   ct_rgot_, db_strerror(ct_rgot_)))                                     \
      return;                                                                            \
  } while (0)

#define CT_RUN(fn)                                                                       \
  do {                                                                                   \
    ct_current = #fn;                                                                    \
    ct_test_failures = 0;                                                                \
    fn();                                                                                \
    printf("%-50s %s\n", #fn, ct_test_failures ? "FAILED" : "ok");                       \
    fflush(stdout);                                                                      \
  } while (0)

/* A path inside the program's temporary directory. Eight results rotate, so
 * up to eight may be in use at once. */
static inline const char *ct_path(const char *name) {
  static char bufs[8][PATH_MAX];
  static unsigned next;
  char *b = bufs[next++ % 8];
  snprintf(b, PATH_MAX, "%s/%s", ct_dir, name);
  return b;
}

/* Removes path and, if it is a directory, everything below it. */
static inline int ct_rmtree(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    if (d == NULL) return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      char sub[PATH_MAX];
      const int n = snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
      if (n < 0 || (size_t)n >= sizeof sub) continue; /* cannot name it: leave it */
      ct_rmtree(sub);
    }
    closedir(d);
    return rmdir(path);
  }
  return unlink(path);
}

static inline int ct_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static inline long long ct_file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Writes npages pages of pagesize bytes to path (created or truncated); every
 * byte of page p is (p + seed) & 0xff, except the first four bytes, which hold
 * the page number as a db_pgno_t. Returns 0 or -1. */
static inline int ct_make_file(const char *path, u_int32_t npages, u_int32_t pagesize, int seed) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  unsigned char *buf = malloc(pagesize);
  int rc = buf ? 0 : -1;
  for (u_int32_t p = 0; rc == 0 && p < npages; ++p) {
    memset(buf, (int)((p + (u_int32_t)seed) & 0xff), pagesize);
    db_pgno_t pg = p;
    memcpy(buf, &pg, sizeof pg);
    if (pwrite(fd, buf, pagesize, (off_t)p * pagesize) != (ssize_t)pagesize) rc = -1;
  }
  free(buf);
  if (close(fd) != 0) rc = -1;
  return rc;
}

/* Reads pagesize bytes of page pgno of path into buf with pread, bypassing
 * the pool. Returns the bytes read, or -1. */
static inline long ct_read_page(const char *path, db_pgno_t pgno, u_int32_t pagesize, void *buf) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = pread(fd, buf, pagesize, (off_t)pgno * pagesize);
  close(fd);
  return (long)n;
}

/* True if the n bytes at p all equal c. */
static inline int ct_all_bytes(const void *p, size_t n, unsigned char c) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; ++i)
    if (b[i] != c) return 0;
  return 1;
}

/* The page number stored in the first bytes of a page. */
static inline db_pgno_t ct_page_number(const void *page) {
  db_pgno_t p;
  memcpy(&p, page, sizeof p);
  return p;
}

/* Reads a whole small text file (at most cap - 1 bytes) into buf. */
static inline size_t ct_slurp(FILE *f, char *buf, size_t cap) {
  fflush(f);
  rewind(f);
  size_t n = fread(buf, 1, cap - 1, f);
  buf[n] = '\0';
  return n;
}

static inline void ct_begin(const char *argv0) {
  const char *base = strrchr(argv0, '/');
  base = base ? base + 1 : argv0;
  const char *tmp = getenv("TMPDIR");
  if (tmp == NULL || *tmp == '\0') tmp = "/tmp";
  snprintf(ct_dir, sizeof ct_dir, "%s/%s.XXXXXX", tmp, base);
  if (mkdtemp(ct_dir) == NULL) {
    perror("mkdtemp");
    exit(2);
  }
}

static inline int ct_end(void) {
  if (ct_rmtree(ct_dir) != 0) fprintf(stderr, "warning: could not remove %s\n", ct_dir);
  printf("%d checks, %d failed\n", ct_checks, ct_failures);
  return ct_failures ? 1 : 0;
}

/* ------------------------------------------------------- db.h helpers */

/* Opens a private environment in ct_dir: DB_CREATE | DB_INIT_MPOOL |
 * DB_PRIVATE | DB_THREAD, a cache of cache_bytes (0: the default) in frames of
 * frame_size bytes (set_mp_pagesize; 0: the default). Errors go to stderr
 * prefixed with the test's name. Returns 0 or the error (the handle is then
 * closed and *envp is NULL). */
static inline int ct_env_open(DB_ENV **envp, u_int32_t cache_bytes, u_int32_t frame_size) {
  DB_ENV *env = NULL;
  int ret;
  *envp = NULL;
  if ((ret = db_env_create(&env, 0)) != 0) return ret;
  env->set_errfile(env, stderr);
  env->set_errpfx(env, ct_current);
  if (frame_size != 0 && (ret = env->set_mp_pagesize(env, frame_size)) != 0) goto fail;
  if (cache_bytes != 0 && (ret = env->set_cachesize(env, 0, cache_bytes, 1)) != 0) goto fail;
  if ((ret = env->open(env, ct_dir, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE | DB_THREAD, 0)) != 0)
    goto fail;
  *envp = env;
  return 0;
fail:
  env->close(env, 0);
  return ret;
}

/* memp_fcreate + open. Returns 0 or the error (the handle is then closed and
 * *mpfp is NULL). */
static inline int ct_mpf_open(DB_ENV *env, DB_MPOOLFILE **mpfp, const char *path, u_int32_t flags,
                              size_t pagesize) {
  DB_MPOOLFILE *mpf = NULL;
  int ret;
  *mpfp = NULL;
  if ((ret = env->memp_fcreate(env, &mpf, 0)) != 0) return ret;
  if ((ret = mpf->open(mpf, path, flags, 0, pagesize)) != 0) {
    mpf->close(mpf, 0);
    return ret;
  }
  *mpfp = mpf;
  return 0;
}

/* The fixture several tests share: a file of `npages` pages of `pagesize`
 * bytes (filled from `seed`, as ct_make_file does), an environment of `frames`
 * frames with its error output off, and one handle on the file. */
static inline int ct_fixture_open(DB_ENV **envp, DB_MPOOLFILE **mpfp, const char *path,
                                  u_int32_t npages, u_int32_t pagesize, int seed,
                                  u_int32_t frames) {
  if (ct_make_file(path, npages, pagesize, seed) != 0) return -1;
  if (ct_env_open(envp, frames * pagesize, pagesize) != 0) return -1;
  (*envp)->set_errfile(*envp, NULL);
  return ct_mpf_open(*envp, mpfp, path, 0, pagesize);
}

/* Closes what ct_fixture_open opened, checking that each close succeeds. */
#define CT_FIXTURE_CLOSE(envp, mpfp)                          \
  do {                                                        \
    if (*(mpfp) != NULL) CHECK_OK((*(mpfp))->close(*(mpfp), 0)); \
    if (*(envp) != NULL) CHECK_OK((*(envp))->close(*(envp), 0)); \
    *(mpfp) = NULL;                                           \
    *(envp) = NULL;                                           \
  } while (0)

/* Global statistics (memp_stat with flags 0, no per-file array) copied into
 * *out. Returns memp_stat's result. */
static inline int ct_stat(DB_ENV *env, DB_MPOOL_STAT *out) {
  DB_MPOOL_STAT *sp = NULL;
  int ret = env->memp_stat(env, &sp, NULL, 0);
  if (ret == 0 && sp != NULL) {
    *out = *sp;
    free(sp);
  } else {
    memset(out, 0, sizeof *out);
  }
  return ret;
}

#endif /* PAGEPOOL_CTEST_HARNESS_H */
