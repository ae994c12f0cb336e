// stress/crash/power_io_test.cpp: the power-loss model (power_io.hpp) does
// what Linux promises and no more: data durable at the file's fsync, names at
// the directory's, everything else lost, kept or torn at a 512-byte boundary.
#include "power_io.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <cstring>

namespace pagepool::stress::power {
namespace {

std::vector<std::byte> bytes(std::size_t n, unsigned char v) {
  return std::vector<std::byte>(n, std::byte{v});
}

int create(power_io& io, const std::string& path) {
  return io.open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
}

TEST(PowerIo, AWriteNotFsyncedIsLostOrKeptAtTheCut) {
  power_io io;
  const int fd = create(io, "/d/a");
  ASSERT_GE(fd, 0);
  ASSERT_EQ(io.fsync_dir("/d"), 0);
  const auto b = bytes(512, 7);
  ASSERT_EQ(io.pwrite(fd, b.data(), b.size(), 0), 512);
  const image im = io.cut_now();
  ASSERT_EQ(im.pending.size(), 1u);
  EXPECT_EQ(im.choices(0), 2u) << "one sector: lost or kept, never torn";
  EXPECT_EQ(im.survivor({0}).files.begin()->second.size(), 0u);
  EXPECT_EQ(im.survivor({1}).files.begin()->second, b);
}

TEST(PowerIo, FsyncOfTheFileMakesItsDataDurableButNotItsName) {
  power_io io;
  const int fd = create(io, "/d/a");
  const auto b = bytes(1024, 1);
  ASSERT_EQ(io.pwrite(fd, b.data(), b.size(), 0), 1024);
  ASSERT_EQ(io.fsync(fd), 0);
  const image im = io.cut_now();
  ASSERT_EQ(im.pending.size(), 1u);
  EXPECT_EQ(im.pending[0].kind, volatile_op::link);
  EXPECT_TRUE(im.survivor({0}).names.empty()) << "the name was never made durable";
  const disk_state kept = im.survivor({1});
  ASSERT_EQ(kept.names.count("/d/a"), 1u);
  EXPECT_EQ(kept.files.at(kept.names.at("/d/a")), b);
}

TEST(PowerIo, FsyncOfTheDirectoryMakesTheNameDurableButNotTheData) {
  power_io io;
  const int fd = create(io, "/d/a");
  const auto b = bytes(512, 2);
  ASSERT_EQ(io.pwrite(fd, b.data(), b.size(), 0), 512);
  ASSERT_EQ(io.fsync_dir("/e"), 0);  // another directory: nothing
  EXPECT_EQ(io.cut_now().pending.size(), 2u);
  io.cut_at(1000);  // a new count; the image is dropped
  ASSERT_EQ(io.fsync_dir("/d"), 0);
  const image im = io.cut_now();
  ASSERT_EQ(im.pending.size(), 1u);
  EXPECT_EQ(im.pending[0].kind, volatile_op::write);
  const disk_state lost = im.survivor({0});
  ASSERT_EQ(lost.names.count("/d/a"), 1u);
  EXPECT_TRUE(lost.files.at(lost.names.at("/d/a")).empty());
}

TEST(PowerIo, AWriteOverOneSectorMayBeTornAtEach512ByteBoundary) {
  power_io io;
  const int fd = create(io, "/d/a");
  ASSERT_EQ(io.fsync_dir("/d"), 0);
  const auto old = bytes(1536, 1), now = bytes(1536, 2);
  ASSERT_EQ(io.pwrite(fd, old.data(), old.size(), 0), 1536);
  ASSERT_EQ(io.fsync(fd), 0);
  ASSERT_EQ(io.pwrite(fd, now.data(), now.size(), 0), 1536);
  const image im = io.cut_now();
  ASSERT_EQ(im.pending.size(), 1u);
  ASSERT_EQ(im.choices(0), 6u) << "lost, kept, and two sides of two boundaries";
  auto sectors = [&](unsigned c) {
    const file_bytes f = im.survivor({c}).files.begin()->second;
    std::string s;
    for (std::size_t i = 0; i < f.size(); i += sector) s += std::to_string(int(f[i]));
    return s;
  };
  EXPECT_EQ(sectors(0), "111");
  EXPECT_EQ(sectors(1), "222");
  EXPECT_EQ(sectors(2), "211");  // the sectors before boundary 512
  EXPECT_EQ(sectors(3), "122");  // those after it
  EXPECT_EQ(sectors(4), "221");
  EXPECT_EQ(sectors(5), "112");
}

TEST(PowerIo, TheCutFallsBeforeTheNthMutatingCall) {
  power_io io;
  io.cut_at(2);
  const int fd = create(io, "/d/a");  // call 1
  EXPECT_FALSE(io.cut());
  const auto b = bytes(512, 3);
  char buf[8];
  EXPECT_EQ(io.pread(fd, buf, sizeof buf, 0), 0) << "reads are not counted";
  ASSERT_EQ(io.pwrite(fd, b.data(), b.size(), 0), 512);  // call 2: the cut comes first
  EXPECT_TRUE(io.cut());
  const auto im = io.taken();
  ASSERT_TRUE(im);
  ASSERT_EQ(im->pending.size(), 1u);
  EXPECT_EQ(im->pending[0].kind, volatile_op::link);
  EXPECT_EQ(io.pread(fd, buf, sizeof buf, 0), 8) << "the dying system still serves reads";
}

TEST(PowerIo, AnUnlinkIsPendingUntilTheDirectoryIsFsynced) {
  power_io io;
  const int fd = create(io, "/d/a");
  ASSERT_EQ(io.fsync_dir("/d"), 0);
  ASSERT_EQ(io.close(fd), 0);
  ASSERT_EQ(io.unlink("/d/a"), 0);
  EXPECT_FALSE(io.size_of("/d/a"));
  const image im = io.cut_now();
  ASSERT_EQ(im.pending.size(), 1u);
  EXPECT_EQ(im.survivor({0}).names.count("/d/a"), 1u) << "the removal was lost";
  EXPECT_EQ(im.survivor({1}).names.count("/d/a"), 0u);
}

TEST(PowerIo, ADurableStateSurvivesEveryChoice) {
  power_io io;
  const int fd = create(io, "/d/a");
  const auto b = bytes(2048, 9);
  ASSERT_EQ(io.pwrite(fd, b.data(), b.size(), 0), 2048);
  ASSERT_EQ(io.fsync(fd), 0);
  ASSERT_EQ(io.fsync_dir("/d"), 0);
  const image im = io.cut_now();
  EXPECT_TRUE(im.pending.empty());
  EXPECT_EQ(im.survivor_count(100), 1u);
  const disk_state d = im.survivor({});
  EXPECT_EQ(d.files.at(d.names.at("/d/a")), b);
}

}  // namespace
}  // namespace pagepool::stress::power
