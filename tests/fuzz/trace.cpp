// tests/fuzz/trace.cpp: the trace of the current input's calls (trace.hpp),
// its printing, and the divergence report that aborts the input.
#include "trace.hpp"

#include <cstdio>
#include <cstdlib>

#include "run_stats.hpp"

namespace pagepool_fuzz {

std::vector<trace_entry> g_trace;

void call(const char* what, int h, long long a, long long b, long long c, std::error_code ec) {
  ++g_calls;
  g_trace.push_back({what, h, a, b, c, ec});
}

void print_trace() {
  for (std::size_t i = 0; i < g_trace.size(); ++i) {
    const auto& t = g_trace[i];
    std::fprintf(stderr, "%4zu %-16s h=%d a=%lld b=%lld c=%lld -> %s:%d (%s)\n", i, t.what, t.h, t.a,
                 t.b, t.c, t.ec.category().name(), t.ec.value(), t.ec.message().c_str());
  }
}

[[noreturn]] void diverge(const char* why) {
  std::fprintf(stderr, "\n==== pagepool_api_fuzz: DIVERGENCE: %s\n---- calls of this input:\n", why);
  print_trace();
  std::fprintf(stderr, "---- (the last call is the one the model did not allow)\n");
  std::fflush(stderr);
  std::abort();
}

}  // namespace pagepool_fuzz
