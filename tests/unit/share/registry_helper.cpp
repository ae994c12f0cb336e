// tests/unit/share/registry_helper.cpp: a second process for the tests of
// pools with a home (tests/unit/share/registry_test.cpp,
// tests/api/processes_test.cpp), exec'd by them. It prints "ready" on stdout
// once it is attached, and stays attached until its stdin reaches end of
// file (then it detaches and exits 0), unless told to die.
//
//   pool DIR         a pagepool::pool with home DIR (refuses company)
//   slot DIR         a registry slot in DIR, company allowed (white box)
//   die-create DIR   dies (SIGKILL) creating DIR's registry
//   die-attach DIR   dies (SIGKILL) holding the registry latch, its slot
//                    record written
//   fork-pool DIR    a pool with home DIR, then fork(): the child prints
//                    "child PID" and waits for end of file; the parent
//                    prints "ready" and kills itself
//
// Exit status: 0 done, 2 usage, 3 an attach failed (its error on stderr).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "pagepool/pool.hpp"
#include "pagepool/testing.hpp"
#include "share/registry.hpp"

namespace {

void say(const char* line) {
  std::fputs(line, stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void wait_for_eof() {
  char buf[64];
  while (::read(0, buf, sizeof buf) > 0) {
  }
}

int fail(const char* what, std::error_code ec) {
  std::fprintf(stderr, "registry_helper: %s: %s\n", what, ec.message().c_str());
  return 3;
}

std::unique_ptr<pagepool::pool> make_pool(const std::string& dir, std::error_code& ec) {
  pagepool::pool_options o;
  o.cache_frames = 16;
  o.home = dir;
  std::unique_ptr<pagepool::pool> p;
  ec = pagepool::pool::create(o, p);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  using pagepool::internal::process_registry;
  if (argc != 3) return 2;
  const std::string cmd = argv[1], dir = argv[2];
  if (cmd == "pool") {
    std::error_code ec;
    auto p = make_pool(dir, ec);
    if (ec) return fail("pool::create", ec);
    say("ready");
    wait_for_eof();
    return 0;
  }
  if (cmd == "slot" || cmd == "die-create" || cmd == "die-attach") {
    if (cmd == "die-create") pagepool::testing::set_kill_point(pagepool::testing::kill_point::registry_create);
    if (cmd == "die-attach") pagepool::testing::set_kill_point(pagepool::testing::kill_point::registry_attach);
    std::unique_ptr<process_registry> r;
    process_registry::attach_info info;
    if (auto ec = process_registry::attach(dir, 0, true, /*alone=*/false, r, info))
      return fail("attach", ec);
    say("ready");
    wait_for_eof();
    return 0;
  }
  if (cmd == "fork-pool") {
    std::error_code ec;
    auto p = make_pool(dir, ec);
    if (ec) return fail("pool::create", ec);
    int sync_pipe[2];
    if (::pipe(sync_pipe) != 0) return 3;
    const pid_t child = ::fork();
    if (child < 0) return 3;
    if (child == 0) {
      // After fork's child handlers: the parent's registry descriptor is closed here.
      char line[64];
      std::snprintf(line, sizeof line, "child %d", static_cast<int>(::getpid()));
      say(line);
      const char b = 'x';
      (void)!::write(sync_pipe[1], &b, 1);
      wait_for_eof();
      ::_exit(p->forked() ? 0 : 4);
    }
    char b;
    (void)!::read(sync_pipe[0], &b, 1);
    say("ready");
    ::kill(::getpid(), SIGKILL);
  }
  return 2;
}
