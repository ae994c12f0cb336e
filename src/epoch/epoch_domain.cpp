// src/epoch/epoch_domain.cpp: the slow paths of epoch_domain: thread
// registration and exit, retire lists, advancing E, reclaiming. The edge
// numbers (R1)..(R13) are those listed in epoch_domain.hpp.
#include "epoch/epoch_domain.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#include "port/assert.hpp"
#include "port/backoff.hpp"

namespace pagepool::internal {

using detail::epoch_record;
using detail::retire_batch;

namespace {

[[noreturn]] void fatal(const char* msg) noexcept {
  std::fprintf(stderr, "pagepool: epoch_domain: %s\n", msg);
  std::abort();
}

// Empty batches a record keeps for reuse; the first is the reserve that lets
// a retire inside a guard survive one failed allocation.
constexpr std::size_t max_spares = 4;

// relaxed: only uniqueness matters. Ids start at 1; 0 marks an empty cache.
std::atomic<std::uint64_t> next_domain_id{1};

// The ids of the live domains. Consulted only when a thread registers with a
// domain and when it exits; a domain's destructor removes its id first, under
// the mutex, so an exiting thread never touches a domain that is going away.
struct domain_registry {
  std::mutex mu;
  std::vector<std::uint64_t> live;
  bool is_live(std::uint64_t id) const noexcept {
    return std::find(live.begin(), live.end(), id) != live.end();
  }
};
domain_registry& registry() {
  // Never destroyed: threads may exit after main returns.
  static domain_registry* r = new domain_registry();
  return *r;
}

// Set when this thread's thread_cache has been destroyed (thread exit), so
// that a later thread_local destructor that uses a domain does not touch it.
constinit thread_local bool thread_cache_gone = false;

}  // namespace

// A thread's records, one per domain it used. Its destructor runs at thread
// exit and gives each record of a live domain back.
struct epoch_domain::thread_cache {
  struct entry {
    std::uint64_t id;
    epoch_domain* domain;  // dereferenced only while id is live
    epoch_record* record;
  };
  std::vector<entry> entries;

  thread_cache() = default;
  thread_cache(const thread_cache&) = delete;
  thread_cache& operator=(const thread_cache&) = delete;
  ~thread_cache() {
    domain_registry& reg = registry();
    {
      std::lock_guard lock(reg.mu);  // the domains stay alive while we release
      for (const entry& e : entries)
        if (reg.is_live(e.id)) e.domain->release_record(e.record);
    }
    detail::epoch_tls = {};
    thread_cache_gone = true;
  }
};

epoch_domain::epoch_domain(std::size_t retire_threshold)
    : id_(next_domain_id.fetch_add(1, std::memory_order_relaxed)),
      threshold_(std::max<std::size_t>(retire_threshold, 1)) {
  domain_registry& reg = registry();
  std::lock_guard lock(reg.mu);
  reg.live.push_back(id_);
}

epoch_domain::~epoch_domain() {
  {
    domain_registry& reg = registry();
    std::lock_guard lock(reg.mu);
    std::erase(reg.live, id_);
  }
  // From here no exiting thread touches this domain. Free everything still
  // retired; a deleter may retire more (from this thread), so repeat until a
  // round finds nothing.
  for (;;) {
    retire_batch* chain = orphans_.exchange(nullptr, std::memory_order_acquire);  // (R13)
    orphan_count_.store(0, std::memory_order_relaxed);
    // (R9) acquire side: every record's fields as published.
    for (epoch_record* r = records_.load(std::memory_order_acquire); r != nullptr; r = r->next) {
      if (r->open != nullptr) {
        r->open->next = chain;
        chain = std::exchange(r->open, nullptr);
      }
      if (r->sealed_head != nullptr) {
        r->sealed_tail->next = chain;
        chain = std::exchange(r->sealed_head, nullptr);
        r->sealed_tail = nullptr;
      }
      r->count.store(0, std::memory_order_relaxed);
    }
    if (chain == nullptr) break;
    while (chain != nullptr) {
      retire_batch* b = chain;
      chain = b->next;
      free_batch_items(b);
      delete b;
    }
  }
  for (epoch_record* r = records_.load(std::memory_order_acquire); r != nullptr;) {  // (R9)
    epoch_record* next = r->next;
    while (retire_batch* s = r->spares) {
      r->spares = s->next;
      delete s;
    }
    delete r;
    r = next;
  }
  if (detail::epoch_tls.domain_id == id_) detail::epoch_tls = {};
}

// --- registration -------------------------------------------------------------

epoch_record* epoch_domain::register_thread() noexcept {
  epoch_record* r = nullptr;
  if (!thread_cache_gone) [[likely]] {
    thread_local thread_cache cache;
    for (const thread_cache::entry& e : cache.entries)
      if (e.id == id_) {
        r = e.record;
        break;
      }
    if (r == nullptr) {
      r = acquire_record();
      domain_registry& reg = registry();
      std::lock_guard lock(reg.mu);
      std::erase_if(cache.entries,
                    [&](const thread_cache::entry& e) { return !reg.is_live(e.id); });
      try {
        cache.entries.push_back({id_, this, r});
      } catch (...) {
        fatal("out of memory registering a thread");
      }
    }
  } else {
    // A thread_local destructor that runs after ours uses the domain: the
    // record cannot be given back at exit. It stays owned, and what it holds
    // is freed when the domain is destroyed.
    r = acquire_record();
  }
  detail::epoch_tls = {id_, r};
  return r;
}

epoch_record* epoch_domain::acquire_record() noexcept {
  // (R9) acquire side: a record seen is initialised; next is immutable.
  for (epoch_record* r = records_.load(std::memory_order_acquire); r != nullptr; r = r->next) {
    std::uint32_t expected = epoch_record::free_state;
    // relaxed pre-check: skips owned records without a locked instruction.
    if (r->state.load(std::memory_order_relaxed) == epoch_record::free_state &&
        r->state.compare_exchange_strong(expected, epoch_record::owned_state,
                                         std::memory_order_acquire,  // (R10)
                                         std::memory_order_relaxed))
      return r;
  }
  auto* r = new (std::nothrow) epoch_record();
  if (r == nullptr) fatal("out of memory registering a thread");
  r->check_at = threshold_;
  if (auto* s = new (std::nothrow) retire_batch()) {  // the reserve (see take_batch)
    r->spares = s;
    r->spare_count = 1;
  }
  epoch_record* head = records_.load(std::memory_order_relaxed);
  do {
    r->next = head;
  } while (!records_.compare_exchange_weak(head, r, std::memory_order_seq_cst,  // (R9)
                                           std::memory_order_relaxed));
  return r;
}

void epoch_domain::release_record(epoch_record* r) noexcept {
  PAGEPOOL_ASSERT(r->nest == 0, "a thread exited inside an epoch_domain guard");
  if (r->nest != 0) {  // without asserts: at least do not hold E back forever
    r->nest = 0;
    r->announce.store(0, std::memory_order_release);  // (R3)
  }
  seal(r);
  if (r->sealed_head != nullptr) {
    // relaxed: a count for pending(); added before the push, so it never
    // goes below zero when the batches are freed.
    orphan_count_.fetch_add(r->count.load(std::memory_order_relaxed), std::memory_order_relaxed);
    push_orphans(r->sealed_head, r->sealed_tail);
    r->sealed_head = r->sealed_tail = nullptr;
  }
  r->count.store(0, std::memory_order_relaxed);
  r->check_at = threshold_;
  r->state.store(epoch_record::free_state, std::memory_order_release);  // (R11)
}

// --- retiring -----------------------------------------------------------------

retire_batch* epoch_domain::take_batch(epoch_record* r) noexcept {
  auto allocate = []() noexcept -> retire_batch* {
    if (failing_allocations_ != 0) {
      --failing_allocations_;
      return nullptr;
    }
    return new (std::nothrow) retire_batch();
  };
  retire_batch* b = r->spares;
  if (b != nullptr) {
    r->spares = b->next;
    --r->spare_count;
  } else {
    b = allocate();
  }
  // Keep a reserve: inside a guard, retire cannot wait out a failed
  // allocation (its own region holds E back).
  if (b != nullptr && r->spares == nullptr) {
    if (retire_batch* s = allocate()) {
      s->next = nullptr;
      r->spares = s;
      r->spare_count = 1;
    }
  }
  if (b != nullptr) {
    b->next = nullptr;
    b->size = 0;
  }
  return b;
}

void epoch_domain::recycle_batch(epoch_record* r, retire_batch* b) noexcept {
  if (r->spare_count < max_spares) {
    b->size = 0;
    b->next = r->spares;
    r->spares = b;
    ++r->spare_count;
  } else {
    delete b;
  }
}

std::size_t epoch_domain::free_batch_items(retire_batch* b) noexcept {
  const std::size_t n = b->size;
  for (std::size_t i = 0; i < n; ++i) b->items[i].deleter(b->items[i].p);
  b->size = 0;
  return n;
}

void epoch_domain::retire(void* p, void (*deleter)(void*)) noexcept {
  if (p == nullptr) return;
  PAGEPOOL_ASSERT(deleter != nullptr, "retire needs a deleter");
  epoch_record* r = local_record();
  retire_batch* b = r->open;
  if (b == nullptr || b->size == retire_batch::capacity) {
    seal(r);
    b = take_batch(r);
    if (b == nullptr) {
      retire_synchronously(r, p, deleter);
      return;
    }
    r->open = b;
  }
  b->items[b->size++] = {p, deleter};
  // relaxed: this thread is the only writer; pending() reads it.
  const std::size_t n = r->count.load(std::memory_order_relaxed) + 1;
  r->count.store(n, std::memory_order_relaxed);
  if (n >= r->check_at && !r->reclaiming) reclaim_step(r);
}

void epoch_domain::seal(epoch_record* r) noexcept {
  retire_batch* b = r->open;
  if (b == nullptr || b->size == 0) return;
  // (R7) the tag, read by a read-modify-write [release] after every object
  // in the batch was unlinked: a thread that reads a later E at (R2) sees the
  // unlinks, so it cannot reach these objects.
  b->epoch = global_.fetch_add(0, std::memory_order_release);
  b->next = nullptr;
  if (r->sealed_tail != nullptr)
    r->sealed_tail->next = b;
  else
    r->sealed_head = b;
  r->sealed_tail = b;
  r->open = nullptr;
}

void epoch_domain::retire_synchronously(epoch_record* r, void* p, void (*deleter)(void*)) noexcept {
  if (r->nest != 0) fatal("retire() in a guard: no memory, no reserve batch, and no way to wait");
  // (R7) as in seal: p was unlinked before this tag was taken.
  const std::uint64_t tag = global_.fetch_add(0, std::memory_order_release);
  backoff wait;
  // (R8) as in reclaim: E >= tag+2 read [acquire] orders every region that
  // could have seen p before the deleter.
  while (global_.load(std::memory_order_acquire) < tag + 2)
    if (!try_advance()) wait.pause();
  deleter(p);
  if (!r->reclaiming) reclaim_local(r);  // may give memory back
}

// --- advancing and reclaiming ---------------------------------------------------

bool epoch_domain::try_advance() noexcept {
  // (R4) E first, then every announcement (R5): the advancer's half of the
  // Dekker pair with enter's (R1)/(R2).
  std::uint64_t e = global_.load(std::memory_order_seq_cst);
  // (R5) seq_cst: a record pushed (R9) after this load belongs to a thread
  // whose (R2) will read the E we are about to write.
  for (const epoch_record* r = records_.load(std::memory_order_seq_cst); r != nullptr;
       r = r->next) {
    // (R5) acquire: pairs with (R3)/(R11): a region seen ended happened-before
    // the advance. seq_cst: pairs with (R1).
    const std::uint64_t a = r->announce.load(std::memory_order_seq_cst);
    if ((a & 1) != 0 && (a >> 1) != e) return false;  // active, has not observed e
  }
  // (R6) release: heads the release sequence (R8) and (R2) read.
  return global_.compare_exchange_strong(e, e + 1, std::memory_order_seq_cst,
                                         std::memory_order_relaxed);
}

void epoch_domain::reclaim_local(epoch_record* r) noexcept {
  if (r->reclaiming) return;
  // (R8) E >= tag+2 read [acquire]: synchronizes-with the advance (R6) that
  // reached it, after every region that could hold these objects ended.
  const std::uint64_t e = global_.load(std::memory_order_acquire);
  retire_batch* first = r->sealed_head;
  retire_batch* last = nullptr;
  for (retire_batch* b = first; b != nullptr && b->epoch + 2 <= e; b = b->next) last = b;
  if (last == nullptr) return;
  r->sealed_head = last->next;
  if (r->sealed_head == nullptr) r->sealed_tail = nullptr;
  last->next = nullptr;
  // The batches are detached: a deleter that retires into this domain
  // appends to the open batch and the sealed list without meeting them.
  r->reclaiming = true;
  std::size_t freed = 0;
  for (retire_batch* b = first; b != nullptr;) {
    retire_batch* next = b->next;
    freed += free_batch_items(b);
    recycle_batch(r, b);
    b = next;
  }
  r->reclaiming = false;
  // relaxed: single writer (see retire).
  r->count.store(r->count.load(std::memory_order_relaxed) - freed, std::memory_order_relaxed);
}

void epoch_domain::push_orphans(retire_batch* first, retire_batch* last) noexcept {
  retire_batch* head = orphans_.load(std::memory_order_relaxed);
  do {
    last->next = head;
  } while (!orphans_.compare_exchange_weak(head, first, std::memory_order_release,  // (R12)
                                           std::memory_order_relaxed));
}

void epoch_domain::reclaim_orphans(epoch_record* r) noexcept {
  if (r->reclaiming) return;
  // relaxed: a hint that saves the exchange when there is nothing; the
  // exchange below is the edge.
  if (orphans_.load(std::memory_order_relaxed) == nullptr) return;
  retire_batch* chain = orphans_.exchange(nullptr, std::memory_order_acquire);  // (R13)
  if (chain == nullptr) return;
  const std::uint64_t e = global_.load(std::memory_order_acquire);  // (R8)
  retire_batch* keep = nullptr;
  retire_batch* keep_tail = nullptr;
  retire_batch* expired = nullptr;
  while (chain != nullptr) {
    retire_batch* b = chain;
    chain = b->next;
    if (b->epoch + 2 <= e) {
      b->next = expired;
      expired = b;
    } else {
      if (keep == nullptr) keep_tail = b;
      b->next = keep;
      keep = b;
    }
  }
  if (keep != nullptr) push_orphans(keep, keep_tail);
  r->reclaiming = true;
  std::size_t freed = 0;
  while (expired != nullptr) {
    retire_batch* b = expired;
    expired = b->next;
    freed += free_batch_items(b);
    recycle_batch(r, b);
  }
  r->reclaiming = false;
  orphan_count_.fetch_sub(freed, std::memory_order_relaxed);  // relaxed: see release_record
}

void epoch_domain::reclaim_step(epoch_record* r) noexcept {
  seal(r);
  (void)try_advance();
  reclaim_local(r);
  reclaim_orphans(r);
  // Try again once half a threshold more has piled up, so that a region that
  // holds E back does not turn every retire into a scan of the records.
  r->check_at = std::max(threshold_, r->count.load(std::memory_order_relaxed) + threshold_ / 2 + 1);
}

void epoch_domain::collect() noexcept {
  epoch_record* r = local_record();
  if (r->reclaiming) return;  // called from a deleter: the running reclaim goes on
  seal(r);
  (void)try_advance();
  reclaim_step(r);  // the second advance, then reclaim
}

// --- observers ----------------------------------------------------------------

std::size_t epoch_domain::pending() const noexcept {
  // relaxed throughout: counts, exact once the threads are quiescent.
  std::size_t n = orphan_count_.load(std::memory_order_relaxed);
  // (R9) acquire side: the records are initialised.
  for (const epoch_record* r = records_.load(std::memory_order_acquire); r != nullptr; r = r->next)
    n += r->count.load(std::memory_order_relaxed);
  return n;
}

std::uint64_t epoch_domain::epoch() const noexcept {
  return global_.load(std::memory_order_relaxed);  // relaxed: an observation for tests
}

std::size_t epoch_domain::registered_records() const noexcept {
  std::size_t n = 0;
  // (R9) acquire side: next is initialised.
  for (const epoch_record* r = records_.load(std::memory_order_acquire); r != nullptr; r = r->next)
    ++n;
  return n;
}

}  // namespace pagepool::internal
