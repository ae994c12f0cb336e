// src/policy/opt.hpp: Belady's MIN (OPT), the offline optimum, for reference.
//
// opt_misses(trace, c) counts the misses of a cache of c pages that knows the
// future: on a miss with the cache full it evicts the resident page whose
// next use is farthest away, a page never used again counting as farthest
// (Belady, "A study of replacement algorithms for a virtual-storage
// computer", IBM Systems Journal 1966). Demand paging: the missed page is
// always brought in (no bypass), and cold misses count, as REFERENCE.md says.
// MIN minimises misses among all demand-paging policies (Mattson et al.,
// 1970), so every online policy's count is at least this one.
//
// Cost: O(n log c) time for n requests (one hash pass numbering the pages,
// one backward pass for next uses, a max-heap of residents by next use),
// O(n) memory. c = 0 counts every request as a miss.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace pagepool::policy {

[[nodiscard]] std::uint64_t opt_misses(std::span<const std::uint32_t> trace, std::size_t c);

}  // namespace pagepool::policy
