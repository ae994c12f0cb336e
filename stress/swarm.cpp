// stress/swarm.cpp: the configurations of a swarm run (swarm.hpp).

#include "swarm.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace pagepool::stress {

namespace {

/// A value in [lo, hi], log-uniform: small and large sizes equally often.
std::size_t log_uniform(std::mt19937_64& rng, std::size_t lo, std::size_t hi) {
  std::uniform_real_distribution<double> u(std::log2(static_cast<double>(lo)),
                                           std::log2(static_cast<double>(hi)));
  return std::clamp(static_cast<std::size_t>(std::exp2(u(rng))), lo, hi);
}

}  // namespace

config draw_config(std::uint64_t seed, const config& base, const std::vector<std::string>& workloads) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 0x5A4D);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  auto one_in = [&](unsigned n) { return rng() % n == 0; };
  config c;
  c.seed = seed;
  c.seconds = base.seconds;
  c.enomem_bound_ms = base.enomem_bound_ms;
  c.workload = workloads[pick(workloads.size())];
  c.regions = 1 + static_cast<unsigned>(pick(8));
  c.threads = 2 + static_cast<unsigned>(pick(7));
  c.page_size = std::size_t{512} << pick(8);
  c.frame_size = c.page_size < 65536 && one_in(4) ? 2 * c.page_size : 0;
  // At most 32 MiB of data, so that a run's time goes to traffic, not to
  // writing and checking files.
  const std::size_t max_pages = std::clamp<std::size_t>((std::size_t{32} << 20) / c.page_size, 64, 8192);
  c.file_pages = log_uniform(rng, 64, max_pages);
  c.cache_pages = log_uniform(rng, 8, 1024);
  c.policy = std::string(policy_name(static_cast<policy_kind>(pick(policy_kind_count))));
  c.policy_swaps = one_in(3);
  c.resize = one_in(3);
  c.bg_writer = one_in(3);
  c.max_open_fd = one_in(4) ? 1 + static_cast<int>(pick(3)) : 0;
  c.max_write = one_in(4) ? 1 + static_cast<int>(pick(8)) : 0;
  c.checksums = one_in(3);
  // Drawn last, so that every earlier seed draws what it drew before.
  c.region_files = one_in(3);
  return c;
}

}  // namespace pagepool::stress
