// tests/fuzz/op_close.cpp: a handle going away in pagepool_api_fuzz: close
// (EBUSY with pages pinned), destruction of the handle object (pins released),
// and handle_gone, what the model does when a file loses a handle (a temporary
// or in-memory file's state is freed, a disk file's may linger).
#include "driver.hpp"
#include "run_stats.hpp"

namespace pagepool_fuzz {

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
          // The state may linger while a page of it is cached, and also
          // while it owes a sync (file.hpp, "Durability": an fsync of the
          // file, or of the directory of a file the pool created, is not
          // lost with the last close), which the model does not track:
          // both possible, whatever is cached.
          f.maybe_present = true;
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

}  // namespace pagepool_fuzz
