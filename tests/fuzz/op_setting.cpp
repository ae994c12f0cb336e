// tests/fuzz/op_setting.cpp: a handle's settings after creation in
// pagepool_api_fuzz (unlink, nofile, an unknown flag, maxsize, priority, and
// clear_len and ftype, which are EINVAL once open), and get_last_pgno.
#include <cstdint>
#include <system_error>

#include "driver.hpp"

namespace pagepool_fuzz {

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

}  // namespace pagepool_fuzz
