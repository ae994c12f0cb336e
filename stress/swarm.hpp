// stress/swarm.hpp: swarm testing (Groce et al., "Swarm Testing", ISSTA 2012).
//
// Instead of running every seed in one fixed shape, each seed of a swarm run
// also draws its configuration: the workload, regions (1-8, odd counts too),
// threads (2-8), page size (512 B-64 KiB) and frame size (the page size, or
// twice it), cache and file sizes, the starting policy and whether the chaos
// thread swaps policies or resizes the pool, the background writer, the
// max_open_fd and max_write bounds, checksums, and whether the pool's memory
// is region files mapped shared (pool_options::region_files). A configuration leaves
// features out as often as it puts them in: a bug that one feature hides
// (a resize that keeps frames in service, a writer that cleans pages first) is
// found in the configurations without it.
//
// A drawn configuration is an ordinary one: its replay line (config::
// command_line) names every option, so it runs again without --swarm.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness.hpp"

namespace pagepool::stress {

/// The configuration seed `seed` draws: every option but `seconds` and
/// `enomem_bound_ms`, which come from `base`; the workload among `workloads`.
[[nodiscard]] config draw_config(std::uint64_t seed, const config& base,
                                 const std::vector<std::string>& workloads);

}  // namespace pagepool::stress
