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

}  // namespace pagepool::testing
