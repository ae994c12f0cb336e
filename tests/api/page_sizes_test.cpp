// tests/api/page_sizes_test.cpp: every page size in one pool (pool.hpp,
// "Page sizes"; BDB: files of 512 B to 64 KiB pages share one cache, and
// set_mp_pagesize is a sizing hint only).

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "api/api_util.hpp"
#include "pagepool/checksum.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kSizes[] = {512, 1024, 2048, 4096, 8192, 16384, 32768, 65536};

std::size_t size_index(std::size_t ps) {
  std::size_t i = 0;
  while ((std::size_t{512} << i) != ps) ++i;
  return i;
}

TEST(PageSizes, EverySizeOpensInOnePoolWithoutAnyHint) {
  temp_dir d;
  auto p = make_pool(256, 4096, 1);  // 1 MiB of 4 KiB frames; no hint of other sizes
  ASSERT_TRUE(p);
  std::vector<std::unique_ptr<file>> files;
  for (std::size_t ps : kSizes) {
    files.push_back(open_file(*p, d.file("f" + std::to_string(ps)), open_flags::create, ps));
    ASSERT_TRUE(files.back()) << ps;
    EXPECT_EQ(files.back()->page_size(), ps);
  }
  for (std::size_t i = 0; i < files.size(); ++i)
    for (pgno_t n = 0; n < 3; ++n) write_page(*files[i], n, static_cast<unsigned>(i));
  const pool_stats st = p->stats();
  EXPECT_EQ(st.pages, 3u * files.size());
  for (std::size_t i = 0; i < files.size(); ++i) EXPECT_EQ(st.pages_by_size[i], 3u) << kSizes[i];
  std::uint64_t bytes = 0;
  for (std::size_t ps : kSizes) bytes += 3 * ps;
  EXPECT_EQ(st.page_bytes, bytes);
  // Each file's stats give its page size.
  for (const file_stats& fs : p->file_statistics())
    EXPECT_EQ(fs.file_name, d.file("f" + std::to_string(fs.pagesize)));
  // Written back at sync with their own sizes, and read back after close.
  ASSERT_OK(p->sync());
  for (std::size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(file_size(d.file("f" + std::to_string(kSizes[i]))), 3 * kSizes[i]);
    for (pgno_t n = 0; n < 3; ++n)
      EXPECT_TRUE(disk_page_has_pattern(d.file("f" + std::to_string(kSizes[i])), n, kSizes[i],
                                        static_cast<unsigned>(i)));
    ASSERT_OK(files[i]->close());
  }
}

TEST(PageSizes, SizesOutsideTheRangeAreEinvalAndOpenNothing) {
  temp_dir d;
  auto p = make_pool(16, 4096, 1);
  ASSERT_TRUE(p);
  for (std::size_t ps : {std::size_t{0}, std::size_t{256}, std::size_t{1000}, std::size_t{3072},
                         std::size_t{131072}}) {
    std::unique_ptr<file> f = p->file_create();
    ASSERT_TRUE(f);
    EXPECT_ERR(f->open(d.file("bad"), open_flags::create, 0, ps), std::errc::invalid_argument) << ps;
  }
  EXPECT_EQ(p->stats().pages_by_size, (std::array<std::uint32_t, 8>{}));
}

TEST(PageSizes, OneMebibyteHoldsTwoThousandPagesOf512Bytes) {
  // The byte budget: a 1 MiB cache (256 frames of the default 4 KiB) holds
  // 2048 pages of 512 bytes, all pinned at once, where a 4 KiB frame per
  // page held 256.
  temp_dir d;
  auto p = make_pool(256, 4096, 1);
  ASSERT_TRUE(p);
  auto f = open_file(*p, d.file("small"), open_flags::create, 512);
  ASSERT_TRUE(f);
  std::vector<void*> held;
  for (pgno_t n = 0; n < 2048; ++n) {
    pgno_t m = n;
    void* pg = nullptr;
    ASSERT_OK(f->get(&m, get_flags::create, &pg)) << n;
    fill_page(pg, 512, n, 5);
    held.push_back(pg);
  }
  EXPECT_EQ(p->stats().pages_by_size[0], 2048u);
  EXPECT_EQ(p->stats().page_bytes, 1u << 20);
  // The 2049th page has no room: every page is pinned (ENOMEM after the
  // allocation timeout, as for any pool whose pages are all pinned).
  for (void* pg : held) ASSERT_OK(f->put(pg, priority::unchanged, put_flags::dirty));
  for (pgno_t n = 0; n < 4096; ++n) write_page(*f, n, 5);
  EXPECT_LE(p->stats().page_bytes, 1u << 20);
  EXPECT_EQ(p->stats().pages_by_size[0], 2048u);
  for (pgno_t n = 0; n < 4096; ++n) ASSERT_TRUE(page_reads(*f, n, 5)) << n;
  ASSERT_OK(f->close());
}

TEST(PageSizes, MixedSizesUnderEvictionKeepEveryPageAndTheBudget) {
  // Four files of four sizes, far more pages than the cache holds, written
  // and rewritten at random: every page reads back as last written (an
  // oracle per page), and the bytes held never exceed the budget.
  temp_dir d;
  for (unsigned regions : {1u, 3u}) {
    auto p = make_pool(64, 4096, regions);  // 256 KiB
    ASSERT_TRUE(p);
    const std::size_t sizes[] = {512, 4096, 16384, 65536};
    std::vector<std::unique_ptr<file>> files;
    for (std::size_t ps : sizes) {
      files.push_back(open_file(*p, d.file("m" + std::to_string(ps) + "_" + std::to_string(regions)),
                                open_flags::create, ps));
      ASSERT_TRUE(files.back());
    }
    std::map<std::pair<std::size_t, pgno_t>, unsigned> oracle;
    std::mt19937 rng(42 + regions);
    for (int step = 0; step < 3000; ++step) {
      const std::size_t i = rng() % 4;
      const pgno_t n = static_cast<pgno_t>(rng() % (i == 3 ? 12 : 200));
      const unsigned seed = static_cast<unsigned>(rng() % 250);
      if (rng() % 3 == 0 && oracle.count({i, n})) {
        ASSERT_TRUE(page_reads(*files[i], n, oracle[{i, n}])) << "file " << i << " page " << n;
      } else {
        // Pages below n may not exist yet: create fills the gap with zeros.
        write_page(*files[i], n, seed);
        oracle[{i, n}] = seed;
      }
      const pool_stats st = p->stats();
      ASSERT_LE(st.page_bytes, st.cache_bytes) << "step " << step;
    }
    const pool_stats st = p->stats(true);
    EXPECT_GT(st.page_donated, 0u);  // classes gave memory to each other
    EXPECT_GT(st.ro_evict + st.rw_evict, 0u);
    // Cleared with the evictions it is a part of.
    EXPECT_EQ(p->stats().page_donated, 0u);
    EXPECT_EQ(p->stats().ro_evict + p->stats().rw_evict, 0u);
    for (const auto& [key, seed] : oracle)
      ASSERT_TRUE(page_reads(*files[key.first], key.second, seed))
          << "file " << key.first << " page " << key.second;
    for (auto& f : files) ASSERT_OK(f->close());
  }
}

TEST(PageSizes, AClassThatStopsBeingUsedGivesItsMemoryBack) {
  // 512 B pages fill the cache; then 64 KiB pages are wanted: they take the
  // memory page by page, until the large class holds most of it.
  temp_dir d;
  auto p = make_pool(128, 4096, 1);  // 512 KiB
  ASSERT_TRUE(p);
  auto small = open_file(*p, d.file("s"), open_flags::create, 512);
  auto large = open_file(*p, d.file("l"), open_flags::create, 65536);
  ASSERT_TRUE(small && large);
  for (pgno_t n = 0; n < 1024; ++n) write_page(*small, n, 1);
  EXPECT_EQ(p->stats().pages_by_size[size_index(512)], 1024u);
  for (int round = 0; round < 20; ++round)
    for (pgno_t n = 0; n < 7; ++n) write_page(*large, n, 2);
  const pool_stats st = p->stats();
  EXPECT_GE(st.pages_by_size[size_index(65536)], 6u);
  EXPECT_LE(st.page_bytes, st.cache_bytes);
  for (pgno_t n = 0; n < 1024; ++n) ASSERT_TRUE(page_reads(*small, n, 1)) << n;
  for (pgno_t n = 0; n < 7; ++n) ASSERT_TRUE(page_reads(*large, n, 2)) << n;
  ASSERT_OK(small->close());
  ASSERT_OK(large->close());
}

TEST(PageSizes, ResizeKeepsTheBudgetAcrossClasses) {
  temp_dir d;
  auto p = make_pool(64, 4096, 2);
  ASSERT_TRUE(p);
  auto a = open_file(*p, d.file("a"), open_flags::create, 1024);
  auto b = open_file(*p, d.file("b"), open_flags::create, 8192);
  ASSERT_TRUE(a && b);
  for (pgno_t n = 0; n < 128; ++n) write_page(*a, n, 3);
  for (pgno_t n = 0; n < 16; ++n) write_page(*b, n, 4);
  ASSERT_OK(p->resize(16));  // 64 KiB
  pool_stats st = p->stats();
  EXPECT_LE(st.page_bytes, 16u * 4096);
  EXPECT_EQ(st.cache_bytes, 16u * 4096);
  for (pgno_t n = 0; n < 128; ++n) ASSERT_TRUE(page_reads(*a, n, 3)) << n;
  for (pgno_t n = 0; n < 16; ++n) ASSERT_TRUE(page_reads(*b, n, 4)) << n;
  EXPECT_LE(p->stats().page_bytes, 16u * 4096);
  ASSERT_OK(p->resize(128));  // 512 KiB: everything fits again
  for (pgno_t n = 0; n < 128; ++n) ASSERT_TRUE(page_reads(*a, n, 3)) << n;
  for (pgno_t n = 0; n < 16; ++n) ASSERT_TRUE(page_reads(*b, n, 4)) << n;
  st = p->stats();
  EXPECT_EQ(st.page_bytes, 128u * 1024 + 16u * 8192);
  ASSERT_OK(a->close());
  ASSERT_OK(b->close());
}

TEST(PageSizes, EveryPolicyServesEverySize) {
  temp_dir d;
  for (int k = 0; k < policy_kind_count; ++k) {
    pool_options o;
    o.cache_frames = 32;
    o.policy = static_cast<policy_kind>(k);
    SCOPED_TRACE(policy_name(o.policy));
    auto p = make_pool(o);
    ASSERT_TRUE(p);
    auto a = open_file(*p, d.file("pa" + std::to_string(k)), open_flags::create, 2048);
    auto b = open_file(*p, d.file("pb" + std::to_string(k)), open_flags::create, 32768);
    ASSERT_TRUE(a && b);
    for (int round = 0; round < 3; ++round) {
      for (pgno_t n = 0; n < 80; ++n) write_page(*a, n, 6 + round);
      for (pgno_t n = 0; n < 6; ++n) write_page(*b, n, 9 + round);
    }
    for (pgno_t n = 0; n < 80; ++n) ASSERT_TRUE(page_reads(*a, n, 8)) << policy_name(o.policy);
    for (pgno_t n = 0; n < 6; ++n) ASSERT_TRUE(page_reads(*b, n, 11)) << policy_name(o.policy);
    EXPECT_LE(p->stats().page_bytes, p->stats().cache_bytes);
    ASSERT_OK(a->close());
    ASSERT_OK(b->close());
  }
}

TEST(PageSizes, ChecksumsOptimisticReadsAndMmapWorkAtEverySize) {
  // Checksums stamped and verified across eviction, optimistic reads, and a
  // read-only file served by mmap, for files of the smallest and the
  // largest page size in a pool of the default 4 KiB.
  temp_dir d;
  pool_options o;
  o.cache_frames = 48;  // 192 KiB: three pages of 64 KiB
  o.mmap_size = 1u << 20;
  auto p = make_pool(o);
  ASSERT_TRUE(p);
  constexpr int kType = 9;
  ASSERT_OK(register_checksum(*p, kType, checksum_options{}));
  for (std::size_t ps : {std::size_t{512}, std::size_t{65536}}) {
    const std::string path = d.file("c" + std::to_string(ps));
    {
      auto f = p->file_create();
      ASSERT_OK(f->set_ftype(kType));
      ASSERT_OK(f->open(path, open_flags::create, 0, ps));
      const pgno_t n = ps == 512 ? 800 : 6;  // more than the cache holds
      for (pgno_t i = 0; i < n; ++i) {
        pgno_t m = i;
        void* pg = nullptr;
        ASSERT_OK(f->get(&m, get_flags::create, &pg));
        fill_page(pg, ps - 4, i, 2);  // the trailer is the checksum's
        ASSERT_OK(f->put(pg, priority::unchanged, put_flags::dirty));
      }
      for (pgno_t i = 0; i < n; ++i) {
        std::size_t good = 0;
        ASSERT_OK(f->read_optimistic(i, [&](const std::byte* b) {
          good = page_has_pattern(b, ps - 4, i, 2) ? 1 : 0;
        }));
        EXPECT_EQ(good, 1u) << ps << " page " << i;
      }
      ASSERT_OK(f->close());
      // On disk: the trailer is the CRC32C of the rest.
      const auto disk = read_disk_page(path, 1, ps);
      std::uint32_t crc = 0;
      std::memcpy(&crc, disk.data() + ps - 4, 4);
      EXPECT_EQ(crc, crc32c(disk.data(), ps - 4)) << ps;
    }
    EXPECT_EQ(p->stats().checksum_failures, 0u);
    // Read-only and small: mapped, whatever its page size.
    const std::string ro = d.file("r" + std::to_string(ps));
    write_file(ro, 4, ps, 7);
    auto r = open_file(*p, ro, open_flags::rdonly, ps);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->is_mapped()) << ps;
    for (pgno_t i = 0; i < 4; ++i) EXPECT_TRUE(page_reads(*r, i, 7)) << ps;
    ASSERT_OK(r->close());
  }
}

TEST(PageSizes, APageLargerThanTheWholeCacheIsEnomem) {
  temp_dir d;
  pool_options o;
  o.cache_frames = 4;  // 16 KiB
  o.alloc_timeout = std::chrono::milliseconds(50);
  auto p = make_pool(o);
  ASSERT_TRUE(p);
  auto f = open_file(*p, d.file("big"), open_flags::create, 65536);
  ASSERT_TRUE(f);
  pgno_t n = 0;
  void* pg = nullptr;
  EXPECT_ERR(f->get(&n, get_flags::create, &pg), std::errc::not_enough_memory);
  EXPECT_EQ(p->stats().page_bytes, 0u);
  ASSERT_OK(f->close());
}

}  // namespace
}  // namespace pagepool::apitest
