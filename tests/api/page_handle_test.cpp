// tests/api/page_handle_test.cpp: page_handle ownership: move-only, put on
// destruction, release, set.
#include <type_traits>
#include <utility>

#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 1024;

// spec: page_handle.hpp: the handle is move-only
TEST(PageHandle, IsMoveOnly) {
  static_assert(!std::is_copy_constructible_v<page_handle>);
  static_assert(!std::is_copy_assignable_v<page_handle>);
  static_assert(std::is_nothrow_move_constructible_v<page_handle>);
  static_assert(std::is_nothrow_move_assignable_v<page_handle>);
  static_assert(std::is_nothrow_default_constructible_v<page_handle>);
  page_handle empty;
  EXPECT_FALSE(empty);
  EXPECT_EQ(empty.data(), nullptr);
  EXPECT_TRUE(empty.bytes().empty());
}

// spec: page_handle.hpp: moving transfers the pin; the moved-from handle is empty
TEST(PageHandle, MoveTransfersPin) {
  temp_dir d;
  write_file(d.file("h"), 4, kPs, 1);
  auto p = make_pool(4, kPs);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, d.file("h"), open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  {
    page_handle a;
    pgno_t n = 2;
    ASSERT_OK(f->get(n, get_flags::none, a));
    void* addr = a.data();
    page_handle b(std::move(a));
    EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move)
    ASSERT_TRUE(b);
    EXPECT_EQ(b.data(), addr);
    EXPECT_EQ(b.pgno(), 2u);
    EXPECT_EQ(b.bytes().size(), kPs);
    EXPECT_TRUE(page_has_pattern(b.data(), kPs, 2, 1));
    page_handle c;
    c = std::move(b);
    EXPECT_FALSE(b);  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(c.data(), addr);
    EXPECT_ERR(f->close(), std::errc::device_or_resource_busy);
    // Releasing the moved-from handles does nothing harmful.
    EXPECT_ERR(a.release(), std::errc::invalid_argument);
    EXPECT_ERR(b.release(), std::errc::invalid_argument);
    EXPECT_ERR(f->close(), std::errc::device_or_resource_busy);
  }
  EXPECT_OK(f->close());
}

// spec: page_handle.hpp: move assignment puts the page the target held
TEST(PageHandle, MoveAssignmentReleasesOldPin) {
  temp_dir d;
  write_file(d.file("h"), 4, kPs, 1);
  auto p = make_pool(2, kPs);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, d.file("h"), open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  {
    page_handle a, b;
    pgno_t n0 = 0, n1 = 1;
    ASSERT_OK(f->get(n0, get_flags::none, a));
    ASSERT_OK(f->get(n1, get_flags::none, b));
    a = std::move(b);  // page 0 is put here
    EXPECT_EQ(a.pgno(), 1u);
    // Page 0's frame is free: a third page fits in the two-frame pool.
    page_handle c;
    pgno_t n2 = 2;
    EXPECT_OK(f->get(n2, get_flags::none, c));
    EXPECT_TRUE(page_has_pattern(c.data(), kPs, 2, 1));
  }
  EXPECT_OK(f->close());
}

// spec: page_handle.hpp: the handle puts the page when destroyed (it becomes evictable)
TEST(PageHandle, DestructorPutsPage) {
  temp_dir d;
  auto p = make_pool(1, kPs);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, d.file("h"), open_flags::create, kPs);
  ASSERT_TRUE(f && f->is_open());
  {
    page_handle h;
    pgno_t n = 0;
    ASSERT_OK(f->get(n, get_flags::create | get_flags::dirty, h));
    fill_page(h.data(), kPs, 0, 4);
    page_handle other;
    pgno_t m = 1;
    EXPECT_ERR(f->get(m, get_flags::create, other), std::errc::not_enough_memory);
    EXPECT_FALSE(other);
  }
  {
    page_handle h;
    pgno_t n = 1;
    EXPECT_OK(f->get(n, get_flags::create, h));
    EXPECT_TRUE(h);
  }
  EXPECT_OK(f->close());
  EXPECT_OK(p->sync());
  EXPECT_TRUE(disk_page_has_pattern(d.file("h"), 0, kPs, 4));
}

// spec: page_handle.hpp release: EINVAL if the handle is empty (a second release)
TEST(PageHandle, ReleaseTwiceIsEinval) {
  temp_dir d;
  write_file(d.file("h"), 2, kPs, 1);
  auto p = make_pool(2, kPs);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, d.file("h"), open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  page_handle h;
  pgno_t n = 0;
  ASSERT_OK(f->get(n, get_flags::none, h));
  EXPECT_OK(h.release());
  EXPECT_FALSE(h);
  EXPECT_ERR(h.release(), std::errc::invalid_argument);
  EXPECT_ERR(h.set(put_flags::dirty), std::errc::invalid_argument);
  EXPECT_EQ(p->stats().page_dirty, 0u);
  EXPECT_OK(f->close());
}

// spec: page_handle.hpp set: changes the page's flags without unpinning; dirty then release is written by sync
TEST(PageHandle, SetDirtyThenReleaseIsWrittenBySync) {
  temp_dir d;
  const std::string path = d.file("h");
  write_file(path, 2, kPs, 1);
  auto p = make_pool(2, kPs);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  page_handle h;
  pgno_t n = 1;
  ASSERT_OK(f->get(n, get_flags::none, h));
  fill_page(h.data(), kPs, 1, 8);
  ASSERT_OK(h.set(put_flags::dirty));
  EXPECT_TRUE(h);
  EXPECT_EQ(p->stats().page_dirty, 1u);
  EXPECT_ERR(f->close(), std::errc::device_or_resource_busy);
  EXPECT_OK(h.release());
  ASSERT_OK(f->sync());
  EXPECT_TRUE(disk_page_has_pattern(path, 1, kPs, 8));
  EXPECT_OK(f->close());
}

// spec: page_handle.hpp release(prio, flags): a put with flags (dirty) through the handle
TEST(PageHandle, ReleaseWithDirtyFlagIsWrittenBySync) {
  temp_dir d;
  const std::string path = d.file("h");
  write_file(path, 2, kPs, 1);
  auto p = make_pool(2, kPs);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  page_handle h;
  pgno_t n = 0;
  ASSERT_OK(f->get(n, get_flags::none, h));
  fill_page(h.data(), kPs, 0, 9);
  EXPECT_ERR(h.release(priority::unchanged, put_flags::clean | put_flags::dirty),
             std::errc::invalid_argument);
  EXPECT_TRUE(h) << "a failed release must keep the pin";
  EXPECT_OK(h.release(priority::high, put_flags::dirty));
  EXPECT_FALSE(h);
  ASSERT_OK(f->sync());
  EXPECT_TRUE(disk_page_has_pattern(path, 0, kPs, 9));
  EXPECT_OK(f->close());
}

// spec: 001 close EBUSY rule applies to page_handle pins too (file.hpp close)
TEST(PageHandle, CloseIsBusyWhileHandleHoldsPin) {
  temp_dir d;
  write_file(d.file("h"), 2, kPs, 1);
  auto p = make_pool(2, kPs);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, d.file("h"), open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  page_handle h;
  pgno_t n = 0;
  ASSERT_OK(f->get(n, get_flags::none, h));
  EXPECT_ERR(f->close(), std::errc::device_or_resource_busy);
  EXPECT_TRUE(f->is_open());
  EXPECT_TRUE(page_has_pattern(h.data(), kPs, 0, 1));
  h = page_handle{};
  EXPECT_OK(f->close());
  EXPECT_FALSE(f->is_open());
}

}  // namespace
}  // namespace pagepool::apitest
