// tests/api/file_flags_test.cpp: file::set_flags (BDB: DB_MPOOLFILE->set_flags
// with DB_MPOOL_NOFILE and DB_MPOOL_UNLINK).

#include <gtest/gtest.h>

#include "api/api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPage = 1024;

TEST(FileFlags, UnknownFlagIsEinval) {
  auto p = make_pool(8, kPage);
  auto f = p->file_create();
  EXPECT_ERR(f->set_flags(static_cast<file_flags>(0x4), true), std::errc::invalid_argument);
  EXPECT_EQ(f->get_file_flags(), file_flags::none);
}

TEST(FileFlags, BothFlagsInOneCall) {  // set_flags: "one or more of the following values"
  auto p = make_pool(8, kPage);
  auto f = p->file_create();
  ASSERT_OK(f->set_flags(file_flags::nofile | file_flags::unlink, true));
  EXPECT_EQ(f->get_file_flags(), file_flags::nofile | file_flags::unlink);
  ASSERT_OK(f->set_flags(file_flags::unlink, false));
  EXPECT_EQ(f->get_file_flags(), file_flags::nofile);
}

TEST(FileFlags, NofileNeverTouchesTheDisk) {  // DB_MPOOL_NOFILE: no backing file
  temp_dir d;
  auto p = make_pool(8, 4096);
  const std::string name = d.file("mem");
  auto f = p->file_create();
  ASSERT_OK(f->set_flags(file_flags::nofile, true));
  ASSERT_OK(f->open(name, open_flags::create, 0, kPage));
  for (pgno_t i = 0; i < 6; ++i) {
    pgno_t n = 0;
    void* pg = nullptr;
    ASSERT_OK(f->get(&n, get_flags::new_page, &pg));
    EXPECT_EQ(n, i);
    fill_page(pg, kPage, n, 1);
    ASSERT_OK(f->put(pg));
  }
  ASSERT_OK(f->sync());
  ASSERT_OK(p->sync());
  EXPECT_FALSE(std::filesystem::exists(name));
  // Pages are never evicted: they are all still there.
  for (pgno_t i = 0; i < 6; ++i) {
    pgno_t n = i;
    void* pg = nullptr;
    ASSERT_OK(f->get(&n, get_flags::none, &pg));
    EXPECT_TRUE(page_has_pattern(pg, kPage, i, 1)) << i;
    ASSERT_OK(f->put(pg));
  }
  ASSERT_OK(f->close());
}

TEST(FileFlags, NofileNewFailsOnceTheCacheIsFull) {  // "NEW fails once the cache is full"
  auto p = make_pool(4, kPage);
  auto f = p->file_create();
  ASSERT_OK(f->set_flags(file_flags::nofile, true));
  ASSERT_OK(f->open(std::nullopt, open_flags::none, 0, kPage));
  for (int i = 0; i < 4; ++i) {
    pgno_t n = 0;
    void* pg = nullptr;
    ASSERT_OK(f->get(&n, get_flags::new_page, &pg));
    ASSERT_OK(f->put(pg));
  }
  pgno_t n = 0;
  void* pg = nullptr;
  EXPECT_ERR(f->get(&n, get_flags::new_page, &pg), std::errc::not_enough_memory);
  ASSERT_OK(f->close());
}

TEST(FileFlags, NamedNofileIsSharedByNameAndOutlivesItsHandles) {
  auto p = make_pool(8, 4096);
  auto a = p->file_create();
  ASSERT_OK(a->set_flags(file_flags::nofile, true));
  ASSERT_OK(a->open(std::string("shared-mem"), open_flags::create, 0, kPage));
  pgno_t n = 0;
  void* pg = nullptr;
  ASSERT_OK(a->get(&n, get_flags::new_page, &pg));
  fill_page(pg, kPage, 0, 4);
  ASSERT_OK(a->put(pg));
  ASSERT_OK(a->close());
  // Without create, a missing in-memory file is ENOENT.
  auto c = p->file_create();
  ASSERT_OK(c->set_flags(file_flags::nofile, true));
  EXPECT_ERR(c->open(std::string("other-mem"), open_flags::none, 0, kPage),
             std::errc::no_such_file_or_directory);
  // The same name finds the pages the closed handle made.
  auto b = p->file_create();
  ASSERT_OK(b->set_flags(file_flags::nofile, true));
  ASSERT_OK(b->open(std::string("shared-mem"), open_flags::none, 0, kPage));
  n = 0;
  ASSERT_OK(b->get(&n, get_flags::none, &pg));
  EXPECT_TRUE(page_has_pattern(pg, kPage, 0, 4));
  ASSERT_OK(b->put(pg));
  ASSERT_OK(b->close());
}

TEST(FileFlags, NofileAfterOpenIsEinval) {
  temp_dir d;
  auto p = make_pool(8, 4096);
  auto f = open_file(*p, d.file("x"), open_flags::create, kPage);
  ASSERT_TRUE(f);
  EXPECT_ERR(f->set_flags(file_flags::nofile, true), std::errc::invalid_argument);
  EXPECT_EQ(f->get_file_flags(), file_flags::none);
  ASSERT_OK(f->close());
}

TEST(FileFlags, UnlinkRemovesTheFileAtLastCloseWithoutWriting) {  // DB_MPOOL_UNLINK
  temp_dir d;
  auto p = make_pool(8, 4096);
  const std::string path = d.file("u");
  auto a = open_file(*p, path, open_flags::create, kPage);
  auto b = open_file(*p, path, open_flags::none, kPage);
  ASSERT_TRUE(a && b);
  write_page(*a, 0, 2);
  ASSERT_OK(a->set_flags(file_flags::unlink, true));  // after open: the shared file
  EXPECT_EQ(b->get_file_flags(), file_flags::unlink);
  ASSERT_OK(a->close());
  EXPECT_TRUE(std::filesystem::exists(path));  // b still has it open
  ASSERT_OK(b->close());
  EXPECT_FALSE(std::filesystem::exists(path));
  const pool_stats st = p->stats();
  EXPECT_EQ(st.page_dirty, 0u);  // its pages went unwritten
  EXPECT_EQ(st.page_out, 0u);
}

TEST(FileFlags, UnlinkSetBeforeOpen) {
  temp_dir d;
  auto p = make_pool(8, 4096);
  const std::string path = d.file("v");
  auto f = p->file_create();
  ASSERT_OK(f->set_flags(file_flags::unlink, true));
  ASSERT_OK(f->open(path, open_flags::create, 0, kPage));
  EXPECT_TRUE(std::filesystem::exists(path));
  ASSERT_OK(f->close());
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace pagepool::apitest
