// tests/fuzz/op_put.cpp: put and set in pagepool_api_fuzz. op_put puts (or
// sets) one of the handle's pins, another handle's pin, an address put before,
// a stack buffer or a pointer past the start of a pinned page, with random
// flags and priority; op_double_put puts the same pin twice.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "driver.hpp"
#include "run_stats.hpp"

namespace pagepool_fuzz {

void driver::op_put(int k, bool set_only, int mode) {
  if (!obj_[k]) return;
  // mode 0..3: one of this handle's pins; 4: another handle's; 5: an address
  // put before; 6: a stack buffer; 7: a pinned page plus an offset.
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
    const std::uintptr_t off = offs[(pick >> 4) % 4];
    addr = any_pin[pick % any_pin.size()] + off;
    // 512 bytes past a page of 512 bytes is the next frame of its size class
    // (pool.hpp, "Page sizes": frames of 512-byte pages are 512 bytes), which
    // may hold a page pinned here; the other offsets are never a frame's
    // first byte.
    maybe_frame = off == 512;
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
    // A mapped page is found only through the handle that mapped it.
    if (maybe_frame)
      for (int o = 0; o < nhandles; ++o)
        for (const auto& p : w.h[o].pins)
          if (p.addr == addr) located = (p.mapped ? o == k : p.file == h.file) ? 1 : 0;
    if (located == 0) return ec == E(EINVAL);
    const std::error_code cp = check_put(h, prio, fl);
    if (located < 0) return ec == E(EINVAL) || (cp && ec == cp);
    // A page another handle pinned is not pinned here: EINVAL before any
    // check of the flags (file.hpp, put: "a pointer not pinned here is EINVAL
    // first"; set checks the pin first as well).
    pin_m* pn = h.pin_at(addr);
    if (pn == nullptr) return ec == E(EINVAL);
    if (cp) return ec == cp;
    if (ec) return false;
    page_m& pm = w.files[pn->file].pages[pn->p];
    if (!pn->mapped) {  // a mapped page has no dirty bit (and dirty is EACCES: read-only)
      if (fl & 2) pm.d = dirt::yes;
      if (fl & 1) pm.d = dirt::no;
    }
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

}  // namespace pagepool_fuzz
