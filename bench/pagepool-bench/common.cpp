// bench/pagepool-bench/common.cpp: what the subcommands share: policy and
// size names, trace loading, JSON files.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "commands.hpp"
#include "policy/byte_source.hpp"
#include "policy/trace.hpp"

namespace pagepool::bench {

std::string policy_choice::name() const { return opt ? "opt" : std::string(policy_name(kind)); }

bool parse_policy_choice(const std::string& s, policy_choice& out) {
  if (s == "opt") {
    out = policy_choice{true, policy_kind::clock};
    return true;
  }
  policy_kind k;
  if (!parse_policy(s, k)) return false;
  out = policy_choice{false, k};
  return true;
}

std::vector<policy_choice> all_pool_policies() {
  std::vector<policy_choice> v;
  for (int i = 0; i < policy_kind_count; ++i) v.push_back({false, static_cast<policy_kind>(i)});
  return v;
}

std::string size_choice::label() const {
  char buf[64];
  if (percent)
    std::snprintf(buf, sizeof buf, "%g%%", value);
  else
    std::snprintf(buf, sizeof buf, "%.0f", value);
  return buf;
}

std::size_t size_choice::pages(std::uint64_t unique) const {
  if (percent) {
    const double c = std::floor(static_cast<double>(unique) * value / 100.0);
    return c < 1.0 ? 1 : static_cast<std::size_t>(c);
  }
  return static_cast<std::size_t>(value);
}

bool parse_size_choice(const std::string& s, size_choice& out) {
  if (s.empty()) return false;
  const bool pct = s.back() == '%';
  const std::string num = pct ? s.substr(0, s.size() - 1) : s;
  if (num.empty()) return false;
  char* end = nullptr;
  const double v = std::strtod(num.c_str(), &end);
  if (end == nullptr || *end != '\0' || !(v > 0)) return false;
  if (pct && v > 100) return false;
  if (!pct && (v != std::floor(v) || v > double(1u << 30))) return false;
  out = size_choice{pct, v};
  return true;
}

trace_input_options& trace_input() {
  static trace_input_options o;
  return o;
}

bool load_trace(const std::string& path, std::vector<std::uint32_t>& out, std::string& err) {
  out.clear();
  policy::trace_options o = trace_input().opts;
  if (!trace_input().format_given) o.format = policy::format_from_name(path);
  bool zstd = false;
  {
    policy::byte_source probe;
    std::string ignored;
    zstd = probe.open(path, ignored) && probe.compression() == policy::byte_source::kind::zstd;
  }
  if (o.format == policy::trace_format::txt && !zstd) {
    std::string why;
    if (!policy::read_trace(path, out, &why)) {
      err = why.empty() ? "cannot read trace " + path : "cannot read trace: " + why;
      return false;
    }
  } else {
    policy::trace_data d;
    std::string why;
    if (!policy::read_trace_file(path, o, d, why)) {
      err = "cannot read trace: " + why;
      return false;
    }
    out = std::move(d.pages);
  }
  if (out.empty()) {
    err = "trace " + path + " has no requests";
    return false;
  }
  return true;
}

bool write_json_file(const std::string& path, const std::string& text, std::string& err) {
  std::ofstream f(path);
  f << text << '\n';
  f.close();
  if (!f) {
    err = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace pagepool::bench
