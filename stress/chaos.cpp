// stress/chaos.cpp: the chaos thread (chaos.hpp).

#include "chaos.hpp"

#include <chrono>
#include <random>
#include <thread>

namespace pagepool::stress {

bool wants_chaos(const run_context& ctx) noexcept {
  return ctx.live != nullptr && (ctx.cfg.policy_swaps || ctx.chaos_may_resize());
}

thread_tally run_chaos(run_context& ctx, const std::atomic<std::size_t>& running) {
  thread_tally t;
  pool& p = *ctx.live;
  std::mt19937_64 rng(ctx.seed ^ 0xC4A05C4A05ull);
  const std::size_t lo = ctx.live_frames;
  const std::size_t hi = p.max_frames();
  // acquire: pairs with the workers' release as they return (run_team).
  while (running.load(std::memory_order_acquire) != 0 && !ctx.log.failed()) {
    if (ctx.cfg.policy_swaps && rng() % 2 == 0) {
      const auto k = static_cast<policy_kind>(rng() % policy_kind_count);
      if (auto ec = p.set_policy(k)) {
        ctx.log.fail(msg() << "chaos: set_policy(" << policy_name(k) << "): " << describe(ec));
        return t;
      }
      ++t.swaps;
      ++t.ops;
    }
    if (ctx.chaos_may_resize() && hi > lo && rng() % 2 == 0) {
      const std::size_t n = rng() % 4 == 0 ? lo : rng() % 4 == 0 ? hi : lo + rng() % (hi - lo + 1);
      if (auto ec = p.resize(n)) {
        ctx.log.fail(msg() << "chaos: resize(" << n << ") between " << lo << " and " << hi << ": "
                           << describe(ec));
        return t;
      }
      if (p.frames() != n) ctx.log.fail(msg() << "chaos: frames() is " << p.frames() << " after resize(" << n << ")");
      ++t.resizes;
      ++t.ops;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200 + rng() % 2800));
  }
  // Back to the workload's own size, so that its end-of-run figures (and
  // what its final checks assume of the cache) are as without chaos.
  if (ctx.chaos_may_resize() && p.frames() != lo) {
    if (auto ec = p.resize(lo)) ctx.log.fail(msg() << "chaos: final resize(" << lo << "): " << describe(ec));
  }
  return t;
}

}  // namespace pagepool::stress
