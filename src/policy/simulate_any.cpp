// src/policy/simulate_any.cpp: the run-time dispatch of simulate_misses.
#include "policy/simulate_any.hpp"

#include "policy/arc.hpp"
#include "policy/clock.hpp"
#include "policy/clockpro.hpp"
#include "policy/fifo.hpp"
#include "policy/lirs.hpp"
#include "policy/lru.hpp"
#include "policy/lru2.hpp"
#include "policy/s3fifo.hpp"
#include "policy/sieve.hpp"
#include "policy/simulate.hpp"
#include "policy/twoq.hpp"
#include "policy/wtinylfu.hpp"

namespace pagepool::policy {

std::uint64_t simulate_misses_of(policy_kind kind, std::span<const std::uint32_t> trace,
                                 std::uint32_t c) {
  switch (kind) {
    case policy_kind::clock: return simulate_misses<clock_policy>(trace, c);
    case policy_kind::lru: return simulate_misses<lru_policy>(trace, c);
    case policy_kind::fifo: return simulate_misses<fifo_policy>(trace, c);
    case policy_kind::sieve: return simulate_misses<sieve_policy>(trace, c);
    case policy_kind::s3fifo: return simulate_misses<s3fifo_policy>(trace, c);
    case policy_kind::arc: return simulate_misses<arc_policy>(trace, c);
    case policy_kind::twoq: return simulate_misses<twoq_policy>(trace, c);
    case policy_kind::lirs: return simulate_misses<lirs_policy>(trace, c);
    case policy_kind::wtinylfu: return simulate_misses<wtinylfu_policy>(trace, c);
    case policy_kind::lru2: return simulate_misses<lru2_policy>(trace, c);
    case policy_kind::clockpro: return simulate_misses<clockpro_policy>(trace, c);
  }
  return trace.size();
}

}  // namespace pagepool::policy
