// stress/page_ops.cpp: reads and writes of pages, each checked against the
// oracle. The styles vary on purpose: raw pointers and page_handle, the dirty
// flag given at get, at put or through set, second pins of a pinned page,
// discard and priorities, so that every path of get/put/set meets the others
// under load.

#include "page_ops.hpp"

#include <atomic>
#include <mutex>

#include "testkit/page_stamp.hpp"

namespace pagepool::stress {

namespace {

std::uint64_t where(const data_file& df, pgno_t pgno) {
  return std::uint64_t{df.file_no()} << 32 | pgno;
}

/// Logs a put or release that failed.
void check_put(worker& w, const std::error_code& ec, const char* what, const data_file& df, pgno_t pgno) {
  ++w.tally.ops;
  if (ec) w.fail(msg() << what << " of file " << df.file_no() << " page " << pgno << ": " << describe(ec));
}

/// The result of a failed get: ENOMEM is allowed or not, anything else fails.
op_status get_failed(worker& w, const std::error_code& ec, const char* what, const data_file& df,
                     pgno_t pgno, bool enomem_ok) {
  if (ec == std::errc::not_enough_memory && enomem_ok) {
    ++w.tally.enomem;
    return op_status::enomem;
  }
  w.fail(msg() << what << " of file " << df.file_no() << " page " << pgno << ": " << describe(ec)
               << (ec == std::errc::not_enough_memory
                       ? " (every thread holds at most two pins, far fewer than the frames)"
                       : ""));
  return op_status::failed;
}

/// Runs a get (the callable); when it fails with ENOMEM where ENOMEM is not
/// allowed, looks at how long it took. A pool returns ENOMEM only when every
/// frame stays pinned until its alloc_timeout, which traffic that holds two
/// pins a thread cannot cause; but a thread that the scheduler starves for
/// longer than the alloc_timeout (a swarm run beside a build on two cores)
/// reaches the deadline too. So an ENOMEM that came before the deadline is
/// always a failure, and one that came after it gets one retry, counted
/// (thread_tally::starved): a pool that really found nothing fails again.
template <class Get>
std::error_code get_once_more_if_starved(worker& w, bool enomem_ok, Get&& get) {
  const auto t0 = clock_type::now();
  std::error_code ec = get();
  if (enomem_ok || ec != std::errc::not_enough_memory) return ec;
  if (clock_type::now() - t0 < w.ctx.alloc_timeout) return ec;
  ++w.tally.starved;
  ++w.tally.ops;
  return get();
}

}  // namespace

bool check_read(worker& w, const void* page, const data_file& df, pgno_t pgno, std::uint64_t floor,
                const char* what) {
  ++w.tally.checks;
  using testkit::pinned_check;
  const pinned_check c =
      testkit::check_pinned(page, w.ctx.cfg.stamp_bytes(), df.page(pgno), pgno, floor, df.file_no());
  switch (c.result) {
    case pinned_check::kind::exact:
      return true;
    case pinned_check::kind::in_flight:
      ++w.tally.in_flight;
      return true;
    case pinned_check::kind::bad:
      break;
  }
  w.fail(msg() << what << ": " << c.why);
  return false;
}

op_status read_page(worker& w, file& f, const data_file& df, pgno_t pgno, get_flags extra,
                    bool enomem_ok) {
  const page_oracle& o = df.page(pgno);
  // acquire: pairs with (S3); a version committed before the get must be seen.
  const std::uint64_t floor = o.committed.load(std::memory_order_acquire);
  const unsigned style = static_cast<unsigned>(w.below(100));
  w.hb.at("read: get", where(df, pgno));
  ++w.tally.ops;
  if (style < 25) {  // page_handle, put by its destructor
    pgno_t n = pgno;
    page_handle h;
    if (auto ec = get_once_more_if_starved(w, enomem_ok, [&] { return f.get(n, extra, h); }))
      return get_failed(w, ec, "read get (page_handle)", df, pgno, enomem_ok);
    ++w.tally.gets;
    if (h.pgno() != pgno || h.bytes().size() != w.ctx.cfg.page_size)
      w.fail(msg() << "page_handle for file " << df.file_no() << " page " << pgno << " says page "
                   << h.pgno() << ", " << h.bytes().size() << " bytes");
    check_read(w, h.data(), df, pgno, floor, "read (page_handle)");
    w.hb.at("read: put", where(df, pgno));
    ++w.tally.ops;
    ++w.tally.reads;
    return op_status::ok;
  }
  // Raw pointers. 25..44: a second pin of the pinned page must be the same
  // frame; 45..59: put with discard and a very low priority; 60..74: a get
  // with the dirty flag that writes nothing (legal; sync must then write the
  // unchanged page or report it pinned); the rest: plain get and put.
  const get_flags gf = style >= 60 && style < 75 ? extra | get_flags::dirty : extra;
  pgno_t n = pgno;
  void* page = nullptr;
  if (auto ec = get_once_more_if_starved(w, enomem_ok, [&] { return f.get(&n, gf, &page); }))
    return get_failed(w, ec, "read get", df, pgno, enomem_ok);
  ++w.tally.gets;
  if (n != pgno) w.fail(msg() << "get of page " << pgno << " changed *pgno to " << n);
  check_read(w, page, df, pgno, floor, "read");
  if (style >= 25 && style < 45) {
    pgno_t n2 = pgno;
    void* again = nullptr;
    ++w.tally.ops;
    if (auto ec = f.get(&n2, get_flags::none, &again)) {
      w.fail(msg() << "second get of pinned file " << df.file_no() << " page " << pgno << ": "
                   << describe(ec));
    } else {
      ++w.tally.gets;
      ++w.tally.checks;
      if (again != page)
        w.fail(msg() << "file " << df.file_no() << " page " << pgno << " pinned at " << page
                     << " and pinned again at " << again << " (a page in two frames)");
      check_put(w, f.put(again), "put of the second pin", df, pgno);
    }
  }
  w.hb.at("read: put", where(df, pgno));
  if (style >= 45 && style < 60)
    check_put(w, f.put(page, priority::very_low, put_flags::discard), "put(discard)", df, pgno);
  else
    check_put(w, f.put(page), "put", df, pgno);
  ++w.tally.reads;
  return op_status::ok;
}

op_status write_page(worker& w, file& f, const data_file& df, pgno_t pgno, get_flags extra,
                     bool enomem_ok) {
  page_oracle& o = df.page(pgno);
  w.hb.at("write: writer mutex", where(df, pgno));
  std::lock_guard<std::mutex> lock(o.writer);
  // relaxed: the mutex orders these with the previous writer's stores.
  const std::uint64_t c = o.committed.load(std::memory_order_relaxed);
  if (c + 1 >= testkit::max_stamp_version) return op_status::ok;  // 4 billion writes of one page: stop writing it
  const std::uint64_t next = c + 1;
  const unsigned style = static_cast<unsigned>(w.below(5));
  const std::size_t ps = w.ctx.cfg.stamp_bytes();

  // The check before writing is exact: the mutex keeps other writers out.
  auto check_and_stamp = [&](void* page) {
    ++w.tally.checks;
    const testkit::stamp_scan scan = testkit::scan_page(page, ps, pgno, df.file_no());
    if (!scan.is_exactly(c)) {
      w.fail(msg() << "write: file " << df.file_no() << " page " << pgno << " pinned to write: expected"
                   << " exactly the committed version " << c << ", found "
                   << testkit::describe_scan(scan, pgno, df.file_no()));
      return false;
    }
    o.seq.store(2 * c + 1, std::memory_order_relaxed);     // (S1)
    std::atomic_thread_fence(std::memory_order_release);  // (S1) pairs with (R2)
    testkit::stamp_page(page, ps, pgno, next, df.file_no());
    o.seq.store(2 * c + 2, std::memory_order_release);  // (S2) pairs with (R1)
    return true;
  };

  w.hb.at("write: get", where(df, pgno));
  ++w.tally.ops;
  bool stamped = false;
  if (style >= 3) {  // page_handle: dirtied through set, or at get
    pgno_t n = pgno;
    page_handle h;
    const get_flags gf = style == 3 ? extra : extra | get_flags::dirty;
    if (auto ec = get_once_more_if_starved(w, enomem_ok, [&] { return f.get(n, gf, h); }))
      return get_failed(w, ec, "write get (page_handle)", df, pgno, enomem_ok);
    ++w.tally.gets;
    stamped = check_and_stamp(h.data());
    w.hb.at("write: put", where(df, pgno));
    if (stamped && style == 3) check_put(w, h.set(put_flags::dirty), "page_handle::set(dirty)", df, pgno);
    check_put(w, h.release(style == 4 ? priority::high : priority::unchanged), "page_handle::release", df, pgno);
  } else {
    // 0: dirty at get; 1: dirty at put; 2: edit at get, put dirty with discard.
    const get_flags gf = style == 0 ? extra | get_flags::dirty
                         : style == 2 ? extra | get_flags::edit
                                      : extra;
    pgno_t n = pgno;
    void* page = nullptr;
    if (auto ec = get_once_more_if_starved(w, enomem_ok, [&] { return f.get(&n, gf, &page); }))
      return get_failed(w, ec, "write get", df, pgno, enomem_ok);
    ++w.tally.gets;
    stamped = check_and_stamp(page);
    w.hb.at("write: put", where(df, pgno));
    if (!stamped)
      check_put(w, f.put(page), "put", df, pgno);
    else if (style == 0)
      check_put(w, f.put(page), "put", df, pgno);
    else if (style == 1)
      check_put(w, f.put(page, priority::unchanged, put_flags::dirty), "put(dirty)", df, pgno);
    else
      check_put(w, f.put(page, priority::very_low, put_flags::dirty | put_flags::discard),
                "put(dirty|discard)", df, pgno);
  }
  if (!stamped) return op_status::failed;
  o.committed.store(next, std::memory_order_release);  // (S3) pairs with read_page's load
  ++w.tally.writes;
  return op_status::ok;
}

op_status touch_page(worker& w, file& f, const data_file& df, pgno_t pgno, unsigned write_percent,
                     get_flags extra, bool enomem_ok) {
  return w.chance(write_percent) ? write_page(w, f, df, pgno, extra, enomem_ok)
                                 : read_page(w, f, df, pgno, extra, enomem_ok);
}

bool check_held(worker& w, const void* page, const data_file& df, pgno_t pgno, const char* what) {
  const std::uint64_t floor = df.page(pgno).committed.load(std::memory_order_acquire);
  return check_read(w, page, df, pgno, floor, what);
}

}  // namespace pagepool::stress
