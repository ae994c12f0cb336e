// src/core/file.cpp: pagepool::file and pagepool::page_handle, the public
// faces of core/pool_impl.
#include "pagepool/file.hpp"

#include "core/pool_impl.hpp"

namespace pagepool {

using internal::file_handle_state;
using internal::frame_ref;

namespace {
std::error_code err(int e) { return {e, std::generic_category()}; }
}  // namespace

file::file(std::shared_ptr<internal::pool_impl> pool) noexcept
    : pool_(std::move(pool)), st_(new (std::nothrow) file_handle_state()) {}

file::~file() {
  // A handle destroyed while open is closed; pins it still holds through the
  // raw API are released (page_handles must not outlive their file).
  if (pool_->forked()) {  // the parent's (pool.hpp, forked()): nothing is closed here
    pool_->abandon_after_fork();
    internal::fork_guard::keep_forever(std::move(pool_));
    return;
  }
  if (st_ && st_->open) (void)pool_->close_file(*st_, true);
}

std::error_code file::open(const std::optional<std::string>& path, open_flags flags, int mode,
                           std::size_t page_size) noexcept {
  if (!st_) return err(ENOMEM);
  if (pool_->forked()) return err(EINVAL);  // pool.hpp, forked()
  return pool_->open_file(*st_, path, flags, mode, page_size);
}

std::error_code file::close() noexcept {
  if (pool_->forked()) return err(EINVAL);
  return pool_->close_file(*st_);
}

// The thread's pin records could not be had: a forked child (pool.hpp,
// forked(): the handle refuses there) or no memory.
std::error_code file::no_records() const noexcept {
  return err(pool_->forked() ? EINVAL : ENOMEM);
}

std::error_code file::get(pgno_t* pgno, get_flags flags, void** page) noexcept {
  if (page == nullptr) return err(EINVAL);
  internal::pin_records* rec = pool_->pins.mine();
  if (rec == nullptr) return no_records();
  internal::fix_result r;
  if (auto ec = pool_->fix(*st_, pgno, flags, r)) return ec;
  if (!rec->add(st_->serial, r.ref, r.write)) [[unlikely]] {
    // Out of memory for the record: give the pin back, as if never taken.
    (void)pool_->unfix(*st_, r.ref, priority::unchanged, put_flags::none, false, r.write);
    return err(ENOMEM);
  }
  *page = r.page;
  return internal::no_error;
}

std::error_code file::get(pgno_t& pgno, get_flags flags, page_handle& out) noexcept {
  internal::fix_result r;
  if (auto ec = pool_->fix(*st_, &pgno, flags, r)) return ec;
  st_->handle_pins.add<&file_handle_state::pin_count::n>(1);
  if (out.data_ != nullptr) (void)out.release();  // out's old page, as move-assignment would
  out.file_ = this;
  out.data_ = r.page;
  out.size_ = st_->page_size;
  out.pgno_ = r.pgno;
  out.frame_ = r.ref;
  out.write_ = r.write;
  return internal::no_error;
}

file::optimistic file::optimistic_begin(pgno_t pgno, optimistic_ticket& t) noexcept {
  return static_cast<optimistic>(pool_->optimistic_begin(*st_, pgno, t));
}

void file::optimistic_failed() noexcept { pool_->optimistic_failed(*st_); }

std::error_code file::put(void* page, priority prio, put_flags flags) noexcept {
  frame_ref ref;
  if (auto ec = pool_->locate(*st_, page, ref)) return ec;
  if (auto ec = internal::pool_impl::check_put(*st_, prio, flags)) [[unlikely]]
    return held(ref) ? ec : err(EINVAL);  // a pointer not pinned here is EINVAL first
  internal::pin_records* rec = pool_->pins.mine();
  if (rec == nullptr) return no_records();
  // The record goes first: a pointer not got through this handle, or a pin
  // already put, finds none and changes nothing.
  using kind = internal::pin_records::pin_kind;
  const kind k = rec->remove(st_->serial, ref);
  if (k == kind::none) [[unlikely]]
    return put_other_threads_pin(ref, prio, flags);
  if (auto ec = pool_->unfix(*st_, ref, prio, flags, false, k == kind::write)) [[unlikely]] {
    (void)rec->add(st_->serial, ref, k == kind::write);  // reuses the freed entry
    return ec;
  }
  return internal::no_error;
}

std::error_code file::put_other_threads_pin(std::uint64_t ref, priority prio,
                                            put_flags flags) noexcept {
  // A pin another thread took and handed to this one: taken from that
  // thread's records (counted as gone there), or EINVAL if no thread holds it.
  std::atomic<std::uint32_t>* gone = nullptr;
  using kind = internal::pin_records::pin_kind;
  const kind k = pool_->pins.take_from_others(st_->serial, ref, pool_->pins.mine(), gone);
  if (k == kind::none) return err(EINVAL);
  if (auto ec = pool_->unfix(*st_, ref, prio, flags, false, k == kind::write)) {
    gone->fetch_sub(1, std::memory_order_relaxed);  // the pin stays that thread's
    return ec;
  }
  return internal::no_error;
}

std::error_code file::set(void* page, put_flags flags) noexcept {
  frame_ref ref;
  if (auto ec = pool_->locate(*st_, page, ref)) return ec;
  if (!held(ref)) return err(EINVAL);
  if (auto ec = internal::pool_impl::check_put(*st_, priority::unchanged, flags)) return ec;
  return pool_->unfix(*st_, ref, priority::unchanged, flags, true);
}

bool file::held(std::uint64_t ref) noexcept {
  internal::pin_records* rec = pool_->pins.mine();
  // A forked child holds nothing here, and must not take the registry's
  // mutex (a parent thread may have held it at the fork).
  if (rec == nullptr && pool_->forked()) return false;
  return (rec != nullptr && rec->holds(st_->serial, ref)) ||
         pool_->pins.others_hold(st_->serial, ref, rec);
}

std::error_code file::put_frame(std::uint64_t ref, bool write, priority prio,
                                put_flags flags) noexcept {
  if (auto ec = internal::pool_impl::check_put(*st_, prio, flags)) return ec;
  if (auto ec = pool_->unfix(*st_, ref, prio, flags, false, write)) return ec;
  st_->handle_pins.add<&file_handle_state::pin_count::n>(~0ull);  // -1
  return internal::no_error;
}

std::error_code file::set_frame(std::uint64_t ref, put_flags flags) noexcept {
  if (auto ec = internal::pool_impl::check_put(*st_, priority::unchanged, flags)) return ec;
  return pool_->unfix(*st_, ref, priority::unchanged, flags, true);
}

std::error_code file::sync() noexcept {
  if (!st_->open || pool_->forked()) return err(EINVAL);
  const auto& fs = pool_->shared(st_->slot);
  if (st_->rdonly || fs.temp.load(std::memory_order_relaxed) ||
      fs.nofile.load(std::memory_order_relaxed))
    return internal::no_error;  // BDB: a no-op for these
  return pool_->sync(std::nullopt, st_->slot);
}

// --- configuration

std::error_code file::set_flags(file_flags flags, bool on) noexcept {
  const auto f = static_cast<std::uint32_t>(flags);
  if ((f & ~static_cast<std::uint32_t>(file_flags::nofile | file_flags::unlink)) != 0)
    return err(EINVAL);
  if (any(flags, file_flags::nofile)) {
    if (st_->open) return err(EINVAL);
    st_->nofile = on;
  }
  if (any(flags, file_flags::unlink)) {
    // relaxed: a setting read at the last close, under the registry latch.
    st_->unlink.store(on, std::memory_order_relaxed);
    if (st_->open) pool_->shared(st_->slot).unlink.store(on, std::memory_order_relaxed);
  }
  return internal::no_error;
}

file_flags file::get_file_flags() const noexcept {
  auto f = file_flags::none;
  if (st_->nofile) f |= file_flags::nofile;
  const bool unl = st_->open ? pool_->shared(st_->slot).unlink.load(std::memory_order_relaxed)
                             : st_->unlink.load(std::memory_order_relaxed);
  if (unl) f |= file_flags::unlink;
  return f;
}

std::error_code file::set_clear_len(std::uint32_t len) noexcept {
  if (st_->open) return err(EINVAL);
  st_->clear_len = len;
  st_->clear_set = true;
  return internal::no_error;
}
std::uint32_t file::clear_len() const noexcept { return st_->clear_len; }

std::error_code file::set_fileid(const file_id& id) noexcept {
  if (st_->open) return err(EINVAL);
  st_->id = id;
  st_->id_set = true;
  return internal::no_error;
}
std::error_code file::get_fileid(file_id& id) const noexcept {
  if (!st_->open && !st_->id_set) return err(EINVAL);
  id = st_->id;
  return internal::no_error;
}

std::error_code file::set_ftype(int ftype) noexcept {
  if (st_->open) return err(EINVAL);
  if (ftype < 0 || ftype > 127) return err(EINVAL);
  st_->ftype = ftype;
  st_->ftype_set = true;
  return internal::no_error;
}
int file::ftype() const noexcept {
  // relaxed: a setting; a later open of the file may have replaced it.
  if (st_->open) return st_->shared->ftype.load(std::memory_order_relaxed);
  return st_->ftype;
}

std::error_code file::set_lsn_offset(std::int32_t offset) noexcept {
  if (st_->open) return err(EINVAL);
  if (offset < -1) return err(EINVAL);
  st_->lsn_offset = offset;
  st_->lsn_set = true;
  return internal::no_error;
}
std::int32_t file::lsn_offset() const noexcept { return st_->lsn_offset; }

std::error_code file::set_pgcookie(std::span<const std::byte> cookie) noexcept {
  if (st_->open) return err(EINVAL);
  try {
    st_->cookie.assign(cookie.begin(), cookie.end());
  } catch (...) {
    return err(ENOMEM);
  }
  st_->cookie_set = true;
  return internal::no_error;
}
std::vector<std::byte> file::pgcookie() const {
  if (st_->open) {  // the file's, which a later open may have replaced
    internal::file_local& fl = pool_->local(st_->slot);
    std::shared_lock ck(fl.cookie_mu);
    return fl.cookie;
  }
  return st_->cookie;
}

std::error_code file::set_priority(priority prio) noexcept {
  const int v = static_cast<int>(prio);
  if (v < 1 || v > 5) return err(EINVAL);
  // relaxed (prio, prio_set): settings, read at the next put and at open.
  if (st_->open) {
    st_->shared->prio.store(v, std::memory_order_relaxed);  // every handle's pages
  } else {
    st_->prio.store(v, std::memory_order_relaxed);
    st_->prio_set.store(true, std::memory_order_relaxed);
  }
  return internal::no_error;
}
priority file::get_priority() const noexcept {
  // relaxed: as set_priority.
  if (st_->open) return static_cast<priority>(st_->shared->prio.load(std::memory_order_relaxed));
  return static_cast<priority>(st_->prio.load(std::memory_order_relaxed));
}

std::error_code file::set_maxsize(std::uint64_t bytes) noexcept {
  st_->maxsize = bytes;
  st_->maxsize_set = true;
  if (st_->open)
    pool_->shared(st_->slot).maxpages.store(bytes == 0 ? internal::no_limit : bytes / st_->page_size,
                                            std::memory_order_relaxed);
  return internal::no_error;
}
std::uint64_t file::maxsize() const noexcept {
  if (st_->open) {
    const std::uint64_t m = pool_->shared(st_->slot).maxpages.load(std::memory_order_relaxed);
    return m == internal::no_limit ? 0 : m * st_->page_size;
  }
  return st_->maxsize;
}

std::error_code file::get_last_pgno(pgno_t* pgno) const noexcept {
  if (!st_->open || pgno == nullptr) return err(EINVAL);
  const std::uint32_t n = pool_->shared(st_->slot).npages.load(std::memory_order_relaxed);  // a count
  *pgno = n == 0 ? 0 : n - 1;
  return internal::no_error;
}

open_flags file::flags() const noexcept { return st_->flags; }
std::size_t file::page_size() const noexcept { return st_->page_size; }
bool file::is_open() const noexcept { return st_->open; }
bool file::is_mapped() const noexcept {
  return st_->map != nullptr &&
         pool_->shared(st_->slot).can_mmap.load(std::memory_order_relaxed);
}

// --- page_handle

std::error_code page_handle::set(put_flags flags) noexcept {
  if (data_ == nullptr) return err(EINVAL);
  return file_->set_frame(frame_, flags);
}

std::error_code page_handle::release(priority prio, put_flags flags) noexcept {
  if (data_ == nullptr) return err(EINVAL);
  if (auto ec = file_->put_frame(frame_, write_, prio, flags)) return ec;
  data_ = nullptr;
  file_ = nullptr;
  return internal::no_error;
}

}  // namespace pagepool
