// tests/fuzz/api_fuzz.cpp: libFuzzer target that drives the pagepool API and
// checks every result against a single-mutex reference model.
//
// Each input is decoded into a sequence of calls on one small pool (2 to 5
// frames, so that eviction and ENOMEM happen; any eviction policy, and
// set_policy on the way): file opens with random flags,
// page sizes and settings (valid and not), gets with random flags and page
// numbers, puts and sets with random flags and priorities, puts of foreign
// pointers (another handle's page, a stack buffer, a pointer into the middle
// of a pinned page, a page already put), syncs, trickles, closes with pages
// pinned, handle destruction, pool close and a new pool on the same files,
// and resizes of the live pool (op_resize says which are exact).
// Every page got to write is stamped (its bytes filled from a serial number,
// the file and the page number), and every get compares the page it returns
// with the model's (the content oracle). A result the model did not allow
// prints the calls of the input and aborts, so libFuzzer keeps the input.
//
// The model. pagepool documents which page a get hits, which error a call
// returns and what a page holds; it leaves free which unpinned page an
// eviction picks and which pages a trickle writes. The model therefore
// tracks, per page, what the pool may hold:
//
//   mem    the page's bytes if it is resident (none: certainly not resident)
//   disk   the contents the file may hold for it (several after puts with
//          clean; "absent" for a page never written)
//   dirty  no / yes / maybe (the pool's dirty bit; maybe after a write the
//          pool may or may not have made)
//
// A page pinned by any handle, or of an in-memory (nofile) file, is resident:
// a get must return exactly `mem`. A page whose dirty bit may be set must
// also return `mem` (if it was evicted it was written first). A clean page
// may return `mem` or any `disk` content (a clean page is dropped unwritten),
// and the get tells the model which. ENOMEM is predicted exactly: a get that
// needs a frame fails when every frame holds a pinned page or a page of an
// in-memory file, and only then (alloc_timeout is 0, one region).
//
// One thing no call reveals: whether the pool still holds the state of a
// file that no handle has open (it lingers while a frame holds one of its
// pages). Reopening such a file joins the old state (its page count and
// settings) or starts a new one from the file on disk. The model is a set of
// possible worlds: at such an open it forks one world per possibility, and
// each later result keeps only the worlds that allow it (the open itself, then
// get_last_pgno, maxsize, clear_len, ftype and lsn_offset, asked right after).
// A failed open changes nothing, so a world whose kept state allows the error
// stays unforked. No world left is a divergence. A single std::mutex guards
// the model (the target is single-threaded; the lock states that the model is
// the serial reference).
//
// PAGEPOOL_FUZZ_TRACE=1 prints every input's calls. The totals (API calls,
// inputs, results by kind) are printed every million calls and at exit.
//
// Reference: include/pagepool/{pool,file,types,error}.hpp and README.md
// ("Where pagepool differs from Berkeley DB 5.3"): where the BDB manual and
// the headers disagree, the model follows the headers.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "pagepool/pagepool.hpp"

namespace {

using pagepool::file;
using pagepool::get_flags;
using pagepool::open_flags;
using pagepool::pgno_t;
using pagepool::pool;
using pagepool::priority;
using pagepool::put_flags;

constexpr std::uint64_t no_limit = ~0ull;
constexpr std::size_t frame_size = 4096;
constexpr int nhandles = 4;
constexpr std::size_t max_worlds = 16;
constexpr int max_ops = 400;

std::error_code E(int e) { return pagepool::errno_code(e); }
const std::error_code ok{};
std::error_code not_found() { return make_error_code(pagepool::errc::page_not_found); }
std::error_code incomplete() { return make_error_code(pagepool::errc::incomplete); }

// ------------------------------------------------------------------ run-wide

std::string g_dir;                // scratch directory, emptied before each input
// O_DIRECT offset alignment of g_dir's file system (0: O_DIRECT refused
// there, so open_flags::direct falls back to buffered I/O). file.hpp: with
// direct, a page size below it is EINVAL.
std::size_t g_dio_align = 0;
std::uint64_t g_calls = 0;        // API calls made, all inputs
std::uint64_t g_inputs = 0;       // inputs run
std::uint64_t g_gave_up = 0;      // inputs cut short: more than max_worlds worlds
std::uint64_t g_next_report = 1'000'000;
bool g_print_trace = false;       // PAGEPOOL_FUZZ_TRACE=1: print every input's calls
std::size_t g_max_worlds = 1;     // most worlds the model held at once
std::chrono::steady_clock::time_point g_start;

// How often each result was seen (printed with the totals): evidence that the
// oracle is exercised on the interesting paths, not only on EINVAL.
struct result_counts {
  const char* name;
  std::uint64_t n;
};
result_counts g_seen[] = {
    {"get ok", 0},        {"get ENOMEM", 0},     {"get not-found", 0}, {"get ENOSPC", 0},
    {"get EACCES", 0},    {"get EINVAL", 0},     {"put/set ok", 0},    {"put/set EINVAL", 0},
    {"put/set EACCES", 0}, {"close EBUSY", 0},   {"sync incomplete", 0}, {"open ok", 0},
    {"open error", 0},    {"world forks", 0},    {"read back from file", 0}};
enum seen_ix { get_ok, get_enomem, get_nf, get_enospc, get_eacces, get_einval, put_ok, put_einval,
               put_eacces, close_ebusy, sync_incomplete, open_ok, open_err, forks, reread };
void seen(seen_ix i) { ++g_seen[i].n; }

void report() {
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::steady_clock::now() - g_start).count();
  std::fprintf(stderr,
               "pagepool_api_fuzz: %llu API calls, %llu inputs, %lld s, %llu cut short (more than "
               "%zu model worlds), at most %zu worlds at once\n",
               static_cast<unsigned long long>(g_calls), static_cast<unsigned long long>(g_inputs),
               static_cast<long long>(secs), static_cast<unsigned long long>(g_gave_up), max_worlds,
               g_max_worlds);
  std::fprintf(stderr, "  results:");
  for (const auto& c : g_seen) std::fprintf(stderr, " [%s %llu]", c.name, static_cast<unsigned long long>(c.n));
  std::fprintf(stderr, "\n");
}

// -------------------------------------------------------------------- trace

struct trace_entry {
  const char* what;
  int h;
  long long a, b, c;
  std::error_code ec;
};
std::vector<trace_entry> g_trace;

void call(const char* what, int h, long long a, long long b, long long c, std::error_code ec) {
  ++g_calls;
  g_trace.push_back({what, h, a, b, c, ec});
}

void print_trace() {
  for (std::size_t i = 0; i < g_trace.size(); ++i) {
    const auto& t = g_trace[i];
    std::fprintf(stderr, "%4zu %-16s h=%d a=%lld b=%lld c=%lld -> %s:%d (%s)\n", i, t.what, t.h, t.a,
                 t.b, t.c, t.ec.category().name(), t.ec.value(), t.ec.message().c_str());
  }
}

[[noreturn]] void diverge(const char* why) {
  std::fprintf(stderr, "\n==== pagepool_api_fuzz: DIVERGENCE: %s\n---- calls of this input:\n", why);
  print_trace();
  std::fprintf(stderr, "---- (the last call is the one the model did not allow)\n");
  std::fflush(stderr);
  std::abort();
}

// ---------------------------------------------------------------- contents

struct content {
  std::vector<std::uint8_t> b;
  std::size_t known = 0;  // leading bytes that are predicted; the rest is frame garbage
};
using cptr = std::shared_ptr<const content>;

bool matches(const content& c, const std::uint8_t* page) {
  return std::memcmp(c.b.data(), page, c.known) == 0;
}
cptr cleared(std::size_t ps, std::uint32_t clear_len) {
  auto c = std::make_shared<content>();
  c->b.assign(ps, 0);
  c->known = clear_len == 0 ? ps : std::min<std::size_t>(clear_len, ps);
  return c;
}
cptr zeros(std::size_t ps) { return cleared(ps, 0); }
cptr observed(const void* page, std::size_t ps) {
  auto c = std::make_shared<content>();
  c->b.assign(static_cast<const std::uint8_t*>(page), static_cast<const std::uint8_t*>(page) + ps);
  c->known = ps;
  return c;
}

// ------------------------------------------------------------------- model

// What the model knows of a page's dirty bit (page_m::d):
//
//          get dirty/edit/new_page, a page made by create, put/set dirty
//   no  ---------------------------------------------------------------> yes
//   no  <--- put/set clean; sync of it unpinned (its bytes now on disk) --- yes
//   yes ---- trickle, or a get that may evict (may have written it) ------> maybe
//   maybe -- sync of it unpinned, or a sync that returned ok while it was
//            pinned (then it was clean) ---------------------------------> no
//   maybe -- the only pinned candidate of a sync that returned incomplete -> yes
//
// Invariant: d != no implies mem is set and a get must return mem (an
// evicted dirty page was written first); d == no allows mem or any disk.
// So "maybe" never stands for "clean with other bytes on disk": a get whose
// result fits both a clean and a dirty outcome forks the world instead.
enum class dirt : std::uint8_t { no, yes, maybe };
enum class fkind : std::uint8_t { disk, nofile, temp };

struct page_m {
  cptr mem;                // null: certainly not resident
  std::vector<cptr> disk;  // possible file contents; null = never written (absent)
  dirt d = dirt::no;
};

// A disk file's pool state in one world (file_m::maybe_present/maybe_gone):
//
//   first open / open in a world where it is gone ---------> present
//   present, last handle closed, unlink set ---------------> gone (file removed)
//   present, last handle closed --------------------------> present? (if a page
//        may be resident) and gone? (always possible: frames emptied, reaped)
//   open with both possible: the world forks into L (present: join, its page
//        count and settings) and R (gone: a new state whose page count is the
//        file's size, one world per size the file may have)
//   pool closed, new pool ---------------------------------> gone
struct file_m {
  fkind kind = fkind::disk;
  std::string name;  // disk and nofile files
  std::size_t ps = 0;
  bool alive = true;      // nofile/temp: the state exists; disk: always true
  bool on_disk = false;   // disk: the file exists
  // disk files with no handle: the pool may still hold the state (L) and/or
  // may have freed it (R); a world with both forks at the next open.
  bool maybe_present = false, maybe_gone = true;
  // The shared state, valid while present.
  std::uint32_t npages = 0;
  std::uint64_t maxpages = no_limit;
  std::uint32_t clear_len = 0;
  int ftype = 0;
  int lsn = -1;
  bool unlink = false;
  int handles = 0;
  std::map<pgno_t, page_m> pages;
};

struct pin_m {
  std::uintptr_t addr;
  int file;
  pgno_t p;
  unsigned plain, write;
};

struct handle_m {
  bool exists = false, open = false, closed = false;
  int file = -1;
  bool rdonly = false;
  std::size_t ps = 0;
  bool clear_set = false, ftype_set = false, lsn_set = false, maxsize_set = false;
  std::uint32_t clear_len = 0;
  int ftype = 0, lsn = -1, prio = 3;
  std::uint64_t maxsize = 0;
  bool nofile = false, unlink = false;
  std::vector<pin_m> pins;
  pin_m* pin_at(std::uintptr_t a) {
    for (auto& p : pins)
      if (p.addr == a) return &p;
    return nullptr;
  }
};

struct world {
  bool closed = false;
  std::vector<file_m> files;  // 0..2: the disk files f0..f2; then nofile and temp files
  std::array<handle_m, nhandles> h;

  bool pinned(int f, pgno_t p) const {
    for (const auto& hh : h)
      for (const auto& pn : hh.pins)
        if (pn.file == f && pn.p == p) return true;
    return false;
  }
  /// Frames that cannot be given to another page: pinned pages and pages of
  /// in-memory files.
  std::size_t locked() const {
    std::set<std::pair<int, pgno_t>> s;
    for (const auto& hh : h)
      for (const auto& pn : hh.pins) s.insert({pn.file, pn.p});
    for (std::size_t i = 0; i < files.size(); ++i)
      if (files[i].alive && files[i].kind == fkind::nofile)
        for (const auto& [p, pm] : files[i].pages) s.insert({static_cast<int>(i), p});
    return s.size();
  }
  /// A frame may be taken from another page: any unpinned page of a file on
  /// disk (or temporary) may be evicted, written first if dirty.
  void may_evict() {
    for (std::size_t i = 0; i < files.size(); ++i) {
      file_m& f = files[i];
      if (!f.alive || f.kind == fkind::nofile) continue;
      for (auto& [p, pm] : f.pages)
        if (pm.mem && pm.d != dirt::no && !pinned(static_cast<int>(i), p)) written_maybe(pm);
    }
  }
  static void add_disk(page_m& pm, const cptr& c) {
    if (std::find(pm.disk.begin(), pm.disk.end(), c) == pm.disk.end()) pm.disk.push_back(c);
  }
  static void written_maybe(page_m& pm) {
    add_disk(pm, pm.mem);
    pm.d = dirt::maybe;
  }
  static void written(page_m& pm) {
    pm.disk = {pm.mem};
    pm.d = dirt::no;
  }
  /// The state of disk file f is gone (R): every dirty page was written.
  static void state_gone(file_m& f) {
    for (auto& [p, pm] : f.pages) {
      if (pm.d != dirt::no) written(pm);
      pm.mem = nullptr;
    }
    f.maybe_present = false;
    f.maybe_gone = true;
  }
  /// Possible sizes (in pages) of disk file f.
  static std::vector<std::uint32_t> disk_sizes(const file_m& f) {
    std::uint32_t lo = 0;
    std::set<std::uint32_t> maybe;
    for (const auto& [p, pm] : f.pages) {
      bool all = !pm.disk.empty(), some = false;
      for (const auto& c : pm.disk) {
        if (c) some = true;
        else all = false;
      }
      if (all) lo = std::max(lo, p + 1);
      if (some) maybe.insert(p + 1);
    }
    std::vector<std::uint32_t> out{lo};
    for (auto v : maybe)
      if (v > lo) out.push_back(v);
    return out;
  }
};

/// Records a pin of page p of handle k's file at addr; false if the pool gave
/// an address that another pinned page has.
bool add_pin_in(world& w, int k, std::uintptr_t addr, pgno_t p, bool write) {
  handle_m& h = w.h[k];
  if (pin_m* pn = h.pin_at(addr)) {
    if (pn->file != h.file || pn->p != p) return false;  // one address, two pages
    (write ? pn->write : pn->plain)++;
    return true;
  }
  for (const auto& hh : w.h)
    for (const auto& o : hh.pins)
      if (o.addr == addr && (o.file != h.file || o.p != p)) return false;
  h.pins.push_back({addr, h.file, p, write ? 0u : 1u, write ? 1u : 0u});  // plain, write
  return true;
}

/// check_put (core/pool_impl.cpp), as put and set document it.
std::error_code check_put(const handle_m& hm, int prio, std::uint32_t flags) {
  constexpr std::uint32_t known = 0x7;
  if ((flags & ~known) != 0) return E(EINVAL);
  if ((flags & 1) && (flags & 2)) return E(EINVAL);
  if (prio < 0 || prio > 5) return E(EINVAL);
  if ((flags & 2) && hm.rdonly) return E(EACCES);
  return ok;
}

// ------------------------------------------------------------------- driver

struct reader {
  const std::uint8_t* d;
  std::size_t n, i = 0;
  bool done() const { return i >= n; }
  std::uint8_t u8() { return i < n ? d[i++] : 0; }
};

// Indexed by a byte % 10: six valid sizes (four distinct), four invalid.
constexpr std::array<std::size_t, 10> page_sizes{512, 1024, 2048, 4096, 0, 100, 3000, 8192, 4096, 512};
constexpr std::array<std::size_t, 3> disk_ps{512, 2048, 4096};

class driver {
 public:
  driver(const std::uint8_t* d, std::size_t n) : r_{d, n} {}
  void run();

 private:
  std::mutex mu_;  // the model's one lock
  reader r_;
  std::unique_ptr<pool> pool_;
  pagepool::pool_options opts_;
  std::array<std::unique_ptr<file>, nhandles> obj_;
  std::vector<world> worlds_;
  std::vector<std::uintptr_t> history_;  // addresses put before (double puts)
  std::vector<world> extra_;  // worlds a call forked off (appended by each)
  std::uint64_t serial_ = 0;
  std::size_t nframes_ = 0;
  bool gave_up_ = false;

  // Applies `f` to every world; keeps those that allow the result.
  template <class F>
  void each(const char* what, F f) {
    each(what, f, [] {});
  }
  /// The same; `explain` prints what the worlds expected before a divergence.
  template <class F, class X>
  void each(const char* what, F f, X explain) {
    std::vector<world> keep;
    keep.reserve(worlds_.size());
    extra_.clear();
    for (auto& w : worlds_)
      if (f(w)) keep.push_back(std::move(w));
    for (auto& x : extra_) keep.push_back(std::move(x));
    extra_.clear();
    if (keep.empty()) {
      explain();
      diverge(what);
    }
    worlds_ = std::move(keep);
  }
  world& w0() { return worlds_.front(); }

  void make_pool();
  void op_open(int k);
  void configure(int k, file& fo);
  void op_get(int k);
  void op_put(int k, bool set_only, int mode);
  void op_double_put(int k);
  void op_stamp(int k);
  void op_close(int k);
  void op_destroy(int k);
  void op_file_sync(int k);
  void op_pool_sync();
  void op_trickle();
  void op_setting(int k);
  void op_last_pgno(int k);
  void op_pool_close();
  void op_pool_new();
  void op_set_policy();
  void op_resize();
  void stamp(int k, std::uintptr_t addr);
  void observe_open(int k);
};

void driver::make_pool() {
  std::unique_ptr<pool> p;
  const auto ec = pool::create(opts_, p);
  call("pool::create", -1, static_cast<long long>(opts_.cache_frames), 0, 0, ec);
  if (ec) diverge("pool::create failed");
  pool_ = std::move(p);
  nframes_ = pool_->frames();
  if (nframes_ != opts_.cache_frames) diverge("pool::frames() is not cache_frames");
}

void driver::run() {
  std::lock_guard g(mu_);
  opts_.cache_frames = 2 + r_.u8() % 4;
  opts_.frame_size = frame_size;
  opts_.regions = 1;
  opts_.alloc_timeout = std::chrono::milliseconds(0);
  opts_.mmap_size = 0;  // no mmap: whether a file is mapped depends on what is cached
  opts_.max_files = 64;
  opts_.temp_dir = g_dir;
  opts_.policy = static_cast<pagepool::policy_kind>(r_.u8() % pagepool::policy_kind_count);
  make_pool();
  world w;
  for (std::size_t i = 0; i < disk_ps.size(); ++i) {
    file_m f;
    f.kind = fkind::disk;
    f.name = g_dir + "/f" + std::to_string(i);
    f.ps = disk_ps[i];
    w.files.push_back(std::move(f));
  }
  worlds_.push_back(std::move(w));

  for (int n = 0; n < max_ops && !r_.done() && !gave_up_; ++n) {
    const int op = r_.u8() % 20;
    const int k = r_.u8() % nhandles;
    switch (op) {
      case 0: case 1: op_open(k); break;
      case 2: case 3: case 4: case 5: op_get(k); break;
      case 6: case 7: op_put(k, false, r_.u8() % 8); break;
      case 8: op_put(k, true, r_.u8() % 8); break;
      case 9: op_double_put(k); break;
      case 10: op_stamp(k); break;
      case 11: op_close(k); break;
      case 12: op_file_sync(k); break;
      case 13: op_pool_sync(); break;
      case 14: op_trickle(); break;
      case 15: op_setting(k); break;
      case 16: op_destroy(k); break;
      case 17: op_last_pgno(k); break;
      case 18: if (r_.u8() % 4 == 0) op_pool_close(); else op_get(k); break;
      case 19:
        if (w0().closed) op_pool_new();
        else if (k == 3) op_set_policy();
        else if (k == 2) op_resize();
        else op_put(k, false, 0);
        break;
    }
    g_max_worlds = std::max(g_max_worlds, worlds_.size());
    if (worlds_.size() > max_worlds) gave_up_ = true;
  }
  if (gave_up_) ++g_gave_up;
  // Tear down through the destructors: handles left open release their pins.
  for (auto& o : obj_) o.reset();
  pool_.reset();
}

// --------------------------------------------------------------------- open

void driver::configure(int k, file& fo) {
  const std::uint8_t cfg = r_.u8();
  if (cfg & 1) {
    static constexpr std::uint32_t v[] = {0, 64, 512, 1024, 4096, 5000};
    const std::uint32_t len = v[r_.u8() % 6];
    const auto ec = fo.set_clear_len(len);
    call("set_clear_len", k, len, 0, 0, ec);
    each("set_clear_len", [&](world& w) {
      if (ec) return false;
      w.h[k].clear_set = true;
      w.h[k].clear_len = len;
      return true;
    });
  }
  if (cfg & 2) {
    static constexpr int v[] = {-2, -1, 0, 504, 2040, 4090};
    const int off = v[r_.u8() % 6];
    const auto ec = fo.set_lsn_offset(off);
    call("set_lsn_offset", k, off, 0, 0, ec);
    each("set_lsn_offset", [&](world& w) {
      if (off < -1) return ec == E(EINVAL);
      if (ec) return false;
      w.h[k].lsn_set = true;
      w.h[k].lsn = off;
      return true;
    });
  }
  if (cfg & 4) {
    static constexpr int v[] = {-1, 0, 3, 128};
    const int t = v[r_.u8() % 4];
    const auto ec = fo.set_ftype(t);
    call("set_ftype", k, t, 0, 0, ec);
    each("set_ftype", [&](world& w) {
      if (t < 0 || t > 127) return ec == E(EINVAL);
      if (ec) return false;
      w.h[k].ftype_set = true;
      w.h[k].ftype = t;
      return true;
    });
  }
  if (cfg & 8) {
    static constexpr std::uint64_t v[] = {0, 512, 3072, 8192, 16385, 10240};
    const std::uint64_t m = v[r_.u8() % 6];
    const auto ec = fo.set_maxsize(m);
    call("set_maxsize", k, static_cast<long long>(m), 0, 0, ec);
    each("set_maxsize", [&](world& w) {
      if (ec) return false;
      w.h[k].maxsize_set = true;
      w.h[k].maxsize = m;
      return true;
    });
  }
  if (cfg & 0x30) {
    std::uint32_t fl = 0;
    if (cfg & 0x10) fl |= 1;  // nofile
    if (cfg & 0x20) fl |= 2;  // unlink
    if ((cfg & 0x30) == 0x30 && (r_.u8() & 1)) fl = 2 | 0x8;  // an unknown bit
    const auto ec = fo.set_flags(static_cast<pagepool::file_flags>(fl), true);
    call("set_flags", k, fl, 1, 0, ec);
    each("set_flags", [&](world& w) {
      if (fl & 0x8) return ec == E(EINVAL);
      if (ec) return false;
      if (fl & 1) w.h[k].nofile = true;
      if (fl & 2) w.h[k].unlink = true;
      return true;
    });
  }
  if (cfg & 0x40) {
    static constexpr int v[] = {0, 1, 3, 5, 6};
    const int p = v[r_.u8() % 5];
    const auto ec = fo.set_priority(static_cast<priority>(p));
    call("set_priority", k, p, 0, 0, ec);
    each("set_priority", [&](world& w) {
      if (p < 1 || p > 5) return ec == E(EINVAL);
      if (ec) return false;
      w.h[k].prio = p;
      return true;
    });
  }
}

void driver::op_open(int k) {
  // A fresh handle unless the slot's is kept to test a second open.
  const bool reuse = obj_[k] && (r_.u8() % 4 == 0);
  if (!reuse) {
    if (obj_[k]) op_destroy(k);
    obj_[k] = pool_->file_create();
    call("file_create", k, 0, 0, 0, obj_[k] ? ok : E(ENOMEM));
    each("file_create", [&](world& w) {
      if (w.closed) return obj_[k] == nullptr;
      if (!obj_[k]) return false;
      w.h[k] = handle_m{};
      w.h[k].exists = true;
      return true;
    });
    if (!obj_[k]) return;
    configure(k, *obj_[k]);
  }
  file& fo = *obj_[k];

  // Path: a disk file, a temporary file, "", the directory, a missing parent.
  const int pk = r_.u8() % 8;
  const std::uint8_t fb = r_.u8();
  std::uint32_t flags = 0;
  if ((fb & 1) == 0) flags |= 0x1;              // create
  if (fb & 2) flags |= 0x10;                    // nommap
  if (fb & 4) flags |= 0x20;                    // direct
  if (fb & 8) flags |= 0x80;                    // oddfilesize
  if ((fb & 0x30) == 0x30) flags |= 0x400;      // rdonly
  if ((fb & 0xC0) == 0xC0) flags |= 0x1000;     // unknown
  static constexpr int modes[] = {0, 0600, 0644, -1, 010000, 0, 0660, 0, 0, 0600};
  const int mode = modes[r_.u8() % 10];
  std::size_t ps = page_sizes[r_.u8() % page_sizes.size()];

  std::optional<std::string> path;
  int disk = -1;
  if (pk < 3) {
    disk = pk;
    path = w0().files[disk].name;
  } else if (pk < 5) {
    path = std::nullopt;
  } else if (pk == 5) {
    path = std::string();
  } else if (pk == 6) {
    path = g_dir;
  } else {
    path = g_dir + "/missing/x";
  }
  const handle_m& h0 = w0().h[k];
  if (h0.nofile && disk >= 0) {
    // In-memory files are found by name; keep them apart from the disk files.
    path = "mem" + std::to_string(disk);
    disk = -1;
  }
  // A disk file no handle has open: a page size other than its own would
  // make the result depend on whether the pool kept its state; use its own.
  if (disk >= 0 && ps >= 512 && ps <= frame_size && (ps & (ps - 1)) == 0 &&
      w0().files[disk].handles == 0)
    ps = w0().files[disk].ps;

  const auto ec = fo.open(path, static_cast<open_flags>(flags), mode, ps);
  call("open", k, pk, flags, static_cast<long long>(ps), ec);
  seen(ec ? open_err : open_ok);

  // The open in one world; pushes the worlds that allow its result.
  auto open_in = [&](world& w, std::vector<world>& out) {
    handle_m& h = w.h[k];
    const bool rdonly = flags & 0x400;
    auto expect = [&]() -> std::optional<std::error_code> {
      if (flags & ~0x4B1u) return E(EINVAL);
      if (h.open || h.closed || w.closed) return E(EINVAL);
      if (ps < 512 || ps > frame_size || (ps & (ps - 1)) != 0) return E(EINVAL);
      if (h.clear_set && h.clear_len > ps) return E(EINVAL);
      if (h.lsn_set && h.lsn >= 0 && static_cast<std::size_t>(h.lsn) + 8 > ps) return E(EINVAL);
      if (rdonly && !path) return E(EINVAL);
      if (path && path->empty()) return E(EINVAL);
      if (mode < 0 || mode > 07777) return E(EINVAL);
      return std::nullopt;
    }();
    if (expect) {
      if (ec == *expect) out.push_back(std::move(w));
      return;
    }
    auto join_mismatch = [&](const file_m& f) {
      return f.ps != ps || (h.ftype_set && h.ftype != f.ftype) ||
             (h.clear_set && h.clear_len != f.clear_len) || (h.lsn_set && h.lsn != f.lsn);
    };
    auto fresh_state = [&](file_m& f) {
      f.ps = ps;
      f.maxpages = no_limit;
      f.clear_len = h.clear_len;
      f.ftype = h.ftype;
      f.lsn = h.lsn_set ? h.lsn : -1;
      f.unlink = false;
    };
    int fi = -1;
    if (h.nofile && path) {
      // A named in-memory file.
      for (std::size_t i = 0; i < w.files.size(); ++i)
        if (w.files[i].alive && w.files[i].kind == fkind::nofile && w.files[i].name == *path)
          fi = static_cast<int>(i);
      if (fi < 0 && !(flags & 0x1)) {
        if (ec == E(ENOENT)) out.push_back(std::move(w));
        return;
      }
      if (fi >= 0 && join_mismatch(w.files[fi])) {
        if (ec == E(EINVAL)) out.push_back(std::move(w));
        return;
      }
      if (ec) return;
      if (fi < 0) {
        file_m f;
        f.kind = fkind::nofile;
        f.name = *path;
        fresh_state(f);
        w.files.push_back(std::move(f));
        fi = static_cast<int>(w.files.size()) - 1;
      }
    } else if (!path) {
      // A temporary file (in memory too with nofile).
      if (ec) return;
      file_m f;
      f.kind = h.nofile ? fkind::nofile : fkind::temp;
      f.name = "\x01temp";  // never found by name
      fresh_state(f);
      w.files.push_back(std::move(f));
      fi = static_cast<int>(w.files.size()) - 1;
    } else if (disk < 0) {
      // The directory, or a path whose parent is missing.
      const std::error_code want = pk == 6 ? E(EINVAL) : E(ENOENT);
      if (ec == want) out.push_back(std::move(w));
      return;
    } else {
      file_m& f = w.files[disk];
      if (!f.on_disk && !(flags & 0x1)) {
        if (ec == E(ENOENT)) out.push_back(std::move(w));
        return;
      }
      if ((flags & 0x20) && g_dio_align != 0 && (ps < g_dio_align || ps % g_dio_align != 0)) {
        // direct with a page size below the file system's alignment: EINVAL,
        // and a file this open created is removed again.
        if (ec == E(EINVAL)) out.push_back(std::move(w));
        return;
      }
      f.on_disk = true;  // O_CREAT made it, whatever follows
      if (ps != f.ps) {  // only with a handle open: a join of another page size
        if (ec == E(EINVAL)) out.push_back(std::move(w));
        return;
      }
      const bool present = f.handles > 0 || f.maybe_present;
      if (present && join_mismatch(f)) {
        if (ec == E(EINVAL)) out.push_back(std::move(w));
        return;
      }
      if (ec) return;
      fi = disk;
      if (!present) {
        // A new state: its page count is the file's size. One world per
        // size the file may have.
        fresh_state(f);
        f.maybe_present = true;
        f.maybe_gone = false;
        const auto sizes = world::disk_sizes(f);
        for (std::size_t s = 1; s < sizes.size(); ++s) {
          world v = w;
          v.files[disk].npages = sizes[s];
          // finish the open in v below, like w
          handle_m& vh = v.h[k];
          file_m& vf = v.files[disk];
          vf.handles++;
          if (vh.unlink) vf.unlink = true;
          if (vh.maxsize_set) vf.maxpages = vh.maxsize == 0 ? no_limit : vh.maxsize / ps;
          vh.open = true;
          vh.file = disk;
          vh.rdonly = rdonly;
          vh.ps = ps;
          out.push_back(std::move(v));
        }
        f.npages = sizes[0];
      }
      f.maybe_present = true;
      f.maybe_gone = false;
    }
    file_m& f = w.files[fi];
    f.handles++;
    if (h.unlink) f.unlink = true;
    if (h.maxsize_set) f.maxpages = h.maxsize == 0 ? no_limit : h.maxsize / ps;
    h.open = true;
    h.file = fi;
    h.rdonly = rdonly;
    h.ps = ps;
    out.push_back(std::move(w));
  };
  // Where a disk file's state may or may not be kept, the world forks: L
  // keeps it (as it is: both flags set) and R has lost it. A failed open
  // changes nothing, so if L allows the error the world stays unforked.
  std::vector<world> next;
  for (auto& w : worlds_) {
    file_m& f0 = w.files[disk < 0 ? 0 : disk];
    if (disk < 0 || f0.handles > 0 || !(f0.maybe_present && f0.maybe_gone)) {
      open_in(w, next);
      continue;
    }
    seen(forks);
    world l = w, r = w;
    world::state_gone(r.files[disk]);
    std::vector<world> from_l, from_r;
    open_in(l, from_l);
    open_in(r, from_r);
    if (ec && !from_l.empty()) {
      next.push_back(std::move(w));
      continue;
    }
    for (auto& x : from_l) next.push_back(std::move(x));
    for (auto& x : from_r) next.push_back(std::move(x));
  }
  if (next.empty()) diverge("open");
  worlds_ = std::move(next);
  if (!ec) observe_open(k);
}

void driver::observe_open(int k) {
  file& fo = *obj_[k];
  pgno_t last = 12345;
  const auto ec = fo.get_last_pgno(&last);
  const std::uint64_t maxsize = fo.maxsize();
  const std::uint32_t clear_len = fo.clear_len();
  const int ftype = fo.ftype();
  const int lsn = fo.lsn_offset();
  const std::size_t ps = fo.page_size();
  call("get_last_pgno", k, last, 0, 0, ec);
  call("maxsize", k, static_cast<long long>(maxsize), 0, 0, ok);
  call("clear_len", k, clear_len, 0, 0, ok);
  call("ftype", k, ftype, 0, 0, ok);
  call("lsn_offset", k, lsn, 0, 0, ok);
  each("open: the file's state read back", [&](world& w) {
    const handle_m& h = w.h[k];
    const file_m& f = w.files[h.file];
    const pgno_t want_last = f.npages == 0 ? 0 : f.npages - 1;
    const std::uint64_t want_max = f.maxpages == no_limit ? 0 : f.maxpages * h.ps;
    return !ec && last == want_last && maxsize == want_max && clear_len == f.clear_len &&
           ftype == f.ftype && lsn == f.lsn && ps == h.ps;
  });
}

// ---------------------------------------------------------------------- get

void driver::op_get(int k) {
  if (!obj_[k]) return;
  static constexpr std::uint32_t base[] = {0, 0x1, 0x10, 0x20, 0x2, 0x4, 0x1 | 0x2, 0x10 | 0x4};
  const std::uint8_t fb = r_.u8();
  std::uint32_t fl = base[fb & 7];
  if ((fb & 0x38) == 0x38) fl |= 0x100;
  if ((fb & 0xC0) == 0xC0) fl |= 0x1 | 0x20;
  const std::uint8_t sel = r_.u8();
  std::uint32_t np = 0;
  if (w0().h[k].open) np = w0().files[w0().h[k].file].npages;
  pgno_t pg;
  switch (sel % 12) {
    case 6: pg = np == 0 ? 0 : np - 1; break;
    case 7: pg = np; break;
    case 8: pg = np + 2; break;
    case 9: pg = 0xFFFFFFFFu; break;
    case 10: pg = 9; break;
    case 11: pg = 30; break;
    default: pg = sel % 6; break;
  }
  const pgno_t asked = pg;
  void* page = nullptr;
  const auto ec = obj_[k]->get(&pg, static_cast<get_flags>(fl), &page);
  call("get", k, asked, fl, pg, ec);
  const auto addr = reinterpret_cast<std::uintptr_t>(page);
  const bool create = fl & 0x1, last = fl & 0x10, is_new = fl & 0x20;
  const bool want_dirty = fl & 0x6;
  cptr obs;
  if (!ec) {
    if (page == nullptr) diverge("get: success without a page");
    obs = observed(page, w0().h[k].ps);
  }

  each("get", [&](world& w) {
    handle_m& h = w.h[k];
    if ((fl & ~0x37u) != 0 || int{create} + int{last} + int{is_new} > 1 || !h.open || w.closed)
      return ec == E(EINVAL);
    if (h.rdonly && want_dirty) return ec == E(EACCES);
    if (h.rdonly && is_new) return ec == E(EINVAL);
    file_m& f = w.files[h.file];
    const std::size_t ps = h.ps;
    const bool full = w.locked() >= nframes_;
    auto add_pin = [&](pgno_t p, bool write) { return add_pin_in(w, k, addr, p, write); };
    if (is_new) {
      const std::uint32_t n = f.npages;
      if (n == 0xFFFFFFFFu || n >= f.maxpages) return ec == E(ENOSPC);
      if (full) return ec == E(ENOMEM);
      if (ec || pg != n) return false;
      if (!matches(*cleared(ps, f.clear_len), static_cast<const std::uint8_t*>(page))) return false;
      w.may_evict();
      page_m pm;
      pm.mem = obs;
      pm.disk = {nullptr};
      pm.d = dirt::yes;
      f.pages[n] = std::move(pm);
      f.npages = n + 1;
      return add_pin(n, true);
    }
    pgno_t p = asked;
    if (last) {
      if (f.npages == 0) return ec == not_found();
      p = f.npages - 1;
    }
    const bool exists = p < f.npages;
    auto it = f.pages.find(p);
    const bool resident = w.pinned(h.file, p) || (f.kind == fkind::nofile && it != f.pages.end());
    if (resident) {
      if (it == f.pages.end() || ec || pg != p || !matches(*it->second.mem, static_cast<const std::uint8_t*>(page)))
        return false;
      it->second.mem = obs;
      if (want_dirty) it->second.d = dirt::yes;
      return add_pin(p, want_dirty);
    }
    if (!exists) {
      if (!create) return ec == not_found();
      if (h.rdonly) return ec == E(EINVAL);
      if (p == 0xFFFFFFFFu || p >= f.maxpages) return ec == E(ENOSPC);
    }
    if (full) return ec == E(ENOMEM);
    if (!exists || f.kind == fkind::nofile) {
      // Made: past the end, or a page of an in-memory file never made.
      if (ec || pg != p || !matches(*cleared(ps, f.clear_len), static_cast<const std::uint8_t*>(page)))
        return false;
      w.may_evict();
      page_m pm;
      pm.mem = obs;
      pm.disk = {nullptr};
      pm.d = dirt::yes;
      f.pages[p] = std::move(pm);
      if (!exists) f.npages = p + 1;
      return add_pin(p, want_dirty);  // a page made by create is dirty, its pin plain
    }
    // An existing page of a file on disk (or a temporary one), not pinned:
    // resident or read back.
    page_m cur;
    if (it != f.pages.end()) cur = it->second;
    else cur.disk = {nullptr};
    struct outcome {
      std::error_code ec;
      cptr want;
      page_m next;
    };
    std::vector<outcome> outs;
    if (cur.mem) outs.push_back({ok, cur.mem, cur});
    if (!cur.mem || cur.d == dirt::no) {
      for (const auto& c : cur.disk) {
        if (c) {
          outs.push_back({ok, c, page_m{c, {c}, dirt::no}});
        } else {
          const cptr z = zeros(ps);
          outs.push_back({ok, z, page_m{z, {z}, dirt::no}});  // a hole inside the file
          if (!create) outs.push_back({not_found(), nullptr, page_m{nullptr, {nullptr}, dirt::no}});
          else outs.push_back({ok, cleared(ps, f.clear_len), page_m{nullptr, {nullptr}, dirt::yes}});
        }
      }
    }
    // The outcomes the result allows, merged by dirty state: outcomes that
    // leave the page clean merge (their disk contents joined), and so do
    // those that leave it dirty; a clean and a dirty outcome fork the world
    // (a merged "maybe" would wrongly forbid reading back the clean one's
    // disk contents later).
    std::optional<page_m> merged[2];  // [0]: clean after the get, [1]: dirty
    bool from_mem = false;
    for (auto& o : outs) {
      if (o.ec != ec) continue;
      if (!ec && !matches(*o.want, static_cast<const std::uint8_t*>(page))) continue;
      if (o.want == cur.mem && cur.mem) from_mem = true;
      std::optional<page_m>& m = merged[o.next.d == dirt::no ? 0 : 1];
      if (!m) {
        m = o.next;
        continue;
      }
      for (const auto& c : o.next.disk) world::add_disk(*m, c);
      if (m->d != o.next.d) m->d = dirt::maybe;  // yes and maybe: still must read back mem
    }
    if (!merged[0] && !merged[1]) return false;
    if (!from_mem && !ec) seen(reread);
    if (ec || pg != p) {
      if (!ec) return false;
      w.may_evict();  // not found: nothing resident, nothing written
      f.pages[p] = merged[0] ? *merged[0] : *merged[1];
      return true;
    }
    if (merged[0] && merged[1]) {
      world v = w;  // the dirty outcome, as a world of its own
      v.may_evict();
      page_m m = *merged[1];
      m.mem = obs;
      if (want_dirty) m.d = dirt::yes;
      v.files[h.file].pages[p] = std::move(m);
      if (add_pin_in(v, k, addr, p, want_dirty)) extra_.push_back(std::move(v));
      merged[1].reset();
    }
    page_m m = merged[0] ? *merged[0] : *merged[1];
    w.may_evict();
    m.mem = obs;
    if (want_dirty) m.d = dirt::yes;
    f.pages[p] = std::move(m);
    return add_pin(p, want_dirty);
  }, [&] {
    // What the page held against what each world allowed for it.
    if (ec || !w0().h[k].open) return;
    const file_m& f = w0().files[w0().h[k].file];
    const pgno_t p = (fl & 0x10) && f.npages > 0 ? f.npages - 1 : asked;
    const auto* b = static_cast<const std::uint8_t*>(page);
    auto first_diff = [&](const cptr& c) -> long {
      if (!c) return -2;
      for (std::size_t i = 0; i < c->known; ++i)
        if (c->b[i] != b[i]) return static_cast<long>(i);
      return -1;
    };
    std::fprintf(stderr, "get of page %u: observed bytes 0..15:", p);
    for (int i = 0; i < 16; ++i) std::fprintf(stderr, " %02x", b[i]);
    std::fprintf(stderr, "\n");
    for (std::size_t wi = 0; wi < worlds_.size(); ++wi) {
      const file_m& wf = worlds_[wi].files[worlds_[wi].h[k].file];
      auto it = wf.pages.find(p);
      if (it == wf.pages.end()) {
        std::fprintf(stderr, "  world %zu: no model page (npages %u)\n", wi, wf.npages);
        continue;
      }
      std::fprintf(stderr, "  world %zu: dirty %d, mem first diff %ld", wi,
                   static_cast<int>(it->second.d), first_diff(it->second.mem));
      if (it->second.mem) {
        std::fprintf(stderr, " (mem bytes 0..15:");
        for (int i = 0; i < 16; ++i) std::fprintf(stderr, " %02x", it->second.mem->b[i]);
        std::fprintf(stderr, ")");
      }
      std::fprintf(stderr, ", disk first diffs:");
      for (const auto& c : it->second.disk) std::fprintf(stderr, " %ld", first_diff(c));
      std::fprintf(stderr, " (-1 equal, -2 absent)\n");
    }
  });
  if (!ec) seen(get_ok);
  else if (ec == E(ENOMEM)) seen(get_enomem);
  else if (ec == not_found()) seen(get_nf);
  else if (ec == E(ENOSPC)) seen(get_enospc);
  else if (ec == E(EACCES)) seen(get_eacces);
  else if (ec == E(EINVAL)) seen(get_einval);
  if (!ec && (want_dirty || is_new)) stamp(k, addr);
}

void driver::stamp(int k, std::uintptr_t addr) {
  const handle_m& h = w0().h[k];
  const pin_m* pn = nullptr;
  for (const auto& p : h.pins)
    if (p.addr == addr) pn = &p;
  if (pn == nullptr) diverge("stamp: no pin");
  const std::size_t ps = h.ps;
  auto* b = reinterpret_cast<std::uint8_t*>(addr);
  const std::uint64_t s = ++serial_;
  for (std::size_t i = 0; i < ps; ++i) b[i] = static_cast<std::uint8_t>(s * 131 + i * 7 + (i >> 8));
  const std::uint64_t key[3] = {s, static_cast<std::uint64_t>(pn->file), pn->p};
  std::memcpy(b, key, sizeof key);
  const cptr c = observed(b, ps);
  const int fi = pn->file;
  const pgno_t p = pn->p;
  each("stamp", [&](world& w) {
    auto it = w.files[fi].pages.find(p);
    if (it == w.files[fi].pages.end()) return false;
    it->second.mem = c;
    return true;
  });
}

void driver::op_stamp(int k) {
  const handle_m& h = w0().h[k];
  std::vector<std::uintptr_t> writes;
  for (const auto& p : h.pins)
    if (p.write > 0) writes.push_back(p.addr);
  if (writes.empty()) return;
  stamp(k, writes[r_.u8() % writes.size()]);
}

// ------------------------------------------------------------------ put/set

void driver::op_put(int k, bool set_only, int mode) {
  if (!obj_[k]) return;
  // mode 0..3: one of this handle's pins; 4: another handle's; 5: an address
  // put before; 6: a stack buffer; 7: inside a pinned page.
  alignas(4096) static thread_local std::uint8_t stack_like[4096];
  alignas(64) std::uint8_t on_stack[64];
  std::uintptr_t addr = 0;
  bool maybe_frame = true;  // a frame's first byte
  const std::uint8_t pick = r_.u8();
  std::vector<std::uintptr_t> any_pin;
  for (const auto& hh : w0().h)
    for (const auto& p : hh.pins) any_pin.push_back(p.addr);
  const auto& own = w0().h[k].pins;
  if (mode <= 3 && !own.empty()) {
    addr = own[pick % own.size()].addr;
  } else if (mode == 4 && !any_pin.empty()) {
    addr = any_pin[pick % any_pin.size()];
  } else if (mode == 5 && !history_.empty()) {
    addr = history_[pick % history_.size()];
  } else if (mode == 7 && !any_pin.empty()) {
    static constexpr std::uintptr_t offs[] = {1, 8, 512, 1000};
    addr = any_pin[pick % any_pin.size()] + offs[(pick >> 4) % 4];
    maybe_frame = false;
  } else {
    addr = (pick & 1) ? reinterpret_cast<std::uintptr_t>(stack_like)
                      : reinterpret_cast<std::uintptr_t>(on_stack);
    maybe_frame = false;
  }
  static constexpr int prios[] = {0, 1, 2, 3, 4, 5, -1, 6};
  const int prio = set_only ? 0 : prios[r_.u8() % 8];
  static constexpr std::uint32_t fls[] = {0, 2, 1, 4, 2 | 4, 1 | 4, 1 | 2, 0x10};
  const std::uint32_t fl = fls[r_.u8() % 8];
  void* vp = reinterpret_cast<void*>(addr);
  const auto ec = set_only ? obj_[k]->set(vp, static_cast<put_flags>(fl))
                           : obj_[k]->put(vp, static_cast<priority>(prio), static_cast<put_flags>(fl));
  call(set_only ? "set" : "put", k, static_cast<long long>(mode), prio, fl, ec);
  each(set_only ? "set" : "put", [&](world& w) {
    handle_m& h = w.h[k];
    if (!h.open) return ec == E(EINVAL);
    // Does the pool find a frame holding a page of this handle's file there?
    int located = maybe_frame ? -1 : 0;  // -1: unknown (a frame nobody pins)
    if (maybe_frame)
      for (const auto& hh : w.h)
        for (const auto& p : hh.pins)
          if (p.addr == addr) located = p.file == h.file ? 1 : 0;
    if (located == 0) return ec == E(EINVAL);
    const std::error_code cp = check_put(h, prio, fl);
    if (located < 0) return ec == E(EINVAL) || (cp && ec == cp);
    if (cp) return ec == cp;
    pin_m* pn = h.pin_at(addr);
    if (pn == nullptr) return ec == E(EINVAL);
    if (ec) return false;
    page_m& pm = w.files[pn->file].pages[pn->p];
    if (fl & 2) pm.d = dirt::yes;
    if (fl & 1) pm.d = dirt::no;
    if (!set_only) {
      if (pn->plain > 0) pn->plain--;
      else pn->write--;
      if (pn->plain + pn->write == 0)
        h.pins.erase(h.pins.begin() + (pn - h.pins.data()));
    }
    return true;
  });
  seen(!ec ? put_ok : ec == E(EACCES) ? put_eacces : put_einval);
  if (!ec && !set_only) {
    history_.push_back(addr);
    if (history_.size() > 16) history_.erase(history_.begin());
  }
}

void driver::op_double_put(int k) {
  if (!obj_[k] || w0().h[k].pins.empty()) return;
  // The same pin twice: the second put is EINVAL unless the handle holds the
  // page more than once.
  const auto& own = w0().h[k].pins;
  const std::size_t i = r_.u8() % own.size();
  const std::uintptr_t addr = own[i].addr;
  for (int round = 0; round < 2; ++round) {
    const auto ec = obj_[k]->put(reinterpret_cast<void*>(addr));
    call("put (double)", k, round, 0, 0, ec);
    each("double put", [&](world& w) {
      handle_m& h = w.h[k];
      pin_m* pn = h.pin_at(addr);
      if (pn == nullptr) {
        // Nobody else can hold it either way: EINVAL.
        return ec == E(EINVAL);
      }
      if (ec) return false;
      if (pn->plain > 0) pn->plain--;
      else pn->write--;
      if (pn->plain + pn->write == 0) h.pins.erase(h.pins.begin() + (pn - h.pins.data()));
      return true;
    });
  }
}

// ------------------------------------------------------------ close/destroy

namespace {
/// The last handle of a file closed (or one more handle gone).
void handle_gone(world& w, int k) {
  handle_m& h = w.h[k];
  file_m& f = w.files[h.file];
  if (--f.handles == 0) {
    switch (f.kind) {
      case fkind::temp:
        f.alive = false;
        f.pages.clear();
        break;
      case fkind::nofile:
        if (f.unlink || f.name == "\x01temp") f.pages.clear();
        if (f.pages.empty()) f.alive = false;
        break;
      case fkind::disk:
        if (f.unlink) {
          f.pages.clear();
          f.on_disk = false;
          f.maybe_present = false;
          f.maybe_gone = true;
        } else {
          f.maybe_present = false;
          for (const auto& [p, pm] : f.pages)
            if (pm.mem) f.maybe_present = true;
          f.maybe_gone = true;
        }
        break;
    }
    f.unlink = false;
  }
  h.open = false;
  h.closed = true;
  h.pins.clear();
}
}  // namespace

void driver::op_close(int k) {
  if (!obj_[k]) return;
  const auto ec = obj_[k]->close();
  call("close", k, 0, 0, 0, ec);
  if (ec == E(EBUSY)) seen(close_ebusy);
  each("close", [&](world& w) {
    handle_m& h = w.h[k];
    if (!h.open) return ec == E(EINVAL);
    if (!h.pins.empty()) return ec == E(EBUSY);
    if (ec) return false;
    handle_gone(w, k);
    return true;
  });
}

void driver::op_destroy(int k) {
  if (!obj_[k]) return;
  obj_[k].reset();  // an open handle is closed, its pins released
  call("~file", k, 0, 0, 0, ok);
  each("destroy", [&](world& w) {
    handle_m& h = w.h[k];
    if (h.open) handle_gone(w, k);
    h = handle_m{};
    return true;
  });
}

// ---------------------------------------------------------------- sync etc.

namespace {
/// sync of every file (only < 0) or of file `only`: writes every unpinned
/// page that may be dirty; incomplete if a pinned page is dirty.
bool apply_sync(world& w, int only, std::error_code ec) {
  bool must_incomplete = false;
  std::vector<page_m*> maybes;
  for (std::size_t i = 0; i < w.files.size(); ++i) {
    file_m& f = w.files[i];
    if (!f.alive || f.kind != fkind::disk) continue;
    if (only >= 0 && static_cast<int>(i) != only) continue;
    for (auto& [p, pm] : f.pages) {
      if (!pm.mem) continue;
      if (w.pinned(static_cast<int>(i), p)) {
        if (pm.d == dirt::yes) must_incomplete = true;
        if (pm.d == dirt::maybe) maybes.push_back(&pm);
      } else if (pm.d != dirt::no) {
        world::written(pm);
      }
    }
  }
  if (ec == incomplete()) {
    if (!must_incomplete && maybes.empty()) return false;
    if (!must_incomplete && maybes.size() == 1) maybes[0]->d = dirt::yes;
    return true;
  }
  if (ec || must_incomplete) return false;
  for (auto* pm : maybes) world::written(*pm);  // its dirty bit was clear: the file has it
  return true;
}
}  // namespace

void driver::op_file_sync(int k) {
  if (!obj_[k]) return;
  const auto ec = obj_[k]->sync();
  call("file::sync", k, 0, 0, 0, ec);
  if (ec == incomplete()) seen(sync_incomplete);
  each("file::sync", [&](world& w) {
    const handle_m& h = w.h[k];
    if (!h.open) return ec == E(EINVAL);
    const file_m& f = w.files[h.file];
    if (h.rdonly || f.kind != fkind::disk) return !ec;
    return apply_sync(w, h.file, ec);
  });
}

void driver::op_pool_sync() {
  const auto ec = pool_->sync();
  call("pool::sync", -1, 0, 0, 0, ec);
  if (ec == incomplete()) seen(sync_incomplete);
  each("pool::sync", [&](world& w) {
    if (w.closed) return ec == E(EINVAL);
    return apply_sync(w, -1, ec);
  });
}

void driver::op_trickle() {
  static constexpr int pct[] = {-1, 0, 1, 10, 50, 80, 100, 101};
  const int percent = pct[r_.u8() % 8];
  int written = -7;
  const auto ec = pool_->trickle(percent, &written);
  call("trickle", -1, percent, written, 0, ec);
  each("trickle", [&](world& w) {
    if (percent < 1 || percent > 100 || w.closed) return ec == E(EINVAL);
    if (ec) return false;
    std::vector<page_m*> cand;
    for (std::size_t i = 0; i < w.files.size(); ++i) {
      file_m& f = w.files[i];
      if (!f.alive || f.kind != fkind::disk) continue;
      for (auto& [p, pm] : f.pages)
        if (pm.mem && pm.d != dirt::no && !w.pinned(static_cast<int>(i), p)) cand.push_back(&pm);
    }
    if (written < 0 || static_cast<std::size_t>(written) > cand.size()) return false;
    if (written == 0) return true;
    for (auto* pm : cand) {
      if (static_cast<std::size_t>(written) == cand.size()) world::written(*pm);
      else world::written_maybe(*pm);
    }
    return true;
  });
}

void driver::op_setting(int k) {
  if (!obj_[k]) return;
  file& fo = *obj_[k];
  const int which = r_.u8() % 6;
  const std::uint8_t v = r_.u8();
  std::error_code ec;
  switch (which) {
    case 0: case 1: {  // unlink on or off, or nofile (EINVAL once open), or an unknown bit
      static constexpr std::uint32_t fls[] = {2, 2, 1, 0x4};
      const std::uint32_t fl = fls[v % 4];
      const bool on = (v >> 2) & 1;
      ec = fo.set_flags(static_cast<pagepool::file_flags>(fl), on);
      call("set_flags", k, fl, on, 0, ec);
      each("set_flags", [&](world& w) {
        handle_m& h = w.h[k];
        if (fl == 0x4) return ec == E(EINVAL);
        if (fl == 1) {
          if (h.open) return ec == E(EINVAL);
          if (ec) return false;
          h.nofile = on;
          return true;
        }
        if (ec) return false;
        h.unlink = on;
        if (h.open) w.files[h.file].unlink = on;
        return true;
      });
      break;
    }
    case 2: {
      static constexpr std::uint64_t ms[] = {0, 512, 2048, 4096, 8192, 20000};
      const std::uint64_t m = ms[v % 6];
      ec = fo.set_maxsize(m);
      call("set_maxsize", k, static_cast<long long>(m), 0, 0, ec);
      each("set_maxsize", [&](world& w) {
        handle_m& h = w.h[k];
        if (ec) return false;
        h.maxsize_set = true;
        h.maxsize = m;
        if (h.open) w.files[h.file].maxpages = m == 0 ? no_limit : m / h.ps;
        return true;
      });
      break;
    }
    case 3: {
      const int p = static_cast<int>(v % 8) - 1;
      ec = fo.set_priority(static_cast<priority>(p));
      call("set_priority", k, p, 0, 0, ec);
      each("set_priority", [&](world& w) {
        if (p < 1 || p > 5) return ec == E(EINVAL);
        if (ec) return false;
        w.h[k].prio = p;
        return true;
      });
      break;
    }
    case 4: {  // settings that must come before open
      ec = fo.set_clear_len(v);
      call("set_clear_len", k, v, 0, 0, ec);
      each("set_clear_len", [&](world& w) {
        handle_m& h = w.h[k];
        if (h.open) return ec == E(EINVAL);
        if (ec) return false;
        h.clear_set = true;
        h.clear_len = v;
        return true;
      });
      break;
    }
    default: {
      const int t = static_cast<int>(v % 4);
      ec = fo.set_ftype(t);
      call("set_ftype", k, t, 0, 0, ec);
      each("set_ftype", [&](world& w) {
        handle_m& h = w.h[k];
        if (h.open) return ec == E(EINVAL);
        if (ec) return false;
        h.ftype_set = true;
        h.ftype = t;
        return true;
      });
      break;
    }
  }
}

void driver::op_last_pgno(int k) {
  if (!obj_[k]) return;
  pgno_t last = 777;
  const auto ec = obj_[k]->get_last_pgno(&last);
  call("get_last_pgno", k, last, 0, 0, ec);
  each("get_last_pgno", [&](world& w) {
    const handle_m& h = w.h[k];
    if (!h.open) return ec == E(EINVAL);
    const file_m& f = w.files[h.file];
    return !ec && last == (f.npages == 0 ? 0 : f.npages - 1);
  });
}

void driver::op_pool_close() {
  const auto ec = pool_->close();
  call("pool::close", -1, 0, 0, 0, ec);
  each("pool::close", [&](world& w) {
    if (w.closed) return !ec;
    for (const auto& h : w.h)
      if (h.open) return ec == E(EBUSY);
    if (ec) return false;
    w.closed = true;
    for (auto& f : w.files) {
      if (!f.alive || f.kind != fkind::disk) continue;
      for (auto& [p, pm] : f.pages)
        if (pm.d != dirt::no) world::written(pm);
    }
    return true;
  });
}

void driver::op_pool_new() {
  for (int k = 0; k < nhandles; ++k)
    if (obj_[k]) op_destroy(k);
  pool_.reset();
  make_pool();
  each("new pool", [&](world& w) {
    w.closed = false;
    for (auto& f : w.files) {
      if (f.kind == fkind::disk) {
        world::state_gone(f);
      } else {
        f.alive = false;
        f.pages.clear();
      }
    }
    return true;
  });
}

void driver::op_set_policy() {
  // Any policy, or a value out of range; pages keep their frames (pool.hpp).
  const int v = static_cast<int>(r_.u8() % 8) - 1;
  const auto ec = pool_->set_policy(static_cast<pagepool::policy_kind>(v));
  call("set_policy", -1, v, 0, 0, ec);
  each("set_policy", [&](world& w) {
    if (v < 0 || v >= pagepool::policy_kind_count || w.closed) return ec == E(EINVAL);
    return !ec;
  });
}

void driver::op_resize() {
  // Sizes in range and out of it. A shrink is made only while no world has
  // a page that holds its frame (pinned, or of an in-memory file): then every
  // frame past the new size is drained at once (dirty pages written) and the
  // ENOMEM rule stays exact. A shrink with held pages leaves them past the
  // size until their put, in frames whose place no model without the frame
  // indices could predict; the stress swarm and the crash harness cover it.
  const std::size_t maxf = pool_->max_frames();
  const int sel = r_.u8() % 8;
  std::size_t n;
  switch (sel) {
    case 0: n = 0; break;                        // fewer frames than regions: EINVAL
    case 1: n = maxf + 1; break;                 // past the maximum: EINVAL
    case 2: n = maxf; break;
    case 3: n = nframes_ + 1; break;
    case 4: n = nframes_ > 1 ? nframes_ - 1 : 1; break;
    default: n = 1 + r_.u8() % maxf; break;
  }
  const bool in_range = n >= 1 && n <= maxf;
  if (in_range && n < nframes_) {
    for (const world& w : worlds_)
      if (w.closed || w.locked() != 0) return;  // not exact: no call
  }
  const auto ec = pool_->resize(n);
  call("resize", -1, static_cast<long long>(n), static_cast<long long>(nframes_), 0, ec);
  each("resize", [&](world& w) {
    if (!in_range || w.closed) return ec == E(EINVAL);
    if (ec) return false;
    // A shrink evicts pages past the new size, dirty ones written first.
    if (n < nframes_) w.may_evict();
    return true;
  });
  if (!ec) {
    nframes_ = n;
    if (pool_->frames() != n) diverge("pool::frames() does not follow resize");
  } else if (pool_->frames() != nframes_) {
    diverge("a resize that failed changed pool::frames()");
  }
}

void empty_dir() {
  std::error_code e;
  for (const auto& ent : std::filesystem::directory_iterator(g_dir, e))
    std::filesystem::remove_all(ent.path(), e);
}

}  // namespace

namespace {
/// What the file system of g_dir says about O_DIRECT (the kernel's own
/// statement, STATX_DIOALIGN, else st_blksize up to 4 KiB).
std::size_t probe_direct_alignment() {
  const std::string p = g_dir + "/dio-probe";
  const int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_DIRECT | O_CLOEXEC, 0600);
  if (fd < 0) {
    ::unlink(p.c_str());
    return 0;
  }
  std::size_t a = 0;
#if defined(STATX_DIOALIGN)
  struct statx sx {};
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 && (sx.stx_mask & STATX_DIOALIGN) &&
      sx.stx_dio_offset_align != 0)
    a = sx.stx_dio_offset_align;
#endif
  struct stat st {};
  if (a == 0 && ::fstat(fd, &st) == 0 && st.st_blksize > 0)
    a = std::min<std::size_t>(static_cast<std::size_t>(st.st_blksize), 4096);
  ::close(fd);
  ::unlink(p.c_str());
  return a == 0 ? 4096 : a;
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "pagepool-fuzz-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  g_dir = tmpl;
  g_start = std::chrono::steady_clock::now();
  g_dio_align = probe_direct_alignment();
  std::fprintf(stderr, "pagepool_api_fuzz: scratch directory %s, O_DIRECT alignment %zu\n",
               g_dir.c_str(), g_dio_align);
  const char* t = std::getenv("PAGEPOOL_FUZZ_TRACE");
  g_print_trace = t != nullptr && *t == '1';
  std::atexit([] {
    report();
    std::error_code e;
    std::filesystem::remove_all(g_dir, e);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  empty_dir();
  g_trace.clear();
  {
    driver d(data, size);
    d.run();
  }
  if (g_print_trace) {
    std::fprintf(stderr, "---- input %llu: %zu calls\n", static_cast<unsigned long long>(g_inputs),
                 g_trace.size());
    print_trace();
  }
  ++g_inputs;
  if (g_calls >= g_next_report) {
    report();
    g_next_report += 1'000'000;
  }
  return 0;
}
