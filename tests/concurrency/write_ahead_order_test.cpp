// tests/concurrency/write_ahead_order_test.cpp: the write-ahead rule under
// concurrency, on every path that writes a page: eviction (a get that needs a
// frame), sync, trickle, the background writer, and pool close.
//
// Files with an lsn_offset; a log-flush callback (pool::set_log_flush) that
// records, under a mutex, the LSN the "log" is flushed up to. Writer threads
// dirty pages stamped with increasing LSNs while a syncer and a trickler run,
// the background writer runs, and a small cache forces evictions. The fault
// backend's write hook sees every page write just before it reaches the
// backend, reads the page's LSN from the bytes being written, and checks it
// against the flushed-up-to LSN under the same mutex: a write whose LSN is
// past the flush is a violation. Each thread tags itself with the path it
// drives, so the hook also counts writes per path (the background writer's
// thread is the one untagged thread), and the test checks that every path
// wrote pages. The oracle at the end: each page holds the last version its
// (only) writer thread stamped.
#include <fcntl.h>

#include <array>

#include "concurrency_support.hpp"
#include "pagepool/io.hpp"
#include "support/fault_io.hpp"

namespace pagepool::conctest {
namespace {

constexpr std::size_t kPs = 1024;
constexpr std::int32_t kLsnOff = 16;
constexpr pgno_t kPages = 96;  // per file
constexpr int kFiles = 2;
constexpr int kWriters = 4;

enum path_tag : unsigned { background = 0, eviction, sync_path, trickle_path, close_path, n_tags };
const char* const tag_names[n_tags] = {"background writer", "eviction", "sync", "trickle", "close"};
thread_local path_tag current_tag = background;

std::uint8_t body_byte(pgno_t pgno, std::uint32_t version, std::size_t i) {
  return static_cast<std::uint8_t>((pgno * 31u + version * 7u + i * 13u + 5u) & 0xFFu);
}

/// Page format: bytes as body_byte(pgno, version, i), the LSN {1, version} at
/// kLsnOff. Version 0: never written (all zero).
void stamp(void* page, pgno_t pgno, std::uint32_t version) {
  auto* b = static_cast<std::uint8_t*>(page);
  for (std::size_t i = 0; i < kPs; ++i) b[i] = body_byte(pgno, version, i);
  const lsn l{1, version};
  std::memcpy(b + kLsnOff, &l.file, 4);
  std::memcpy(b + kLsnOff + 4, &l.offset, 4);
}

lsn lsn_of(const void* page) {
  lsn l;
  std::memcpy(&l.file, static_cast<const std::uint8_t*>(page) + kLsnOff, 4);
  std::memcpy(&l.offset, static_cast<const std::uint8_t*>(page) + kLsnOff + 4, 4);
  return l;
}

bool holds(const void* page, pgno_t pgno, std::uint32_t version) {
  std::vector<std::uint8_t> want(kPs);
  stamp(want.data(), pgno, version);
  return std::memcmp(want.data(), page, kPs) == 0;
}

struct outcome {
  std::uint64_t violations = 0;
  std::array<std::uint64_t, n_tags> writes{};
};

/// Runs the workload. With `lying_flush` the callback claims a flush one LSN
/// short of what was asked (the negative control: the check must see it).
void run_workload(bool lying_flush, std::chrono::milliseconds budget, outcome& out) {
  failure_log failures(test_seed());
  current_tag = background;
  auto mem = make_memory_io();
  auto fio = std::make_shared<test::fault_io>(mem);
  fio->set_logging(false);  // millions of calls: the hook checks instead
  const std::array<std::string, kFiles> paths = {"/wal/a", "/wal/b"};

  std::mutex log_mu;
  lsn flushed{0, 0};
  std::uint64_t flush_calls = 0;
  std::array<std::uint64_t, n_tags> writes{};
  std::uint64_t violations = 0;
  fio->set_write_hook([&](const std::string& path, std::uint64_t off, const void* data,
                          std::size_t len) {
    if (path != paths[0] && path != paths[1]) return;
    const lsn l = lsn_of(data);
    std::lock_guard g(log_mu);
    if (len != kPs || off % kPs != 0) {
      failures.fail(fail_msg() << "a write of " << len << " bytes at " << off << " in " << path);
      return;
    }
    ++writes[current_tag];
    if (flushed < l) {
      ++violations;
      if (!lying_flush)
        failures.fail(fail_msg() << tag_names[current_tag] << " wrote page " << off / kPs << " of "
                                 << path << " with LSN {" << l.file << "," << l.offset
                                 << "} but the log was flushed only to {" << flushed.file << ","
                                 << flushed.offset << "}");
    }
  });

  pool_options o;
  o.cache_frames = 24;
  o.frame_size = 1024;
  o.regions = 2;
  o.io = fio;
  std::unique_ptr<pool> p;
  ASSERT_FALSE(pool::create(o, p));
  p->set_log_flush([&](const lsn& upto) {
    std::lock_guard g(log_mu);
    ++flush_calls;
    lsn got = upto;
    if (lying_flush && got.offset > 0) --got.offset;
    if (flushed < got) flushed = got;
    return 0;
  });
  std::array<std::unique_ptr<file>, kFiles> files;
  for (int i = 0; i < kFiles; ++i) {
    files[i] = p->file_create();
    ASSERT_TRUE(files[i]);
    ASSERT_FALSE(files[i]->set_lsn_offset(kLsnOff));
    ASSERT_FALSE(files[i]->open(paths[i], open_flags::create, 0, kPs));
  }
  ASSERT_FALSE(p->start_background_writer(40, std::chrono::milliseconds(1)));

  // The oracle: version[file][pgno], written only by the page's owner thread
  // (pgno % kWriters), read after the threads are joined.
  std::array<std::vector<std::uint32_t>, kFiles> version;
  for (auto& v : version) v.assign(kPages, 0);
  std::atomic<std::uint32_t> next_lsn{0};
  std::atomic<bool> stop{false};
  const auto deadline = clock_type::now() + std::min(phase_budget(), budget);

  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] {
      current_tag = eviction;  // the only writes a get makes are of its victims
      std::mt19937 rng(failures.seed() + static_cast<std::uint32_t>(t));
      while (!stop.load(std::memory_order_relaxed) && !failures.failed()) {
        const int fi = static_cast<int>(rng() % kFiles);
        const pgno_t n = static_cast<pgno_t>((rng() % (kPages / kWriters)) * kWriters + t);
        pgno_t got = n;
        void* page = nullptr;
        if (auto ec = files[fi]->get(&got, get_flags::create | get_flags::dirty, &page)) {
          if (ec != std::errc::not_enough_memory)  // every frame pinned for a moment
            failures.fail(fail_msg() << "get: " << describe(ec));
          continue;
        }
        const std::uint32_t was = version[fi][n];
        if (!holds(page, n, was) && !(was == 0 && lsn_of(page).offset == 0))
          failures.fail(fail_msg() << "page " << n << " lost version " << was);
        // relaxed: a counter; the LSN order that matters is in the page.
        const std::uint32_t v = next_lsn.fetch_add(1, std::memory_order_relaxed) + 1;
        stamp(page, n, v);
        version[fi][n] = v;
        if (auto ec = files[fi]->put(page, priority::unchanged, put_flags::dirty))
          failures.fail(fail_msg() << "put: " << describe(ec));
      }
    });
  }
  threads.emplace_back([&] {
    current_tag = sync_path;
    for (unsigned i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      const std::error_code ec = i % 2 ? p->sync() : files[i / 2 % kFiles]->sync();
      if (ec && ec != pagepool::errc::incomplete)
        failures.fail(fail_msg() << "sync: " << describe(ec));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  threads.emplace_back([&] {
    current_tag = trickle_path;
    while (!stop.load(std::memory_order_relaxed)) {
      int written = 0;
      if (auto ec = p->trickle(80, &written))
        failures.fail(fail_msg() << "trickle: " << describe(ec));
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  });
  while (clock_type::now() < deadline && !failures.failed())
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop.store(true, std::memory_order_relaxed);
  for (auto& th : threads) th.join();
  p->stop_background_writer();

  // Pool close writes what is left: dirty a few pages for it.
  current_tag = eviction;  // this thread's gets may evict too
  for (int fi = 0; fi < kFiles; ++fi)
    for (pgno_t n = 0; n < 4; ++n) {
      pgno_t got = n;
      void* page = nullptr;
      ASSERT_FALSE(files[fi]->get(&got, get_flags::create | get_flags::dirty, &page));
      const std::uint32_t v = next_lsn.fetch_add(1, std::memory_order_relaxed) + 1;
      stamp(page, n, v);
      version[fi][n] = v;
      ASSERT_FALSE(files[fi]->put(page, priority::unchanged, put_flags::dirty));
    }
  for (auto& f : files) ASSERT_FALSE(f->close());
  current_tag = close_path;
  ASSERT_FALSE(p->close());

  EXPECT_FALSE(failures.failed()) << failures.report();
  EXPECT_GT(flush_calls, 0u);
  out.violations = violations;
  out.writes = writes;
  // Every page holds its last version.
  for (int fi = 0; fi < kFiles; ++fi) {
    const int fd = mem->open(paths[fi], O_RDONLY, 0);
    ASSERT_GE(fd, 0);
    std::vector<std::uint8_t> buf(kPs);
    for (pgno_t n = 0; n < kPages; ++n) {
      if (version[fi][n] == 0) continue;
      ASSERT_EQ(mem->pread(fd, buf.data(), kPs, std::uint64_t{n} * kPs),
                static_cast<std::int64_t>(kPs));
      EXPECT_TRUE(holds(buf.data(), n, version[fi][n]))
          << paths[fi] << " page " << n << " should hold version " << version[fi][n] << ", has LSN "
          << lsn_of(buf.data()).offset;
    }
    EXPECT_EQ(mem->close(fd), 0);
  }
  EXPECT_EQ(fio->open_fds(), 0u);
}

TEST(WriteAheadOrder, NoPageIsWrittenBeforeTheLogOnAnyWritePath) {
  outcome o;
  run_workload(false, std::chrono::milliseconds(1500), o);
  EXPECT_EQ(o.violations, 0u);
  for (unsigned t = 0; t < n_tags; ++t)
    EXPECT_GT(o.writes[t], 0u) << "no page was written by " << tag_names[t]
                               << ": the rule was not exercised on that path";
}

// The negative control: a log that is flushed one LSN short of what the pool
// asked is caught (the check above can fail).
TEST(WriteAheadOrder, AFlushThatFallsShortIsCaught) {
  outcome o;
  run_workload(true, std::chrono::milliseconds(300), o);
  EXPECT_GT(o.violations, 0u);
}

}  // namespace
}  // namespace pagepool::conctest
