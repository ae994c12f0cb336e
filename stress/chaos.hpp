// stress/chaos.hpp: the chaos thread, which changes a workload's live pool
// under its traffic where the configuration asks for it:
//
//   --policy-swaps  set_policy to a policy drawn at random (the new one is
//                   seeded from the resident frames; pages must not be lost
//                   or duplicated across the swap);
//   --resize        resize between the frames the workload gave the pool and
//                   pool::max_frames (twice that), growing and shrinking while
//                   pages are pinned and dirty; frames() must follow, and
//                   resize must succeed.
//
// It never shrinks a pool below the workload's own size, so no workload's
// promise that ENOMEM cannot happen changes. It runs from the team's start
// until every worker of the team has returned.
#pragma once

#include <atomic>
#include <cstddef>

#include "harness.hpp"

namespace pagepool::stress {

/// Runs the chaos loop on ctx.live until `running` reaches zero, and returns
/// what it did (ops, swaps, resizes). Failures go to ctx.log.
thread_tally run_chaos(run_context& ctx, const std::atomic<std::size_t>& running);

/// True if the configuration asks the chaos thread to do anything in ctx.
[[nodiscard]] bool wants_chaos(const run_context& ctx) noexcept;

}  // namespace pagepool::stress
