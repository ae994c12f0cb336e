// mpool_2x.cpp: a C++ program written against Berkeley DB 2.x's memory-pool
// pages (seed 001, DbMpoolFile(3), and DbMpool(3)), built with nothing but
// pagepool-bdb's <db_cxx.h>. .ci/test builds it against the installed
// package with -Wall -Wextra -Werror; tests/compat/cxx runs it in ctest.
//
// It writes npages pages through DB_MPOOL_NEW and put(DB_MPOOL_DIRTY), syncs,
// closes the pool, opens a new one read-only and reads random pages back,
// checking that each holds its own page number and the pattern written.
// Errors are exceptions (2.x's default error model). Exits non-zero on any
// mismatch.
#include <db_cxx.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace {

const char* const kFile = "mpool_2x.db";
const size_t kPageSize = 1024;
const db_pgno_t kPages = 64;

unsigned char pattern(db_pgno_t pgno, size_t i) {
  return static_cast<unsigned char>((pgno * 31u + i) % 253u + 1u);
}
unsigned char rewritten(db_pgno_t pgno, size_t i) {
  return static_cast<unsigned char>((pgno * 17u + i * 3u) % 251u + 2u);
}

int write_pages(DbEnv& env) {
  DbMpool* mp = nullptr;
  DbMpool::open(nullptr, DB_CREATE, 0, &env, &mp);
  DbMpoolFile* mpf = nullptr;
  DbMpoolFile::open(mp, const_cast<char*>(kFile), 0, DB_CREATE, 0644, kPageSize, -1, nullptr,
                    nullptr, &mpf);
  for (db_pgno_t n = 0; n < kPages; ++n) {
    db_pgno_t pgno = 0;
    void* page = nullptr;
    mpf->get(&pgno, DB_MPOOL_NEW, &page);
    if (pgno != n) {
      std::fprintf(stderr, "DB_MPOOL_NEW gave page %lu, expected %lu\n",
                   static_cast<unsigned long>(pgno), static_cast<unsigned long>(n));
      return 1;
    }
    auto* bytes = static_cast<unsigned char*>(page);
    for (size_t i = 0; i < kPageSize; ++i) bytes[i] = pattern(pgno, i);
    std::memcpy(page, &pgno, sizeof pgno);
    mpf->put(page, DB_MPOOL_DIRTY);
  }
  if (mpf->sync() == DB_INCOMPLETE) {
    std::fprintf(stderr, "sync: DB_INCOMPLETE with no page pinned\n");
    return 1;
  }
  // Then every page again, now existing and clean: got with no flag,
  // rewritten, put with DB_MPOOL_DIRTY, which alone makes sync write it.
  for (db_pgno_t n = 0; n < kPages; ++n) {
    db_pgno_t pgno = n;
    void* page = nullptr;
    mpf->get(&pgno, 0, &page);
    auto* bytes = static_cast<unsigned char*>(page);
    for (size_t i = sizeof pgno; i < kPageSize; ++i) bytes[i] = rewritten(pgno, i);
    mpf->put(page, DB_MPOOL_DIRTY);
  }
  mpf->sync();
  mpf->close();
  mp->close();
  return 0;
}

int read_pages(DbEnv& env) {
  DbMpool* mp = nullptr;
  DbMpool::open(nullptr, 0, 0, &env, &mp);
  DbMpoolFile* mpf = nullptr;
  DbMpoolFile::open(mp, const_cast<char*>(kFile), 0, DB_RDONLY, 0, kPageSize, -1, nullptr,
                    nullptr, &mpf);
  std::srand(7);
  for (int hit = 0; hit < 1000; ++hit) {
    db_pgno_t pgno = static_cast<db_pgno_t>(std::rand()) % kPages;
    const db_pgno_t want = pgno;
    void* page = nullptr;
    mpf->get(&pgno, 0, &page);
    db_pgno_t stored = 0;
    std::memcpy(&stored, page, sizeof stored);
    const auto* bytes = static_cast<const unsigned char*>(page);
    bool ok = stored == want;
    for (size_t i = sizeof stored; ok && i < kPageSize; ++i) ok = bytes[i] == rewritten(want, i);
    mpf->put(page, 0);
    if (!ok) {
      std::fprintf(stderr, "page %lu does not hold what was written\n",
                   static_cast<unsigned long>(want));
      return 1;
    }
  }
  DB_MPOOL_STAT* gsp = nullptr;
  mp->stat(&gsp, nullptr, nullptr);
  // A read-only file small enough is mapped (DB_ENV->set_mp_mmapsize): its
  // gets count in st_map rather than as hits or misses.
  std::printf("mpool_2x: %lu hits, %lu misses, %lu mapped\n",
              static_cast<unsigned long>(gsp->st_cache_hit),
              static_cast<unsigned long>(gsp->st_cache_miss),
              static_cast<unsigned long>(gsp->st_map));
  std::free(gsp);
  mpf->close();
  mp->close();
  return 0;
}

}  // namespace

int main() {
  std::remove(kFile);
  try {
    DbEnv env(0);  // settings only: DbMpool::open makes the pool
    env.set_error_stream(&std::cerr);
    env.set_errpfx("mpool_2x");
    env.set_cachesize(0, 20 * 4096, 1);  // fewer frames than pages
    if (write_pages(env) != 0 || read_pages(env) != 0) return 1;
    // A missing file without DB_CREATE is an error, thrown.
    DbMpool* mp = nullptr;
    DbMpool::open(nullptr, 0, 0, &env, &mp);
    DbMpoolFile* mpf = nullptr;
    try {
      DbMpoolFile::open(mp, const_cast<char*>("no-such-file"), 0, 0, 0, kPageSize, -1, nullptr,
                        nullptr, &mpf);
      std::fprintf(stderr, "opening a missing file did not throw\n");
      return 1;
    } catch (const DbException& e) {
      if (e.get_errno() != ENOENT) {
        std::fprintf(stderr, "missing file: %s\n", e.what());
        return 1;
      }
    }
    mp->close();
  } catch (const DbException& e) {
    std::fprintf(stderr, "mpool_2x: %s\n", e.what());
    return 1;
  }
  std::remove(kFile);
  return 0;
}
