// tests/api/register_test.cpp: pool::register_page_io: when pgin and pgout are
// called, with which page number and cookie, and what their errors do.
#include <algorithm>

#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 1024;
constexpr std::uint8_t kXor = 0x5A;

struct call {
  pgno_t pgno;
  std::vector<std::byte> cookie;
  bool page_was_zero;
};

struct recorder {
  std::vector<call> ins, outs;
  std::size_t page_size = kPs;
  page_io_fn xor_fn(std::vector<call>& log) {
    return [this, &log](pgno_t pgno, void* page, std::span<const std::byte> cookie) {
      log.push_back({pgno, {cookie.begin(), cookie.end()}, all_bytes(page, page_size, 0)});
      auto* b = static_cast<std::uint8_t*>(page);
      for (std::size_t i = 0; i < page_size; ++i) b[i] ^= kXor;
      return 0;
    };
  }
  page_io_fn record_fn(std::vector<call>& log) {
    return [this, &log](pgno_t pgno, void* page, std::span<const std::byte> cookie) {
      log.push_back({pgno, {cookie.begin(), cookie.end()}, all_bytes(page, page_size, 0)});
      return 0;
    };
  }
};

std::vector<std::byte> cookie_bytes(const std::string& s) {
  std::vector<std::byte> v;
  for (char c : s) v.push_back(static_cast<std::byte>(c));
  return v;
}

/// Writes `pages` pages whose on-disk bytes are pattern(p, seed) ^ kXor.
void write_xored_file(const std::string& path, std::size_t pages, unsigned seed) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  for (std::size_t p = 0; p < pages; ++p) {
    auto v = pattern_page(kPs, static_cast<pgno_t>(p), seed);
    for (auto& b : v) b ^= kXor;
    ASSERT_EQ(::pwrite(fd, v.data(), kPs, static_cast<off_t>(p * kPs)), static_cast<ssize_t>(kPs));
  }
  ::close(fd);
}

bool disk_page_is_xored_pattern(const std::string& path, pgno_t pgno, unsigned seed) {
  auto v = read_disk_page(path, pgno, kPs);
  if (v.empty()) return false;
  for (auto& b : v) b ^= kXor;
  return page_has_pattern(v.data(), kPs, pgno, seed);
}

// spec: 002 memp_register: pgin is called each time a page is read into the cache, with the pgno and the pgcookie
TEST(RegisterPageIo, PginCalledOnEveryReadWithPgnoAndCookie) {
  temp_dir d;
  const std::string path = d.file("x");
  write_xored_file(path, 6, 1);
  recorder r;
  auto p = make_pool(4, kPs);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(p->register_page_io(1, r.xor_fn(r.ins), r.xor_fn(r.outs)));
  const auto cookie = cookie_bytes("cookie-42");
  auto f = p->file_create();
  ASSERT_OK(f->set_ftype(1));
  ASSERT_OK(f->set_pgcookie(cookie));
  ASSERT_OK(f->open(path, open_flags::none, 0, kPs));
  EXPECT_FALSE(f->is_mapped());
  // Six distinct reads through four frames: six reads, six pgin calls in order.
  for (pgno_t i = 0; i < 6; ++i) EXPECT_TRUE(page_reads(*f, i, 1)) << i;
  EXPECT_EQ(p->stats().page_in, 6u);
  ASSERT_EQ(r.ins.size(), 6u);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(r.ins[i].pgno, i);
  // Reading them all again re-reads at least the two that were evicted.
  for (pgno_t i = 0; i < 6; ++i) EXPECT_TRUE(page_reads(*f, i, 1)) << i;
  const std::uint64_t page_in = p->stats().page_in;
  EXPECT_GE(page_in, 8u);
  EXPECT_EQ(r.ins.size(), page_in);
  for (const call& c : r.ins) EXPECT_EQ(c.cookie, cookie);
  EXPECT_TRUE(r.outs.empty());
  // The last page read is cached: a hit calls nothing.
  const std::size_t calls = r.ins.size();
  EXPECT_TRUE(page_reads(*f, 5, 1));
  EXPECT_EQ(r.ins.size(), calls);
  EXPECT_OK(f->close());
}

// spec: 002 memp_register: pgout is called each time a page is written; on-disk bytes are pgout's, cached bytes stay plain
TEST(RegisterPageIo, PgoutTransformsDiskBytesAndCacheStaysPlain) {
  temp_dir d;
  const std::string path = d.file("x");
  write_xored_file(path, 3, 1);
  recorder r;
  auto p = make_pool(8, kPs);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(p->register_page_io(5, r.xor_fn(r.ins), r.xor_fn(r.outs)));
  const auto cookie = cookie_bytes("ck");
  auto f = p->file_create();
  ASSERT_OK(f->set_ftype(5));
  ASSERT_OK(f->set_pgcookie(cookie));
  ASSERT_OK(f->open(path, open_flags::none, 0, kPs));
  write_page(*f, 1, 7, get_flags::dirty);
  write_page(*f, 2, 7, get_flags::dirty);
  std::uint64_t out0 = p->stats().page_out;
  ASSERT_OK(p->sync());
  EXPECT_EQ(p->stats().page_out, out0 + 2);
  ASSERT_EQ(r.outs.size(), 2u);
  std::vector<pgno_t> out_pgnos{r.outs[0].pgno, r.outs[1].pgno};
  std::sort(out_pgnos.begin(), out_pgnos.end());
  EXPECT_EQ(out_pgnos, (std::vector<pgno_t>{1, 2}));
  for (const call& c : r.outs) EXPECT_EQ(c.cookie, cookie);
  EXPECT_TRUE(disk_page_is_xored_pattern(path, 1, 7));
  EXPECT_TRUE(disk_page_is_xored_pattern(path, 2, 7));
  EXPECT_TRUE(disk_page_is_xored_pattern(path, 0, 1));
  // The cached copies read back as plain, whether or not they were re-read.
  EXPECT_TRUE(page_reads(*f, 1, 7));
  EXPECT_TRUE(page_reads(*f, 2, 7));
  EXPECT_TRUE(page_reads(*f, 0, 1));
  EXPECT_OK(f->close());
}

// spec: 002 memp_register: pgout on every write, including a dirty page written by eviction; pgin on its re-read
TEST(RegisterPageIo, EvictionWritesGoThroughPgoutAndReadsThroughPgin) {
  temp_dir d;
  const std::string path = d.file("x");
  recorder r;
  auto p = make_pool(2, kPs);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(p->register_page_io(9, r.xor_fn(r.ins), r.xor_fn(r.outs)));
  auto f = p->file_create();
  ASSERT_OK(f->set_ftype(9));
  ASSERT_OK(f->open(path, open_flags::create, 0, kPs));
  for (int i = 0; i < 6; ++i) write_page(*f, 0, 3, get_flags::new_page);
  // NEW does not call pgin.
  EXPECT_TRUE(r.ins.empty());
  EXPECT_EQ(r.outs.size(), p->stats().page_out);
  EXPECT_GE(r.outs.size(), 4u);
  for (pgno_t i = 0; i < 6; ++i) EXPECT_TRUE(page_reads(*f, i, 3)) << i;
  EXPECT_EQ(r.ins.size(), p->stats().page_in);
  ASSERT_OK(p->sync());
  EXPECT_EQ(r.outs.size(), p->stats().page_out);
  EXPECT_EQ(p->stats().page_out, 6u);
  for (pgno_t i = 0; i < 6; ++i) EXPECT_TRUE(disk_page_is_xored_pattern(path, i, 3)) << i;
  EXPECT_OK(f->close());
}

// spec: 002 memp_register: pgin is called when a page is created (DB_MPOOL_CREATE); ref §1.5 not for NEW
TEST(RegisterPageIo, PginCalledOnCreateNotOnNew) {
  temp_dir d;
  recorder r;
  auto p = make_pool(8, kPs);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(p->register_page_io(2, r.record_fn(r.ins), r.record_fn(r.outs)));
  const auto cookie = cookie_bytes("abc");
  auto f = p->file_create();
  ASSERT_OK(f->set_ftype(2));
  ASSERT_OK(f->set_pgcookie(cookie));
  ASSERT_OK(f->open(d.file("c"), open_flags::create, 0, kPs));
  void* page = nullptr;
  pgno_t n = 0;
  ASSERT_OK(f->get(&n, get_flags::new_page, &page));
  ASSERT_OK(f->put(page, priority::unchanged, put_flags::dirty));
  EXPECT_TRUE(r.ins.empty()) << "pgin called for NEW";
  n = 3;
  ASSERT_OK(f->get(&n, get_flags::create, &page));
  ASSERT_OK(f->put(page, priority::unchanged, put_flags::dirty));
  ASSERT_EQ(r.ins.size(), 1u) << "pgin not called exactly once for CREATE";
  EXPECT_EQ(r.ins[0].pgno, 3u);
  EXPECT_EQ(r.ins[0].cookie, cookie);
  EXPECT_TRUE(r.ins[0].page_was_zero) << "pgin saw the created page before it was zeroed";
  // CREATE of a cached page is a hit: no pgin.
  ASSERT_OK(f->get(&n, get_flags::create, &page));
  ASSERT_OK(f->put(page));
  EXPECT_EQ(r.ins.size(), 1u);
  EXPECT_OK(f->close());
}

// spec: 002 memp_register: a non-zero return from pgin fails the get with that value; file.hpp: nothing changes
TEST(RegisterPageIo, PginErrorFailsGetAndCachesNothing) {
  temp_dir d;
  const std::string path = d.file("x");
  write_xored_file(path, 3, 1);
  recorder r;
  int pgin_calls = 0;
  auto p = make_pool(4, kPs);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(p->register_page_io(
      3, [&](pgno_t, void*, std::span<const std::byte>) { ++pgin_calls; return EIO; },
      r.xor_fn(r.outs)));
  auto f = p->file_create();
  ASSERT_OK(f->set_ftype(3));
  ASSERT_OK(f->open(path, open_flags::none, 0, kPs));
  pool_stats before = p->stats();
  void* page = nullptr;
  pgno_t n = 1;
  std::error_code ec = f->get(&n, get_flags::none, &page);
  EXPECT_EQ(ec, std::error_code(EIO, std::generic_category())) << describe(ec);
  EXPECT_EQ(pgin_calls, 1);
  EXPECT_EQ(p->stats().pages, before.pages);
  EXPECT_EQ(p->stats().page_dirty, 0u);
  // The failed page was not cached: the next get calls pgin again.
  ec = f->get(&n, get_flags::none, &page);
  EXPECT_EQ(ec, std::error_code(EIO, std::generic_category())) << describe(ec);
  EXPECT_EQ(pgin_calls, 2);
  // Nothing is pinned: the handle closes.
  EXPECT_OK(f->close());
  // Re-registering replaces the functions; the page now reads correctly.
  ASSERT_OK(p->register_page_io(3, r.xor_fn(r.ins), r.xor_fn(r.outs)));
  auto g = p->file_create();
  ASSERT_OK(g->set_ftype(3));
  ASSERT_OK(g->open(path, open_flags::none, 0, kPs));
  EXPECT_TRUE(page_reads(*g, 1, 1));
  EXPECT_EQ(r.ins.size(), 1u);
  EXPECT_OK(g->close());
}

// spec: 002 memp_register: a non-zero return from pgout fails the write (sync) with that value; the page stays dirty
TEST(RegisterPageIo, PgoutErrorFailsSyncAndPageStaysDirty) {
  temp_dir d;
  const std::string path = d.file("x");
  write_xored_file(path, 2, 1);
  recorder r;
  bool fail = true;
  auto good_out = r.xor_fn(r.outs);
  auto p = make_pool(4, kPs);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(p->register_page_io(4, r.xor_fn(r.ins),
                                [&](pgno_t pg, void* page, std::span<const std::byte> c) {
                                  if (fail) return ENOSPC;
                                  return good_out(pg, page, c);
                                }));
  auto f = p->file_create();
  ASSERT_OK(f->set_ftype(4));
  ASSERT_OK(f->open(path, open_flags::none, 0, kPs));
  write_page(*f, 0, 6, get_flags::dirty);
  std::error_code ec = f->sync();
  EXPECT_EQ(ec, std::error_code(ENOSPC, std::generic_category())) << describe(ec);
  EXPECT_TRUE(disk_page_is_xored_pattern(path, 0, 1));
  EXPECT_EQ(p->stats().page_dirty, 1u);
  EXPECT_TRUE(page_reads(*f, 0, 6));
  fail = false;
  ASSERT_OK(f->sync());
  EXPECT_TRUE(disk_page_is_xored_pattern(path, 0, 6));
  EXPECT_EQ(p->stats().page_dirty, 0u);
  EXPECT_OK(f->close());
}

}  // namespace
}  // namespace pagepool::apitest
