/*
 * mpf_open_test.c: DB_MPOOLFILE->open and close with every open flag:
 * creating and ENOENT, the mode of a created file, invalid arguments, a file
 * whose size is not a whole number of pages, DB_RDONLY, DB_NOMMAP / DB_DIRECT
 * and memory mapping (DB_ENV->set_mp_mmapsize, DB_ENV->set_flags DB_NOMMAP),
 * and close. The file configuration methods are in mpf_config_test.c.
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
  /* A page size past the largest BDB accepts (64 KiB) or below 512. */
  CHECK_ERR(ct_mpf_open(env, &mpf, ct_path("einval-big.db"), DB_CREATE, 131072), EINVAL);
  CHECK_ERR(ct_mpf_open(env, &mpf, ct_path("einval-small.db"), DB_CREATE, 256), EINVAL);
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
  return ct_end();
}
