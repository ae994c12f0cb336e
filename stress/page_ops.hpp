// stress/page_ops.hpp: the two ways a worker touches a page of a data file,
// each checked against the oracle (testkit/page_oracle.hpp): read_page (pin, check, unpin,
// in one of several styles of the API) and write_page (the page's writer
// mutex, a pin with a dirty flag, an exact check, the next version, put,
// commit).
#pragma once

#include <cstdint>

#include "data_file.hpp"
#include "harness.hpp"
#include "pagepool/pagepool.hpp"

namespace pagepool::stress {

enum class op_status {
  ok,
  enomem,  // the get failed with ENOMEM, and the caller allowed it
  failed,  // a failure was logged
};

/// Pins page `pgno` of `df` through `f` (with `extra` flags, e.g. create),
/// checks it, and unpins it. ENOMEM is a failure unless `enomem_ok`.
op_status read_page(worker& w, file& f, const data_file& df, pgno_t pgno,
                    get_flags extra = get_flags::none, bool enomem_ok = false);

/// Writes the next version of page `pgno` of `df` through `f`.
op_status write_page(worker& w, file& f, const data_file& df, pgno_t pgno,
                     get_flags extra = get_flags::none, bool enomem_ok = false);

/// A read or a write, `write_percent` of the time a write.
op_status touch_page(worker& w, file& f, const data_file& df, pgno_t pgno, unsigned write_percent,
                     get_flags extra = get_flags::none, bool enomem_ok = false);

/// Checks a page the caller pinned as a reader; `floor` is the committed
/// version loaded before the get. Counts the check; logs a failure.
bool check_read(worker& w, const void* page, const data_file& df, pgno_t pgno, std::uint64_t floor,
                const char* what);

/// A page the caller pinned earlier (as a reader) and still holds: checks it
/// again. Pinned, it cannot have moved, so it must hold at least the version
/// committed now. `what` names the situation for the failure message.
bool check_held(worker& w, const void* page, const data_file& df, pgno_t pgno, const char* what);

}  // namespace pagepool::stress
