/*
 * env_processes_test.c: a DB_ENV opened without DB_PRIVATE is the home's, and
 * its process registers there (pagepool/pool.hpp, pool_options::home; issue
 * 14 part 1). Pages are not yet shared between processes, so a second live
 * process is refused with EAGAIN and a message naming the first and
 * DB_PRIVATE, rather than given a second cache of the same files; a
 * DB_PRIVATE environment is always private. DB_ENV->remove is EBUSY while a
 * process is attached, unless DB_FORCE. A registry of another version is
 * DB_VERSION_MISMATCH. Without DB_CREATE a home with no environment is
 * ENOENT. An environment, and its DB_MPOOLFILE's page methods, used in a
 * forked child fail with EINVAL and a message naming fork.
 *
 * The other process is this program exec'd again ("hold DIR"), never only
 * forked, except where fork itself is the subject.
 *
 * Manual pages: DB_ENV->open (DB_CREATE, DB_PRIVATE, DB_REGISTER,
 * DB_FAILCHK), DB_ENV->remove (DB_FORCE), DB_ENV->failchk.
 */
#include "ctest_harness.h" /* first: it sets _DEFAULT_SOURCE */

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

static const char *self_exe;
static char last_error[1024];

static void record_error(const DB_ENV *env, const char *pfx, const char *msg) {
  (void)env;
  (void)pfx;
  snprintf(last_error, sizeof last_error, "%s", msg);
}

/* Opens an environment in dir with flags; the result, the handle in *out
 * (closed and NULL on failure). */
static int open_env(DB_ENV **out, const char *dir, u_int32_t flags) {
  DB_ENV *env = NULL;
  int ret;
  *out = NULL;
  last_error[0] = '\0';
  if ((ret = db_env_create(&env, 0)) != 0) return ret;
  env->set_errcall(env, record_error);
  if ((ret = env->open(env, dir, flags, 0)) != 0) {
    env->close(env, 0);
    return ret;
  }
  *out = env;
  return 0;
}

static int remove_env(const char *dir, u_int32_t flags) {
  DB_ENV *env = NULL;
  int ret;
  last_error[0] = '\0';
  if ((ret = db_env_create(&env, 0)) != 0) return ret;
  env->set_errcall(env, record_error);
  return env->remove(env, dir, flags);
}

/* ---------------------------------------------------- the other process */

struct holder {
  pid_t pid;
  int to, from;
};

/* Starts "self hold dir" and waits for its "ready" line. */
static int start_holder(struct holder *h, const char *dir) {
  int in[2], out[2];
  posix_spawn_file_actions_t fa;
  char *argv[4];
  char line[64];
  size_t got = 0;
  if (pipe(in) != 0 || pipe(out) != 0) return -1;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addclose(&fa, in[1]);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  argv[0] = (char *)self_exe;
  argv[1] = (char *)"hold";
  argv[2] = (char *)dir;
  argv[3] = NULL;
  if (posix_spawn(&h->pid, self_exe, &fa, NULL, argv, environ) != 0) return -1;
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  h->to = in[1];
  h->from = out[0];
  while (got < sizeof line - 1) {
    struct pollfd p = {h->from, POLLIN, 0};
    if (poll(&p, 1, 20000) <= 0) return -1;
    if (read(h->from, line + got, 1) != 1) return -1;
    if (line[got] == '\n') break;
    ++got;
  }
  line[got] = '\0';
  return strcmp(line, "ready") == 0 ? 0 : -1;
}

/* Kills it (SIGKILL) or lets it finish (closes its stdin); its status. */
static int stop_holder(struct holder *h, int kill_it) {
  int st = 0;
  if (kill_it) kill(h->pid, SIGKILL);
  close(h->to);
  waitpid(h->pid, &st, 0);
  close(h->from);
  return st;
}

static int hold(const char *dir) {
  DB_ENV *env;
  char buf[16];
  if (open_env(&env, dir, DB_CREATE | DB_INIT_MPOOL) != 0) return 3;
  printf("ready\n");
  fflush(stdout);
  while (read(0, buf, sizeof buf) > 0) {
  }
  return env->close(env, 0) == 0 ? 0 : 4;
}

/* ---------------------------------------------------------------- tests */

static void test_a_second_process_is_refused_with_a_message(void) {
  struct holder h;
  DB_ENV *env;
  char pid_text[32];
  REQUIRE(start_holder(&h, ct_dir) == 0);
  CHECK_ERR(open_env(&env, ct_dir, DB_CREATE | DB_INIT_MPOOL), EAGAIN);
  snprintf(pid_text, sizeof pid_text, "process %d", (int)h.pid);
  CHECK(strstr(last_error, pid_text) != NULL);
  CHECK(strstr(last_error, "DB_PRIVATE") != NULL);
  /* DB_PRIVATE: a cache of this process's own, whoever else is attached. */
  CHECK_OK(open_env(&env, ct_dir, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE));
  if (env) CHECK_OK(env->close(env, 0));
  /* It finishes normally: the home is free again. */
  CHECK(WIFEXITED(stop_holder(&h, 0)));
  CHECK_OK(open_env(&env, ct_dir, DB_CREATE | DB_INIT_MPOOL));
  if (env) CHECK_OK(env->close(env, 0));
}

static void test_a_second_handle_in_this_process_is_refused_with_a_message(void) {
  DB_ENV *first, *second;
  REQUIRE(open_env(&first, ct_dir, DB_CREATE | DB_INIT_MPOOL) == 0);
  CHECK_ERR(open_env(&second, ct_dir, DB_CREATE | DB_INIT_MPOOL), EAGAIN);
  CHECK(strstr(last_error, "another DB_ENV handle of this process") != NULL);
  CHECK_OK(first->close(first, 0));
  CHECK_OK(open_env(&second, ct_dir, DB_CREATE | DB_INIT_MPOOL));
  if (second) CHECK_OK(second->close(second, 0));
  CHECK_OK(remove_env(ct_dir, 0));
}

static void test_remove_is_busy_until_the_holder_dies_or_force(void) {
  struct holder h;
  DB_ENV *env;
  const char *reg = ct_path("__pagepool.registry");
  REQUIRE(start_holder(&h, ct_dir) == 0);
  CHECK_ERR(remove_env(ct_dir, 0), EBUSY);
  CHECK(strstr(last_error, "DB_FORCE") != NULL);
  CHECK(ct_exists(reg));
  CHECK(WIFSIGNALED(stop_holder(&h, 1)));
  /* A stale environment (its only process died) is joined... */
  CHECK_OK(open_env(&env, ct_dir, DB_INIT_MPOOL));
  CHECK_ERR(remove_env(ct_dir, 0), EBUSY); /* ...and is this process's now */
  if (env) CHECK_OK(env->close(env, 0));
  CHECK_OK(remove_env(ct_dir, 0));
  CHECK(!ct_exists(reg));
  CHECK_OK(remove_env(ct_dir, 0)); /* nothing to remove */
  REQUIRE(start_holder(&h, ct_dir) == 0);
  CHECK_OK(remove_env(ct_dir, DB_FORCE));
  CHECK(!ct_exists(reg));
  CHECK(WIFEXITED(stop_holder(&h, 0)));
}

static void test_a_registry_of_another_version_is_a_mismatch(void) {
  DB_ENV *env;
  FILE *f = fopen(ct_path("__pagepool.registry"), "w");
  REQUIRE(f != NULL);
  fputs("a file of some other program, long enough to be read as a header", f);
  fclose(f);
  CHECK_ERR(open_env(&env, ct_dir, DB_CREATE | DB_INIT_MPOOL), DB_VERSION_MISMATCH);
  CHECK(strstr(last_error, "DB_FORCE") != NULL);
  CHECK_OK(remove_env(ct_dir, DB_FORCE));
  CHECK_OK(open_env(&env, ct_dir, DB_CREATE | DB_INIT_MPOOL));
  if (env) CHECK_OK(env->close(env, 0));
  CHECK_OK(remove_env(ct_dir, 0));
}

static void test_without_create_no_environment_is_enoent(void) {
  DB_ENV *env;
  CHECK_ERR(open_env(&env, ct_dir, DB_INIT_MPOOL), ENOENT);
  CHECK(!ct_exists(ct_path("__pagepool.registry")));
  /* A private environment has nothing to find: DB_CREATE is not needed. */
  CHECK_OK(open_env(&env, ct_dir, DB_INIT_MPOOL | DB_PRIVATE));
  if (env) CHECK_OK(env->close(env, 0));
}

static int alive(DB_ENV *env, pid_t pid, db_threadid_t tid, u_int32_t flags) {
  (void)env;
  (void)tid;
  (void)flags;
  return kill(pid, 0) == 0;
}

static void test_register_and_failchk_are_accepted(void) {
  DB_ENV *env = NULL;
  REQUIRE(db_env_create(&env, 0) == 0);
  env->set_errcall(env, record_error);
  CHECK_OK(env->set_isalive(env, alive));
  CHECK_OK(env->open(env, ct_dir, DB_CREATE | DB_INIT_MPOOL | DB_REGISTER | DB_FAILCHK, 0));
  CHECK_OK(env->failchk(env, 0));
  CHECK_OK(env->close(env, 0));
  CHECK_OK(remove_env(ct_dir, 0));
}

static void test_an_environment_used_in_a_forked_child_fails(void) {
  DB_ENV *env;
  DB_MPOOLFILE *mpf = NULL, *data = NULL;
  db_pgno_t pg = 0;
  void *held = NULL;
  pid_t pid;
  int st = 0;
  REQUIRE(open_env(&env, ct_dir, DB_CREATE | DB_INIT_MPOOL) == 0);
  /* A file with page 0 pinned across the fork. */
  REQUIRE(env->memp_fcreate(env, &data, 0) == 0);
  REQUIRE(data->open(data, "forked.db", DB_CREATE, 0600, 4096) == 0);
  REQUIRE(data->get(data, &pg, NULL, DB_MPOOL_CREATE, &held) == 0);
  fflush(stdout);
  pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int bad = 0;
    DB_MPOOLFILE *m = NULL;
    /* The file handle's page methods refuse, and say why (first: DB_ENV->close
       below frees the environment handle, as it always does). */
    last_error[0] = '\0';
    {
      db_pgno_t p1 = 0;
      void *page = NULL;
      if (data->get(data, &p1, NULL, 0, &page) != EINVAL) bad |= 16;
    }
    if (strstr(last_error, "DB_MPOOLFILE->get") == NULL || strstr(last_error, "fork") == NULL)
      bad |= 32;
    last_error[0] = '\0';
    if (data->put(data, held, DB_PRIORITY_UNCHANGED, 0) != EINVAL) bad |= 64;
    if (strstr(last_error, "fork") == NULL) bad |= 128;
    if (data->set(data, held, DB_MPOOL_DIRTY) != EINVAL) bad |= 64;
    if (env->memp_fcreate(env, &m, 0) != EINVAL) bad |= 1;
    if (strstr(last_error, "fork") == NULL) bad |= 2;
    if (env->memp_sync(env, NULL) != EINVAL) bad |= 4;
    if (env->close(env, 0) != EINVAL) bad |= 8;
    _exit(bad);
  }
  CHECK(waitpid(pid, &st, 0) == pid);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    printf("the child: exit status %d, signal %d (bits: failed checks)\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1,
           WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  /* The parent's pin is its own to put. */
  CHECK_OK(data->put(data, held, DB_PRIORITY_UNCHANGED, 0));
  CHECK_OK(data->close(data, 0));
  /* The parent's environment is untouched. */
  CHECK_OK(env->memp_fcreate(env, &mpf, 0));
  if (mpf) CHECK_OK(mpf->close(mpf, 0));
  CHECK_OK(env->close(env, 0));
  CHECK_OK(remove_env(ct_dir, 0));
}

int main(int argc, char **argv) {
  self_exe = argv[0];
  if (argc == 3 && strcmp(argv[1], "hold") == 0) return hold(argv[2]);
  ct_begin(argv[0]);
  CT_RUN(test_a_second_process_is_refused_with_a_message);
  CT_RUN(test_a_second_handle_in_this_process_is_refused_with_a_message);
  CT_RUN(test_remove_is_busy_until_the_holder_dies_or_force);
  CT_RUN(test_a_registry_of_another_version_is_a_mismatch);
  CT_RUN(test_without_create_no_environment_is_enoent);
  CT_RUN(test_register_and_failchk_are_accepted);
  CT_RUN(test_an_environment_used_in_a_forked_child_fails);
  return ct_end();
}
