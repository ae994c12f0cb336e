/*
 * env_messages_test.c: DB_ENV's error and message output: err/errx with
 * errcall/errfile/errpfx, library errors reaching errcall, msgfile/msgcall
 * with the stat_print methods, db_strerror and db_version. (Split from
 * env_test.c; the handle's life is there, configuration in
 * env_config_test.c.)
 *
 * Manual pages: db_env_create, DB_ENV->open, DB_ENV->close, DB_ENV->remove,
 * DB_ENV->set_* / get_*, DB_ENV->err, db_strerror, db_version (Berkeley DB
 * 5.3 C API), and the "pagepool:" notes in db.h where pagepool departs.
 */
#include "ctest_harness.h"

#define KB 1024u
#define MB (1024u * 1024u)
#define UNKNOWN_FLAG 0x40000000u

/* ------------------------------------------------------------ messages */

static int errcall_count;
static char errcall_pfx[256];
static char errcall_msg[1024];

static void errcall_record(const DB_ENV *env, const char *pfx, const char *msg) {
  (void)env;
  ++errcall_count;
  snprintf(errcall_pfx, sizeof errcall_pfx, "%s", pfx ? pfx : "(null)");
  snprintf(errcall_msg, sizeof errcall_msg, "%s", msg ? msg : "(null)");
}

static void test_err_errx(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(db_env_create(&env, 0));
  char got[2048], want[1024], strerr[512];

  /* DB_ENV->err: the message is "any prefix string specified using the
   * DB_ENV->set_errpfx() method, followed by ... a colon and a <space>", the
   * printf-style message, "a colon and a <space>", and "the standard error
   * string ... as returned by the db_strerror method"; "If a C library FILE *
   * has been set ... the error message is written to that output stream." */
  FILE *f = tmpfile();
  REQUIRE(f != NULL);
  env->set_errfile(env, f);
  env->set_errpfx(env, "pfx");
  env->err(env, ENOENT, "hello %d", 42);
  ct_slurp(f, got, sizeof got);
  snprintf(strerr, sizeof strerr, "%s", db_strerror(ENOENT));
  snprintf(want, sizeof want, "pfx: hello 42: %s", strerr);
  CHECK(strncmp(got, want, strlen(want)) == 0);
  CHECK(strchr(got, '\n') != NULL);
  if (strncmp(got, want, strlen(want)) != 0)
    fprintf(stderr, "  got \"%s\", expected \"%s\"\n", got, want);
  fclose(f);

  /* DB_ENV->err with a Berkeley DB error: its db_strerror string. */
  f = tmpfile();
  REQUIRE(f != NULL);
  env->set_errfile(env, f);
  env->err(env, DB_PAGE_NOTFOUND, "page %u", 7u);
  ct_slurp(f, got, sizeof got);
  snprintf(want, sizeof want, "pfx: page 7: %s", db_strerror(DB_PAGE_NOTFOUND));
  CHECK(strncmp(got, want, strlen(want)) == 0);
  fclose(f);

  /* DB_ENV->errx: as err, but without the separator and error string (it
   * takes no error value). */
  f = tmpfile();
  REQUIRE(f != NULL);
  env->set_errfile(env, f);
  env->errx(env, "plain %s", "text");
  ct_slurp(f, got, sizeof got);
  CHECK(strncmp(got, "pfx: plain text", 15) == 0);
  CHECK(strstr(got, strerr) == NULL);
  CHECK(strstr(got, "plain text: ") == NULL);
  fclose(f);

  /* DB_ENV->set_errcall: "If an error callback function has been set ...
   * that function is called with two parameters: any prefix string specified
   * ... and the error message"; the prefix is not put in the message ("If no
   * error callback function has been set ..., any prefix string"). */
  env->set_errfile(env, NULL);
  env->set_errcall(env, errcall_record);
  errcall_count = 0;
  env->err(env, EINVAL, "call %d", 7);
  CHECK_EQ(errcall_count, 1);
  CHECK_STR(errcall_pfx, "pfx");
  snprintf(want, sizeof want, "call 7: %s", db_strerror(EINVAL));
  CHECK_STR(errcall_msg, want);
  errcall_count = 0;
  env->errx(env, "x%d", 1);
  CHECK_EQ(errcall_count, 1);
  CHECK_STR(errcall_msg, "x1");
  /* Both configured: "If an error callback function has been set ..., that
   * function is called"; "If a C library FILE * has been set ..., the error
   * message is written to that output stream" -- each applies. */
  f = tmpfile();
  REQUIRE(f != NULL);
  env->set_errfile(env, f);
  errcall_count = 0;
  env->errx(env, "both %d", 2);
  CHECK_EQ(errcall_count, 1);
  CHECK_STR(errcall_msg, "both 2");
  ct_slurp(f, got, sizeof got);
  CHECK(strstr(got, "both 2") != NULL);
  env->set_errfile(env, NULL);
  fclose(f);
  /* "Setting db_errcall_fcn to NULL unconfigures the callback interface." */
  env->set_errcall(env, NULL);
  f = tmpfile();
  REQUIRE(f != NULL);
  env->set_errfile(env, f);
  errcall_count = 0;
  env->errx(env, "to the file");
  CHECK_EQ(errcall_count, 0);
  ct_slurp(f, got, sizeof got);
  CHECK(strstr(got, "to the file") != NULL);
  env->set_errfile(env, NULL);
  fclose(f);
  /* Without a prefix, the message starts with the message ("An optional
   * prefix string"). */
  f = tmpfile();
  REQUIRE(f != NULL);
  env->set_errfile(env, f);
  env->set_errpfx(env, NULL);
  env->errx(env, "no prefix");
  ct_slurp(f, got, sizeof got);
  CHECK(strncmp(got, "no prefix", 9) == 0);
  env->set_errfile(env, NULL);
  fclose(f);
  CHECK_OK(env->close(env, 0));
}

static void test_library_errors_reach_errcall(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, 256 * KB, 4096));
  env->set_errfile(env, NULL);
  env->set_errcall(env, errcall_record);
  errcall_count = 0;
  DB_MPOOLFILE *mpf = NULL;
  /* db.h (pagepool): a page size that is not a power of two from 512 to
   * 65536 is EINVAL at open, with a message; DB_ENV->set_errcall: "when an
   * error occurs, Berkeley DB will call db_errcall_fcn with additional error
   * information". */
  CHECK_ERR(ct_mpf_open(env, &mpf, ct_path("bigpages.db"), DB_CREATE, 131072), EINVAL);
  CHECK(errcall_count >= 1);
  CHECK(strlen(errcall_msg) > 0);
  CHECK_OK(env->close(env, 0));
}

static int msgcall_count;
static void msgcall_record(const DB_ENV *env, const char *msg) {
  (void)env;
  if (msg != NULL) ++msgcall_count;
}

static void test_msgfile_msgcall_stat_print(void) {
  DB_ENV *env = NULL;
  REQUIRE_OK(ct_env_open(&env, 256 * KB, 4096));
  /* DB_ENV->memp_stat_print: "The information is printed to a specified
   * output channel (see the DB_ENV->set_msgfile() method ...)". */
  FILE *f = tmpfile();
  REQUIRE(f != NULL);
  env->set_msgfile(env, f);
  CHECK_OK(env->memp_stat_print(env, 0));
  char got[8192];
  CHECK(ct_slurp(f, got, sizeof got) > 0);
  /* "or passed to an application callback function (see the
   * DB_ENV->set_msgcall() method ...)". */
  env->set_msgfile(env, NULL);
  env->set_msgcall(env, msgcall_record);
  msgcall_count = 0;
  CHECK_OK(env->memp_stat_print(env, 0));
  CHECK(msgcall_count > 0);
  /* memp_stat_print flags: "0 or ... DB_STAT_ALL, DB_STAT_CLEAR,
   * DB_STAT_MEMP_HASH". */
  CHECK_OK(env->memp_stat_print(env, DB_STAT_ALL));
  CHECK_OK(env->memp_stat_print(env, DB_STAT_MEMP_HASH));
  CHECK_OK(env->memp_stat_print(env, DB_STAT_CLEAR));
  CHECK_OK(env->memp_stat_print(env, DB_STAT_ALL | DB_STAT_CLEAR | DB_STAT_MEMP_HASH));
  env->set_errfile(env, NULL);
  CHECK_ERR(env->memp_stat_print(env, UNKNOWN_FLAG), EINVAL);
  env->set_msgcall(env, NULL);
  fclose(f);
  CHECK_OK(env->close(env, 0));
}

/* ------------------------------------------------- strerror and version */

static void test_db_strerror(void) {
  /* db_strerror: "If the error number error is greater than or equal to 0,
   * then the string returned by the system function strerror(3) is
   * returned." */
  const int errnos[] = {0, ENOENT, EINVAL, ENOMEM, ENOSPC, EACCES, EAGAIN, EIO};
  for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; ++i) {
    char want[512];
    snprintf(want, sizeof want, "%s", strerror(errnos[i]));
    CHECK_STR(db_strerror(errnos[i]), want);
  }
  /* "If the error number is less than 0, an error string appropriate to the
   * corresponding Berkeley DB library error is returned": one non-empty,
   * distinct string per error, none of them the unknown-error string. */
  const int codes[] = {DB_PAGE_NOTFOUND, DB_NOTFOUND,      DB_RUNRECOVERY,
                       DB_BUFFER_SMALL,  DB_LOCK_DEADLOCK, DB_VERSION_MISMATCH,
#ifdef DB_PAGEPOOL
                       DB_PP_INCOMPLETE
#endif
  };
  const size_t ncodes = sizeof codes / sizeof codes[0];
  char unknown[512];
  snprintf(unknown, sizeof unknown, "%s", db_strerror(-12345));
  char msgs[sizeof codes / sizeof codes[0]][512];
  for (size_t i = 0; i < ncodes; ++i) {
    const char *m = db_strerror(codes[i]);
    CHECK(m != NULL && m[0] != '\0');
    snprintf(msgs[i], sizeof msgs[i], "%s", m ? m : "");
    CHECK(strcmp(msgs[i], unknown) != 0);
  }
  for (size_t i = 0; i < ncodes; ++i)
    for (size_t j = i + 1; j < ncodes; ++j) CHECK(strcmp(msgs[i], msgs[j]) != 0);
  /* Berkeley DB's own strings name the error they describe. */
  CHECK(strstr(msgs[0], "DB_PAGE_NOTFOUND") != NULL);
}

static void test_db_version(void) {
  int major = -1, minor = -1, patch = -1;
  /* db_version: "returns a pointer to a string, suitable for display,
   * containing Berkeley DB version information"; "If major is non-NULL, the
   * major version ... is copied" (minor, patch likewise). */
  char *v = db_version(&major, &minor, &patch);
  REQUIRE(v != NULL);
  CHECK(v[0] != '\0');
  CHECK_STR(v, DB_VERSION_STRING);
  CHECK_EQ(major, DB_VERSION_MAJOR);
  CHECK_EQ(minor, DB_VERSION_MINOR);
  CHECK_EQ(patch, DB_VERSION_PATCH);
  CHECK_EQ(major, 5);
  CHECK_EQ(minor, 3);
  /* NULL arguments are allowed. */
  CHECK(db_version(NULL, NULL, NULL) != NULL);
}

int main(int argc, char **argv) {
  (void)argc;
  ct_begin(argv[0]);
  CT_RUN(test_err_errx);
  CT_RUN(test_library_errors_reach_errcall);
  CT_RUN(test_msgfile_msgcall_stat_print);
  CT_RUN(test_db_strerror);
  CT_RUN(test_db_version);
  return ct_end();
}
