// src/share/registry.hpp: the processes attached to a pool home, and how the
// pool knows which of them are alive (issue 14, part 1).
//
// A pool opened with a home (pool_options::home; BDB: DB_ENV->open without
// DB_PRIVATE) registers its process in the home's registry file,
// `__pagepool.registry`. Liveness is a lock the kernel drops when the
// process dies, never a bare PID (a PID is reused; a lock is not): each
// attached process holds an open-file-description lock (F_OFD_SETLK) on one
// byte of the file, its slot, for as long as it is attached. A slot whose
// record says "attached" but whose byte nobody locks belongs to a process
// that died: failchk (and every attach) takes it back.
//
// The file:
//
//   [header, 4 KiB: magic, version, layout, generation, ready, attach serial]
//   [slot record x 256: pid, state, generation, attach time]
//   [statistics block x 256, 1 KiB each: what slot i's process published]
//
// and the lock bytes (a lock may lie past the end of a file):
//
//   byte 0        the registry latch: held for the few reads and writes of
//                 an attach, a detach, a failchk or a remove, so that each
//                 sees and leaves the file whole (fcntl waits are polled
//                 with a deadline: a stopped holder costs EAGAIN, never a
//                 wait forever; a dead one's lock is gone at once)
//   byte 1 + i    slot i: held by its process while attached
//
// Life of a slot (every change under the registry latch):
//
//   free --attach: lock byte 1+i, write {pid, attached}--> attached
//   attached --detach: write {free}, close (drops the lock)--> free
//   attached --process dies (kernel drops the lock)--> dead
//   dead --failchk or a later attach: write {free}--> free
//
// Creation: the first attacher finds the file empty (or its header never
// marked ready: a creator that died during create) and writes the header,
// `ready` last. A header of another version or layout is DB_VERSION_MISMATCH
// (pagepool::errc::version_mismatch), live processes or not. A remove
// unlinks the file under the latch; an attacher that opened the old file
// before the unlink sees, once it holds the latch, that the path no longer
// names its file and opens again, so two pools never live in one home.
//
// fork: open-file-description locks are shared with a forked child, which
// would keep a dead parent's slot locked. A pthread_atfork child handler
// closes every registry descriptor in the child and advances the process's
// fork generation (share/fork_guard.hpp); a registry (and the pool that owns
// it) used in the child then reports forked().
//
// Statistics (publish, read): each attached process writes its pool's
// statistics into its slot's block now and then (core: the publisher,
// pool_options::publish_period), so that another process (pagepool-bench
// stat, BDB's db_stat -m) can read a live pool's numbers. Only the slot's
// owner writes its block, with a sequence number around the payload
// (odd while writing; separate pwrites, so a reader that sees the same even
// number before and after its read has a whole copy). attach clears the
// block before it locks the slot, so a reader that sees the slot alive
// never reads the previous owner's numbers.
//
// Owner ids (issue 14, part 3): each attach takes the next value of a serial
// kept in the header (under the latch) and records it in its slot; its id is
// the serial's low 23 bits above the slot's 8. A latch in shared memory holds
// its holder's id (share/owned_latch.hpp), and owner_alive(id) answers from
// the kernel's lock on the slot and the record's serial: a process that took
// the slot of a dead one has another serial, so the dead one stays dead.
//
// What part 1 shares: nothing but this file. Pages, frames and statistics
// are still the process's own, so a pool with a home refuses (EAGAIN, with
// the other process named) to start while another live process is attached
// to the same home: two processes never get silently separate caches of the
// same files. DB_PRIVATE (an empty home) is the explicit private pool.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "pagepool/stats.hpp"
#include "share/owned_latch.hpp"

namespace pagepool::internal {

class process_registry {
 public:
  static constexpr const char* file_name = "__pagepool.registry";
  static constexpr std::uint32_t slot_count = 256;
  /// The registry file of `dir` ("." if empty).
  static std::string path_of(const std::string& dir);

  /// What attach saw.
  struct attach_info {
    std::uint32_t others = 0;  // other live processes attached
    pid_t other_pid = 0;       // one of them (for the message)
    std::uint32_t reaped = 0;  // dead processes' slots taken back
    bool created = false;      // this attach wrote the header
  };

  /// Attaches this process to the registry in `dir`. `create`: make the file
  /// if it does not exist (else ENOENT), with `mode` (0 means 0660, as BDB).
  /// `alone`: refuse with EAGAIN (attaching nothing) if another live process
  /// is attached. EAGAIN also when the registry latch stays held for
  /// `latch_timeout_ms` or every slot is taken; errc::version_mismatch for a
  /// file of another layout; the open's errno otherwise (EACCES, ELOOP for a
  /// symbolic link, ...). `info` is filled whatever the result.
  static std::error_code attach(const std::string& dir, int mode, bool create, bool alone,
                                std::unique_ptr<process_registry>& out, attach_info& info,
                                int latch_timeout_ms = 10000) noexcept;

  /// Removes the registry of `dir`: EBUSY if a live process is attached
  /// (this one included) unless `force`; 0 if there is none. `live` gets the
  /// number of live processes seen.
  static std::error_code remove(const std::string& dir, bool force, std::uint32_t* live) noexcept;

  /// A live process and what it last published.
  struct published {
    pid_t pid = 0;
    std::int64_t attached_ns = 0;   // CLOCK_REALTIME at attach
    std::int64_t published_ns = 0;  // when the published numbers were taken; 0: nothing yet
    pool_stats stats;
  };
  /// Every live process attached to `dir`, with its last publication
  /// (ENOENT: no registry; errc::version_mismatch: another layout).
  static std::error_code read_published(const std::string& dir, std::vector<published>& out) noexcept;

  /// Writes this process's statistics into its slot's block, stamped
  /// `taken_ns` (CLOCK_REALTIME when their folding began: every count made
  /// before that instant is in them). EINVAL in a forked child; the write's
  /// errno otherwise.
  std::error_code publish(const pool_stats& s, std::int64_t taken_ns) noexcept;

  /// Detaches now, calling `if_last(ctx)` first, under the registry's
  /// latch, if no other live process is attached: what the last process of
  /// a shared pool removes, no process can attach while it does (a joiner
  /// attaches under the latch too). A latch that stays held for a second
  /// detaches without calling it (the files stay: the safe side). Nothing
  /// in a forked child. The registry is detached afterwards either way.
  void leave(void (*if_last)(void* ctx) noexcept, void* ctx) noexcept;
  /// Detaches (unless forked(): the child's descriptor is already closed),
  /// as leave without a call.
  ~process_registry();
  process_registry(const process_registry&) = delete;
  process_registry& operator=(const process_registry&) = delete;

  /// Takes back the slots of dead processes; `reaped` gets how many, `live`
  /// how many live processes are attached (this one included). EINVAL in a
  /// forked child.
  std::error_code failchk(std::uint32_t* reaped, std::uint32_t* live) noexcept;

  /// Whether the process forked since this registry was attached and this
  /// is the child.
  [[nodiscard]] bool forked() const noexcept;
  [[nodiscard]] std::uint32_t slot() const noexcept { return slot_; }
  /// This attach's owner id (share/owned_latch.hpp): never 0 nor
  /// owned_latch::private_owner (its serial bits are never 0), and no other
  /// attach of this registry has it (until 2^23 attaches later).
  [[nodiscard]] std::uint32_t owner_id() const noexcept { return owner_id_; }
  /// Whether the holder named by `id` is alive: this attach, or an attached
  /// process whose slot's kernel lock is held and whose record carries the
  /// same serial. Unlatched, a few system calls (a waiter's slow path).
  [[nodiscard]] bool owner_alive(std::uint32_t id) const noexcept;
  /// owner_alive for a process that is not attached: whether the holder
  /// named by `id` is alive in the registry of `dir` (ENOENT: no registry;
  /// errc::version_mismatch: another layout). A reader of a pool file
  /// (pool::inspect) asks it about the pool's creator.
  static std::error_code alive(const std::string& dir, std::uint32_t id, bool& out) noexcept;
  /// owner_alive as an owned_latch oracle (valid while this registry is).
  [[nodiscard]] owner_oracle oracle() const noexcept;
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  process_registry() = default;
  int fd_ = -1;
  std::uint32_t slot_ = 0;
  std::uint32_t owner_id_ = 0;
  std::uint32_t fork_gen_ = 0;
  std::uint64_t publish_seq_ = 0;  // this slot's block's sequence number (even: stable)
  std::string path_;
};

}  // namespace pagepool::internal
