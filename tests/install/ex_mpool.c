/*
 * ex_mpool.c: a memory-pool example program in the manner of Berkeley DB's
 * examples/c/ex_mpool.c (written afresh for pagepool; it uses only <db.h>
 * and the C library, and builds against Berkeley DB 5.3 or pagepool-bdb).
 *
 *   ex_mpool [-c cachesize] [-h hits] [-n npages] [-p pagesize]
 *
 * It writes a file named "mpool" in the current directory, npages pages of
 * pagesize bytes, each beginning with its own page number; opens an
 * environment (DB_CREATE | DB_INIT_MPOOL) whose cache is cachesize bytes;
 * opens the file in the pool and fetches hits random pages, checking that
 * each holds the number it was fetched by; then reports the cache's hits and
 * misses from memp_stat. It removes the file before it exits.
 *
 * Exit status: 0 if every page held its number and the statistics account
 * for every fetch; 1 otherwise (or on any error).
 */
#define _DEFAULT_SOURCE 1 /* getopt under -std=c11 */

#include <db.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MPOOL_FILE "mpool"

static const char *progname = "ex_mpool";

static int usage(void) {
  fprintf(stderr, "usage: %s [-c cachesize] [-h hits] [-n npages] [-p pagesize]\n", progname);
  return EXIT_FAILURE;
}

/* Parses a decimal number in [min, max] from the option opt's argument. */
static int number(int opt, const char *arg, long min, long max, long *out) {
  char *end = NULL;
  errno = 0;
  long v = strtol(arg, &end, 10);
  if (errno != 0 || end == arg || *end != '\0' || v < min || v > max) {
    fprintf(stderr, "%s: -%c: expected a number from %ld to %ld, got \"%s\"\n", progname, opt, min,
            max, arg);
    return -1;
  }
  *out = v;
  return 0;
}

/* Writes the file: npages pages of pagesize bytes, page i beginning with i. */
static int write_file(const char *name, long pagesize, long npages) {
  FILE *f = fopen(name, "wb");
  if (f == NULL) {
    fprintf(stderr, "%s: %s: %s\n", progname, name, strerror(errno));
    return -1;
  }
  unsigned char *page = calloc(1, (size_t)pagesize);
  int ret = page == NULL ? -1 : 0;
  for (long i = 0; ret == 0 && i < npages; ++i) {
    db_pgno_t pgno = (db_pgno_t)i;
    memcpy(page, &pgno, sizeof pgno);
    if (fwrite(page, (size_t)pagesize, 1, f) != 1) ret = -1;
  }
  free(page);
  if (fclose(f) != 0) ret = -1;
  if (ret != 0) fprintf(stderr, "%s: %s: cannot write the file\n", progname, name);
  return ret;
}

/* Opens the pool and the file, fetches pages at random, checks them and
 * reports. Returns 0 if all went well. */
static int run(long cachesize, long hits, long npages, long pagesize) {
  DB_ENV *dbenv = NULL;
  DB_MPOOLFILE *mfp = NULL;
  DB_MPOOL_STAT *gsp = NULL;
  long mismatches = 0;
  int ret, failed = 1;

  if ((ret = db_env_create(&dbenv, 0)) != 0) {
    fprintf(stderr, "%s: db_env_create: %s\n", progname, db_strerror(ret));
    return 1;
  }
  dbenv->set_errfile(dbenv, stderr);
  dbenv->set_errpfx(dbenv, progname);
  /* The pool's frames hold pages of this size, so that the cache holds
   * cachesize / pagesize of them. */
  if ((ret = dbenv->set_mp_pagesize(dbenv, (u_int32_t)pagesize)) != 0) {
    dbenv->err(dbenv, ret, "set_mp_pagesize: %ld", pagesize);
    goto out;
  }
  if ((ret = dbenv->set_cachesize(dbenv, 0, (u_int32_t)cachesize, 0)) != 0) {
    dbenv->err(dbenv, ret, "set_cachesize: %ld", cachesize);
    goto out;
  }
  if ((ret = dbenv->open(dbenv, NULL, DB_CREATE | DB_INIT_MPOOL, 0)) != 0) {
    dbenv->err(dbenv, ret, "DB_ENV->open");
    goto out;
  }
  if ((ret = dbenv->memp_fcreate(dbenv, &mfp, 0)) != 0) {
    dbenv->err(dbenv, ret, "DB_ENV->memp_fcreate");
    goto out;
  }
  if ((ret = mfp->open(mfp, MPOOL_FILE, 0, 0, (size_t)pagesize)) != 0) {
    dbenv->err(dbenv, ret, "DB_MPOOLFILE->open: %s", MPOOL_FILE);
    goto out;
  }

  unsigned seed = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
  srand(seed);
  printf("%s: %ld random fetches from %ld pages of %ld bytes, cache of %ld bytes (seed %u)\n",
         progname, hits, npages, pagesize, cachesize, seed);
  for (long i = 0; i < hits; ++i) {
    db_pgno_t pgno = (db_pgno_t)(rand() % npages);
    db_pgno_t want = pgno, stored;
    void *p = NULL;
    if ((ret = mfp->get(mfp, &pgno, NULL, 0, &p)) != 0) {
      dbenv->err(dbenv, ret, "DB_MPOOLFILE->get: page %lu", (unsigned long)want);
      goto out;
    }
    memcpy(&stored, p, sizeof stored);
    if (stored != want) {
      dbenv->errx(dbenv, "page %lu holds page number %lu", (unsigned long)want,
                  (unsigned long)stored);
      ++mismatches;
    }
    if ((ret = mfp->put(mfp, p, DB_PRIORITY_UNCHANGED, 0)) != 0) {
      dbenv->err(dbenv, ret, "DB_MPOOLFILE->put: page %lu", (unsigned long)want);
      goto out;
    }
  }

  if ((ret = dbenv->memp_stat(dbenv, &gsp, NULL, 0)) != 0) {
    dbenv->err(dbenv, ret, "DB_ENV->memp_stat");
    goto out;
  }
  printf("%s: cache hits: %ju, cache misses: %ju (pages read: %ju, clean pages evicted: %ju)\n",
         progname, gsp->st_cache_hit, gsp->st_cache_miss, gsp->st_page_in, gsp->st_ro_evict);
  if (gsp->st_cache_hit + gsp->st_cache_miss != (uintmax_t)hits) {
    dbenv->errx(dbenv, "hits + misses = %ju, but %ld pages were fetched",
                gsp->st_cache_hit + gsp->st_cache_miss, hits);
    ++mismatches;
  }
  free(gsp);
  if (mismatches != 0) {
    dbenv->errx(dbenv, "%ld mismatches", mismatches);
    goto out;
  }
  failed = 0;

out:
  if (mfp != NULL && (ret = mfp->close(mfp, 0)) != 0) {
    dbenv->err(dbenv, ret, "DB_MPOOLFILE->close");
    failed = 1;
  }
  if ((ret = dbenv->close(dbenv, 0)) != 0) {
    fprintf(stderr, "%s: DB_ENV->close: %s\n", progname, db_strerror(ret));
    failed = 1;
  }
  return failed;
}

int main(int argc, char *argv[]) {
  long cachesize = 20 * 1024, hits = 1000, npages = 50, pagesize = 1024;
  int ch;

  while ((ch = getopt(argc, argv, "c:h:n:p:")) != -1) {
    switch (ch) {
      case 'c':
        if (number(ch, optarg, 20 * 1024, (long)UINT32_MAX, &cachesize) != 0) return usage();
        break;
      case 'h':
        if (number(ch, optarg, 1, LONG_MAX, &hits) != 0) return usage();
        break;
      case 'n':
        if (number(ch, optarg, 1, (long)INT_MAX, &npages) != 0) return usage();
        break;
      case 'p':
        if (number(ch, optarg, 512, 64 * 1024, &pagesize) != 0) return usage();
        if ((pagesize & (pagesize - 1)) != 0) {
          fprintf(stderr, "%s: -p: the page size must be a power of two\n", progname);
          return usage();
        }
        break;
      default:
        return usage();
    }
  }
  if (optind != argc) return usage();

  if (write_file(MPOOL_FILE, pagesize, npages) != 0) return EXIT_FAILURE;
  int failed = run(cachesize, hits, npages, pagesize);
  if (remove(MPOOL_FILE) != 0) {
    fprintf(stderr, "%s: %s: %s\n", progname, MPOOL_FILE, strerror(errno));
    failed = 1;
  }
  if (failed) return EXIT_FAILURE;
  printf("%s: all %ld pages held their page numbers\n", progname, hits);
  return EXIT_SUCCESS;
}
