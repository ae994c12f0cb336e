// testkit/stamp_file.cpp: files of stamped pages through POSIX calls
// (stamp_file.hpp).

#include "testkit/stamp_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "testkit/crc32c_trailer.hpp"
#include "testkit/page_stamp.hpp"

namespace pagepool::testkit {

bool pread_page(int fd, pgno_t pgno, std::size_t page_size, void* out) {
  auto* b = static_cast<char*>(out);
  std::size_t done = 0;
  while (done < page_size) {
    const ssize_t n = ::pread(fd, b + done, page_size - done,
                              static_cast<off_t>(pgno) * static_cast<off_t>(page_size) + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) break;  // past the end: the rest is zero
    done += static_cast<std::size_t>(n);
  }
  std::memset(b + done, 0, page_size - done);
  return true;
}

std::string write_stamp_file(const std::string& path, std::size_t pages, std::uint64_t version,
                             const stamp_layout& layout) {
  const std::size_t ps = layout.page_size;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "create " + path + ": " + std::strerror(errno);
  std::string err;
  if (version == 0) {
    if (::ftruncate(fd, static_cast<off_t>(pages * ps)) != 0)
      err = "ftruncate " + path + ": " + std::strerror(errno);
  } else {
    // A batch of pages per pwrite: a demo's file is tens of MiB.
    const std::size_t batch = std::max<std::size_t>(1, (std::size_t{1} << 20) / ps);
    std::vector<std::uint64_t> buf(batch * ps / sizeof(std::uint64_t));
    for (std::size_t first = 0; first < pages && err.empty(); first += batch) {
      const std::size_t count = std::min(batch, pages - first);
      for (std::size_t i = 0; i < count; ++i) {
        std::uint64_t* page = buf.data() + i * ps / sizeof(std::uint64_t);
        stamp_page(page, layout.stamp_bytes(), static_cast<pgno_t>(first + i), version, layout.file_no);
        if (layout.crc32c_trailer) write_crc32c_trailer(page, ps);
      }
      const ssize_t n = ::pwrite(fd, buf.data(), count * ps, static_cast<off_t>(first * ps));
      if (n != static_cast<ssize_t>(count * ps))
        err = "pwrite " + path + " page " + std::to_string(first) + ": " +
              (n < 0 ? std::strerror(errno) : "short write");
    }
  }
  if (::close(fd) != 0 && err.empty()) err = "close " + path + ": " + std::strerror(errno);
  return err;
}

file_verdict check_stamp_file(const std::string& path, std::span<const std::uint64_t> expected,
                              const stamp_layout& layout, std::size_t max_reported) {
  file_verdict v;
  auto report = [&](const std::string& line) {
    if (++v.wrong <= max_reported) v.report += "\n  " + line;
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    v.wrong = expected.size();
    v.report = "\n  cannot open " + path + ": " + std::strerror(errno);
    return v;
  }
  std::vector<std::uint64_t> buf(layout.page_size / sizeof(std::uint64_t));
  for (std::size_t p = 0; p < expected.size(); ++p) {
    const auto pgno = static_cast<pgno_t>(p);
    if (!pread_page(fd, pgno, layout.page_size, buf.data())) {
      report("pread of page " + std::to_string(p) + " failed: " + std::strerror(errno));
      continue;
    }
    ++v.pages;
    if (auto m = stamp_mismatch(buf.data(), layout.stamp_bytes(), pgno, expected[p], layout.file_no); !m.empty())
      report("on disk: " + m);
    else if (layout.crc32c_trailer && !crc32c_trailer_ok(buf.data(), layout.page_size))
      report("on disk: page " + std::to_string(p) + ": the CRC32C trailer does not match the page");
  }
  ::close(fd);
  return v;
}

}  // namespace pagepool::testkit
