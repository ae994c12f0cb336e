// src/share/owned_latch.cpp: the waits of owned_latch (the word, its life and
// its edges are drawn in owned_latch.hpp).
#include "share/owned_latch.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "port/cache_line.hpp"

namespace pagepool::internal {

namespace {

using clock = std::chrono::steady_clock;

std::uint32_t* futex_word(std::atomic<std::uint32_t>& w) noexcept {
  return reinterpret_cast<std::uint32_t*>(&w);
}

// Sleeps while the word holds `expect`, at most `slice`; returns on a wake, a
// change, a signal or the end of the slice alike (the caller looks again).
// FUTEX_WAIT, never FUTEX_WAIT_PRIVATE: the waker may be another process.
void futex_sleep(std::atomic<std::uint32_t>& w, std::uint32_t expect,
                 std::chrono::nanoseconds slice) noexcept {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(slice.count() / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(slice.count() % 1'000'000'000);
  (void)::syscall(SYS_futex, futex_word(w), FUTEX_WAIT, expect, &ts, nullptr, 0);
}

}  // namespace

void owned_latch::wake_one() noexcept {
  // FUTEX_WAKE, not FUTEX_WAKE_PRIVATE: the sleeper may be another process.
  (void)::syscall(SYS_futex, futex_word(word_), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

std::uint32_t owned_latch::take_if_dead(std::uint32_t me, const owner_oracle& alive) noexcept {
  // relaxed: a snapshot; the CAS below decides.
  std::uint32_t v = word_.load(std::memory_order_relaxed);
  const std::uint32_t holder = v & owner_mask;
  if (holder == 0 || holder == me || alive.is_alive(holder)) return 0;
  // acquire (OL3): orders our reads of what the dead holder guarded after
  // the check that saw it dead. W is kept: others may sleep on the word.
  if (!word_.compare_exchange_strong(v, me | waiters, std::memory_order_acquire,
                                     std::memory_order_relaxed))
    return 0;  // changed meanwhile: not the dead holder's any more
  return holder;
}

owned_latch::result owned_latch::lock_slow(std::uint32_t me, const owner_oracle& alive,
                                           const wait_options& o) noexcept {
  result r;
  r.waited = true;
  // Spin first: most holds are a few list operations.
  for (unsigned i = 0; i < o.spins; ++i) {
    for (unsigned k = 0; k < (1u << (i < 6 ? i : 6)); ++k) cpu_relax();
    // relaxed: a peek, so that the spin reads a shared line, not CASes it.
    std::uint32_t v = word_.load(std::memory_order_relaxed);
    if (v == 0 && word_.compare_exchange_weak(v, me, std::memory_order_acquire,  // (OL1)
                                              std::memory_order_relaxed))
      return r;
  }
  const auto start = clock::now();
  std::uint32_t watched = 0;  // the holder whose time is being measured
  auto watched_since = start;
  for (;;) {
    // relaxed: the CASes below decide; this only chooses which to try.
    std::uint32_t v = word_.load(std::memory_order_relaxed);
    if (v == 0) {
      // Taken with W: another waiter may still sleep on the word, and only
      // our unlock can wake it.
      if (word_.compare_exchange_weak(v, me | waiters, std::memory_order_acquire,  // (OL1)
                                      std::memory_order_relaxed))
        return r;
      continue;
    }
    const std::uint32_t holder = v & owner_mask;
    const auto now = clock::now();
    if (holder != watched) {
      watched = holder;
      watched_since = now;
    } else if (holder != me && now - watched_since >= o.check_after) {
      if (!alive.is_alive(holder)) {
        if (word_.compare_exchange_strong(v, me | waiters, std::memory_order_acquire,  // (OL3)
                                          std::memory_order_relaxed)) {
          r.how = outcome::from_dead;
          r.dead = holder;
          return r;
        }
        continue;  // the word moved: look again
      }
      watched_since = now;  // alive: ask again after another check_after
    }
    if (o.deadline.count() > 0 && now - start >= o.deadline) {
      r.how = outcome::timed_out;
      return r;
    }
    if (!(v & waiters)) {
      // relaxed: W only tells the holder's unlock to wake. An unlock before
      // this CAS makes it fail (the word is 0); one after it either sees W
      // and wakes, or comes before the sleep, which the kernel then refuses
      // (the word no longer holds v).
      if (!word_.compare_exchange_weak(v, v | waiters, std::memory_order_relaxed,
                                       std::memory_order_relaxed))
        continue;
      v |= waiters;
    }
    futex_sleep(word_, v, o.slice);
  }
}

}  // namespace pagepool::internal
