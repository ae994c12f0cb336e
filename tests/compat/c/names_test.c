/*
 * names_test.c: the whole header surface of <db.h> for a program that uses
 * Berkeley DB 5.3's environment and memory pool (issue 13, part 2).
 *
 * First, a program that mentions the names: every error code (a generic
 * error switch), the flags of every DB_ENV and DB_MPOOLFILE method, the
 * types those take (db_threadid_t, DB_MEM_CONFIG, ...), and every method
 * db.h declares for messages, threads, failures and the settings pagepool
 * keeps. It must compile with -Wall -Wextra -Werror in C11 (CMakeLists).
 *
 * Then what the calls do (db.h's comments are the contract): a method for
 * something pagepool does not do returns EINVAL, or DB_OPNOTSUP where
 * Berkeley DB has it, with a message through the error callback, and changes
 * nothing; a setting pagepool keeps is read back; a before-open setter after
 * open is EINVAL and changes nothing.
 */
#include "ctest_harness.h"

/* -------------------------------------------------------------- the names */

/* A generic error switch as Berkeley DB programs write them: every code of
 * 5.3's public header must be a distinct constant expression (a duplicate
 * case or a missing name fails the build). */
static const char *code_name(int ret) {
  switch (ret) {
    case 0: return "ok";
    case DB_BUFFER_SMALL: return "DB_BUFFER_SMALL";
    case DB_DONOTINDEX: return "DB_DONOTINDEX";
    case DB_FOREIGN_CONFLICT: return "DB_FOREIGN_CONFLICT";
    case DB_HEAP_FULL: return "DB_HEAP_FULL";
    case DB_KEYEMPTY: return "DB_KEYEMPTY";
    case DB_KEYEXIST: return "DB_KEYEXIST";
    case DB_LOCK_DEADLOCK: return "DB_LOCK_DEADLOCK";
    case DB_LOCK_NOTGRANTED: return "DB_LOCK_NOTGRANTED";
    case DB_LOG_BUFFER_FULL: return "DB_LOG_BUFFER_FULL";
    case DB_LOG_VERIFY_BAD: return "DB_LOG_VERIFY_BAD";
    case DB_NOSERVER: return "DB_NOSERVER";
    case DB_NOTFOUND: return "DB_NOTFOUND";
    case DB_OLD_VERSION: return "DB_OLD_VERSION";
    case DB_PAGE_NOTFOUND: return "DB_PAGE_NOTFOUND";
    case DB_REP_DUPMASTER: return "DB_REP_DUPMASTER";
    case DB_REP_HANDLE_DEAD: return "DB_REP_HANDLE_DEAD";
    case DB_REP_HOLDELECTION: return "DB_REP_HOLDELECTION";
    case DB_REP_IGNORE: return "DB_REP_IGNORE";
    case DB_REP_ISPERM: return "DB_REP_ISPERM";
    case DB_REP_JOIN_FAILURE: return "DB_REP_JOIN_FAILURE";
    case DB_REP_LEASE_EXPIRED: return "DB_REP_LEASE_EXPIRED";
    case DB_REP_LOCKOUT: return "DB_REP_LOCKOUT";
    case DB_REP_NEWSITE: return "DB_REP_NEWSITE";
    case DB_REP_NOTPERM: return "DB_REP_NOTPERM";
    case DB_REP_UNAVAIL: return "DB_REP_UNAVAIL";
    case DB_REP_WOULDROLLBACK: return "DB_REP_WOULDROLLBACK";
    case DB_RUNRECOVERY: return "DB_RUNRECOVERY";
    case DB_SECONDARY_BAD: return "DB_SECONDARY_BAD";
    case DB_TIMEOUT: return "DB_TIMEOUT";
    case DB_VERIFY_BAD: return "DB_VERIFY_BAD";
    case DB_VERSION_MISMATCH: return "DB_VERSION_MISMATCH";
    case DB_CHKSUM_FAIL: return "DB_CHKSUM_FAIL";
    case DB_DELETED: return "DB_DELETED";
    case DB_EVENT_NOT_HANDLED: return "DB_EVENT_NOT_HANDLED";
    case DB_NEEDSPLIT: return "DB_NEEDSPLIT";
    case DB_REP_BULKOVF: return "DB_REP_BULKOVF";
    case DB_REP_LOGREADY: return "DB_REP_LOGREADY";
    case DB_REP_NEWMASTER: return "DB_REP_NEWMASTER";
    case DB_REP_PAGEDONE: return "DB_REP_PAGEDONE";
    case DB_SURPRISE_KID: return "DB_SURPRISE_KID";
    case DB_SWAPBYTES: return "DB_SWAPBYTES";
    case DB_TXN_CKP: return "DB_TXN_CKP";
    case DB_VERIFY_FATAL: return "DB_VERIFY_FATAL";
    case DB_PP_INCOMPLETE: return "DB_PP_INCOMPLETE";
    case DB_OPNOTSUP: return "DB_OPNOTSUP";
    case EINVAL: return "EINVAL";
    default: return "other";
  }
}

/* Flags of every method, OR'ed per method: each must be an integer constant
 * expression (file scope demands it). */
static const u_int32_t env_open_flags =
    DB_CREATE | DB_RECOVER | DB_USE_ENVIRON | DB_USE_ENVIRON_ROOT | DB_FAILCHK | DB_THREAD |
    DB_FAILCHK_ISALIVE | DB_INIT_CDB | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL |
    DB_INIT_MUTEX | DB_INIT_REP | DB_INIT_TXN | DB_LOCKDOWN | DB_PRIVATE | DB_RECOVER_FATAL |
    DB_REGISTER | DB_SYSTEM_MEM;
static const u_int32_t env_set_flags =
    DB_AUTO_COMMIT | DB_CDB_ALLDB | DB_DATABASE_LOCKING | DB_DIRECT_DB | DB_DSYNC_DB |
    DB_HOTBACKUP_IN_PROGRESS | DB_MULTIVERSION | DB_NOFLUSH | DB_NOLOCKING | DB_NOMMAP |
    DB_NOPANIC | DB_OVERWRITE | DB_PANIC_ENVIRONMENT | DB_REGION_INIT | DB_TIME_NOTGRANTED |
    DB_TXN_NOSYNC | DB_TXN_NOWAIT | DB_TXN_SNAPSHOT | DB_TXN_WRITE_NOSYNC | DB_YIELDCPU;
static const u_int32_t misc_flags = DB_FORCE | DB_FORCESYNC | DB_CXX_NO_EXCEPTIONS |
                                    DB_ENCRYPT | DB_ENCRYPT_AES | DB_MUTEX_PROCESS_ONLY;
static const u_int32_t timeout_flags = DB_SET_LOCK_TIMEOUT | DB_SET_TXN_TIMEOUT | DB_SET_REG_TIMEOUT;
static const u_int32_t verbose_flags =
    DB_VERB_BACKUP | DB_VERB_DEADLOCK | DB_VERB_FILEOPS | DB_VERB_FILEOPS_ALL |
    DB_VERB_RECOVERY | DB_VERB_REGISTER | DB_VERB_REPLICATION | DB_VERB_REPMGR_CONNFAIL |
    DB_VERB_REPMGR_MISC | DB_VERB_REP_ELECT | DB_VERB_REP_LEASE | DB_VERB_REP_MISC |
    DB_VERB_REP_MSGS | DB_VERB_REP_SYNC | DB_VERB_REP_SYSTEM | DB_VERB_REP_TEST |
    DB_VERB_WAITSFOR;
static const u_int32_t events[] = {
    DB_EVENT_PANIC, DB_EVENT_REG_ALIVE, DB_EVENT_REG_PANIC, DB_EVENT_REP_CLIENT,
    DB_EVENT_REP_CONNECT_BROKEN, DB_EVENT_REP_CONNECT_ESTD, DB_EVENT_REP_CONNECT_TRY_FAILED,
    DB_EVENT_REP_DUPMASTER, DB_EVENT_REP_ELECTED, DB_EVENT_REP_ELECTION_FAILED,
    DB_EVENT_REP_INIT_DONE, DB_EVENT_REP_JOIN_FAILURE, DB_EVENT_REP_LOCAL_SITE_REMOVED,
    DB_EVENT_REP_MASTER, DB_EVENT_REP_MASTER_FAILURE, DB_EVENT_REP_NEWMASTER,
    DB_EVENT_REP_PERM_FAILED, DB_EVENT_REP_SITE_ADDED, DB_EVENT_REP_SITE_REMOVED,
    DB_EVENT_REP_STARTUPDONE, DB_EVENT_REP_WOULD_ROLLBACK, DB_EVENT_WRITE_FAILED,
    DB_EVENT_NO_SUCH_EVENT};
static const u_int32_t mpf_flags =
    DB_DIRECT | DB_ODDFILESIZE | DB_EXTENT | DB_RDONLY | DB_TRUNCATE | DB_MPOOL_CREATE |
    DB_MPOOL_DIRTY | DB_MPOOL_EDIT | DB_MPOOL_FREE | DB_MPOOL_LAST | DB_MPOOL_NEW |
    DB_MPOOL_TRY | DB_MPOOL_DISCARD | DB_MPOOL_CLEAN | DB_MPOOL_NOFILE | DB_MPOOL_UNLINK |
    DB_MPOOL_NOLOCK;
static const u_int32_t stat_flags = DB_STAT_CLEAR | DB_STAT_SUBSYSTEM | DB_STAT_ALL |
                                    DB_STAT_ALLOC | DB_STAT_MEMP_HASH | DB_STAT_MEMP_NOERROR;
static const u_int32_t dbt_flags = DB_DBT_APPMALLOC | DB_DBT_ISSET | DB_DBT_MALLOC |
                                   DB_DBT_MULTIPLE | DB_DBT_PARTIAL | DB_DBT_REALLOC |
                                   DB_DBT_READONLY | DB_DBT_USERCOPY | DB_DBT_USERMEM;
static char thread_name[DB_THREADID_STRLEN];

/* The callbacks, with the types the methods take. */
static int calls_is_alive;
static void my_thread_id(DB_ENV *env, pid_t *pid, db_threadid_t *tid) {
  (void)env;
  if (pid) *pid = getpid();
  if (tid) *tid = pthread_self();
}
static char *my_thread_id_string(DB_ENV *env, pid_t pid, db_threadid_t tid, char *buf) {
  (void)env;
  (void)tid;
  snprintf(buf, DB_THREADID_STRLEN, "%ld", (long)pid);
  return buf;
}
static int my_is_alive(DB_ENV *env, pid_t pid, db_threadid_t tid, u_int32_t flags) {
  (void)env;
  (void)pid;
  (void)tid;
  (void)flags;
  ++calls_is_alive;
  return 1;
}
static void my_event(DB_ENV *env, u_int32_t event, void *info) {
  (void)env;
  (void)event;
  (void)info;
}
static void my_feedback(DB_ENV *env, int opcode, int pct) {
  (void)env;
  (void)opcode;
  (void)pct;
}
static void my_panic(DB_ENV *env, int error) {
  (void)env;
  (void)error;
}

/* Error and informational messages, as the callbacks receive them. */
static char last_error[1024];
static int n_errors;
static void on_error(const DB_ENV *env, const char *pfx, const char *msg) {
  (void)env;
  (void)pfx;
  snprintf(last_error, sizeof last_error, "%s", msg);
  ++n_errors;
}
static char messages[8192];
static void on_message(const DB_ENV *env, const char *msg) {
  (void)env;
  size_t used = strlen(messages);
  snprintf(messages + used, sizeof messages - used, "%s\n", msg);
}

static DB_ENV *new_env(void) {
  DB_ENV *env = NULL;
  if (db_env_create(&env, 0) != 0) return NULL;
  env->set_errcall(env, on_error);
  n_errors = 0;
  last_error[0] = '\0';
  return env;
}

/* The call failed with `want`, and said why through errcall (a message
 * containing `word`). */
#define CHECK_REFUSED(expr, want, word)                               \
  do {                                                                \
    int before_ = n_errors;                                           \
    CHECK_ERR((expr), (want));                                        \
    CHECK(n_errors == before_ + 1);                                   \
    CHECK(strstr(last_error, (word)) != NULL);                        \
  } while (0)

/* ------------------------------------------------------------------ tests */

static void test_names_are_distinct_and_described(void) {
  /* Every code has a name of its own in the switch and a description. */
  static const int codes[] = {
      DB_BUFFER_SMALL, DB_DONOTINDEX, DB_FOREIGN_CONFLICT, DB_HEAP_FULL, DB_KEYEMPTY,
      DB_KEYEXIST, DB_LOCK_DEADLOCK, DB_LOCK_NOTGRANTED, DB_LOG_BUFFER_FULL,
      DB_LOG_VERIFY_BAD, DB_NOSERVER, DB_NOTFOUND, DB_OLD_VERSION, DB_PAGE_NOTFOUND,
      DB_REP_DUPMASTER, DB_REP_HANDLE_DEAD, DB_REP_HOLDELECTION, DB_REP_IGNORE, DB_REP_ISPERM,
      DB_REP_JOIN_FAILURE, DB_REP_LEASE_EXPIRED, DB_REP_LOCKOUT, DB_REP_NEWSITE,
      DB_REP_NOTPERM, DB_REP_UNAVAIL, DB_REP_WOULDROLLBACK, DB_RUNRECOVERY, DB_SECONDARY_BAD,
      DB_TIMEOUT, DB_VERIFY_BAD, DB_VERSION_MISMATCH, DB_PP_INCOMPLETE};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; ++i) {
    CHECK(strcmp(code_name(codes[i]), "other") != 0);
    CHECK(db_strerror(codes[i]) != NULL && strncmp(db_strerror(codes[i]), "Unknown", 7) != 0);
  }
  /* Berkeley DB 5.3's values, which programs may have stored. */
  CHECK_EQ(DB_BUFFER_SMALL, -30999);
  CHECK_EQ(DB_NOTFOUND, -30988);
  CHECK_EQ(DB_PAGE_NOTFOUND, -30986);
  CHECK_EQ(DB_RUNRECOVERY, -30973);
  CHECK_EQ(DB_VERSION_MISMATCH, -30969);
  CHECK_EQ(DB_VERIFY_FATAL, -30887);
  CHECK_EQ(DB_INCOMPLETE, DB_PP_INCOMPLETE);
  CHECK_EQ(DB_THREADID_STRLEN, 128);
  CHECK(env_open_flags != 0 && env_set_flags != 0 && misc_flags != 0 && timeout_flags == 7);
  CHECK(verbose_flags == 0x1ffff && mpf_flags != 0 && stat_flags == 0x3f && dbt_flags != 0);
  CHECK_EQ(sizeof events / sizeof events[0], 23u);
  for (u_int32_t i = 0; i + 1 < sizeof events / sizeof events[0]; ++i) CHECK_EQ(events[i], i);
  CHECK_EQ(DB_MEM_THREAD, 6);
  thread_name[0] = '\0';
}

static void test_unsupported_methods_say_so_and_change_nothing(void) {
  DB_ENV *env = new_env();
  REQUIRE(env != NULL);
  const char **dirs = (const char **)1;
  const char *dir = "x";
  u_int32_t flags = 77;

  CHECK_REFUSED(env->set_data_dir(env, ct_dir), EINVAL, "data directories");
  CHECK_REFUSED(env->add_data_dir(env, ct_dir), EINVAL, "data directories");
  CHECK_REFUSED(env->set_create_dir(env, ct_dir), EINVAL, "data directories");
  CHECK_REFUSED(env->set_metadata_dir(env, ct_dir), EINVAL, "data directories");
  CHECK_OK(env->get_data_dirs(env, &dirs));
  CHECK(dirs == NULL);
  CHECK_OK(env->get_create_dir(env, &dir));
  CHECK(dir == NULL);
  dir = "x";
  CHECK_OK(env->get_metadata_dir(env, &dir));
  CHECK(dir == NULL);

  CHECK_REFUSED(env->set_encrypt(env, "secret", DB_ENCRYPT_AES), DB_OPNOTSUP, "cryptography");
  CHECK_REFUSED(env->get_encrypt_flags(env, &flags), DB_OPNOTSUP, "cryptography");
  CHECK_EQ(flags, 77u);
  CHECK_REFUSED(env->fileid_reset(env, "f.db", 0), EINVAL, "no database file format");
  CHECK_REFUSED(env->lsn_reset(env, "f.db", DB_ENCRYPT), EINVAL, "no database file format");
  CHECK_REFUSED(env->lsn_reset(env, "f.db", 0x100), EINVAL, "unknown flags");

  /* Flags of subsystems pagepool lacks: EINVAL, and the flags stay. */
  CHECK_OK(env->set_flags(env, DB_NOMMAP, 1));
  CHECK_REFUSED(env->set_flags(env, DB_TXN_NOSYNC, 1), EINVAL, "DB_NOMMAP");
  CHECK_REFUSED(env->set_flags(env, DB_NOMMAP | DB_PANIC_ENVIRONMENT, 1), EINVAL, "DB_NOMMAP");
  CHECK_OK(env->get_flags(env, &flags));
  CHECK_EQ(flags, (u_int32_t)DB_NOMMAP);
  CHECK_REFUSED(env->open(env, ct_dir, DB_CREATE | DB_INIT_MPOOL | DB_INIT_TXN, 0), EINVAL,
                "DB_INIT_TXN");

  /* The refusals changed nothing: the environment opens and works. */
  REQUIRE_OK(env->open(env, ct_dir, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0));
  DB_MPOOLFILE *mpf = NULL;
  REQUIRE_OK(env->memp_fcreate(env, &mpf, 0));
  CHECK_REFUSED(mpf->set_flags(mpf, DB_MPOOL_NOLOCK, 1), EINVAL, "invalid flags");
  CHECK_OK(mpf->get_flags(mpf, &flags));
  CHECK_EQ(flags, 0u);
  CHECK_OK(mpf->open(mpf, "names.db", DB_CREATE, 0, 4096));
  CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->get_data_dirs(env, &dirs));
  CHECK(dirs == NULL);
  CHECK_OK(env->close(env, 0));
}

static void test_kept_settings_read_back_and_bad_input_changes_nothing(void) {
  DB_ENV *env = new_env();
  REQUIRE(env != NULL);
  int onoff = -1;
  CHECK_OK(env->set_verbose(env, DB_VERB_FILEOPS, 1));
  CHECK_OK(env->get_verbose(env, DB_VERB_FILEOPS, &onoff));
  CHECK_EQ(onoff, 1);
  CHECK_OK(env->get_verbose(env, DB_VERB_RECOVERY, &onoff));
  CHECK_EQ(onoff, 0);
  CHECK_REFUSED(env->set_verbose(env, DB_VERB_FILEOPS | DB_VERB_RECOVERY, 0), EINVAL, "DB_VERB");
  CHECK_REFUSED(env->set_verbose(env, 0x80000000u, 1), EINVAL, "DB_VERB");
  CHECK_OK(env->get_verbose(env, DB_VERB_FILEOPS, &onoff));
  CHECK_EQ(onoff, 1);

  db_timeout_t t = 0;
  CHECK_OK(env->set_timeout(env, 5000, DB_SET_LOCK_TIMEOUT));
  CHECK_OK(env->set_timeout(env, 7000, DB_SET_TXN_TIMEOUT));
  CHECK_REFUSED(env->set_timeout(env, 9, 0x40), EINVAL, "DB_SET_LOCK_TIMEOUT");
  CHECK_OK(env->get_timeout(env, &t, DB_SET_LOCK_TIMEOUT));
  CHECK_EQ(t, 5000u);
  CHECK_OK(env->get_timeout(env, &t, DB_SET_TXN_TIMEOUT));
  CHECK_EQ(t, 7000u);

  long key = 0;
  CHECK_OK(env->set_shm_key(env, 4242));
  CHECK_OK(env->get_shm_key(env, &key));
  CHECK_EQ(key, 4242);

  const char *mode = NULL;
  CHECK_OK(env->set_intermediate_dir_mode(env, "rwxr-x---"));
  CHECK_REFUSED(env->set_intermediate_dir_mode(env, "rwxrwxrwz"), EINVAL, "illegal mode");
  CHECK_REFUSED(env->set_intermediate_dir_mode(env, "rwx"), EINVAL, "illegal mode");
  CHECK_OK(env->get_intermediate_dir_mode(env, &mode));
  CHECK_STR(mode, "rwxr-x---");

  u_int32_t n = 0, gb = 9, bytes = 9;
  CHECK_OK(env->set_memory_init(env, DB_MEM_LOCKER, 300));
  CHECK_REFUSED(env->set_memory_init(env, (DB_MEM_CONFIG)9, 1), EINVAL, "object type");
  CHECK_OK(env->get_memory_init(env, DB_MEM_LOCKER, &n));
  CHECK_EQ(n, 300u);
  CHECK_OK(env->set_memory_max(env, 1, 4096));
  CHECK_OK(env->get_memory_max(env, &gb, &bytes));
  CHECK_EQ(gb, 1u);
  CHECK_EQ(bytes, 4096u);
  CHECK_OK(env->set_data_len(env, 80));
  CHECK_OK(env->get_data_len(env, &n));
  CHECK_EQ(n, 80u);

  void *(*m)(size_t) = NULL;
  void *(*r)(void *, size_t) = NULL;
  void (*f)(void *) = NULL;
  CHECK_OK(env->set_alloc(env, malloc, realloc, free));
  CHECK_OK(env->get_alloc(env, &m, &r, &f));
  CHECK(m == malloc && r == realloc && f == free);
  CHECK(env->is_bigendian() == 0 || env->is_bigendian() == 1);

  /* Before-open setters after open: EINVAL, and the value stays. */
  REQUIRE_OK(env->open(env, ct_dir, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0));
  CHECK_REFUSED(env->set_shm_key(env, 1), EINVAL, "after handle's open");
  CHECK_REFUSED(env->set_intermediate_dir_mode(env, "rwx------"), EINVAL, "after handle's open");
  CHECK_REFUSED(env->set_memory_max(env, 0, 1), EINVAL, "after handle's open");
  CHECK_OK(env->get_shm_key(env, &key));
  CHECK_EQ(key, 4242);
  CHECK_OK(env->get_intermediate_dir_mode(env, &mode));
  CHECK_STR(mode, "rwxr-x---");
  CHECK_OK(env->set_timeout(env, 1, DB_SET_REG_TIMEOUT)); /* any time */
  CHECK_OK(env->close(env, 0));
}

static void test_threads_and_failures(void) {
  DB_ENV *env = new_env();
  REQUIRE(env != NULL);
  u_int32_t count = 9;
  CHECK_OK(env->set_thread_count(env, 8));
  CHECK_OK(env->get_thread_count(env, &count));
  CHECK_EQ(count, 8u);

  void (*tid_fn)(DB_ENV *, pid_t *, db_threadid_t *) = NULL;
  char *(*tid_str)(DB_ENV *, pid_t, db_threadid_t, char *) = NULL;
  int (*alive)(DB_ENV *, pid_t, db_threadid_t, u_int32_t) = NULL;
  void (*fb)(DB_ENV *, int, int) = NULL;
  CHECK_OK(env->set_thread_id(env, my_thread_id));
  CHECK_OK(env->get_thread_id_fn(env, &tid_fn));
  CHECK(tid_fn == my_thread_id);
  CHECK_OK(env->set_thread_id_string(env, my_thread_id_string));
  CHECK_OK(env->get_thread_id_string_fn(env, &tid_str));
  CHECK(tid_str == my_thread_id_string);
  CHECK_OK(env->set_event_notify(env, my_event));
  CHECK_OK(env->set_feedback(env, my_feedback));
  CHECK_OK(env->get_feedback(env, &fb));
  CHECK(fb == my_feedback);
  CHECK_OK(env->set_paniccall(env, my_panic));

  /* failchk: after open, with is_alive set, flags 0. */
  CHECK_REFUSED(env->failchk(env, 0), EINVAL, "before handle's open");
  REQUIRE_OK(env->open(env, ct_dir, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE | DB_THREAD, 0));
  CHECK_REFUSED(env->failchk(env, 0), EINVAL, "set_isalive");
  CHECK_OK(env->set_isalive(env, my_is_alive));
  CHECK_OK(env->get_isalive(env, &alive));
  CHECK(alive == my_is_alive);
  CHECK_REFUSED(env->failchk(env, 1), EINVAL, "unknown flags");
  CHECK_OK(env->failchk(env, 0));
  CHECK_REFUSED(env->set_thread_count(env, 99), EINVAL, "after handle's open");
  CHECK_OK(env->get_thread_count(env, &count));
  CHECK_EQ(count, 8u);
  CHECK_OK(env->close(env, 0));
}

static void test_messages_reach_msgcall(void) {
  DB_ENV *env = new_env();
  REQUIRE(env != NULL);
  void (*mc)(const DB_ENV *, const char *) = NULL;
  env->set_msgcall(env, on_message);
  env->get_msgcall(env, &mc);
  CHECK(mc == on_message);
  CHECK_REFUSED(env->stat_print(env, 0), EINVAL, "before handle's open");
  CHECK_REFUSED(env->stat_print(env, 0x100), EINVAL, "unknown flags");
  REQUIRE_OK(env->open(env, ct_dir, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0));
  messages[0] = '\0';
  CHECK_OK(env->stat_print(env, DB_STAT_ALL));
  CHECK(strlen(messages) > 0);
  CHECK_OK(env->close(env, 0));
}

int main(int argc, char **argv) {
  (void)argc;
  ct_begin(argv[0]);
  CT_RUN(test_names_are_distinct_and_described);
  CT_RUN(test_unsupported_methods_say_so_and_change_nothing);
  CT_RUN(test_kept_settings_read_back_and_bad_input_changes_nothing);
  CT_RUN(test_threads_and_failures);
  CT_RUN(test_messages_reach_msgcall);
  return ct_end();
}
