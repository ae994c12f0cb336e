/*
 * sync_test.c: writing modified pages back: DB_ENV->memp_sync (with and
 * without an LSN), DB_MPOOLFILE->sync, DB_ENV->memp_trickle, and pagepool's
 * write-ahead hook (set_log_flush). Every write is checked in the file itself
 * with pread, bypassing the pool.
 *
 * Manual pages: DB_ENV->memp_sync, DB_MPOOLFILE->sync, DB_ENV->memp_trickle,
 * DB_MPOOLFILE->get (DB_MPOOL_DIRTY, DB_MPOOL_EDIT), DB_MPOOLFILE->put,
 * DB_MPOOLFILE->set_lsn_offset; db.h's "pagepool:" notes on sync.
 */
#include "ctest_harness.h"

#define PS 4096u
#define FRAMES 16u

/* Gets page pgno with flags, fills it with byte c (keeping its page number
 * in the first bytes), and puts it with put_flags. */
static int write_page(DB_MPOOLFILE *mpf, db_pgno_t pgno, u_int32_t flags, unsigned char c,
                      u_int32_t put_flags) {
  void *p = NULL;
  int ret = mpf->get(mpf, &pgno, NULL, flags, &p);
  if (ret != 0) return ret;
  memset(p, c, PS);
  memcpy(p, &pgno, sizeof pgno);
  return mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, put_flags);
}

/* True if page pgno of path, read with pread, holds byte c after its page
 * number. */
static int on_disk(const char *path, db_pgno_t pgno, unsigned char c) {
  unsigned char buf[PS];
  if (ct_read_page(path, pgno, PS, buf) != (long)PS) return 0;
  return ct_page_number(buf) == pgno && ct_all_bytes(buf + sizeof(db_pgno_t), PS - 4, c);
}

static void test_memp_sync_writes_dirty_pages(void) {
  const char *path = ct_path("sync.db");
  REQUIRE(ct_make_file(path, 8, PS, 0) == 0); /* page p holds byte p */
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(ct_mpf_open(env, &mpf, path, 0, PS));

  /* Four ways to make a page dirty:
   * DB_MPOOLFILE->get DB_MPOOL_DIRTY: "The page will be modified and must be
   *   written to the source file before being evicted from the cache"
   *   (pagepool: it really dirties the page, unlike Berkeley DB 5.3);
   * DB_MPOOL_EDIT: likewise;
   * DB_MPOOLFILE->put DB_MPOOL_DIRTY (spec 001): "The page has been modified
   *   and must be written to the source file";
   * DB_MPOOL_NEW: a created page belongs in the file. */
  CHECK_OK(write_page(mpf, 1, DB_MPOOL_DIRTY, 0xA1, 0));
  CHECK_OK(write_page(mpf, 2, DB_MPOOL_EDIT, 0xA2, 0));
  CHECK_OK(write_page(mpf, 3, 0, 0xA3, DB_MPOOL_DIRTY));
  db_pgno_t newpg = 0;
  void *p = NULL;
  CHECK_OK(mpf->get(mpf, &newpg, NULL, DB_MPOOL_NEW, &p));
  CHECK_EQ(newpg, 8);
  if (p != NULL) {
    memset(p, 0xA8, PS);
    memcpy(p, &newpg, sizeof newpg);
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  /* A page only read is not modified, and not written. */
  p = NULL;
  db_pgno_t pg5 = 5;
  CHECK_OK(mpf->get(mpf, &pg5, NULL, 0, &p));
  if (p != NULL) CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));

  /* DB_ENV->memp_sync: "If lsn is NULL, all modified pages in the cache are
   * written to disk." */
  CHECK_OK(env->memp_sync(env, NULL));
  CHECK(on_disk(path, 1, 0xA1));
  CHECK(on_disk(path, 2, 0xA2));
  CHECK(on_disk(path, 3, 0xA3));
  CHECK(on_disk(path, 8, 0xA8));
  CHECK_EQ(ct_file_size(path), 9 * PS);
  CHECK(on_disk(path, 0, 0x00));
  CHECK(on_disk(path, 4, 0x04));
  CHECK(on_disk(path, 5, 0x05));
  CHECK(on_disk(path, 7, 0x07));

  DB_MPOOL_STAT st;
  CHECK_OK(ct_stat(env, &st));
  CHECK_EQ(st.st_page_dirty, 0);
  CHECK_EQ(st.st_page_out, 4);
  /* A second sync has nothing to write. */
  CHECK_OK(env->memp_sync(env, NULL));
  CHECK_OK(ct_stat(env, &st));
  CHECK_EQ(st.st_page_out, 4);
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

#ifdef DB_PAGEPOOL
static void test_memp_sync_with_pinned_page(void) {
  const char *path = ct_path("pinned.db");
  REQUIRE(ct_make_file(path, 4, PS, 0) == 0);
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(ct_mpf_open(env, &mpf, path, 0, PS));
  CHECK_OK(write_page(mpf, 1, DB_MPOOL_DIRTY, 0xB1, 0));
  db_pgno_t pg = 2;
  void *held = NULL;
  REQUIRE_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_DIRTY, &held));
  memset((char *)held + 4, 0xB2, PS - 4);
  /* pagepool (db.h): "memp_sync and DB_MPOOLFILE->sync do not wait forever
   * for pinned dirty pages: after a short wait they return DB_PP_INCOMPLETE";
   * DB_PP_INCOMPLETE: "they were not written (every other modified page
   * was)". */
  CHECK_ERR(env->memp_sync(env, NULL), DB_PP_INCOMPLETE);
  CHECK(on_disk(path, 1, 0xB1));
  CHECK(on_disk(path, 2, 0x02));
  CHECK_ERR(mpf->sync(mpf), DB_PP_INCOMPLETE);
  CHECK(on_disk(path, 2, 0x02));
  CHECK_OK(mpf->put(mpf, held, DB_PRIORITY_UNCHANGED, 0));
  /* Once unpinned, the page is written like any other. */
  CHECK_OK(env->memp_sync(env, NULL));
  CHECK(on_disk(path, 2, 0xB2));
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

#endif

static void test_memp_sync_lsn(void) {
  const char *path = ct_path("lsn.db");
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  /* DB_MPOOLFILE->set_lsn_offset: "the zero-based byte offset of a log
   * sequence number (DB_LSN) on the file's pages, for the purposes of
   * page-flushing as part of transaction checkpoint". */
  CHECK_OK(mpf->set_lsn_offset(mpf, 8));
  REQUIRE_OK(mpf->open(mpf, path, DB_CREATE, 0, PS));
  /* Page 0 has LSN [1][100], page 1 [5][0]. */
  const DB_LSN lsns[2] = {{1, 100}, {5, 0}};
  for (db_pgno_t i = 0; i < 2; ++i) {
    db_pgno_t pg = 0;
    void *p = NULL;
    CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p));
    CHECK_EQ(pg, i);
    if (p == NULL) continue;
    memset(p, 0xC0 + (int)i, PS);
    memcpy(p, &pg, sizeof pg);
    memcpy((char *)p + 8, &lsns[i], sizeof lsns[i]);
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  /* DB_ENV->memp_sync: "All modified pages with a log sequence number
   * (DB_LSN) less than the lsn parameter are written to disk." */
  DB_LSN upto = {2, 0};
  CHECK_OK(env->memp_sync(env, &upto));
  unsigned char buf[PS];
  CHECK_EQ(ct_read_page(path, 0, PS, buf), PS);
  CHECK_EQ(ct_page_number(buf), 0);
  DB_LSN ondisk;
  memcpy(&ondisk, buf + 8, sizeof ondisk);
  CHECK_EQ(ondisk.file, 1);
  CHECK_EQ(ondisk.offset, 100);
  CHECK(ct_all_bytes(buf + 16, PS - 16, 0xC0));
  /* A later LSN covers page 1 too. */
  upto.file = 6;
  CHECK_OK(env->memp_sync(env, &upto));
  CHECK_EQ(ct_read_page(path, 1, PS, buf), PS);
  CHECK_EQ(ct_page_number(buf), 1);
  CHECK(ct_all_bytes(buf + 16, PS - 16, 0xC1));
  DB_MPOOL_STAT st;
  CHECK_OK(ct_stat(env, &st));
  CHECK_EQ(st.st_page_dirty, 0);
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

#ifdef DB_PAGEPOOL
/* pagepool's log-flush hook for the write-ahead rule. */
static const char *wal_path;
static int wal_calls;
static int wal_page_already_on_disk;
static DB_LSN wal_max;

static int wal_flush(DB_ENV *env, const DB_LSN *lsn) {
  (void)env;
  ++wal_calls;
  if (lsn->file > wal_max.file || (lsn->file == wal_max.file && lsn->offset > wal_max.offset))
    wal_max = *lsn;
  /* The page must not be in the file before the log is flushed. */
  unsigned char buf[PS];
  if (ct_read_page(wal_path, 0, PS, buf) == (long)PS && ct_all_bytes(buf + 16, PS - 16, 0xD0))
    wal_page_already_on_disk = 1;
  return 0;
}

static void test_log_flush_before_write(void) {
  const char *path = ct_path("wal.db");
  wal_path = path;
  DB_ENV *env = NULL;
  REQUIRE_OK(db_env_create(&env, 0));
  env->set_errfile(env, stderr);
  /* db.h (pagepool): set_log_flush: "before a page with an LSN is written,
   * it is called with that LSN". */
  REQUIRE_OK(env->set_log_flush(env, wal_flush));
  REQUIRE_OK(env->set_mp_pagesize(env, PS));
  REQUIRE_OK(env->set_cachesize(env, 0, FRAMES * PS, 1));
  REQUIRE_OK(env->open(env, ct_dir, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0));
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  CHECK_OK(mpf->set_lsn_offset(mpf, 8));
  REQUIRE_OK(mpf->open(mpf, path, DB_CREATE, 0, PS));
  db_pgno_t pg = 0;
  void *p = NULL;
  REQUIRE_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p));
  memset(p, 0xD0, PS);
  memcpy(p, &pg, sizeof pg);
  const DB_LSN lsn = {3, 4096};
  memcpy((char *)p + 8, &lsn, sizeof lsn);
  CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  wal_calls = 0;
  CHECK_OK(env->memp_sync(env, NULL));
  CHECK(wal_calls >= 1);
  CHECK(wal_max.file > 3 || (wal_max.file == 3 && wal_max.offset >= 4096));
  CHECK_EQ(wal_page_already_on_disk, 0);
  unsigned char buf[PS];
  CHECK_EQ(ct_read_page(path, 0, PS, buf), PS);
  CHECK_EQ(ct_page_number(buf), 0);
  CHECK(ct_all_bytes(buf + 16, PS - 16, 0xD0));
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

#endif

static void test_mpoolfile_sync(void) {
  const char *a = ct_path("fsync-a.db");
  const char *b = ct_path("fsync-b.db");
  REQUIRE(ct_make_file(a, 4, PS, 0) == 0);
  REQUIRE(ct_make_file(b, 4, PS, 0) == 0);
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  DB_MPOOLFILE *ma = NULL, *mb = NULL;
  REQUIRE_OK(ct_mpf_open(env, &ma, a, 0, PS));
  REQUIRE_OK(ct_mpf_open(env, &mb, b, 0, PS));
  CHECK_OK(write_page(ma, 1, DB_MPOOL_DIRTY, 0xE1, 0));
  CHECK_OK(write_page(ma, 3, DB_MPOOL_DIRTY, 0xE3, 0));
  CHECK_OK(write_page(mb, 2, DB_MPOOL_DIRTY, 0xE2, 0));
  /* DB_MPOOLFILE->sync: "writes all modified pages associated with the
   * DB_MPOOLFILE back to the source file". */
  CHECK_OK(ma->sync(ma));
  CHECK(on_disk(a, 1, 0xE1));
  CHECK(on_disk(a, 3, 0xE3));
  DB_MPOOL_FSTAT **fsp = NULL;
  CHECK_OK(env->memp_stat(env, NULL, &fsp, 0));
  if (fsp != NULL) {
    for (int i = 0; fsp[i] != NULL; ++i) {
      if (strcmp(fsp[i]->file_name, a) == 0) CHECK_EQ(fsp[i]->st_page_out, 2);
      /* Only this file's pages: b's modified page stays in the cache. */
      if (strcmp(fsp[i]->file_name, b) == 0) CHECK_EQ(fsp[i]->st_page_out, 0);
    }
    free(fsp);
  }
  CHECK_OK(mb->sync(mb));
  CHECK(on_disk(b, 2, 0xE2));
  CHECK_OK(mb->close(mb, 0));
  CHECK_OK(ma->close(ma, 0));
  CHECK_OK(env->close(env, 0));
}

static void test_sync_readonly_and_temporary(void) {
  const char *path = ct_path("ro.db");
  REQUIRE(ct_make_file(path, 2, PS, 0) == 0);
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  DB_MPOOLFILE *ro = NULL, *tmp = NULL;
  REQUIRE_OK(ct_mpf_open(env, &ro, path, DB_RDONLY, PS));
  REQUIRE_OK(ct_mpf_open(env, &tmp, NULL, 0, PS));
  db_pgno_t pg = 0;
  void *p = NULL;
  CHECK_OK(tmp->get(tmp, &pg, NULL, DB_MPOOL_NEW, &p));
  if (p != NULL) CHECK_OK(tmp->put(tmp, p, DB_PRIORITY_UNCHANGED, 0));
  /* DB_MPOOLFILE->sync "returns ... 0 on success": nothing to write for a
   * read-only handle; a temporary file has no source file to bring up to
   * date. */
  CHECK_OK(ro->sync(ro));
  CHECK_OK(tmp->sync(tmp));
  CHECK_OK(env->memp_sync(env, NULL));
  CHECK_OK(tmp->close(tmp, 0));
  CHECK_OK(ro->close(ro, 0));
  CHECK_OK(env->close(env, 0));
}

/* Number of pages 0..n-1 of path whose on-disk bytes show they were written
 * (byte c after the page number). */
static u_int32_t pages_on_disk(const char *path, u_int32_t n, unsigned char c) {
  u_int32_t k = 0;
  for (db_pgno_t i = 0; i < n; ++i) k += on_disk(path, i, c) ? 1u : 0u;
  return k;
}

static void test_trickle(void) {
  const char *path = ct_path("trickle.db");
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(ct_mpf_open(env, &mpf, path, DB_CREATE, PS));
  int nwrote = -1;

  /* DB_ENV->memp_trickle, EINVAL: "An invalid flag value or parameter was
   * specified": percent is a percentage, 1..100. */
  env->set_errfile(env, NULL);
  CHECK_ERR(env->memp_trickle(env, 0, &nwrote), EINVAL);
  CHECK_ERR(env->memp_trickle(env, 101, &nwrote), EINVAL);
  CHECK_ERR(env->memp_trickle(env, -5, &nwrote), EINVAL);
  env->set_errfile(env, stderr);

  /* Fill every frame with a dirty page. */
  for (u_int32_t i = 0; i < FRAMES; ++i) {
    db_pgno_t pg = 0;
    void *p = NULL;
    CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p));
    if (p == NULL) continue;
    memset(p, 0xF0, PS);
    memcpy(p, &pg, sizeof pg);
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  DB_MPOOL_STAT before, after;
  CHECK_OK(ct_stat(env, &before));
  CHECK_EQ(before.st_pages, FRAMES);
  CHECK_EQ(before.st_page_dirty, FRAMES);

  /* DB_ENV->memp_trickle: "ensures that a specified percent of the pages in
   * the cache are clean, by writing dirty pages to their backing files";
   * nwrotep: "the number of pages written to reach the specified percentage
   * is copied". */
  nwrote = -1;
  CHECK_OK(env->memp_trickle(env, 50, &nwrote));
  CHECK_OK(ct_stat(env, &after));
  CHECK(after.st_page_clean * 100 >= 50 * after.st_pages);
  CHECK(nwrote >= (int)(FRAMES / 2));
  CHECK_EQ((u_int32_t)nwrote, after.st_page_clean - before.st_page_clean);
  CHECK_EQ((u_int32_t)nwrote, pages_on_disk(path, FRAMES, 0xF0));
  /* "st_page_trickle: Dirty pages written using the DB_ENV->memp_trickle()
   * method." */
  CHECK_EQ(after.st_page_trickle - before.st_page_trickle, (uintmax_t)nwrote);

  /* Already 50% clean: nothing more to write. */
  nwrote = -1;
  CHECK_OK(env->memp_trickle(env, 50, &nwrote));
  CHECK_EQ(nwrote, 0);

  /* 100%: every page clean, the rest written. */
  int nwrote100 = -1;
  CHECK_OK(env->memp_trickle(env, 100, &nwrote100));
  DB_MPOOL_STAT last;
  CHECK_OK(ct_stat(env, &last));
  CHECK_EQ(last.st_page_dirty, 0);
  CHECK_EQ(last.st_page_clean, last.st_pages);
  CHECK_EQ((u_int32_t)nwrote100, last.st_page_clean - after.st_page_clean);
  CHECK_EQ(pages_on_disk(path, FRAMES, 0xF0), FRAMES);

  /* 1% of a clean cache: nothing to write. */
  nwrote = -1;
  CHECK_OK(env->memp_trickle(env, 1, &nwrote));
  CHECK_EQ(nwrote, 0);
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

static void test_close_does_not_write(void) {
  const char *path = ct_path("close-nowrite.db");
  REQUIRE(ct_make_file(path, 2, PS, 0) == 0);
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, FRAMES * PS, PS));
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(ct_mpf_open(env, &mpf, path, 0, PS));
  CHECK_OK(write_page(mpf, 1, DB_MPOOL_DIRTY, 0x99, 0));
  /* DB_MPOOLFILE->close: "Calling DB_MPOOLFILE->close() does not imply a
   * call to DB_MPOOLFILE->sync(); that is, no pages are written to the
   * source file as as a result of calling DB_MPOOLFILE->close()". */
  CHECK_OK(mpf->close(mpf, 0));
  CHECK(on_disk(path, 1, 0x01));
  CHECK_OK(env->close(env, 0));
}

int main(int argc, char **argv) {
  (void)argc;
  ct_begin(argv[0]);
  CT_RUN(test_memp_sync_writes_dirty_pages);
#ifdef DB_PAGEPOOL
  CT_RUN(test_memp_sync_with_pinned_page);
#endif
  CT_RUN(test_memp_sync_lsn);
#ifdef DB_PAGEPOOL
  CT_RUN(test_log_flush_before_write);
#endif
  CT_RUN(test_mpoolfile_sync);
  CT_RUN(test_sync_readonly_and_temporary);
  CT_RUN(test_trickle);
  CT_RUN(test_close_does_not_write);
  return ct_end();
}
