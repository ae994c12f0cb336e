// tests/api/sync_test.cpp: file::sync and pool::sync (with and without an LSN
// bound), including pinned dirty pages (errc::incomplete).
#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 1024;

// spec: 001 DbMpoolFile::sync writes all pages of this file marked modified, back to the source file
TEST(FileSync, WritesOnlyThisFilesPages) {
  temp_dir d;
  const std::string a = d.file("a"), b = d.file("b");
  write_file(a, 4, kPs, 0);
  write_file(b, 4, kPs, 0);
  auto p = make_pool(16);
  ASSERT_NE(p, nullptr);
  auto fa = open_file(*p, a, open_flags::none, kPs);
  auto fb = open_file(*p, b, open_flags::none, kPs);
  ASSERT_TRUE(fa && fb && fa->is_open() && fb->is_open());
  for (pgno_t i = 0; i < 3; ++i) write_page(*fa, i, 1, get_flags::dirty);
  for (pgno_t i = 1; i < 3; ++i) write_page(*fb, i, 2, get_flags::dirty);
  EXPECT_EQ(p->stats().page_dirty, 5u);
  std::uint64_t out0 = p->stats().page_out;
  ASSERT_OK(fa->sync());
  EXPECT_EQ(p->stats().page_out, out0 + 3);
  EXPECT_EQ(p->stats().page_dirty, 2u);
  for (pgno_t i = 0; i < 3; ++i) EXPECT_TRUE(disk_page_has_pattern(a, i, kPs, 1)) << i;
  EXPECT_TRUE(disk_page_has_pattern(a, 3, kPs, 0));
  for (pgno_t i = 0; i < 4; ++i) EXPECT_TRUE(disk_page_has_pattern(b, i, kPs, 0)) << i;
  ASSERT_OK(fb->sync());
  EXPECT_EQ(p->stats().page_dirty, 0u);
  for (pgno_t i = 1; i < 3; ++i) EXPECT_TRUE(disk_page_has_pattern(b, i, kPs, 2)) << i;
  EXPECT_OK(fa->close());
  EXPECT_OK(fb->close());
}

// spec: 001 sync: pinned modified pages are ignored and DB_INCOMPLETE is returned; the others are written
TEST(FileSync, PinnedDirtyPageIsIncompleteThenWrittenAfterPut) {
  temp_dir d;
  const std::string a = d.file("a");
  write_file(a, 4, kPs, 0);
  auto p = make_pool(8);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, a, open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  void* pinned = nullptr;
  pgno_t n = 0;
  ASSERT_OK(f->get(&n, get_flags::dirty, &pinned));
  fill_page(pinned, kPs, 0, 5);
  write_page(*f, 1, 5, get_flags::dirty);
  EXPECT_ERR(f->sync(), pagepool::errc::incomplete);
  EXPECT_TRUE(disk_page_has_pattern(a, 0, kPs, 0));
  EXPECT_TRUE(disk_page_has_pattern(a, 1, kPs, 5));
  EXPECT_EQ(p->stats().page_dirty, 1u);
  EXPECT_ERR(p->sync(), pagepool::errc::incomplete);
  EXPECT_TRUE(disk_page_has_pattern(a, 0, kPs, 0));
  ASSERT_OK(f->put(pinned));
  ASSERT_OK(f->sync());
  EXPECT_TRUE(disk_page_has_pattern(a, 0, kPs, 5));
  EXPECT_EQ(p->stats().page_dirty, 0u);
  EXPECT_OK(f->close());
}

// spec: ref §1.3 sync: no-op (returns 0) for read-only handles
TEST(FileSync, ReadOnlyHandleIsNoOp) {
  temp_dir d;
  write_file(d.file("a"), 2, kPs, 0);
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, d.file("a"), open_flags::rdonly | open_flags::nommap, kPs);
  ASSERT_TRUE(f && f->is_open());
  EXPECT_TRUE(page_reads(*f, 1, 0));
  EXPECT_OK(f->sync());
  EXPECT_EQ(p->stats().page_out, 0u);
  EXPECT_OK(f->close());
}

// spec: ref §1.3 the code returns EINVAL for sync before open
TEST(FileSync, BeforeOpenIsEinval) {
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = p->file_create();
  EXPECT_ERR(f->sync(), std::errc::invalid_argument);
}

// spec: 000 memp_sync: writes every dirty page of every file
TEST(PoolSync, WritesEveryFilesDirtyPages) {
  temp_dir d;
  const std::string a = d.file("a"), b = d.file("b");
  write_file(a, 3, kPs, 0);
  write_file(b, 3, 2048, 0);
  auto p = make_pool(16);
  ASSERT_NE(p, nullptr);
  auto fa = open_file(*p, a, open_flags::none, kPs);
  auto fb = open_file(*p, b, open_flags::none, 2048);
  ASSERT_TRUE(fa && fb && fa->is_open() && fb->is_open());
  write_page(*fa, 0, 1, get_flags::dirty);
  write_page(*fa, 2, 1, get_flags::dirty);
  write_page(*fb, 1, 3, get_flags::dirty);
  write_page(*fb, 4, 3, get_flags::create | get_flags::dirty);
  std::uint64_t out0 = p->stats().page_out;
  ASSERT_OK(p->sync());
  EXPECT_EQ(p->stats().page_out, out0 + 4);
  EXPECT_EQ(p->stats().page_dirty, 0u);
  EXPECT_TRUE(disk_page_has_pattern(a, 0, kPs, 1));
  EXPECT_TRUE(disk_page_has_pattern(a, 1, kPs, 0));
  EXPECT_TRUE(disk_page_has_pattern(a, 2, kPs, 1));
  EXPECT_TRUE(disk_page_has_pattern(b, 1, 2048, 3));
  EXPECT_TRUE(disk_page_has_pattern(b, 4, 2048, 3));
  EXPECT_EQ(file_size(b), 5u * 2048u);
  EXPECT_OK(fa->close());
  EXPECT_OK(fb->close());
}

void put_lsn(void* page, std::int32_t offset, lsn l) {
  auto* b = static_cast<std::uint8_t*>(page) + offset;
  std::memcpy(b, &l.file, 4);
  std::memcpy(b + 4, &l.offset, 4);
}

// spec: ref §4 memp_sync(lsn): docs say pages with LSN < lsn are written (pagepool follows the docs); files without lsn_offset are always written
TEST(PoolSync, LsnBoundWritesOnlyPagesBelowIt) {
  temp_dir d;
  const std::string a = d.file("logged"), b = d.file("plain");
  write_file(a, 5, kPs, 0);
  write_file(b, 2, kPs, 0);
  std::vector<lsn> flushed;
  auto p = make_pool(16);
  ASSERT_NE(p, nullptr);
  p->set_log_flush([&](const lsn& upto) {
    flushed.push_back(upto);
    return 0;
  });
  auto fa = p->file_create();
  ASSERT_OK(fa->set_lsn_offset(8));
  ASSERT_OK(fa->open(a, open_flags::none, 0, kPs));
  auto fb = open_file(*p, b, open_flags::none, kPs);
  ASSERT_TRUE(fb && fb->is_open());
  const lsn lsns[5] = {{1, 100}, {1, 200}, {2, 0}, {0, 50}, {1, 199}};
  std::vector<std::vector<std::uint8_t>> expect(5);
  for (pgno_t i = 0; i < 5; ++i) {
    void* page = nullptr;
    pgno_t n = i;
    ASSERT_OK(fa->get(&n, get_flags::dirty, &page));
    fill_page(page, kPs, i, 4);
    put_lsn(page, 8, lsns[i]);
    expect[i].assign(static_cast<std::uint8_t*>(page), static_cast<std::uint8_t*>(page) + kPs);
    ASSERT_OK(fa->put(page));
  }
  write_page(*fb, 0, 6, get_flags::dirty);
  write_page(*fb, 1, 6, get_flags::dirty);
  EXPECT_EQ(p->stats().page_dirty, 7u);

  ASSERT_OK(p->sync(lsn{1, 200}));
  // Below {1,200}: pages 0 ({1,100}), 3 ({0,50}), 4 ({1,199}). Not below: 1 (equal), 2.
  for (pgno_t i : {0u, 3u, 4u}) EXPECT_EQ(read_disk_page(a, i, kPs), expect[i]) << "page " << i;
  for (pgno_t i : {1u, 2u}) EXPECT_TRUE(disk_page_has_pattern(a, i, kPs, 0)) << "page " << i;
  EXPECT_TRUE(disk_page_has_pattern(b, 0, kPs, 6));
  EXPECT_TRUE(disk_page_has_pattern(b, 1, kPs, 6));
  EXPECT_EQ(p->stats().page_dirty, 2u);
  // Without a bound everything goes.
  ASSERT_OK(p->sync());
  for (pgno_t i = 0; i < 5; ++i) EXPECT_EQ(read_disk_page(a, i, kPs), expect[i]) << "page " << i;
  EXPECT_EQ(p->stats().page_dirty, 0u);
  EXPECT_OK(fa->close());
  EXPECT_OK(fb->close());
}

// spec: 000 memp_sync: temporary files excepted (pool.hpp sync)
TEST(PoolSync, DoesNotWriteTemporaryFiles) {
  auto p = make_pool(8);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, std::nullopt, open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  for (int i = 0; i < 4; ++i) write_page(*f, 0, 1, get_flags::new_page);
  std::uint64_t out0 = p->stats().page_out;
  EXPECT_OK(p->sync());
  EXPECT_OK(f->sync());
  EXPECT_EQ(p->stats().page_out, out0);
  for (pgno_t i = 0; i < 4; ++i) EXPECT_TRUE(page_reads(*f, i, 1));
  EXPECT_OK(f->close());
}

}  // namespace
}  // namespace pagepool::apitest
