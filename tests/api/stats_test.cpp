// tests/api/stats_test.cpp: pool_stats and file_stats counters on small
// deterministic scenarios (one region, every eviction forced by pins).
#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 1024;

const file_stats* find_stats(const std::vector<file_stats>& v, const std::string& name) {
  for (const auto& s : v)
    if (s.file_name == name) return &s;
  return nullptr;
}

std::vector<void*> pin_all(file& f, pgno_t from, pgno_t count, get_flags fl = get_flags::none) {
  std::vector<void*> v;
  for (pgno_t i = 0; i < count; ++i) {
    void* page = nullptr;
    pgno_t n = from + i;
    std::error_code ec = f.get(&n, fl, &page);
    EXPECT_FALSE(ec) << "get " << from + i << ": " << describe(ec);
    v.push_back(page);
  }
  return v;
}

// spec: ref §2 DB_MPOOL_STAT: cache_hit, cache_miss, page_in, page_create, page_out, ro_evict, rw_evict move exactly
TEST(Stats, CountersOnDeterministicScenario) {
  temp_dir d;
  const std::string path = d.file("s");
  write_file(path, 8, kPs, 0);
  auto p = make_pool(4, kPs);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());

  pool_stats s = p->stats();
  EXPECT_EQ(s.frames, 4u);
  EXPECT_EQ(s.ncache, 1u);
  EXPECT_EQ(s.pages, 0u);
  EXPECT_EQ(s.cache_hit + s.cache_miss + s.page_in + s.page_out + s.ro_evict + s.rw_evict, 0u);
  EXPECT_GT(s.hash_buckets, 0u);

  // Phase A: eight distinct pages through four frames.
  for (pgno_t i = 0; i < 8; ++i) EXPECT_TRUE(page_reads(*f, i, 0));
  s = p->stats();
  EXPECT_EQ(s.cache_miss, 8u);
  EXPECT_EQ(s.page_in, 8u);
  EXPECT_EQ(s.cache_hit, 0u);
  EXPECT_EQ(s.ro_evict, 4u);
  EXPECT_EQ(s.rw_evict, 0u);
  EXPECT_EQ(s.page_out, 0u);
  EXPECT_EQ(s.page_create, 0u);
  EXPECT_EQ(s.pages, 4u);
  EXPECT_EQ(s.page_dirty, 0u);
  EXPECT_EQ(s.page_clean, 4u);

  // Phase B: the page just read is cached: two hits, nothing else.
  EXPECT_TRUE(page_reads(*f, 7, 0));
  EXPECT_TRUE(page_reads(*f, 7, 0));
  s = p->stats();
  EXPECT_EQ(s.cache_hit, 2u);
  EXPECT_EQ(s.cache_miss, 8u);
  EXPECT_EQ(s.page_in, 8u);

  // Phase C: four NEW pages pinned together displace the four clean pages.
  auto news = pin_all(*f, 0, 4, get_flags::new_page);
  for (void* pg : news) EXPECT_OK(f->put(pg, priority::unchanged, put_flags::dirty));
  s = p->stats();
  EXPECT_EQ(s.page_create, 4u);
  EXPECT_EQ(s.ro_evict, 8u);
  EXPECT_EQ(s.rw_evict, 0u);
  EXPECT_EQ(s.page_in, 8u);
  EXPECT_EQ(s.page_dirty, 4u);
  EXPECT_EQ(s.page_clean, 0u);
  EXPECT_EQ(s.pages, 4u);
  EXPECT_EQ(last_pgno(*f), 11u);

  // Phase D: four old pages pinned together force the four dirty pages out.
  auto olds = pin_all(*f, 0, 4);
  for (void* pg : olds) EXPECT_OK(f->put(pg));
  s = p->stats();
  EXPECT_EQ(s.rw_evict, 4u);
  EXPECT_EQ(s.page_out, 4u);
  EXPECT_EQ(s.ro_evict, 8u);
  EXPECT_EQ(s.page_in, 12u);
  EXPECT_EQ(s.cache_miss, 12u);
  EXPECT_EQ(s.page_dirty, 0u);
  EXPECT_EQ(s.page_clean, 4u);
  EXPECT_EQ(s.pages, 4u);
  EXPECT_EQ(file_size(path), 12 * kPs);
  EXPECT_OK(f->close());
}

// spec: ref §1.2 memp_stat DB_STAT_CLEAR: counters restart from zero afterwards; gauges are unaffected
// spec: ref §2 st_cache_miss "gets that had to read the page", st_page_create
// "pages created (NEW, CREATE past EOF, short read with CREATE)": a get with
// create that makes a page past the end is a create, not a miss (as BDB's
// __memp_fget counts an extending get); one of a page in the file's range
// that is not cached is a miss.
TEST(Stats, ACreatePastTheEndIsACreateNotAMiss) {
  temp_dir d;
  const std::string path = d.file("a");
  write_file(path, 2, kPs, 0);
  auto p = make_pool(8, kPs);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  auto pinned = pin_all(*f, 0, 4, get_flags::create);  // pages 0, 1 read; 2, 3 made
  for (void* pg : pinned) EXPECT_OK(f->put(pg));
  pool_stats s = p->stats();
  EXPECT_EQ(s.cache_miss, 2u);
  EXPECT_EQ(s.page_in, 2u);
  EXPECT_EQ(s.page_create, 2u);
  EXPECT_EQ(s.cache_hit, 0u);
  const auto fs = p->file_statistics();
  const file_stats* a = find_stats(fs, path);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->cache_miss, 2u);
  EXPECT_EQ(a->page_create, 2u);
  EXPECT_OK(f->close());
}

TEST(Stats, ClearResetsCountersNotGauges) {
  temp_dir d;
  const std::string path = d.file("s");
  write_file(path, 6, kPs, 0);
  auto p = make_pool(4, kPs);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::none, kPs);
  ASSERT_TRUE(f && f->is_open());
  for (pgno_t i = 0; i < 6; ++i) EXPECT_TRUE(page_reads(*f, i, 0));  // 6 misses, 2 evictions
  write_page(*f, 0, 1, get_flags::new_page);                           // page 6: 1 create, 1 eviction
  ASSERT_OK(f->sync());                                                // 1 write
  write_page(*f, 6, 2, get_flags::dirty);                              // 1 hit, dirty again

  pool_stats s1 = p->stats(true);
  EXPECT_EQ(s1.cache_miss, 6u);
  EXPECT_EQ(s1.cache_hit, 1u);
  EXPECT_EQ(s1.page_in, 6u);
  EXPECT_EQ(s1.page_create, 1u);
  EXPECT_EQ(s1.page_out, 1u);
  EXPECT_EQ(s1.ro_evict, 3u);
  EXPECT_EQ(s1.rw_evict, 0u);

  pool_stats s2 = p->stats();
  EXPECT_EQ(s2.cache_hit, 0u);
  EXPECT_EQ(s2.cache_miss, 0u);
  EXPECT_EQ(s2.page_in, 0u);
  EXPECT_EQ(s2.page_out, 0u);
  EXPECT_EQ(s2.page_create, 0u);
  EXPECT_EQ(s2.ro_evict, 0u);
  EXPECT_EQ(s2.rw_evict, 0u);
  EXPECT_EQ(s2.page_trickle, 0u);
  EXPECT_EQ(s2.map, 0u);
  EXPECT_EQ(s2.alloc, 0u);
  EXPECT_EQ(s2.write_sleeps, 0u);
  // Gauges and configuration survive.
  EXPECT_EQ(s2.frames, 4u);
  EXPECT_EQ(s2.cache_bytes, s1.cache_bytes);
  EXPECT_EQ(s2.frame_size, kPs);
  EXPECT_EQ(s2.ncache, 1u);
  EXPECT_EQ(s2.hash_buckets, s1.hash_buckets);
  EXPECT_EQ(s2.pages, s1.pages);
  EXPECT_EQ(s2.pages, 4u);
  EXPECT_EQ(s2.page_dirty, 1u);
  EXPECT_EQ(s2.page_clean, 3u);
  EXPECT_EQ(s2.mmapsize, s1.mmapsize);
  // Counting restarts.
  EXPECT_TRUE(page_reads(*f, 6, 2));
  EXPECT_EQ(p->stats().cache_hit, 1u);
  EXPECT_EQ(p->stats().cache_miss, 0u);
  EXPECT_OK(f->close());
}

// spec: ref §2 DB_MPOOL_FSTAT: one entry per file with its name, page size and counters
TEST(Stats, FileStatisticsNameFilesAndCountPerFile) {
  temp_dir d;
  const std::string a = d.file("a"), b = d.file("b");
  write_file(a, 4, kPs, 0);
  write_file(b, 4, 2048, 0);
  auto p = make_pool(16, kPs);
  ASSERT_NE(p, nullptr);
  auto fa = open_file(*p, a, open_flags::none, kPs);
  auto fb = open_file(*p, b, open_flags::none, 2048);
  ASSERT_TRUE(fa && fb && fa->is_open() && fb->is_open());
  for (pgno_t i = 0; i < 3; ++i) EXPECT_TRUE(page_reads(*fa, i, 0));
  EXPECT_TRUE(page_reads(*fa, 1, 0));
  EXPECT_TRUE(page_reads(*fb, 0, 0));
  EXPECT_TRUE(page_reads(*fb, 3, 0));
  write_page(*fb, 0, 1, get_flags::new_page);
  ASSERT_OK(p->sync());

  auto v = p->file_statistics();
  ASSERT_EQ(v.size(), 2u);
  const file_stats* sa = find_stats(v, a);
  const file_stats* sb = find_stats(v, b);
  ASSERT_NE(sa, nullptr);
  ASSERT_NE(sb, nullptr);
  EXPECT_EQ(sa->pagesize, kPs);
  EXPECT_EQ(sa->cache_miss, 3u);
  EXPECT_EQ(sa->cache_hit, 1u);
  EXPECT_EQ(sa->page_in, 3u);
  EXPECT_EQ(sa->page_create, 0u);
  EXPECT_EQ(sa->page_out, 0u);
  EXPECT_EQ(sa->map, 0u);
  EXPECT_EQ(sb->pagesize, 2048u);
  EXPECT_EQ(sb->cache_miss, 2u);
  EXPECT_EQ(sb->cache_hit, 0u);
  EXPECT_EQ(sb->page_in, 2u);
  EXPECT_EQ(sb->page_create, 1u);
  EXPECT_EQ(sb->page_out, 1u);
  // The pool's counters are the sums.
  pool_stats s = p->stats();
  EXPECT_EQ(s.cache_miss, sa->cache_miss + sb->cache_miss);
  EXPECT_EQ(s.cache_hit, sa->cache_hit + sb->cache_hit);
  EXPECT_EQ(s.page_in, sa->page_in + sb->page_in);
  EXPECT_EQ(s.page_out, sa->page_out + sb->page_out);
  EXPECT_EQ(s.page_create, sa->page_create + sb->page_create);

  // Clearing restarts the per-file counters.
  (void)p->file_statistics(true);
  v = p->file_statistics();
  ASSERT_EQ(v.size(), 2u);
  for (const auto& fs : v) {
    EXPECT_EQ(fs.cache_hit + fs.cache_miss + fs.page_in + fs.page_out + fs.page_create + fs.map,
              0u)
        << fs.file_name;
    EXPECT_NE(fs.pagesize, 0u);
  }
  EXPECT_TRUE(page_reads(*fa, 1, 0));
  sa = nullptr;
  v = p->file_statistics();
  sa = find_stats(v, a);
  ASSERT_NE(sa, nullptr);
  EXPECT_EQ(sa->cache_hit, 1u);
  EXPECT_OK(fa->close());
  EXPECT_OK(fb->close());
}

// spec: ref §2 st_page_dirty / st_page_clean: page_clean = pages - page_dirty at every point
TEST(Stats, DirtyAndCleanGaugesTrackPages) {
  temp_dir d;
  auto p = make_pool(8, kPs);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, d.file("g"), open_flags::create, kPs);
  ASSERT_TRUE(f && f->is_open());
  for (int i = 0; i < 5; ++i) {
    write_page(*f, 0, 1, get_flags::new_page);
    pool_stats s = p->stats();
    EXPECT_EQ(s.pages, static_cast<std::uint32_t>(i + 1));
    EXPECT_EQ(s.page_dirty, static_cast<std::uint32_t>(i + 1));
    EXPECT_EQ(s.page_clean, 0u);
  }
  ASSERT_OK(f->sync());
  pool_stats s = p->stats();
  EXPECT_EQ(s.pages, 5u);
  EXPECT_EQ(s.page_dirty, 0u);
  EXPECT_EQ(s.page_clean, 5u);
  EXPECT_OK(f->close());
}

}  // namespace
}  // namespace pagepool::apitest
