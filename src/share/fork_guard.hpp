// src/share/fork_guard.hpp: what a forked child must not inherit.
//
// A pool attached to a home holds an open-file-description lock (its
// registry slot, share/registry.hpp). A child made by fork() shares that
// description, so the lock would outlive the parent for as long as the
// child lives, and the child would seem to be a process attached to the
// pool when it is not. The guard keeps the descriptors of the process's
// registries; a pthread_atfork child handler closes them all in the child
// and advances the fork generation, by which a pool used in the child knows
// it is one (and fails with EINVAL instead of acting on a copy).
//
// The list is guarded by a mutex the prepare handler takes and both after
// handlers release, so the child never inherits it held.
#pragma once

#include <cstdint>
#include <memory>

namespace pagepool::internal::fork_guard {

/// Installs the handlers (once per process); add() does too. A pool calls
/// it at creation, so that generation() is right in a child of any pool.
void install() noexcept;
/// Adds a descriptor to close in a forked child. False if out of memory.
bool add(int fd) noexcept;
/// Removes it (before the owner closes it).
void remove(int fd) noexcept;
/// Keeps `p` alive until the process ends, reachable (not a leak): what a
/// forked child must not destroy (core/pool_impl.hpp, abandon_after_fork).
void keep_forever(std::shared_ptr<void> p) noexcept;
/// How many forks this process descends through (0 in the original
/// process, 1 in its child, ...). relaxed: only the child's handler writes
/// it, before any other thread exists in the child.
[[nodiscard]] std::uint32_t generation() noexcept;

}  // namespace pagepool::internal::fork_guard
