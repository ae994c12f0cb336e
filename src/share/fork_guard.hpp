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
// A pool whose memory is in region files (share/region_file.hpp) maps them
// MAP_SHARED, and a child would inherit those mappings shared: a get or put
// the child made through a handle would change the parent's frames (pin
// counts, pages) under the parent's threads. The child handler maps each of
// them again, privately (MAP_PRIVATE | MAP_FIXED over the same range), so
// that the child, like a child of a private pool, changes only its own copy.
//
// A pool's handles must fail in the child rather than act on a copy (issue
// 14: "using a handle in a child after fork fails with a clear error").
// Each pool registers a child hook that marks it (core/pool_impl.hpp,
// after_fork_in_child): the marks are words the get and put paths already
// read, so the check costs them nothing. Hooks run in the child only, its
// one thread, before fork() returns there; they must only store to memory.
// They stay registered in the child (its pools are never destroyed there,
// fork_guard::keep_forever), so a grandchild marks them again.
//
// The lists are guarded by a mutex the prepare handler takes and both after
// handlers release, so the child never inherits it held.
#pragma once

#include <cstddef>
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
/// Adds a shared mapping of `fd` at `off` to make private in a forked
/// child. False if out of memory.
bool add_mapping(void* addr, std::size_t len, int fd, long off) noexcept;
/// Removes it (before the owner unmaps it).
void remove_mapping(void* addr) noexcept;
/// Adds a hook the child handler calls with `arg` (after the descriptors and
/// mappings are dealt with). False if out of memory.
bool add_child_hook(void (*fn)(void*), void* arg) noexcept;
/// Removes it (before `arg` goes).
void remove_child_hook(void* arg) noexcept;
/// Keeps `p` alive until the process ends, reachable (not a leak): what a
/// forked child must not destroy (core/pool_impl.hpp, abandon_after_fork).
void keep_forever(std::shared_ptr<void> p) noexcept;
/// How many forks this process descends through (0 in the original
/// process, 1 in its child, ...). relaxed: only the child's handler writes
/// it, before any other thread exists in the child.
[[nodiscard]] std::uint32_t generation() noexcept;

}  // namespace pagepool::internal::fork_guard
