// stress/crash/crash_check.cpp: the parent of pagepool-crash after (and
// while) a child runs: read_some() drains the child's report pipe into the
// iteration, describe_status() names how the child ended, and check_files()
// preads every page of every file after the SIGKILL and fails a torn page,
// a lost acknowledged write or a file of the wrong size (the check described
// in crash_parent.cpp's header comment). Split from crash_parent.cpp.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "crash.hpp"
#include "crash_page.hpp"
#include "crash_parent.hpp"

namespace pagepool::stress::crash::parent_detail {

/// Reads what the pipe holds now into it.buf; false at end of file.
bool read_some(int fd, iteration& it) {
  unsigned char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    it.buf.insert(it.buf.end(), chunk, chunk + n);
    return true;
  }
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return std::string("died of signal ") + std::to_string(WTERMSIG(status)) + " (" +
           ::strsignal(WTERMSIG(status)) + ")";
  return "status " + std::to_string(status);
}

/// pread of every page of every file against the floors; returns the
/// versions found (for the next iteration's floors and ready check).
std::vector<std::vector<std::uint32_t>> check_files(iteration& it) {
  const shape& s = it.s;
  std::vector<std::vector<std::uint32_t>> found(s.files, std::vector<std::uint32_t>(s.pages, 0));
  std::vector<unsigned char> page(s.page_size);
  for (unsigned f = 0; f < s.files; ++f) {
    const std::string path = s.file_path(f);
    const int fd = ::open(path.c_str(), O_RDONLY);
    off_t size = 0;
    if (fd < 0) {
      if (errno != ENOENT) it.fail("open " + path + ": " + std::strerror(errno));
    } else {
      struct stat st {};
      if (::fstat(fd, &st) != 0) it.fail("fstat " + path + ": " + std::strerror(errno));
      size = st.st_size;
    }
    if (size % static_cast<off_t>(s.page_size) != 0)
      it.fail("file " + std::to_string(f) + " is " + std::to_string(size) +
              " bytes, not a whole number of " + std::to_string(s.page_size) +
              "-byte pages (a partial page write)");
    if (static_cast<std::uint64_t>(size) > std::uint64_t{s.pages} * s.page_size)
      it.fail("file " + std::to_string(f) + " is " + std::to_string(size) +
              " bytes, longer than the " + std::to_string(s.pages) + " pages the child wrote");
    for (std::uint32_t pg = 0; pg < s.pages; ++pg) {
      std::fill(page.begin(), page.end(), 0);
      const off_t base = static_cast<off_t>(pg) * static_cast<off_t>(s.page_size);
      std::size_t done = 0;
      while (fd >= 0 && done < s.page_size) {
        const ssize_t n =
            ::pread(fd, page.data() + done, s.page_size - done, base + static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          it.fail("pread " + path + ": " + std::strerror(errno));
          break;
        }
        if (n == 0) break;  // past the end: zeros
        done += static_cast<std::size_t>(n);
      }
      const page_verdict v = check_page(page.data(), s.page_size, f, pg);
      const std::uint32_t fl = it.floor[f][pg];
      ++it.t.pages_checked;
      if (fl != 0) ++it.t.pages_acked;
      const std::string where = "file " + std::to_string(f) + " page " + std::to_string(pg);
      if (v.kind == page_verdict::torn) {
        ++it.t.torn;
        it.fail(where + " is torn: " + v.why + " (acknowledged version " + std::to_string(fl) +
                ")");
        continue;
      }
      ++(v.kind == page_verdict::zero ? it.t.pages_zero : it.t.pages_whole);
      found[f][pg] = static_cast<std::uint32_t>(v.version);
      if (v.version < fl) {
        ++it.t.lost;
        it.fail(where + " holds version " + std::to_string(v.version) + " but version " +
                std::to_string(fl) + " was acknowledged by a successful sync (a lost write)");
      } else if (v.version > fl) {
        ++it.t.pages_newer;
      }
    }
    if (fd >= 0) ::close(fd);
  }
  return found;
}

}  // namespace pagepool::stress::crash::parent_detail
