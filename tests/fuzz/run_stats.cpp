// tests/fuzz/run_stats.cpp: the run-wide state of pagepool_api_fuzz
// (run_stats.hpp) and its totals: how often each result was seen and the
// report printed every million calls and at exit.
#include "run_stats.hpp"

#include <cstdio>

#include "fuzz_common.hpp"

namespace pagepool_fuzz {

std::string g_dir;                // scratch directory, emptied before each input
// O_DIRECT offset alignment of g_dir's file system (0: O_DIRECT refused
// there, so open_flags::direct falls back to buffered I/O). file.hpp: with
// direct, a page size below it is EINVAL.
std::size_t g_dio_align = 0;
std::uint64_t g_calls = 0;        // API calls made, all inputs
std::uint64_t g_inputs = 0;       // inputs run
std::uint64_t g_gave_up = 0;      // inputs cut short: more than max_worlds worlds
std::uint64_t g_next_report = 1'000'000;
bool g_print_trace = false;       // PAGEPOOL_FUZZ_TRACE=1: print every input's calls
std::size_t g_max_worlds = 1;     // most worlds the model held at once
std::chrono::steady_clock::time_point g_start;

namespace {
// How often each result was seen (printed with the totals): evidence that the
// oracle is exercised on the interesting paths, not only on EINVAL.
struct result_counts {
  const char* name;
  std::uint64_t n;
};
result_counts g_seen[] = {
    {"get ok", 0},        {"get ENOMEM", 0},     {"get not-found", 0}, {"get ENOSPC", 0},
    {"get EACCES", 0},    {"get EINVAL", 0},     {"put/set ok", 0},    {"put/set EINVAL", 0},
    {"put/set EACCES", 0}, {"close EBUSY", 0},   {"sync incomplete", 0}, {"open ok", 0},
    {"open error", 0},    {"world forks", 0},    {"read back from file", 0},
    {"open mapped", 0},   {"get mapped", 0},     {"ENOMEM, frames free in other regions", 0},
    {"pool with regions > 1", 0}};
}  // namespace

void seen(seen_ix i) { ++g_seen[i].n; }

void report() {
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::steady_clock::now() - g_start).count();
  std::fprintf(stderr,
               "pagepool_api_fuzz: %llu API calls, %llu inputs, %lld s, %llu cut short (more than "
               "%zu model worlds), at most %zu worlds at once\n",
               static_cast<unsigned long long>(g_calls), static_cast<unsigned long long>(g_inputs),
               static_cast<long long>(secs), static_cast<unsigned long long>(g_gave_up), max_worlds,
               g_max_worlds);
  std::fprintf(stderr, "  results:");
  for (const auto& c : g_seen) std::fprintf(stderr, " [%s %llu]", c.name, static_cast<unsigned long long>(c.n));
  std::fprintf(stderr, "\n");
}

}  // namespace pagepool_fuzz
