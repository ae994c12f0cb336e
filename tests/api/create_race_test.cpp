// tests/api/create_race_test.cpp: two races in which a page the pool had
// written was taken for a page past the end of its file, and made again as
// zeros by a get with create (found by the stress swarm, seed 1016: churn,
// one region, LRU; the oracle saw version 0 where a later one was committed).
//
// 1. A get with create that misses must decide whether the page exists only
//    once its loading frame holds the page's place in the table.
// 2. An open that makes a new state for a file must count the file's pages
//    from its size read under the registry latch, not before it.
//
// Race 1
// The race, made deterministic with the fault backend's write hook
// (tests/support/fault_io.hpp): thread A's get(create) of page 5, past the
// end of the file, stops inside the write of the dirty victim it evicts for
// a frame. Meanwhile this thread creates page 5, writes it, puts it dirty,
// and sees it evicted (written to the file) by another get. When A goes on,
// page 5 is in the file: A must read it, not make it again as zeros (which
// would later be written over the committed page: a write lost).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "fault_fixture.hpp"

namespace pagepool::apitest {
namespace {

constexpr std::size_t kPs = 4096;

struct CreateRace : fault_fixture {};

TEST_F(CreateRace, APageCreatedAndEvictedWhileAnotherGetLooksForAFrameIsReadNotMadeAgain) {
  pool_options o;
  o.cache_frames = 2;
  o.frame_size = kPs;
  o.io = fio;
  o.alloc_timeout = std::chrono::milliseconds(5000);
  auto p = make_pool(o);
  ASSERT_TRUE(p);
  auto f = open_file(*p, std::string("/mem/race"), open_flags::create, kPs);
  ASSERT_TRUE(f);
  // Both frames hold dirty pages (0 and 1): any get of another page must
  // write a victim first.
  write_page(*f, 0, 1);
  write_page(*f, 1, 1);

  // The hook stops the first write after it is armed (thread A's victim)
  // until this thread says so.
  std::mutex mu;
  std::condition_variable cv;
  bool a_in_write = false, release_a = false;
  std::atomic<bool> armed{false};
  fio->set_write_hook([&](const std::string&, std::uint64_t, const void*, std::size_t) {
    if (!armed.exchange(false)) return;
    std::unique_lock lk(mu);
    a_in_write = true;
    cv.notify_all();
    cv.wait(lk, [&] { return release_a; });
  });

  std::error_code a_ec;
  void* a_page = nullptr;
  armed = true;
  // A raw pin is put by the thread that took it (file.hpp): A keeps its pin
  // until this thread has checked the page, then puts it.
  std::error_code a_put_ec;
  bool a_got = false, a_may_put = false;
  std::thread a([&] {
    pgno_t n = 5;
    a_ec = f->get(&n, get_flags::create, &a_page);
    std::unique_lock lk(mu);
    a_got = true;
    cv.notify_all();
    cv.wait(lk, [&] { return a_may_put; });
    if (!a_ec) a_put_ec = f->put(a_page);
  });
  {
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(10), [&] { return a_in_write; }))
        << "thread A never wrote a victim";
  }
  // A is inside its victim's write. Create page 5 here (the other frame's
  // dirty page is written for it), write it, put it dirty...
  write_page(*f, 5, 77);
  // ... and have it evicted, written to the file: page 6 needs a frame, and
  // page 5's is the only one not busy.
  write_page(*f, 6, 1);
  ASSERT_GE(p->stats().rw_evict, 2u);
  {
    std::lock_guard lk(mu);
    release_a = true;
  }
  cv.notify_all();
  {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return a_got; });
  }
  const bool committed = !a_ec && page_has_pattern(a_page, kPs, 5, 77);
  {
    std::lock_guard lk(mu);
    a_may_put = true;
  }
  cv.notify_all();
  a.join();
  ASSERT_OK(a_ec);
  // A pinned page 5 as it was committed, read from the file.
  EXPECT_TRUE(committed) << "page 5 was made again instead of read";
  ASSERT_OK(a_put_ec);
  ASSERT_OK(p->sync());
  pgno_t n = 5;
  void* again = nullptr;
  ASSERT_OK(f->get(&n, get_flags::none, &again));
  EXPECT_TRUE(page_has_pattern(again, kPs, 5, 77));
  ASSERT_OK(f->put(again));
  ASSERT_OK(f->close());
  ASSERT_OK(p->close());
}

// Race 2, made deterministic with the fault backend's fstat hook: thread B's
// open of a file reads its size (empty) and stops. Meanwhile this thread
// opens the file, writes page 3, syncs it out, closes it, and has its state
// freed (page 3 evicted by another file's pages). When B goes on, no state
// of the file exists and B makes one: its page count must be the file's size
// now (4 pages), or page 3 is "past the end" and a get with create makes it
// again as zeros.
TEST_F(CreateRace, ANewFileStateCountsThePagesWrittenWhileItsOpenWaited) {
  pool_options o;
  o.cache_frames = 2;
  o.frame_size = kPs;
  o.io = fio;
  auto p = make_pool(o);
  ASSERT_TRUE(p);
  const std::string path = "/mem/grown";
  {
    auto first = open_file(*p, path, open_flags::create, kPs);  // the file exists, empty
    ASSERT_TRUE(first);
    ASSERT_OK(first->close());
  }
  std::mutex mu;
  std::condition_variable cv;
  bool b_sized = false, release_b = false;
  std::atomic<bool> armed{false};
  fio->set_fstat_hook([&](const std::string& which) {
    if (which != path || !armed.exchange(false)) return;
    std::unique_lock lk(mu);
    b_sized = true;
    cv.notify_all();
    cv.wait(lk, [&] { return release_b; });
  });
  std::unique_ptr<file> hb = p->file_create();
  ASSERT_TRUE(hb);
  std::error_code b_ec;
  armed = true;
  std::thread b([&] { b_ec = hb->open(path, open_flags::none, 0, kPs); });
  {
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(10), [&] { return b_sized; }))
        << "thread B's open never read the file's size";
  }
  {
    auto h = open_file(*p, path, open_flags::none, kPs);
    ASSERT_TRUE(h);
    write_page(*h, 3, 33);
    ASSERT_OK(p->sync());
    ASSERT_OK(h->close());
  }
  {
    // Two pages of another file take both frames: page 3 leaves (clean).
    auto other = open_file(*p, std::string("/mem/other"), open_flags::create, kPs);
    ASSERT_TRUE(other);
    write_page(*other, 0, 1);
    write_page(*other, 1, 1);
    ASSERT_OK(other->close());
  }
  ASSERT_OK(p->sync());  // frees the file's state (no handle, no frame)
  {
    std::lock_guard lk(mu);
    release_b = true;
  }
  cv.notify_all();
  b.join();
  ASSERT_OK(b_ec);
  pgno_t last = 0;
  ASSERT_OK(hb->get_last_pgno(&last));
  EXPECT_EQ(last, 3u) << "the new state counted the pages of a stale size";
  pgno_t n = 3;
  void* page = nullptr;
  ASSERT_OK(hb->get(&n, get_flags::create, &page));
  EXPECT_TRUE(page_has_pattern(page, kPs, 3, 33)) << "page 3 was made again instead of read";
  ASSERT_OK(hb->put(page));
  ASSERT_OK(hb->close());
  ASSERT_OK(p->close());
}

}  // namespace
}  // namespace pagepool::apitest
