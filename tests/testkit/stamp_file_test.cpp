// tests/testkit/stamp_file_test.cpp: files of stamped pages written and
// checked through POSIX calls (testkit/stamp_file.hpp), with and without the
// CRC32C trailer (testkit/crc32c_trailer.hpp).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "support/temp_dir.hpp"
#include "testkit/crc32c_trailer.hpp"
#include "testkit/page_stamp.hpp"
#include "testkit/stamp_file.hpp"

namespace pagepool::testkit {
namespace {

std::uint64_t size_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

TEST(StampFile, WrittenPagesCheckAgainstTheirVersions) {
  test::temp_dir dir;
  const std::string path = dir.file("f");
  const stamp_layout l{1024, false, 3};
  ASSERT_EQ(write_stamp_file(path, 300, 7, l), "");
  EXPECT_EQ(size_of(path), 300u * 1024);
  std::vector<std::uint64_t> want(300, 7);
  const file_verdict ok = check_stamp_file(path, want, l);
  EXPECT_TRUE(ok.ok()) << ok.report;
  EXPECT_EQ(ok.pages, 300u);
  want[5] = 8;
  want[299] = 6;
  const file_verdict bad = check_stamp_file(path, want, l, 1);
  EXPECT_EQ(bad.wrong, 2u);
  EXPECT_NE(bad.report.find("page 5"), std::string::npos) << bad.report;
  EXPECT_EQ(bad.report.find("page 299"), std::string::npos) << "only the first is reported: " << bad.report;
}

TEST(StampFile, VersionZeroSizesTheFileWithZeros) {
  test::temp_dir dir;
  const std::string path = dir.file("z");
  ASSERT_EQ(write_stamp_file(path, 16, 0, stamp_layout{512}), "");
  EXPECT_EQ(size_of(path), 16u * 512);
  // Pages past the end read as zeros too: version 0.
  const std::vector<std::uint64_t> want(20, 0);
  EXPECT_TRUE(check_stamp_file(path, want, stamp_layout{512}).ok());
}

TEST(StampFile, TheTrailerIsPagepoolsCrc32cOfTheRestOfThePage) {
  test::temp_dir dir;
  const std::string path = dir.file("c");
  const stamp_layout l{512, true, 0};
  EXPECT_EQ(l.stamp_bytes(), 504u);
  ASSERT_EQ(write_stamp_file(path, 4, 2, l), "");
  const int fd = ::open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  std::vector<std::uint64_t> page(512 / 8);
  ASSERT_TRUE(pread_page(fd, 1, 512, page.data()));
  EXPECT_EQ(stored_crc32c_trailer(page.data(), 512), crc32c(page.data(), 508));
  EXPECT_TRUE(crc32c_trailer_ok(page.data(), 512));
  EXPECT_EQ(stamp_version(page.data(), l.stamp_bytes(), 1), 2u);
  // A flipped trailer byte fails the check, the stamp itself still whole.
  reinterpret_cast<unsigned char*>(page.data())[510] ^= 1;
  EXPECT_FALSE(crc32c_trailer_ok(page.data(), 512));
  ASSERT_EQ(::pwrite(fd, page.data(), 512, 512), 512);
  ::close(fd);
  const file_verdict v = check_stamp_file(path, std::vector<std::uint64_t>(4, 2), l);
  EXPECT_EQ(v.wrong, 1u);
  EXPECT_NE(v.report.find("trailer"), std::string::npos) << v.report;
  const std::vector<std::uint64_t> zeros(512 / 8, 0);
  EXPECT_TRUE(crc32c_trailer_ok(zeros.data(), 512)) << "a hole is valid";
}

}  // namespace
}  // namespace pagepool::testkit
