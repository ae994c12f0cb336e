// src/stats/sharded_counter.cpp: the registry of counting shards.
#include "stats/sharded_counter.hpp"

#include <bitset>
#include <mutex>

namespace pagepool::internal {

namespace {

// Shards 0..counter_shards-2 are handed out one per thread; the last one is
// shared by whoever finds none free.
constexpr unsigned shared_shard = counter_shards - 1;

struct registry {
  std::mutex mu;
  std::bitset<counter_shards> taken;
};
registry& reg() {
  static registry* r = new registry();  // never destroyed: threads may exit after main
  return *r;
}

struct holder {
  thread_shard shard{shared_shard, false};
  holder() {
    registry& r = reg();
    std::lock_guard g(r.mu);  // orders the previous owner's stores before ours
    for (unsigned i = 0; i < shared_shard; ++i)
      if (!r.taken[i]) {
        r.taken[i] = true;
        shard = {i, true};
        break;
      }
  }
  ~holder() {
    if (!shard.owned) return;
    registry& r = reg();
    std::lock_guard g(r.mu);
    r.taken[shard.index] = false;
  }
};

}  // namespace

thread_shard detail::register_thread_shard() noexcept {
  thread_local holder h;  // constructed once per thread; gives the shard back at exit
  detail::cached_shard = h.shard;
  return h.shard;
}

}  // namespace pagepool::internal
