// tests/fuzz/trace.hpp: the calls of the current input, as pagepool_api_fuzz
// made them (what, handle slot, three arguments, result). call() records one;
// print_trace() prints them (PAGEPOOL_FUZZ_TRACE=1, and on a divergence);
// diverge() reports a result the model did not allow and aborts, so that
// libFuzzer keeps the input. Defined in trace.cpp.
#pragma once

#include <system_error>
#include <vector>

namespace pagepool_fuzz {

struct trace_entry {
  const char* what;
  int h;
  long long a, b, c;
  std::error_code ec;
};
extern std::vector<trace_entry> g_trace;  // emptied before each input

void call(const char* what, int h, long long a, long long b, long long c, std::error_code ec);
void print_trace();
[[noreturn]] void diverge(const char* why);

}  // namespace pagepool_fuzz
