// tests/compat/cxx/cxx_util.hpp: helpers for the C++ conformance suite of
// pagepool::bdb (db_cxx.h): an environment per test in a temporary directory,
// page patterns, disk checks that bypass the pool (::pread), and the check
// that one failing call throws in one error mode and returns in the other.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <db_cxx.h>

#include "support/temp_dir.hpp"

#ifndef DB_PAGEPOOL
#error "db_cxx.h resolved to a header other than pagepool's"
#endif

namespace cxxtest {

using pagepool::test::temp_dir;

inline constexpr u_int32_t kPage = 4096;
inline constexpr u_int32_t kOpenFlags = DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE | DB_THREAD;

/// A page pattern: every byte depends on seed and position; never all zero.
inline void fill(void* page, std::size_t n, std::uint32_t seed) {
  auto* p = static_cast<unsigned char*>(page);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<unsigned char>((seed * 131u + i * 7u + 1u) % 251u + 1u);
}
inline bool matches(const void* page, std::size_t n, std::uint32_t seed) {
  const auto* p = static_cast<const unsigned char*>(page);
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] != static_cast<unsigned char>((seed * 131u + i * 7u + 1u) % 251u + 1u)) return false;
  return true;
}
inline bool all_zero(const void* page, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(page);
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] != 0) return false;
  return true;
}

/// Page pgno of the file as it is on disk (empty if it cannot be read whole).
inline std::vector<unsigned char> disk_page(const std::string& path, db_pgno_t pgno,
                                            std::size_t pagesize = kPage) {
  std::vector<unsigned char> buf(pagesize);
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return {};
  ssize_t n = ::pread(fd, buf.data(), pagesize, static_cast<off_t>(pgno) * static_cast<off_t>(pagesize));
  ::close(fd);
  if (n != static_cast<ssize_t>(pagesize)) return {};
  return buf;
}

/// Writes a file of npages pages, page i filled with pattern seed_base + i,
/// plus `extra` trailing bytes.
inline void make_file(const std::string& path, db_pgno_t npages, std::uint32_t seed_base = 1000,
                      std::size_t pagesize = kPage, std::size_t extra = 0) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  std::vector<unsigned char> buf(pagesize);
  for (db_pgno_t i = 0; i < npages; ++i) {
    fill(buf.data(), pagesize, seed_base + i);
    ASSERT_EQ(static_cast<ssize_t>(pagesize),
              ::pwrite(fd, buf.data(), pagesize, static_cast<off_t>(i) * static_cast<off_t>(pagesize)));
  }
  if (extra != 0) {
    std::vector<unsigned char> tail(extra, 0x5a);
    ASSERT_EQ(static_cast<ssize_t>(extra),
              ::pwrite(fd, tail.data(), extra, static_cast<off_t>(npages) * static_cast<off_t>(pagesize)));
  }
  ::close(fd);
}

inline off_t file_size(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

/// A test with an environment in a temporary directory. Files made by mfile()
/// are closed by the test or, failing that, by the environment's close.
class CxxTest : public ::testing::Test {
 protected:
  /// Constructs the DbEnv (ctor_flags: 0 or DB_CXX_NO_EXCEPTIONS), sets the
  /// cache size (and cache_max if non-zero), opens it with kOpenFlags.
  void open_env(u_int32_t cache_bytes = 1u << 20, u_int32_t ctor_flags = 0, u_int32_t cache_max = 0) {
    env = std::make_unique<DbEnv>(ctor_flags);
    ASSERT_EQ(0, env->set_cachesize(0, cache_bytes, 1));
    if (cache_max != 0) {
      ASSERT_EQ(0, env->set_cache_max(0, cache_max));
    }
    ASSERT_EQ(0, env->open(dir.path().c_str(), kOpenFlags, 0));
  }

  std::string path(const std::string& name) const { return dir.file(name); }

  /// memp_fcreate then open(path(name) or NULL when name is empty). Returns
  /// NULL (after a test failure) if either fails.
  DbMpoolFile* mfile(const std::string& name, u_int32_t flags = DB_CREATE,
                     std::size_t pagesize = kPage) {
    DbMpoolFile* m = nullptr;
    int ret = env->memp_fcreate(&m, 0);
    EXPECT_EQ(0, ret);
    if (ret != 0 || m == nullptr) return nullptr;
    std::string p = name.empty() ? std::string() : path(name);
    ret = m->open(name.empty() ? nullptr : p.c_str(), flags, 0, pagesize);
    EXPECT_EQ(0, ret) << db_strerror(ret);
    if (ret != 0) {
      (void)m->close(0);
      return nullptr;
    }
    return m;
  }

  /// A page got with `flags`; fails the test (and returns NULL) on error.
  void* page(DbMpoolFile* m, db_pgno_t* pgno, u_int32_t flags = 0) {
    void* p = nullptr;
    int ret = m->get(pgno, nullptr, flags, &p);
    EXPECT_EQ(0, ret) << db_strerror(ret);
    return ret == 0 ? p : nullptr;
  }

  /// Writes pages 0..n-1 through NEW with pattern seed_base + pgno, put DIRTY.
  void write_pages(DbMpoolFile* m, db_pgno_t n, std::uint32_t seed_base) {
    for (db_pgno_t i = 0; i < n; ++i) {
      db_pgno_t pgno = 0;
      void* p = page(m, &pgno, DB_MPOOL_NEW);
      ASSERT_NE(nullptr, p);
      ASSERT_EQ(i, pgno);
      fill(p, kPage, seed_base + pgno);
      ASSERT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, DB_MPOOL_DIRTY));
    }
  }

  /// Every page 0..n-1 holds pattern seed_base + pgno (read through the pool).
  void expect_pages(DbMpoolFile* m, db_pgno_t n, std::uint32_t seed_base) {
    for (db_pgno_t i = 0; i < n; ++i) {
      db_pgno_t pgno = i;
      void* p = page(m, &pgno, 0);
      ASSERT_NE(nullptr, p) << "page " << i;
      EXPECT_TRUE(matches(p, kPage, seed_base + i)) << "page " << i;
      ASSERT_EQ(0, m->put(p, DB_PRIORITY_UNCHANGED, 0));
    }
  }

  temp_dir dir;
  std::unique_ptr<DbEnv> env;
};

/// The same failing call in both error modes: `throws` says which. Thrown:
/// a DbException with get_errno() == err, get_env() == env and a what() that
/// names `method` and the error's text. Returned: err, nothing thrown.
template <class Call>
void expect_error(bool throws, int err, const DbEnv* env, const char* method, Call&& call) {
  if (throws) {
    try {
      int r = call();
      ADD_FAILURE() << method << ": expected a DbException(" << err << "), got a return of " << r;
    } catch (const DbException& e) {
      EXPECT_EQ(err, e.get_errno()) << e.what();
      EXPECT_EQ(env, e.get_env());
      EXPECT_NE(nullptr, std::strstr(e.what(), method)) << e.what();
      EXPECT_NE(nullptr, std::strstr(e.what(), db_strerror(err))) << e.what();
    }
  } else {
    int r = -1;
    EXPECT_NO_THROW(r = call()) << method;
    EXPECT_EQ(err, r) << method << ": " << db_strerror(r);
  }
}

/// Parameter: true = DbEnv(0) (exceptions), false = DbEnv(DB_CXX_NO_EXCEPTIONS).
class PolicyTest : public CxxTest, public ::testing::WithParamInterface<bool> {
 protected:
  bool throws() const { return GetParam(); }
  u_int32_t ctor_flags() const { return throws() ? 0u : static_cast<u_int32_t>(DB_CXX_NO_EXCEPTIONS); }
};

inline std::string policy_name(const ::testing::TestParamInfo<bool>& info) {
  return info.param ? "Throw" : "NoExceptions";
}

}  // namespace cxxtest
