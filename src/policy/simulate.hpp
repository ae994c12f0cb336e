// src/policy/simulate.hpp: replays a trace through one policy, single
// threaded, exactly as the pool drives it (policy.hpp, contract point 7).
//
// The simulator plays the pool's part with a basic_frames view of exactly c
// frames and a page table (a key_table, page -> frame):
//
//   request for page k
//     resident in frame f -> hit: view.hit(f, P::on_hit_usage(usage(f)));
//                            batched_hits policies also get on_hit(f, k)
//     not resident, a frame never used yet (filled 0..c-1 in order)
//                         -> on_insert(f, k)
//     not resident, all c frames in use
//                         -> v = evict(k, view); the page in v leaves the
//                            table; view.reset(v); on_insert(v, k)
//
// Pages are page_key::of(0, page number). The result is the number of misses
// (cold misses included), the figure REFERENCE.md lists. Nothing is pinned,
// so evict never fails; if it did (a broken policy), every remaining request
// counts as a miss and the result is UINT64_MAX, which no test accepts.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "pagepool/policy.hpp"
#include "policy/key_table.hpp"

namespace pagepool::policy {

template <eviction_policy P>
std::uint64_t simulate_misses(std::span<const std::uint32_t> trace, std::uint32_t c) {
  if (c == 0) return trace.size();
  P p(c);
  basic_frames view(c);
  internal::key_table table(c);             // page number -> frame
  std::vector<std::uint32_t> page_of(c, 0);  // frame -> page number
  std::uint32_t used = 0;
  std::uint64_t misses = 0;
  for (const std::uint32_t pg : trace) {
    const page_key k = page_key::of(0, pg);
    if (const std::uint32_t f = table.find(pg); f != internal::key_table::npos) {
      view.hit(f, P::on_hit_usage(view.usage(f)));
      if constexpr (P::model == concurrency_model::batched_hits) p.on_hit(f, k);
      continue;
    }
    ++misses;
    frame_id f;
    if (used < c) {
      f = used++;
    } else {
      f = p.evict(k, view);
      if (f == no_frame || f >= c) return std::numeric_limits<std::uint64_t>::max();
      table.erase(page_of[f]);
      view.reset(f);
    }
    page_of[f] = pg;
    table.insert_or_assign(pg, f);
    p.on_insert(f, k);
  }
  return misses;
}

}  // namespace pagepool::policy
