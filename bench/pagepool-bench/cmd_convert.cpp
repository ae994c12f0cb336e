// bench/pagepool-bench/cmd_convert.cpp: `pagepool-bench convert IN OUT`:
// any trace pagepool-bench reads, written as libCacheSim's oracleGeneral
// (policy/trace_formats.hpp), so that other simulators replay the same
// requests. Object sizes come from the input where it has them, else
// --size. Ends with `requests=N written=OUT`.
#include <cstdio>

#include "commands.hpp"

namespace pagepool::bench {

int run_convert_command(const convert_options& o) {
  policy::trace_options t = trace_input().opts;
  if (!trace_input().format_given) t.format = policy::format_from_name(o.in);
  policy::trace_data d;
  std::string err;
  if (!policy::read_trace_file(o.in, t, d, err) ||
      !policy::write_oracle_general(o.out, d.pages, d.sizes, o.size, err)) {
    std::fprintf(stderr, "pagepool-bench: %s\n", err.c_str());
    return 1;
  }
  std::printf("requests=%zu written=%s\n", d.pages.size(), o.out.c_str());
  return 0;
}

}  // namespace pagepool::bench
