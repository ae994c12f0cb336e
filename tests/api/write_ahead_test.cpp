// tests/api/write_ahead_test.cpp: the write-ahead-log rule: a page of a file
// with an lsn_offset is written only after the log is flushed up to its LSN.
#include <chrono>
#include <thread>

#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 1024;
constexpr std::int32_t kLsnOff = 16;

struct event {
  enum kind { flush, out } k;
  lsn at;       // flush: upto; out: the page's LSN
  pgno_t pgno;  // out only
};

lsn read_lsn(const void* page) {
  lsn l;
  std::memcpy(&l.file, static_cast<const std::uint8_t*>(page) + kLsnOff, 4);
  std::memcpy(&l.offset, static_cast<const std::uint8_t*>(page) + kLsnOff + 4, 4);
  return l;
}

void stamp(void* page, pgno_t pgno, unsigned seed, lsn l) {
  fill_page(page, kPs, pgno, seed);
  std::memcpy(static_cast<std::uint8_t*>(page) + kLsnOff, &l.file, 4);
  std::memcpy(static_cast<std::uint8_t*>(page) + kLsnOff + 4, &l.offset, 4);
}

/// Checks that every "out" event is preceded by a flush covering its LSN.
::testing::AssertionResult flushed_before_each_write(const std::vector<event>& ev) {
  lsn flushed{0, 0};
  bool any_flush = false;
  for (const event& e : ev) {
    if (e.k == event::flush) {
      if (!any_flush || flushed < e.at) flushed = e.at;
      any_flush = true;
    } else if (!any_flush || flushed < e.at) {
      return ::testing::AssertionFailure()
             << "page " << e.pgno << " with LSN {" << e.at.file << "," << e.at.offset
             << "} written before the log was flushed that far";
    }
  }
  return ::testing::AssertionSuccess();
}

struct WriteAhead : ::testing::Test {
  temp_dir dir;
  std::string path = dir.file("wal");
  std::vector<event> events;
  std::vector<bool> on_disk_at_flush;
  std::unique_ptr<pool> p;
  std::unique_ptr<file> f;

  void setup(std::size_t frames, std::size_t pages_on_disk) {
    write_file(path, pages_on_disk, kPs, 0);
    p = make_pool(frames, kPs);
    ASSERT_NE(p, nullptr);
    p->set_log_flush([this](const lsn& upto) {
      event e{event::flush, upto, 0};
      events.push_back(e);
      return 0;
    });
    ASSERT_OK(p->register_page_io(
        1, nullptr, [this](pgno_t pgno, void* page, std::span<const std::byte>) {
          events.push_back({event::out, read_lsn(page), pgno});
          return 0;
        }));
    f = p->file_create();
    ASSERT_OK(f->set_ftype(1));
    ASSERT_OK(f->set_lsn_offset(kLsnOff));
    ASSERT_OK(f->open(path, open_flags::none, 0, kPs));
  }
  void dirty(pgno_t pgno, unsigned seed, lsn l) {
    void* page = nullptr;
    pgno_t n = pgno;
    ASSERT_OK(f->get(&n, get_flags::dirty, &page));
    stamp(page, pgno, seed, l);
    ASSERT_OK(f->put(page));
  }
  void TearDown() override {
    if (f && f->is_open()) {
      EXPECT_OK(f->close());
    }
  }
};

// spec: pool.hpp set_log_flush: before a page of a file with an lsn_offset is written, the log is flushed up to its LSN (sync)
TEST_F(WriteAhead, SyncFlushesLogBeforeWritingPage) {
  setup(8, 4);
  dirty(1, 3, lsn{3, 500});
  dirty(2, 3, lsn{2, 9000});
  dirty(3, 3, lsn{4, 1});
  ASSERT_OK(p->sync());
  int outs = 0;
  for (const event& e : events) outs += e.k == event::out;
  EXPECT_EQ(outs, 3);
  EXPECT_TRUE(flushed_before_each_write(events));
  lsn max_flushed{};
  for (const event& e : events)
    if (e.k == event::flush && max_flushed < e.at) max_flushed = e.at;
  EXPECT_GE(max_flushed, (lsn{4, 1}));
  for (pgno_t i = 1; i < 4; ++i) {
    auto v = read_disk_page(path, i, kPs);
    ASSERT_FALSE(v.empty());
    EXPECT_EQ(read_lsn(v.data()), (i == 1 ? lsn{3, 500} : i == 2 ? lsn{2, 9000} : lsn{4, 1}));
  }
}

// spec: pool.hpp set_log_flush: the page is not on disk when the log flush runs (checked with pread from the callback)
TEST_F(WriteAhead, PageNotOnDiskWhenFlushRuns) {
  setup(8, 2);
  p->set_log_flush([this](const lsn& upto) {
    auto v = read_disk_page(path, 1, kPs);
    on_disk_at_flush.push_back(!v.empty() && read_lsn(v.data()) == lsn{7, 70});
    events.push_back({event::flush, upto, 0});
    return 0;
  });
  dirty(1, 5, lsn{7, 70});
  ASSERT_OK(f->sync());
  ASSERT_FALSE(on_disk_at_flush.empty()) << "log flush never called";
  EXPECT_FALSE(on_disk_at_flush.front()) << "page written before the log flush";
  EXPECT_TRUE(flushed_before_each_write(events));
  auto v = read_disk_page(path, 1, kPs);
  ASSERT_FALSE(v.empty());
  EXPECT_EQ(read_lsn(v.data()), (lsn{7, 70}));
}

// spec: pool.hpp set_log_flush and start_background_writer: the rule also holds for the background writer
TEST_F(WriteAhead, BackgroundWriterFlushesLogBeforeWritingPage) {
  setup(8, 4);
  dirty(0, 2, lsn{5, 50});
  dirty(3, 2, lsn{6, 60});
  ASSERT_OK(p->start_background_writer(100, std::chrono::milliseconds(1)));
  for (int i = 0; i < 5000 && p->stats().page_dirty != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  p->stop_background_writer();  // joins: its events are ours to read now
  EXPECT_EQ(p->stats().page_dirty, 0u);
  int outs = 0;
  for (const event& e : events) outs += e.k == event::out;
  EXPECT_EQ(outs, 2);
  EXPECT_TRUE(flushed_before_each_write(events));
  EXPECT_EQ(read_lsn(read_disk_page(path, 3, kPs).data()), (lsn{6, 60}));
}

// spec: pool.hpp set_log_flush: the rule also holds when a dirty page is written by eviction
TEST_F(WriteAhead, EvictionFlushesLogBeforeWritingPage) {
  setup(2, 8);
  dirty(0, 1, lsn{1, 10});
  dirty(1, 1, lsn{1, 20});
  for (pgno_t i = 2; i < 8; ++i) EXPECT_TRUE(page_reads(*f, i, 0));
  int outs = 0;
  for (const event& e : events) outs += e.k == event::out;
  EXPECT_EQ(outs, 2);
  EXPECT_TRUE(flushed_before_each_write(events));
  EXPECT_GE(p->stats().rw_evict, 2u);
}

// spec: pool.hpp set_log_flush: trickle writes obey the rule too
TEST_F(WriteAhead, TrickleFlushesLogBeforeWritingPage) {
  setup(4, 4);
  for (pgno_t i = 0; i < 4; ++i) dirty(i, 2, lsn{5, 100 * (i + 1)});
  int written = 0;
  ASSERT_OK(p->trickle(100, &written));
  EXPECT_EQ(written, 4);
  EXPECT_TRUE(flushed_before_each_write(events));
}

// spec: pool.hpp set_log_flush returns 0 or an errno-style value: a failed flush keeps the page from being written
TEST_F(WriteAhead, FailedFlushPreventsWrite) {
  setup(8, 2);
  p->set_log_flush([](const lsn&) { return EIO; });
  dirty(1, 5, lsn{7, 70});
  std::error_code ec = p->sync();
  EXPECT_EQ(ec, std::error_code(EIO, std::generic_category())) << describe(ec);
  EXPECT_TRUE(disk_page_has_pattern(path, 1, kPs, 0));
  EXPECT_EQ(p->stats().page_dirty, 1u);
  p->set_log_flush([](const lsn&) { return 0; });
  ASSERT_OK(p->sync());
  auto v = read_disk_page(path, 1, kPs);
  ASSERT_FALSE(v.empty());
  EXPECT_EQ(read_lsn(v.data()), (lsn{7, 70}));
}

}  // namespace
}  // namespace pagepool::apitest
