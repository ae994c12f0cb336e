// tests/unit/io/checksum_test.cpp: white-box tests of src/io/checksum.hpp:
// both CRC32C engines against published vectors and a bit-at-a-time
// reference, and the page field (stamp, verify, the zero-page rule).
#include "io/checksum.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

namespace pagepool::internal {
namespace {

/// The definition, one bit at a time: reflected polynomial 0x82F63B78,
/// register preset to all ones, result inverted. Shares nothing with the code
/// under test.
std::uint32_t crc32c_bitwise(const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

using engine = std::uint32_t (*)(const void*, std::size_t, std::uint32_t);

struct named_engine {
  const char* name;
  engine fn;
  bool available;
};

std::vector<named_engine> engines() {
  return {{"table", [](const void* d, std::size_t n, std::uint32_t c) { return crc32c_sw(d, n, c); },
           true},
          {"sse4.2", [](const void* d, std::size_t n, std::uint32_t c) { return crc32c_hw(d, n, c); },
           crc32c_hw_available()},
          {"public", [](const void* d, std::size_t n, std::uint32_t c) { return pagepool::crc32c(d, n, c); },
           true}};
}

class Crc32c : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    e_ = engines()[static_cast<std::size_t>(GetParam())];
    if (!e_.available)
      GTEST_SKIP() << "*** this CPU has no SSE4.2: the " << e_.name
                   << " CRC32C engine cannot run here (the table engine is tested) ***";
  }
  std::uint32_t crc(std::string_view s, std::uint32_t init = 0) const {
    return e_.fn(s.data(), s.size(), init);
  }
  std::uint32_t crc(const std::vector<std::uint8_t>& v) const { return e_.fn(v.data(), v.size(), 0); }
  named_engine e_{};
};

// The check value of the CRC-32C catalogue entry (CRC-32/ISCSI).
TEST_P(Crc32c, CheckValueOf123456789) {
  EXPECT_EQ(crc("123456789"), 0xE3069283u);
}

TEST_P(Crc32c, EmptyInputIsZero) { EXPECT_EQ(crc(""), 0u); }

// RFC 3720 (iSCSI), appendix B.4: CRC examples over 32-byte buffers.
TEST_P(Crc32c, Rfc3720Vectors) {
  std::vector<std::uint8_t> v(32, 0x00);
  EXPECT_EQ(crc(v), 0x8A9136AAu);
  std::fill(v.begin(), v.end(), 0xFF);
  EXPECT_EQ(crc(v), 0x62A8AB43u);
  for (int i = 0; i < 32; ++i) v[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(crc(v), 0x46DD794Eu);
  for (int i = 0; i < 32; ++i) v[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(31 - i);
  EXPECT_EQ(crc(v), 0x113FDB5Cu);
}

// Every length 0..300 at every start offset 0..7 (the word loop, the head
// before an 8-byte boundary, the tail), against the bitwise definition.
TEST_P(Crc32c, MatchesBitwiseDefinitionAtEveryLengthAndAlignment) {
  std::mt19937 rng(12345);
  std::vector<std::uint8_t> buf(320);
  for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
  for (std::size_t off = 0; off < 8; ++off)
    for (std::size_t n = 0; n <= 300; ++n)
      ASSERT_EQ(e_.fn(buf.data() + off, n, 0), crc32c_bitwise(buf.data() + off, n))
          << "offset " << off << " length " << n;
}

TEST_P(Crc32c, ContinuesAcrossPieces) {
  const std::string_view s = "The quick brown fox jumps over the lazy dog, twice over.";
  for (std::size_t cut = 0; cut <= s.size(); ++cut)
    EXPECT_EQ(crc(s.substr(cut), crc(s.substr(0, cut))), crc(s)) << "cut at " << cut;
}

INSTANTIATE_TEST_SUITE_P(Engines, Crc32c, ::testing::Values(0, 1, 2),
                         [](const ::testing::TestParamInfo<int>& engine_index) {
                           return std::string(engine_index.param == 0   ? "Table"
                                              : engine_index.param == 1 ? "Sse42"
                                                                        : "Public");
                         });

// --------------------------------------------------------------- page field

std::vector<std::byte> random_page(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> p(n);
  for (auto& b : p) b = static_cast<std::byte>(rng());
  return p;
}

TEST(ChecksumField, TrailerIsTheLastFourBytes) {
  checksum_options o;
  EXPECT_EQ(checksum_field(o, 4096), 4092);
  EXPECT_EQ(checksum_field(o, 512), 508);
}

TEST(ChecksumField, OffsetMustLeaveRoomForFourBytes) {
  checksum_options o;
  o.where = checksum_options::place::offset;
  o.offset = 0;
  EXPECT_EQ(checksum_field(o, 512), 0);
  o.offset = 508;
  EXPECT_EQ(checksum_field(o, 512), 508);
  o.offset = 509;
  EXPECT_EQ(checksum_field(o, 512), -1);
  o.offset = 100000;
  EXPECT_EQ(checksum_field(o, 4096), -1);
}

TEST(ChecksumField, StampStoresTheCrcOfTheRestLittleEndian) {
  for (std::size_t field : {std::size_t{0}, std::size_t{17}, std::size_t{1020}}) {
    auto p = random_page(1024, 7);
    stamp_checksum(p.data(), p.size(), field);
    // The CRC of the bytes before and after the field, by the definition.
    std::vector<std::uint8_t> rest;
    for (std::size_t i = 0; i < p.size(); ++i)
      if (i < field || i >= field + 4) rest.push_back(static_cast<std::uint8_t>(p[i]));
    const std::uint32_t want = crc32c_bitwise(rest.data(), rest.size());
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(static_cast<std::uint8_t>(p[field + static_cast<std::size_t>(i)]),
                static_cast<std::uint8_t>(want >> (8 * i)))
          << "field " << field << " byte " << i;
    EXPECT_EQ(verify_checksum(p.data(), p.size(), field), checksum_verdict::ok);
  }
}

TEST(ChecksumField, AnyFlippedBitIsCorrupt) {
  auto p = random_page(512, 9);
  stamp_checksum(p.data(), p.size(), 508);
  for (std::size_t i = 0; i < p.size(); i += 37) {
    auto q = p;
    q[i] ^= std::byte{0x10};
    EXPECT_EQ(verify_checksum(q.data(), q.size(), 508), checksum_verdict::corrupt) << "byte " << i;
  }
}

TEST(ChecksumField, AllZeroPageIsBlankNotCorrupt) {
  std::vector<std::byte> z(4096);
  EXPECT_EQ(verify_checksum(z.data(), z.size(), 4092), checksum_verdict::blank);
  EXPECT_EQ(verify_checksum(z.data(), z.size(), 0), checksum_verdict::blank);
}

TEST(ChecksumField, ZeroFieldOnANonZeroPageIsCorrupt) {
  std::vector<std::byte> z(4096);
  z[100] = std::byte{1};
  EXPECT_EQ(verify_checksum(z.data(), z.size(), 4092), checksum_verdict::corrupt);
}

TEST(ChecksumField, ZeroPageWithANonZeroFieldIsCorrupt) {
  std::vector<std::byte> z(4096);
  z[4095] = std::byte{0x80};
  EXPECT_EQ(verify_checksum(z.data(), z.size(), 4092), checksum_verdict::corrupt);
}

TEST(ChecksumField, StampedZeroPageVerifiesAsOk) {
  std::vector<std::byte> z(2048);
  stamp_checksum(z.data(), z.size(), 2044);
  EXPECT_NE(z[2044] | z[2045] | z[2046] | z[2047], std::byte{0});  // CRC of zeros is not 0
  EXPECT_EQ(verify_checksum(z.data(), z.size(), 2044), checksum_verdict::ok);
}

}  // namespace
}  // namespace pagepool::internal
