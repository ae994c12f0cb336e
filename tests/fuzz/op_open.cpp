// tests/fuzz/op_open.cpp: opening a file in pagepool_api_fuzz. configure sets
// a fresh handle's settings (clear_len, lsn_offset, ftype, maxsize, flags,
// priority; valid and not), op_open opens it with random flags, mode, page
// size and path (a disk file, a temporary file, "", the directory, a missing
// parent) and predicts the result in every world, forking a world where a
// disk file's state may or may not linger; observe_open reads the file's
// state back right after a successful open and keeps the worlds it fits.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/pool_impl.hpp"  // file_handle_state::slot
#include "driver.hpp"
#include "run_stats.hpp"

namespace pagepool_fuzz {

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
  if (disk >= 0 && ps >= 512 && ps <= 65536 && (ps & (ps - 1)) == 0 &&
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
      // Every page size from 512 to 65536, in one pool (pool.hpp, "Page sizes").
      if (ps < 512 || ps > 65536 || (ps & (ps - 1)) != 0) return E(EINVAL);
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
      // A file type replaces the file's (set_ftype: "will replace the
      // existing information"); the clear length and LSN offset must match.
      return f.ps != ps ||
             (h.clear_set && h.clear_len != f.clear_len) || (h.lsn_set && h.lsn != f.lsn);
    };
    auto fresh_state = [&](file_m& f) {
      f.ps = ps;
      f.maxpages = no_limit;
      f.clear_len = h.clear_len;
      f.ftype = h.ftype;
      f.lsn = h.lsn_set ? h.lsn : -1;
      f.unlink = false;
      f.slot = no_slot;  // observed after the open
      f.had_writer = false;
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
          if (!rdonly) vf.had_writer = true;
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
    if (h.ftype_set) f.ftype = h.ftype;
    if (!rdonly) f.had_writer = true;
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
  if (!ec) observe_open(k, flags);
}

void driver::observe_open(int k, std::uint32_t flags) {
  file& fo = *obj_[k];
  // The pool's slot for the file state: with the page number it selects a
  // page's region (region_of). Not an API result, so observed, not
  // predicted, except that a state joined keeps its slot.
  const std::uint32_t slot = fo.state().slot;
  const bool mapped = fo.is_mapped();
  call("is_mapped", k, mapped, slot, 0, ok);
  if (mapped) seen(open_mapped);
  each("open: the slot and the mapping", [&](world& w) {
    handle_m& h = w.h[k];
    file_m& f = w.files[h.file];
    if (f.slot != no_slot && f.slot != slot) return false;
    f.slot = slot;
    // Mapped (file_registry.cpp, open): a read-only handle without nommap
    // or direct on a disk file of 1 page or more, no larger than mmap_size,
    // whose state no writer has opened, and no page of it cached.
    const bool can = f.kind == fkind::disk && h.rdonly && !(flags & 0x30) && f.npages > 0 &&
                     std::uint64_t{f.npages} * h.ps <= opts_.mmap_size && !f.had_writer;
    if (!can) return !mapped;
    bool cached = false;  // a page of the file may be resident
    for (const auto& [p, pm] : f.pages)
      if (pm.mem) cached = true;
    if (!mapped) return cached;
    for (auto& [p, pm] : f.pages) {
      // A page pinned in a frame, or dirty, is cached: not mapped then.
      if (pm.d != dirt::no || w.pinned(h.file, p)) return false;
      pm.mem = nullptr;  // no frame holds a page of the file
    }
    h.mapped = true;
    h.map_pages = f.npages;
    return true;
  });
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

}  // namespace pagepool_fuzz
