// tests/api/pin_handover_test.cpp: raw pins across threads (file.hpp, "Pins"): a pin taken in one
// thread and handed to another is put there; a second put of it, from either
// thread, is EINVAL and changes nothing; close sees pins held in any thread.
#include <gtest/gtest.h>

#include <thread>

#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

const std::error_code einval(EINVAL, std::generic_category());
constexpr std::size_t kPs = 1024;

TEST(PinHandover, APinTakenInOneThreadIsPutInAnother) {
  auto p = make_pool(16, kPs);
  ASSERT_TRUE(p);
  auto f = open_file(*p, std::nullopt, open_flags::none, kPs);
  ASSERT_TRUE(f);
  pgno_t n = 0;
  void* a = nullptr;
  void* b = nullptr;
  std::thread t([&] {
    pgno_t m = 0;
    ASSERT_OK(f->get(&m, get_flags::create, &a));  // two pins of page 0
    ASSERT_OK(f->get(&m, get_flags::none, &b));
  });
  t.join();
  ASSERT_EQ(a, b);
  EXPECT_EQ(f->close(), std::error_code(EBUSY, std::generic_category())) << "pins held in another thread";
  ASSERT_OK(f->set(a, put_flags::dirty)) << "set of a pin another thread took";
  ASSERT_OK(f->put(a));
  ASSERT_OK(f->put(b));
  EXPECT_EQ(f->put(a), einval) << "a third put of two pins";
  EXPECT_EQ(f->set(a, put_flags::dirty), einval) << "set with no pin left";
  ASSERT_OK(f->get(&n, get_flags::none, &a));
  ASSERT_OK(f->put(a));
  ASSERT_OK(f->close());
  ASSERT_OK(p->close());
}

TEST(PinHandover, AnotherHandlesPinIsNotThisHandles) {
  auto p = make_pool(16, kPs);
  ASSERT_TRUE(p);
  auto f = open_file(*p, std::nullopt, open_flags::none, kPs);
  auto g = p->file_create();
  ASSERT_OK(g->open(std::nullopt, open_flags::none, 0, kPs));
  pgno_t n = 0;
  void* a = nullptr;
  ASSERT_OK(f->get(&n, get_flags::create, &a));
  EXPECT_EQ(g->put(a), einval) << "a page of another handle";
  std::thread t([&] { EXPECT_EQ(g->put(a), einval) << "...from another thread too"; });
  t.join();
  ASSERT_OK(f->put(a));
  ASSERT_OK(f->close());
  ASSERT_OK(g->close());
  ASSERT_OK(p->close());
}

}  // namespace
}  // namespace pagepool::apitest
