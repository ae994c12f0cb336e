// src/policy/trace.cpp: the trace reader (see trace.hpp).
//
// The parser is a small state machine over the bytes of each block, so that
// a number may be split across two blocks:
//
//   state        byte    next state   action
//   line_start   digit   in_number    value = d
//   line_start   '\n'    line_start   (an empty line: skipped)
//   line_start   '\r'    cr_empty
//   in_number    digit   in_number    value = value * 10 + d (past 2^32-1: error)
//   in_number    '\n'    line_start   store value
//   in_number    '\r'    cr_number
//   cr_number    '\n'    line_start   store value
//   cr_empty     '\n'    line_start
//   any          other   (error, with the line number)
//
// At the end of the file a number still being read is stored; a file ending
// in a lone '\r' is an error. Truncated or corrupt gzip data is an error
// (zlib's message).
#include "policy/trace.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace pagepool::policy {

namespace {

struct gz_closer {
  void operator()(gzFile f) const noexcept { gzclose(f); }
};

void set_error(std::string* err, std::string msg) {
  if (err != nullptr) *err = std::move(msg);
}

}  // namespace

bool read_trace(const std::string& path, std::vector<std::uint32_t>& out, std::string* err) {
  errno = 0;
  std::unique_ptr<gzFile_s, gz_closer> f(gzopen(path.c_str(), "rb"));
  if (!f) {
    set_error(err, path + ": cannot open: " + (errno != 0 ? std::strerror(errno) : "out of memory"));
    return false;
  }
  constexpr unsigned block = 1u << 20;
  gzbuffer(f.get(), block);
  std::unique_ptr<char[]> buf(new char[block]);

  std::vector<std::uint32_t> pages;
  enum class state { line_start, in_number, cr_number, cr_empty } st = state::line_start;
  std::uint64_t value = 0;
  std::uint64_t line = 1;
  const auto fail = [&](const char* what) {
    set_error(err, path + ":" + std::to_string(line) + ": " + what);
    return false;
  };
  for (;;) {
    const int got = gzread(f.get(), buf.get(), block);
    if (got < 0) break;  // zlib's error, reported below
    if (got == 0) break;
    for (const char* p = buf.get(), *end = p + got; p < end; ++p) {
      const char ch = *p;
      if (st == state::cr_number || st == state::cr_empty) {
        if (ch != '\n') return fail("a CR not followed by LF");
        if (st == state::cr_number) pages.push_back(static_cast<std::uint32_t>(value));
        st = state::line_start;
        ++line;
      } else if (ch >= '0' && ch <= '9') {
        value = (st == state::in_number ? value * 10 : 0) + static_cast<unsigned>(ch - '0');
        if (value > 0xFFFFFFFFull) return fail("a page number above 4294967295");
        st = state::in_number;
      } else if (ch == '\n') {
        if (st == state::in_number) pages.push_back(static_cast<std::uint32_t>(value));
        st = state::line_start;
        ++line;
      } else if (ch == '\r') {
        st = st == state::in_number ? state::cr_number : state::cr_empty;
      } else {
        return fail("not a page number (only digits, one number per line)");
      }
    }
  }
  int code = Z_OK;
  const char* zmsg = gzerror(f.get(), &code);
  if (code != Z_OK && code != Z_STREAM_END) {
    set_error(err, path + ": read error: " + (code == Z_ERRNO ? std::strerror(errno) : std::string(zmsg)));
    return false;
  }
  if (st == state::in_number) pages.push_back(static_cast<std::uint32_t>(value));
  if (st == state::cr_number || st == state::cr_empty) return fail("a CR not followed by LF");
  out.swap(pages);
  return true;
}

}  // namespace pagepool::policy
