// tests/unit/share/shared_count.hpp: the file the counting-shard tests
// (tests/unit/stats/sharded_counter_test.cpp) and their helper processes
// (registry_helper.cpp, "count") map shared: a table of shard owners at 0
// and a sharded counter at shared_count_offset.
#pragma once

#include <cstddef>

#include "stats/sharded_counter.hpp"

namespace pagepool::test {

struct one_count {
  internal::counter n;
};
inline constexpr std::size_t shared_count_offset = 4096;
inline constexpr std::size_t shared_count_len =
    shared_count_offset + sizeof(internal::sharded<one_count>);
static_assert(sizeof(internal::shard_owner_table) <= shared_count_offset);

}  // namespace pagepool::test
