// tests/api/config_test.cpp: file configuration setters and getters: defaults,
// round trips, and the before-open / any-time rules.
#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 1024;

int noop_io(pgno_t, void*, std::span<const std::byte>) { return 0; }

// spec: ref §1.3 DB_MPOOLFILE getters: defaults of a fresh handle (clear_len 0, ftype 0, lsn_offset -1, maxsize 0)
TEST(FileConfig, DefaultsBeforeOpen) {
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = p->file_create();
  ASSERT_NE(f, nullptr);
  EXPECT_FALSE(f->is_open());
  EXPECT_FALSE(f->is_mapped());
  EXPECT_EQ(f->clear_len(), 0u);
  EXPECT_EQ(f->ftype(), 0);
  EXPECT_EQ(f->lsn_offset(), -1);
  EXPECT_TRUE(f->pgcookie().empty());
  EXPECT_EQ(f->maxsize(), 0u);
  pgno_t n = 0;
  EXPECT_ERR(f->get_last_pgno(&n), std::errc::invalid_argument);
}

// spec: 000 set_clear_len / set_ftype / set_lsn_offset / set_pgcookie: round trip before open
TEST(FileConfig, SettersRoundTripBeforeOpen) {
  temp_dir d;
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(p->register_page_io(12, noop_io, noop_io));
  auto f = p->file_create();
  ASSERT_OK(f->set_clear_len(48));
  EXPECT_EQ(f->clear_len(), 48u);
  ASSERT_OK(f->set_ftype(12));
  EXPECT_EQ(f->ftype(), 12);
  ASSERT_OK(f->set_lsn_offset(24));
  EXPECT_EQ(f->lsn_offset(), 24);
  const std::vector<std::byte> cookie{std::byte{1}, std::byte{2}, std::byte{0}, std::byte{255}};
  ASSERT_OK(f->set_pgcookie(cookie));
  EXPECT_EQ(f->pgcookie(), cookie);
  ASSERT_OK(f->set_priority(priority::very_high));
  EXPECT_EQ(f->get_priority(), priority::very_high);
  ASSERT_OK(f->set_maxsize(1u << 20));
  EXPECT_EQ(f->maxsize(), 1u << 20);
  // The values stay after open.
  ASSERT_OK(f->open(d.file("c"), open_flags::create, 0, kPs));
  EXPECT_EQ(f->clear_len(), 48u);
  EXPECT_EQ(f->ftype(), 12);
  EXPECT_EQ(f->lsn_offset(), 24);
  EXPECT_EQ(f->pgcookie(), cookie);
  EXPECT_EQ(f->get_priority(), priority::very_high);
  EXPECT_EQ(f->maxsize(), 1u << 20);
  EXPECT_EQ(f->page_size(), kPs);
  EXPECT_EQ(f->flags(), open_flags::create);
  EXPECT_OK(f->close());
}

// spec: ref §1.3 the setters illegal after open (clear_len, fileid, ftype, lsn_offset, pgcookie) return EINVAL after open
TEST(FileConfig, BeforeOpenSettersAreEinvalAfterOpen) {
  temp_dir d;
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(p->register_page_io(3, noop_io, noop_io));
  auto f = open_file(*p, d.file("c"), open_flags::create, kPs);
  ASSERT_TRUE(f && f->is_open());
  file_id before{};
  ASSERT_OK(f->get_fileid(before));
  file_id id{};
  id.fill(9);
  EXPECT_ERR(f->set_clear_len(16), std::errc::invalid_argument);
  EXPECT_ERR(f->set_fileid(id), std::errc::invalid_argument);
  EXPECT_ERR(f->set_ftype(3), std::errc::invalid_argument);
  EXPECT_ERR(f->set_lsn_offset(0), std::errc::invalid_argument);
  const std::vector<std::byte> cookie{std::byte{7}};
  EXPECT_ERR(f->set_pgcookie(cookie), std::errc::invalid_argument);
  // Nothing changed.
  EXPECT_EQ(f->clear_len(), 0u);
  EXPECT_EQ(f->ftype(), 0);
  EXPECT_EQ(f->lsn_offset(), -1);
  EXPECT_TRUE(f->pgcookie().empty());
  file_id after{};
  ASSERT_OK(f->get_fileid(after));
  EXPECT_EQ(after, before);
  EXPECT_OK(f->close());
}

// spec: ref §1.3 set_priority: any time; values outside 1..5 are EINVAL
TEST(FileConfig, PriorityAnyTimeAndRangeChecked) {
  temp_dir d;
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = p->file_create();
  ASSERT_OK(f->set_priority(priority::low));
  EXPECT_EQ(f->get_priority(), priority::low);
  ASSERT_OK(f->open(d.file("c"), open_flags::create, 0, kPs));
  ASSERT_OK(f->set_priority(priority::very_low));
  EXPECT_EQ(f->get_priority(), priority::very_low);
  EXPECT_ERR(f->set_priority(static_cast<priority>(9)), std::errc::invalid_argument);
  EXPECT_ERR(f->set_priority(static_cast<priority>(-3)), std::errc::invalid_argument);
  EXPECT_EQ(f->get_priority(), priority::very_low);
  EXPECT_OK(f->close());
}

// spec: ref §1.3 set_maxsize: any time; after open it updates the shared value (the other handle sees it)
TEST(FileConfig, MaxsizeAfterOpenChangesSharedFile) {
  temp_dir d;
  const std::string path = d.file("c");
  write_file(path, 2, kPs, 0);
  auto p = make_pool(8);
  ASSERT_NE(p, nullptr);
  auto a = open_file(*p, path, open_flags::none, kPs);
  auto b = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(a && b && a->is_open() && b->is_open());
  ASSERT_OK(a->set_maxsize(3 * kPs));
  EXPECT_EQ(a->maxsize(), 3 * kPs);
  EXPECT_EQ(b->maxsize(), 3 * kPs);
  void* page = nullptr;
  pgno_t n = 0;
  ASSERT_OK(b->get(&n, get_flags::new_page, &page));
  EXPECT_EQ(n, 2u);
  ASSERT_OK(b->put(page, priority::unchanged, put_flags::dirty));
  EXPECT_ERR(b->get(&n, get_flags::new_page, &page), std::errc::no_space_on_device);
  ASSERT_OK(b->set_maxsize(0));  // 0 = unlimited
  EXPECT_EQ(a->maxsize(), 0u);
  ASSERT_OK(a->get(&n, get_flags::new_page, &page));
  EXPECT_EQ(n, 3u);
  ASSERT_OK(a->put(page, priority::unchanged, put_flags::dirty));
  EXPECT_OK(a->close());
  EXPECT_OK(b->close());
}

// spec: file.hpp set_clear_len: larger than the page size is EINVAL at open
TEST(FileConfig, ClearLenLargerThanPageSizeIsEinvalAtOpen) {
  temp_dir d;
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = p->file_create();
  ASSERT_OK(f->set_clear_len(kPs + 1));
  EXPECT_ERR(f->open(d.file("c"), open_flags::create, 0, kPs), std::errc::invalid_argument);
  EXPECT_FALSE(f->is_open());
  auto g = p->file_create();
  ASSERT_OK(g->set_clear_len(kPs));
  EXPECT_OK(g->open(d.file("c"), open_flags::create, 0, kPs));
  EXPECT_OK(g->close());
}

// spec: file.hpp set_ftype: 0 or a type of register_page_io (1..127); out of range is EINVAL
TEST(FileConfig, FtypeOutOfRangeIsEinval) {
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = p->file_create();
  EXPECT_ERR(f->set_ftype(-1), std::errc::invalid_argument);
  EXPECT_ERR(f->set_ftype(128), std::errc::invalid_argument);
  EXPECT_EQ(f->ftype(), 0);
  EXPECT_OK(f->set_ftype(0));
}

// spec: ref §1.3 get_last_pgno: highest page number, tracks NEW and CREATE; open only
TEST(FileConfig, LastPgnoTracksGrowthAndIsOpenOnly) {
  temp_dir d;
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, d.file("c"), open_flags::create, kPs);
  ASSERT_TRUE(f && f->is_open());
  EXPECT_EQ(last_pgno(*f), 0u);
  write_page(*f, 0, 1, get_flags::new_page);
  EXPECT_EQ(last_pgno(*f), 0u);
  write_page(*f, 0, 1, get_flags::new_page);
  EXPECT_EQ(last_pgno(*f), 1u);
  write_page(*f, 9, 1, get_flags::create | get_flags::dirty);
  EXPECT_EQ(last_pgno(*f), 9u);
  ASSERT_OK(f->close());
  pgno_t n = 0;
  EXPECT_ERR(f->get_last_pgno(&n), std::errc::invalid_argument);
}

// spec: ref §1.3 get_last_pgno persists: reopening the file sees the pages written
TEST(FileConfig, ReopenSeesWrittenLength) {
  temp_dir d;
  const std::string path = d.file("c");
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  {
    auto f = open_file(*p, path, open_flags::create, kPs);
    ASSERT_TRUE(f && f->is_open());
    for (int i = 0; i < 6; ++i) write_page(*f, 0, 2, get_flags::new_page);
    ASSERT_OK(f->sync());
    ASSERT_OK(f->close());
  }
  auto q = make_pool(4);
  ASSERT_NE(q, nullptr);
  auto g = open_file(*q, path, open_flags::none, kPs);
  ASSERT_TRUE(g && g->is_open());
  EXPECT_EQ(last_pgno(*g), 5u);
  for (pgno_t i = 0; i < 6; ++i) EXPECT_TRUE(page_reads(*g, i, 2)) << i;
  EXPECT_OK(g->close());
}

}  // namespace
}  // namespace pagepool::apitest
