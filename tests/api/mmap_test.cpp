// tests/api/mmap_test.cpp: read-only files served by mmap, and every condition
// that keeps a file out of mmap.
#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 1024;

int noop_io(pgno_t, void*, std::span<const std::byte>) { return 0; }

const file_stats* find_stats(const std::vector<file_stats>& v, const std::string& name) {
  for (const auto& s : v)
    if (s.file_name == name) return &s;
  return nullptr;
}

// spec: ref §6 memp004: a small read-only file under mp_mmapsize is served by mmap and counted in st_map
TEST(Mmap, SmallReadOnlyFileIsMapped) {
  temp_dir d;
  const std::string path = d.file("m");
  write_file(path, 8, kPs, 3);
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::rdonly, kPs);
  ASSERT_TRUE(f && f->is_open());
  EXPECT_TRUE(f->is_mapped());
  pool_stats before = p->stats();
  // Eight pages through four frames, twice, all pinned at once: mmap needs no frames.
  std::vector<void*> pins;
  for (int round = 0; round < 2; ++round)
    for (pgno_t i = 0; i < 8; ++i) {
      void* page = nullptr;
      pgno_t n = i;
      ASSERT_OK(f->get(&n, get_flags::none, &page));
      EXPECT_TRUE(page_has_pattern(page, kPs, i, 3)) << i;
      pins.push_back(page);
    }
  pool_stats mid = p->stats();
  EXPECT_EQ(mid.map, before.map + 16);
  EXPECT_EQ(mid.cache_hit, before.cache_hit);
  EXPECT_EQ(mid.cache_miss, before.cache_miss);
  EXPECT_EQ(mid.page_in, before.page_in);
  EXPECT_EQ(mid.pages, before.pages);
  const std::vector<file_stats> all = p->file_statistics();
  const file_stats* fs = find_stats(all, path);
  ASSERT_NE(fs, nullptr);
  EXPECT_EQ(fs->map, 16u);
  EXPECT_EQ(fs->cache_hit, 0u);
  EXPECT_EQ(fs->cache_miss, 0u);
  EXPECT_ERR(f->close(), std::errc::device_or_resource_busy);
  for (void* page : pins) EXPECT_OK(f->put(page));
  // LAST works on a mapped file; a missing page is still page_not_found.
  void* page = nullptr;
  pgno_t n = 0;
  ASSERT_OK(f->get(&n, get_flags::last, &page));
  EXPECT_EQ(n, 7u);
  EXPECT_TRUE(page_has_pattern(page, kPs, 7, 3));
  EXPECT_OK(f->put(page));
  n = 8;
  EXPECT_ERR(f->get(&n, get_flags::none, &page), pagepool::errc::page_not_found);
  EXPECT_OK(f->close());
}

// spec: 003 open DB_NOMMAP: always copy this file into the local cache instead of mapping it
TEST(Mmap, NommapIsNotMapped) {
  temp_dir d;
  const std::string path = d.file("m");
  write_file(path, 4, kPs, 3);
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::rdonly | open_flags::nommap, kPs);
  ASSERT_TRUE(f && f->is_open());
  EXPECT_FALSE(f->is_mapped());
  for (pgno_t i = 0; i < 4; ++i) EXPECT_TRUE(page_reads(*f, i, 3));
  pool_stats s = p->stats();
  EXPECT_EQ(s.map, 0u);
  EXPECT_EQ(s.cache_miss, 4u);
  EXPECT_EQ(s.page_in, 4u);
  EXPECT_OK(f->close());
}

// spec: ref §1.2 set_mp_mmapsize: largest read-only file that will be mmapped (larger files are cached)
TEST(Mmap, FileLargerThanMmapSizeIsNotMapped) {
  temp_dir d;
  write_file(d.file("big"), 8, kPs, 3);
  write_file(d.file("fit"), 4, kPs, 3);
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  p->set_mmap_size(4 * kPs);
  auto big = open_file(*p, d.file("big"), open_flags::rdonly, kPs);
  ASSERT_TRUE(big && big->is_open());
  EXPECT_FALSE(big->is_mapped());
  EXPECT_TRUE(page_reads(*big, 5, 3));
  EXPECT_EQ(p->stats().map, 0u);
  EXPECT_EQ(p->stats().cache_miss, 1u);
  // A file of exactly mmap_size bytes is "up to this size".
  auto fit = open_file(*p, d.file("fit"), open_flags::rdonly, kPs);
  ASSERT_TRUE(fit && fit->is_open());
  EXPECT_TRUE(fit->is_mapped());
  EXPECT_OK(big->close());
  EXPECT_OK(fit->close());
}

// spec: ref §1.3 set_ftype: a non-zero ftype (with a pgin registered) disables mmap
TEST(Mmap, FileWithPginIsNotMapped) {
  temp_dir d;
  const std::string path = d.file("m");
  write_file(path, 4, kPs, 3);
  int calls = 0;
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  ASSERT_OK(p->register_page_io(
      7, [&](pgno_t, void*, std::span<const std::byte>) { ++calls; return 0; }, noop_io));
  auto f = p->file_create();
  ASSERT_OK(f->set_ftype(7));
  ASSERT_OK(f->open(path, open_flags::rdonly, 0, kPs));
  EXPECT_FALSE(f->is_mapped());
  EXPECT_TRUE(page_reads(*f, 2, 3));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(p->stats().map, 0u);
  EXPECT_OK(f->close());
}

// spec: ref §1.4 DB_RDONLY: required before mmap can be used (read-write handles are not mapped)
TEST(Mmap, ReadWriteHandleIsNotMapped) {
  temp_dir d;
  const std::string path = d.file("m");
  write_file(path, 4, kPs, 3);
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  EXPECT_FALSE(f->is_mapped());
  EXPECT_TRUE(page_reads(*f, 1, 3));
  EXPECT_EQ(p->stats().map, 0u);
  EXPECT_EQ(p->stats().cache_miss, 1u);
  EXPECT_OK(f->close());
}

// spec: ref §1.2 set_mp_mmapsize: applies to later opens (pool.hpp), mmap_size option honoured at create
TEST(Mmap, MmapSizeOptionBoundsMappingAndSetterAppliesToLaterOpens) {
  temp_dir d;
  write_file(d.file("m"), 2, kPs, 3);
  pool_options o;
  o.cache_frames = 4;
  o.mmap_size = kPs;
  auto p = make_pool(o);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->mmap_size(), kPs);
  auto f = open_file(*p, d.file("m"), open_flags::rdonly, kPs);
  ASSERT_TRUE(f && f->is_open());
  EXPECT_FALSE(f->is_mapped());
  EXPECT_OK(f->close());
  p->set_mmap_size(2 * kPs);
  auto g = open_file(*p, d.file("m"), open_flags::rdonly, kPs);
  ASSERT_TRUE(g && g->is_open());
  EXPECT_TRUE(g->is_mapped());
  EXPECT_TRUE(page_reads(*g, 1, 3));
  EXPECT_OK(g->close());
}

}  // namespace
}  // namespace pagepool::apitest
