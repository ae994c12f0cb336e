// bdb_consumer.cpp: a C++ program written for Berkeley DB's <db_cxx.h>, built
// against the installed pagepool-bdb package by .ci/test. It creates a file
// of pages through DB_MPOOL_NEW, syncs, reads them back through a second
// environment, checks an exception is thrown for a missing file, and exits
// non-zero on any mismatch.
#include <db_cxx.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main() {
  const char* path = "bdb_consumer.db";
  std::remove(path);
  try {
    {
      DbEnv env(0);
      env.set_cachesize(0, 64 * 1024, 1);
      env.open(nullptr, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE | DB_THREAD, 0);
      DbMpoolFile* mpf = nullptr;
      env.memp_fcreate(&mpf, 0);
      mpf->open(path, DB_CREATE, 0, 4096);
      for (db_pgno_t i = 0; i < 64; ++i) {  // 64 pages through a 16-page cache
        db_pgno_t pg = 0;
        void* p = nullptr;
        mpf->get(&pg, nullptr, DB_MPOOL_NEW, &p);
        if (pg != i) return std::fprintf(stderr, "NEW gave page %u, expected %u\n", pg, i), 1;
        std::memcpy(p, &pg, sizeof pg);
        mpf->put(p, DB_PRIORITY_UNCHANGED, DB_MPOOL_DIRTY);
      }
      env.memp_sync(nullptr);
      mpf->close(0);
      env.close(0);
    }
    DbEnv env(0);
    env.open(nullptr, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0);
    DbMpoolFile* mpf = nullptr;
    env.memp_fcreate(&mpf, 0);
    mpf->open(path, 0, 0, 4096);
    for (db_pgno_t i = 0; i < 64; ++i) {
      db_pgno_t pg = i;
      void* p = nullptr;
      mpf->get(&pg, nullptr, 0, &p);
      db_pgno_t got;
      std::memcpy(&got, p, sizeof got);
      mpf->put(p, DB_PRIORITY_UNCHANGED, 0);
      if (got != i) return std::fprintf(stderr, "page %u holds %u\n", i, got), 1;
    }
    mpf->close(0);
    DbMpoolFile* missing = nullptr;
    env.memp_fcreate(&missing, 0);
    bool thrown = false;
    try {
      missing->open("no-such-file.db", 0, 0, 4096);
    } catch (const DbException& e) {
      thrown = e.get_errno() == ENOENT;
    }
    missing->close(0);
    env.close(0);
    std::remove(path);
    if (!thrown) return std::fprintf(stderr, "open of a missing file did not throw ENOENT\n"), 1;
  } catch (const DbException& e) {
    std::fprintf(stderr, "DbException: %s (%d)\n", e.what(), e.get_errno());
    return 1;
  }
  std::puts("bdb_consumer: 64 pages written through a 16-page cache and read back: ok");
  return 0;
}
