// stress/crash/power_random.cpp: pagepool-crash --power-loss, random mode
// (power.hpp). Each cut: a shape drawn from the seed, a pool on a fresh
// power_io, writer threads and a syncer until the cut, a random survivor of
// the cut's image, the check.
//
// Writers. Each write passes the gate shared, takes the page's mutex (a
// page's versions form one sequence), pins the page with create|dirty, stamps
// the next version, puts it, and only then, still under the page's mutex,
// records the version in `committed`.
//
// The syncer. It pauses, then trickles, resizes the pool, creates the next
// file or closes one and opens it again (holding the gate: no writer runs
// meanwhile), or syncs: pool::sync or
// file::sync of one file, gated (the writers stopped: nothing pinned, it must
// succeed) or racing them (errc::incomplete acknowledges nothing). Before the
// call it snapshots `committed`, each page under its mutex (so every
// snapshot version's put happened before the sync began), and the files then
// open; if the sync
// returned success and the power was still on when it returned, every fsync
// it issued came before the cut (the backend's mutex orders them), so the
// snapshot is acknowledged: those pages at those versions, those files.
//
// After the cut the threads stop at their next step, the pool is closed (its
// last writes go to the dead disk's cache, which the image no longer sees),
// and a fresh pool reads the survivor (power_verify.cpp).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "pagepool/checksum.hpp"
#include "pagepool/pagepool.hpp"
#include "pagepool/testing.hpp"
#include "power.hpp"
#include "testkit/rng.hpp"

namespace pagepool::stress::power {

namespace {

constexpr unsigned file_cap = 3;

struct shape {
  layout l;
  unsigned regions = 1;
  std::size_t frames = 16;
  unsigned writers = 2;
  unsigned gate_percent = 50;
  unsigned file_sync_percent = 30;
  unsigned trickle_percent = 10;
  unsigned create_percent = 10;
  unsigned reopen_percent = 5;  // close a file's last handle and open it again
  unsigned resize_percent = 0;  // resize the pool between frames and twice that
  int max_open_fd = 0;          // pool_options::max_open_fd (0: unlimited)
  unsigned background_percent = 0;  // 0: no background writer
  std::uint64_t cut_op = 1;

  std::string describe() const {
    return "page_size=" + std::to_string(l.page_size) + " pages=" + std::to_string(l.pages) +
           " files<=" + std::to_string(l.max_files) + " regions=" + std::to_string(regions) +
           " frames=" + std::to_string(frames) + " writers=" + std::to_string(writers) +
           " background=" + std::to_string(background_percent) +
           " resize=" + std::to_string(resize_percent) + " max_open_fd=" + std::to_string(max_open_fd) +
           " cut_op=" + std::to_string(cut_op);
  }
};

shape draw_shape(std::mt19937_64& rng) {
  shape s;
  static constexpr std::size_t sizes[] = {512, 1024, 2048, 4096};
  s.l.page_size = sizes[rng() % 4];
  s.l.pages = 16 + static_cast<std::uint32_t>(rng() % 113);
  s.l.max_files = 1 + static_cast<unsigned>(rng() % file_cap);
  s.regions = 1 + static_cast<unsigned>(rng() % 4);
  s.writers = 2 + static_cast<unsigned>(rng() % 3);
  // Small: a fraction of the pages, but never fewer than the pins need.
  const std::size_t need = std::size_t{s.regions} * (2 * (s.writers + 1) + 4);
  s.frames = std::max<std::size_t>(need, s.l.pages * s.l.max_files / (2 + rng() % 7));
  s.gate_percent = static_cast<unsigned>(rng() % 3) * 50;
  s.file_sync_percent = static_cast<unsigned>(rng() % 60);
  s.trickle_percent = static_cast<unsigned>(rng() % 30);
  s.create_percent = 5 + static_cast<unsigned>(rng() % 20);
  s.reopen_percent = static_cast<unsigned>(rng() % 15);
  s.resize_percent = rng() % 3 == 0 ? 5 + static_cast<unsigned>(rng() % 15) : 0;
  s.max_open_fd = rng() % 4 == 0 ? 1 : 0;  // descriptors of closed files reopened to fsync
  s.background_percent = rng() % 3 == 0 ? 10 + static_cast<unsigned>(rng() % 50) : 0;
  // Mutating calls before the cut: early (creation, the first syncs) to well
  // into the run.
  static constexpr std::uint64_t reach[] = {20, 200, 1000, 3000};
  s.cut_op = 1 + rng() % reach[rng() % 4];
  return s;
}

struct run_state {
  const shape& s;
  std::shared_ptr<power_io> io;
  std::unique_ptr<pool> p;
  std::unique_ptr<file> files[file_cap];
  // Files open: changed by the syncer only, holding the gate exclusively;
  // writers read it holding the gate shared.
  unsigned nfiles = 0;
  // committed[f][p]: the last version of page p of file f whose put
  // returned; under page_mu[f][p].
  std::unique_ptr<std::uint32_t[]> committed[file_cap];
  std::unique_ptr<std::mutex[]> page_mu[file_cap];
  std::mutex turnstile;
  std::shared_mutex gate;
  std::atomic<bool> stop{false};  // relaxed: a flag polled between steps
  std::mutex ack_mu;
  acks acked;
  std::uint64_t syncs_acked = 0;
  std::string failure;

  explicit run_state(const shape& sh) : s(sh) {}
  bool done() const { return stop.load(std::memory_order_relaxed) || io->cut(); }
  void fail(std::string why) {
    std::lock_guard lk(ack_mu);
    if (failure.empty()) failure = std::move(why);
    stop.store(true, std::memory_order_relaxed);
  }
};

void write_once(run_state& r, std::mt19937_64& rng) {
  { std::lock_guard pass(r.turnstile); }
  std::shared_lock gate(r.gate);
  const unsigned fi = static_cast<unsigned>(rng() % r.nfiles);
  const auto pg = static_cast<std::uint32_t>(rng() % r.s.l.pages);
  std::lock_guard page_lock(r.page_mu[fi][pg]);
  const std::uint32_t v = r.committed[fi][pg] + 1;
  pgno_t n = pg;
  void* page = nullptr;
  if (auto ec = r.files[fi]->get(&n, get_flags::create | get_flags::dirty, &page)) {
    r.fail("get: " + ec.message());
    return;
  }
  stamp(page, r.s.l, fi, pg, v);
  if (auto ec = r.files[fi]->put(page)) {
    r.fail("put: " + ec.message());
    return;
  }
  r.committed[fi][pg] = v;
}

std::error_code open_file(run_state& r, unsigned fi, open_flags how = open_flags::create) {
  std::unique_ptr<file> f = r.p->file_create();
  if (!f) return std::make_error_code(std::errc::not_enough_memory);
  if (auto ec = f->set_ftype(checksum_ftype)) return ec;
  if (auto ec = f->open(r.s.l.path(fi), how, 0, r.s.l.page_size)) return ec;
  r.files[fi] = std::move(f);
  if (how == open_flags::create) r.nfiles = fi + 1;
  return {};
}

void sync_once(run_state& r, std::mt19937_64& rng) {
  const unsigned action = static_cast<unsigned>(rng() % 100);
  if (action < r.s.trickle_percent) {
    int written = 0;
    if (auto ec = r.p->trickle(1 + static_cast<int>(rng() % 100), &written))
      r.fail("trickle: " + ec.message());
    return;
  }
  const bool gated = rng() % 100 < r.s.gate_percent;
  std::unique_lock turnstile(r.turnstile, std::defer_lock);
  std::unique_lock gate(r.gate, std::defer_lock);
  const unsigned nf0 = r.nfiles;  // this thread is the one that changes it
  if (action < r.s.trickle_percent + r.s.create_percent && nf0 < r.s.l.max_files) {
    std::lock_guard t(r.turnstile);
    std::lock_guard g(r.gate);
    if (auto ec = open_file(r, nf0)) r.fail("open with create: " + ec.message());
    return;
  }
  if (action < r.s.trickle_percent + r.s.create_percent + r.s.reopen_percent) {
    // The last handle of a file closes (its state may be freed once no frame
    // holds its pages) and the file is opened again, without create.
    std::lock_guard t(r.turnstile);
    std::lock_guard g(r.gate);
    const unsigned fi = static_cast<unsigned>(rng() % nf0);
    if (auto ec = r.files[fi]->close()) return r.fail("close: " + ec.message());
    r.files[fi].reset();
    if (auto ec = open_file(r, fi, open_flags::none)) r.fail("open again: " + ec.message());
    return;
  }
  if (action < r.s.trickle_percent + r.s.create_percent + r.s.reopen_percent +
                   r.s.resize_percent) {
    // Grow or shrink the live pool: a shrink writes the dirty pages it drops.
    const std::size_t n = r.s.frames + rng() % (r.s.frames + 1);
    if (auto ec = r.p->resize(n)) r.fail("resize(" + std::to_string(n) + "): " + ec.message());
    return;
  }
  if (gated) {
    turnstile.lock();
    gate.lock();
  }
  const unsigned nf = r.nfiles;
  const bool file_sync = rng() % 100 < r.s.file_sync_percent;
  const unsigned which = static_cast<unsigned>(rng() % nf);
  std::vector<std::vector<std::uint32_t>> snap(nf);
  for (unsigned fi = 0; fi < nf; ++fi) {
    if (file_sync && fi != which) continue;
    snap[fi].resize(r.s.l.pages);
    for (std::uint32_t pg = 0; pg < r.s.l.pages; ++pg) {
      std::lock_guard page_lock(r.page_mu[fi][pg]);
      snap[fi][pg] = r.committed[fi][pg];
    }
  }
  const std::error_code ec = file_sync ? r.files[which]->sync() : r.p->sync();
  const bool power_on = !r.io->cut();
  if (gated) {
    gate.unlock();
    turnstile.unlock();
  }
  if (ec == errc::incomplete && !gated) return;
  if (ec) {
    r.fail(std::string(file_sync ? "file::sync" : "pool::sync") + ": " + ec.message());
    return;
  }
  if (!power_on) return;  // returned after the cut: acknowledges nothing
  std::lock_guard lk(r.ack_mu);
  ++r.syncs_acked;
  for (unsigned fi = 0; fi < nf; ++fi) {
    if (file_sync && fi != which) continue;
    r.acked.exists(fi);
    for (std::uint32_t pg = 0; pg < r.s.l.pages; ++pg)
      if (snap[fi][pg] > 0) r.acked.raise(fi, pg, snap[fi][pg]);
  }
}

struct cut_result {
  verdict v;
  std::uint64_t syncs_acked = 0;
  std::uint64_t pending = 0;
  unsigned torn_writes = 0;
  std::string failure;
};

cut_result run_cut(const shape& s, std::uint64_t seed) {
  cut_result out;
  run_state r(s);
  r.io = std::make_shared<power_io>();
  r.io->cut_at(s.cut_op);
  pool_options o;
  o.cache_frames = s.frames;
  o.frame_size = s.l.page_size;
  o.max_files = 8;
  o.regions = s.regions;
  o.alloc_timeout = std::chrono::milliseconds(2000);
  o.max_open_fd = s.max_open_fd;
  o.cache_max_bytes = 2 * s.frames * s.l.page_size;
  o.io = r.io;
  for (unsigned fi = 0; fi < file_cap; ++fi) {
    r.committed[fi] = std::make_unique<std::uint32_t[]>(s.l.pages);
    r.page_mu[fi] = std::make_unique<std::mutex[]>(s.l.pages);
  }
  std::error_code ec = pool::create(o, r.p);
  if (!ec) ec = register_checksum(*r.p, checksum_ftype, {});
  if (!ec && s.background_percent != 0)
    ec = r.p->start_background_writer(static_cast<int>(s.background_percent),
                                      std::chrono::milliseconds(1));
  if (!ec) ec = open_file(r, 0);
  if (ec) {
    out.failure = "setting up: " + ec.message();
    return out;
  }
  std::vector<std::thread> team;
  for (unsigned t = 0; t < s.writers; ++t)
    team.emplace_back([&r, seed, t] {
      std::mt19937_64 rng(testkit::splitmix64(seed ^ (0x100u + t)));
      while (!r.done()) write_once(r, rng);
    });
  team.emplace_back([&r, seed] {
    std::mt19937_64 rng(testkit::splitmix64(seed ^ 0x200u));
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!r.done()) {
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 300));
      sync_once(r, rng);
      if (std::chrono::steady_clock::now() > until) r.stop.store(true, std::memory_order_relaxed);
    }
  });
  for (auto& t : team) t.join();
  const image im = r.io->cut_now();  // the cut, or the end of a run that never got there
  (void)r.p->stop_background_writer();
  for (auto& f : r.files)
    if (f) (void)f->close();
  r.p.reset();
  if (!r.failure.empty()) {
    out.failure = r.failure;
    return out;
  }
  std::mt19937_64 rng(testkit::splitmix64(seed ^ 0x300u));
  const std::vector<unsigned> choice = im.random_choice(rng);
  const disk_state disk = im.survivor(choice);
  out.v = verify(disk, s.l, r.acked, torn_pages(im, choice, disk, s.l));
  out.syncs_acked = r.syncs_acked;
  out.pending = im.pending.size();
  out.torn_writes = im.torn_writes(choice);
  return out;
}

}  // namespace

int run_power_random(const power_options& o) {
  const auto t0 = std::chrono::steady_clock::now();
  std::mt19937_64 rng(testkit::splitmix64(o.seed));
  std::uint64_t cuts = 0, lost = 0, undetected = 0, detected = 0, acked = 0, pending = 0,
                torn = 0, rewrite = 0;
  int status = 0;
  for (; cuts < o.cuts; ++cuts) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > o.seconds)
      break;
    const std::uint64_t seed = rng();
    const shape s = draw_shape(rng);
    const cut_result r = run_cut(s, seed);
    if (!r.failure.empty()) {
      std::fprintf(stderr, "FAIL cut %llu (%s): %s\n", static_cast<unsigned long long>(cuts),
                   s.describe().c_str(), r.failure.c_str());
      status = 1;
      ++cuts;
      break;
    }
    lost += r.v.lost;
    undetected += r.v.torn_undetected;
    detected += r.v.torn_detected;
    rewrite += r.v.torn_rewrite;
    acked += r.syncs_acked;
    pending += r.pending;
    torn += r.torn_writes;
    if (o.verbose || r.v.lost != 0 || r.v.torn_undetected != 0) {
      std::printf("cut %llu: %s acked_syncs=%llu pending=%llu lost=%llu torn_undetected=%llu\n",
                  static_cast<unsigned long long>(cuts), s.describe().c_str(),
                  static_cast<unsigned long long>(r.syncs_acked),
                  static_cast<unsigned long long>(r.pending),
                  static_cast<unsigned long long>(r.v.lost),
                  static_cast<unsigned long long>(r.v.torn_undetected));
      for (const auto& w : r.v.why) std::printf("  %s\n", w.c_str());
    }
    if (o.expect_loss_within != 0 && (lost != 0 || undetected != 0)) {
      ++cuts;
      break;
    }
    if ((cuts + 1) % 1000 == 0) {
      std::printf("... %llu cuts, lost=%llu torn_undetected=%llu\n",
                  static_cast<unsigned long long>(cuts + 1), static_cast<unsigned long long>(lost),
                  static_cast<unsigned long long>(undetected));
      std::fflush(stdout);
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("acknowledged syncs=%llu pending ops at cuts=%llu torn writes in survivors=%llu "
              "torn pages detected=%llu (of which acknowledged pages torn by a later write=%llu) "
              "seconds=%.1f\n",
              static_cast<unsigned long long>(acked), static_cast<unsigned long long>(pending),
              static_cast<unsigned long long>(torn), static_cast<unsigned long long>(detected),
              static_cast<unsigned long long>(rewrite), secs);
  std::printf("cuts=%llu lost=%llu torn_undetected=%llu\n", static_cast<unsigned long long>(cuts),
              static_cast<unsigned long long>(lost), static_cast<unsigned long long>(undetected));
  if (status != 0) return status;
  if (o.expect_loss_within != 0) {
    const bool caught = (lost != 0 || undetected != 0) && cuts <= o.expect_loss_within;
    std::printf("mutation %s: %s\n", o.mutate.c_str(),
                caught ? "detected" : "NOT detected (the harness cannot fail)");
    return caught ? 0 : 1;
  }
  return lost == 0 && undetected == 0 ? 0 : 1;
}

}  // namespace pagepool::stress::power
