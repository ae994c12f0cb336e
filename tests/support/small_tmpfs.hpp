// tests/support/small_tmpfs.hpp: a tmpfs of a given size mounted on a
// temporary directory for one test, to see what a full directory does.
//
// Mounting needs CAP_SYS_ADMIN (root, as CI and the README's commands run).
// Without it the test that asks says so and is skipped (GTEST_SKIP with the
// reason), never passed silently.
#pragma once

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "support/temp_dir.hpp"

namespace pagepool::test {

class small_tmpfs {
 public:
  explicit small_tmpfs(const std::string& size) {
    const std::string opts = "size=" + size + ",mode=0700";
    if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, opts.c_str()) == 0)
      mounted_ = true;
    else
      why_ = std::string("mount -t tmpfs failed: ") + std::strerror(errno) +
             " (needs root / CAP_SYS_ADMIN)";
  }
  ~small_tmpfs() {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  small_tmpfs(const small_tmpfs&) = delete;
  small_tmpfs& operator=(const small_tmpfs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& why_not() const { return why_; }
  std::string path() const { return dir_.path().string(); }

 private:
  temp_dir dir_;
  bool mounted_ = false;
  std::string why_;
};

}  // namespace pagepool::test
