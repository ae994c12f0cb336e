// src/policy/list_sweep.hpp: the victim search the list policies share
// (FIFO, LRU, ARC, and S3-FIFO's main queue): oldest first, credits spared,
// pinned frames stepped over.
//
// sweep_oldest(lists, l, view) walks list l from its oldest end towards its
// newest end and takes the first frame it can:
//
//   candidate f (oldest first)
//     |
//     +-- f not in service (f >= view.size()) ----------> skip, stays put
//     +-- usage u > 0 (a credit from a priority, or a hit bit):
//     |     set_usage(f, u, u-1) succeeded -------------> move f to the newest
//     |                                                   end (spared), go on
//     |     it failed (pinned, or a hit changed u) ------> stays put, go on
//     +-- usage 0: claim(f) succeeded -------------------> remove f, return it
//                  claim failed (pinned, busy) ----------> stays put, go on
//
// Past the newest end it wraps to the oldest again, so a frame spared once is
// met again after the others. It gives up (no_frame) after
// size(l) * (usage_max + 2) candidates: every frame tried about
// usage_max + 2 times, enough to wear down any credit (contract, point 4).
// When every usage is 0 and nothing is pinned, it returns the oldest frame:
// the textbook choice, which the exact replay relies on.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pagepool/policy.hpp"
#include "policy/frame_lists.hpp"

namespace pagepool::policy::internal {

template <std::size_t N, class V>
frame_id sweep_oldest(frame_lists<N>& lists, std::size_t l, V& view) noexcept {
  using fl = frame_lists<N>;
  const std::size_t budget = lists.size(l) * (usage_max + 2);
  const std::uint32_t in_service = view.size();
  std::uint32_t f = lists.oldest(l);
  for (std::size_t tries = 0; f != fl::nil && tries < budget; ++tries) {
    std::uint32_t next = lists.newer(f);
    if (f < in_service) {
      if (const std::uint32_t u = view.usage(f); u > 0) {
        if (view.set_usage(f, u, u - 1)) {
          lists.move_to_newest(l, f);
          // f was the newest: the next candidate is the oldest again.
          if (next == fl::nil) next = lists.oldest(l);
        }
      } else if (view.claim(f)) {
        lists.remove(f);
        return f;
      }
    }
    f = next != fl::nil ? next : lists.oldest(l);
  }
  return no_frame;
}

}  // namespace pagepool::policy::internal
