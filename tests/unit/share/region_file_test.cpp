// Unit tests of src/share/region_file.hpp and a file-backed region
// (src/region/region.hpp): the file is the region's memory, made safely,
// committed before use (ENOSPC, never a fault), punched on retirement and
// committed again on a grow, and gone with the region.
#include "share/region_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>
#include <memory>
#include <string>

#include "region/region.hpp"
#include "support/small_tmpfs.hpp"
#include "support/temp_dir.hpp"

namespace pagepool::internal {
namespace {

using test::small_tmpfs;
using test::temp_dir;

struct dir_fd {
  explicit dir_fd(const std::string& p) : fd(::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}
  ~dir_fd() {
    if (fd >= 0) ::close(fd);
  }
  int fd;
};

std::set<std::string> names_in(const std::filesystem::path& p) {
  std::set<std::string> s;
  for (const auto& e : std::filesystem::directory_iterator(p)) s.insert(e.path().filename().string());
  return s;
}

// Bytes of the file system in use (statvfs), to see holes punched and filled.
std::uint64_t used_bytes(const std::string& dir) {
  struct statvfs v {};
  if (::statvfs(dir.c_str(), &v) != 0) return 0;
  return std::uint64_t{v.f_blocks - v.f_bfree} * v.f_frsize;
}

TEST(RegionFile, NamesCarryTheHomeAndSlotAndNothingElseParses) {
  const std::string n = region_file_name("1f2e.7.1234.2", 5);
  EXPECT_EQ(n, "__pagepool.1f2e.7.1234.2.region.5");
  std::uint64_t home = 0;
  std::uint32_t slot = 0;
  ASSERT_TRUE(parse_region_file_name(n.c_str(), home, slot));
  EXPECT_EQ(home, 0x1f2eu);
  EXPECT_EQ(slot, 7u);
  for (const char* other : {"__pagepool.registry", "__pagepool.1f2e.7.1234.2.region.5x",
                            "__pagepool.7.1234.2.region.5", "x__pagepool.1.7.1.2.region.5", "mpool"})
    EXPECT_FALSE(parse_region_file_name(other, home, slot)) << other;
}

TEST(RegionFile, TheRegionsMemoryIsTheFileAndGoesWithTheRegion) {
  temp_dir d;
  dir_fd dir(d.path().string());
  ASSERT_GE(dir.fd, 0);
  const region_file_spec spec{dir.fd, region_file_name("a.0.1.0", 0), 0640};
  const std::string path = d.file(spec.name);
  {
    region r(0, 8, 4096, 16, nullptr, &spec);
    ASSERT_TRUE(r.ok()) << std::strerror(r.error());
    ASSERT_TRUE(r.file_backed());
    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777 & ~0640u, 0u) << "more than the mode asked";
    // A page written through the region is in the file, at the pages'
    // offset: the memory is the file's, not a private copy.
    std::memset(r.page(3), 0xA5, 4096);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    const off_t pages_off = static_cast<off_t>(r.hdr().pages_off);
    unsigned char buf[4096];
    ASSERT_EQ(::pread(fd, buf, sizeof buf, pages_off + 3 * 4096), 4096);
    ::close(fd);
    for (unsigned char c : buf) ASSERT_EQ(c, 0xA5);
    // The header is in the file too.
    EXPECT_EQ(r.hdr().cap, 16u);
  }
  EXPECT_FALSE(std::filesystem::exists(path)) << "the region's file outlived it";
}

// spec: issue 14 (a joiner maps the creator's regions read-write): a
// region attached to another's file sees its frames, pages and free list,
// shares them both ways (its pages at another address, as another
// process's reservation would put them), changes nothing by attaching, and
// leaves the file to its maker; a file that is not the region the caller
// describes is EINVAL before anything is mapped
TEST(RegionFile, AnAttachedRegionSharesTheMakersFramesPagesAndFreeList) {
  temp_dir d;
  dir_fd dir(d.path().string());
  ASSERT_GE(dir.fd, 0);
  const region_file_spec spec{dir.fd, region_file_name("a.0.1.0", 0), 0600};
  const std::string path = d.file(spec.name);
  auto a = std::make_unique<region>(0, 8, 4096, 16, nullptr, &spec);
  ASSERT_TRUE(a->ok()) << std::strerror(a->error());
  const std::uint32_t f = a->pop_free();
  ASSERT_EQ(f, 0u);
  std::memset(a->page(f), 0x3C, 4096);
  a->frame_at(f).pgno.store(77);
  // Pages in a reservation of its own, as another process's pool would map them.
  void* res = ::mmap(nullptr, 16 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(res, MAP_FAILED);
  {
    region b(region::attach, spec, 0, 4096, 16, static_cast<std::byte*>(res));
    ASSERT_TRUE(b.ok()) << std::strerror(b.error());
    EXPECT_EQ(b.nframes(), 8u);
    EXPECT_EQ(b.nbuckets(), a->nbuckets());
    EXPECT_EQ(b.frame_at(f).pgno.load(), 77u);
    for (int i = 0; i < 4096; ++i) ASSERT_EQ(static_cast<unsigned char>(b.page(f)[i]), 0x3C);
    EXPECT_NE(static_cast<void*>(b.page(f)), static_cast<void*>(a->page(f)));
    // One free list: the next frame goes to whichever side asks.
    const std::uint32_t g = b.pop_free();
    EXPECT_EQ(g, 1u);
    EXPECT_EQ(a->pop_free(), 2u);
    std::memset(b.page(g), 0x5D, 4096);
    EXPECT_EQ(static_cast<unsigned char>(a->page(g)[4095]), 0x5D);
    b.push_free(g);
    EXPECT_EQ(a->pop_free(), g);
    // Geometry the file does not have: EINVAL, nothing mapped.
    for (const auto& [index, fs, cap] : {std::tuple{1u, 4096u, 16u}, std::tuple{0u, 8192u, 16u},
                                          std::tuple{0u, 4096u, 32u}}) {
      region c(region::attach, spec, index, fs, cap, nullptr);
      EXPECT_FALSE(c.ok());
      EXPECT_EQ(c.error(), EINVAL) << index << " " << fs << " " << cap;
    }
    const region_file_spec none{dir.fd, region_file_name("a.0.1.0", 1), 0};
    region n(region::attach, none, 1, 4096, 16, nullptr);
    EXPECT_EQ(n.error(), ENOENT);
  }
  ::munmap(res, 16 * 4096);
  EXPECT_TRUE(std::filesystem::exists(path)) << "the attached region removed its maker's file";
  // A file cut short is not the region any more.
  ASSERT_EQ(::truncate(path.c_str(), 8192), 0);
  {
    region c(region::attach, spec, 0, 4096, 16, nullptr);
    EXPECT_EQ(c.error(), EINVAL);
  }
  a.reset();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(RegionFile, ASymbolicLinkAtTheNameIsReplacedNeverFollowed) {
  temp_dir d;
  dir_fd dir(d.path().string());
  const std::string target = d.file("victim");
  { std::ofstream(target) << "keep me"; }
  const region_file_spec spec{dir.fd, region_file_name("a.0.1.0", 0), 0};
  std::filesystem::create_symlink(target, d.file(spec.name));
  region r(0, 4, 4096, 4, nullptr, &spec);
  ASSERT_TRUE(r.ok()) << std::strerror(r.error());
  std::memset(r.page(0), 'x', 4096);
  std::ifstream in(target);
  std::string s;
  std::getline(in, s);
  EXPECT_EQ(s, "keep me") << "the region wrote through a planted link";
  EXPECT_EQ(std::filesystem::file_size(target), 7u);
}

TEST(RegionFile, RemoveTakesOnlyTheHomesSlotsRegionFiles) {
  temp_dir d;
  dir_fd dir(d.path().string());
  for (const char* n : {"__pagepool.a.3.10.0.region.0", "__pagepool.a.3.10.0.region.1",
                        "__pagepool.b.3.12.0.region.0", "__pagepool.a.4.11.0.region.0",
                        "__pagepool.registry", "data"})
    std::ofstream(d.file(n)) << "x";
  remove_region_files(dir.fd, 0xa, 3);
  EXPECT_EQ(names_in(d.path()),
            (std::set<std::string>{"__pagepool.b.3.12.0.region.0", "__pagepool.a.4.11.0.region.0",
                                   "__pagepool.registry", "data"}))
      << "another home's file of the same slot, or another slot's, was taken";
  remove_region_files(dir.fd, 0, every_slot);
  EXPECT_EQ(names_in(d.path()), (std::set<std::string>{"__pagepool.registry", "data"}));
}

// A directory without room: the region is not made (ENOSPC) and leaves
// nothing; a grow past the room is ENOSPC and changes nothing; a shrink
// gives the memory back and a grow takes it again. Never a SIGBUS: every
// page touched here was committed first.
TEST(RegionFile, ADirectoryWithoutRoomIsENOSPCNeverAFault) {
  small_tmpfs fs("256k");
  if (!fs.mounted()) GTEST_SKIP() << "SKIPPED LOUDLY: " << fs.why_not();
  dir_fd dir(fs.path());
  ASSERT_GE(dir.fd, 0);
  const region_file_spec spec{dir.fd, region_file_name("a.0.1.0", 0), 0};
  {
    region big(0, 128, 4096, 128, nullptr, &spec);  // 512 KiB of pages
    EXPECT_FALSE(big.ok());
    EXPECT_EQ(big.error(), ENOSPC);
  }
  EXPECT_TRUE(names_in(fs.path()).empty()) << "a region that failed left its file";
  region r(0, 16, 4096, 128, nullptr, &spec);
  ASSERT_TRUE(r.ok()) << std::strerror(r.error());
  auto touch_all = [&] {
    for (std::uint32_t i = 0; i < r.nframes(); ++i) std::memset(r.page(i), static_cast<int>(i), 4096);
  };
  touch_all();
  ASSERT_FALSE(r.grow(32));
  touch_all();
  EXPECT_EQ(r.grow(128), std::make_error_code(std::errc::no_space_on_device));
  EXPECT_EQ(r.nframes(), 32u) << "a failed grow changed the region";
  touch_all();
  // Shrink: the free frames past the limit retire and their holes are
  // punched (the file system's use falls by about their size).
  const std::uint64_t before = used_bytes(fs.path());
  r.shrink(8);
  const std::uint64_t after = used_bytes(fs.path());
  EXPECT_GE(before - after, 24u * 4096) << "retired frames kept their memory";
  // And the room is there again for a grow, which commits it first.
  ASSERT_FALSE(r.grow(48));
  EXPECT_EQ(r.nframes(), 48u);
  touch_all();
  std::set<std::uint32_t> popped;
  for (std::uint32_t f; (f = r.pop_free()) != no_frame;) popped.insert(f);
  EXPECT_EQ(popped.size(), 48u);
}

}  // namespace
}  // namespace pagepool::internal
