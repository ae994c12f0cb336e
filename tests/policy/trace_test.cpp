// Unit tests of src/policy/trace.hpp: plain and gzip traces, line ends, the
// errors (with line numbers) and that a failed read leaves the output alone.
#include "policy/trace.hpp"

#include <zlib.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace pagepool::policy {
namespace {

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f << bytes;
}

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

TEST(Trace, ReadsPlainTextWithEveryLineEnd) {
  test::temp_dir d;
  const std::string p = d.file("t.txt");
  write_file(p, "1\n22\r\n\n333\r\n\r\n0\n4294967295");  // no final newline
  std::vector<std::uint32_t> out = {9, 9};
  std::string err;
  ASSERT_TRUE(read_trace(p, out, &err)) << err;
  EXPECT_EQ(out, (std::vector<std::uint32_t>{1, 22, 333, 0, 4294967295u}));
}

TEST(Trace, ReadsGzipAndNumbersSplitAcrossBlocks) {
  test::temp_dir d;
  // More than one 1 MiB block of text, so numbers straddle block edges.
  std::string text;
  std::vector<std::uint32_t> expect;
  for (std::uint32_t i = 0; i < 300000; ++i) {
    const std::uint32_t v = i * 2654435761u;
    expect.push_back(v);
    text += std::to_string(v);
    text += '\n';
  }
  ASSERT_GT(text.size(), 2u << 20);
  const std::string gz = d.file("t.txt.gz"), plain = d.file("t.txt");
  write_gzip(gz, text);
  write_file(plain, text);
  std::vector<std::uint32_t> a, b;
  std::string err;
  ASSERT_TRUE(read_trace(gz, a, &err)) << err;
  ASSERT_TRUE(read_trace(plain, b, &err)) << err;
  EXPECT_EQ(a, expect);
  EXPECT_EQ(b, expect);
}

TEST(Trace, EmptyFileIsAnEmptyTrace) {
  test::temp_dir d;
  write_file(d.file("e.txt"), "");
  std::vector<std::uint32_t> out = {1};
  ASSERT_TRUE(read_trace(d.file("e.txt"), out, nullptr));
  EXPECT_TRUE(out.empty());
}

struct bad_case {
  const char* bytes;
  const char* where;  // expected in the message
};

TEST(Trace, RejectsMalformedInputAndLeavesTheOutputAlone) {
  test::temp_dir d;
  const bad_case cases[] = {
      {"1\n2\nx\n", ":3:"},            // a letter
      {"1\n-2\n", ":2:"},              // a sign
      {"1\n2 3\n", ":2:"},             // two numbers on a line
      {"4294967296\n", ":1:"},         // past 32 bits
      {"99999999999999999999\n", ":1:"},
      {"1\r2\n", ":1:"},               // a lone CR
      {"5\n6\r", ":2:"},               // ends in a lone CR
  };
  for (const auto& c : cases) {
    const std::string p = d.file("bad.txt");
    write_file(p, c.bytes);
    std::vector<std::uint32_t> out = {42};
    std::string err;
    EXPECT_FALSE(read_trace(p, out, &err)) << c.bytes;
    EXPECT_EQ(out, std::vector<std::uint32_t>{42}) << c.bytes;
    EXPECT_NE(err.find(c.where), std::string::npos) << c.bytes << " -> " << err;
  }
}

TEST(Trace, RejectsMissingAndTruncatedFiles) {
  test::temp_dir d;
  std::vector<std::uint32_t> out = {42};
  std::string err;
  EXPECT_FALSE(read_trace(d.file("absent.txt"), out, &err));
  EXPECT_NE(err.find("absent.txt"), std::string::npos) << err;
  EXPECT_EQ(out, std::vector<std::uint32_t>{42});

  std::string text;
  for (int i = 0; i < 20000; ++i) text += std::to_string(i * 7919) + "\n";
  const std::string gz = d.file("cut.txt.gz");
  write_gzip(gz, text);
  std::string bytes;
  {
    std::ifstream f(gz, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  write_file(gz, bytes.substr(0, bytes.size() / 2));
  err.clear();
  EXPECT_FALSE(read_trace(gz, out, &err));
  EXPECT_FALSE(err.empty());
  EXPECT_EQ(out, std::vector<std::uint32_t>{42});
}

}  // namespace
}  // namespace pagepool::policy
