// The whole header surface of <db_cxx.h> for a program that uses Berkeley DB
// 5.3's environment and memory pool (issue 13, part 2): DbEnv's stream-based
// error and message settings (std::ostream*), and its methods for messages,
// threads, failures and the settings pagepool keeps or does not support.
// Contract: db.h and db_cxx.h's comments. The C names (error codes, flags)
// are checked by tests/compat/c/names_test.c.
#include <pthread.h>

#include <algorithm>
#include <sstream>
#include <string>

#include "cxx_util.hpp"

namespace cxxtest {
namespace {

// Mentions of every DbEnv method this part added, with Berkeley DB 5.3's C++
// signatures: taking their addresses fails to compile if one is missing or
// has another type.
[[maybe_unused]] void (DbEnv::*set_error_stream_p)(std::ostream*) = &DbEnv::set_error_stream;
[[maybe_unused]] std::ostream* (DbEnv::*get_error_stream_p)() = &DbEnv::get_error_stream;
[[maybe_unused]] void (DbEnv::*set_message_stream_p)(std::ostream*) = &DbEnv::set_message_stream;
[[maybe_unused]] std::ostream* (DbEnv::*get_message_stream_p)() = &DbEnv::get_message_stream;
[[maybe_unused]] int (DbEnv::*set_thread_id_p)(void (*)(DbEnv*, pid_t*,
                                                        db_threadid_t*)) = &DbEnv::set_thread_id;
[[maybe_unused]] int (DbEnv::*set_thread_id_string_p)(
    char* (*)(DbEnv*, pid_t, db_threadid_t, char*)) = &DbEnv::set_thread_id_string;
[[maybe_unused]] int (DbEnv::*set_isalive_p)(int (*)(DbEnv*, pid_t, db_threadid_t,
                                                     u_int32_t)) = &DbEnv::set_isalive;
[[maybe_unused]] int (DbEnv::*set_event_notify_p)(void (*)(DbEnv*, u_int32_t,
                                                           void*)) = &DbEnv::set_event_notify;
[[maybe_unused]] int (DbEnv::*set_feedback_p)(void (*)(DbEnv*, int, int)) = &DbEnv::set_feedback;
[[maybe_unused]] int (DbEnv::*set_paniccall_p)(void (*)(DbEnv*, int)) = &DbEnv::set_paniccall;
[[maybe_unused]] int (DbEnv::*failchk_p)(u_int32_t) = &DbEnv::failchk;
[[maybe_unused]] int (DbEnv::*get_data_dirs_p)(const char***) = &DbEnv::get_data_dirs;
[[maybe_unused]] int (DbEnv::*set_memory_init_p)(DB_MEM_CONFIG,
                                                 u_int32_t) = &DbEnv::set_memory_init;
[[maybe_unused]] bool (DbEnv::*is_bigendian_p)() = &DbEnv::is_bigendian;

int alive(DbEnv*, pid_t, db_threadid_t, u_int32_t) { return 1; }
void thread_id(DbEnv*, pid_t* pid, db_threadid_t* tid) {
  *pid = ::getpid();
  *tid = ::pthread_self();
}
void event(DbEnv*, u_int32_t, void*) {}
void feedback(DbEnv*, int, int) {}

std::string last_errcall;
void errcall(const DbEnv*, const char*, const char* msg) { last_errcall = msg; }

// db_cxx.h: "Error messages go to *stream instead ("errpfx: message", one
// line each)".
TEST(CxxNames, ErrorStreamReceivesTheMessagesOfUnsupportedMethods) {
  DbEnv env(DB_CXX_NO_EXCEPTIONS);
  std::ostringstream err;
  env.set_errpfx("app");
  env.set_error_stream(&err);
  EXPECT_EQ(&err, env.get_error_stream());

  EXPECT_EQ(EINVAL, env.set_data_dir("/nowhere"));
  EXPECT_EQ(DB_OPNOTSUP, env.set_encrypt("pw", DB_ENCRYPT_AES));
  const std::string text = err.str();
  EXPECT_NE(std::string::npos, text.find("app: DB_ENV->set_data_dir: ")) << text;
  EXPECT_NE(std::string::npos, text.find("data directories are not supported")) << text;
  EXPECT_NE(std::string::npos, text.find("app: DB_ENV->set_encrypt: ")) << text;
  EXPECT_EQ(2, std::count(text.begin(), text.end(), '\n')) << text;

  // Nothing changed: no directory was recorded.
  const char** dirs = reinterpret_cast<const char**>(&env);
  EXPECT_EQ(0, env.get_data_dirs(&dirs));
  EXPECT_EQ(nullptr, dirs);

  // set_errcall replaces the stream; set_error_stream replaces the callback.
  env.set_errcall(errcall);
  EXPECT_EQ(nullptr, env.get_error_stream());
  EXPECT_EQ(EINVAL, env.add_data_dir("/nowhere"));
  EXPECT_EQ(text, err.str());
  EXPECT_NE(std::string::npos, last_errcall.find("DB_ENV->add_data_dir")) << last_errcall;
  env.set_error_stream(&err);
  void (*cb)(const DbEnv*, const char*, const char*) = errcall;
  env.get_errcall(&cb);
  EXPECT_EQ(nullptr, cb);
  last_errcall.clear();
  EXPECT_EQ(EINVAL, env.fileid_reset("f.db", 0));
  EXPECT_TRUE(last_errcall.empty());
  EXPECT_NE(std::string::npos, err.str().find("fileid_reset")) << err.str();

  // NULL stops it.
  env.set_error_stream(nullptr);
  const std::string before = err.str();
  EXPECT_EQ(EINVAL, env.lsn_reset("f.db", 0x100));
  EXPECT_EQ(before, err.str());
}

// db_cxx.h: "Informational messages go to *stream, one line each".
TEST_F(CxxTest, MessageStreamReceivesStatPrint) {
  open_env(1u << 20, DB_CXX_NO_EXCEPTIONS);
  std::ostringstream msg;
  env->set_message_stream(&msg);
  EXPECT_EQ(&msg, env->get_message_stream());
  EXPECT_EQ(0, env->stat_print(DB_STAT_ALL));
  EXPECT_FALSE(msg.str().empty());
  const std::size_t after_stat = msg.str().size();
  EXPECT_EQ(0, env->memp_stat_print(0));
  EXPECT_GT(msg.str().size(), after_stat);

  // set_msgcall replaces the stream.
  env->set_msgcall([](const DbEnv*, const char*) {});
  EXPECT_EQ(nullptr, env->get_message_stream());
  const std::string before = msg.str();
  EXPECT_EQ(0, env->memp_stat_print(0));
  EXPECT_EQ(before, msg.str());
}

// db.h: a method for something pagepool does not do returns its error, and
// under DbEnv(0) that error is thrown as for every method.
TEST(CxxNames, UnsupportedMethodsThrowTheirErrorUnderExceptions) {
  DbEnv env(0);
  std::ostringstream err;
  env.set_error_stream(&err);
  expect_error(true, DB_OPNOTSUP, &env, "DbEnv::set_encrypt",
               [&] { return env.set_encrypt("pw", 0); });
  u_int32_t flags = 5;
  expect_error(true, DB_OPNOTSUP, &env, "DbEnv::get_encrypt_flags",
               [&] { return env.get_encrypt_flags(&flags); });
  EXPECT_EQ(5u, flags);
  expect_error(true, EINVAL, &env, "DbEnv::set_create_dir",
               [&] { return env.set_create_dir("d"); });
  expect_error(true, EINVAL, &env, "DbEnv::set_metadata_dir",
               [&] { return env.set_metadata_dir("d"); });
  EXPECT_NE(std::string::npos, err.str().find("set_metadata_dir")) << err.str();
}

// db.h: the settings pagepool keeps are read back; bad input is EINVAL and
// changes nothing; before-open setters are EINVAL after open.
TEST_F(CxxTest, KeptSettingsAndThreadCallbacks) {
  env = std::make_unique<DbEnv>(DB_CXX_NO_EXCEPTIONS);
  std::ostringstream err;
  env->set_error_stream(&err);
  EXPECT_EQ(0, env->set_verbose(DB_VERB_REGISTER, 1));
  int on = 0;
  EXPECT_EQ(0, env->get_verbose(DB_VERB_REGISTER, &on));
  EXPECT_EQ(1, on);
  EXPECT_EQ(EINVAL, env->get_verbose(0, &on));
  EXPECT_EQ(0, env->set_shm_key(77));
  EXPECT_EQ(0, env->set_timeout(100, DB_SET_TXN_TIMEOUT));
  EXPECT_EQ(EINVAL, env->set_timeout(100, 0));
  db_timeout_t t = 0;
  EXPECT_EQ(0, env->get_timeout(&t, DB_SET_TXN_TIMEOUT));
  EXPECT_EQ(100u, t);
  EXPECT_EQ(0, env->set_memory_init(DB_MEM_THREAD, 64));
  EXPECT_EQ(EINVAL, env->set_memory_init(static_cast<DB_MEM_CONFIG>(0), 64));
  u_int32_t n = 0;
  EXPECT_EQ(0, env->get_memory_init(DB_MEM_THREAD, &n));
  EXPECT_EQ(64u, n);

  EXPECT_EQ(0, env->set_thread_count(4));
  EXPECT_EQ(0, env->set_thread_id(thread_id));
  EXPECT_EQ(0, env->set_event_notify(event));
  EXPECT_EQ(0, env->set_feedback(feedback));
  void (*fb)(DbEnv*, int, int) = nullptr;
  EXPECT_EQ(0, env->get_feedback(&fb));
  EXPECT_EQ(&feedback, fb);
  void (*tid)(DbEnv*, pid_t*, db_threadid_t*) = nullptr;
  EXPECT_EQ(0, env->get_thread_id_fn(&tid));
  EXPECT_EQ(&thread_id, tid);
  // The C layer holds a trampoline that calls the C++ function with the DbEnv.
  void (*c_tid)(DB_ENV*, pid_t*, db_threadid_t*) = nullptr;
  DB_ENV* c = env->get_DB_ENV();
  ASSERT_EQ(0, c->get_thread_id_fn(c, &c_tid));
  ASSERT_NE(nullptr, c_tid);
  pid_t pid = 0;
  db_threadid_t self{};
  c_tid(c, &pid, &self);
  EXPECT_EQ(::getpid(), pid);

  ASSERT_EQ(0, env->open(dir.path().c_str(), kOpenFlags, 0));
  EXPECT_EQ(EINVAL, env->failchk(0));  // no is_alive yet
  EXPECT_EQ(0, env->set_isalive(alive));
  EXPECT_EQ(0, env->failchk(0));
  EXPECT_EQ(EINVAL, env->set_shm_key(1));
  long key = 0;
  EXPECT_EQ(0, env->get_shm_key(&key));
  EXPECT_EQ(77, key);
  EXPECT_EQ(EINVAL, env->set_thread_count(9));
  EXPECT_NE(std::string::npos, err.str().find("after handle's open")) << err.str();
}

}  // namespace
}  // namespace cxxtest
