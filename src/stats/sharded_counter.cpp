// src/stats/sharded_counter.cpp: the registry of counting shards, and the
// tables of shard owners of counters shared between processes
// (stats/sharded_counter.hpp).
//
// A thread holds two indices. Its slot (this_thread_slot) is taken from
// `slots` at its first use and kept until it exits. Its counting shard
// (this_thread_shard) is taken from `shards`, and, while tables are
// attached, must also be held in every table: the thread first tries its
// own slot's index (so that a process with no table counts exactly as
// before), then any index free everywhere, else the shared shard. Every
// change of either set, of the tables' entries this process holds, and of
// the list of tables, happens under the registry's mutex.
//
// Life of a thread's counting shard (under the mutex):
//
//   (none) --first count--> owned i (free here and in every table: entries = me)
//                      \--> shared (last shard, RMW; none free)
//   owned i / shared --attach of a table (generation moved), next count-->
//       owned i again (entry i was free there: taken) or owned j or shared
//   owned i --thread exit--> (none): i free here, entries i back to 0
#include "stats/sharded_counter.hpp"

#include <bitset>
#include <mutex>
#include <vector>

namespace pagepool::internal {

namespace {

// Shards 0..counter_shards-2 are handed out one per thread; the last one is
// shared by whoever finds none free (and is never entered in a table).
constexpr unsigned shared_shard = counter_shards - 1;

struct attached_table {
  shard_owner_table* t;
  std::uint32_t me;
};

struct registry {
  std::mutex mu;
  std::bitset<counter_shards> slots;   // process indices taken
  std::bitset<counter_shards> shards;  // counting shards owned
  std::vector<attached_table> tables;
};
registry& reg() {
  static registry* r = new registry();  // never destroyed: threads may exit after main
  return *r;
}

// Synchronization edge (papers/design/memory-ordering.md): (SC1) a table
// entry given back (CAS to 0) with release, taken (CAS from 0) with acquire:
// a shard handed from a thread of one process to a thread of another is a
// load-and-store counter's handover, and the taker's first load must see
// the giver's last store, or the giver's last increments are lost. Within
// a process the registry's mutex hands indices over. The loads of an entry
// that only compare it with the process's id, and the taking back of a
// dead owner's entries (its process is gone), are relaxed.

// Whether every attached table's entry i holds `me` or could be taken
// (caller holds the mutex); takes the free ones. On failure gives back what
// it took.
bool take_everywhere(registry& r, unsigned i) noexcept {
  std::size_t k = 0;
  for (; k < r.tables.size(); ++k) {
    auto& e = r.tables[k].t->owner[i];
    std::uint32_t cur = e.load(std::memory_order_relaxed);
    if (cur == r.tables[k].me) continue;
    cur = 0;
    if (!e.compare_exchange_strong(cur, r.tables[k].me, std::memory_order_acquire,  // (SC1)
                                   std::memory_order_relaxed))
      break;
  }
  // On failure the caller gives index i back everywhere (give_back_everywhere):
  // it only asks for an index this thread owns or one no thread of the
  // process owns, so every entry i holding `me` is this call's or this
  // thread's.
  return k == r.tables.size();
}

void give_back_everywhere(registry& r, unsigned i) noexcept {
  for (const attached_table& a : r.tables) {
    std::uint32_t cur = a.me;
    (void)a.t->owner[i].compare_exchange_strong(cur, 0, std::memory_order_release,  // (SC1)
                                                std::memory_order_relaxed);
  }
}

// Set once the thread's holder is gone (its exit): a count after that,
// from another thread_local's destructor, takes the shared shard and slot.
thread_local bool holder_gone = false;

struct holder {
  thread_shard shard{shared_shard, false};
  unsigned slot = shared_shard;
  bool has_slot = false;

  void take_slot(registry& r) noexcept {
    for (unsigned i = 0; i < shared_shard; ++i)
      if (!r.slots[i]) {
        r.slots[i] = true;
        slot = i;
        break;
      }
    has_slot = true;
  }
  // (Re)chooses the counting shard against the tables (caller holds the mutex).
  void choose_shard(registry& r) noexcept {
    if (shard.owned) {
      if (take_everywhere(r, shard.index)) return;  // still ours everywhere
      give_back_everywhere(r, shard.index);
      r.shards[shard.index] = false;
      shard = {shared_shard, false};
    }
    // From the slot's own index on: without tables a thread counts where it
    // always did.
    const unsigned first = slot != shared_shard ? slot : 0;
    for (unsigned k = 0; k < shared_shard; ++k) {
      const unsigned i = (first + k) % shared_shard;
      if (r.shards[i]) continue;
      if (take_everywhere(r, i)) {
        r.shards[i] = true;
        shard = {i, true};
        return;
      }
      give_back_everywhere(r, i);
    }
  }
  ~holder() {
    registry& r = reg();
    std::lock_guard g(r.mu);
    if (shard.owned) {
      give_back_everywhere(r, shard.index);
      r.shards[shard.index] = false;
    }
    if (has_slot && slot != shared_shard) r.slots[slot] = false;
    // A count or a latch later in this thread's exit (another thread_local's
    // destructor) takes the shared shard and slot, which need no owner.
    detail::cached_shard.shard = {shared_shard, false};
    detail::cached_slot = shared_shard;
    holder_gone = true;
  }
};

holder& this_holder() noexcept {
  thread_local holder h;  // gives its indices back at thread exit
  return h;
}

}  // namespace

thread_shard detail::register_thread_shard() noexcept {
  if (holder_gone) return {shared_shard, false};
  holder& h = this_holder();
  registry& r = reg();
  std::lock_guard g(r.mu);  // orders the previous owner's stores before ours
  if (!h.has_slot) h.take_slot(r);
  h.choose_shard(r);
  // relaxed: read under the mutex that every move of the generation holds.
  detail::cached_shard = {h.shard, detail::shard_gen.load(std::memory_order_relaxed)};
  return h.shard;
}

unsigned detail::register_thread_slot() noexcept {
  if (holder_gone) return shared_shard;
  holder& h = this_holder();
  registry& r = reg();
  std::lock_guard g(r.mu);
  if (!h.has_slot) h.take_slot(r);
  detail::cached_slot = h.slot;
  return h.slot;
}

bool attach_shard_table(shard_owner_table& t, std::uint32_t me, owner_alive_fn alive,
                        const void* ctx) noexcept {
  registry& r = reg();
  std::lock_guard g(r.mu);
  // Entries of dead owners go back to 0 (never ours: this attach is new).
  for (auto& e : t.owner) {
    std::uint32_t cur = e.load(std::memory_order_relaxed);
    if (cur != 0 && cur != me && alive != nullptr && !alive(ctx, cur))
      (void)e.compare_exchange_strong(cur, 0, std::memory_order_relaxed);
  }
  try {
    r.tables.push_back({&t, me});
  } catch (...) {
    return false;
  }
  // relaxed: see shard_gen. Every thread checks its shard at its next count.
  // (~0u is never a generation: it marks a thread not yet registered.)
  std::uint32_t next = detail::shard_gen.load(std::memory_order_relaxed) + 1;
  if (next == ~0u) next = 0;
  detail::shard_gen.store(next, std::memory_order_relaxed);
  return true;
}

void detach_shard_table(shard_owner_table& t) noexcept {
  registry& r = reg();
  std::lock_guard g(r.mu);
  for (std::size_t k = 0; k < r.tables.size(); ++k) {
    if (r.tables[k].t != &t) continue;
    for (auto& e : t.owner) {
      std::uint32_t cur = r.tables[k].me;
      (void)e.compare_exchange_strong(cur, 0, std::memory_order_release,  // (SC1)
                                      std::memory_order_relaxed);
    }
    r.tables.erase(r.tables.begin() + static_cast<std::ptrdiff_t>(k));
    return;
  }
}

}  // namespace pagepool::internal
