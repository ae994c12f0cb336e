// Unit tests of src/core/file_table.{hpp,cpp} (issue 14, part 6): a table in
// chunk files, and a second table attached to it as another process's
// would be (here both in one process, on the same files and pool-wide
// state): the attached table finds every file by the shared index, maps
// the chunks the maker made as it meets their slots, makes chunks the
// maker then maps, frees and refills slots both see, rebuilds its side of
// a slot filled again elsewhere from the generation, and leaves the chunk
// files to the maker.
#include "core/file_table.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "support/temp_dir.hpp"

namespace pagepool::internal {
namespace {

file_id id_of(std::uint32_t i) {
  file_id id{};
  std::memcpy(id.data(), &i, sizeof i);
  id[8] = 0x5a;
  return id;
}

// What pool_impl::open_file's fill does to a fresh slot, for the table's
// part: the key, the name, a new generation, the index, in use.
std::uint32_t fill(file_table& t, std::uint32_t i, const std::string& name) {
  t.latch().lock();
  std::uint32_t s = no_slot;
  EXPECT_FALSE(t.take_slot_locked(s));
  file_shared& fs = t.shared(s);
  fs.id = id_of(i);
  fs.page_size = 4096;
  fs.set_name(name);
  fs.handles.store(1);
  fs.gen.fetch_add(1);
  t.index_locked(s);
  fs.used.store(1);
  t.latch().unlock();
  return s;
}

std::size_t chunk_files(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    n += e.path().filename().string().find(".files.") != std::string::npos ? 1 : 0;
  return n;
}

// spec: issue 14 (one state per file for every process): an attached table
// shares the maker's index, slots and chunks both ways
TEST(FileTable, AttachedTableSharesIndexSlotsAndChunks) {
  test::temp_dir d;
  const int dir = ::open(d.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dir, 0);
  auto st = std::make_unique<file_table_state>();
  file_table::backing b;
  b.spec.dir_fd = dir;
  b.spec.mode = 0600;
  b.tag = "t";
  b.state = st.get();
  auto maker = std::make_unique<file_table>();
  ASSERT_FALSE(maker->init(64, nullptr, &b));
  for (std::uint32_t i = 0; i < 150; ++i) fill(*maker, i, "/f" + std::to_string(i));  // chunks 0, 1
  EXPECT_EQ(st->chunks.load(), 2u);

  auto other = std::make_unique<file_table>();
  EXPECT_TRUE(other->init(128, nullptr, &b, /*attach=*/true));  // not the maker's base: EINVAL
  other = std::make_unique<file_table>();
  ASSERT_FALSE(other->init(maker->base(), nullptr, &b, /*attach=*/true));
  EXPECT_EQ(other->size(), 150u);
  other->latch().lock();
  for (std::uint32_t i = 0; i < 150; ++i) {
    const std::uint32_t s = other->find_locked(id_of(i));
    ASSERT_NE(s, no_slot) << i;
    EXPECT_STREQ(other->shared(s).name, ("/f" + std::to_string(i)).c_str());
  }
  other->latch().unlock();
  // The attached table grows the table: chunk 2 is its to make (slots 192..447).
  for (std::uint32_t i = 150; i < 300; ++i) fill(*other, i, "/f" + std::to_string(i));
  EXPECT_EQ(st->chunks.load(), 3u);
  EXPECT_EQ(maker->size(), 300u);
  // The maker meets those slots (a frame's file, the index): it maps chunk 2.
  maker->latch().lock();
  for (std::uint32_t i = 150; i < 300; ++i) {
    const std::uint32_t s = maker->find_locked(id_of(i));
    ASSERT_NE(s, no_slot) << i;
    EXPECT_STREQ(maker->shared(s).name, ("/f" + std::to_string(i)).c_str());
  }
  maker->latch().unlock();

  // The other side knows slot 7 as /f7; the maker frees it (its handle
  // gone) and fills it again with another file.
  maker->latch().lock();
  const std::uint32_t s7 = maker->find_locked(id_of(7));
  maker->latch().unlock();
  EXPECT_EQ(other->current_local(s7).path, "/f7");
  maker->shared(s7).handles.store(0);
  maker->latch().lock();
  maker->reap_locked(0);
  EXPECT_EQ(maker->find_locked(id_of(7)), no_slot);
  maker->latch().unlock();
  other->latch().lock();
  EXPECT_EQ(other->find_locked(id_of(7)), no_slot);  // gone from the shared index too
  other->latch().unlock();
  const std::uint32_t again = fill(*maker, 1000, "/g");
  EXPECT_EQ(again, s7);  // the freed slot, from the shared free chain
  EXPECT_EQ(other->current_local(s7).path, "/g");  // rebuilt from the new generation

  // The attached table goes first and leaves every chunk file (chunk 2
  // included, which it made); the maker removes them all.
  other.reset();
  EXPECT_EQ(chunk_files(d.path()), 3u);
  maker.reset();
  EXPECT_EQ(chunk_files(d.path()), 0u);
  ::close(dir);
}

}  // namespace
}  // namespace pagepool::internal
