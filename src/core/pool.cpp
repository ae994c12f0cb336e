// src/core/pool.cpp: pagepool::pool, the public face of core/pool_impl.
#include "pagepool/pool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <new>

#include "core/pool_impl.hpp"
#include "io/checksum.hpp"
#include "pagepool/checksum.hpp"
#include "pagepool/file.hpp"
#include "share/region_file.hpp"
#include "share/pool_file.hpp"
#include "share/registry.hpp"

namespace pagepool {

namespace {
std::error_code err(int e) { return {e, std::generic_category()}; }
}  // namespace

pool::pool(std::shared_ptr<internal::pool_impl> impl) noexcept : impl_(std::move(impl)) {}

pool::~pool() {
  if (!impl_) return;
  if (impl_->forked()) {
    impl_->abandon_after_fork();  // the parent's pages: nothing is written here
    internal::fork_guard::keep_forever(std::move(impl_));
    return;
  }
  impl_->stop_background_writer();
  if (impl_->close()) {
    // Handles still open, or a write failed: write what can be written and
    // stop serving; the memory stays until the last handle lets go of it.
    (void)impl_->sync(std::nullopt, internal::no_slot);
    impl_->closed.store(true, std::memory_order_relaxed);
  }
  impl_->publisher.stop();
  impl_->leave_home();  // the process leaves the home's registry (and, last, the pool's files)
}

std::error_code pool::create(const pool_options& options, std::unique_ptr<pool>& out) noexcept {
  std::shared_ptr<internal::pool_impl> impl;
  if (options.background_clean_percent < 0 || options.background_clean_percent > 100)
    return err(EINVAL);
  internal::fork_guard::install();
  // The configuration first: bad input changes nothing, not even the home.
  if (auto ec = internal::pool_impl::create(options, impl)) return ec;
  if (impl->registry) {  // a home: the process is registered (pool_impl::create)
    if (options.publish_period.count() > 0) {
      internal::pool_impl* raw = impl.get();  // the publisher stops before the pool goes
      if (auto ec = impl->publisher.start(options.publish_period, [raw] {
            // Stamped with the instant the fold begins: every count made
            // before it is in what is published.
            const auto taken = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
            (void)raw->registry->publish(raw->stats(false), taken);
          }))
        return ec;
    }
  }
  impl->fork_gen = internal::fork_guard::generation();
  if (!internal::fork_guard::add_child_hook(&internal::pool_impl::after_fork_in_child, impl.get()))
    return err(ENOMEM);
  if (options.background_clean_percent > 0) {
    if (auto ec = impl->start_background_writer(options.background_clean_percent,
                                                options.background_period))
      return ec;
  }
  out.reset(new (std::nothrow) pool(std::move(impl)));
  return out ? std::error_code{} : err(ENOMEM);
}

std::error_code pool::remove(const std::string& home, bool force) noexcept try {
  if (home.empty()) return err(EINVAL);
  // Before the registry goes: the home's identity (which names its region
  // files) and, from its pool file, a region directory apart from the home.
  std::uint64_t identity = 0;
  const bool known =
      !internal::home_identity(internal::process_registry::path_of(home), identity);
  std::string region_dir;
  {
    internal::pool_file pf;
    if (!pf.open_existing(home))
      region_dir.assign(pf.hdr().region_dir, ::strnlen(pf.hdr().region_dir, sizeof pf.hdr().region_dir));
  }
  if (auto ec = internal::process_registry::remove(home, force, nullptr)) return ec;
  if (known && !region_dir.empty()) {
    const int rd = ::open(region_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rd >= 0) {
      internal::remove_home_region_files(rd, identity);
      ::close(rd);
    }
  }
  // Region files a killed process left in the home (pool_options::
  // region_files); a live pool's are in use, and remove refused above
  // unless forced (its mappings then outlive the names).
  const int dir = ::open(home.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    internal::remove_region_files(dir, 0, internal::every_slot);
    // The pool file (share/pool_file.hpp); a region directory apart from
    // the home was cleared above.
    (void)::unlinkat(dir, internal::pool_file::file_name, 0);
    ::close(dir);
  }
  return {};
} catch (const std::bad_alloc&) {
  return err(ENOMEM);
}

std::error_code pool::processes(const std::string& home, std::vector<int>& pids) noexcept {
  pids.clear();
  std::vector<process_info> v;
  if (auto ec = attached(home, v)) return ec;  // EINVAL for an empty home
  try {
    for (const auto& p : v) pids.push_back(p.pid);
  } catch (...) {
    return err(ENOMEM);
  }
  return {};
}

std::error_code pool::failchk(unsigned* reaped, unsigned* live) noexcept {
  if (impl_->forked() || !impl_->registry) return err(EINVAL);
  std::uint32_t r = 0, l = 0;
  auto ec = impl_->registry->failchk(&r, &l);
  if (reaped) *reaped = r;
  if (live) *live = l;
  return ec;
}

std::error_code pool::attached(const std::string& home, std::vector<process_info>& out) noexcept {
  out.clear();
  if (home.empty()) return err(EINVAL);
  std::vector<internal::process_registry::published> v;
  if (auto ec = internal::process_registry::read_published(home, v)) return ec;
  try {
    for (const auto& p : v) {
      process_info i;
      i.pid = p.pid;
      i.attached = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::nanoseconds(p.attached_ns)));
      i.published = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::nanoseconds(p.published_ns)));
      i.has_stats = p.published_ns != 0;
      i.stats = p.stats;
      out.push_back(i);
    }
  } catch (...) {
    return err(ENOMEM);
  }
  return {};
}

bool pool::forked() const noexcept { return impl_->forked(); }

std::unique_ptr<file> pool::file_create() noexcept {
  if (impl_->closed.load(std::memory_order_relaxed) || impl_->forked()) return nullptr;
  std::unique_ptr<file> f(new (std::nothrow) file(impl_));
  if (f && !f->st_) f.reset();
  return f;
}

std::error_code pool::register_page_io(int ftype, page_io_fn pgin, page_io_fn pgout) noexcept {
  if (impl_->forked()) return err(EINVAL);
  return impl_->register_page_io(ftype, std::move(pgin), std::move(pgout));
}

void pool::set_log_flush(log_flush_fn fn) noexcept { impl_->set_log_flush(std::move(fn)); }

std::error_code pool::sync(std::optional<lsn> upto) noexcept {
  if (impl_->forked()) return err(EINVAL);
  return impl_->sync(upto, internal::no_slot);
}

std::error_code pool::trickle(int percent, int* written) noexcept {
  if (impl_->forked()) return err(EINVAL);
  return impl_->trickle(percent, written);
}

pool_stats pool::stats(bool clear) noexcept { return impl_->stats(clear); }
std::vector<file_stats> pool::file_statistics(bool clear) noexcept {
  return impl_->file_statistics(clear);
}

std::size_t pool::frames() const noexcept { return impl_->frames(); }
std::error_code pool::set_policy(policy_kind kind) noexcept {
  if (impl_->forked()) return err(EINVAL);
  return impl_->set_policy(kind);
}
policy_kind pool::policy() const noexcept { return impl_->policy(); }
std::error_code pool::resize(std::size_t frames) noexcept {
  if (impl_->forked()) return err(EINVAL);
  return impl_->resize(frames);
}
std::size_t pool::max_frames() const noexcept { return impl_->max_frames(); }
std::size_t pool::frame_size() const noexcept { return impl_->frame_size(); }
unsigned pool::regions() const noexcept { return impl_->nregions(); }

void pool::set_mmap_size(std::size_t bytes) noexcept {
  impl_->settings().mmap_size.store(bytes, std::memory_order_relaxed);
}
std::size_t pool::mmap_size() const noexcept {
  return static_cast<std::size_t>(impl_->settings().mmap_size.load(std::memory_order_relaxed));
}
std::error_code pool::set_max_open_fd(int n) noexcept {
  if (n < 0) return err(EINVAL);
  impl_->settings().max_open_fd.store(n, std::memory_order_relaxed);
  return {};
}
int pool::max_open_fd() const noexcept {
  return impl_->settings().max_open_fd.load(std::memory_order_relaxed);
}
std::error_code pool::set_max_write(int writes, std::chrono::microseconds sleep) noexcept {
  if (writes < 0 || sleep.count() < 0) return err(EINVAL);
  impl_->settings().max_write.store(writes, std::memory_order_relaxed);
  impl_->settings().max_write_sleep_us.store(sleep.count(), std::memory_order_relaxed);
  return {};
}
void pool::max_write(int* writes, std::chrono::microseconds* sleep) const noexcept {
  if (writes) *writes = impl_->settings().max_write.load(std::memory_order_relaxed);
  if (sleep)
    *sleep = std::chrono::microseconds(impl_->settings().max_write_sleep_us.load(std::memory_order_relaxed));
}

std::error_code pool::close() noexcept {
  if (impl_->forked()) return err(EINVAL);
  return impl_->close();
}

std::error_code pool::start_background_writer(int clean_percent,
                                              std::chrono::milliseconds period) noexcept {
  if (impl_->forked()) return err(EINVAL);
  return impl_->start_background_writer(clean_percent, period);
}
void pool::stop_background_writer() noexcept {
  if (impl_->forked()) return impl_->abandon_after_fork();
  impl_->stop_background_writer();
}
bool pool::background_writer_running() const noexcept {
  return impl_->background_writer_running();
}

std::error_code register_checksum(pool& p, int ftype, const checksum_options& options,
                                  page_io_fn pgin, page_io_fn pgout) noexcept {
  using place = checksum_options::place;
  if (options.where != place::trailer && options.where != place::offset)
    return errno_code(EINVAL);
  // A field that fits no page of any size (pool.hpp, "Page sizes"); one that
  // fits larger pages but not a file's own is found at that file's I/O.
  if (internal::checksum_field(options, 65536) < 0) return errno_code(EINVAL);
  return p.impl().register_page_io(ftype, std::move(pgin), std::move(pgout), &options);
}

}  // namespace pagepool
