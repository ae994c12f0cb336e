// tests/api/open_test.cpp: file::open flags, mode, page size and file length rules.
#include <sys/stat.h>

#include "api_util.hpp"

namespace pagepool::apitest {
namespace {

// spec: 003 open DB_CREATE: create any underlying files, as necessary
TEST(Open, CreateCreatesMissingFile) {
  temp_dir d;
  const std::string path = d.file("new.db");
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = p->file_create();
  ASSERT_NE(f, nullptr);
  EXPECT_FALSE(f->is_open());
  ASSERT_OK(f->open(path, open_flags::create, 0, 1024));
  EXPECT_TRUE(f->is_open());
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(f->page_size(), 1024u);
  EXPECT_EQ(f->flags(), open_flags::create);
  EXPECT_OK(f->close());
}

// spec: 003 open: if the files do not already exist and DB_CREATE is not specified, the call will fail (ENOENT, ref §1.3)
TEST(Open, MissingFileWithoutCreateIsEnoent) {
  temp_dir d;
  const std::string path = d.file("missing.db");
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = p->file_create();
  EXPECT_ERR(f->open(path, open_flags::none, 0, 1024), std::errc::no_such_file_or_directory);
  EXPECT_FALSE(f->is_open());
  EXPECT_FALSE(std::filesystem::exists(path));
  auto g = p->file_create();
  EXPECT_ERR(g->open(path, open_flags::rdonly, 0, 1024), std::errc::no_such_file_or_directory);
}

// spec: 003 open mode: files created are created with mode mode, modified by the umask
TEST(Open, CreateAppliesModeAndUmask) {
  temp_dir d;
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  {
    scoped_umask um(0);
    auto f = p->file_create();
    ASSERT_OK(f->open(d.file("m640"), open_flags::create, 0640, 512));
    auto g = p->file_create();
    ASSERT_OK(g->open(d.file("m604"), open_flags::create, 0604, 512));
    EXPECT_OK(f->close());
    EXPECT_OK(g->close());
  }
  {
    scoped_umask um(022);
    auto f = p->file_create();
    ASSERT_OK(f->open(d.file("m666"), open_flags::create, 0666, 512));
    EXPECT_OK(f->close());
  }
  struct stat st {};
  ASSERT_EQ(::stat(d.file("m640").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  ASSERT_EQ(::stat(d.file("m604").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0604u);
  ASSERT_EQ(::stat(d.file("m666").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

// spec: 003 open mode: if mode is 0, a default mode of readable and writable by both owner and group
TEST(Open, ModeZeroMeans0660) {
  temp_dir d;
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  {
    scoped_umask um(0);
    auto f = p->file_create();
    ASSERT_OK(f->open(d.file("m0"), open_flags::create, 0, 512));
    EXPECT_OK(f->close());
  }
  struct stat st {};
  ASSERT_EQ(::stat(d.file("m0").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

// spec: ref §1.3 open: EINVAL for a pagesize not a power of 2; file.hpp: 512 to 65536, whatever the
// pool's frame_size (pool.hpp, "Page sizes")
TEST(Open, BadPageSizeIsEinval) {
  temp_dir d;
  auto p = make_pool(4, 4096);
  ASSERT_NE(p, nullptr);
  for (std::size_t ps : {std::size_t{0}, std::size_t{1000}, std::size_t{3000}, std::size_t{256},
                         std::size_t{131072}, std::size_t{6144}}) {
    auto f = p->file_create();
    EXPECT_ERR(f->open(d.file("ps"), open_flags::create, 0, ps), std::errc::invalid_argument)
        << "page size " << ps;
    EXPECT_FALSE(f->is_open());
  }
  for (std::size_t ps : {std::size_t{512}, std::size_t{2048}, std::size_t{4096}, std::size_t{8192},
                         std::size_t{65536}}) {
    auto f = p->file_create();
    EXPECT_OK(f->open(d.file("ok" + std::to_string(ps)), open_flags::create, 0, ps));
    EXPECT_OK(f->close());
  }
}

// spec: 003 open: EINVAL if an invalid flag value was specified
TEST(Open, UnknownFlagBitsAreEinval) {
  temp_dir d;
  write_file(d.file("a"), 2, 1024);
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  for (std::uint32_t bits : {0x8000u, 0x100u, 0x2u, 0x20000u}) {
    auto f = p->file_create();
    EXPECT_ERR(f->open(d.file("a"), static_cast<open_flags>(bits), 0, 1024),
               std::errc::invalid_argument)
        << "flags " << std::hex << bits;
    EXPECT_FALSE(f->is_open());
  }
}

// spec: 003 open EINVAL: the length of the file is not zero or a multiple of the pagesize
TEST(Open, OddFileLengthIsEinval) {
  temp_dir d;
  const std::string path = d.file("odd");
  write_file(path, 2, 1024, 0, /*extra_bytes=*/100);
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = p->file_create();
  EXPECT_ERR(f->open(path, open_flags::none, 0, 1024), std::errc::invalid_argument);
  EXPECT_FALSE(f->is_open());
  auto g = p->file_create();
  EXPECT_ERR(g->open(path, open_flags::rdonly, 0, 1024), std::errc::invalid_argument);
  // The length is fine for a smaller page size only if it divides: 2148 is not a multiple of 512.
  auto h = p->file_create();
  EXPECT_ERR(h->open(path, open_flags::none, 0, 512), std::errc::invalid_argument);
}

// spec: 003 open DB_ODDFILESIZE: any partial page at the end of the file will be ignored and the open will proceed
TEST(Open, OddFileSizeIgnoresTrailingPartialPage) {
  temp_dir d;
  const std::string path = d.file("odd");
  write_file(path, 2, 1024, 4, /*extra_bytes=*/100);
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::oddfilesize, 1024);
  ASSERT_TRUE(f && f->is_open());
  EXPECT_EQ(last_pgno(*f), 1u);
  EXPECT_TRUE(page_reads(*f, 0, 4));
  EXPECT_TRUE(page_reads(*f, 1, 4));
  pgno_t n = 2;
  void* page = nullptr;
  EXPECT_ERR(f->get(&n, get_flags::none, &page), pagepool::errc::page_not_found);
  pgno_t last = 77;
  ASSERT_OK(f->get(&last, get_flags::last, &page));
  EXPECT_EQ(last, 1u);
  EXPECT_TRUE(page_has_pattern(page, 1024, 1, 4));
  EXPECT_OK(f->put(page));
  EXPECT_OK(f->close());
}

// spec: 003 open EINVAL: the DB_RDONLY flag was specified for an in-memory (temporary) file
TEST(Open, RdonlyTemporaryFileIsEinval) {
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = p->file_create();
  EXPECT_ERR(f->open(std::nullopt, open_flags::rdonly, 0, 1024), std::errc::invalid_argument);
  EXPECT_FALSE(f->is_open());
}

// spec: ref §1.3 open EINVAL: path is a directory
TEST(Open, DirectoryIsEinval) {
  temp_dir d;
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = p->file_create();
  EXPECT_ERR(f->open(d.path().string(), open_flags::none, 0, 1024), std::errc::invalid_argument);
  auto g = p->file_create();
  EXPECT_ERR(g->open(d.path().string(), open_flags::create, 0, 1024), std::errc::invalid_argument);
  auto h = p->file_create();
  EXPECT_ERR(h->open(d.path().string(), open_flags::rdonly, 0, 1024), std::errc::invalid_argument);
}

// spec: file.hpp open EINVAL: already open
TEST(Open, OpenTwiceOnOneHandleIsEinval) {
  temp_dir d;
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, d.file("a"), open_flags::create, 1024);
  ASSERT_TRUE(f && f->is_open());
  EXPECT_ERR(f->open(d.file("a"), open_flags::create, 0, 1024), std::errc::invalid_argument);
  EXPECT_ERR(f->open(d.file("b"), open_flags::create, 0, 1024), std::errc::invalid_argument);
  // The handle is still open on the first file and works.
  EXPECT_TRUE(f->is_open());
  EXPECT_EQ(f->page_size(), 1024u);
  write_page(*f, 0, 2);
  EXPECT_TRUE(page_reads(*f, 0, 2));
  EXPECT_OK(f->close());
}

// spec: 003 open DB_DIRECT: if set and supported by the system, turn off system buffering (data round-trips)
TEST(Open, DirectRoundTripsData) {
  temp_dir d;
  const std::string path = d.file("direct");
  auto p = make_pool(4, 4096);
  ASSERT_NE(p, nullptr);
  {
    auto f = open_file(*p, path, open_flags::create | open_flags::direct, 4096);
    ASSERT_TRUE(f && f->is_open());
    for (pgno_t i = 0; i < 6; ++i) write_page(*f, i, 5, get_flags::new_page);
    EXPECT_EQ(last_pgno(*f), 5u);
    EXPECT_OK(f->sync());
    for (pgno_t i = 0; i < 6; ++i) EXPECT_TRUE(disk_page_has_pattern(path, i, 4096, 5)) << i;
    // Reads after eviction come back from the file.
    for (pgno_t i = 0; i < 6; ++i) EXPECT_TRUE(page_reads(*f, i, 5)) << i;
    EXPECT_OK(f->close());
  }
  write_file(d.file("pre"), 3, 4096, 8);
  auto g = open_file(*p, d.file("pre"), open_flags::direct, 4096);
  ASSERT_TRUE(g && g->is_open());
  for (pgno_t i = 0; i < 3; ++i) EXPECT_TRUE(page_reads(*g, i, 8)) << i;
  EXPECT_OK(g->close());
}

// spec: 003 open: an existing file's pages are read through the pool (ref §1.5 last_pgno)
TEST(Open, ExistingFileReportsLastPgnoAndContents) {
  temp_dir d;
  const std::string path = d.file("existing");
  write_file(path, 5, 2048, 6);
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, path, open_flags::none, 2048);
  ASSERT_TRUE(f && f->is_open());
  EXPECT_EQ(last_pgno(*f), 4u);
  for (pgno_t i = 0; i < 5; ++i) EXPECT_TRUE(page_reads(*f, i, 6)) << i;
  EXPECT_OK(f->close());
}

// spec: ref §1.3 get_last_pgno: 0 for an empty file
TEST(Open, EmptyFileLastPgnoIsZero) {
  temp_dir d;
  auto p = make_pool(4);
  ASSERT_NE(p, nullptr);
  auto f = open_file(*p, d.file("e"), open_flags::create, 1024);
  ASSERT_TRUE(f && f->is_open());
  EXPECT_EQ(last_pgno(*f), 0u);
  EXPECT_EQ(file_size(d.file("e")), 0u);
  EXPECT_OK(f->close());
}

}  // namespace
}  // namespace pagepool::apitest
