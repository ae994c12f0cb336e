// tests/testkit/page_stamp_test.cpp: the stamp format (testkit/page_stamp.hpp)
// is the one the stress driver's data files hold, and tells a whole page from
// a torn, stale or foreign one.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "testkit/page_stamp.hpp"

namespace pagepool::testkit {
namespace {

constexpr std::size_t kBytes = 512;
constexpr std::size_t kWords = kBytes / sizeof(std::uint64_t);

std::vector<std::uint64_t> stamped(pgno_t pgno, std::uint64_t v, std::uint16_t file_no = 0) {
  std::vector<std::uint64_t> p(kWords, 0xDEADBEEFull);
  stamp_page(p.data(), kBytes, pgno, v, file_no);
  return p;
}

TEST(PageStamp, WordsAreThoseOnDiskInTheStressDriversFiles) {
  // Files written before the test kit existed hold these words: the format
  // must not change.
  EXPECT_EQ(stamp_word(5, 3, 0, 1), 0x0000000300000005ull);
  EXPECT_EQ(stamp_word(5, 3, 1, 1), 0x0000000353540001ull);
  EXPECT_EQ(stamp_word(5, 3, 2, 1), 0x000000033604d704ull);
  EXPECT_EQ(stamp_word(5, 3, 3, 1), 0x00000003370b97baull);
  EXPECT_EQ(stamp_word(77, max_stamp_version, 9, 0), 0xffffffffff7c1c4bull);
  EXPECT_EQ(stamp_word(77, 0, 9, 0), 0u);
}

TEST(PageStamp, AWholePageIsExactlyItsVersion) {
  const auto p = stamped(9, 4);
  const stamp_scan s = scan_page(p.data(), kBytes, 9);
  EXPECT_TRUE(s.is_exactly(4));
  EXPECT_EQ(stamp_version(p.data(), kBytes, 9), 4u);
  EXPECT_EQ(stamp_mismatch(p.data(), kBytes, 9, 4), "");
  EXPECT_NE(stamp_mismatch(p.data(), kBytes, 9, 3), "") << "a stale or newer version is not the expected one";
}

TEST(PageStamp, VersionZeroIsAPageOfZeros) {
  const auto p = stamped(9, 0);
  for (std::uint64_t w : p) ASSERT_EQ(w, 0u);
  EXPECT_EQ(stamp_version(p.data(), kBytes, 9), 0u);
  EXPECT_EQ(stamp_mismatch(p.data(), kBytes, 9, 0), "");
  EXPECT_NE(stamp_mismatch(p.data(), kBytes, 9, 1), "");
}

TEST(PageStamp, ATornPageHasWholeWordsOfTwoVersions) {
  auto p = stamped(9, 4);
  const auto q = stamped(9, 5);
  for (std::size_t i = kWords / 2; i < kWords; ++i) p[i] = q[i];
  const stamp_scan s = scan_page(p.data(), kBytes, 9);
  EXPECT_TRUE(s.whole);
  EXPECT_EQ(s.min_version, 4u);
  EXPECT_EQ(s.max_version, 5u);
  EXPECT_FALSE(stamp_version(p.data(), kBytes, 9).has_value());
  EXPECT_NE(stamp_mismatch(p.data(), kBytes, 9, 4), "");
}

TEST(PageStamp, AnotherPagesOrFilesBytesAreNoVersionOfThisPage) {
  const auto other_page = stamped(10, 4);
  const stamp_scan s = scan_page(other_page.data(), kBytes, 9);
  EXPECT_FALSE(s.whole);
  EXPECT_EQ(s.bad_index, 0u);
  EXPECT_NE(describe_scan(s, 9).find("word 0 names page 10"), std::string::npos) << describe_scan(s, 9);
  const auto other_file = stamped(9, 4, 1);
  EXPECT_FALSE(scan_page(other_file.data(), kBytes, 9, 0).whole);
  EXPECT_TRUE(scan_page(other_file.data(), kBytes, 9, 1).is_exactly(4));
}

TEST(PageStamp, AByteTornInsideAWordIsCaught) {
  auto p = stamped(9, 4);
  reinterpret_cast<unsigned char*>(p.data())[8 * 17 + 3] ^= 0x40;
  const stamp_scan s = scan_page(p.data(), kBytes, 9);
  EXPECT_FALSE(s.whole);
  EXPECT_EQ(s.bad_index, 17u);
}

TEST(PageStamp, AStampCoversOnlyItsBytes) {
  // Room for a trailer: the last word is not the stamp's.
  std::vector<std::uint64_t> p(kWords, 0xABABABABABABABABull);
  stamp_page(p.data(), kBytes - 8, 9, 2);
  EXPECT_EQ(p.back(), 0xABABABABABABABABull);
  EXPECT_EQ(stamp_version(p.data(), kBytes - 8, 9), 2u);
  EXPECT_FALSE(stamp_version(p.data(), kBytes, 9).has_value());
}

}  // namespace
}  // namespace pagepool::testkit
