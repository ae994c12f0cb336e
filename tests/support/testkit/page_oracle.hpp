// testkit/page_oracle.hpp: what a test expects of one page that several
// threads read while one at a time writes it, and the check that compares a
// pinned page with it. The stress driver keeps one per page of every data
// file (stress/data_file.hpp); pages are stamped (page_stamp.hpp).
//
// The oracle of a page is two counters and a mutex:
//
//   writer     writers of the page take it in turn (a pin does not latch the
//              contents: README, "Pins"), so the versions of a page form one
//              sequence 1, 2, 3, ...;
//   seq        2v while the page memory holds version v and no writer is at
//              it; 2v + 1 while a writer is replacing v with v + 1 (a
//              seqlock, in the test, next to the page rather than in it);
//   committed  the last version whose put returned.
//
// A writer (stress/page_ops.cpp, write_page) holds `writer`, pins the page
// with a dirty flag (or dirties it at put or through set), checks it holds
// exactly version c = committed, then:
//
//   (S1) seq = 2c + 1 (relaxed), then a release fence;
//        stores of version c + 1, word by word (stamp_page: relaxed atomic stores);
//   (S2) seq = 2c + 2 (release);
//        put;
//   (S3) committed = c + 1 (release).
//
// A reader does not take the mutex, so it can meet a writer that holds the
// same page pinned. It loads f = committed (acquire, pairs with S3) before its
// get, pins the page, and scans it (check_pinned below):
//
//   (R1) s1 = seq (acquire, pairs with S2);
//        loads of every word (scan_page: relaxed atomic loads);
//   (R2) an acquire fence, then s2 = seq (relaxed; the fence pairs with S1's).
//
// Each word it loads is a whole word of some version j (stores and loads are
// of whole aligned words). The memory holds at least version s1 / 2 at R1
// (S2 for that version happened before, and so did the pool's hand-over of
// the frame that a correct pool makes), so j >= s1 / 2 >= f; and the store of
// j came after writer j's S1, which the fences order before R2, so
// s2 >= 2j - 1, that is j <= (s2 + 1) / 2. Hence the check, which cannot fail
// for a correct pool:
//
//   - if s1 == s2 and it is even (no writer at the page during the scan):
//     every word is of version exactly s1 / 2, and s1 / 2 >= f;
//   - otherwise (a writer was at work): every word is whole, and of a version
//     in [max(f, s1 / 2), (s2 + 1) / 2]. The reader retries a few times to get
//     the exact check first.
//
// Anything else is the pool's fault: a page read from the file before an
// earlier version was written back (a lost or late write-back), a page in two
// frames (the writer wrote the other), a frame reused or overwritten while
// pinned, a torn read or write of the file, another page's bytes.
//
// Why atomic loads and stores of page memory: the reader's loads race with the
// writer's stores by design (as in any seqlock); with relaxed atomics that race
// is defined behaviour, and ThreadSanitizer still sees every access of the
// pool's own (plain) reads and writes of the page, which a correct pool orders
// with pins (it copies or writes a page only while it is unpinned).
//
// At the end of a run, with nothing running, every page must hold exactly its
// committed version: in the pool, on disk after sync (stamp_file.hpp), and
// through a fresh pool.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "pagepool/types.hpp"

namespace pagepool::testkit {

/// The oracle of one page.
struct page_oracle {
  std::mutex writer;
  std::atomic<std::uint64_t> seq{0};
  std::atomic<std::uint64_t> committed{0};

  /// Starts the page at version `v` (before any thread uses it).
  void reset(std::uint64_t v) noexcept {
    seq.store(2 * v, std::memory_order_relaxed);
    committed.store(v, std::memory_order_relaxed);
  }
};

/// What check_pinned concluded.
struct pinned_check {
  enum class kind {
    exact,      // no writer at the page: every word of version `version`
    in_flight,  // a writer was at the page: every word whole, of a version in range
    bad,        // the pool's fault; `why` says how
  };
  kind result = kind::bad;
  std::uint64_t version = 0;
  std::string why;
};

/// Checks the first `bytes` bytes of page (file_no, pgno), pinned by the
/// caller, who does not write it, against its oracle `o`. `floor` is the
/// committed version loaded before the get.
pinned_check check_pinned(const void* page, std::size_t bytes, const page_oracle& o, pgno_t pgno,
                          std::uint64_t floor, std::uint16_t file_no = 0);

}  // namespace pagepool::testkit
