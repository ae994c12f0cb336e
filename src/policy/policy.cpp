// src/policy/policy.cpp: the names of the built-in eviction policies.
#include "pagepool/policy.hpp"

#include <array>

namespace pagepool {

namespace {

// Indexed by policy_kind.
constexpr std::array<std::string_view, policy_kind_count> names = {"clock", "lru",   "fifo",
                                                                   "sieve", "s3fifo", "arc",
                                                                   "2q",    "lirs",  "wtinylfu",
                                                                   "lru2",  "clockpro"};

}  // namespace

std::string_view policy_name(policy_kind k) noexcept {
  const auto i = static_cast<int>(k);
  return i >= 0 && i < policy_kind_count ? names[static_cast<std::size_t>(i)] : std::string_view{};
}

bool parse_policy(std::string_view name, policy_kind& out) noexcept {
  if (name == "s3-fifo") name = "s3fifo";
  for (int i = 0; i < policy_kind_count; ++i) {
    if (names[static_cast<std::size_t>(i)] == name) {
      out = static_cast<policy_kind>(i);
      return true;
    }
  }
  return false;
}

}  // namespace pagepool
