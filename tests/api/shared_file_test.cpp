// tests/api/shared_file_test.cpp: several handles on one file (and one fileid):
// shared pages, settings that must agree, file identity.
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 1024;

int noop_io(pgno_t, void*, std::span<const std::byte>) { return 0; }

// spec: pagepool.hpp / ref §6: several handles on one file see the same frame
TEST(SharedFile, TwoHandlesSeeSamePageAddress) {
  temp_dir d;
  const std::string path = d.file("s");
  write_file(path, 4, kPs, 0);
  auto p = make_pool(8);
  ASSERT_NE(p, nullptr);
  auto a = open_file(*p, path, open_flags::none, kPs);
  auto b = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(a && b && a->is_open() && b->is_open());
  void* pa = nullptr;
  void* pb = nullptr;
  pgno_t n = 2;
  ASSERT_OK(a->get(&n, get_flags::none, &pa));
  n = 2;
  ASSERT_OK(b->get(&n, get_flags::none, &pb));
  EXPECT_EQ(pa, pb);
  EXPECT_EQ(p->stats().pages, 1u);
  EXPECT_OK(a->put(pa));
  EXPECT_OK(b->put(pb));
  // A page created through one handle is visible through the other.
  write_page(*a, 0, 3, get_flags::new_page);
  EXPECT_EQ(last_pgno(*b), 4u);
  EXPECT_TRUE(page_reads(*b, 4, 3));
  EXPECT_OK(a->close());
  EXPECT_OK(b->close());
}

// spec: 004 caching databases sharing a file: per-physical-file information is updated correctly (dirtied via one, synced via the other)
TEST(SharedFile, PageDirtiedThroughOneHandleIsSyncedThroughOther) {
  temp_dir d;
  const std::string path = d.file("s");
  write_file(path, 4, kPs, 0);
  auto p = make_pool(8);
  ASSERT_NE(p, nullptr);
  auto a = open_file(*p, path, open_flags::none, kPs);
  auto b = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(a && b && a->is_open() && b->is_open());
  write_page(*a, 1, 9, get_flags::dirty);
  ASSERT_OK(b->sync());
  EXPECT_TRUE(disk_page_has_pattern(path, 1, kPs, 9));
  EXPECT_EQ(p->stats().page_dirty, 0u);
  // Also after the dirtying handle is closed.
  write_page(*a, 3, 10, get_flags::dirty);
  ASSERT_OK(a->close());
  ASSERT_OK(b->sync());
  EXPECT_TRUE(disk_page_has_pattern(path, 3, kPs, 10));
  EXPECT_OK(b->close());
}

// spec: 003 open EINVAL: the file has already been entered into the pool and the pagesize is not the same (ref §4: docs, not BDB's quirk)
TEST(SharedFile, DifferentPageSizeIsEinval) {
  temp_dir d;
  const std::string path = d.file("s");
  write_file(path, 4, 2048, 0);
  auto p = make_pool(8);
  ASSERT_NE(p, nullptr);
  auto a = open_file(*p, path, open_flags::none, 2048);
  ASSERT_TRUE(a && a->is_open());
  auto b = p->file_create();
  EXPECT_ERR(b->open(path, open_flags::none, 0, 1024), std::errc::invalid_argument);
  EXPECT_FALSE(b->is_open());
  auto c = p->file_create();
  EXPECT_ERR(c->open(path, open_flags::rdonly, 0, 4096), std::errc::invalid_argument);
  // Through a different path spelling of the same file too (identity is the file, not the name).
  auto e = p->file_create();
  EXPECT_ERR(e->open(d.path().string() + "/./s", open_flags::none, 0, 1024),
             std::errc::invalid_argument);
  auto ok = open_file(*p, d.path().string() + "/./s", open_flags::none, 2048);
  ASSERT_TRUE(ok && ok->is_open());
  EXPECT_OK(ok->close());
  EXPECT_OK(a->close());
}

// spec: set_clear_len, set_lsn_offset: "must be consistent with the existing file or an error
// will be returned"; set_ftype: "will replace the existing information" (SharedFile.
// ASecondOpenReplacesTheFtypeAndThePgcookie)
TEST(SharedFile, DifferentExplicitSettingsAreEinval) {
  temp_dir d;
  const std::string path = d.file("s");
  write_file(path, 2, kPs, 0);
  auto p = make_pool(8);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(p->register_page_io(1, noop_io, noop_io));
  ASSERT_OK(p->register_page_io(2, noop_io, noop_io));
  auto a = p->file_create();
  ASSERT_OK(a->set_ftype(1));
  ASSERT_OK(a->set_clear_len(32));
  ASSERT_OK(a->set_lsn_offset(0));
  ASSERT_OK(a->open(path, open_flags::none, 0, kPs));

  auto c = p->file_create();
  ASSERT_OK(c->set_clear_len(64));
  EXPECT_ERR(c->open(path, open_flags::none, 0, kPs), std::errc::invalid_argument);

  auto e = p->file_create();
  ASSERT_OK(e->set_lsn_offset(16));
  EXPECT_ERR(e->open(path, open_flags::none, 0, kPs), std::errc::invalid_argument);

  // Explicitly setting the same values is fine; leaving them unset inherits.
  EXPECT_EQ(a->ftype(), 1);
  auto same = p->file_create();
  ASSERT_OK(same->set_ftype(1));
  ASSERT_OK(same->set_clear_len(32));
  ASSERT_OK(same->set_lsn_offset(0));
  EXPECT_OK(same->open(path, open_flags::none, 0, kPs));
  auto unset = p->file_create();
  EXPECT_OK(unset->open(path, open_flags::none, 0, kPs));
  EXPECT_OK(same->close());
  EXPECT_OK(unset->close());
  EXPECT_OK(a->close());
}

// spec: ref §1.3 set_fileid / get_fileid: default is device and inode (two handles agree); different files differ
TEST(FileId, DefaultDerivedFromFile) {
  temp_dir d;
  write_file(d.file("a"), 1, kPs, 0);
  write_file(d.file("b"), 1, kPs, 0);
  auto p = make_pool(8);
  ASSERT_NE(p, nullptr);
  auto a1 = open_file(*p, d.file("a"), open_flags::none, kPs);
  auto a2 = open_file(*p, d.file("a"), open_flags::rdonly | open_flags::nommap, kPs);
  auto b = open_file(*p, d.file("b"), open_flags::none, kPs);
  ASSERT_TRUE(a1 && a2 && b);
  file_id i1{}, i2{}, ib{};
  ASSERT_OK(a1->get_fileid(i1));
  ASSERT_OK(a2->get_fileid(i2));
  ASSERT_OK(b->get_fileid(ib));
  EXPECT_EQ(i1, i2);
  EXPECT_NE(i1, ib);
  EXPECT_NE(i1, file_id{});
  EXPECT_OK(a1->close());
  EXPECT_OK(a2->close());
  EXPECT_OK(b->close());
}

// spec: ref §1.3 get_fileid before an id exists gives EINVAL
TEST(FileId, GetBeforeOpenWithoutSetIsEinval) {
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = p->file_create();
  file_id id{};
  EXPECT_ERR(f->get_fileid(id), std::errc::invalid_argument);
}

// spec: ref §1.3 set_fileid / get_fileid round-trip (before and after open)
TEST(FileId, SetThenGetRoundTrips) {
  temp_dir d;
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = p->file_create();
  file_id id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(0xC0 + i);
  ASSERT_OK(f->set_fileid(id));
  file_id got{};
  ASSERT_OK(f->get_fileid(got));
  EXPECT_EQ(got, id);
  ASSERT_OK(f->open(d.file("x"), open_flags::create, 0, kPs));
  got = {};
  ASSERT_OK(f->get_fileid(got));
  EXPECT_EQ(got, id);
  EXPECT_OK(f->close());
}

// spec: 003/ref §1.3 set_fileid: the unique identifier used to find the shared file: two paths with one id share pages
TEST(FileId, DifferentFilesWithSameIdSharePages) {
  temp_dir d;
  write_file(d.file("a"), 2, kPs, 1);
  write_file(d.file("b"), 2, kPs, 2);
  auto p = make_pool(8);
  ASSERT_NE(p, nullptr);
  file_id id{};
  id.fill(0x77);
  auto a = p->file_create();
  ASSERT_OK(a->set_fileid(id));
  ASSERT_OK(a->open(d.file("a"), open_flags::none, 0, kPs));
  auto b = p->file_create();
  ASSERT_OK(b->set_fileid(id));
  ASSERT_OK(b->open(d.file("b"), open_flags::none, 0, kPs));
  void* pa = nullptr;
  void* pb = nullptr;
  pgno_t n = 0;
  ASSERT_OK(a->get(&n, get_flags::none, &pa));
  n = 0;
  ASSERT_OK(b->get(&n, get_flags::none, &pb));
  EXPECT_EQ(pa, pb);
  EXPECT_TRUE(page_has_pattern(pb, kPs, 0, 1));
  EXPECT_EQ(p->stats().pages, 1u);
  EXPECT_OK(a->put(pa));
  EXPECT_OK(b->put(pb));
  EXPECT_OK(a->close());
  EXPECT_OK(b->close());
}

// spec: 003 set_fileid: distinct ids keep otherwise-identical handles apart (a different id is a different file)
TEST(FileId, SamePathWithDifferentIdsDoesNotSharePages) {
  temp_dir d;
  write_file(d.file("a"), 2, kPs, 1);
  auto p = make_pool(8);
  ASSERT_NE(p, nullptr);
  file_id id1{}, id2{};
  id1.fill(0x11);
  id2.fill(0x22);
  auto a = p->file_create();
  ASSERT_OK(a->set_fileid(id1));
  ASSERT_OK(a->open(d.file("a"), open_flags::rdonly | open_flags::nommap, 0, kPs));
  auto b = p->file_create();
  ASSERT_OK(b->set_fileid(id2));
  ASSERT_OK(b->open(d.file("a"), open_flags::rdonly | open_flags::nommap, 0, kPs));
  void* pa = nullptr;
  void* pb = nullptr;
  pgno_t n = 0;
  ASSERT_OK(a->get(&n, get_flags::none, &pa));
  n = 0;
  ASSERT_OK(b->get(&n, get_flags::none, &pb));
  EXPECT_NE(pa, pb);
  EXPECT_EQ(p->stats().pages, 2u);
  EXPECT_OK(a->put(pa));
  EXPECT_OK(b->put(pb));
  EXPECT_OK(a->close());
  EXPECT_OK(b->close());
}

}  // namespace
}  // namespace pagepool::apitest

namespace pagepool::apitest {
namespace {

// What the page functions of the next test saw: the cookie of each call.
std::vector<std::string> g_cookies;
int record_cookie(pgno_t, void*, std::span<const std::byte> c) {
  g_cookies.emplace_back(reinterpret_cast<const char*>(c.data()), c.size());
  return 0;
}
std::span<const std::byte> bytes_of(const char* s) {
  return {reinterpret_cast<const std::byte*>(s), std::strlen(s)};
}

// spec: set_ftype, set_pgcookie: "configures a file in the cache, not only operations performed
// using the specified handle ... If the file is already open in the cache when open is called,
// the information specified ... will replace the existing information"
TEST(SharedFile, ASecondOpenReplacesTheFtypeAndThePgcookie) {
  temp_dir d;
  const std::string path = d.file("r");
  write_file(path, 4, kPs, 0);
  auto p = make_pool(2, kPs);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(p->register_page_io(2, record_cookie, record_cookie));
  auto a = p->file_create();
  ASSERT_OK(a->set_ftype(1));
  ASSERT_OK(a->set_pgcookie(bytes_of("first")));
  ASSERT_OK(a->open(path, open_flags::none, 0, kPs));
  auto b = p->file_create();
  ASSERT_OK(b->set_ftype(2));
  ASSERT_OK(b->set_pgcookie(bytes_of("second")));
  ASSERT_OK(b->open(path, open_flags::none, 0, kPs));
  // Both handles see the file's new type and cookie.
  EXPECT_EQ(a->ftype(), 2);
  EXPECT_EQ(b->ftype(), 2);
  EXPECT_EQ(a->pgcookie(), b->pgcookie());
  EXPECT_EQ(a->pgcookie().size(), 6u);
  // Pages read through either handle now go through type 2's page-in, with
  // the new cookie.
  g_cookies.clear();
  for (pgno_t i = 0; i < 4; ++i) EXPECT_TRUE(page_reads(*a, i, 0));
  ASSERT_FALSE(g_cookies.empty());
  for (const auto& c : g_cookies) EXPECT_EQ(c, "second");
  // A third open that names neither keeps them.
  auto c = p->file_create();
  ASSERT_OK(c->open(path, open_flags::none, 0, kPs));
  EXPECT_EQ(c->ftype(), 2);
  EXPECT_EQ(c->pgcookie(), b->pgcookie());
  EXPECT_OK(c->close());
  EXPECT_OK(b->close());
  EXPECT_OK(a->close());
}

// spec: set_priority "configures a file in the cache, not only operations performed using the
// specified DB_MPOOLFILE handle"
TEST(SharedFile, APrioritySetThroughOneHandleIsTheFiles) {
  temp_dir d;
  const std::string path = d.file("pr");
  write_file(path, 8, kPs, 0);
  auto p = make_pool(4, kPs);
  ASSERT_NE(p, nullptr);
  auto a = open_file(*p, path, open_flags::none, kPs);
  auto b = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(a && b);
  ASSERT_OK(a->set_priority(priority::very_high));
  EXPECT_EQ(b->get_priority(), priority::very_high);
  // A handle that sets one before open gives it to the file at open.
  auto c = p->file_create();
  ASSERT_OK(c->set_priority(priority::low));
  ASSERT_OK(c->open(path, open_flags::none, 0, kPs));
  EXPECT_EQ(a->get_priority(), priority::low);
  EXPECT_EQ(b->get_priority(), priority::low);
  // It takes effect for pages put through any handle: page 0, put through
  // b with the file at very_high (set through c), outlives seven pages put
  // at normal priority through four frames (CLOCK: very_high is 7 passes of
  // the hand; at the handle's own default it would be the first victim).
  ASSERT_OK(c->set_priority(priority::very_high));
  {
    pgno_t n = 0;
    void* pg = nullptr;
    ASSERT_OK(b->get(&n, get_flags::none, &pg));
    ASSERT_OK(b->put(pg));
  }
  const std::uint64_t in0 = p->stats().page_in;
  for (pgno_t i = 1; i < 8; ++i) {
    pgno_t n = i;
    void* pg = nullptr;
    ASSERT_OK(b->get(&n, get_flags::none, &pg));
    ASSERT_OK(b->put(pg, priority::normal));
  }
  pgno_t n = 0;
  void* pg = nullptr;
  ASSERT_OK(a->get(&n, get_flags::none, &pg));
  ASSERT_OK(a->put(pg));
  EXPECT_EQ(p->stats().page_in, in0 + 7);  // page 0 was still cached
  EXPECT_OK(c->close());
  EXPECT_OK(b->close());
  EXPECT_OK(a->close());
}

}  // namespace
}  // namespace pagepool::apitest
