// tests/policy/policy_test_support.hpp: a step-by-step replay of requests
// through one policy, doing the pool's part as simulate.hpp does, but one
// request at a time so that tests can look at each decision.
#pragma once

#include <cstdint>
#include <vector>

#include "pagepool/policy.hpp"
#include "policy/key_table.hpp"

namespace pagepool::policy::test {

/// What one request did.
struct step {
  bool hit = false;
  frame_id frame = no_frame;   ///< the frame that holds the page now
  frame_id victim = no_frame;  ///< the frame evict() returned (full misses)
  std::uint32_t evicted_page = 0;  ///< the page that left it
};

template <class P>
class stepper {
 public:
  explicit stepper(std::uint32_t c) : p(c), view(c), c_(c), table_(c), page_of_(c, 0) {}

  /// One request, as contract point 7 says. A failed evict (no_frame) leaves
  /// the page out and returns victim = no_frame, frame = no_frame.
  step access(std::uint32_t pg) {
    step s;
    const page_key k = page_key::of(0, pg);
    if (const std::uint32_t f = table_.find(pg); f != internal::key_table::npos) {
      view.hit(f, P::on_hit_usage(view.usage(f)));
      if constexpr (P::model == concurrency_model::batched_hits) p.on_hit(f, k);
      s.hit = true;
      s.frame = f;
      return s;
    }
    frame_id f;
    if (used_ < c_) {
      f = used_++;
    } else {
      f = p.evict(k, view);
      s.victim = f;
      if (f == no_frame) return s;
      s.evicted_page = page_of_[f];
      table_.erase(page_of_[f]);
      view.reset(f);
    }
    page_of_[f] = pg;
    table_.insert_or_assign(pg, f);
    p.on_insert(f, k);
    s.frame = f;
    return s;
  }

  /// The pool's part after an evict a test drove by hand (p.evict, as a
  /// thread of the pool would between its own steps): frame f, which that
  /// evict emptied, now holds page pg, and the policy hears on_insert.
  void place(frame_id f, std::uint32_t pg) {
    table_.erase(page_of_[f]);
    view.reset(f);
    page_of_[f] = pg;
    table_.insert_or_assign(pg, f);
    p.on_insert(f, page_key::of(0, pg));
  }

  /// The frame holding page pg, or no_frame.
  [[nodiscard]] frame_id frame_of(std::uint32_t pg) const {
    const std::uint32_t f = table_.find(pg);
    return f == internal::key_table::npos ? no_frame : f;
  }
  [[nodiscard]] std::uint32_t page_in(frame_id f) const { return page_of_[f]; }

  P p;
  basic_frames view;

 private:
  std::uint32_t c_;
  std::uint32_t used_ = 0;
  internal::key_table table_;
  std::vector<std::uint32_t> page_of_;
};

/// The classic reference string of Belady's anomaly (Belady, Nelson and
/// Shedler, CACM 1969): FIFO misses 9 times with 3 frames, 10 with 4.
inline const std::vector<std::uint32_t> belady_string = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};

}  // namespace pagepool::policy::test
