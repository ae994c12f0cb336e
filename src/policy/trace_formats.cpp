// src/policy/trace_formats.cpp: the readers and the oracleGeneral writer
// (policy/trace_formats.hpp).
#include "policy/trace_formats.hpp"

#include <cstdio>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "policy/byte_source.hpp"

namespace pagepool::policy {

namespace {

/// Numbers keys: a numeric key that fits 32 bits is kept as it is, unless a
/// key has already needed numbering, in which case every key is numbered.
class key_namer {
 public:
  void add_number(std::uint64_t k, std::vector<std::uint32_t>& out) {
    out.push_back(static_cast<std::uint32_t>(k));
    raw_.push_back(k);
    if (k > 0xFFFFFFFFull) renumber_ = true;
  }
  void add_string(std::string_view s, std::vector<std::uint32_t>& out) {
    auto [it, fresh] = strings_.try_emplace(std::string(s), static_cast<std::uint32_t>(strings_.size()));
    out.push_back(it->second);
    raw_.push_back(0);
    any_string_ = true;
  }
  /// Numbers 64-bit keys in order of first appearance, if one was too wide.
  void finish(std::vector<std::uint32_t>& out) {
    if (!renumber_ || any_string_) return;
    std::unordered_map<std::uint64_t, std::uint32_t> id;
    for (std::size_t i = 0; i < raw_.size(); ++i) {
      auto [it, fresh] = id.try_emplace(raw_[i], static_cast<std::uint32_t>(id.size()));
      out[i] = it->second;
    }
  }
  [[nodiscard]] bool mixed() const noexcept { return any_string_ && !raw_.empty() && renumber_; }

 private:
  std::vector<std::uint64_t> raw_;
  std::unordered_map<std::string, std::uint32_t> strings_;
  bool renumber_ = false;
  bool any_string_ = false;
};

bool parse_u64(std::string_view s, std::uint64_t& v) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  if (s.empty() || s.size() > 20) return false;
  v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (~0ull - d) / 10) return false;
    v = v * 10 + d;
  }
  return true;
}

/// Field `col` (1-based) of a comma-separated line.
bool field(std::string_view line, unsigned col, std::string_view& out) {
  for (unsigned i = 1; i < col; ++i) {
    const auto c = line.find(',');
    if (c == std::string_view::npos) return false;
    line.remove_prefix(c + 1);
  }
  const auto c = line.find(',');
  out = line.substr(0, c);
  return true;
}

/// Calls fn(line, number) for every line of the source (without its end).
template <typename Fn>
bool for_each_line(byte_source& src, Fn fn, std::string& err) {
  std::string carry;
  std::uint64_t line = 0;
  for (;;) {
    const char* p;
    std::size_t n;
    if (!src.next(p, n, err)) return false;
    if (n == 0) break;
    const char* end = p + n;
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      if (nl == nullptr) {
        carry.append(p, end);
        break;
      }
      ++line;
      if (!carry.empty()) {
        carry.append(p, nl);
        if (!fn(std::string_view(carry), line)) return false;
        carry.clear();
      } else if (!fn(std::string_view(p, static_cast<std::size_t>(nl - p)), line)) {
        return false;
      }
      p = nl + 1;
    }
  }
  if (!carry.empty() && !fn(std::string_view(carry), line + 1)) return false;
  return true;
}

/// A column name: letters, digits after the first, '_', ' ', '-' (a
/// header's key field, "obj_id" or "key"), not a number.
bool is_name(std::string_view s) {
  if (s.empty()) return false;
  const char c0 = s.front();
  if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z') || c0 == '_')) return false;
  for (const char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ' ' || c == '-' ||
          (c >= '0' && c <= '9') || c == '"'))
      return false;
  return true;
}

std::string_view trim_cr(std::string_view s) {
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}

}  // namespace

bool parse_trace_format(const std::string& name, trace_format& out) {
  if (name == "txt") out = trace_format::txt;
  else if (name == "oracleGeneral") out = trace_format::oracle_general;
  else if (name == "csv") out = trace_format::csv;
  else if (name == "block") out = trace_format::block;
  else return false;
  return true;
}

const char* trace_format_name(trace_format f) noexcept {
  switch (f) {
    case trace_format::txt: return "txt";
    case trace_format::oracle_general: return "oracleGeneral";
    case trace_format::csv: return "csv";
    case trace_format::block: return "block";
  }
  return "?";
}

trace_format format_from_name(const std::string& path) {
  const auto base = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  if (base.find("oracleGeneral") != std::string::npos || base.find(".bin") != std::string::npos)
    return trace_format::oracle_general;
  if (base.find(".csv") != std::string::npos) return trace_format::csv;
  return trace_format::txt;
}

bool read_trace_file(const std::string& path, const trace_options& o, trace_data& out, std::string& err) {
  byte_source src;
  if (!src.open(path, err)) return false;
  trace_data d;
  key_namer names;
  const auto at = [&](std::uint64_t line, const char* what) {
    err = path + ":" + std::to_string(line) + ": " + what;
    return false;
  };
  bool ok = true;
  switch (o.format) {
    case trace_format::txt:
      ok = for_each_line(src, [&](std::string_view l, std::uint64_t n) {
        l = trim_cr(l);
        if (l.empty()) return true;
        std::uint64_t v;
        if (!parse_u64(l, v) || v > 0xFFFFFFFFull) return at(n, "not a page number (one per line)");
        d.pages.push_back(static_cast<std::uint32_t>(v));
        return true;
      }, err);
      break;
    case trace_format::csv:
      ok = for_each_line(src, [&](std::string_view l, std::uint64_t n) {
        l = trim_cr(l);
        if (l.empty()) return true;
        std::string_view k, sz;
        if (!field(l, o.key_column, k)) return at(n, "fewer columns than the key column");
        std::uint64_t v;
        if (n == 1 && is_name(k)) return true;  // a header
        if (parse_u64(k, v)) names.add_number(v, d.pages);
        else names.add_string(k, d.pages);
        if (o.size_column != 0) {
          if (!field(l, o.size_column, sz) || !parse_u64(sz, v) || v > 0xFFFFFFFFull)
            return at(n, "no size (a number) in the size column");
          d.sizes.push_back(static_cast<std::uint32_t>(v));
        }
        return true;
      }, err);
      break;
    case trace_format::block:
      ok = for_each_line(src, [&](std::string_view l, std::uint64_t n) {
        l = trim_cr(l);
        if (l.empty()) return true;
        std::string_view a, b;
        std::uint64_t off, len;
        if (!field(l, o.offset_column, a) || !field(l, o.length_column, b) || !parse_u64(a, off) ||
            !parse_u64(b, len)) {
          if (n == 1) return true;  // a header
          return at(n, "no offset and size (numbers) in their columns");
        }
        const std::uint64_t first = off / o.page_size;
        const std::uint64_t last = len == 0 ? first : (off + len - 1) / o.page_size;
        for (std::uint64_t pg = first; pg <= last; ++pg) names.add_number(pg, d.pages);
        return true;
      }, err);
      break;
    case trace_format::oracle_general: {
      unsigned char rec[24];
      std::size_t have = 0;
      std::uint64_t index = 0;
      for (;;) {
        const char* p;
        std::size_t n;
        if (!src.next(p, n, err)) return false;
        if (n == 0) break;
        for (std::size_t i = 0; i < n; ++i) {
          rec[have++] = static_cast<unsigned char>(p[i]);
          if (have < sizeof rec) continue;
          have = 0;
          std::uint64_t id = 0;
          std::uint32_t size = 0;
          for (int b = 7; b >= 0; --b) id = id << 8 | rec[4 + b];
          for (int b = 3; b >= 0; --b) size = size << 8 | rec[12 + b];
          ++index;
          if (size == 0) continue;  // as libCacheSim's reader
          names.add_number(id, d.pages);
          d.sizes.push_back(size);
        }
      }
      if (have != 0) {
        err = path + ": record " + std::to_string(index + 1) + ": truncated (the file is not a multiple of 24 bytes)";
        return false;
      }
      break;
    }
  }
  if (!ok) return false;
  names.finish(d.pages);
  if (d.pages.empty()) {
    err = path + ": no requests";
    return false;
  }
  out = std::move(d);
  return true;
}

bool write_oracle_general(const std::string& path, const std::vector<std::uint32_t>& pages,
                          const std::vector<std::uint32_t>& sizes, std::uint32_t default_size,
                          std::string& err) {
  std::vector<std::int64_t> next(pages.size(), -1);
  std::unordered_map<std::uint32_t, std::size_t> seen;
  for (std::size_t i = pages.size(); i-- > 0;) {
    auto [it, fresh] = seen.try_emplace(pages[i], i);
    if (!fresh) {
      next[i] = static_cast<std::int64_t>(it->second);
      it->second = i;
    }
  }
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    err = path + ": cannot create: " + std::strerror(errno);
    return false;
  }
  std::vector<unsigned char> buf;
  buf.reserve(24 * 4096);
  bool ok = true;
  for (std::size_t i = 0; i < pages.size() && ok; ++i) {
    unsigned char r[24];
    const auto t = static_cast<std::uint32_t>(i);
    const std::uint64_t id = pages[i];
    const std::uint32_t size = i < sizes.size() ? sizes[i] : default_size;
    const auto nx = static_cast<std::uint64_t>(next[i]);
    for (int b = 0; b < 4; ++b) r[b] = static_cast<unsigned char>(t >> (8 * b));
    for (int b = 0; b < 8; ++b) r[4 + b] = static_cast<unsigned char>(id >> (8 * b));
    for (int b = 0; b < 4; ++b) r[12 + b] = static_cast<unsigned char>(size >> (8 * b));
    for (int b = 0; b < 8; ++b) r[16 + b] = static_cast<unsigned char>(nx >> (8 * b));
    buf.insert(buf.end(), r, r + 24);
    if (buf.size() >= 24 * 4096 || i + 1 == pages.size()) {
      ok = std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
      buf.clear();
    }
  }
  if (std::fclose(f) != 0) ok = false;
  if (!ok) err = path + ": write error";
  return ok;
}

}  // namespace pagepool::policy
