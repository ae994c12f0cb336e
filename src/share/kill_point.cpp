// src/share/kill_point.cpp: pagepool/testing.hpp's kill points.
#include <signal.h>
#include <unistd.h>

#include <atomic>

#include "pagepool/testing.hpp"

namespace pagepool::testing {

namespace {
// relaxed: a test sets it before the call it wants to die in; nothing is
// published through it.
std::atomic<unsigned> point{0};
}  // namespace

void set_kill_point(kill_point p) noexcept {
  point.store(static_cast<unsigned>(p), std::memory_order_relaxed);
}

void reach_kill_point(kill_point p) noexcept {
  if (p != kill_point::none && point.load(std::memory_order_relaxed) == static_cast<unsigned>(p))
    ::kill(::getpid(), SIGKILL);
}

}  // namespace pagepool::testing
