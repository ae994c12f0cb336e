// src/core/policy_host.cpp: the eviction policies' host (see policy_host.hpp).
#include "core/policy_host.hpp"

#include <new>

#include "core/pool_impl.hpp"
#include "policy/arc.hpp"
#include "policy/clock.hpp"
#include "policy/clockpro.hpp"
#include "policy/fifo.hpp"
#include "policy/lirs.hpp"
#include "policy/lru.hpp"
#include "policy/lru2.hpp"
#include "policy/s3fifo.hpp"
#include "policy/sieve.hpp"
#include "policy/twoq.hpp"
#include "policy/wtinylfu.hpp"

namespace pagepool::internal {

// ------------------------------------------------------------------ the view

bool pool_frames::set_usage(policy::frame_id f, std::uint32_t from, std::uint32_t to) noexcept {
  ++visits_;
  frame& fr = rg_.frame_at(f);
  frame_state::word s = fr.state.load(std::memory_order_relaxed);
  if (!frame_state::evictable(s) || frame_state::usage(s) != from) return false;
  // A lost race leaves the count as it was.
  if (frame_ops::set_usage(fr, s, to)) return true;
  ++usage_lost_;
  return false;
}

bool pool_frames::claim(policy::frame_id f) noexcept {
  ++visits_;
  frame& fr = rg_.frame_at(f);
  frame_state::word s = fr.state.load(std::memory_order_relaxed);
  if (!frame_state::evictable(s) || pool_.unevictable(r_, f)) return false;
  if (!frame_ops::claim(fr, s)) {  // (E1)
    ++claim_lost_;
    return false;
  }
  if (pool_.unevictable(r_, f)) {  // the key changed before the claim: give it back
    frame_ops::give_back(fr, s);  // (E2)
    return false;
  }
  claimed_ = s | frame_state::busy;
  return true;
}

// ------------------------------------------------------------- the wrappers

namespace {

template <class P>
  requires policy::eviction_policy<P, pool_frames>
class policy_model final : public region_policy {
 public:
  // A lock_free policy's hooks run concurrently and unlatched: they go
  // straight to it, and the wrapper keeps no bookkeeping for it.
  static constexpr bool lock_free = P::model == policy::concurrency_model::lock_free;

  explicit policy_model(std::uint32_t cap)
      : p_(cap), tracked_(lock_free ? 0 : cap, false), keys_(lock_free ? 0 : cap) {}
  void on_insert(policy::frame_id f, policy::page_key k) override {
    if constexpr (lock_free) {
      p_.on_insert(f, k);
      return;
    }
    if (f >= tracked_.size()) return;
    tracked_[f] = true;
    keys_[f] = k;
    p_.on_insert(f, k);
  }
  void on_hit(policy::frame_id f, policy::page_key k) override {
    if (holds(f, k)) p_.on_hit(f, k);
  }
  void on_demote(policy::frame_id f, policy::page_key k) override {
    if (lock_free || holds(f, k)) p_.on_demote(f);
  }
  void on_remove(policy::frame_id f) override {
    if (f >= tracked_.size() || !tracked_[f]) return;
    tracked_[f] = false;
    p_.on_remove(f);
  }
  policy::frame_id evict(policy::page_key k, pool_frames& v) override {
    const policy::frame_id f = p_.evict(k, v);
    if (f != policy::no_frame && f < tracked_.size()) tracked_[f] = false;
    return f;
  }
  void resize(std::uint32_t c) override {
    if constexpr (requires { p_.resize(c); }) p_.resize(c);
  }
  std::size_t size() const override { return p_.size(); }
  bool tracks(policy::frame_id f) const override { return f < tracked_.size() && tracked_[f]; }

 private:
  bool holds(policy::frame_id f, policy::page_key k) const noexcept {
    return f < tracked_.size() && tracked_[f] && keys_[f] == k;
  }
  P p_;
  std::vector<bool> tracked_;
  std::vector<policy::page_key> keys_;  // the page each tracked frame holds
};

template <class P>
std::uint32_t rule_of() noexcept {
  std::uint32_t r = 0;
  for (std::uint32_t u = 0; u <= policy::usage_max; ++u) {
    const std::uint32_t nu = P::on_hit_usage(u);
    r |= (nu > policy::usage_max ? policy::usage_max : nu) << (3 * u);
  }
  if (P::model == policy::concurrency_model::batched_hits) r |= hit_rule::record;
  if (P::model != policy::concurrency_model::lock_free) r |= hit_rule::latched;
  return r;
}

template <class F>
decltype(auto) with_kind(policy_kind kind, F&& f) {
  switch (kind) {
    case policy_kind::lru: return f(static_cast<policy::lru_policy*>(nullptr));
    case policy_kind::fifo: return f(static_cast<policy::fifo_policy*>(nullptr));
    case policy_kind::sieve: return f(static_cast<policy::sieve_policy*>(nullptr));
    case policy_kind::s3fifo: return f(static_cast<policy::s3fifo_policy*>(nullptr));
    case policy_kind::arc: return f(static_cast<policy::arc_policy*>(nullptr));
    case policy_kind::twoq: return f(static_cast<policy::twoq_policy*>(nullptr));
    case policy_kind::lirs: return f(static_cast<policy::lirs_policy*>(nullptr));
    case policy_kind::wtinylfu: return f(static_cast<policy::wtinylfu_policy*>(nullptr));
    case policy_kind::lru2: return f(static_cast<policy::lru2_policy*>(nullptr));
    case policy_kind::clockpro: return f(static_cast<policy::clockpro_policy*>(nullptr));
    default: return f(static_cast<policy::clock_policy*>(nullptr));
  }
}

}  // namespace

std::unique_ptr<region_policy> make_region_policy(policy_kind kind, std::uint32_t cap) noexcept {
  try {
    return with_kind(kind, [&]<class P>(P*) -> std::unique_ptr<region_policy> {
      return std::make_unique<policy_model<P>>(cap);
    });
  } catch (...) {  // out of memory
    return nullptr;
  }
}

std::uint32_t hit_rule::of(policy_kind kind) noexcept {
  return with_kind(kind, []<class P>(P*) { return rule_of<P>(); });
}

// --------------------------------------------------------- pool_impl's side

namespace {

/// Takes region r's policy latch, counting whether it had to wait.
std::unique_lock<policy_latch> lock_counted(policy_slot& ps, region& rg) noexcept {
  std::unique_lock<policy_latch> lk(ps.mu, std::try_to_lock);
  if (lk.owns_lock()) {
    rg.hdr().counters.add<&region_counters::policy_nowait>();
  } else {
    rg.hdr().counters.add<&region_counters::policy_wait>();
    lk.lock();
  }
  return lk;
}

std::atomic<std::uint64_t> next_serial{1};

/// One thread's queued touches (BP-Wrapper): for one pool at a time.
struct touch_queue {
  struct entry {
    std::uint32_t region, frame;
    policy::page_key key;
    bool demote;
  };
  static constexpr std::uint32_t capacity = 64;
  std::uint64_t serial = 0;  // the pool the entries are for
  std::uint32_t n = 0;
  entry e[capacity];
};
thread_local touch_queue tl_touches;

bool valid_kind(policy_kind k) noexcept {
  const int v = static_cast<int>(k);
  return v >= 0 && v < policy_kind_count;
}

}  // namespace

std::error_code pool_impl::init_policy(policy_kind kind) noexcept {
  if (!valid_kind(kind)) return {EINVAL, std::generic_category()};
  // relaxed: a unique number, nothing published through it.
  serial_ = next_serial.fetch_add(1, std::memory_order_relaxed);
  const auto nreg = static_cast<std::uint32_t>(regions_.size());
  try {
    pslots_ = std::make_unique<policy_slot[]>(nreg);  // every class's, live or not
  } catch (...) {
    return {ENOMEM, std::generic_category()};
  }
  kind_.store(static_cast<int>(kind), std::memory_order_relaxed);
  for (std::uint32_t r = 0; r < nreg; ++r)
    if (region_live(r))
      if (auto ec = init_region_policy(r)) return ec;
  hit_rule_.store(hit_rule::of(kind), std::memory_order_relaxed);
  kind_.store(static_cast<int>(kind), std::memory_order_relaxed);
  return {};
}

std::error_code pool_impl::init_region_policy(std::uint32_t r) noexcept {
  const std::uint32_t cap = regions_[r]->cap();
  const policy_kind kind = policy();
  pslots_[r].clock = make_region_policy(policy_kind::clock, cap);
  if (!pslots_[r].clock) return {ENOMEM, std::generic_category()};
  if (kind != policy_kind::clock) {
    pslots_[r].p = make_region_policy(kind, cap);
    if (!pslots_[r].p) return {ENOMEM, std::generic_category()};
    pslots_[r].p->resize(regions_[r]->nframes());
  }
  return {};
}

std::error_code pool_impl::set_policy(policy_kind kind) noexcept {
  if (!valid_kind(kind) || closed.load(std::memory_order_relaxed))
    return {EINVAL, std::generic_category()};
  std::lock_guard g(resize_mu_);  // one swap or resize at a time
  const auto nreg = static_cast<std::uint32_t>(regions_.size());
  // Build every instance first, so that running out of memory changes nothing.
  std::vector<std::unique_ptr<region_policy>> fresh;
  try {
    fresh.resize(nreg);
  } catch (...) {
    return {ENOMEM, std::generic_category()};
  }
  if (kind != policy_kind::clock) {
    for (std::uint32_t r = 0; r < nreg; ++r) {
      if (!region_live(r)) continue;  // its class gets the kind when it is made
      fresh[r] = make_region_policy(kind, regions_[r]->cap());
      if (!fresh[r]) return {ENOMEM, std::generic_category()};
    }
  }
  apply_queued();  // this thread's touches belong to the old policy
  // Latched notifications start now (a latched call that finds no policy
  // installed yet falls back to the region's CLOCK); the seeding below then
  // finds every frame inserted before this point.
  hit_rule_.store(hit_rule::of(kind), std::memory_order_relaxed);
  kind_.store(static_cast<int>(kind), std::memory_order_relaxed);
  for (std::uint32_t r = 0; r < nreg; ++r) {
    if (!region_live(r)) continue;
    policy_slot& ps = pslots_[r];
    std::unique_ptr<region_policy> old;
    {
      std::lock_guard lk(ps.mu);
      if (fresh[r]) {
        fresh[r]->resize(regions_[r]->nframes());
        reconcile_locked(r, *fresh[r]);
      }
      old = std::move(ps.p);
      ps.p = std::move(fresh[r]);
    }
    // `old` is freed here, outside the latch: every call into it ran under it.
  }
  return {};
}

void pool_impl::reconcile_locked(std::uint32_t r, region_policy& p) noexcept {
  region& rg = *regions_[r];
  const std::uint32_t end = rg.scan_end();
  for (std::uint32_t i = 0; i < end; ++i) {
    // relaxed: a resident frame found here is tracked; one missed because its
    // state is changing is a frame whose notification is still to come (or
    // the next reconcile's).
    const frame_state::word s = rg.frame_at(i).state.load(std::memory_order_relaxed);
    if ((s & frame_state::valid) == 0 || p.tracks(i)) continue;
    try {
      p.on_insert(i, key_of(r, i));
    } catch (...) {  // out of memory in a ghost table: the frame stays untracked
    }
  }
}

std::uint32_t pool_impl::choose_victim(std::uint32_t r, policy::page_key k, pool_frames& view,
                                       bool& inserted, bool may_insert) noexcept {
  inserted = false;
  policy_slot& ps = pslots_[r];
  if ((hit_rule_.load(std::memory_order_relaxed) & hit_rule::latched) == 0)
    return ps.clock->evict(k, view);
  const auto g = lock_counted(ps, *regions_[r]);
  // This thread's queued hits on region r go first, under the same latch
  // (issue 12: one acquisition per miss, hits included).
  apply_queued_locked(r, ps);
  if (!ps.p) return ps.clock->evict(k, view);  // a swap to CLOCK under way
  std::uint32_t f = no_frame;
  try {
    f = ps.p->evict(k, view);
    if (f == no_frame) {  // untracked frames after a swap? track them, look again
      reconcile_locked(r, *ps.p);
      f = ps.p->evict(k, view);
    }
  } catch (...) {  // a policy that allocates ran out of memory: no victim now
    f = no_frame;
  }
  // The miss's insert, under the latch this evict took (issue 12: the latch
  // is the one line every missing thread writes; taking it once per miss
  // halves that traffic). Only for a clean victim in service: its eviction
  // cannot fail (no write), and it is not retired, so the insert is the one
  // the miss would make next with nothing in between: a single thread sees
  // the same order of policy calls as with two acquisitions. A dirty victim
  // whose write fails is re-inserted with its old page by alloc_frame, as
  // before, without an insert of k first (ghost lists would remember that).
  if (may_insert && f != no_frame && (view.claimed_word() & frame_state::dirty) == 0 &&
      f < regions_[r]->nframes()) {
    try {
      ps.p->on_insert(f, k);
      inserted = true;
    } catch (...) {  // out of memory in a ghost table: the caller inserts it
    }
  }
  return f;
}

void pool_impl::policy_inserted(std::uint32_t r, std::uint32_t f, policy::page_key k) noexcept {
  if ((hit_rule_.load(std::memory_order_relaxed) & hit_rule::latched) == 0) return;
  policy_slot& ps = pslots_[r];
  const auto g = lock_counted(ps, *regions_[r]);
  apply_queued_locked(r, ps);
  if (!ps.p) return;
  try {
    ps.p->on_insert(f, k);
  } catch (...) {  // out of memory in a ghost table: reconcile tracks it later
  }
}

void pool_impl::policy_removed(std::uint32_t r, std::uint32_t f) noexcept {
  if ((hit_rule_.load(std::memory_order_relaxed) & hit_rule::latched) == 0) return;
  policy_slot& ps = pslots_[r];
  const auto g = lock_counted(ps, *regions_[r]);
  if (ps.p) ps.p->on_remove(f);
}

void pool_impl::policy_resized(std::uint32_t r) noexcept {
  policy_slot& ps = pslots_[r];
  std::lock_guard g(ps.mu);
  if (ps.p) ps.p->resize(regions_[r]->nframes());
}

void pool_impl::policy_demoted(std::uint32_t r, std::uint32_t f, policy::page_key k) noexcept {
  if (hit_rule_.load(std::memory_order_relaxed) & hit_rule::latched)
    queue_touch(r, f, k, true);
  else
    pslots_[r].clock->on_demote(f, k);  // lock-free: straight to the hand's hints
}

void pool_impl::queue_touch(std::uint32_t r, std::uint32_t f, policy::page_key k, bool demote) noexcept {
  touch_queue& q = tl_touches;
  if (q.serial != serial_) {  // entries of another pool, which may be gone: drop them
    q.serial = serial_;
    q.n = 0;
  }
  q.e[q.n++] = {r, f, k, demote};
  if (q.n == touch_queue::capacity) {
    flush_queued(false);
    if (q.n == touch_queue::capacity) flush_queued(true);  // all demotes, all contended
  }
}

void pool_impl::apply_queued() noexcept { flush_queued(true); }

// A full queue is flushed without waiting (BP-Wrapper's try-lock, as
// Caffeine's read buffers do): a region whose latch another thread holds
// loses this thread's queued hits on it, which are dropped, not waited for.
// A dropped hit is one the list policy does not see (LRU and ARC then
// approximate recency under contention; see their headers); demotes are kept
// for the next flush, since dropping one would leave a discarded page where
// it was. A lone thread always gets the latch, so nothing is ever dropped
// single-threaded and the order of calls stays exact.
void pool_impl::flush_queued(bool wait) noexcept {
  touch_queue& q = tl_touches;
  if (q.n == 0 || q.serial != serial_) return;
  const std::uint32_t n = q.n;
  std::uint32_t kept = 0;
  // Entries are applied in order; consecutive ones of one region share a
  // latch acquisition (one region is the common case).
  for (std::uint32_t i = 0; i < n;) {
    const std::uint32_t r = q.e[i].region;
    std::uint32_t end = i;
    while (end < n && q.e[end].region == r) ++end;
    if (r >= regions_.size()) {
      i = end;
      continue;
    }
    policy_slot& ps = pslots_[r];
    std::unique_lock<policy_latch> g;
    if (wait) {
      g = lock_counted(ps, *regions_[r]);
    } else {
      g = std::unique_lock<policy_latch>(ps.mu, std::try_to_lock);
      if (!g.owns_lock()) {  // contended: drop the hits, keep the demotes
        std::uint64_t dropped = 0;
        for (; i < end; ++i)
          if (q.e[i].demote)
            q.e[kept++] = q.e[i];
          else
            ++dropped;
        if (dropped != 0) regions_[r]->hdr().counters.add<&region_counters::hits_dropped>(dropped);
        continue;
      }
      regions_[r]->hdr().counters.add<&region_counters::policy_nowait>();
    }
    for (; i < end; ++i) {
      if (!ps.p) continue;
      const auto& e = q.e[i];
      if (e.demote)
        ps.p->on_demote(e.frame, e.key);
      else
        ps.p->on_hit(e.frame, e.key);
    }
  }
  q.n = kept;
}

void pool_impl::apply_queued_locked(std::uint32_t r, policy_slot& ps) noexcept {
  touch_queue& q = tl_touches;
  if (q.n == 0 || q.serial != serial_) return;
  // Region r's entries are applied in order; the others keep theirs (each
  // region's policy is independent of the others', so only the order within
  // a region matters).
  std::uint32_t kept = 0;
  for (std::uint32_t i = 0; i < q.n; ++i) {
    const auto& e = q.e[i];
    if (e.region != r) {
      q.e[kept++] = e;
      continue;
    }
    if (!ps.p) continue;
    if (e.demote)
      ps.p->on_demote(e.frame, e.key);
    else
      ps.p->on_hit(e.frame, e.key);
  }
  q.n = kept;
}

}  // namespace pagepool::internal
