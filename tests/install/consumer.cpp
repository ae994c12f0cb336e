// tests/install/consumer.cpp: uses only the installed headers and library.
// Exits 0 if a page written through one pool is read back through another.
#include <pagepool/pagepool.hpp>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "consumer.db";
  for (int round = 0; round < 2; ++round) {
    std::unique_ptr<pagepool::pool> pool;
    pagepool::pool_options options;
    options.cache_frames = 4;
    if (pagepool::pool::create(options, pool)) return 1;
    auto f = pool->file_create();
    if (f->open(path, pagepool::open_flags::create, 0, 4096)) return 1;
    pagepool::pgno_t pgno = 3;
    pagepool::page_handle page;
    if (f->get(pgno, pagepool::get_flags::create | pagepool::get_flags::dirty, page)) return 1;
    if (round == 0) {
      std::memcpy(page.data(), "installed", 10);
    } else if (std::memcmp(page.data(), "installed", 10) != 0) {
      std::fprintf(stderr, "page 3 does not hold what was written\n");
      return 1;
    }
    if (page.release() || f->close() || pool->close()) return 1;
  }
  std::puts("install check: ok");
  return 0;
}
