// stress/crash/power_exhaustive.cpp: pagepool-crash --power-loss --exhaustive
// (power.hpp), CrashMonkey-style: short scripted workloads on one thread, a
// cut before every mutating call of the backend in turn (and one after the
// last), and at each cut every survivor of the image: each pending operation
// lost or kept, each pending write over one sector also torn at each of its
// 512-byte boundaries. A cut whose survivors outnumber --bound is checked on
// that many survivors drawn at random (reported as capped).
//
// The scripts run on one thread with no background writer, so a pool does
// the same calls in the same order every time it runs a script: the cut at
// call k of one run is the cut at call k of the uncut run.
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "pagepool/checksum.hpp"
#include "pagepool/pagepool.hpp"
#include "power.hpp"
#include "testkit/rng.hpp"

namespace pagepool::stress::power {

namespace {

/// One run of a script: the pool, its files, the versions written, the acks.
struct script_run {
  layout l;
  std::shared_ptr<power_io> io = std::make_shared<power_io>();
  std::unique_ptr<pool> p;
  std::vector<std::unique_ptr<file>> files;
  std::vector<std::vector<std::uint32_t>> version;  // last version written, per file and page
  acks acked;
  std::string failure;

  void check(std::error_code ec, const char* what) {
    if (ec && failure.empty()) failure = std::string(what) + ": " + ec.message();
  }
  void create(unsigned fi) {
    auto f = p->file_create();
    if (!f) return check(std::make_error_code(std::errc::not_enough_memory), "file_create");
    check(f->set_ftype(checksum_ftype), "set_ftype");
    check(f->open(l.path(fi), open_flags::create, 0, l.page_size), "open with create");
    if (files.size() <= fi) files.resize(fi + 1);
    files[fi] = std::move(f);
    if (version.size() <= fi) version.resize(fi + 1);
    version[fi].assign(l.pages, 0);
  }
  void close(unsigned fi) {
    check(files[fi]->close(), "close");
    files[fi].reset();
  }
  /// Opens file fi again, without create: it exists.
  void reopen(unsigned fi) {
    auto f = p->file_create();
    if (!f) return check(std::make_error_code(std::errc::not_enough_memory), "file_create");
    check(f->set_ftype(checksum_ftype), "set_ftype");
    check(f->open(l.path(fi), open_flags::none, 0, l.page_size), "open again");
    files[fi] = std::move(f);
  }
  void write(unsigned fi, std::uint32_t pg) {
    pgno_t n = pg;
    void* page = nullptr;
    if (auto ec = files[fi]->get(&n, get_flags::create | get_flags::dirty, &page))
      return check(ec, "get");
    stamp(page, l, fi, pg, ++version[fi][pg]);
    check(files[fi]->put(page), "put");
  }
  /// pool::sync (fi < 0) or file::sync of fi; acknowledges what it covered.
  void sync(int fi = -1) {
    const std::error_code ec = fi < 0 ? p->sync() : files[static_cast<unsigned>(fi)]->sync();
    check(ec, "sync");
    if (ec || io->cut()) return;
    for (unsigned i = 0; i < files.size(); ++i) {
      if (!files[i] || (fi >= 0 && static_cast<unsigned>(fi) != i)) continue;
      acked.exists(i);
      for (std::uint32_t pg = 0; pg < l.pages; ++pg)
        if (version[i][pg] > 0) acked.raise(i, pg, version[i][pg]);
    }
  }
  void trickle(int percent) {
    int n = 0;
    check(p->trickle(percent, &n), "trickle");
  }
};

struct script {
  const char* name;
  std::size_t page_size;
  std::uint32_t pages;
  unsigned files;
  std::size_t frames;
  std::function<void(script_run&)> setup;  // before the cut is armed (may be empty)
  std::function<void(script_run&)> body;   // where the cuts land
};

std::vector<script> scripts() {
  return {
      {"create+write+sync", 1024, 4, 2, 16, nullptr,
       [](script_run& r) {
         r.create(0);
         r.write(0, 0);
         r.write(0, 1);
         r.write(0, 2);
         r.sync();
         r.create(1);
         r.write(1, 0);
         r.write(0, 3);
         r.sync(1);
         r.write(0, 0);
         r.sync(0);
       }},
      {"overwrite+sync", 1024, 4, 1, 16,
       [](script_run& r) {
         r.create(0);
         for (std::uint32_t pg = 0; pg < 4; ++pg) r.write(0, pg);
         r.sync();
       },
       [](script_run& r) {
         for (std::uint32_t pg = 0; pg < 4; ++pg) r.write(0, pg);
         r.sync();
         r.write(0, 1);
         r.write(0, 2);
         r.sync(0);
         r.write(0, 0);
         r.write(0, 0);
         r.sync();
       }},
      {"eviction+trickle+sync", 512, 12, 1, 4, nullptr,
       [](script_run& r) {
         r.create(0);
         for (std::uint32_t pg = 0; pg < 8; ++pg) r.write(0, pg);  // evicts dirty pages
         r.trickle(100);
         r.write(0, 8);
         r.write(0, 9);
         r.sync();
         for (std::uint32_t pg = 0; pg < 6; ++pg) r.write(0, pg);
         r.trickle(50);
         r.sync(0);
       }},
      // A file whose last handle closes after eviction wrote its pages (its
      // state may be freed before any sync), then opened again and synced.
      {"close+reopen+sync", 512, 8, 2, 4, nullptr,
       [](script_run& r) {
         r.create(0);
         for (std::uint32_t pg = 0; pg < 4; ++pg) r.write(0, pg);
         r.close(0);
         r.create(1);
         for (std::uint32_t pg = 0; pg < 8; ++pg) r.write(1, pg);  // evicts file 0's pages
         r.close(1);
         r.reopen(0);
         r.reopen(1);
         r.sync();
       }},
  };
}

/// Runs `sc` with a cut armed before mutating call `cut_op` of its body (0:
/// none); returns the run, its image taken at the cut or at the end.
std::unique_ptr<script_run> run_script(const script& sc, std::uint64_t cut_op, image& im,
                                       std::uint64_t* body_ops) {
  auto r = std::make_unique<script_run>();
  r->l.page_size = sc.page_size;
  r->l.pages = sc.pages;
  r->l.max_files = sc.files;
  pool_options o;
  o.cache_frames = sc.frames;
  o.frame_size = sc.page_size;
  o.max_files = 8;
  o.io = r->io;
  r->check(pool::create(o, r->p), "pool::create");
  if (!r->failure.empty()) return r;
  r->check(register_checksum(*r->p, checksum_ftype, {}), "register_checksum");
  if (sc.setup) sc.setup(*r);
  // Also restarts the count of calls; 0: a cut that never comes.
  r->io->cut_at(cut_op == 0 ? ~std::uint64_t{0} : cut_op);
  sc.body(*r);
  if (body_ops != nullptr) *body_ops = r->io->ops();
  im = r->io->cut_now();
  for (auto& f : r->files)
    if (f) (void)f->close();
  r->p.reset();
  return r;
}

/// Mixed-radix counting over the choices of `im`'s pending operations.
bool next_choice(const image& im, std::vector<unsigned>& c) {
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (++c[i] < im.choices(i)) return true;
    c[i] = 0;
  }
  return false;
}

}  // namespace

int run_power_exhaustive(const power_options& o) {
  std::uint64_t cuts = 0, lost = 0, undetected = 0;
  bool failed = false;
  std::mt19937_64 rng(testkit::splitmix64(o.seed));
  for (const script& sc : scripts()) {
    image im;
    std::uint64_t total = 0;
    auto first = run_script(sc, 0, im, &total);
    if (!first->failure.empty()) {
      std::fprintf(stderr, "FAIL %s (uncut run): %s\n", sc.name, first->failure.c_str());
      return 1;
    }
    std::uint64_t points = 0, survivors = 0, capped = 0, s_lost = 0, s_undet = 0, torn_det = 0, rewrite = 0,
                  max_pending = 0, shown = 0;
    // Cut before call k of the body, k = 1 .. total, and after the last.
    for (std::uint64_t k = 1; k <= total + 1; ++k) {
      auto r = run_script(sc, k, im, nullptr);
      if (!r->failure.empty()) {
        std::fprintf(stderr, "FAIL %s cut %llu: %s\n", sc.name,
                     static_cast<unsigned long long>(k), r->failure.c_str());
        failed = true;
        continue;
      }
      ++points;
      max_pending = std::max<std::uint64_t>(max_pending, im.pending.size());
      const std::uint64_t count = im.survivor_count(o.bound + 1);
      auto check_one = [&](const std::vector<unsigned>& choice) {
        const disk_state disk = im.survivor(choice);
        const verdict v = verify(disk, r->l, r->acked, torn_pages(im, choice, disk, r->l));
        ++survivors;
        s_lost += v.lost;
        s_undet += v.torn_undetected;
        torn_det += v.torn_detected;
        rewrite += v.torn_rewrite;
        if ((v.lost != 0 || v.torn_undetected != 0) && (o.verbose || shown++ < 3)) {
          std::printf("%s: cut before call %llu, choice", sc.name,
                      static_cast<unsigned long long>(k));
          for (unsigned c : choice) std::printf(" %u", c);
          std::printf("\n");
          for (const auto& w : v.why) std::printf("  %s\n", w.c_str());
        }
      };
      if (count <= o.bound) {
        std::vector<unsigned> c(im.pending.size(), 0);
        do check_one(c);
        while (next_choice(im, c));
      } else {
        ++capped;
        for (std::uint64_t i = 0; i < o.bound; ++i) check_one(im.random_choice(rng));
      }
    }
    std::printf("%s: calls=%llu cut points=%llu survivors=%llu capped points=%llu "
                "most pending=%llu torn detected=%llu (torn rewrites %llu) lost=%llu "
                "torn_undetected=%llu\n",
                sc.name, static_cast<unsigned long long>(total),
                static_cast<unsigned long long>(points), static_cast<unsigned long long>(survivors),
                static_cast<unsigned long long>(capped),
                static_cast<unsigned long long>(max_pending),
                static_cast<unsigned long long>(torn_det), static_cast<unsigned long long>(rewrite),
                static_cast<unsigned long long>(s_lost),
                static_cast<unsigned long long>(s_undet));
    std::fflush(stdout);
    cuts += survivors;
    lost += s_lost;
    undetected += s_undet;
  }
  std::printf("cuts=%llu lost=%llu torn_undetected=%llu\n", static_cast<unsigned long long>(cuts),
              static_cast<unsigned long long>(lost), static_cast<unsigned long long>(undetected));
  if (failed) return 1;
  if (o.expect_loss_within != 0) {
    const bool caught = lost != 0 || undetected != 0;
    std::printf("mutation %s: %s\n", o.mutate.c_str(), caught ? "detected" : "NOT detected");
    return caught ? 0 : 1;
  }
  return lost == 0 && undetected == 0 ? 0 : 1;
}

}  // namespace pagepool::stress::power
