// tests/fuzz/model.hpp: pagepool_api_fuzz's reference model, what the pool may
// hold in one possible world (world: files, their pages, the handles and their
// pins), and the rules shared by several calls (add_pin_in, check_put).
//
// pagepool documents which page a get hits, which error a call returns and
// what a page holds; it leaves free which unpinned page an eviction picks and
// which pages a trickle writes. The model therefore tracks, per page, what the
// pool may hold:
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
// and the get tells the model which. ENOMEM is predicted (driver::full): a
// get that needs a frame fails when every frame of the page's region (of its
// page size's class; region_of: the file's slot and the page number) holds a
// pinned page or a page of an in-memory file, and succeeds when the pinned
// and in-memory pages of every size leave room in the byte budget for it
// (alloc_timeout is 0); in between it depends on whether an unpinned page of
// that region is still cached, and either result is accepted.
//
// mmap: a read-only handle may be served by a mapping of the file (is_mapped,
// read back after open). Its gets use no frame: they return the file's bytes
// (one of `disk`), and their pins (pin_m::mapped) hold no frame and can be
// put only through that handle. A writer opening the state ends it: the
// handle's later gets go through the cache (file_m::had_writer).
//
// One thing no call reveals: whether the pool still holds the state of a
// file that no handle has open (it lingers while a frame holds one of its
// pages). Reopening such a file joins the old state (its page count and
// settings) or starts a new one from the file on disk. The model is a set of
// possible worlds: at such an open it forks one world per possibility, and
// each later result keeps only the worlds that allow it (the open itself, then
// get_last_pgno, maxsize, clear_len, ftype and lsn_offset, asked right after).
// A failed open changes nothing, so a world whose kept state allows the error
// stays unforked. No world left is a divergence (driver.hpp, driver::each).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "content.hpp"
#include "fuzz_common.hpp"

namespace pagepool_fuzz {

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
//   present, last handle closed --------------------------> present? (a page
//        may be resident, or a sync is owed: file.hpp, "Durability") and
//        gone? (always possible: frames emptied, sync paid, reaped)
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
  // The pool's file slot of the state (observed at each open: it is the
  // pool's name for the state, and with the page number it selects the
  // region, region_of); a join keeps it.
  std::uint32_t slot = no_slot;
  // A handle that may write opened the state since it was made: its pages
  // are served by mmap no more (file_shared::can_mmap).
  bool had_writer = false;
  std::map<pgno_t, page_m> pages;
};

struct pin_m {
  std::uintptr_t addr;
  int file;
  pgno_t p;
  unsigned plain, write;
  bool mapped = false;  // a page of the handle's mmap: no frame, only this handle can put it
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
  // Opened with a mapping of the file (is_mapped() right after open), of
  // map_pages pages; gets are served from it while the state has had no
  // writer (file_m::had_writer).
  bool mapped = false;
  std::uint32_t map_pages = 0;
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

  /// Page p of file f is pinned in a frame (pins of mapped pages hold none).
  bool pinned(int f, pgno_t p) const {
    for (const auto& hh : h)
      for (const auto& pn : hh.pins)
        if (pn.file == f && pn.p == p && !pn.mapped) return true;
    return false;
  }
  /// Frames of region r (of nreg) that cannot be given to another page:
  /// pinned pages and pages of in-memory files routed there; r < 0: of all
  /// regions.
  std::size_t locked(int r = -1, unsigned nreg = 1) const {
    std::set<std::pair<int, pgno_t>> s;
    auto in_r = [&](int f, pgno_t p) {
      return r < 0 || region_of(files[f].slot, p, nreg) == static_cast<unsigned>(r);
    };
    for (const auto& hh : h)
      for (const auto& pn : hh.pins)
        if (!pn.mapped && in_r(pn.file, pn.p)) s.insert({pn.file, pn.p});
    for (std::size_t i = 0; i < files.size(); ++i)
      if (files[i].alive && files[i].kind == fkind::nofile)
        for (const auto& [p, pm] : files[i].pages)
          if (in_r(static_cast<int>(i), p)) s.insert({static_cast<int>(i), p});
    return s.size();
  }
  /// Locked pages (as locked() counts them) of files whose page size is `ps`
  /// in region r of that size's class (region_of), and the bytes of every
  /// locked page of every size.
  std::pair<std::size_t, std::size_t> locked_class(std::size_t ps, unsigned r, unsigned nreg) const {
    std::set<std::pair<int, pgno_t>> s;
    for (const auto& hh : h)
      for (const auto& pn : hh.pins)
        if (!pn.mapped) s.insert({pn.file, pn.p});
    for (std::size_t i = 0; i < files.size(); ++i)
      if (files[i].alive && files[i].kind == fkind::nofile)
        for (const auto& [p, pm] : files[i].pages) s.insert({static_cast<int>(i), p});
    std::size_t in_r = 0, bytes = 0;
    for (const auto& [f, p] : s) {
      bytes += files[f].ps;
      if (files[f].ps == ps && region_of(files[f].slot, p, nreg) == r) ++in_r;
    }
    return {in_r, bytes};
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
inline bool add_pin_in(world& w, int k, std::uintptr_t addr, pgno_t p, bool write,
                       bool mapped = false) {
  handle_m& h = w.h[k];
  if (pin_m* pn = h.pin_at(addr)) {
    if (pn->file != h.file || pn->p != p || pn->mapped != mapped) return false;  // one address, two pages
    (write ? pn->write : pn->plain)++;
    return true;
  }
  for (const auto& hh : w.h)
    for (const auto& o : hh.pins)
      if (o.addr == addr && (o.file != h.file || o.p != p)) return false;
  h.pins.push_back({addr, h.file, p, write ? 0u : 1u, write ? 1u : 0u, mapped});  // plain, write
  return true;
}

/// check_put (core/pool_impl.cpp), as put and set document it.
inline std::error_code check_put(const handle_m& hm, int prio, std::uint32_t flags) {
  constexpr std::uint32_t known = 0x7;
  if ((flags & ~known) != 0) return E(EINVAL);
  if ((flags & 1) && (flags & 2)) return E(EINVAL);
  if (prio < 0 || prio > 5) return E(EINVAL);
  if ((flags & 2) && hm.rdonly) return E(EACCES);
  return ok;
}

}  // namespace pagepool_fuzz
