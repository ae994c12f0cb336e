// src/policy/trace.hpp: reads a page trace (../shared/traces/README.md).
//
// The format: one decimal page number per line, nothing else; plain text or
// gzip. read_trace(path, out, err) appends nothing and leaves `out` as it was
// on failure (with a message in *err if err is not null); on success `out`
// holds exactly the file's page numbers, in order.
//
// Accepted: digits, one number per line, '\n' or "\r\n" line ends, a last
// line without its '\n'; empty lines are skipped. Refused (false, with the
// line number in the message): any other character, a number above
// 4294967295, an unreadable or corrupt file.
//
// Speed: zlib reads both kinds (gzopen recognises the gzip magic and reads
// any other file as it is), in 1 MiB blocks parsed by hand: no iostreams,
// no per-line allocation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pagepool::policy {

[[nodiscard]] bool read_trace(const std::string& path, std::vector<std::uint32_t>& out, std::string* err);

}  // namespace pagepool::policy
