// src/core/pin_records.cpp: the records' slow paths (growth, the close-time
// count and drain) and the per-pool registry of every thread's records.
#include "core/pin_records.hpp"

#include <new>

namespace pagepool::internal {

pin_records::~pin_records() {
  chunk* c = first_.next.load(std::memory_order_relaxed);  // the owner is gone
  while (c != nullptr) {
    chunk* n = c->next.load(std::memory_order_relaxed);
    delete c;
    c = n;
  }
}

pin_records::entry& pin_records::at(std::uint32_t i) noexcept {
  chunk* c = &first_;
  for (std::uint32_t k = i / chunk_entries; k > 0; --k) c = c->next.load(std::memory_order_relaxed);
  return c->e[i % chunk_entries];
}

pin_records::entry* pin_records::grow() noexcept {
  if (hw_ == chunks_ * chunk_entries) {
    chunk* last = &first_;
    while (chunk* n = last->next.load(std::memory_order_relaxed)) last = n;
    chunk* c = new (std::nothrow) chunk();
    if (c == nullptr) return nullptr;
    last->next.store(c, std::memory_order_release);  // (PR1)
    ++chunks_;
  }
  last_ = hw_ < chunk_entries ? &first_.e[hw_] : &at(hw_);
  ++hw_;
  return last_;
}

void pin_records::shrink_hw() noexcept {
  while (hw_ > 0 && (hw_ <= chunk_entries ? first_.e[hw_ - 1] : at(hw_ - 1)).unused()) --hw_;
  last_ = hw_ == 0 ? nullptr : hw_ <= chunk_entries ? &first_.e[hw_ - 1] : &at(hw_ - 1);
}

std::uint64_t pin_records::count(std::uint64_t h) const noexcept {
  std::int64_t n = 0;
  for (const chunk* c = &first_; c != nullptr; c = c->next.load(std::memory_order_acquire))  // (PR1)
    for (const entry& e : c->e)
      if (e.handle.load(std::memory_order_relaxed) == h) n += e.live_plain() + e.live_write();
  return n > 0 ? static_cast<std::uint64_t>(n) : 0;
}

void pin_records::drain(std::uint64_t h, std::vector<drained>& out) noexcept {
  for (chunk* c = &first_; c != nullptr; c = c->next.load(std::memory_order_acquire)) {  // (PR1)
    for (entry& e : c->e) {
      if (e.handle.load(std::memory_order_relaxed) != h) continue;
      const std::int64_t p = e.live_plain(), w = e.live_write();
      // Gone: the owner's counts are the owner's to write.
      e.gone_plain.store(e.plain.load(std::memory_order_relaxed), std::memory_order_relaxed);
      e.gone_write.store(e.write.load(std::memory_order_relaxed), std::memory_order_relaxed);
      if (p <= 0 && w <= 0) continue;
      try {
        out.push_back({e.ref.load(std::memory_order_relaxed),
                       static_cast<std::uint32_t>(p > 0 ? p : 0),
                       static_cast<std::uint32_t>(w > 0 ? w : 0)});
      } catch (...) {  // out of memory: those pins stay (the handle leaks them)
      }
    }
  }
}

pin_records::pin_kind pin_records::take_for_other(std::uint64_t h, frame_ref ref, bool plain_only,
                                                  std::atomic<std::uint32_t>*& gone) noexcept {
  for (chunk* c = &first_; c != nullptr; c = c->next.load(std::memory_order_acquire)) {  // (PR1)
    for (entry& e : c->e) {
      if (e.handle.load(std::memory_order_relaxed) != h || e.ref.load(std::memory_order_relaxed) != ref)
        continue;
      if (e.live_plain() > 0) {
        gone = &e.gone_plain;
        gone->fetch_add(1, std::memory_order_relaxed);
        return pin_kind::plain;
      }
      if (!plain_only && e.live_write() > 0) {
        gone = &e.gone_write;
        gone->fetch_add(1, std::memory_order_relaxed);
        return pin_kind::write;
      }
    }
  }
  return pin_kind::none;
}

bool pin_records::holds_for_other(std::uint64_t h, frame_ref ref) const noexcept {
  for (const chunk* c = &first_; c != nullptr; c = c->next.load(std::memory_order_acquire))  // (PR1)
    for (const entry& e : c->e)
      if (e.handle.load(std::memory_order_relaxed) == h && e.ref.load(std::memory_order_relaxed) == ref &&
          (e.live_plain() > 0 || e.live_write() > 0))
        return true;
  return false;
}

namespace {
std::atomic<std::uint64_t> next_serial{1};  // relaxed: a unique number, orders nothing
}  // namespace

pin_registry::pin_registry() noexcept
    : serial_(next_serial.fetch_add(1, std::memory_order_relaxed)) {}

pin_records* pin_registry::slow_mine() noexcept {
  if (serial_ == forked_serial) return nullptr;  // a forked child: none here
  const std::thread::id me = std::this_thread::get_id();
  std::lock_guard g(mu_);
  pin_records* found = nullptr;
  for (auto& r : all_)
    if (r->owner() == me) found = r.get();
  if (found == nullptr) {
    try {
      all_.push_back(std::make_unique<pin_records>(me));
    } catch (...) {
      return nullptr;
    }
    found = all_.back().get();
  }
  cache_ = {serial_, found};
  return found;
}

std::uint64_t pin_registry::count(std::uint64_t h) const noexcept {
  std::lock_guard g(mu_);
  std::uint64_t n = 0;
  for (const auto& r : all_) n += r->count(h);
  return n;
}

pin_records::pin_kind pin_registry::take_from_others(std::uint64_t h, frame_ref ref,
                                                     const pin_records* self,
                                                     std::atomic<std::uint32_t>*& gone) noexcept {
  std::lock_guard g(mu_);
  // A plain pin anywhere first, as the owner's own remove does.
  for (bool plain_only : {true, false})
    for (auto& r : all_)
      if (r.get() != self)
        if (const auto k = r->take_for_other(h, ref, plain_only, gone); k != pin_records::pin_kind::none)
          return k;
  return pin_records::pin_kind::none;
}

bool pin_registry::others_hold(std::uint64_t h, frame_ref ref, const pin_records* self) const noexcept {
  std::lock_guard g(mu_);
  for (const auto& r : all_)
    if (r.get() != self && r->holds_for_other(h, ref)) return true;
  return false;
}

std::vector<pin_records::drained> pin_registry::drain(std::uint64_t h) noexcept {
  std::vector<pin_records::drained> out;
  std::lock_guard g(mu_);
  for (auto& r : all_) r->drain(h, out);
  return out;
}

}  // namespace pagepool::internal
