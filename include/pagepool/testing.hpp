// pagepool/testing.hpp: test-only fault switches inside the library. Not for
// production use: a harness turns one on to prove that its checker fails
// when the library misbehaves in a known way (stress/crash, --mutate).
//
// io_mutation removes calls from the pool's durability path for as long as it
// is set (process-wide, every pool):
//   skip_fsync      every fsync of a data file the pool owes (sync, file
//                   sync, the fsync before a directory's) reports success
//                   without calling the backend;
//   skip_dir_fsync  every fsync of a new file's directory reports success
//                   without calling the backend.
// Off (none) by default. The cost when off is one relaxed load of a global
// next to each fsync call (a system call that costs microseconds or more);
// nothing on the page paths looks at it.
#pragma once

namespace pagepool::testing {

enum class io_mutation : unsigned {
  none = 0,
  skip_fsync = 1,
  skip_dir_fsync = 2,
};

/// Sets the mutation for every pool in the process (none turns it off).
void set_io_mutation(io_mutation m) noexcept;
/// The mutation in force.
[[nodiscard]] io_mutation get_io_mutation() noexcept;

/// Named points at which the process kills itself (SIGKILL), for tests of
/// what survivors see after a death there (issue 14's kill matrix). Off
/// (none) by default; the cost when off is one relaxed load at each point,
/// all of them outside the page paths.
enum class kill_point : unsigned {
  none = 0,
  registry_create = 1,  // a new registry's header written but not marked ready
  registry_attach = 2,  // a slot locked, its record not yet written
};

/// Sets the point for the process (none turns it off).
void set_kill_point(kill_point p) noexcept;
/// Kills the process (SIGKILL) if `p` is the point set.
void reach_kill_point(kill_point p) noexcept;

}  // namespace pagepool::testing
