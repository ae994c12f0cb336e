// tests/api/fault_fixture.hpp: the fixture the I/O fault and durability tests
// share: an in-memory file system under the fault backend
// (tests/support/fault_io.hpp), pools that do all their I/O through it, and a
// check after every test that no descriptor leaked.
#pragma once

#include <memory>

#include "api_util.hpp"
#include "pagepool/io.hpp"
#include "support/fault_io.hpp"

namespace pagepool::apitest {

struct fault_fixture : ::testing::Test {
  std::shared_ptr<io_backend> mem = make_memory_io();
  std::shared_ptr<test::fault_io> fio = std::make_shared<test::fault_io>(mem);

  /// A pool of `frames` frames of `frame_size` bytes (1 KiB: the page size
  /// of most tests that use it) doing its I/O through `fio`.
  std::unique_ptr<pool> make(std::size_t frames, std::size_t frame_size = 1024) {
    pool_options o;
    o.cache_frames = frames;
    o.frame_size = frame_size;
    o.io = fio;
    return make_pool(o);
  }
  void TearDown() override { EXPECT_EQ(fio->open_fds(), 0u) << "a descriptor leaked"; }
};

}  // namespace pagepool::apitest
