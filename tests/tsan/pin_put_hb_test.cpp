// ThreadSanitizer-only tests of the pin and put-by-address protocol: the
// latch-free hit's pin (P4 load, P1 CAS) after another thread's unpin (P2)
// is a happens-before edge, with and without the other thread's pin records
// in between, and a pin handed to another thread is put there through the
// other thread's records (pin_records.hpp, gone counts) without a race.
//
// Each thread writes the page's bytes plainly while it holds its pin and
// passes the turn through a relaxed flag, which orders nothing: only the
// unpin (release) -> pin (acquire) edge orders one thread's writes before
// the next one's reads. Were it missing, TSan would report a race on the page
// and the process would fail (halt_on_error=1 in CI). The bytes are checked
// too: each thread sees the value the previous one wrote.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>

#include "pagepool/pagepool.hpp"

namespace pagepool {
namespace {

constexpr std::size_t kPage = 1024;

std::unique_ptr<pool> make() {
  pool_options o;
  o.frame_size = kPage;
  o.cache_frames = 8;
  std::unique_ptr<pool> p;
  if (pool::create(o, p)) return nullptr;
  return p;
}

TEST(PinPutHb, AHitAfterAnotherThreadsPutSeesItsWrites) {
  auto p = make();
  ASSERT_TRUE(p);
  auto f = p->file_create();
  ASSERT_FALSE(f->open(std::nullopt, open_flags::none, 0, kPage));
  {
    pgno_t n = 0;
    void* pg = nullptr;
    ASSERT_FALSE(f->get(&n, get_flags::create, &pg));
    std::memset(pg, 0, kPage);
    ASSERT_FALSE(f->put(pg, priority::unchanged, put_flags::dirty));
  }
  std::atomic<int> turn{0};  // relaxed: orders nothing on purpose
  constexpr int kRounds = 200;
  auto worker = [&](int me) {
    for (int r = 0; r < kRounds; ++r) {
      while (turn.load(std::memory_order_relaxed) % 2 != me) std::this_thread::yield();
      pgno_t n = 0;
      void* pg = nullptr;
      ASSERT_FALSE(f->get(&n, get_flags::dirty, &pg));  // the latch-free hit
      auto* v = static_cast<unsigned*>(pg);
      EXPECT_EQ(*v, static_cast<unsigned>(turn.load(std::memory_order_relaxed)));
      *v += 1;  // plain write under the pin
      ASSERT_FALSE(f->put(pg));
      turn.fetch_add(1, std::memory_order_relaxed);
    }
  };
  std::thread a(worker, 0), b(worker, 1);
  a.join();
  b.join();
  ASSERT_FALSE(f->close());
  ASSERT_FALSE(p->close());
}

TEST(PinPutHb, APinHandedToAnotherThreadIsPutThereExactly) {
  auto p = make();
  ASSERT_TRUE(p);
  auto f = p->file_create();
  ASSERT_FALSE(f->open(std::nullopt, open_flags::none, 0, kPage));
  void* pg = nullptr;
  pgno_t n = 0;
  ASSERT_FALSE(f->get(&n, get_flags::create, &pg));
  static_cast<unsigned*>(pg)[0] = 41;
  std::atomic<void*> handed{nullptr};
  std::thread t([&] {
    void* q;
    while ((q = handed.load(std::memory_order_acquire)) == nullptr) std::this_thread::yield();
    EXPECT_EQ(static_cast<unsigned*>(q)[0], 42u);
    EXPECT_FALSE(f->put(q, priority::unchanged, put_flags::dirty)) << "a handed-over pin";
    EXPECT_EQ(f->put(q), std::error_code(EINVAL, std::generic_category())) << "put twice";
  });
  static_cast<unsigned*>(pg)[0] = 42;
  handed.store(pg, std::memory_order_release);
  t.join();
  EXPECT_EQ(f->put(pg), std::error_code(EINVAL, std::generic_category()))
      << "the owner's put of a pin another thread already put";
  EXPECT_FALSE(f->close()) << "no pin left: close succeeds";
  ASSERT_FALSE(p->close());
}

}  // namespace
}  // namespace pagepool
