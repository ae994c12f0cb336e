// tests/api/get_test.cpp: file::get flags, page creation and zeroing, and every
// get error (EINVAL, page_not_found, EACCES, ENOSPC, ENOMEM, EAGAIN) with the
// check that nothing changed after it.
#include <chrono>

#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 1024;

struct GetFixture : ::testing::Test {
  temp_dir dir;
  std::string path = dir.file("data");
  std::unique_ptr<pool> p;
  std::unique_ptr<file> f;

  void open_with(std::size_t frames, std::size_t pages_on_disk,
                 open_flags flags = open_flags::none) {
    write_file(path, pages_on_disk, kPs, 0);
    p = make_pool(frames, kPs);
    ASSERT_NE(p, nullptr);
    f = open_file(*p, path, flags, kPs);
    ASSERT_TRUE(f && f->is_open());
  }
  void TearDown() override {
    if (f && f->is_open()) {
      EXPECT_OK(f->close());
    }
  }
};

// spec: 001 get: if the page does not exist, get fails (ref §1.5: DB_PAGE_NOTFOUND without CREATE)
TEST_F(GetFixture, MissingPageWithoutCreateIsPageNotFound) {
  open_with(8, 3);
  pgno_t n = 3;
  void* page = reinterpret_cast<void*>(0x1);
  pool_stats before = p->stats();
  EXPECT_ERR(f->get(&n, get_flags::none, &page), pagepool::errc::page_not_found);
  n = 1000;
  EXPECT_ERR(f->get(&n, get_flags::none, &page), pagepool::errc::page_not_found);
  EXPECT_ERR(f->get(&n, get_flags::dirty, &page), pagepool::errc::page_not_found);
  EXPECT_EQ(last_pgno(*f), 2u);
  EXPECT_EQ(p->stats().pages, before.pages);
  EXPECT_EQ(p->stats().page_create, before.page_create);
  EXPECT_EQ(file_size(path), 3 * kPs);
}

// spec: 001 get: page numbers begin at 0; the returned page is size_t aligned
TEST_F(GetFixture, ExistingPageHasFileContentsAndIsAligned) {
  open_with(8, 3);
  for (pgno_t i = 0; i < 3; ++i) {
    pgno_t n = i;
    void* page = nullptr;
    ASSERT_OK(f->get(&n, get_flags::none, &page));
    EXPECT_EQ(n, i);
    ASSERT_NE(page, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(page) % alignof(std::size_t), 0u);
    EXPECT_TRUE(page_has_pattern(page, kPs, i, 0));
    EXPECT_OK(f->put(page));
  }
}

// spec: 001 get DB_MPOOL_CREATE: if the specified page does not exist, create it (ref §1.5: raises last_pgno)
TEST_F(GetFixture, CreateMakesPageAndExtendsLastPgno) {
  open_with(8, 2);
  pgno_t n = 5;
  void* page = nullptr;
  ASSERT_OK(f->get(&n, get_flags::create, &page));
  EXPECT_EQ(n, 5u);
  EXPECT_TRUE(all_bytes(page, kPs, 0));
  EXPECT_EQ(last_pgno(*f), 5u);
  EXPECT_EQ(p->stats().page_create, 1u);
  EXPECT_OK(f->put(page));
  // CREATE of an existing page returns it unchanged, creating nothing.
  n = 1;
  ASSERT_OK(f->get(&n, get_flags::create, &page));
  EXPECT_TRUE(page_has_pattern(page, kPs, 1, 0));
  EXPECT_OK(f->put(page));
  EXPECT_EQ(p->stats().page_create, 1u);
  EXPECT_EQ(last_pgno(*f), 5u);
}

// spec: ref §1.5 CREATE: the created page is dirty and reaches the file on sync
TEST_F(GetFixture, CreatedPageIsWrittenBySync) {
  open_with(8, 1);
  pgno_t n = 1;
  void* page = nullptr;
  ASSERT_OK(f->get(&n, get_flags::create, &page));
  fill_page(page, kPs, 1, 3);
  EXPECT_OK(f->put(page, priority::unchanged, put_flags::dirty));
  ASSERT_OK(p->sync());
  EXPECT_TRUE(disk_page_has_pattern(path, 1, kPs, 3));
}

// spec: 001 get DB_MPOOL_LAST: return the last page and copy its page number to pgnoaddr
TEST_F(GetFixture, LastReturnsLastPageAndItsNumber) {
  open_with(8, 4);
  pgno_t n = 0;
  void* page = nullptr;
  ASSERT_OK(f->get(&n, get_flags::last, &page));
  EXPECT_EQ(n, 3u);
  EXPECT_TRUE(page_has_pattern(page, kPs, 3, 0));
  EXPECT_OK(f->put(page));
  // After extending, LAST follows.
  write_page(*f, 6, 1);
  n = 0;
  ASSERT_OK(f->get(&n, get_flags::last, &page));
  EXPECT_EQ(n, 6u);
  EXPECT_TRUE(page_has_pattern(page, kPs, 6, 1));
  EXPECT_OK(f->put(page));
}

// spec: 001 get DB_MPOOL_NEW: create a new page in the file and copy its page number to pgnoaddr (ref §1.5: last_pgno + 1)
TEST_F(GetFixture, NewAllocatesLastPlusOne) {
  open_with(8, 3);
  pgno_t n = 999;
  void* page = nullptr;
  ASSERT_OK(f->get(&n, get_flags::new_page, &page));
  EXPECT_EQ(n, 3u);
  EXPECT_TRUE(all_bytes(page, kPs, 0));
  EXPECT_OK(f->put(page, priority::unchanged, put_flags::dirty));
  EXPECT_EQ(last_pgno(*f), 3u);
  n = 0;
  ASSERT_OK(f->get(&n, get_flags::new_page, &page));
  EXPECT_EQ(n, 4u);
  EXPECT_OK(f->put(page));
  EXPECT_EQ(last_pgno(*f), 4u);
  EXPECT_EQ(p->stats().page_create, 2u);
}

// spec: ref §1.5 NEW: allocates page 0 in an empty file
TEST_F(GetFixture, NewOnEmptyFileIsPageZero) {
  open_with(8, 0);
  pgno_t n = 42;
  void* page = nullptr;
  ASSERT_OK(f->get(&n, get_flags::new_page, &page));
  EXPECT_EQ(n, 0u);
  EXPECT_OK(f->put(page, priority::unchanged, put_flags::dirty));
  EXPECT_EQ(last_pgno(*f), 0u);
  n = 42;
  ASSERT_OK(f->get(&n, get_flags::new_page, &page));
  EXPECT_EQ(n, 1u);
  EXPECT_OK(f->put(page, priority::unchanged, put_flags::dirty));
  EXPECT_EQ(last_pgno(*f), 1u);
  ASSERT_OK(f->sync());
  EXPECT_EQ(file_size(path), 2 * kPs);
}

// spec: 001 get EINVAL: more than one of DB_MPOOL_CREATE, DB_MPOOL_LAST and DB_MPOOL_NEW was set
TEST_F(GetFixture, MoreThanOneOfCreateLastNewIsEinval) {
  open_with(8, 3);
  const get_flags combos[] = {
      get_flags::create | get_flags::last, get_flags::create | get_flags::new_page,
      get_flags::last | get_flags::new_page,
      get_flags::create | get_flags::last | get_flags::new_page,
      get_flags::create | get_flags::new_page | get_flags::dirty};
  pool_stats before = p->stats();
  for (get_flags fl : combos) {
    pgno_t n = 1;
    void* page = nullptr;
    EXPECT_ERR(f->get(&n, fl, &page), std::errc::invalid_argument)
        << "flags " << static_cast<std::uint32_t>(fl);
  }
  EXPECT_EQ(last_pgno(*f), 2u);
  EXPECT_EQ(p->stats().pages, before.pages);
  EXPECT_EQ(p->stats().page_create, before.page_create);
}

// spec: 001 get EINVAL: an invalid flag value was specified (ref §1.5: TRY 0x40, FREE 0x8 are EINVAL)
TEST_F(GetFixture, UnknownFlagBitsAreEinval) {
  open_with(8, 3);
  for (std::uint32_t bits : {0x8u, 0x40u, 0x80u, 0x100u, 0x80000000u}) {
    pgno_t n = 0;
    void* page = nullptr;
    EXPECT_ERR(f->get(&n, static_cast<get_flags>(bits), &page), std::errc::invalid_argument)
        << std::hex << bits;
  }
  EXPECT_EQ(p->stats().pages, 0u);
}

// spec: ref §1.3 get before open returns EINVAL
TEST(Get, BeforeOpenIsEinval) {
  auto p = make_pool(4, kPs);
  ASSERT_NE(p, nullptr);
  auto f = p->file_create();
  pgno_t n = 0;
  void* page = nullptr;
  EXPECT_ERR(f->get(&n, get_flags::none, &page), std::errc::invalid_argument);
  EXPECT_ERR(f->get(&n, get_flags::new_page, &page), std::errc::invalid_argument);
  page_handle h;
  EXPECT_ERR(f->get(n, get_flags::create, h), std::errc::invalid_argument);
  EXPECT_FALSE(h);
}

// spec: ref §1.5 DIRTY: takes the page for writing and makes it dirty; DIRTY then put(none) is written by sync
TEST_F(GetFixture, DirtyGetThenPlainPutIsWrittenBySync) {
  open_with(8, 4);
  for (get_flags fl : {get_flags::dirty, get_flags::edit}) {
    pgno_t n = fl == get_flags::dirty ? 1 : 2;
    void* page = nullptr;
    ASSERT_OK(f->get(&n, fl, &page));
    fill_page(page, kPs, n, 7);
    EXPECT_OK(f->put(page));
  }
  EXPECT_EQ(p->stats().page_dirty, 2u);
  EXPECT_TRUE(disk_page_has_pattern(path, 1, kPs, 0));
  ASSERT_OK(p->sync());
  EXPECT_TRUE(disk_page_has_pattern(path, 1, kPs, 7));
  EXPECT_TRUE(disk_page_has_pattern(path, 2, kPs, 7));
  EXPECT_TRUE(disk_page_has_pattern(path, 0, kPs, 0));
  EXPECT_TRUE(disk_page_has_pattern(path, 3, kPs, 0));
  EXPECT_EQ(p->stats().page_dirty, 0u);
}

// spec: ref §1.5 DIRTY: a dirty page survives eviction (written first, rw_evict)
TEST_F(GetFixture, DirtyPageIsWrittenWhenEvicted) {
  open_with(2, 6);
  write_page(*f, 0, 5, get_flags::dirty);
  for (pgno_t i = 1; i < 6; ++i) EXPECT_TRUE(page_reads(*f, i, 0));
  EXPECT_TRUE(disk_page_has_pattern(path, 0, kPs, 5));
  EXPECT_GE(p->stats().rw_evict, 1u);
  EXPECT_TRUE(page_reads(*f, 0, 5));
}

// spec: file.hpp get: EACCES for dirty or edit on a read-only handle
TEST_F(GetFixture, DirtyOrEditOnReadOnlyIsEacces) {
  open_with(8, 3, open_flags::rdonly | open_flags::nommap);
  for (get_flags fl : {get_flags::dirty, get_flags::edit}) {
    pgno_t n = 1;
    void* page = nullptr;
    EXPECT_ERR(f->get(&n, fl, &page), std::errc::permission_denied);
  }
  EXPECT_EQ(p->stats().page_dirty, 0u);
  EXPECT_TRUE(page_reads(*f, 1, 0));
}

// spec: 001 get EINVAL: the DB_MPOOL_NEW flag was set and the source file was not opened for writing
TEST_F(GetFixture, NewOnReadOnlyIsEinval) {
  open_with(8, 3, open_flags::rdonly | open_flags::nommap);
  pgno_t n = 0;
  void* page = nullptr;
  pool_stats before = p->stats();
  EXPECT_ERR(f->get(&n, get_flags::new_page, &page), std::errc::invalid_argument);
  // file.hpp: create of a missing page on a read-only handle is EINVAL too.
  n = 3;
  EXPECT_ERR(f->get(&n, get_flags::create, &page), std::errc::invalid_argument);
  EXPECT_EQ(last_pgno(*f), 2u);
  EXPECT_EQ(p->stats().pages, before.pages);
  EXPECT_EQ(p->stats().page_create, 0u);
  // create of an existing page is a plain get.
  n = 2;
  ASSERT_OK(f->get(&n, get_flags::create, &page));
  EXPECT_TRUE(page_has_pattern(page, kPs, 2, 0));
  EXPECT_OK(f->put(page));
}

// spec: ref §1.3 set_maxsize: NEW or CREATE past the cap gives ENOSPC (correct bound: N pages allowed)
TEST_F(GetFixture, NewPastMaxsizeIsEnospc) {
  open_with(8, 4);
  ASSERT_OK(f->set_maxsize(4 * kPs));
  EXPECT_EQ(f->maxsize(), 4 * kPs);
  pool_stats before = p->stats();
  pgno_t n = 0;
  void* page = nullptr;
  EXPECT_ERR(f->get(&n, get_flags::new_page, &page), std::errc::no_space_on_device);
  n = 4;
  EXPECT_ERR(f->get(&n, get_flags::create, &page), std::errc::no_space_on_device);
  n = 100;
  EXPECT_ERR(f->get(&n, get_flags::create, &page), std::errc::no_space_on_device);
  EXPECT_EQ(last_pgno(*f), 3u);
  EXPECT_EQ(p->stats().pages, before.pages);
  EXPECT_EQ(p->stats().page_create, before.page_create);
  // The last allowed page is still reachable; create of it is a plain get.
  n = 3;
  ASSERT_OK(f->get(&n, get_flags::create, &page));
  EXPECT_TRUE(page_has_pattern(page, kPs, 3, 0));
  EXPECT_OK(f->put(page));
  // Raising the cap by one page lets exactly one more page in.
  ASSERT_OK(f->set_maxsize(5 * kPs));
  n = 0;
  ASSERT_OK(f->get(&n, get_flags::new_page, &page));
  EXPECT_EQ(n, 4u);
  EXPECT_OK(f->put(page, priority::unchanged, put_flags::dirty));
  EXPECT_ERR(f->get(&n, get_flags::new_page, &page), std::errc::no_space_on_device);
  EXPECT_EQ(last_pgno(*f), 4u);
}

// spec: ref §1.3 set_maxsize: a cap of N pages allows page numbers 0..N-1 (not BDB's off-by-one)
TEST(Get, MaxsizeSetBeforeOpenBoundsNewPages) {
  temp_dir d;
  auto p = make_pool(8, kPs);
  ASSERT_NE(p, nullptr);
  auto f = p->file_create();
  ASSERT_OK(f->set_maxsize(2 * kPs));
  ASSERT_OK(f->open(d.file("m"), open_flags::create, 0, kPs));
  void* page = nullptr;
  pgno_t n = 0;
  ASSERT_OK(f->get(&n, get_flags::new_page, &page));
  EXPECT_EQ(n, 0u);
  EXPECT_OK(f->put(page, priority::unchanged, put_flags::dirty));
  ASSERT_OK(f->get(&n, get_flags::new_page, &page));
  EXPECT_EQ(n, 1u);
  EXPECT_OK(f->put(page, priority::unchanged, put_flags::dirty));
  EXPECT_ERR(f->get(&n, get_flags::new_page, &page), std::errc::no_space_on_device);
  n = 2;
  EXPECT_ERR(f->get(&n, get_flags::create, &page), std::errc::no_space_on_device);
  EXPECT_EQ(last_pgno(*f), 1u);
  EXPECT_OK(f->close());
}

// spec: ref §6 pinning more than the cache holds gives ENOMEM (pool.hpp: fails fast)
TEST_F(GetFixture, AllFramesPinnedIsEnomemQuickly) {
  open_with(4, 8);
  void* pages[4] = {};
  for (pgno_t i = 0; i < 4; ++i) {
    pgno_t n = i;
    ASSERT_OK(f->get(&n, get_flags::none, &pages[i]));
  }
  pool_stats before = p->stats();
  auto t0 = std::chrono::steady_clock::now();
  pgno_t n = 4;
  void* extra = nullptr;
  EXPECT_ERR(f->get(&n, get_flags::none, &extra), std::errc::not_enough_memory);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(elapsed, std::chrono::seconds(2));
  // A create past the end fails the same way and does not extend the file.
  n = 8;
  EXPECT_ERR(f->get(&n, get_flags::create, &extra), std::errc::not_enough_memory);
  EXPECT_ERR(f->get(&n, get_flags::new_page, &extra), std::errc::not_enough_memory);
  EXPECT_EQ(last_pgno(*f), 7u);
  pool_stats after = p->stats();
  EXPECT_EQ(after.pages, before.pages);
  EXPECT_EQ(after.page_create, before.page_create);
  EXPECT_EQ(after.page_in, before.page_in);
  // Pinned pages are intact, and a pinned page can still be got (it is cached).
  for (pgno_t i = 0; i < 4; ++i) EXPECT_TRUE(page_has_pattern(pages[i], kPs, i, 0));
  EXPECT_TRUE(page_reads(*f, 2, 0));
  // Once a frame is free the 5th page comes in.
  EXPECT_OK(f->put(pages[0]));
  EXPECT_TRUE(page_reads(*f, 4, 0));
  for (pgno_t i = 1; i < 4; ++i) EXPECT_OK(f->put(pages[i]));
}

// spec: 001 get EAGAIN: the page reference count has overflowed (limit 65535 pins)
TEST_F(GetFixture, PinOverflowIsEagain) {
  open_with(4, 2);
  constexpr int kMaxPins = 65535;
  void* first = nullptr;
  int ok = 0;
  std::error_code last_ec;
  for (int i = 0; i < kMaxPins + 10; ++i) {
    pgno_t n = 1;
    void* page = nullptr;
    last_ec = f->get(&n, get_flags::none, &page);
    if (last_ec) break;
    if (first == nullptr) first = page;
    ASSERT_EQ(page, first);
    ++ok;
  }
  EXPECT_EQ(ok, kMaxPins);
  EXPECT_TRUE(last_ec == std::errc::resource_unavailable_try_again) << describe(last_ec);
  ASSERT_NE(first, nullptr);
  EXPECT_TRUE(page_has_pattern(first, kPs, 1, 0));
  // Nothing changed: every pin can be put exactly once, and no more.
  int put_ok = 0;
  for (int i = 0; i < ok; ++i) {
    if (!f->put(first)) ++put_ok;
  }
  EXPECT_EQ(put_ok, ok);
  EXPECT_ERR(f->put(first), std::errc::invalid_argument);
  EXPECT_TRUE(page_reads(*f, 1, 0));
}

// spec: ref §6 extra checks: NEW and CREATE pages are zeroed per clear_len (0 = whole page), even in recycled frames
TEST(Get, CreatedPagesAreZeroedInRecycledFrames) {
  temp_dir d;
  constexpr std::size_t ps = 4096;
  auto p = make_pool(4, ps);
  ASSERT_NE(p, nullptr);
  // Fill every frame with 0xAB pages of another file.
  const std::string gpath = d.file("garbage");
  auto g = open_file(*p, gpath, open_flags::create, ps);
  ASSERT_TRUE(g && g->is_open());
  for (pgno_t i = 0; i < 8; ++i) {
    void* page = nullptr;
    pgno_t n = i;
    ASSERT_OK(g->get(&n, get_flags::create, &page));
    std::memset(page, 0xAB, ps);
    ASSERT_OK(g->put(page, priority::unchanged, put_flags::dirty));
  }
  ASSERT_OK(g->sync());
  // Pin four garbage pages at once: every frame now holds 0xAB bytes.
  auto fill_frames_with_garbage = [&](pgno_t from) {
    void* pinned[4] = {};
    for (pgno_t i = 0; i < 4; ++i) {
      pgno_t n = from + i;
      ASSERT_OK(g->get(&n, get_flags::none, &pinned[i]));
      ASSERT_TRUE(all_bytes(pinned[i], ps, 0xAB));
    }
    for (void* pg : pinned) ASSERT_OK(g->put(pg));
  };
  fill_frames_with_garbage(4);
  EXPECT_EQ(p->stats().pages, 4u);

  auto whole = open_file(*p, d.file("whole"), open_flags::create, ps);
  ASSERT_TRUE(whole && whole->is_open());
  EXPECT_EQ(whole->clear_len(), 0u);
  void* page = nullptr;
  pgno_t n = 0;
  ASSERT_OK(whole->get(&n, get_flags::create, &page));
  EXPECT_TRUE(all_bytes(page, ps, 0)) << "CREATE page not zeroed with clear_len 0";
  std::memset(page, 0xAB, ps);
  ASSERT_OK(whole->put(page, priority::unchanged, put_flags::dirty));
  ASSERT_OK(whole->get(&n, get_flags::new_page, &page));
  EXPECT_EQ(n, 1u);
  EXPECT_TRUE(all_bytes(page, ps, 0)) << "NEW page not zeroed with clear_len 0";
  std::memset(page, 0xAB, ps);
  ASSERT_OK(whole->put(page, priority::unchanged, put_flags::dirty));
  // Recycle the frames with garbage again, then a partial clear_len file.
  ASSERT_OK(whole->sync());
  fill_frames_with_garbage(0);

  auto part = p->file_create();
  ASSERT_OK(part->set_clear_len(16));
  ASSERT_OK(part->open(d.file("part"), open_flags::create, 0, ps));
  n = 0;
  ASSERT_OK(part->get(&n, get_flags::create, &page));
  EXPECT_TRUE(all_bytes(page, 16, 0)) << "first clear_len bytes not zeroed (CREATE)";
  ASSERT_OK(part->put(page, priority::unchanged, put_flags::dirty));
  ASSERT_OK(part->get(&n, get_flags::new_page, &page));
  EXPECT_TRUE(all_bytes(page, 16, 0)) << "first clear_len bytes not zeroed (NEW)";
  ASSERT_OK(part->put(page, priority::unchanged, put_flags::dirty));

  EXPECT_OK(part->close());
  EXPECT_OK(whole->close());
  EXPECT_OK(g->close());
}

// spec: file.hpp get: the page_handle form pins the page and reports its number
TEST_F(GetFixture, PageHandleFormReturnsPinnedPage) {
  open_with(8, 3);
  page_handle h;
  pgno_t n = 0;
  ASSERT_OK(f->get(n, get_flags::last, h));
  EXPECT_EQ(n, 2u);
  ASSERT_TRUE(h);
  EXPECT_EQ(h.pgno(), 2u);
  EXPECT_EQ(h.bytes().size(), kPs);
  EXPECT_TRUE(page_has_pattern(h.data(), kPs, 2, 0));
  EXPECT_ERR(f->close(), std::errc::device_or_resource_busy);
  EXPECT_OK(h.release());
}

// spec: 001 get: pages come back with the contents they were given (same address while pinned twice)
TEST_F(GetFixture, TwoPinsOfOnePageShareAddress) {
  open_with(8, 3);
  pgno_t a = 1, b = 1;
  void* pa = nullptr;
  void* pb = nullptr;
  ASSERT_OK(f->get(&a, get_flags::none, &pa));
  ASSERT_OK(f->get(&b, get_flags::none, &pb));
  EXPECT_EQ(pa, pb);
  EXPECT_OK(f->put(pb));
  EXPECT_OK(f->put(pa));
  EXPECT_ERR(f->put(pa), std::errc::invalid_argument);
}

}  // namespace
}  // namespace pagepool::apitest
