// tests/api/checksum_test.cpp: register_checksum (pagepool/checksum.hpp):
// what lands on disk, what a read verifies, what a failed verification
// leaves behind (nothing), the zero-page rule, placements, composition with
// the application's page-in/out, and the statistics.
#include <fcntl.h>
#include <unistd.h>

#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr int kType = 7;
constexpr unsigned kSeed = 3;

checksum_options trailer() { return {}; }
checksum_options at_offset(std::size_t off) {
  checksum_options o;
  o.where = checksum_options::place::offset;
  o.offset = off;
  return o;
}

/// The CRC32C of v without the 4 bytes at `field`.
std::uint32_t crc_without(const std::vector<std::uint8_t>& v, std::size_t field) {
  const std::uint32_t head = crc32c(v.data(), field);
  return crc32c(v.data() + field + 4, v.size() - field - 4, head);
}

std::uint32_t le32_at(const std::vector<std::uint8_t>& v, std::size_t off) {
  return std::uint32_t{v[off]} | std::uint32_t{v[off + 1]} << 8 | std::uint32_t{v[off + 2]} << 16 |
         std::uint32_t{v[off + 3]} << 24;
}

/// True if page pgno on disk holds pattern (pgno, seed), optionally xored with
/// `x`, outside the field, and the field holds the CRC of the rest, LE.
::testing::AssertionResult disk_page_checksummed(const std::string& path, pgno_t pgno,
                                                 std::size_t ps, std::size_t field, unsigned seed,
                                                 std::uint8_t x = 0) {
  auto v = read_disk_page(path, pgno, ps);
  if (v.empty()) return ::testing::AssertionFailure() << "page " << pgno << " missing on disk";
  for (std::size_t i = 0; i < ps; ++i) {
    if (i >= field && i < field + 4) continue;
    if (v[i] != static_cast<std::uint8_t>(pattern_byte(pgno, i, seed) ^ x))
      return ::testing::AssertionFailure() << "page " << pgno << " byte " << i << " is wrong on disk";
  }
  if (le32_at(v, field) != crc_without(v, field))
    return ::testing::AssertionFailure() << "page " << pgno << ": stored field " << std::hex
                                         << le32_at(v, field) << ", CRC " << crc_without(v, field);
  return ::testing::AssertionSuccess();
}

/// Gets page pgno and checks pattern (pgno, seed) everywhere but the field.
::testing::AssertionResult payload_reads(file& f, pgno_t pgno, std::size_t field, unsigned seed) {
  void* page = nullptr;
  pgno_t n = pgno;
  if (auto ec = f.get(&n, get_flags::none, &page))
    return ::testing::AssertionFailure() << "get " << pgno << ": " << describe(ec);
  const auto* b = static_cast<const std::uint8_t*>(page);
  bool ok = true;
  for (std::size_t i = 0; i < f.page_size() && ok; ++i)
    if ((i < field || i >= field + 4) && b[i] != pattern_byte(pgno, i, seed)) ok = false;
  if (auto ec = f.put(page)) return ::testing::AssertionFailure() << "put: " << describe(ec);
  if (!ok) return ::testing::AssertionFailure() << "page " << pgno << " has wrong contents";
  return ::testing::AssertionSuccess();
}

/// Makes pages 0..n-1 with new_page, each holding pattern (p, seed).
void make_pages(file& f, pgno_t n, unsigned seed) {
  for (pgno_t p = 0; p < n; ++p) write_page(f, p, seed, get_flags::new_page);
}

/// Flips the bits `mask` of byte `at` of page pgno behind the pool's back
/// (flipping them again repairs it).
void flip(const std::string& path, pgno_t pgno, std::size_t ps, std::size_t at, std::uint8_t mask) {
  int fd = ::open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  const off_t off = static_cast<off_t>(pgno) * static_cast<off_t>(ps) + static_cast<off_t>(at);
  std::uint8_t b = 0;
  EXPECT_EQ(::pread(fd, &b, 1, off), 1);
  b ^= mask;
  EXPECT_EQ(::pwrite(fd, &b, 1, off), 1);
  ::close(fd);
}

std::uint64_t file_checksum_failures(pool& p, const std::string& path) {
  for (const auto& s : p.file_statistics())
    if (s.file_name == path) return s.checksum_failures;
  ADD_FAILURE() << "no statistics for " << path;
  return 0;
}

/// Writes `pages` checksummed pages to `path` through a pool of its own, and
/// closes everything: the file on disk is then as the pool left it.
void write_checksummed_file(const std::string& path, std::size_t ps, const checksum_options& o,
                            pgno_t pages, unsigned seed) {
  auto p = make_pool(8, ps);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(register_checksum(*p, kType, o));
  auto f = p->file_create();
  ASSERT_OK(f->set_ftype(kType));
  ASSERT_OK(f->open(path, open_flags::create, 0, ps));
  make_pages(*f, pages, seed);
  ASSERT_OK(f->sync());
  ASSERT_OK(f->close());
  ASSERT_OK(p->close());
}

std::unique_ptr<file> open_typed(pool& p, const std::string& path, std::size_t ps,
                                 open_flags flags = open_flags::none) {
  auto f = p.file_create();
  EXPECT_OK(f->set_ftype(kType));
  EXPECT_OK(f->open(path, flags, 0, ps));
  return f;
}

// checksum.hpp: pgout stamps a CRC32C of the rest of the page, little-endian,
// into the last 4 bytes; pages read back (through eviction) verify.
TEST(Checksum, TrailerIsStampedOnDiskAndVerifiedOnRead) {
  temp_dir d;
  const std::string path = d.file("trailer");
  constexpr std::size_t ps = 4096;
  auto p = make_pool(4, ps);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(register_checksum(*p, kType, trailer()));
  auto f = open_typed(*p, path, ps, open_flags::create);
  make_pages(*f, 12, kSeed);  // 12 pages through 4 frames: most are written by eviction
  ASSERT_OK(f->sync());
  for (pgno_t i = 0; i < 12; ++i) EXPECT_TRUE(disk_page_checksummed(path, i, ps, ps - 4, kSeed));
  for (pgno_t i = 0; i < 12; ++i) EXPECT_TRUE(payload_reads(*f, i, ps - 4, kSeed));
  const auto fs = p->file_statistics();
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_GE(fs[0].page_in, 8u);  // they really came back from the file
  EXPECT_EQ(fs[0].checksum_failures, 0u);
  EXPECT_EQ(p->stats().checksum_failures, 0u);
  EXPECT_OK(f->close());
}

// checksum.hpp: place::offset puts the field at a fixed offset; the CRC covers
// the bytes before and after it.
TEST(Checksum, OffsetPlacementCoversTheBytesAroundTheField) {
  temp_dir d;
  const std::string path = d.file("offset");
  constexpr std::size_t ps = 1024;
  const auto o = at_offset(24);
  auto p = make_pool(3, ps);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(register_checksum(*p, kType, o));
  auto f = open_typed(*p, path, ps, open_flags::create);
  make_pages(*f, 9, kSeed);
  ASSERT_OK(f->sync());
  for (pgno_t i = 0; i < 9; ++i) EXPECT_TRUE(disk_page_checksummed(path, i, ps, 24, kSeed));
  for (pgno_t i = 0; i < 9; ++i) EXPECT_TRUE(payload_reads(*f, i, 24, kSeed));
  // A damaged byte after the field is caught as well as one before it.
  ASSERT_OK(f->close());
  ASSERT_OK(p->close());
  flip(path, 5, ps, 1000, 0xEE);
  flip(path, 6, ps, 3, 0x11);
  auto q = make_pool(3, ps);
  ASSERT_OK(register_checksum(*q, kType, o));
  auto g = open_typed(*q, path, ps);
  void* page = nullptr;
  pgno_t n = 5;
  EXPECT_ERR(g->get(&n, get_flags::none, &page), errc::page_corrupt);
  n = 6;
  EXPECT_ERR(g->get(&n, get_flags::none, &page), errc::page_corrupt);
  EXPECT_TRUE(payload_reads(*g, 4, 24, kSeed));
  EXPECT_EQ(q->stats().checksum_failures, 2u);
  EXPECT_OK(g->close());
}

// checksum.hpp "A page that fails": a page damaged on disk while the pool was
// closed fails get with page_corrupt, every time, counted each time; the
// frame goes back (two frames serve every other page after ten failures);
// nothing stays pinned (close succeeds).
TEST(Checksum, PageCorruptedOnDiskFailsGetAndLeavesNothingBehind) {
  temp_dir d;
  const std::string path = d.file("corrupt");
  constexpr std::size_t ps = 2048;
  write_checksummed_file(path, ps, trailer(), 6, kSeed);
  flip(path, 3, ps, 100, 0x01);

  auto p = make_pool(2, ps);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(register_checksum(*p, kType, trailer()));
  auto f = open_typed(*p, path, ps);
  for (int i = 0; i < 10; ++i) {
    void* page = nullptr;
    pgno_t n = 3;
    EXPECT_ERR(f->get(&n, get_flags::none, &page), errc::page_corrupt) << "try " << i;
    page_handle h;
    n = 3;
    EXPECT_ERR(f->get(n, get_flags::dirty, h), errc::page_corrupt) << "try " << i;
    EXPECT_FALSE(h);
  }
  EXPECT_EQ(p->stats().checksum_failures, 20u);
  EXPECT_EQ(file_checksum_failures(*p, path), 20u);
  EXPECT_EQ(p->stats().pages, 0u);  // no frame kept the failed page
  for (pgno_t i : {0u, 1u, 2u, 4u, 5u}) EXPECT_TRUE(payload_reads(*f, i, ps - 4, kSeed)) << i;
  EXPECT_OK(f->close());  // EBUSY if a failed get had left a pin
  // Clearing the statistics clears the count.
  (void)p->stats(true);
  EXPECT_EQ(p->stats().checksum_failures, 0u);
}

// checksum.hpp: a page evicted, then damaged on disk, fails when read again;
// repaired, it reads again: the failure left no state.
TEST(Checksum, PageDamagedAfterEvictionFailsUntilRepaired) {
  temp_dir d;
  const std::string path = d.file("evicted");
  constexpr std::size_t ps = 4096;
  auto p = make_pool(2, ps);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(register_checksum(*p, kType, trailer()));
  auto f = open_typed(*p, path, ps, open_flags::create);
  make_pages(*f, 8, kSeed);
  ASSERT_OK(f->sync());
  for (pgno_t i = 4; i < 8; ++i) EXPECT_TRUE(payload_reads(*f, i, ps - 4, kSeed));  // evicts 0..3
  flip(path, 1, ps, 4094, 0x24);  // a trailer byte
  void* page = nullptr;
  pgno_t n = 1;
  EXPECT_ERR(f->get(&n, get_flags::none, &page), errc::page_corrupt);
  EXPECT_EQ(file_checksum_failures(*p, path), 1u);
  flip(path, 1, ps, 4094, 0x24);
  EXPECT_TRUE(payload_reads(*f, 1, ps - 4, kSeed));
  EXPECT_EQ(file_checksum_failures(*p, path), 1u);
  EXPECT_OK(f->close());
}

// checksum.hpp "What verifies": an all-zero page (a hole, or zeros written by
// someone else) is a page never written, not a corrupt one; a zero field on a
// page with data is corrupt.
TEST(Checksum, NeverWrittenZeroPagesPass) {
  temp_dir d;
  const std::string path = d.file("holes");
  constexpr std::size_t ps = 1024;
  {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, 4 * ps), 0);  // pages 0..3: holes
    std::vector<std::uint8_t> z(ps, 0);
    ASSERT_EQ(::pwrite(fd, z.data(), ps, 4 * ps), static_cast<ssize_t>(ps));  // page 4: written zeros
    std::vector<std::uint8_t> one(ps, 0);
    one[300] = 1;  // page 5: data, field zero
    ASSERT_EQ(::pwrite(fd, one.data(), ps, 5 * ps), static_cast<ssize_t>(ps));
    ::close(fd);
  }
  auto p = make_pool(2, ps);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(register_checksum(*p, kType, trailer()));
  auto f = open_typed(*p, path, ps);
  for (pgno_t i = 0; i < 5; ++i) {
    void* page = nullptr;
    pgno_t n = i;
    ASSERT_OK(f->get(&n, get_flags::none, &page)) << i;
    EXPECT_TRUE(all_bytes(page, ps, 0)) << i;
    EXPECT_OK(f->put(page));
  }
  EXPECT_EQ(p->stats().checksum_failures, 0u);
  void* page = nullptr;
  pgno_t n = 5;
  EXPECT_ERR(f->get(&n, get_flags::none, &page), errc::page_corrupt);
  EXPECT_EQ(p->stats().checksum_failures, 1u);
  // A zero page written through the pool gets a real checksum (CRC of zeros).
  ASSERT_OK(f->close());
  auto g = open_typed(*p, path, ps);
  n = 0;
  ASSERT_OK(g->get(&n, get_flags::dirty, &page));
  ASSERT_OK(g->put(page, priority::unchanged, put_flags::dirty));
  ASSERT_OK(g->sync());
  auto v = read_disk_page(path, 0, ps);
  ASSERT_FALSE(v.empty());
  EXPECT_EQ(le32_at(v, ps - 4), crc_without(v, ps - 4));
  EXPECT_NE(le32_at(v, ps - 4), 0u);
  EXPECT_OK(g->close());
}

// checksum.hpp "Composition": the application's pgout runs first and the CRC
// covers its output; on read the CRC is checked before its pgin, which does
// not run for a page that fails.
TEST(Checksum, WrapsTheApplicationsPageInAndPageOut) {
  temp_dir d;
  const std::string path = d.file("wrapped");
  constexpr std::size_t ps = 1024;
  constexpr std::uint8_t x = 0x5A;
  int ins = 0, outs = 0;
  auto xor_all = [](void* page) {
    auto* b = static_cast<std::uint8_t*>(page);
    for (std::size_t i = 0; i < ps; ++i) b[i] ^= x;
  };
  page_io_fn pgin = [&](pgno_t, void* page, std::span<const std::byte>) {
    ++ins;
    xor_all(page);
    return 0;
  };
  page_io_fn pgout = [&](pgno_t, void* page, std::span<const std::byte>) {
    ++outs;
    xor_all(page);
    return 0;
  };
  auto p = make_pool(2, ps);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(register_checksum(*p, kType, trailer(), pgin, pgout));
  auto f = open_typed(*p, path, ps, open_flags::create);
  make_pages(*f, 6, kSeed);
  ASSERT_OK(f->sync());
  EXPECT_EQ(outs, 6);
  for (pgno_t i = 0; i < 6; ++i) EXPECT_TRUE(disk_page_checksummed(path, i, ps, ps - 4, kSeed, x)) << i;
  ins = 0;
  for (pgno_t i = 0; i < 6; ++i) EXPECT_TRUE(payload_reads(*f, i, ps - 4, kSeed)) << i;
  EXPECT_GE(ins, 4);  // at least the four pages two frames could not keep
  flip(path, 0, ps, 10, 0xFF);  // page 0 is not resident: two frames hold pages 4 and 5
  flip(path, 0, ps, 11, 0xFF);
  const int before = ins;
  void* page = nullptr;
  pgno_t n = 0;
  EXPECT_ERR(f->get(&n, get_flags::none, &page), errc::page_corrupt);
  EXPECT_EQ(ins, before);  // the application's pgin never saw the bad page
  EXPECT_OK(f->close());
}

// checksum.hpp: register_checksum's errors, and nothing changes on error.
TEST(Checksum, BadRegistrationIsEinvalAndKeepsTheOldEntry) {
  temp_dir d;
  const std::string path = d.file("bad");
  constexpr std::size_t ps = 4096;
  auto p = make_pool(2, ps);
  ASSERT_NE(p, nullptr);
  EXPECT_ERR(register_checksum(*p, 0, trailer()), std::errc::invalid_argument);
  EXPECT_ERR(register_checksum(*p, 128, trailer()), std::errc::invalid_argument);
  // A field past the largest page size (64 KiB) fits no page of any file.
  EXPECT_ERR(register_checksum(*p, kType, at_offset(65533)), std::errc::invalid_argument);
  checksum_options weird;
  weird.where = static_cast<checksum_options::place>(9);
  EXPECT_ERR(register_checksum(*p, kType, weird), std::errc::invalid_argument);
  EXPECT_OK(register_checksum(*p, kType, at_offset(65532)));  // the last 4 bytes of 64 KiB: fits
  ASSERT_OK(register_checksum(*p, kType, trailer()));
  EXPECT_ERR(register_checksum(*p, kType, at_offset(70000)), std::errc::invalid_argument);
  // The trailer entry is still the one in force.
  auto f = open_typed(*p, path, ps, open_flags::create);
  make_pages(*f, 1, kSeed);
  ASSERT_OK(f->sync());
  EXPECT_TRUE(disk_page_checksummed(path, 0, ps, ps - 4, kSeed));
  EXPECT_OK(f->close());
}

// checksum.hpp: a field that fits the pool's frames but not a smaller file's
// pages fails that file's page I/O with EINVAL.
TEST(Checksum, FieldPastAFilesPageFailsItsReadsWithEinval) {
  temp_dir d;
  const std::string path = d.file("small");
  write_file(path, 2, 1024, kSeed);
  auto p = make_pool(2, 8192);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(register_checksum(*p, kType, at_offset(5000)));
  auto f = open_typed(*p, path, 1024);
  void* page = nullptr;
  pgno_t n = 1;
  EXPECT_ERR(f->get(&n, get_flags::none, &page), std::errc::invalid_argument);
  n = 7;
  EXPECT_ERR(f->get(&n, get_flags::create, &page), std::errc::invalid_argument);
  EXPECT_EQ(p->stats().pages, 0u);
  EXPECT_OK(f->close());
}

// checksum.hpp: one entry per type: register_page_io replaces the checksum.
TEST(Checksum, RegisterPageIoReplacesTheChecksum) {
  temp_dir d;
  const std::string path = d.file("replaced");
  constexpr std::size_t ps = 2048;
  write_checksummed_file(path, ps, trailer(), 3, kSeed);
  flip(path, 2, ps, 7, 0x40);
  auto p = make_pool(2, ps);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(register_checksum(*p, kType, trailer()));
  ASSERT_OK(p->register_page_io(kType, {}, {}));
  auto f = open_typed(*p, path, ps);
  void* page = nullptr;
  pgno_t n = 2;
  ASSERT_OK(f->get(&n, get_flags::none, &page));  // not verified any more
  EXPECT_EQ(static_cast<std::uint8_t*>(page)[7], pattern_byte(2, 7, kSeed) ^ 0x40);
  EXPECT_OK(f->put(page));
  EXPECT_EQ(p->stats().checksum_failures, 0u);
  EXPECT_OK(f->close());
}

// checksum.hpp: a read-only file of a checksummed type is never served by
// mmap: its pages are verified like any other.
TEST(Checksum, ReadOnlyFileOfAChecksummedTypeIsVerifiedNotMapped) {
  temp_dir d;
  const std::string path = d.file("rdonly");
  constexpr std::size_t ps = 4096;
  write_checksummed_file(path, ps, trailer(), 4, kSeed);
  flip(path, 2, ps, 0, 0x80);
  pool_options o;
  o.cache_frames = 4;
  o.frame_size = ps;
  o.mmap_size = 1u << 20;  // large enough to map the file
  auto p = make_pool(o);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(register_checksum(*p, kType, trailer()));
  auto f = open_typed(*p, path, ps, open_flags::rdonly);
  EXPECT_TRUE(payload_reads(*f, 1, ps - 4, kSeed));
  void* page = nullptr;
  pgno_t n = 2;
  EXPECT_ERR(f->get(&n, get_flags::none, &page), errc::page_corrupt);
  EXPECT_EQ(p->stats().map, 0u);
  EXPECT_EQ(p->stats().checksum_failures, 1u);
  EXPECT_OK(f->close());
}

// error.hpp: page_corrupt is pagepool's own condition, with a message.
TEST(Checksum, PageCorruptIsAPagepoolCondition) {
  const std::error_code ec = errc::page_corrupt;
  EXPECT_EQ(ec.category(), pagepool::category());
  EXPECT_NE(ec.message().find("checksum"), std::string::npos) << ec.message();
  EXPECT_NE(ec, std::errc::io_error);
}

}  // namespace
}  // namespace pagepool::apitest
