// tests/concurrency/checksum_churn_test.cpp: checksummed pages (pagepool/
// checksum.hpp) under constant eviction, with the checksum entry re-registered
// while pages go in and out through it.
//
// Three workers own pages by pgno % 3 and rewrite them with version stamps
// (testkit/page_stamp.hpp) over all but the last word, whose last 4 bytes are
// the checksum trailer; each get checks the stamp it last wrote. The
// application's page-in/out XOR every byte but the trailer, so the checksum
// wraps a real codec. A
// fourth thread keeps replacing the entry with an identical one, which the
// epoch domain must keep alive for the callers still in it. Oracles: no get
// fails (a checksum failure would), checksum_failures stays 0, every page on
// disk after sync carries the CRC32C of its other bytes, and a reopen reads
// back exactly the versions the workers last wrote. The same run with
// DB_DIRECT puts the page-in/out copies through O_DIRECT.

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "concurrency/concurrency_support.hpp"
#include "testkit/crc32c_trailer.hpp"

namespace pagepool::conctest {
namespace {

constexpr std::size_t kThreads = 3;
constexpr std::size_t kPages = 96;
constexpr std::size_t kPageSize = 4096;
constexpr std::size_t kCovered = kPageSize - 4;  // the checksum's: the last 4 bytes are its trailer
constexpr std::size_t kStamped = kPageSize - 8;  // the stamp's: whole words before the trailer
constexpr int kType = 9;
constexpr std::uint8_t kKey = 0xA5;

int xor_stamped(pgno_t, void* page, std::span<const std::byte>) {
  auto* b = static_cast<std::uint8_t*>(page);
  for (std::size_t i = 0; i < kCovered; ++i) b[i] ^= kKey;
  return 0;
}

std::error_code register_it(pool& p) {
  return register_checksum(p, kType, checksum_options{}, xor_stamped, xor_stamped);
}

bool direct_supported(const std::string& dir) {
  const std::string f = dir + "/dio-probe";
  const int fd = ::open(f.c_str(), O_RDWR | O_CREAT | O_DIRECT, 0644);
  if (fd >= 0) ::close(fd);
  ::unlink(f.c_str());
  return fd >= 0;
}

void churn(open_flags extra) {
  const std::uint32_t seed = test_seed();
  failure_log log(seed);
  temp_dir dir;
  if (any(extra, open_flags::direct) && !direct_supported(dir.path().string()))
    GTEST_SKIP() << "*** " << dir.path() << " refuses O_DIRECT: the DB_DIRECT run is not tested here ***";
  const std::string path = dir.file("churn");
  pool_options o;
  o.cache_frames = 12;
  o.frame_size = kPageSize;
  o.regions = 2;
  std::unique_ptr<pool> p;
  ASSERT_FALSE(pool::create(o, p));
  ASSERT_FALSE(register_it(*p));
  auto f = p->file_create();
  ASSERT_TRUE(f);
  ASSERT_FALSE(f->set_ftype(kType));
  ASSERT_FALSE(f->open(path, open_flags::create | extra, 0, kPageSize));
  for (pgno_t pg = 0; pg < kPages; ++pg) {
    pgno_t n = pg;
    void* page = nullptr;
    ASSERT_FALSE(f->get(&n, get_flags::create | get_flags::dirty, &page));
    std::memset(page, 0, kCovered);  // page-in ran on the made page: zero it again
    ASSERT_FALSE(f->put(page));
  }
  ASSERT_FALSE(p->sync());

  std::vector<std::vector<std::uint64_t>> oracle(kThreads, std::vector<std::uint64_t>(kPages, 0));
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> ops{0}, swaps{0};
  auto worker = [&](std::size_t tid) {
    std::mt19937 rng(seed + static_cast<std::uint32_t>(tid));
    auto& mine = oracle[tid];
    while (!stop.load(std::memory_order_relaxed) && !log.failed()) {
      if (!owned_stamp_step(*f, tid, kThreads, kPages, kStamped, mine, rng, log)) return;
      ops.fetch_add(1, std::memory_order_relaxed);
    }
  };
  auto swapper = [&] {
    while (!stop.load(std::memory_order_relaxed) && !log.failed()) {
      if (auto ec = register_it(*p)) {
        log.fail(fail_msg() << "register_checksum: " << describe(ec));
        return;
      }
      swaps.fetch_add(1, std::memory_order_relaxed);
      std::this_thread::yield();
    }
  };
  std::vector<std::thread> team;
  for (std::size_t t = 0; t < kThreads; ++t) team.emplace_back(worker, t);
  team.emplace_back(swapper);
  const auto budget = phase_budget();
  const auto t0 = clock_type::now();
  while (ms_since(t0) < budget.count() && !log.failed() && ops.load() < scaled(100000))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop.store(true);
  for (auto& t : team) t.join();
  ASSERT_FALSE(log.failed()) << log.report();
  EXPECT_GT(ops.load(), 100u);
  EXPECT_GT(swaps.load(), 10u);
  EXPECT_EQ(p->stats().checksum_failures, 0u);
  ASSERT_FALSE(p->sync());

  // The disk: every page's trailer is the CRC32C of its other bytes (LE), and
  // those bytes are the XOR-encoded stamp the oracle expects.
  disk_reader disk(path);
  std::vector<std::uint8_t> buf(kPageSize);
  for (pgno_t pg = 0; pg < kPages; ++pg) {
    ASSERT_TRUE(disk.read(pg, kPageSize, buf)) << "pread page " << pg;
    EXPECT_EQ(testkit::stored_crc32c_trailer(buf.data(), kPageSize), crc32c(buf.data(), kCovered))
        << "page " << pg << " seed " << seed;
    for (std::size_t i = 0; i < kCovered; ++i) buf[i] ^= kKey;
    const auto v = stamp_version(buf.data(), kStamped, pg);
    EXPECT_TRUE(v && *v == oracle[pg % kThreads][pg]) << "disk page " << pg << " seed " << seed;
  }

  // Through the pool again, every cached page dropped.
  ASSERT_FALSE(f->close());
  ASSERT_FALSE(p->close());
  p.reset();
  ASSERT_FALSE(pool::create(o, p));
  ASSERT_FALSE(register_it(*p));
  f = p->file_create();
  ASSERT_TRUE(f);
  ASSERT_FALSE(f->set_ftype(kType));
  ASSERT_FALSE(f->open(path, extra, 0, kPageSize));
  for (pgno_t pg = 0; pg < kPages; ++pg) {
    pgno_t n = pg;
    void* page = nullptr;
    ASSERT_FALSE(f->get(&n, get_flags::none, &page)) << "page " << pg;
    const auto v = stamp_version(page, kStamped, pg);
    EXPECT_TRUE(v && *v == oracle[pg % kThreads][pg]) << "page " << pg << " seed " << seed;
    ASSERT_FALSE(f->put(page));
  }
  EXPECT_EQ(p->stats().checksum_failures, 0u);
  ASSERT_FALSE(f->close());
}

TEST(ChecksumChurn, PagesVerifyUnderEvictionWhileTheEntryIsReplaced) { churn(open_flags::none); }

TEST(ChecksumChurn, PagesVerifyThroughDirectIoUnderEviction) { churn(open_flags::direct); }

}  // namespace
}  // namespace pagepool::conctest
