// src/core/pool_impl.hpp: the pool behind pagepool::pool and pagepool::file.
//
// Shared state (regions and the file table) lives in mappings and refers to
// itself by index. Process-local state sits beside it: per-file descriptors,
// paths and cookies (core/file_table.hpp, file_local), the page-in/out
// registry (io/page_io_registry.hpp), the threads' pin records
// (core/pin_records.hpp) and each handle's state (file_handle_state).
// Write-back (flush/writeback.hpp), the background writer
// (flush/background_writer.hpp) and statistics (stats/statistics.hpp) are
// parts of their own with narrow interfaces; this class owns them and wires
// them to the regions and the file table.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "pagepool/checksum.hpp"
#include "pagepool/file.hpp"
#include "pagepool/pool.hpp"
#include "core/file_table.hpp"
#include "core/pin_records.hpp"
#include "core/policy_host.hpp"
#include "flush/background_writer.hpp"
#include "flush/writeback.hpp"
#include "io/page_io_registry.hpp"
#include "share/fork_guard.hpp"
#include "share/pool_file.hpp"
#include "share/registry.hpp"
#include "share/stats_publisher.hpp"
#include "io/scratch_page.hpp"
#include "port/assert.hpp"
#include "region/region.hpp"
#include "stats/sharded_counter.hpp"
#include "table/bucket_latch.hpp"

namespace pagepool::internal {

/// The success value, built once: a default-constructed std::error_code calls
/// std::system_category() out of line, which the get/put path would pay for
/// at every return.
inline const std::error_code no_error{};
constexpr frame_ref make_ref(std::uint32_t r, std::uint32_t f) { return (frame_ref{r} << 32) | f; }

/// Page-size classes (pool.hpp, "Page sizes"): class c holds pages of
/// 512 << c bytes, 512 B to 64 KiB. Each class has the pool's `regions`
/// regions; region g of the pool is region g % nregions of class g / nregions.
inline constexpr unsigned page_classes = 8;
inline constexpr unsigned min_page_shift = 9;
constexpr std::uint32_t class_of(std::size_t page_size) noexcept {
  return static_cast<std::uint32_t>(std::countr_zero(page_size)) - min_page_shift;
}
constexpr std::uint32_t ref_region(frame_ref x) { return static_cast<std::uint32_t>(x >> 32); }
constexpr std::uint32_t ref_frame(frame_ref x) { return static_cast<std::uint32_t>(x); }

/// One handle (BDB: DB_MPOOLFILE), process-local.
struct file_handle_state {
  // Configuration given before open.
  std::uint32_t clear_len = 0;
  bool clear_set = false;
  file_id id{};
  bool id_set = false;
  int ftype = 0;
  bool ftype_set = false;
  std::int32_t lsn_offset = -1;
  bool lsn_set = false;
  std::vector<std::byte> cookie;
  bool cookie_set = false;
  // The priority set before open (prio_set), given to the file at open;
  // once open the file's own (file_shared::prio) is the one.
  std::atomic<int> prio{static_cast<int>(priority::normal)};
  std::atomic<bool> prio_set{false};
  std::uint64_t maxsize = 0;
  bool maxsize_set = false;
  bool nofile = false;  // file_flags::nofile, fixed at open
  std::atomic<bool> unlink{false};  // file_flags::unlink given through this handle
  // Set by open.
  bool open = false;
  bool closed = false;
  open_flags flags = open_flags::none;
  bool rdonly = false;
  std::uint32_t slot = no_slot;
  std::size_t page_size = 0;
  std::uint32_t cls = 0;  // class_of(page_size)
  file_shared* shared = nullptr;  // the file's state (chunks never move)
  // mmap (read-only small files).
  std::byte* map = nullptr;
  std::size_t map_len = 0;
  std::uint32_t map_pages = 0;
  // Names the handle in the threads' pin records (pin_records.hpp); never
  // reused.
  std::uint64_t serial = next_handle_serial();
  static std::uint64_t next_handle_serial() noexcept;
  // Pins held through this handle's page_handles (raw pins are in the
  // threads' pin records).
  struct pin_count {
    counter n;  // page_handle pins: added on get, subtracted on release
  };
  sharded<pin_count> handle_pins;
};

/// What fix() hands back.
struct fix_result {
  frame_ref ref = 0;
  void* page = nullptr;
  pgno_t pgno = 0;
  bool write = false;  // a pin to write (frame_state writers)
};

class pool_impl {
 public:
  static std::error_code create(const pool_options& o, std::shared_ptr<pool_impl>& out) noexcept;
  ~pool_impl();

  // --- files (core/file_registry.cpp)
  std::error_code open_file(file_handle_state& h, const std::optional<std::string>& path,
                            open_flags flags, int mode, std::size_t page_size) noexcept;
  /// EBUSY while h holds pins, unless force: then its raw pins are released
  /// first (a handle destroyed while open).
  std::error_code close_file(file_handle_state& h, bool force = false) noexcept;
  file_shared& shared(std::uint32_t slot) noexcept { return files_.shared(slot); }
  /// Slots of the file table handed out so far (tests: slots are reused).
  std::uint32_t file_slots() const noexcept { return files_.size(); }
  /// Region r's policy latch (tests: a hit never waits for it).
  policy_latch& policy_latch_of(std::uint32_t r) noexcept { return pslots_[r].mu; }
  file_local& local(std::uint32_t slot) noexcept { return files_.local(slot); }
  /// The backend every file operation goes through (pool_options::io).
  io_backend& io() noexcept { return *io_; }

  // --- pages (core/pool_impl.cpp)
  /// Pins a page (get). The latch-free hit is inline here (core/hit_path.hpp);
  /// everything else is fix_slow.
  inline std::error_code fix(file_handle_state& h, pgno_t* pgno, get_flags flags,
                             fix_result& out) noexcept;
  /// Unpins (set_only: changes flags, keeps the pin). The caller has checked
  /// the arguments (check_put) and the pin (pin records or page_handle).
  inline std::error_code unfix(file_handle_state& h, frame_ref ref, priority prio, put_flags flags,
                               bool set_only, bool to_write = false) noexcept;
  /// EINVAL / EACCES for put or set arguments that are wrong whatever the page.
  [[gnu::always_inline]] static std::error_code check_put(const file_handle_state& h, priority prio,
                                                          put_flags flags) noexcept {
    if (flags == put_flags::none && prio == priority::unchanged) [[likely]]
      return no_error;
    return check_put_slow(h, prio, flags);
  }
  static std::error_code check_put_slow(const file_handle_state& h, priority prio,
                                        put_flags flags) noexcept;
  /// Every thread's raw-pointer pins (file::get(pgno_t*, ...) / put(void*)).
  pin_registry pins;
  /// Optimistic read (file::optimistic_begin): 0 if page p of h's file is
  /// resident with no pin to write running (t filled; nothing pinned), 1 if
  /// a pin to write is running, 2 if it is not resident.
  int optimistic_begin(file_handle_state& h, pgno_t p, pagepool::optimistic_ticket& t) noexcept;
  /// Counts a validation that failed.
  void optimistic_failed(file_handle_state& h) noexcept;
  /// The frame_ref of a page address (a frame's page, or a page of h's
  /// mapped file), by arithmetic; EINVAL for any other address. Whether the
  /// caller holds a pin of it is for the pin records to say.
  [[gnu::always_inline]] std::error_code locate(const file_handle_state& h, const void* page,
                                                frame_ref& ref) const noexcept {
    const auto a = reinterpret_cast<std::uintptr_t>(page);
    const std::uintptr_t off = a - reinterpret_cast<std::uintptr_t>(arena_);
    if (off < arena_len_) [[likely]] {
      // The arena is one span per class (create()): the class from the high
      // bits, then region and frame by that class's shifts.
      const class_geometry& cg = geo_[off >> class_span_shift_];
      const std::uintptr_t in = off & ((std::uintptr_t{1} << class_span_shift_) - 1);
      if ((in & ((std::uintptr_t{1} << cg.frame_shift) - 1)) == 0) {
        const std::uintptr_t g = in >> cg.frame_shift;
        const auto r = static_cast<std::uint32_t>(g >> cg.stride_shift);
        const auto f = static_cast<std::uint32_t>(g & ((std::uintptr_t{1} << cg.stride_shift) - 1));
        if (r < nregions_ && f < cg.cap) {
          ref = make_ref(cg.first_region + r, f);
          return no_error;
        }
      }
      return std::error_code(EINVAL, std::generic_category());
    }
    return locate_mapped(h, a, ref);
  }

  // --- write-back (flush/writeback.hpp; the checks are in core/pool_impl.cpp)
  std::error_code sync(std::optional<lsn> upto, std::uint32_t only_slot) noexcept;
  std::error_code trickle(int percent, int* written) noexcept;

  // --- registry of page-in/out functions and the log flush
  /// With `sum`, the entry also stamps and verifies a CRC32C around pgin /
  /// pgout (io/checksum.hpp; pagepool/checksum.hpp says how they compose).
  std::error_code register_page_io(int ftype, page_io_fn pgin, page_io_fn pgout,
                                   const checksum_options* sum = nullptr) noexcept {
    return page_io_.set(ftype, std::move(pgin), std::move(pgout), sum);
  }
  void set_log_flush(log_flush_fn fn) noexcept { page_io_.set_log_flush(std::move(fn)); }

  // --- statistics (the walk in core/pool_impl.cpp, the folding in stats/statistics.cpp)
  pool_stats stats(bool clear) noexcept;
  std::vector<file_stats> file_statistics(bool clear) noexcept;

  std::error_code close() noexcept;

  /// The budget in frames of the default page size (frame_size): the pool's
  /// size as pool_options gave it and resize changes it.
  std::size_t frames() const noexcept { return acct_->frames.load(std::memory_order_relaxed); }
  std::size_t max_frames() const noexcept { return max_frames_; }
  std::error_code resize(std::size_t frames) noexcept;
  /// Grows or shrinks every live class's regions to what `bytes` pays for
  /// (resize's work; under resize_mu_). Stops at the first region whose
  /// grow fails (its region file's directory is full) with that error.
  std::error_code size_regions(std::size_t bytes) noexcept;
  /// Evicts and retires frames past region r's limit that nobody pins. With
  /// `force` false it runs only if the region says some are left, and not
  /// while another thread drains it.
  void drain_excess(std::uint32_t r, bool force) noexcept;
  /// Evicts frame i of region r if it is past the limit and nobody pins it,
  /// and retires it.
  void retire_one(std::uint32_t r, std::uint32_t i) noexcept;
  /// True if the page in frame f of region r must never be evicted (its file
  /// is in memory only). The caller owns the frame or reads a hint.
  bool unevictable(std::uint32_t r, std::uint32_t f) noexcept;
  /// The default page size (pool_options::frame_size): the unit of frames().
  std::size_t frame_size() const noexcept { return frame_size_; }

  // --- page-size classes (core/page_classes.cpp)
  /// Creates class c's regions and policies if no file of that page size
  /// was opened before (the default class exists from the start). ENOMEM
  /// if the mapping fails; nothing changes then.
  std::error_code ensure_class(std::uint32_t c) noexcept;
  /// At creation: every class's geometry, the arena, the default class.
  std::error_code init_classes(std::size_t frames) noexcept;
  /// Whether class c's regions exist.
  /// acquire: pairs with ensure_class's release (C1): a thread that sees the
  /// bit also sees the class's regions and policy slots constructed.
  bool class_live(std::uint32_t c) const noexcept {
    return (acct_->live_classes.load(std::memory_order_acquire) >> c) & 1u;  // (C1)
  }
  /// Bytes of page memory the budget allows now, and bytes held by frames
  /// taken from the free lists (holding or loading a page), all classes /
  /// class c. relaxed: figures for the budget's checks and for statistics.
  std::size_t budget_bytes() const noexcept { return frames() * frame_size_; }
  std::size_t used_bytes() const noexcept { return acct_->used.load(std::memory_order_relaxed); }
  std::size_t class_bytes(std::uint32_t c) const noexcept {
    return acct_->class_used[c].load(std::memory_order_relaxed);
  }

  // --- eviction policy (core/policy_host.cpp)
  // --- eviction policy (core/policy_host.cpp)
  std::error_code set_policy(policy_kind kind) noexcept;
  policy_kind policy() const noexcept {
    return static_cast<policy_kind>(kind_.load(std::memory_order_relaxed));
  }
  /// The key of the page frame f of region r holds (the caller pins or owns it).
  policy::page_key key_of(std::uint32_t r, std::uint32_t f) noexcept {
    const frame& fr = regions_[r]->frame_at(f);
    return policy::page_key::of(fr.file.load(std::memory_order_relaxed),
                                fr.pgno.load(std::memory_order_relaxed));
  }
  /// Regions per class (pool_options::regions; BDB's ncache).
  unsigned nregions() const noexcept { return nregions_; }
  /// Regions of every class: region g is class g / nregions(); those of a
  /// class that is not live are null.
  std::uint32_t region_slots() const noexcept { return static_cast<std::uint32_t>(regions_.size()); }
  /// Whether region g exists (its class is live), with (C1).
  bool region_live(std::uint32_t g) const noexcept { return class_live(g / nregions_); }
  region& region_at(std::uint32_t r) noexcept { return *regions_[r]; }

  /// The pool's run-time settings (share/pool_file.hpp, pool_settings).
  pool_settings& settings() noexcept { return *set_; }
  // relaxed (both): a count and a flag read at the next operation; nothing
  // is published through them.
  std::atomic<std::uint32_t> open_handles{0};
  std::atomic<bool> closed{false};

  // --- processes (share/registry.hpp, share/fork_guard.hpp)
  /// The home's registry slot of this process; null for a private pool.
  std::unique_ptr<process_registry> registry;
  /// Publishes stats() in the registry (pool_options::publish_period);
  /// stopped by ~pool and ~pool_impl before anything it reads goes.
  stats_publisher publisher;
  /// The fork generation the pool was made in.
  std::uint32_t fork_gen = 0;
  /// Whether this is a forked child of the process that made the pool.
  bool forked() const noexcept { return fork_guard::generation() != fork_gen; }
  /// The process leaves the home (pool::~pool): with region files, the last
  /// process attached removes the pool's files, under the registry's latch;
  /// otherwise they stay for the processes still attached.
  void leave_home() noexcept;
  /// In a forked child: forgets the parent's threads and writes nothing.
  /// The caller (~pool, ~file) then hands its reference to
  /// fork_guard::keep_forever, so that the pool is never destroyed there:
  /// its mutexes and condition variables may be held or waited on by parent
  /// threads the child does not have, and destroying them could wait
  /// forever. The child's copy of the memory is the parent's image and goes
  /// with the child.
  void abandon_after_fork() noexcept {
    bg_.forget();
    publisher.forget();
    closed.store(true, std::memory_order_relaxed);
  }
  /// fork_guard's child hook (registered by pool::create): the pool's
  /// handles fail in the child (EINVAL) instead of acting on its copy of
  /// the parent's pages. It marks what the page methods already read, so
  /// they pay nothing for the check: `closed` (the get's fast path, then
  /// fix_slow's EINVAL; optimistic_begin) and the pin registry's serial (a
  /// put's or set's lookup of the thread's pin records, which then finds
  /// none; file.cpp turns that into EINVAL). Runs in the child's only
  /// thread: relaxed stores.
  static void after_fork_in_child(void* self) noexcept {
    auto* p = static_cast<pool_impl*>(self);
    p->closed.store(true, std::memory_order_relaxed);
    p->pins.forget_after_fork();
  }

 private:
  pool_impl() = default;

  // routing
  struct route {
    std::uint32_t region, bucket;
  };
  /// Page p of file `slot`, whose page size is class c's: its region (of
  /// all classes) and bucket.
  [[gnu::always_inline]] route route_of(std::uint32_t c, std::uint32_t slot, pgno_t pgno) const noexcept {
    const std::uint64_t h = mix64((std::uint64_t{slot} << 32) | pgno);
    const std::uint32_t r =
        c * nregions_ +
        (nregions_ == 1 ? 0u : static_cast<std::uint32_t>(((h >> 32) * nregions_) >> 32));
    return {r, regions_[r]->table().bucket_of(h)};
  }
  /// The class of file `slot` (its state is in use: a handle or a frame
  /// holds it).
  std::uint32_t class_of_slot(std::uint32_t slot) noexcept {
    return class_of(files_.shared(slot).page_size);
  }
  route route_of(std::uint32_t slot, pgno_t pgno) noexcept {
    return route_of(class_of_slot(slot), slot, pgno);
  }
  static std::uint64_t mix64(std::uint64_t x) noexcept {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
  }


  // frames
  /// A blank frame (E') of region r for page k: a free one, or the policy's
  /// victim, evicted. ENOMEM when every frame stays pinned past alloc_timeout.
  /// `tracked`: the policy was already told that f holds k (a clean victim
  /// of a latched policy is inserted under the latch its evict took); the
  /// caller then skips policy_inserted, and must call policy_removed if it
  /// gives f back without publishing k in it.
  std::error_code alloc_frame(std::uint32_t r, policy::page_key k, std::uint32_t& f,
                              bool& tracked) noexcept;
  std::error_code evict(std::uint32_t r, std::uint32_t f, frame_state::word s) noexcept;
  void release_frame(std::uint32_t r, std::uint32_t f) noexcept;
  /// A free frame of region g, charged to the byte budget; no_frame if the
  /// region has none or the budget has no room for one more page of its
  /// class (core/page_classes.cpp).
  std::uint32_t take_free(std::uint32_t g) noexcept;
  /// Frame f of region g back to the free list (or retired), its page's
  /// bytes back to the budget; `release` also hands its memory back to the
  /// system (a frame given up for another class).
  void give_free(std::uint32_t g, std::uint32_t f, bool release = false) noexcept;
  /// The budget has no room for a page of class c: the class whose memory
  /// pays for it, drawn with a probability proportional to the bytes each
  /// class holds (core/page_classes.cpp); with `others_only`, any but c.
  /// c itself if no other class holds any.
  std::uint32_t pick_donor(std::uint32_t c, bool others_only = false) noexcept;
  /// Evicts one page of class d, chosen by d's policy, and gives its frame
  /// and its bytes back. False if none could be evicted.
  bool donate(std::uint32_t d) noexcept;
  /// Brings the bytes held back under the budget (after a resize), as far
  /// as unpinned pages allow.
  void enforce_budget() noexcept;
  /// Builds region r of class c (its index in regions_ is g) and its policy.
  std::error_code make_class_region(std::uint32_t c, std::uint32_t r, std::size_t frames) noexcept;
  std::error_code load_page(file_handle_state& h, std::uint32_t r, std::uint32_t f, pgno_t pgno,
                            bool exists, bool create, bool is_new, bool& created) noexcept;
  void unlink_and_free(std::uint32_t r, std::uint32_t f) noexcept;
  /// Makes blank frame f the loading frame (state L, one pin) of (slot, p)
  /// unless the page is already in the table; returns the L word, or 0.
  frame_state::word insert_loading(route rt, std::uint32_t f, std::uint32_t slot,
                                   pgno_t p) noexcept;
  /// get's paths past the latch-free hit: flags other than dirty/edit, mapped
  /// files, the latched lookup, busy frames, misses and new pages.
  std::error_code fix_slow(file_handle_state& h, pgno_t* pgno, get_flags flags,
                           fix_result& out) noexcept;
  /// unfix's end: the policy's demote and a retiring frame's last pin.
  void after_unpin(frame_ref ref, bool demote, policy::page_key pk) noexcept;
  /// The latch-free hit (core/hit_path.hpp): pins page p of file `slot` if
  /// the walk finds it pinnable; false leaves everything as it was.
  inline bool try_hit(route rt, std::uint32_t slot, pgno_t p, bool to_write,
                      fix_result& out) noexcept;

 public:
  // --- write-back's parts the core uses (flush/writeback.hpp)
  std::error_code write_page(std::uint32_t slot, pgno_t pgno, std::byte* copy) noexcept {
    return wb_.write_page(slot, pgno, copy);
  }
  std::error_code ensure_fd(std::uint32_t slot, bool for_write) noexcept {
    return wb_.ensure_fd(slot, for_write);
  }
  std::error_code call_page_io(std::uint32_t slot, bool in, pgno_t pgno, void* page,
                               bool from_disk = true) noexcept {
    return wb_.run_page_io(slot, in, pgno, page, from_disk);
  }
  bool has_pgin(int ftype) noexcept { return page_io_.has_pgin(ftype); }
  /// Discards every frame of a file (its pages are dropped, not written).
  void discard_file_frames(std::uint32_t slot) noexcept;
  /// Frees file states no handle, frame or sync uses any more; enforces
  /// max_open_fd on the rest. Caller holds the file table's latch.
  void reap_locked() noexcept {
    counters().add<&pool_counters::fd_closed>(
        files_.reap_locked(set_->max_open_fd.load(std::memory_order_relaxed)));
  }

  // --- background writer (flush/background_writer.hpp)
  std::error_code start_background_writer(int percent, std::chrono::milliseconds period) noexcept;
  void stop_background_writer() noexcept { bg_.stop(); }
  bool background_writer_running() noexcept { return bg_.running(); }
  /// An application thread wrote a dirty victim: wake the writer early.
  void nudge_background_writer() noexcept { bg_.nudge(); }
  /// The pool's own counters: in the pool file with region files (another
  /// process reads them there), else the pool's.
  sharded<pool_counters>& counters() noexcept { return *pool_counters_; }

 private:
  sharded<pool_counters> own_pool_counters_;
  sharded<pool_counters>* pool_counters_ = &own_pool_counters_;
  /// locate() for an address outside the frames: a page of h's mapped file.
  std::error_code locate_mapped(const file_handle_state& h, std::uintptr_t a,
                                frame_ref& ref) const noexcept;
  /// Counts a latch-free hit: one update, with the thread's shard found once.
  [[gnu::always_inline]] static void count_hit(file_shared& fs, std::uint32_t extra) noexcept {
    const thread_shard t = this_thread_shard();
    file_counters& c = fs.counters.shard(t);
    c.hit.add(1, t.owned);
    if (extra != 0) [[unlikely]]
      c.walk.add(extra, t.owned);
  }
  std::size_t frame_size_ = 0;
  std::size_t max_frames_ = 0;
  std::mutex resize_mu_;  // one resize, policy swap or class creation at a time
  // Regions of every class, class c's at [c * nregions_, (c + 1) * nregions_);
  // sized once at creation, a class's entries set by ensure_class under
  // resize_mu_ before its bit in the live classes (C1).
  std::vector<std::unique_ptr<region>> regions_;
  std::uint32_t nregions_ = 0;
  // The live classes and the byte budget (pool.hpp, "Page sizes";
  // share/pool_file.hpp, pool_accounts): own_accounts_, or the pool file's
  // with region files (acct_ points at the one in use).
  pool_accounts own_accounts_;
  pool_accounts* acct_ = &own_accounts_;
  // The run-time settings likewise: own_settings_, or the pool file's.
  pool_settings own_settings_;
  pool_settings* set_ = &own_settings_;
  std::atomic<std::uint32_t> donor_rr_{0};  // relaxed: spreads donations over a class's regions
  // Every class's pages in one reservation of page_classes spans of
  // 2^class_span_shift_ bytes: region r of class c, frame f at
  // arena_ + (c << class_span_shift_) + ((r << stride_shift | f) << frame_shift),
  // so that the frame of a page address is found by arithmetic (locate).
  // The geometry is fixed at creation for every class, live or not.
  struct class_geometry {
    std::uint32_t cap = 0;             // frames each region of the class has room for
    std::uint32_t first_region = 0;    // c * nregions_
    unsigned stride_shift = 0;         // log2 of the frames a region's range spans (>= cap)
    unsigned frame_shift = 0;          // log2 of the page size
  };
  std::array<class_geometry, page_classes> geo_{};
  std::byte* arena_ = nullptr;
  std::size_t arena_len_ = 0;
  unsigned class_span_shift_ = 0;
  std::uint32_t max_cap_ = 0;  // the largest cap of any class (the hit path's prefetch bound)
  // pool_options::region_files (share/region_file.hpp): the region
  // directory, open, and what names this pool's files in it
  // ("<slot>.<pid>.<serial>"); -1 for anonymous memory.
  // Closed when the pool's members are gone (declared before the file
  // table, whose chunk files unlink themselves in this directory).
  struct dir_fd {
    int fd = -1;
    ~dir_fd();
  } region_dir_;
  std::string region_tag_;
  // The pool file (share/pool_file.hpp; with region files only): declared
  // before everything that counts into it, so that it goes after them.
  pool_file pool_file_;
  void remove_files() noexcept;  // leave_home's, if last: every file by name
  void keep_files() noexcept;    // leave_home's: no object removes its file
  /// Makes the pool file and writes what is known before the regions exist.
  std::error_code make_pool_file() noexcept;
  /// Opens the region directory and removes the region files earlier pools
  /// of the home left there (create).
  std::error_code open_region_dir() noexcept;
  pool_options opts_;
  std::shared_ptr<io_backend> io_;  // opts_.io, or posix_io()
  // The file table (after io_: its destruction closes descriptors through it).
  file_table files_;
  std::atomic<std::uint32_t> temp_serial_{0};

  page_io_registry page_io_;
  writeback wb_;

  // eviction policy (core/policy_host.cpp; see policy_host.hpp)
  std::error_code init_policy(policy_kind kind) noexcept;
  /// Asks region r's policy for a victim for k, claimed (view.claimed_word).
  /// A latched policy's clean victim in service is also inserted for k under
  /// the same latch acquisition (`inserted` true): one latch per miss, not two.
  std::uint32_t choose_victim(std::uint32_t r, policy::page_key k, pool_frames& view,
                              bool& inserted, bool may_insert = true) noexcept;
  /// Installs the current kind's policy for region g (class creation;
  /// resize_mu_ held).
  std::error_code init_region_policy(std::uint32_t g) noexcept;
  /// Frame f of region r now holds k / its page left other than by the
  /// policy's own evict. No-ops for the lock-free CLOCK.
  void policy_inserted(std::uint32_t r, std::uint32_t f, policy::page_key k) noexcept;
  void policy_removed(std::uint32_t r, std::uint32_t f) noexcept;
  /// Region r's frames in service changed (resize).
  void policy_resized(std::uint32_t r) noexcept;
  /// A put demoted frame f (very_low or discard): queued for a latched
  /// policy, told at once to a lock-free one.
  void policy_demoted(std::uint32_t r, std::uint32_t f, policy::page_key k) noexcept;
  /// Queues a hit (on_hit) or a demote (on_demote) of frame f for this thread.
  void queue_touch(std::uint32_t r, std::uint32_t f, policy::page_key k, bool demote) noexcept;
  /// Applies this thread's queued touches (no policy latch held).
  void apply_queued() noexcept;
  /// Applies them, waiting for each latch (wait) or dropping a contended
  /// region's hits (a full queue: BP-Wrapper's try-lock).
  void flush_queued(bool wait) noexcept;
  /// Applies this thread's queued touches of region r (r's latch held).
  void apply_queued_locked(std::uint32_t r, policy_slot& ps) noexcept;
  /// Tracks every resident frame of region r that p does not (latch held).
  void reconcile_locked(std::uint32_t r, region_policy& p) noexcept;
  std::unique_ptr<policy_slot[]> pslots_;
  // relaxed (both): the rule and kind select how hits and misses talk to the
  // policy; a thread that reads a stale one during a swap makes a decision
  // the contract's points 4 and 6 absorb (see policy_host.hpp).
  std::atomic<std::uint32_t> hit_rule_{0};
  std::atomic<int> kind_{0};
  std::uint64_t serial_ = 0;  // this pool's number, for the per-thread touch queues

  /// One pass of the background writer (flush/background_writer.hpp).
  void background_pass(int percent) noexcept;
  background_writer bg_{[this](int percent) { background_pass(percent); }};
};

}  // namespace pagepool::internal

#include "core/hit_path.hpp"
