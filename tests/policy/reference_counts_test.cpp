// The exact miss counts of /work/shared/traces/REFERENCE.md (../shared from
// the source tree), for every policy on lirs_sprite.txt, arc_oltp.txt and
// cloudphysicsio_4k.txt.gz at the three cache sizes listed there. The numbers
// below are copied from that file's tables (same order: LRU FIFO CLOCK SIEVE
// S3-FIFO ARC OPT); REFERENCE.md defines each variant. One test per trace and
// policy, so that ctest -j runs them side by side.
//
// Label `policy`. If the shared directory is absent, every test is skipped
// with a message saying where it looked.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "policy/arc.hpp"
#include "policy/clock.hpp"
#include "policy/fifo.hpp"
#include "policy/lru.hpp"
#include "policy/opt.hpp"
#include "policy/s3fifo.hpp"
#include "policy/sieve.hpp"
#include "policy/simulate.hpp"
#include "policy/trace.hpp"
#include "shared_traces.hpp"

#ifndef PAGEPOOL_SHARED_DIR
#error "PAGEPOOL_SHARED_DIR must name the shared directory (tests/policy/CMakeLists.txt)"
#endif

namespace pagepool::policy {
namespace {

enum class which { lru, fifo, clock, sieve, s3fifo, arc, opt };
constexpr const char* which_name[] = {"LRU", "FIFO", "CLOCK", "SIEVE", "S3FIFO", "ARC", "OPT"};

struct row {
  std::uint32_t c;
  std::uint64_t misses[7];  // LRU FIFO CLOCK SIEVE S3-FIFO ARC OPT
};
struct trace_ref {
  const char* file;
  std::size_t requests;
  row rows[3];
};

// From /work/shared/traces/REFERENCE.md.
const trace_ref refs[] = {
    {"lirs_sprite.txt",
     133996,
     {{70, {112114, 111271, 112349, 108144, 105540, 108493, 77497}},
      {353, {46061, 51198, 46439, 52884, 44115, 46377, 23721}},
      {707, {18121, 24169, 18211, 24762, 18578, 19429, 11575}}}},
    {"arc_oltp.txt",
     914145,
     {{1868, {533560, 579696, 528605, 545815, 489405, 499159, 367867}},
      {9344, {364938, 396697, 361957, 365744, 346328, 356591, 250126}},
      {18688, {306044, 335108, 302970, 304774, 294563, 299245, 217506}}}},
    {"cloudphysicsio_4k.txt.gz",
     1141869,
     {{2692, {1024107, 1025066, 1024218, 1031283, 1019910, 1025309, 987277}},
      {13460, {1012954, 1013204, 1012654, 988102, 988127, 976867, 879597}},
      {26921, {998105, 996687, 996740, 951107, 926107, 941434, 771969}}}},
};

std::uint64_t misses_of(which w, const std::vector<std::uint32_t>& t, std::uint32_t c) {
  switch (w) {
    case which::lru: return simulate_misses<lru_policy>(t, c);
    case which::fifo: return simulate_misses<fifo_policy>(t, c);
    case which::clock: return simulate_misses<clock_policy>(t, c);
    case which::sieve: return simulate_misses<sieve_policy>(t, c);
    case which::s3fifo: return simulate_misses<s3fifo_policy>(t, c);
    case which::arc: return simulate_misses<arc_policy>(t, c);
    case which::opt: return opt_misses(t, c);
  }
  return 0;
}


class ReferenceCounts : public ::testing::TestWithParam<std::tuple<int, which>> {};

TEST_P(ReferenceCounts, MatchExactly) {
  const trace_ref& r = refs[std::get<0>(GetParam())];
  const which w = std::get<1>(GetParam());
  std::string why;
  const std::vector<std::uint32_t>* t = test::shared_trace(r.file, why);
  if (t == nullptr && why.rfind("SKIPPED", 0) == 0) GTEST_SKIP() << why;
  ASSERT_NE(t, nullptr) << why;
  ASSERT_EQ(t->size(), r.requests) << r.file << ": not the trace REFERENCE.md describes";
  for (const row& rw : r.rows) {
    EXPECT_EQ(misses_of(w, *t, rw.c), rw.misses[static_cast<int>(w)])
        << r.file << ", " << which_name[static_cast<int>(w)] << ", c = " << rw.c;
  }
}

using ref_param = std::tuple<int, which>;

std::string param_name(const ::testing::TestParamInfo<ref_param>& p) {
  static const char* const trace_name[] = {"LirsSprite", "ArcOltp", "CloudPhysicsIo4k"};
  return std::string(trace_name[std::get<0>(p.param)]) + "_" +
         which_name[static_cast<int>(std::get<1>(p.param))];
}

INSTANTIATE_TEST_SUITE_P(Traces, ReferenceCounts,
                         ::testing::Combine(::testing::Values(0, 1, 2),
                                            ::testing::Values(which::lru, which::fifo, which::clock,
                                                              which::sieve, which::s3fifo, which::arc,
                                                              which::opt)),
                         param_name);

}  // namespace
}  // namespace pagepool::policy
