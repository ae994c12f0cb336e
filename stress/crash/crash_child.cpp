// stress/crash/crash_child.cpp: the child of pagepool-crash: a pool, one or
// two data files, writer threads and syncing threads, running until the
// parent kills it (crash.hpp says what it reports and how).
//
// Writers. Each write takes the page's mutex (so that a page's versions form
// one sequence), pins the page to write it in one of five styles of the API
// (get with dirty, get with edit, a plain get and put with dirty, a plain get
// and set(dirty), a page_handle), fills the whole page with the next version
// (crash_page.hpp), puts it, and only then publishes the version in
// `committed`. Now and then it pins the page a second time and checks the
// address. Writers pick pages uniformly, or with `hot_percent` of the writes
// on the first tenth of the pages.
//
// Syncers. Each pauses at random, then either trickles (no fsync, no
// acknowledgement) or syncs: pool::sync, or file::sync of one file. Before
// the sync call it snapshots `committed` of the files the sync covers; if the
// sync returns success it sends that snapshot as an ack. A gated sync first
// takes the writers' gate exclusively (so no page is pinned by the child
// while it runs, and it must succeed); an ungated one races the writers and
// may return errc::incomplete (a pinned modified page), which is reported and
// acknowledges nothing.
//
// Why the snapshot is a sound floor: a writer stores committed[p] = v (a
// release store) after its put returned, and the syncer loads it with
// acquire before calling sync, so the put of version v happens before the
// sync starts. The pool promises (DESIGN.md, invariant 5) that after a
// successful sync every page that was modified and unpinned when it started
// is in the file; a later version may be there too, never an earlier one.
//
// Page memory is written with plain stores under a pin taken to write (or a
// plain pin the writer holds until after it marked the page dirty): the pool
// writes a page back only while no one holds it pinned, and the pin protocol
// orders those accesses (ThreadSanitizer checks that in its build).

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "crash.hpp"
#include "crash_page.hpp"
#include "testkit/rng.hpp"
#include "pagepool/pagepool.hpp"

namespace pagepool::stress::crash {

namespace {

using testkit::splitmix64;  // spreads a seed: nearby seeds, unrelated streams

/// How long a child may live unkilled before it gives up: the parent kills
/// every child well within a second of its start in a plain build.
constexpr auto max_life = std::chrono::seconds(300);

/// Sends records to the parent, one write(2) loop per record, under a mutex.
class reporter {
 public:
  void send(record_type t, const std::vector<unsigned char>& payload) {
    std::vector<unsigned char> rec(12 + payload.size());
    const auto type = static_cast<std::uint32_t>(t);
    const auto len = static_cast<std::uint32_t>(payload.size());
    std::memcpy(rec.data(), &record_magic, 4);
    std::memcpy(rec.data() + 4, &type, 4);
    std::memcpy(rec.data() + 8, &len, 4);
    if (!payload.empty()) std::memcpy(rec.data() + 12, payload.data(), payload.size());
    std::lock_guard<std::mutex> lock(mu_);
    std::size_t done = 0;
    while (done < rec.size()) {
      const ssize_t n = ::write(report_fd, rec.data() + done, rec.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        std::_Exit(4);  // the parent is gone: nothing left to report to
      }
      done += static_cast<std::size_t>(n);
    }
  }

  /// Reports a failure (to the parent and to stderr) and ends the child.
  [[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "pagepool-crash child: FAIL %s\n", what.c_str());
    std::fflush(stderr);
    send(record_type::failure, std::vector<unsigned char>(what.begin(), what.end()));
    std::_Exit(1);
  }

 private:
  std::mutex mu_;
};

void put_u32(std::vector<unsigned char>& out, std::uint32_t v) {
  const auto* b = reinterpret_cast<const unsigned char*>(&v);
  out.insert(out.end(), b, b + 4);
}

std::string describe(const std::error_code& ec) {
  return std::string(ec.category().name()) + ":" + std::to_string(ec.value()) + " (" +
         ec.message() + ")";
}

struct child_state {
  explicit child_state(const shape& sh) : s(sh) {}
  const shape& s;
  reporter rep;
  std::unique_ptr<pool> p;
  std::vector<std::unique_ptr<file>> files;
  // committed[f][p]: the last version of page p of file f whose put returned.
  std::vector<std::unique_ptr<std::atomic<std::uint32_t>[]>> committed;
  std::vector<std::unique_ptr<std::mutex[]>> page_mu;
  // Writers hold `gate` shared around each write; a gated sync holds it
  // exclusively. A reader-preferring rwlock (glibc's default) would let a
  // stream of writers starve the sync, so a writer first passes `turnstile`,
  // which the gated sync holds while it waits for the gate and syncs.
  std::mutex turnstile;
  std::shared_mutex gate;
  std::atomic<std::uint64_t> writes{0};
  std::atomic<std::uint32_t> next_sync{1};

  [[noreturn]] void fail(const std::string& what) { rep.fail(what); }
};

const priority put_priorities[] = {priority::unchanged, priority::very_low, priority::low,
                                   priority::normal,    priority::high,     priority::very_high};

/// One write of page `pg` of file `fi`: the next version, in one of five styles.
void write_once(child_state& c, std::mt19937_64& rng, unsigned tid, unsigned fi, pgno_t pg) {
  file& f = *c.files[fi];
  const std::size_t ps = c.s.page_size;
  { std::lock_guard<std::mutex> pass(c.turnstile); }
  std::shared_lock<std::shared_mutex> gate(c.gate);
  std::lock_guard<std::mutex> page_lock(c.page_mu[fi][pg]);
  // Only this page's writers store it, and they hold its mutex: relaxed.
  const std::uint32_t v = c.committed[fi][pg].load(std::memory_order_relaxed) + 1;
  const priority prio = put_priorities[rng() % 6];
  const unsigned style = static_cast<unsigned>(rng() % 5);
  auto where = [&](const char* what) {
    return std::string(what) + " file " + std::to_string(fi) + " page " + std::to_string(pg) +
           " (version " + std::to_string(v) + ", style " + std::to_string(style) + ")";
  };
  auto second_pin = [&](void* page) {
    if (rng() % 20 != 0) return;
    pgno_t n = pg;
    void* again = nullptr;
    if (auto ec = f.get(&n, get_flags::none, &again))
      c.fail(where("second pin: get") + ": " + describe(ec));
    if (again != page) c.fail(where("second pin at another address:"));
    if (auto ec = f.put(again)) c.fail(where("second pin: put") + ": " + describe(ec));
  };
  if (style == 4) {
    page_handle h;
    pgno_t n = pg;
    if (auto ec = f.get(n, get_flags::create | get_flags::dirty, h))
      c.fail(where("get") + ": " + describe(ec));
    fill_page(h.data(), ps, fi, pg, v, tid);
    second_pin(h.data());
    if (auto ec = h.release(prio)) c.fail(where("release") + ": " + describe(ec));
  } else {
    static constexpr get_flags get_for[] = {get_flags::dirty, get_flags::edit, get_flags::none,
                                            get_flags::none};
    pgno_t n = pg;
    void* page = nullptr;
    if (auto ec = f.get(&n, get_flags::create | get_for[style], &page))
      c.fail(where("get") + ": " + describe(ec));
    if (n != pg) c.fail(where("get returned page ") + std::to_string(n));
    // Style 3 marks the page dirty before it changes it; style 2 at the put.
    if (style == 3)
      if (auto ec = f.set(page, put_flags::dirty))
        c.fail(where("set(dirty)") + ": " + describe(ec));
    fill_page(page, ps, fi, pg, v, tid);
    second_pin(page);
    const put_flags pf = style == 2 ? put_flags::dirty : put_flags::none;
    if (auto ec = f.put(page, prio, pf)) c.fail(where("put") + ": " + describe(ec));
  }
  // (C1) release: pairs with the syncer's acquire load (C2); the put above
  // happens before any sync that took a snapshot holding v.
  c.committed[fi][pg].store(v, std::memory_order_release);
  c.writes.fetch_add(1, std::memory_order_relaxed);
}

void writer_loop(child_state& c, unsigned tid) {
  std::mt19937_64 rng(splitmix64(c.s.seed ^ (0x100u + tid)));
  const std::uint32_t hot = std::max<std::uint32_t>(1, c.s.pages / 10);
  for (;;) {
    const unsigned fi = static_cast<unsigned>(rng() % c.s.files);
    const auto pg =
        static_cast<pgno_t>(rng() % 100 < c.s.hot_percent ? rng() % hot : rng() % c.s.pages);
    write_once(c, rng, tid, fi, pg);
    if (c.s.writer_pause_us != 0)
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % (c.s.writer_pause_us + 1)));
  }
}

void syncer_loop(child_state& c, unsigned id) {
  std::mt19937_64 rng(splitmix64(c.s.seed ^ (0x200u + id)));
  for (;;) {
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % (c.s.sync_pause_us + 1)));
    if (rng() % 100 < c.s.trickle_percent) {
      int written = 0;
      const int percent = 1 + static_cast<int>(rng() % 100);
      if (auto ec = c.p->trickle(percent, &written))
        c.fail("trickle(" + std::to_string(percent) + "): " + describe(ec));
      std::vector<unsigned char> payload;
      put_u32(payload, static_cast<std::uint32_t>(written));
      c.rep.send(record_type::trickle, payload);
      continue;
    }
    const bool file_sync = rng() % 100 < c.s.file_sync_percent;
    const auto which = static_cast<unsigned>(rng() % c.s.files);
    const bool gated = rng() % 100 < c.s.gate_percent;
    std::unique_lock<std::mutex> turnstile(c.turnstile, std::defer_lock);
    std::unique_lock<std::shared_mutex> gate(c.gate, std::defer_lock);
    if (gated) {
      turnstile.lock();
      gate.lock();
    }

    ack_head h;
    h.sync_no = c.next_sync.fetch_add(1, std::memory_order_relaxed);
    h.kind = file_sync ? 1 : 0;
    h.file = which;
    h.covered = file_sync ? 1 : c.s.files;
    std::vector<unsigned char> versions;
    for (unsigned fi = 0; fi < c.s.files; ++fi) {
      if (file_sync && fi != which) continue;
      put_u32(versions, fi);
      put_u32(versions, c.s.pages);
      for (std::uint32_t pg = 0; pg < c.s.pages; ++pg)
        // (C2) acquire: pairs with (C1); every version snapshot here was put
        // before the sync below starts.
        put_u32(versions, c.committed[fi][pg].load(std::memory_order_acquire));
    }
    {
      std::vector<unsigned char> b;
      put_u32(b, h.sync_no);
      put_u32(b, h.kind);
      put_u32(b, h.file);
      c.rep.send(record_type::begin, b);
    }
    const std::error_code ec = file_sync ? c.files[which]->sync() : c.p->sync();
    if (gated) {
      gate.unlock();
      turnstile.unlock();
    }
    if (!ec) {
      const pool_stats st = c.p->stats();
      h.writes = c.writes.load(std::memory_order_relaxed);
      h.rw_evict = st.rw_evict;
      h.page_out = st.page_out;
      h.background_writes = st.background_writes;
      h.page_trickle = st.page_trickle;
      std::vector<unsigned char> payload(sizeof h);
      std::memcpy(payload.data(), &h, sizeof h);
      payload.insert(payload.end(), versions.begin(), versions.end());
      c.rep.send(record_type::ack, payload);
    } else if (ec == errc::incomplete && !gated) {
      std::vector<unsigned char> b;
      put_u32(b, h.sync_no);
      c.rep.send(record_type::incomplete, b);
    } else {
      c.fail(std::string(file_sync ? "file::sync" : "pool::sync") +
             (gated ? " with no page pinned" : "") + " returned " + describe(ec));
    }
  }
}

/// Resizes the pool between the shape's frames (what the child's pins need
/// and more) and twice that, until the kill: a kill may land in the middle of
/// a grow or a shrink that is writing dirty pages past the new size.
void resizer_loop(child_state& c) {
  std::mt19937_64 rng(c.s.seed ^ 0x5E512Eull);
  const std::size_t lo = c.s.frames, hi = c.p->max_frames();
  for (;;) {
    const std::size_t n = lo + rng() % (hi - lo + 1);
    if (auto ec = c.p->resize(n)) c.fail("resize(" + std::to_string(n) + "): " + describe(ec));
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % (c.s.resize_pause_us + 1)));
  }
}

}  // namespace

int run_child(const shape& s) {
  child_state c(s);
  pool_options o;
  o.cache_frames = s.frames;
  o.frame_size = s.page_size;
  o.regions = s.regions;
  // The child's pins never fill a region (min_frames), so ENOMEM is a
  // failure; give a dirty victim's write, under a sanitizer, time to finish.
  o.alloc_timeout = std::chrono::milliseconds(2000);
  o.max_write = static_cast<int>(s.max_write);
  o.max_write_sleep = std::chrono::microseconds(s.max_write_sleep_us);
  if (s.resize_pause_us != 0) o.cache_max_bytes = 2 * s.frames * s.page_size;
  if (auto ec = pool::create(o, c.p)) c.fail("pool::create: " + describe(ec));
  if (s.background_percent != 0)
    if (auto ec = c.p->start_background_writer(static_cast<int>(s.background_percent),
                                               std::chrono::milliseconds(s.background_period_ms)))
      c.fail("start_background_writer: " + describe(ec));

  // Open the files and read every page through the pool: the previous
  // child's pages (resume) must be whole, and the writes go on from them.
  std::vector<unsigned char> ready;
  put_u32(ready, s.files);
  put_u32(ready, s.pages);
  for (unsigned fi = 0; fi < s.files; ++fi) {
    std::unique_ptr<file> f = c.p->file_create();
    if (!f) c.fail("file_create returned nullptr");
    if (auto ec = f->open(s.file_path(fi), open_flags::create, 0, s.page_size))
      c.fail("open " + s.file_path(fi) + ": " + describe(ec));
    c.committed.push_back(std::make_unique<std::atomic<std::uint32_t>[]>(s.pages));
    c.page_mu.push_back(std::make_unique<std::mutex[]>(s.pages));
    for (std::uint32_t pg = 0; pg < s.pages; ++pg) {
      pgno_t n = pg;
      void* page = nullptr;
      std::uint32_t v = 0;
      const std::error_code ec = f->get(&n, get_flags::none, &page);
      if (ec == errc::page_not_found) {
        v = 0;
      } else if (ec) {
        c.fail("reading file " + std::to_string(fi) + " page " + std::to_string(pg) +
               " at start: " + describe(ec));
      } else {
        const page_verdict pv = check_page(page, s.page_size, fi, pg);
        if (pv.kind == page_verdict::torn)
          c.fail("file " + std::to_string(fi) + " page " + std::to_string(pg) +
                 " read through the pool at start is torn: " + pv.why);
        v = static_cast<std::uint32_t>(pv.version);
        if (auto pec = f->put(page)) c.fail("put at start: " + describe(pec));
      }
      c.committed[fi][pg].store(v, std::memory_order_relaxed);  // no other thread yet
      put_u32(ready, v);
    }
    c.files.push_back(std::move(f));
  }
  c.rep.send(record_type::ready, ready);

  std::vector<std::thread> team;
  for (unsigned t = 0; t < s.writers; ++t) team.emplace_back(writer_loop, std::ref(c), t);
  for (unsigned t = 0; t < s.syncers; ++t) team.emplace_back(syncer_loop, std::ref(c), t);
  if (s.resize_pause_us != 0) team.emplace_back(resizer_loop, std::ref(c));
  std::this_thread::sleep_for(max_life);
  c.fail("not killed within " + std::to_string(max_life.count()) + " s");
}

}  // namespace pagepool::stress::crash
