// src/core/pool_impl.cpp: the pool's creation, destruction and close, the
// facades of write-back and statistics, and put's out-of-line parts.
// get is in core/hit_path.hpp (the hit) and core/get.cpp (the rest); frames'
// allocation, eviction and resize in core/frames.cpp.
//
// Synchronization edges (the frame's own, P1-P4, E1, E2, are in
// frame/frame.hpp; the bucket latch's in table/bucket_latch.hpp):
//   (F1) fs.frame_out() [release] after the evictor's last use of the
//        file state; the reaper's acquire loads (no_frames) pair with it.
#include "core/pool_impl.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "io/posix_io.hpp"
#include "share/region_file.hpp"
#include "stats/statistics.hpp"
#include "port/assert.hpp"

namespace pagepool::internal {

namespace {
std::error_code err(int e) { return {e, std::generic_category()}; }
}  // namespace

// -------------------------------------------------------------------- creation

std::error_code pool_impl::create(const pool_options& o, std::shared_ptr<pool_impl>& out) noexcept {
  const std::size_t fs = o.frame_size;
  if (o.region_files && o.home.empty()) return err(EINVAL);
  if (fs < 512 || fs > 65536 || !std::has_single_bit(fs)) return err(EINVAL);
  if (o.regions == 0 || o.max_files > 1u << 20) return err(EINVAL);
  if (o.max_open_fd < 0 || o.max_write < 0 || o.max_write_sleep.count() < 0) return err(EINVAL);
  const std::size_t frames = o.cache_frames ? o.cache_frames : o.cache_bytes / fs;
  if (frames == 0 || frames < o.regions) return err(EINVAL);
  if (frames / o.regions >= no_frame - 1) return err(EINVAL);
  const std::size_t max_frames =
      o.cache_max_bytes == 0 ? frames * 4 : std::max(frames, o.cache_max_bytes / fs);

  std::shared_ptr<pool_impl> p(new (std::nothrow) pool_impl());
  if (!p) return err(ENOMEM);
  p->opts_ = o;
  p->io_ = o.io ? o.io : posix_io();
  p->frame_size_ = fs;
  p->max_frames_ = max_frames;  // regions round their share up; the pool never exceeds the maximum
  p->nregions_ = o.regions;
  if (!o.home.empty()) {
    // Part 1 of sharing: the process registers; a second live process is
    // refused, since pages are not yet shared (share/registry.hpp).
    process_registry::attach_info info;
    if (auto ec = process_registry::attach(o.home, o.home_mode, o.create_home, /*alone=*/true,
                                           p->registry, info))
      return ec;
  }
  if (o.region_files) {
    if (auto ec = p->open_region_dir()) return ec;
    if (auto ec = p->make_pool_file()) return ec;
    // Every counter in the pool's files is counted as shared memory from
    // here on (stats/sharded_counter.hpp).
    auto alive = [](const void* ctx, std::uint32_t id) noexcept {
      return static_cast<const process_registry*>(ctx)->owner_alive(id);
    };
    if (!attach_shard_table(p->pool_file_.hdr().shard_owners, p->registry->owner_id(), alive,
                            p->registry.get()))
      return err(ENOMEM);
  }
  // relaxed: creation; nothing else can see the pool yet (a reader of the
  // pool file waits for ready, PF1).
  p->acct_->frames.store(frames, std::memory_order_relaxed);
  p->set_->mmap_size.store(o.mmap_size, std::memory_order_relaxed);
  p->set_->max_open_fd.store(o.max_open_fd, std::memory_order_relaxed);
  p->set_->max_write.store(o.max_write, std::memory_order_relaxed);
  p->set_->max_write_sleep_us.store(o.max_write_sleep.count(), std::memory_order_relaxed);
  if (auto ec = p->init_classes(frames)) return ec;
  try {
    file_table::backing files;
    if (p->pool_file_.mapped()) {
      files.spec.dir_fd = p->region_dir_.fd;
      files.spec.mode = o.home_mode;
      files.tag = p->region_tag_;
      files.state = &p->pool_file_.hdr().files;
    }
    if (auto ec = p->files_.init(o.max_files, p->io_.get(), files.state ? &files : nullptr))
      return ec;
    p->wb_.attach({&p->regions_, &p->acct_->live_classes, p->nregions_, &p->files_, p->io_.get(), &p->page_io_, p->pool_counters_,
                   &p->acct_->frames, p->set_, o.temp_dir});
  } catch (const std::bad_alloc&) {
    return err(ENOMEM);
  }
  if (auto ec = p->init_policy(o.policy)) return ec;
  if (p->pool_file_.mapped()) {
    pool_file_header& h = p->pool_file_.hdr();
    for (std::uint32_t c = 0; c < page_classes; ++c) h.caps[c] = p->geo_[c].cap;
    h.file_base = p->files_.base();
    p->pool_file_.publish();  // (PF1)
  }
  out = std::move(p);
  return {};
}

std::error_code pool_impl::make_pool_file() noexcept {
  if (auto ec = pool_file_.make(opts_.home, opts_.home_mode)) return ec;
  pool_file_header& h = pool_file_.hdr();
  h.pid = static_cast<std::int32_t>(::getpid());
  h.owner_id = registry->owner_id();
  h.nregions = nregions_;
  h.frame_size = static_cast<std::uint32_t>(frame_size_);
  // The region directory as a reader in another directory can open it.
  const std::string& dir = opts_.region_dir.empty() ? opts_.home : opts_.region_dir;
  char* real = ::realpath(dir.c_str(), nullptr);
  const char* named = real != nullptr ? real : dir.c_str();
  const std::size_t len = std::strlen(named);
  const bool fits = len < sizeof h.region_dir && region_tag_.size() < sizeof h.tag;
  if (fits) std::memcpy(h.region_dir, named, len + 1);
  std::free(real);
  if (!fits) return err(ENAMETOOLONG);
  std::memcpy(h.tag, region_tag_.c_str(), region_tag_.size() + 1);
  pool_counters_ = &h.counters;
  acct_ = &h.accounts;
  set_ = &h.settings;
  return {};
}

pool_impl::~pool_impl() {
  fork_guard::remove_child_hook(this);
  publisher.stop();  // it reads what follows
  bg_.stop();
  regions_.clear();  // before the pages they point into (and their files)
  if (arena_ != nullptr) ::munmap(arena_, arena_len_);
  // Its table of shard owners, attached with the pool file (a table never
  // attached is not found: nothing happens).
  if (pool_file_.mapped()) detach_shard_table(pool_file_.hdr().shard_owners);
}

pool_impl::dir_fd::~dir_fd() {
  if (fd >= 0) ::close(fd);
}

std::error_code pool_impl::open_region_dir() noexcept {
  const std::string& dir = opts_.region_dir.empty() ? opts_.home : opts_.region_dir;
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return err(errno);
  region_dir_.fd = fd;
  // The home's identity (its registry file's device and inode), so that
  // homes whose region files share a directory (a common tmpfs) never take
  // each other's files for their own.
  std::uint64_t home = 0;
  if (auto ec = home_identity(registry->path(), home)) return ec;
  static std::atomic<std::uint32_t> serial{0};
  char tag[96];
  std::snprintf(tag, sizeof tag, "%llx.%u.%d.%u", static_cast<unsigned long long>(home),
                registry->slot(), static_cast<int>(::getpid()),
                serial.fetch_add(1, std::memory_order_relaxed));  // relaxed: names only
  try {
    region_tag_ = tag;
  } catch (...) {
    return err(ENOMEM);
  }
  // Region files of this home left by earlier pools: a dead process's
  // (killed: nothing unlinked them), a pool's whose process left while
  // another process was attached (leave_home kept them), or a pool of this
  // process that is closed but whose memory lingers while a handle holds it
  // (its mapping outlives the name; it unlinks nothing of ours). A pool is
  // made only while no other live process is attached to the home (the
  // registry's attach with `alone`), so no live pool serves from them.
  remove_home_region_files(region_dir_.fd, home);
  return {};
}

void pool_impl::leave_home() noexcept {
  if (!registry) return;
  if (pool_file_.mapped()) {
    // The last process of the home removes the pool's files, under the
    // registry's latch; any other leaves them to the processes still
    // attached (papers/design/processes.md, part 6). Either way this
    // pool's objects no longer remove them when they go.
    registry->leave([](void* self) noexcept { static_cast<pool_impl*>(self)->remove_files(); },
                    this);
    keep_files();
  }
  registry.reset();
}

void pool_impl::remove_files() noexcept {
  for (std::uint32_t g = 0; g < page_classes * nregions_; ++g) {
    try {
      (void)::unlinkat(region_dir_.fd, region_file_name(region_tag_, g).c_str(), 0);
    } catch (...) {
      // no memory for the name: the file stays for pool::remove or the next pool
    }
  }
  files_.remove_files();
  pool_file_.remove_if_ours();
}

void pool_impl::keep_files() noexcept {
  {
    std::lock_guard g(resize_mu_);  // regions_ changes under it (ensure_class)
    for (auto& r : regions_)
      if (r) r->keep_file();
  }
  files_.keep_files();
  pool_file_.keep();
}

// ---------------------------------------------------------- write-back facades

std::error_code pool_impl::sync(std::optional<lsn> upto, std::uint32_t only_slot) noexcept {
  if (closed.load(std::memory_order_relaxed)) return err(EINVAL);
  return wb_.sync(upto, only_slot);
}

std::error_code pool_impl::trickle(int percent, int* written) noexcept {
  if (percent < 1 || percent > 100) return err(EINVAL);
  if (closed.load(std::memory_order_relaxed)) return err(EINVAL);
  std::int64_t n = 0;
  const std::error_code ec = wb_.clean_to(percent, n);
  counters().add<&pool_counters::page_trickle>(static_cast<std::uint64_t>(n));
  if (written != nullptr) *written = static_cast<int>(n);
  return ec;
}

std::error_code pool_impl::start_background_writer(int percent,
                                                    std::chrono::milliseconds period) noexcept {
  if (closed.load(std::memory_order_relaxed)) return err(EINVAL);
  return bg_.start(percent, period);
}

void pool_impl::background_pass(int percent) noexcept {
  counters().add<&pool_counters::bg_passes>();
  if (closed.load(std::memory_order_relaxed)) return;
  std::int64_t n = 0;
  if (wb_.clean_to(percent, n)) counters().add<&pool_counters::bg_errors>();
  counters().add<&pool_counters::bg_writes>(static_cast<std::uint64_t>(n));
}

// ------------------------------------------------------------------ statistics

pool_stats pool_impl::stats(bool clear) noexcept {
  pool_stats st;
  st.cache_bytes = std::uint64_t{frames()} * frame_size_;
  st.ncache = nregions_;
  st.frame_size = static_cast<std::uint32_t>(frame_size_);
  st.frames = static_cast<std::uint32_t>(frames());
  settings_into(*set_, st);
  st.page_bytes = used_bytes();
  stats_folder folder(st, clear);
  for (std::uint32_t c = 0; c < page_classes; ++c) {
    if (!class_live(c)) continue;  // (C1)
    for (std::uint32_t i = 0; i < nregions_; ++i) folder.add_region(*regions_[c * nregions_ + i]);
  }
  files_.latch().lock();
  folder.add_retired(files_.retired());
  const std::uint32_t nslots = files_.size();
  for (std::uint32_t i = 0; i < nslots; ++i) {
    file_shared& fs = files_.shared(i);
    if (!fs.used.load(std::memory_order_relaxed)) continue;
    file_local& fl = files_.local(i);
    std::shared_lock lk(fl.fd_mu);
    folder.add_file(fs.counters, fl.fd >= 0);
  }
  files_.latch().unlock();
  return folder.finish(counters());
}

std::vector<file_stats> pool_impl::file_statistics(bool clear) noexcept {
  std::vector<file_stats> out;
  files_.latch().lock();
  try {
    const std::uint32_t nslots = files_.size();
    for (std::uint32_t i = 0; i < nslots; ++i) {
      file_shared& fs = files_.shared(i);
      if (!fs.used.load(std::memory_order_relaxed)) continue;
      file_stats f = stats_folder::file_entry(fs.counters, clear);
      file_local& fl = files_.local(i);
      f.file_name = fl.path;
      f.pagesize = fs.page_size;
      {
        std::shared_lock lk(fl.fd_mu);
        f.direct_io = fl.direct;
      }
      out.push_back(std::move(f));
    }
  } catch (...) {
  }
  files_.latch().unlock();
  return out;
}

// ------------------------------------------------------------------ put (unfix)

std::error_code pool_impl::locate_mapped(const file_handle_state& h, std::uintptr_t a,
                                         frame_ref& ref) const noexcept {
  if (!h.open || h.map == nullptr) return err(EINVAL);
  const auto m = reinterpret_cast<std::uintptr_t>(h.map);
  if (a < m || a >= m + h.map_len || (a - m) % h.page_size != 0) return err(EINVAL);
  ref = make_ref(no_frame, static_cast<std::uint32_t>((a - m) / h.page_size));
  return no_error;
}

std::error_code pool_impl::check_put_slow(const file_handle_state& h, priority prio,
                                          put_flags flags) noexcept {
  using pf = put_flags;
  const auto fl = static_cast<std::uint32_t>(flags);
  constexpr auto known = static_cast<std::uint32_t>(pf::clean | pf::dirty | pf::discard);
  if ((fl & ~known) != 0) return err(EINVAL);
  if (any(flags, pf::clean) && any(flags, pf::dirty)) return err(EINVAL);
  const int pv = static_cast<int>(prio);
  if (pv < 0 || pv > 5) return err(EINVAL);
  if (any(flags, pf::dirty) && h.rdonly) return err(EACCES);
  return no_error;
}

void pool_impl::after_unpin(frame_ref ref, bool demote, policy::page_key pk) noexcept {
  // The policy also learns of a discarded or very_low page: list policies
  // move it to their eviction end, CLOCK hints it to the hand.
  if (demote) policy_demoted(ref_region(ref), ref_frame(ref), pk);
  // The last pin of a frame that a shrink took out of service: the page
  // leaves now (written first if dirty) and the frame's memory goes back.
  if (ref_frame(ref) >= regions_[ref_region(ref)]->nframes())
    retire_one(ref_region(ref), ref_frame(ref));
}

namespace {
std::atomic<std::uint64_t> handle_serials{1};  // relaxed: unique numbers, order nothing
}  // namespace

std::uint64_t file_handle_state::next_handle_serial() noexcept {
  return handle_serials.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace pagepool::internal
