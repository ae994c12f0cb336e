// src/policy/trace_formats.hpp: the trace formats researchers bring, read
// into page numbers (and, where the format has them, object sizes).
//
//   txt            one decimal page number per line (policy/trace.hpp's format)
//   oracleGeneral  libCacheSim's binary records, 24 bytes little-endian:
//                  u32 time, u64 object id, u32 object size, i64 next access
//                  (the logical time of the object's next request, -1 for
//                  none). Records of size 0 are skipped, as libCacheSim's
//                  reader does.
//   csv            a key column chosen by number (1-based), an optional size
//                  column; a first line whose key field is a name (a letter
//                  or '_' first: "obj_id", "key") is a header. Keys are
//                  numbers, or strings numbered in order of first appearance.
//   block          block I/O (the MSR Cambridge and SNIA shape: CSV with byte
//                  offset and size columns): each request becomes the pages
//                  it covers, offset / P .. (offset + size - 1) / P, for the
//                  replay's page size P.
//
// Any of them may be gzip or zstd compressed (policy/byte_source.hpp).
// Keys that do not fit 32 bits (oracleGeneral's 64-bit ids, CSV strings) are
// numbered in order of first appearance; numeric keys that fit are kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pagepool::policy {

enum class trace_format { txt, oracle_general, csv, block };

struct trace_options {
  trace_format format = trace_format::txt;
  unsigned key_column = 1;     // csv
  unsigned size_column = 0;    // csv: 0 = none
  unsigned offset_column = 5;  // block (MSR: Timestamp,Hostname,DiskNumber,Type,Offset,Size,...)
  unsigned length_column = 6;  // block
  std::size_t page_size = 4096;  // block
};

struct trace_data {
  std::vector<std::uint32_t> pages;
  std::vector<std::uint32_t> sizes;  // per request, when the format has them; else empty
};

/// "txt", "oracleGeneral", "csv", "block"; false for anything else.
[[nodiscard]] bool parse_trace_format(const std::string& name, trace_format& out);
[[nodiscard]] const char* trace_format_name(trace_format f) noexcept;
/// The format a file's name says, where it is clear: *.oracleGeneral*
/// (also .bin), *.csv*, else txt.
[[nodiscard]] trace_format format_from_name(const std::string& path);

/// Reads `path` in format o.format. False, with a message naming the file
/// (and line or record), on any error; `out` is then unchanged.
[[nodiscard]] bool read_trace_file(const std::string& path, const trace_options& o, trace_data& out,
                                   std::string& err);

/// Writes pages (and sizes, or `default_size` each) as oracleGeneral, with
/// each record's next access computed; time is the request's index.
[[nodiscard]] bool write_oracle_general(const std::string& path, const std::vector<std::uint32_t>& pages,
                                        const std::vector<std::uint32_t>& sizes, std::uint32_t default_size,
                                        std::string& err);

}  // namespace pagepool::policy
