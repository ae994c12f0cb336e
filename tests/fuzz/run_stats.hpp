// tests/fuzz/run_stats.hpp: pagepool_api_fuzz's run-wide state, shared by all
// inputs: the scratch directory and its O_DIRECT alignment, the call and input
// counters, and how often each kind of result was seen (seen(), printed by
// report() with the totals). Defined in run_stats.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace pagepool_fuzz {

extern std::string g_dir;                // scratch directory, emptied before each input
// O_DIRECT offset alignment of g_dir's file system (0: O_DIRECT refused
// there, so open_flags::direct falls back to buffered I/O). file.hpp: with
// direct, a page size below it is EINVAL.
extern std::size_t g_dio_align;
extern std::uint64_t g_calls;            // API calls made, all inputs
extern std::uint64_t g_inputs;           // inputs run
extern std::uint64_t g_gave_up;          // inputs cut short: more than max_worlds worlds
extern std::uint64_t g_next_report;
extern bool g_print_trace;               // PAGEPOOL_FUZZ_TRACE=1: print every input's calls
extern std::size_t g_max_worlds;         // most worlds the model held at once
extern std::chrono::steady_clock::time_point g_start;

// The kinds of result counted (g_seen in run_stats.cpp names them).
enum seen_ix { get_ok, get_enomem, get_nf, get_enospc, get_eacces, get_einval, put_ok, put_einval,
               put_eacces, close_ebusy, sync_incomplete, open_ok, open_err, forks, reread,
               open_mapped, get_mapped, enomem_region, pool_regions };
void seen(seen_ix i);

/// Prints the totals: API calls, inputs, inputs cut short, results by kind.
void report();

}  // namespace pagepool_fuzz
