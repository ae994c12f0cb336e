// tests/api/put_set_test.cpp: file::put and file::set: flag validation, pointer
// validation, dirty/clean/discard semantics, read-only handles.
#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 1024;

struct PutFixture : ::testing::Test {
  temp_dir dir;
  std::string path = dir.file("data");
  std::unique_ptr<pool> p;
  std::unique_ptr<file> f;

  void open_with(std::size_t frames, std::size_t pages_on_disk,
                 open_flags flags = open_flags::none) {
    write_file(path, pages_on_disk, kPs, 0);
    p = make_pool(frames);
    ASSERT_NE(p, nullptr);
    f = open_file(*p, path, flags, kPs);
    ASSERT_TRUE(f && f->is_open());
  }
  void* pin(pgno_t pgno, get_flags fl = get_flags::none) {
    void* page = nullptr;
    pgno_t n = pgno;
    std::error_code ec = f->get(&n, fl, &page);
    EXPECT_FALSE(ec) << "get " << pgno << ": " << describe(ec);
    return page;
  }
  void TearDown() override {
    if (f && f->is_open()) {
      EXPECT_OK(f->close());
    }
  }
};

// spec: 001 put EINVAL: the pgaddr parameter does not reference a page returned by get
TEST_F(PutFixture, PointerNotFromGetIsEinval) {
  open_with(4, 3);
  alignas(std::size_t) unsigned char stack_buf[kPs] = {};
  EXPECT_ERR(f->put(stack_buf), std::errc::invalid_argument);
  EXPECT_ERR(f->put(nullptr), std::errc::invalid_argument);
  void* page = pin(1);
  ASSERT_NE(page, nullptr);
  EXPECT_ERR(f->put(static_cast<char*>(page) + 1), std::errc::invalid_argument);
  EXPECT_ERR(f->put(static_cast<char*>(page) + kPs / 2), std::errc::invalid_argument);
  // The page is still pinned: the file cannot be closed, and the real put works.
  EXPECT_ERR(f->close(), std::errc::device_or_resource_busy);
  EXPECT_OK(f->put(page));
  EXPECT_TRUE(page_reads(*f, 1, 0));
}

// spec: file.hpp put: a second put of the same pin is EINVAL, and changes nothing (ref §6: must not corrupt state)
TEST_F(PutFixture, SecondPutOfSamePinIsEinval) {
  open_with(4, 3);
  void* page = pin(2, get_flags::dirty);
  ASSERT_NE(page, nullptr);
  fill_page(page, kPs, 2, 6);
  EXPECT_OK(f->put(page));
  EXPECT_ERR(f->put(page), std::errc::invalid_argument);
  EXPECT_ERR(f->put(page, priority::unchanged, put_flags::dirty), std::errc::invalid_argument);
  // The page is still fine: cached, dirty, readable, written by sync; the handle closes.
  EXPECT_TRUE(page_reads(*f, 2, 6));
  EXPECT_EQ(p->stats().page_dirty, 1u);
  ASSERT_OK(f->sync());
  EXPECT_TRUE(disk_page_has_pattern(path, 2, kPs, 6));
  // And it is evictable (its pin count did not underflow into "pinned").
  for (pgno_t i = 0; i < 3; ++i) EXPECT_TRUE(page_reads(*f, i, i == 2 ? 6 : 0));
  std::vector<void*> pins;
  write_file(dir.file("other"), 4, kPs, 1);
  auto g = open_file(*p, dir.file("other"), open_flags::none, kPs);
  for (pgno_t i = 0; i < 4; ++i) {
    void* pg = nullptr;
    pgno_t n = i;
    EXPECT_OK(g->get(&n, get_flags::none, &pg));
    pins.push_back(pg);
  }
  for (void* pg : pins) {
    if (pg) {
      EXPECT_OK(g->put(pg));
    }
  }
  EXPECT_OK(g->close());
}

// spec: 001 put: DB_MPOOL_CLEAN and DB_MPOOL_DIRTY are mutually exclusive (EINVAL)
TEST_F(PutFixture, CleanWithDirtyIsEinval) {
  open_with(4, 3);
  void* page = pin(0);
  ASSERT_NE(page, nullptr);
  EXPECT_ERR(f->put(page, priority::unchanged, put_flags::clean | put_flags::dirty),
             std::errc::invalid_argument);
  EXPECT_ERR(f->set(page, put_flags::clean | put_flags::dirty), std::errc::invalid_argument);
  EXPECT_EQ(p->stats().page_dirty, 0u);
  EXPECT_ERR(f->close(), std::errc::device_or_resource_busy);
  EXPECT_OK(f->put(page));
}

// spec: 001 put EINVAL: an invalid flag value was specified
TEST_F(PutFixture, UnknownFlagIsEinval) {
  open_with(4, 3);
  void* page = pin(0);
  ASSERT_NE(page, nullptr);
  for (std::uint32_t bits : {0x8u, 0x10u, 0x100u, 0x80000000u}) {
    EXPECT_ERR(f->put(page, priority::unchanged, static_cast<put_flags>(bits)),
               std::errc::invalid_argument)
        << std::hex << bits;
    EXPECT_ERR(f->set(page, static_cast<put_flags>(bits)), std::errc::invalid_argument)
        << std::hex << bits;
  }
  EXPECT_ERR(f->close(), std::errc::device_or_resource_busy);
  EXPECT_OK(f->put(page));
}

// spec: file.hpp put EINVAL: a priority out of range; nothing changes
TEST_F(PutFixture, PriorityOutOfRangeIsEinval) {
  open_with(4, 3);
  void* page = pin(0);
  ASSERT_NE(page, nullptr);
  EXPECT_ERR(f->put(page, static_cast<priority>(9)), std::errc::invalid_argument);
  EXPECT_ERR(f->put(page, static_cast<priority>(6)), std::errc::invalid_argument);
  EXPECT_ERR(f->put(page, static_cast<priority>(-1)), std::errc::invalid_argument);
  EXPECT_ERR(f->close(), std::errc::device_or_resource_busy);
  for (priority pr : {priority::unchanged, priority::very_low, priority::low, priority::normal,
                      priority::high, priority::very_high}) {
    void* again = pin(0);
    EXPECT_OK(f->put(again, pr));
  }
  EXPECT_OK(f->put(page, priority::very_high));
}

// spec: 001 put DB_MPOOL_DIRTY: the page has been modified and must be written to the source file
TEST_F(PutFixture, DirtyPutIsWrittenBySync) {
  open_with(4, 3);
  void* page = pin(1);
  ASSERT_NE(page, nullptr);
  fill_page(page, kPs, 1, 4);
  EXPECT_OK(f->put(page, priority::unchanged, put_flags::dirty));
  EXPECT_EQ(p->stats().page_dirty, 1u);
  EXPECT_TRUE(disk_page_has_pattern(path, 1, kPs, 0));
  std::uint64_t out0 = p->stats().page_out;
  ASSERT_OK(p->sync());
  EXPECT_TRUE(disk_page_has_pattern(path, 1, kPs, 4));
  EXPECT_EQ(p->stats().page_out, out0 + 1);
  EXPECT_EQ(p->stats().page_dirty, 0u);
  // A second sync has nothing to write.
  ASSERT_OK(p->sync());
  EXPECT_EQ(p->stats().page_out, out0 + 1);
}

// spec: 001 put DB_MPOOL_CLEAN: clear any previously set modification information (don't write the page back)
TEST_F(PutFixture, CleanPutAfterDirtyGetWritesNothing) {
  open_with(4, 3);
  void* page = pin(1, get_flags::dirty);
  ASSERT_NE(page, nullptr);
  fill_page(page, kPs, 1, 4);
  EXPECT_OK(f->put(page, priority::unchanged, put_flags::clean));
  EXPECT_EQ(p->stats().page_dirty, 0u);
  std::uint64_t out0 = p->stats().page_out;
  ASSERT_OK(p->sync());
  ASSERT_OK(f->sync());
  EXPECT_EQ(p->stats().page_out, out0);
  EXPECT_TRUE(disk_page_has_pattern(path, 1, kPs, 0));
}

// spec: 001 put EACCES: the DB_MPOOL_DIRTY flag was set and the source file was not opened for writing
TEST_F(PutFixture, DirtyPutOnReadOnlyIsEacces) {
  open_with(4, 3, open_flags::rdonly | open_flags::nommap);
  void* page = pin(1);
  ASSERT_NE(page, nullptr);
  EXPECT_ERR(f->put(page, priority::unchanged, put_flags::dirty), std::errc::permission_denied);
  EXPECT_ERR(f->set(page, put_flags::dirty), std::errc::permission_denied);
  EXPECT_EQ(p->stats().page_dirty, 0u);
  // Nothing changed: still pinned.
  EXPECT_ERR(f->close(), std::errc::device_or_resource_busy);
  EXPECT_OK(f->put(page));
}

// spec: 001 put EACCES on read-only, also when the read-only file is served by mmap
TEST(Put, DirtyPutOnMappedReadOnlyIsEacces) {
  temp_dir d;
  write_file(d.file("m"), 3, kPs, 0);
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, d.file("m"), open_flags::rdonly, kPs);
  ASSERT_TRUE(f && f->is_open());
  void* page = nullptr;
  pgno_t n = 1;
  ASSERT_OK(f->get(&n, get_flags::none, &page));
  EXPECT_ERR(f->put(page, priority::unchanged, put_flags::dirty), std::errc::permission_denied);
  EXPECT_OK(f->put(page));
  EXPECT_OK(f->close());
}

// spec: 001 put DB_MPOOL_DISCARD: the page is unlikely to be useful in the near future (accepted)
TEST_F(PutFixture, DiscardIsAccepted) {
  open_with(4, 3);
  void* page = pin(1);
  ASSERT_NE(page, nullptr);
  EXPECT_OK(f->put(page, priority::unchanged, put_flags::discard));
  page = pin(2, get_flags::dirty);
  fill_page(page, kPs, 2, 8);
  EXPECT_OK(f->put(page, priority::unchanged, put_flags::discard | put_flags::dirty));
  ASSERT_OK(p->sync());
  EXPECT_TRUE(disk_page_has_pattern(path, 2, kPs, 8));
  EXPECT_TRUE(page_reads(*f, 1, 0));
}

// spec: 001 put EINVAL: pgaddr not returned by this handle's get (a different handle on the same file)
TEST_F(PutFixture, PutThroughOtherHandleIsEinval) {
  open_with(4, 3);
  auto g = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(g && g->is_open());
  write_file(dir.file("other"), 2, kPs, 0);
  auto h = open_file(*p, dir.file("other"), open_flags::none, kPs);
  ASSERT_TRUE(h && h->is_open());
  void* page = pin(1);
  ASSERT_NE(page, nullptr);
  EXPECT_ERR(g->put(page), std::errc::invalid_argument);
  EXPECT_ERR(h->put(page), std::errc::invalid_argument);
  EXPECT_ERR(g->set(page, put_flags::dirty), std::errc::invalid_argument);
  EXPECT_EQ(p->stats().page_dirty, 0u);
  EXPECT_OK(g->close());
  EXPECT_OK(h->close());
  EXPECT_ERR(f->close(), std::errc::device_or_resource_busy);
  EXPECT_OK(f->put(page));
}

// spec: 001 set: sets the flags of the page without unpinning it (DIRTY: written by sync after put)
TEST_F(PutFixture, SetDirtyKeepsPinAndMarksDirty) {
  open_with(4, 3);
  void* page = pin(0);
  ASSERT_NE(page, nullptr);
  fill_page(page, kPs, 0, 3);
  ASSERT_OK(f->set(page, put_flags::dirty));
  EXPECT_EQ(p->stats().page_dirty, 1u);
  EXPECT_ERR(f->close(), std::errc::device_or_resource_busy);
  // Pinned and dirty: sync cannot write it yet.
  EXPECT_ERR(f->sync(), pagepool::errc::incomplete);
  EXPECT_TRUE(disk_page_has_pattern(path, 0, kPs, 0));
  ASSERT_OK(f->put(page));
  ASSERT_OK(f->sync());
  EXPECT_TRUE(disk_page_has_pattern(path, 0, kPs, 3));
  EXPECT_OK(f->close());
}

// spec: 001 set DB_MPOOL_CLEAN: clears modification information without unpinning
TEST_F(PutFixture, SetCleanForgetsModification) {
  open_with(4, 3);
  void* page = pin(0, get_flags::dirty);
  ASSERT_NE(page, nullptr);
  fill_page(page, kPs, 0, 3);
  ASSERT_OK(f->set(page, put_flags::clean));
  EXPECT_EQ(p->stats().page_dirty, 0u);
  EXPECT_ERR(f->close(), std::errc::device_or_resource_busy);
  ASSERT_OK(f->put(page));
  std::uint64_t out0 = p->stats().page_out;
  ASSERT_OK(f->sync());
  EXPECT_EQ(p->stats().page_out, out0);
  EXPECT_TRUE(disk_page_has_pattern(path, 0, kPs, 0));
}

// spec: 001 set DB_MPOOL_DISCARD: accepted without unpinning
TEST_F(PutFixture, SetDiscardKeepsPin) {
  open_with(4, 3);
  void* page = pin(0);
  ASSERT_NE(page, nullptr);
  ASSERT_OK(f->set(page, put_flags::discard));
  EXPECT_ERR(f->close(), std::errc::device_or_resource_busy);
  EXPECT_TRUE(page_has_pattern(page, kPs, 0, 0));
  ASSERT_OK(f->put(page));
  EXPECT_OK(f->close());
}

// spec: 001 set EINVAL: pgaddr must be an address previously returned by get
TEST_F(PutFixture, SetBadPointerIsEinval) {
  open_with(4, 3);
  alignas(std::size_t) unsigned char stack_buf[kPs] = {};
  EXPECT_ERR(f->set(stack_buf, put_flags::dirty), std::errc::invalid_argument);
  void* page = pin(0);
  ASSERT_NE(page, nullptr);
  EXPECT_ERR(f->set(static_cast<char*>(page) + 1, put_flags::dirty), std::errc::invalid_argument);
  EXPECT_EQ(p->stats().page_dirty, 0u);
  ASSERT_OK(f->put(page));
  // After the put the pointer no longer references a pinned page.
  EXPECT_ERR(f->set(page, put_flags::dirty), std::errc::invalid_argument);
  EXPECT_EQ(p->stats().page_dirty, 0u);
}

// spec: 001 set: flags are those of put; set DIRTY on a read-only handle is EACCES
TEST_F(PutFixture, SetDirtyOnReadOnlyIsEacces) {
  open_with(4, 3, open_flags::rdonly | open_flags::nommap);
  void* page = pin(0);
  ASSERT_NE(page, nullptr);
  EXPECT_ERR(f->set(page, put_flags::dirty), std::errc::permission_denied);
  EXPECT_EQ(p->stats().page_dirty, 0u);
  EXPECT_OK(f->set(page, put_flags::clean));
  ASSERT_OK(f->put(page));
}

}  // namespace
}  // namespace pagepool::apitest
