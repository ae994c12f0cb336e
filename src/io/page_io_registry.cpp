// src/io/page_io_registry.cpp: publishing and running the page-in/out
// functions and the log flush (the design and the edges X1, X2 are in
// io/page_io_registry.hpp).
#include "io/page_io_registry.hpp"

#include <cstring>
#include <new>

#include "io/checksum.hpp"
#include "pagepool/error.hpp"

namespace pagepool::internal {

namespace {
std::error_code err(int e) { return {e, std::generic_category()}; }
}  // namespace

page_io_registry::~page_io_registry() {
  // No reader is left: the current objects go now, retired ones with epoch_.
  // relaxed: every reader's last use happens-before the owner's destruction.
  for (auto& e : types_) delete e.load(std::memory_order_relaxed);
  delete log_flush_.load(std::memory_order_relaxed);
}

std::error_code page_io_registry::set(int ftype, page_io_fn pgin, page_io_fn pgout,
                                      const checksum_options* sum) noexcept {
  if (ftype < 1 || ftype >= ntypes) return err(EINVAL);
  // Moving a std::function does not throw: only the allocation can fail.
  const entry* e = new (std::nothrow)
      entry{std::move(pgin), std::move(pgout), sum != nullptr, sum ? *sum : checksum_options{}};
  if (e == nullptr) return err(ENOMEM);
  const entry* old;
  {
    std::lock_guard g(mu_);
    old = types_[ftype].exchange(e, std::memory_order_acq_rel);  // (X1)
  }
  epoch_.retire(old);  // freed after every reader that may hold it
  return {};
}

void page_io_registry::set_log_flush(log_flush_fn fn) noexcept {
  const log_flush_fn* p = nullptr;
  if (fn) {
    p = new (std::nothrow) log_flush_fn(std::move(fn));  // the move does not throw
    if (p == nullptr) return;  // out of memory: the previous function stays
  }
  const log_flush_fn* old;
  {
    std::lock_guard g(mu_);
    old = log_flush_.exchange(p, std::memory_order_acq_rel);  // (X1)
  }
  epoch_.retire(old);
}

bool page_io_registry::has_pgin(int ftype) noexcept {
  if (ftype < 1 || ftype >= ntypes) return false;
  auto g = epoch_.enter();
  const entry* e = types_[ftype].load(std::memory_order_acquire);  // (X2)
  return e != nullptr && (e->pgin || e->checksum);  // a checksum must be verified too
}

std::error_code page_io_registry::run(int ftype, std::size_t page_size,
                                      std::span<const std::byte> cookie, bool in, pgno_t pgno,
                                      void* page, bool from_disk) noexcept {
  if (ftype < 1 || ftype >= ntypes) return {};
  auto g = epoch_.enter();  // e stays alive while the function runs
  const entry* e = types_[ftype].load(std::memory_order_acquire);  // (X2)
  if (e == nullptr) return {};
  // The checksum wraps the application's pair: verify before its pgin,
  // stamp after its pgout, so that it covers the bytes on disk.
  std::ptrdiff_t field = -1;
  if (e->checksum) {
    field = checksum_field(e->sum, page_size);
    if (field < 0) return err(EINVAL);  // the field does not fit this file's pages
    if (in && from_disk &&
        verify_checksum(static_cast<const std::byte*>(page), page_size,
                        static_cast<std::size_t>(field)) == checksum_verdict::corrupt)
      return errc::page_corrupt;
  }
  const page_io_fn& fn = in ? e->pgin : e->pgout;
  if (fn) {
    int rc;
    try {
      rc = fn(pgno, page, cookie);
    } catch (...) {
      rc = EIO;  // a callback must not throw; the read or write fails instead
    }
    if (rc != 0) return err(rc);
  }
  if (!in && field >= 0)
    stamp_checksum(static_cast<std::byte*>(page), page_size, static_cast<std::size_t>(field));
  return {};
}

std::error_code page_io_registry::flush_log_for(const std::byte* page,
                                                std::size_t lsn_offset) noexcept {
  auto g = epoch_.enter();  // the function stays alive while it runs
  const log_flush_fn* flush = log_flush_.load(std::memory_order_acquire);  // (X2)
  if (flush == nullptr) return {};
  lsn l;
  std::memcpy(&l.file, page + lsn_offset, sizeof l.file);
  std::memcpy(&l.offset, page + lsn_offset + sizeof l.file, sizeof l.offset);
  int rc;
  try {
    rc = (*flush)(l);
  } catch (...) {
    rc = EIO;  // a callback must not throw; the write fails instead
  }
  return rc != 0 ? err(rc) : std::error_code{};
}

}  // namespace pagepool::internal
