// pagepool/pagepool.hpp: the whole native API, and a guide to it.
//
// pagepool is a buffer pool: many threads get cached, page-oriented access to
// files. Its API is Berkeley DB's memory pool (DB_ENV memp_* and DB_MPOOLFILE)
// in C++: errors are std::error_code values with the errno meanings of the BDB
// manual pages, and nothing on the get/put path throws.
//
// The life of a page:
//
//     pagepool::pool_options options;
//     options.cache_bytes = 64 << 20;           // exactly 16384 frames of 4 KiB
//     std::unique_ptr<pagepool::pool> pool;
//     if (auto ec = pagepool::pool::create(options, pool)) ...
//     auto f = pool->file_create();
//     if (auto ec = f->open("data.db", pagepool::open_flags::create, 0, 4096)) ...
//     pagepool::pgno_t pgno = 7;
//     pagepool::page_handle page;
//     if (auto ec = f->get(pgno, pagepool::get_flags::create | pagepool::get_flags::dirty, page)) ...
//     std::memcpy(page.data(), "hello", 5);     // pinned: the address is stable
//     page = {};                                // put; the page is dirty
//     (void)pool->sync();                       // written and fsync'd
//
// The pinning contract: a pinned page is never evicted, moved or reused; its
// address stays valid until the put. A page is in at most one frame; several
// handles on one file see the same frame. Pins do not latch page contents:
// threads that write one page must agree among themselves.
//
// What "lock-free" covers: see pool.hpp and papers/ for the state of each path.
#pragma once

#include "pagepool/checksum.hpp"
#include "pagepool/error.hpp"
#include "pagepool/file.hpp"
#include "pagepool/io.hpp"
#include "pagepool/page_handle.hpp"
#include "pagepool/pool.hpp"
#include "pagepool/stats.hpp"
#include "pagepool/types.hpp"

namespace pagepool {
inline constexpr int version_major = 0;
inline constexpr int version_minor = 1;
inline constexpr int version_patch = 0;
}  // namespace pagepool
