// tests/testkit/page_oracle_test.cpp: the page oracle's check of a pinned page
// (testkit/page_oracle.hpp) in each of its three verdicts, without a pool.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "testkit/page_oracle.hpp"
#include "testkit/page_stamp.hpp"

namespace pagepool::testkit {
namespace {

constexpr std::size_t kBytes = 256;

TEST(PageOracle, NoWriterAtThePageMeansExactlyTheCommittedVersion) {
  page_oracle o;
  o.reset(3);
  std::vector<std::uint64_t> p(kBytes / 8);
  stamp_page(p.data(), kBytes, 4, 3, 2);
  const pinned_check c = check_pinned(p.data(), kBytes, o, 4, 3, 2);
  EXPECT_EQ(c.result, pinned_check::kind::exact);
  EXPECT_EQ(c.version, 3u);
  // A page older than what was committed before the get: the pool's fault.
  const pinned_check late = check_pinned(p.data(), kBytes, o, 4, 4, 2);
  EXPECT_EQ(late.result, pinned_check::kind::bad);
  stamp_page(p.data(), kBytes, 4, 2, 2);
  const pinned_check stale = check_pinned(p.data(), kBytes, o, 4, 0, 2);
  EXPECT_EQ(stale.result, pinned_check::kind::bad);
  EXPECT_NE(stale.why.find("expected exactly version 3"), std::string::npos) << stale.why;
}

TEST(PageOracle, AWriterAtThePageAllowsWholeWordsOfEitherVersion) {
  page_oracle o;
  o.reset(3);
  o.seq.store(7);  // a writer is replacing 3 with 4
  std::vector<std::uint64_t> p(kBytes / 8);
  stamp_page(p.data(), kBytes, 4, 3);
  stamp_page(p.data(), kBytes / 2, 4, 4);  // half written
  const pinned_check c = check_pinned(p.data(), kBytes, o, 4, 3);
  EXPECT_EQ(c.result, pinned_check::kind::in_flight);
  EXPECT_EQ(c.version, 4u);
  p[5] ^= 1;  // a word of no version: the pool's fault even mid-write
  EXPECT_EQ(check_pinned(p.data(), kBytes, o, 4, 3).result, pinned_check::kind::bad);
}

}  // namespace
}  // namespace pagepool::testkit
