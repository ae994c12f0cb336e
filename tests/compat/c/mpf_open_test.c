/*
 * mpf_open_test.c: DB_MPOOLFILE->open and close with every open flag, and the
 * file configuration methods: set_clear_len, set_fileid / get_fileid,
 * set_flags (DB_MPOOL_NOFILE, DB_MPOOL_UNLINK), set_lsn_offset,
 * set_priority, set_maxsize, get_last_pgno.
 *
 * Manual pages: DB_MPOOLFILE->open (spec 003), DB_MPOOLFILE->close, the
 * DB_MPOOLFILE->set_* / get_* pages, DB_ENV->set_mp_mmapsize,
 * DB_ENV->set_flags (DB_NOMMAP); db.h's "pagepool:" notes.
 */
#include "ctest_harness.h"

#define PS 4096u
#define FRAMES 8u
#define UNKNOWN_FLAG 0x40000000u

static DB_ENV *open_env(void) {
  DB_ENV *env = NULL;
  if (ct_env_open(&env, FRAMES * PS, PS) != 0) return NULL;
  return env;
}

static int get_put(DB_MPOOLFILE *mpf, db_pgno_t *pgno, u_int32_t flags) {
  void *p = NULL;
  int ret = mpf->get(mpf, pgno, NULL, flags, &p);
  if (ret != 0) return ret;
  return mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0);
}

/* ------------------------------------------------------------- open */

static void test_open_create_and_enoent(void) {
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *mpf = NULL;
  const char *path = ct_path("created.db");
  /* DB_MPOOLFILE->open DB_CREATE: "If the database do not already exist and
   * the DB_CREATE flag is not specified, the call will fail" (ENOENT). */
  CHECK_ERR(ct_mpf_open(env, &mpf, path, 0, PS), ENOENT);
  CHECK(!ct_exists(path));
  /* "DB_CREATE: Create any underlying files, as necessary." */
  REQUIRE_OK(ct_mpf_open(env, &mpf, path, DB_CREATE, PS));
  CHECK(ct_exists(path));
  /* get_last_pgno of an empty file is 0 (db.h: pages count from 0). */
  db_pgno_t last = 99;
  CHECK_OK(mpf->get_last_pgno(mpf, &last));
  CHECK_EQ(last, 0);
  CHECK_OK(mpf->close(mpf, 0));
  /* Now it exists, flags 0 opens it. */
  REQUIRE_OK(ct_mpf_open(env, &mpf, path, 0, PS));
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

/* Creates `name` through a new handle opened with DB_CREATE and `mode`, closes
 * it, and returns the permission bits the file got (or -1). */
static int created_mode(DB_ENV *env, const char *name, int mode) {
  const char *p = ct_path(name);
  DB_MPOOLFILE *mpf = NULL;
  CHECK_OK(env->memp_fcreate(env, &mpf, 0));
  if (mpf != NULL) {
    CHECK_OK(mpf->open(mpf, p, DB_CREATE, mode, PS));
    CHECK_OK(mpf->close(mpf, 0));
  }
  struct stat st;
  return stat(p, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static void test_open_mode(void) {
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  mode_t old = umask(022);
  /* DB_MPOOLFILE->open mode: "files created by DB_MPOOLFILE->open() are
   * created with mode mode ... and modified by the process' umask value". */
  CHECK(created_mode(env, "mode-0604.db", 0604) == 0604);
  CHECK(created_mode(env, "mode-0666.db", 0666) == 0644);
  /* "If mode is 0, DB_MPOOLFILE->open() will use a default mode of readable
   * and writable by both owner and group" (0660, less the umask's 022). */
  CHECK(created_mode(env, "mode-0.db", 0) == 0640);
  umask(old);
  CHECK_OK(env->close(env, 0));
}

static void test_open_einval(void) {
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *mpf = NULL;
  const char *path = ct_path("einval.db");
  REQUIRE(ct_make_file(path, 2, PS, 0) == 0);
  /* DB_MPOOLFILE->open, EINVAL: "if an invalid flag value or parameter was
   * specified": a page size that is not a power of two ... */
  CHECK_ERR(ct_mpf_open(env, &mpf, path, 0, 1000), EINVAL);
  CHECK_ERR(ct_mpf_open(env, &mpf, path, 0, 3 * 1024), EINVAL);
  CHECK_ERR(ct_mpf_open(env, &mpf, ct_path("einval-new.db"), DB_CREATE, 4097), EINVAL);
  /* ... an unknown flag ... */
  CHECK_ERR(ct_mpf_open(env, &mpf, path, UNKNOWN_FLAG, PS), EINVAL);
  /* ... DB_MULTIVERSION, which needs transactions (pagepool has none). */
  CHECK_ERR(ct_mpf_open(env, &mpf, path, DB_MULTIVERSION, PS), EINVAL);
  /* "the DB_RDONLY flag was specified for an in-memory cache" (a temporary
   * file: NULL path). */
  CHECK_ERR(ct_mpf_open(env, &mpf, NULL, DB_RDONLY, PS), EINVAL);
  /* pagepool (db.h): "Pages live in frames of set_mp_pagesize bytes ...: a
   * file whose page size is larger is EINVAL at open". */
  CHECK_ERR(ct_mpf_open(env, &mpf, path, 0, 2 * PS), EINVAL);
  /* The same handle may not be opened twice. */
  REQUIRE_OK(ct_mpf_open(env, &mpf, path, 0, PS));
  CHECK_ERR(mpf->open(mpf, path, 0, 0, PS), EINVAL);
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

static void test_odd_file_size(void) {
  const char *path = ct_path("odd.db");
  REQUIRE(ct_make_file(path, 3, PS, 0) == 0);
  /* Two full pages and a partial third: 2 * PS + 100 bytes. */
  REQUIRE(truncate(path, 2 * PS + 100) == 0);
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *mpf = NULL;
  /* DB_ODDFILESIZE: "Attempts to open files which are not a multiple of the
   * page size in length will fail, by default" (EINVAL: "the length of the
   * file is not zero or a multiple of the pagesize"). */
  CHECK_ERR(ct_mpf_open(env, &mpf, path, 0, PS), EINVAL);
  /* "If the DB_ODDFILESIZE flag is set, any partial page at the end of the
   * file will be ignored and the open will proceed." */
  REQUIRE_OK(ct_mpf_open(env, &mpf, path, DB_ODDFILESIZE, PS));
  db_pgno_t last = 99;
  CHECK_OK(mpf->get_last_pgno(mpf, &last));
  CHECK_EQ(last, 1);
  db_pgno_t pg = 1;
  CHECK_OK(get_put(mpf, &pg, 0));
  pg = 2;
  CHECK_ERR(get_put(mpf, &pg, 0), DB_PAGE_NOTFOUND);
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

/* Read-only handles, served from the cache (DB_NOMMAP) or possibly by mmap. */
static void check_rdonly(u_int32_t open_flags) {
  const char *path = ct_path("rdonly.db");
  REQUIRE(ct_make_file(path, 4, PS, 0) == 0);
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(ct_mpf_open(env, &mpf, path, open_flags, PS));
  /* Reading works. */
  db_pgno_t pg = 2;
  void *p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, 0, &p));
  if (p != NULL) {
    CHECK_EQ(ct_page_number(p), 2);
    CHECK(ct_all_bytes((char *)p + 4, PS - 4, 0x02));
    /* DB_MPOOLFILE->put, EACCES (spec 001): "The DB_MPOOL_DIRTY flag was set
     * and the source file was not opened for writing." */
    CHECK_ERR(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, DB_MPOOL_DIRTY), EACCES);
#ifdef DB_PAGEPOOL
    /* DB_RDONLY: "Any attempt to modify the file using the memory pool
     * (cache) functions will fail". */
    CHECK(mpf->set(mpf, p, DB_MPOOL_DIRTY) != 0);
#endif
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  /* DB_MPOOLFILE->get, EACCES: "The DB_MPOOL_DIRTY or DB_MPOOL_EDIT flag was
   * set and the source file was not opened for writing." */
  pg = 1;
  p = NULL;
  CHECK_ERR(mpf->get(mpf, &pg, NULL, DB_MPOOL_DIRTY, &p), EACCES);
  CHECK_ERR(mpf->get(mpf, &pg, NULL, DB_MPOOL_EDIT, &p), EACCES);
  /* DB_MPOOLFILE->get, EINVAL: "If the DB_MPOOL_NEW flag was set, and the
   * source file was not opened for writing". */
  pg = 0;
  CHECK_ERR(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p), EINVAL);
  /* DB_RDONLY: "Any attempt to modify the file ... will fail": creating a
   * page past the end. */
  pg = 9;
  p = NULL;
  int ret = mpf->get(mpf, &pg, NULL, DB_MPOOL_CREATE, &p);
  CHECK(ret != 0);
  if (ret == 0) mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0);
  /* An existing page with DB_MPOOL_CREATE is simply returned. */
  pg = 3;
  CHECK_OK(get_put(mpf, &pg, DB_MPOOL_CREATE));
  CHECK_OK(mpf->sync(mpf));
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
  /* The file is as it was. */
  CHECK_EQ(ct_file_size(path), 4 * PS);
  unsigned char buf[PS];
  for (db_pgno_t i = 0; i < 4; ++i) {
    CHECK_EQ(ct_read_page(path, i, PS, buf), PS);
    CHECK(ct_all_bytes(buf + 4, PS - 4, (unsigned char)i));
  }
}

static void test_rdonly(void) {
  check_rdonly(DB_RDONLY | DB_NOMMAP);
  check_rdonly(DB_RDONLY);
}

static void test_nommap_direct_and_mmap(void) {
  const char *path = ct_path("flags.db");
  REQUIRE(ct_make_file(path, 4, PS, 0) == 0);
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  DB_MPOOLFILE *mpf = NULL;
  DB_MPOOL_STAT st;

  /* DB_NOMMAP: "Always copy this file into the local cache instead of
   * potentially mapping it into process memory": no gets served by mmap. */
  REQUIRE_OK(ct_mpf_open(env, &mpf, path, DB_RDONLY | DB_NOMMAP, PS));
  for (db_pgno_t i = 0; i < 4; ++i) {
    db_pgno_t pg = i;
    void *p = NULL;
    CHECK_OK(mpf->get(mpf, &pg, NULL, 0, &p));
    if (p == NULL) continue;
    CHECK_EQ(ct_page_number(p), i);
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  CHECK_OK(ct_stat(env, &st));
  CHECK_EQ(st.st_map, 0);
  CHECK_OK(mpf->close(mpf, 0));

  /* DB_ENV->set_mp_mmapsize: "Files that are opened read-only in the cache
   * (and that satisfy a few other criteria) are, by default, mapped into the
   * process address space instead of being copied into the local cache"
   * (st_map: "Requested pages mapped into the process' address space"). A
   * small read-only file of ftype 0 is such a file; the pages are the
   * file's. A file whose pages the cache already holds is not such a file
   * (the cache is the truth then), so this uses a file of its own. */
  const char *mapped = ct_path("flags-mapped.db");
  REQUIRE(ct_make_file(mapped, 4, PS, 0) == 0);
  CHECK_OK(env->memp_stat(env, NULL, NULL, DB_STAT_CLEAR));
  REQUIRE_OK(ct_mpf_open(env, &mpf, mapped, DB_RDONLY, PS));
  for (db_pgno_t i = 0; i < 4; ++i) {
    db_pgno_t pg = i;
    void *p = NULL;
    CHECK_OK(mpf->get(mpf, &pg, NULL, 0, &p));
    if (p == NULL) continue;
    CHECK_EQ(ct_page_number(p), i);
    CHECK(ct_all_bytes((char *)p + 4, PS - 4, (unsigned char)i));
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  CHECK_OK(ct_stat(env, &st));
  CHECK_EQ(st.st_map, 4);
  CHECK_OK(mpf->close(mpf, 0));

  /* DB_ENV->set_flags DB_NOMMAP: "Berkeley DB will copy read-only database
   * files into the local cache instead of potentially mapping them". */
  CHECK_OK(env->set_flags(env, DB_NOMMAP, 1));
  CHECK_OK(env->memp_stat(env, NULL, NULL, DB_STAT_CLEAR));
  REQUIRE_OK(ct_mpf_open(env, &mpf, mapped, DB_RDONLY, PS));
  db_pgno_t pg = 1;
  CHECK_OK(get_put(mpf, &pg, 0));
  CHECK_OK(ct_stat(env, &st));
  CHECK_EQ(st.st_map, 0);
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->set_flags(env, DB_NOMMAP, 0));

  /* DB_ENV->set_mp_mmapsize: "sets the maximum file size, in bytes, for a
   * file to be mapped into the process address space": a read-only file
   * larger than that is copied into the cache instead. */
  const char *big = ct_path("flags-big.db");
  REQUIRE(ct_make_file(big, 4, PS, 0) == 0);
  CHECK_OK(env->set_mp_mmapsize(env, 2 * PS));
  CHECK_OK(env->memp_stat(env, NULL, NULL, DB_STAT_CLEAR));
  REQUIRE_OK(ct_mpf_open(env, &mpf, big, DB_RDONLY, PS));
  pg = 3;
  CHECK_OK(get_put(mpf, &pg, 0));
  CHECK_OK(ct_stat(env, &st));
  CHECK_EQ(st.st_map, 0);
  CHECK_EQ(st.st_page_in, 1);
  CHECK_OK(mpf->close(mpf, 0));

  /* DB_DIRECT: "If set and supported by the system, turn off system
   * buffering of the file": accepted, and pages still go in and out. */
  REQUIRE_OK(ct_mpf_open(env, &mpf, path, DB_DIRECT, PS));
  pg = 2;
  void *p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_DIRTY, &p));
  if (p != NULL) {
    CHECK(ct_all_bytes((char *)p + 4, PS - 4, 0x02));
    memset((char *)p + 4, 0x77, PS - 4);
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  CHECK_OK(mpf->sync(mpf));
  unsigned char buf[PS];
  CHECK_EQ(ct_read_page(path, 2, PS, buf), PS);
  CHECK(ct_all_bytes(buf + 4, PS - 4, 0x77));
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

static void test_close(void) {
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(ct_mpf_open(env, &mpf, ct_path("close.db"), DB_CREATE, PS));
  /* DB_MPOOLFILE->close: "The flags parameter is currently unused, and must
   * be set to 0"; "After DB_MPOOLFILE->close() has been called, regardless
   * of its return, the DB_MPOOLFILE handle may not be accessed again." */
  CHECK_ERR(mpf->close(mpf, UNKNOWN_FLAG), EINVAL);
  CHECK_OK(env->close(env, 0));
}

/* ---------------------------------------------------------- clear_len */

/* Fills every frame of the cache with pages full of 0xEE, so that the next
 * pages made land in frames that held other data. */
static void dirty_the_frames(DB_MPOOLFILE *mpf, db_pgno_t first) {
  for (db_pgno_t i = first; i < first + 2 * FRAMES; ++i) {
    db_pgno_t pg = i;
    CHECK_OK(get_put(mpf, &pg, 0));
  }
}

static void test_clear_len(void) {
  const char *junk = ct_path("junk.db");
  REQUIRE(ct_make_file(junk, 2 * FRAMES, PS, 0xEE) == 0);
  /* Every byte of every page of junk.db except the page number is (p + 0xEE)
   * & 0xff, never 0 for p < 2 * FRAMES. */
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *jm = NULL, *mpf = NULL;
  REQUIRE_OK(ct_mpf_open(env, &jm, junk, DB_NOMMAP, PS));

  /* DB_MPOOLFILE->get: "Fully or partially created pages have all their
   * bytes set to a nul byte, unless the DB_MPOOLFILE->set_clear_len() method
   * was called"; set_clear_len: "If no clear length is specified, the entire
   * page is cleared when it is created." */
  REQUIRE_OK(ct_mpf_open(env, &mpf, ct_path("clear-default.db"), DB_CREATE, PS));
  u_int32_t len = 99;
  CHECK_OK(mpf->get_clear_len(mpf, &len));
  for (int k = 0; k < 2; ++k) {
    dirty_the_frames(jm, 0);
    db_pgno_t pg = 0;
    void *p = NULL;
    /* k == 0: DB_MPOOL_NEW; k == 1: DB_MPOOL_CREATE past the end. */
    if (k == 0) {
      CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p));
    } else {
      pg = 5;
      CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_CREATE, &p));
    }
    if (p == NULL) continue;
    CHECK(ct_all_bytes(p, PS, 0));
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  CHECK_OK(mpf->close(mpf, 0));

  /* set_clear_len: "sets the number of initial bytes in a page that should
   * be set to nul when the page is created"; get_clear_len returns it. */
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  CHECK_OK(mpf->set_clear_len(mpf, 32));
  len = 0;
  CHECK_OK(mpf->get_clear_len(mpf, &len));
  CHECK_EQ(len, 32);
  REQUIRE_OK(mpf->open(mpf, ct_path("clear-32.db"), DB_CREATE, 0, PS));
  /* "may not be called after the DB_MPOOLFILE->open() method is called" */
  CHECK_ERR(mpf->set_clear_len(mpf, 64), EINVAL);
  len = 0;
  CHECK_OK(mpf->get_clear_len(mpf, &len));
  CHECK_EQ(len, 32);
  for (int k = 0; k < 2; ++k) {
    dirty_the_frames(jm, 0);
    db_pgno_t pg = 0;
    void *p = NULL;
    if (k == 0) {
      CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p));
    } else {
      pg = 7;
      CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_CREATE, &p));
    }
    if (p == NULL) continue;
    CHECK(ct_all_bytes(p, 32, 0));
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  CHECK_OK(mpf->close(mpf, 0));

  /* "A value of 0 results in the entire page being set to nul bytes." */
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  CHECK_OK(mpf->set_clear_len(mpf, 0));
  REQUIRE_OK(mpf->open(mpf, ct_path("clear-0.db"), DB_CREATE, 0, PS));
  dirty_the_frames(jm, 0);
  db_pgno_t pg = 0;
  void *p = NULL;
  CHECK_OK(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p));
  if (p != NULL) {
    CHECK(ct_all_bytes(p, PS, 0));
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  CHECK_OK(mpf->close(mpf, 0));

  /* A clear length longer than the page is an invalid parameter. */
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  CHECK_OK(mpf->set_clear_len(mpf, PS + 1));
  CHECK_ERR(mpf->open(mpf, ct_path("clear-long.db"), DB_CREATE, 0, PS), EINVAL);
  mpf->close(mpf, 0);

  CHECK_OK(jm->close(jm, 0));
  CHECK_OK(env->close(env, 0));
}

/* ------------------------------------------------------------- fileid */

static void test_fileid(void) {
  const char *path = ct_path("fileid.db");
  const char *other = ct_path("fileid-other.db");
  const char *link_path = ct_path("fileid-link.db");
  REQUIRE(ct_make_file(path, 2, PS, 0) == 0);
  REQUIRE(ct_make_file(other, 2, PS, 0) == 0);
  REQUIRE(link(path, link_path) == 0);
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  u_int8_t id1[DB_FILE_ID_LEN], id2[DB_FILE_ID_LEN], id3[DB_FILE_ID_LEN];

  /* DB_MPOOLFILE->set_fileid: "the memory pool functions will use the file's
   * device and inode numbers for this purpose" by default: two handles on
   * one file -- even by two names (a hard link) -- have one id and share one
   * cached copy of each page; another file has another id. */
  DB_MPOOLFILE *a = NULL, *b = NULL, *c = NULL;
  REQUIRE_OK(ct_mpf_open(env, &a, path, 0, PS));
  REQUIRE_OK(ct_mpf_open(env, &b, link_path, 0, PS));
  REQUIRE_OK(ct_mpf_open(env, &c, other, 0, PS));
  CHECK_OK(a->get_fileid(a, id1));
  CHECK_OK(b->get_fileid(b, id2));
  CHECK_OK(c->get_fileid(c, id3));
  CHECK(memcmp(id1, id2, DB_FILE_ID_LEN) == 0);
  CHECK(memcmp(id1, id3, DB_FILE_ID_LEN) != 0);
  db_pgno_t pg = 1;
  void *pa = NULL, *pb = NULL;
  CHECK_OK(a->get(a, &pg, NULL, 0, &pa));
  CHECK_OK(b->get(b, &pg, NULL, 0, &pb));
  CHECK(pa != NULL && pa == pb);
  if (pa != NULL) CHECK_OK(a->put(a, pa, DB_PRIORITY_UNCHANGED, 0));
  if (pb != NULL) CHECK_OK(b->put(b, pb, DB_PRIORITY_UNCHANGED, 0));
  /* set_fileid: "may not be called after the DB_MPOOLFILE->open() method is
   * called." */
  CHECK_ERR(a->set_fileid(a, id3), EINVAL);
  CHECK_OK(c->close(c, 0));
  CHECK_OK(b->close(b, 0));
  CHECK_OK(a->close(a, 0));

  /* set_fileid: "specifies a unique identifier for the file": an id given
   * before open is the file's id (get_fileid returns it), and two names
   * given the same id are one file in the cache. */
  u_int8_t mine[DB_FILE_ID_LEN];
  for (int i = 0; i < DB_FILE_ID_LEN; ++i) mine[i] = (u_int8_t)(0xA0 + i);
  REQUIRE_OK(env->memp_fcreate(env, &a, 0));
  CHECK_OK(a->set_fileid(a, mine));
  REQUIRE_OK(a->open(a, path, 0, 0, PS));
  memset(id1, 0, sizeof id1);
  CHECK_OK(a->get_fileid(a, id1));
  CHECK(memcmp(id1, mine, DB_FILE_ID_LEN) == 0);
  REQUIRE_OK(env->memp_fcreate(env, &b, 0));
  CHECK_OK(b->set_fileid(b, mine));
  REQUIRE_OK(b->open(b, other, 0, 0, PS));
  pa = pb = NULL;
  pg = 0;
  CHECK_OK(a->get(a, &pg, NULL, 0, &pa));
  CHECK_OK(b->get(b, &pg, NULL, 0, &pb));
  CHECK(pa != NULL && pa == pb);
  if (pa != NULL) CHECK_OK(a->put(a, pa, DB_PRIORITY_UNCHANGED, 0));
  if (pb != NULL) CHECK_OK(b->put(b, pb, DB_PRIORITY_UNCHANGED, 0));
  CHECK_OK(b->close(b, 0));
  CHECK_OK(a->close(a, 0));
  CHECK_OK(env->close(env, 0));
}

/* ------------------------------------------------------------- set_flags */

static void test_unlink_flag(void) {
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  const char *path = ct_path("unlink.db");
  DB_MPOOLFILE *a = NULL, *b = NULL;
  REQUIRE_OK(ct_mpf_open(env, &a, path, DB_CREATE, PS));
  REQUIRE_OK(ct_mpf_open(env, &b, path, 0, PS));
  db_pgno_t pg = 0;
  CHECK_OK(get_put(a, &pg, DB_MPOOL_NEW));
  /* DB_MPOOLFILE->set_flags DB_MPOOL_UNLINK: "If set, remove the file when
   * the last reference to it is closed"; "may be used to configure Berkeley
   * DB at any time during the life of the application"; get_flags reports
   * it. */
  CHECK_OK(a->set_flags(a, DB_MPOOL_UNLINK, 1));
  u_int32_t flags = 0;
  CHECK_OK(a->get_flags(a, &flags));
  CHECK((flags & DB_MPOOL_UNLINK) != 0);
  CHECK_OK(a->close(a, 0));
  CHECK(ct_exists(path)); /* b is still open */
  CHECK_OK(b->close(b, 0));
  CHECK(!ct_exists(path));

  /* "If onoff is zero, the specified flags are cleared". */
  REQUIRE_OK(ct_mpf_open(env, &a, path, DB_CREATE, PS));
  CHECK_OK(a->set_flags(a, DB_MPOOL_UNLINK, 1));
  CHECK_OK(a->set_flags(a, DB_MPOOL_UNLINK, 0));
  flags = 0;
  CHECK_OK(a->get_flags(a, &flags));
  CHECK((flags & DB_MPOOL_UNLINK) == 0);
  CHECK_OK(a->close(a, 0));
  CHECK(ct_exists(path));

  /* Set before open, too. */
  REQUIRE_OK(env->memp_fcreate(env, &a, 0));
  CHECK_OK(a->set_flags(a, DB_MPOOL_UNLINK, 1));
  REQUIRE_OK(a->open(a, path, 0, 0, PS));
  CHECK_OK(a->close(a, 0));
  CHECK(!ct_exists(path));
  CHECK_OK(env->close(env, 0));
}

static void test_nofile_flag(void) {
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  const char *path = ct_path("nofile.db");
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  /* DB_MPOOL_NOFILE: "If set, no backing temporary file will be opened for
   * the specified in-memory database, even if it expands to fill the entire
   * cache. Attempts to create new database pages after the cache has been
   * filled will fail." */
  CHECK_OK(mpf->set_flags(mpf, DB_MPOOL_NOFILE, 1));
  u_int32_t flags = 0;
  CHECK_OK(mpf->get_flags(mpf, &flags));
  CHECK((flags & DB_MPOOL_NOFILE) != 0);
  REQUIRE_OK(mpf->open(mpf, path, DB_CREATE, 0, PS));
  u_int32_t made = 0;
  int ret = 0;
  for (u_int32_t i = 0; i < 4 * FRAMES; ++i) {
    db_pgno_t pg = 0;
    void *p = NULL;
    ret = mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p);
    if (ret != 0) break;
    memset(p, 0x30 + (int)pg, PS);
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
    ++made;
  }
  CHECK(ret != 0);
  CHECK_EQ(made, FRAMES);
  /* The pages made are all still there. */
  for (db_pgno_t i = 0; i < made; ++i) {
    db_pgno_t pg = i;
    void *p = NULL;
    CHECK_OK(mpf->get(mpf, &pg, NULL, 0, &p));
    if (p == NULL) continue;
    CHECK(ct_all_bytes(p, PS, (unsigned char)(0x30 + i)));
    CHECK_OK(mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0));
  }
  CHECK_OK(env->memp_sync(env, NULL));
  CHECK(!ct_exists(path));
  CHECK_OK(mpf->close(mpf, 0));
  CHECK(!ct_exists(path));
  CHECK_OK(env->close(env, 0));
}

/* --------------------------------------------- lsn_offset, priority */

static void test_lsn_offset(void) {
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  int32_t off = 0;
  /* set_lsn_offset / get_lsn_offset: the offset set is the offset returned;
   * "may not be called after the DB_MPOOLFILE->open() method is called". */
  CHECK_OK(mpf->set_lsn_offset(mpf, 24));
  CHECK_OK(mpf->get_lsn_offset(mpf, &off));
  CHECK_EQ(off, 24);
  REQUIRE_OK(mpf->open(mpf, ct_path("lsnoff.db"), DB_CREATE, 0, PS));
  CHECK_ERR(mpf->set_lsn_offset(mpf, 0), EINVAL);
  off = 0;
  CHECK_OK(mpf->get_lsn_offset(mpf, &off));
  CHECK_EQ(off, 24);
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

static void test_priority(void) {
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  DB_CACHE_PRIORITY pr = DB_PRIORITY_UNCHANGED;
  /* DB_MPOOLFILE->set_priority: "The priority parameter must be set to one
   * of the following values: DB_PRIORITY_VERY_LOW ... DB_PRIORITY_VERY_HIGH";
   * get_priority returns it. */
  const DB_CACHE_PRIORITY ok[] = {DB_PRIORITY_VERY_LOW, DB_PRIORITY_LOW, DB_PRIORITY_DEFAULT,
                                  DB_PRIORITY_HIGH, DB_PRIORITY_VERY_HIGH};
  for (size_t i = 0; i < 5; ++i) {
    CHECK_OK(mpf->set_priority(mpf, ok[i]));
    CHECK_OK(mpf->get_priority(mpf, &pr));
    CHECK_EQ(pr, ok[i]);
  }
  /* Anything else (DB_PRIORITY_UNCHANGED included) is EINVAL, and changes
   * nothing. */
  CHECK_ERR(mpf->set_priority(mpf, DB_PRIORITY_UNCHANGED), EINVAL);
  CHECK_ERR(mpf->set_priority(mpf, (DB_CACHE_PRIORITY)6), EINVAL);
  CHECK_ERR(mpf->set_priority(mpf, (DB_CACHE_PRIORITY)-1), EINVAL);
  CHECK_OK(mpf->get_priority(mpf, &pr));
  CHECK_EQ(pr, DB_PRIORITY_VERY_HIGH);
  /* "may be called at any time during the life of the application". */
  REQUIRE_OK(mpf->open(mpf, ct_path("prio.db"), DB_CREATE, 0, PS));
  CHECK_OK(mpf->set_priority(mpf, DB_PRIORITY_LOW));
  CHECK_OK(mpf->get_priority(mpf, &pr));
  CHECK_EQ(pr, DB_PRIORITY_LOW);
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

/* -------------------------------------------------------------- maxsize */

static void test_maxsize(void) {
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *mpf = NULL;
  u_int32_t g = 9, b = 9;
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  /* set_maxsize / get_maxsize: "Set the maximum size for the file to be
   * gbytes gigabytes plus bytes". */
  CHECK_OK(mpf->set_maxsize(mpf, 1, 0));
  CHECK_OK(mpf->get_maxsize(mpf, &g, &b));
  CHECK_EQ(g, 1);
  CHECK_EQ(b, 0);
  CHECK_OK(mpf->set_maxsize(mpf, 0, 4 * PS));
  CHECK_OK(mpf->get_maxsize(mpf, &g, &b));
  CHECK_EQ(g, 0);
  CHECK_EQ(b, 4 * PS);
  REQUIRE_OK(mpf->open(mpf, ct_path("maxsize.db"), DB_CREATE, 0, PS));
  /* "Attempts to allocate new pages in the file after the limit has been
   * reached will fail": a cap of four pages' bytes allows exactly four pages
   * (0..3); the fifth is ENOSPC, by DB_MPOOL_NEW or DB_MPOOL_CREATE. */
  for (db_pgno_t i = 0; i < 4; ++i) {
    db_pgno_t pg = 0;
    CHECK_OK(get_put(mpf, &pg, DB_MPOOL_NEW));
    CHECK_EQ(pg, i);
  }
  db_pgno_t pg = 0;
  void *p = NULL;
  CHECK_ERR(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p), ENOSPC);
  pg = 4;
  CHECK_ERR(mpf->get(mpf, &pg, NULL, DB_MPOOL_CREATE, &p), ENOSPC);
  pg = 9;
  CHECK_ERR(mpf->get(mpf, &pg, NULL, DB_MPOOL_CREATE, &p), ENOSPC);
  /* Pages within the cap are still there. */
  pg = 3;
  CHECK_OK(get_put(mpf, &pg, DB_MPOOL_CREATE));
  db_pgno_t last = 0;
  CHECK_OK(mpf->get_last_pgno(mpf, &last));
  CHECK_EQ(last, 3);
  /* "may be called at any time during the life of the application": raising
   * the cap after open lets the file grow again. */
  CHECK_OK(mpf->set_maxsize(mpf, 0, 6 * PS));
  pg = 0;
  CHECK_OK(get_put(mpf, &pg, DB_MPOOL_NEW));
  CHECK_EQ(pg, 4);
  pg = 5;
  CHECK_OK(get_put(mpf, &pg, DB_MPOOL_CREATE));
  pg = 0;
  CHECK_ERR(mpf->get(mpf, &pg, NULL, DB_MPOOL_NEW, &p), ENOSPC);
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

/* ----------------------------------------------- before-open-only setters */

static void test_setters_after_open(void) {
  DB_ENV *env = open_env();
  REQUIRE(env != NULL);
  env->set_errfile(env, NULL);
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(ct_mpf_open(env, &mpf, ct_path("after-open.db"), DB_CREATE, PS));
  u_int8_t id[DB_FILE_ID_LEN] = {1, 2, 3};
  DBT cookie;
  memset(&cookie, 0, sizeof cookie);
  cookie.data = id;
  cookie.size = 3;
  /* db.h: "The set_* methods that configure the file (clear_len, fileid,
   * ftype, lsn_offset, pgcookie) are EINVAL after open"; each manual page:
   * "may not be called after the DB_MPOOLFILE->open() method is called". */
  CHECK_ERR(mpf->set_clear_len(mpf, 8), EINVAL);
  CHECK_ERR(mpf->set_fileid(mpf, id), EINVAL);
  CHECK_ERR(mpf->set_ftype(mpf, 1), EINVAL);
  CHECK_ERR(mpf->set_lsn_offset(mpf, 8), EINVAL);
  CHECK_ERR(mpf->set_pgcookie(mpf, &cookie), EINVAL);
  /* get_flags, get_maxsize, get_clear_len: "may be called at any time". */
  u_int32_t u = 0, g = 0;
  CHECK_OK(mpf->get_flags(mpf, &u));
  CHECK_OK(mpf->get_maxsize(mpf, &g, &u));
  CHECK_OK(mpf->get_clear_len(mpf, &u));
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
}

int main(int argc, char **argv) {
  (void)argc;
  ct_begin(argv[0]);
  CT_RUN(test_open_create_and_enoent);
  CT_RUN(test_open_mode);
  CT_RUN(test_open_einval);
  CT_RUN(test_odd_file_size);
  CT_RUN(test_rdonly);
  CT_RUN(test_nommap_direct_and_mmap);
  CT_RUN(test_close);
  CT_RUN(test_clear_len);
  CT_RUN(test_fileid);
  CT_RUN(test_unlink_flag);
  CT_RUN(test_nofile_flag);
  CT_RUN(test_lsn_offset);
  CT_RUN(test_priority);
  CT_RUN(test_maxsize);
  CT_RUN(test_setters_after_open);
  return ct_end();
}
