// src/policy/simulate_any.hpp: simulate_misses (policy/simulate.hpp) for a
// policy chosen at run time.
#pragma once

#include <cstdint>
#include <span>

#include "pagepool/policy.hpp"

namespace pagepool::policy {

/// Misses of policy `kind` replayed single-threaded over `trace` with a
/// cache of exactly c pages (simulate.hpp says how).
[[nodiscard]] std::uint64_t simulate_misses_of(policy_kind kind, std::span<const std::uint32_t> trace,
                                               std::uint32_t c);

}  // namespace pagepool::policy
