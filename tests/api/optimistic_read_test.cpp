// tests/api/optimistic_read_test.cpp: file::read_optimistic and its parts,
// optimistic_begin / optimistic_validate (pagepool's native API; BDB has no
// counterpart). What is promised: the reader sees the page's current bytes;
// a write pin (get with dirty or edit) or a change of the frame's page taken
// between begin and validate fails validation; a page that is not resident,
// or that a writer holds, is read under a pin instead; errors are get()'s.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "api/api_util.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPage = 4096;

TEST(OptimisticRead, ReadsAResidentPageWithoutPinningIt) {
  temp_dir d;
  auto p = make_pool(16, kPage, 1);
  ASSERT_TRUE(p);
  auto f = open_file(*p, d.file("o"), open_flags::create, kPage);
  ASSERT_TRUE(f);
  write_page(*f, 3, 9);  // resident, dirty, unpinned
  bool ok = false;
  int runs = 0;
  ASSERT_OK(f->read_optimistic(3, [&](const std::byte* pg) {
    ++runs;
    ok = page_has_pattern(pg, kPage, 3, 9);
  }));
  EXPECT_TRUE(ok);
  EXPECT_EQ(runs, 1);
  const pool_stats st = p->stats();
  EXPECT_EQ(st.optimistic_reads, 1u);
  EXPECT_EQ(st.optimistic_failures, 0u);
  // Nothing stayed pinned: the file closes (EBUSY if a pin were left).
  ASSERT_OK(f->close());
}

TEST(OptimisticRead, NonResidentPageIsReadUnderAPin) {
  temp_dir d;
  const std::string path = d.file("n");
  {
    auto p = make_pool(16, kPage, 1);
    auto f = open_file(*p, path, open_flags::create, kPage);
    ASSERT_TRUE(f);
    write_page(*f, 5, 2);
    ASSERT_OK(p->sync());
    ASSERT_OK(f->close());
  }
  auto p = make_pool(16, kPage, 1);
  auto f = open_file(*p, path, open_flags::none, kPage);
  ASSERT_TRUE(f);
  bool ok = false;
  ASSERT_OK(f->read_optimistic(5, [&](const std::byte* pg) { ok = page_has_pattern(pg, kPage, 5, 2); }));
  EXPECT_TRUE(ok);
  const pool_stats st = p->stats();
  EXPECT_EQ(st.page_in, 1u);           // read in, and pinned while it is read
  EXPECT_EQ(st.optimistic_reads, 1u);  // under that pin, read as any other
  EXPECT_EQ(st.cache_miss, 1u);
  // Now resident: the next read is optimistic.
  ASSERT_OK(f->read_optimistic(5, [&](const std::byte* pg) { ok = page_has_pattern(pg, kPage, 5, 2); }));
  EXPECT_TRUE(ok);
  EXPECT_EQ(p->stats().optimistic_reads, 2u);
  EXPECT_EQ(p->stats().page_in, 1u);
  ASSERT_OK(f->close());
}

TEST(OptimisticRead, ErrorsAreThoseOfGet) {
  temp_dir d;
  auto p = make_pool(16, kPage, 1);
  auto f = open_file(*p, d.file("e"), open_flags::create, kPage);
  ASSERT_TRUE(f);
  int runs = 0;
  EXPECT_ERR(f->read_optimistic(7, [&](const std::byte*) { ++runs; }), errc::page_not_found);
  EXPECT_EQ(runs, 0);
  ASSERT_OK(f->close());
  EXPECT_ERR(f->read_optimistic(0, [&](const std::byte*) { ++runs; }), std::errc::invalid_argument);
  EXPECT_EQ(runs, 0);
}

TEST(OptimisticRead, AWritePinTakenMeanwhileFailsValidation) {
  temp_dir d;
  auto p = make_pool(16, kPage, 1);
  auto f = open_file(*p, d.file("w"), open_flags::create, kPage);
  ASSERT_TRUE(f);
  write_page(*f, 1, 1);
  optimistic_ticket t;
  ASSERT_EQ(f->optimistic_begin(1, t), file::optimistic::ok);
  EXPECT_TRUE(page_has_pattern(t.page, kPage, 1, 1));  // the page itself, not a copy
  EXPECT_TRUE(file::optimistic_validate(t));
  write_page(*f, 1, 2);  // get(dirty), change, put
  EXPECT_FALSE(file::optimistic_validate(t));
  // A plain pin and put leave the version alone.
  ASSERT_EQ(f->optimistic_begin(1, t), file::optimistic::ok);
  {
    pgno_t n = 1;
    void* pg = nullptr;
    ASSERT_OK(f->get(&n, get_flags::none, &pg));
    ASSERT_OK(f->put(pg));
  }
  EXPECT_TRUE(file::optimistic_validate(t));
  ASSERT_OK(f->close());
}

TEST(OptimisticRead, OnlyAPinToWriteHoldsOptimisticReadersBack) {
  temp_dir d;
  auto p = make_pool(16, kPage, 1);
  auto f = open_file(*p, d.file("h"), open_flags::create, kPage);
  ASSERT_TRUE(f);
  write_page(*f, 2, 4);  // dirty now
  optimistic_ticket t;
  pgno_t n = 2;
  void* w = nullptr;
  ASSERT_OK(f->get(&n, get_flags::dirty, &w));  // a writer holds it
  EXPECT_EQ(f->optimistic_begin(2, t), file::optimistic::writer);
  ASSERT_OK(f->put(w));
  // A plain pin on the dirty page does not hold readers back.
  void* r = nullptr;
  ASSERT_OK(f->get(&n, get_flags::none, &r));
  ASSERT_EQ(f->optimistic_begin(2, t), file::optimistic::ok);
  EXPECT_TRUE(file::optimistic_validate(t));
  // A pin to write and a plain one through one handle: the plain one goes
  // first, so the page still counts a writer until the second put.
  ASSERT_OK(f->get(&n, get_flags::edit, &w));
  ASSERT_EQ(w, r);
  ASSERT_OK(f->put(w));
  EXPECT_EQ(f->optimistic_begin(2, t), file::optimistic::writer);
  ASSERT_OK(f->put(r));
  EXPECT_EQ(f->optimistic_begin(2, t), file::optimistic::ok);
  EXPECT_EQ(f->optimistic_begin(99, t), file::optimistic::not_resident);
  ASSERT_OK(f->close());
}

TEST(OptimisticRead, WaitsForTheWritersPut) {
  temp_dir d;
  auto p = make_pool(16, kPage, 1);
  auto f = open_file(*p, d.file("q"), open_flags::create, kPage);
  ASSERT_TRUE(f);
  write_page(*f, 0, 1);
  pgno_t n = 0;
  page_handle w;
  ASSERT_OK(f->get(n, get_flags::dirty, w));
  std::atomic<bool> put_done{false};
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    fill_page(w.data(), kPage, 0, 2);
    put_done.store(true);
    ASSERT_OK(w.release());
  });
  bool saw_two = false, after_put = false;
  ASSERT_OK(f->read_optimistic(0, [&](const std::byte* pg) {
    saw_two = page_has_pattern(pg, kPage, 0, 2);
    after_put = put_done.load();
  }));
  writer.join();
  EXPECT_TRUE(saw_two) << "the read ran before the writer's put";
  EXPECT_TRUE(after_put);
  ASSERT_OK(f->close());
}

TEST(OptimisticRead, EvictionMeanwhileFailsValidation) {
  temp_dir d;
  auto p = make_pool(4, kPage, 1);
  auto f = open_file(*p, d.file("v"), open_flags::create, kPage);
  ASSERT_TRUE(f);
  write_page(*f, 0, 1);
  optimistic_ticket t;
  ASSERT_EQ(f->optimistic_begin(0, t), file::optimistic::ok);
  for (pgno_t i = 1; i < 40; ++i) write_page(*f, i, 1);  // cycles every frame
  EXPECT_FALSE(file::optimistic_validate(t));
  bool ok = false;
  ASSERT_OK(f->read_optimistic(0, [&](const std::byte* pg) { ok = page_has_pattern(pg, kPage, 0, 1); }));
  EXPECT_TRUE(ok);
  ASSERT_OK(f->close());
}

}  // namespace
}  // namespace pagepool::apitest
