// tests/fuzz/op_get.cpp: getting a page in pagepool_api_fuzz, and the stamps.
// op_get makes a get with random flags and page number and checks its result
// and the page's bytes against each world (the content oracle: resident,
// made, read back, not found, ENOMEM, ENOSPC, ...; a clean and a dirty
// outcome fork the world), printing what each world expected before a
// divergence. A get on a handle served by mmap returns the mapped page, whose
// bytes must be one of the file's possible contents. stamp fills a page pinned to write from a serial number, the
// file and the page number, and records it as the page's contents; op_stamp
// stamps one of a handle's write pins again.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "content.hpp"
#include "driver.hpp"
#include "run_stats.hpp"

namespace pagepool_fuzz {

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
    auto add_pin = [&](pgno_t p, bool write) { return add_pin_in(w, k, addr, p, write); };
    if (h.mapped && !f.had_writer && !is_new) {
      // Served from the handle's mapping (file.hpp, is_mapped): no frame, so
      // no ENOMEM and nothing evicted; the bytes are the file's own.
      if (last && h.map_pages == 0) return ec == not_found();
      const pgno_t p = last ? h.map_pages - 1 : asked;
      if (p < h.map_pages) {
        if (ec || pg != p) return false;
        page_m& pm = f.pages[p];
        if (pm.disk.empty()) pm.disk = {nullptr};
        if (pm.d != dirt::no) return false;  // a mapped state has had no writer: nothing dirty
        std::vector<cptr> fit;
        for (const auto& c : pm.disk) {
          const cptr want = c ? c : zeros(ps);  // a hole inside the file reads as zeros
          if (matches(*want, static_cast<const std::uint8_t*>(page))) fit.push_back(c);
        }
        if (fit.empty()) return false;
        pm.disk = std::move(fit);
        return add_pin_in(w, k, addr, p, false, true);
      }
    }
    const room rm = this->full(w, h.file, is_new ? f.npages : last && f.npages > 0 ? f.npages - 1 : asked);
    // ENOMEM where the model cannot tell (room::maybe): the pool evicted
    // what it could first.
    const bool full = rm == room::no || (rm == room::maybe && ec == E(ENOMEM));
    if (full && rm == room::maybe) w.may_evict();
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
  if (!ec && obj_[k]->is_mapped()) seen(get_mapped);
  if (!ec) seen(get_ok);
  else if (ec == E(ENOMEM)) {
    seen(get_enomem);
    if (w0().locked() < nframes_) seen(enomem_region);
  }
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

}  // namespace pagepool_fuzz
