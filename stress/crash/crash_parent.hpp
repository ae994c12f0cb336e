// stress/crash/crash_parent.hpp: what the parent of pagepool-crash shares
// between its files (crash_parent.cpp runs the iterations, crash_plan.cpp
// picks each iteration's shape and kill plan, crash_check.cpp reads the
// child's pipe and checks the files after the kill): the run's totals, the
// kill plans, and `iteration`, one iteration's view of the child's records
// (parsing them, raising the floors from acks, counting failures). Internal
// to the parent; crash.hpp is the harness's interface.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "crash.hpp"

namespace pagepool::stress::crash::parent_detail {

constexpr unsigned printed_failures = 20;

/// Figures over the whole run.
struct totals {
  std::uint64_t iterations = 0, kills = 0, early_kills = 0, delay_kills = 0, sync_plan_kills = 0;
  std::uint64_t kills_in_sync = 0;  // a sync had begun and not reported when the child died
  std::uint64_t resumed = 0;
  std::uint64_t syncs_begun = 0, acks = 0, pool_acks = 0, file_acks = 0, incomplete = 0,
                trickles = 0;
  std::uint64_t partial_records = 0;
  std::uint64_t pages_checked = 0, pages_acked = 0, pages_whole = 0, pages_zero = 0,
                pages_newer = 0;
  std::uint64_t lost = 0, torn = 0, failures = 0;
  std::uint64_t writes_acked = 0, rw_evict = 0, page_out = 0, background_writes = 0,
                page_trickle = 0;
};

enum class plan_kind { early, delay, sync };

/// "early", "delay" or "sync". (crash_plan.cpp)
const char* plan_name(plan_kind k);

struct kill_plan {
  plan_kind kind = plan_kind::delay;
  std::chrono::microseconds delay{
      0};  // early: after spawn; delay: after ready; sync: after the k-th begin
  unsigned kth_sync = 1;
};

inline std::uint32_t get_u32(const unsigned char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

/// One iteration's view of the child's records.
struct iteration {
  iteration(const shape& sh, std::uint64_t i, totals& tot) : s(sh), it(i), t(tot) {}
  const shape& s;
  std::uint64_t it;
  totals& t;
  unsigned printed = 0;
  bool failed = false;
  bool ready = false;
  unsigned begun = 0;
  std::set<std::uint32_t> open_syncs;  // begun, not yet acked or incomplete
  std::vector<std::vector<std::uint32_t>> floor;
  std::vector<std::vector<std::uint32_t>> ready_versions;
  ack_head last_ack{};
  bool any_ack = false;
  std::vector<unsigned char> buf;

  void fail(const std::string& m) {
    failed = true;
    ++t.failures;
    if (printed++ < printed_failures)
      std::fprintf(stderr, "FAIL [iteration %llu] %s\n", static_cast<unsigned long long>(it),
                   m.c_str());
    if (printed == printed_failures)
      std::fprintf(stderr, "FAIL [iteration %llu] (further failures counted, not printed)\n",
                   static_cast<unsigned long long>(it));
    std::fflush(stderr);
  }

  /// Handles every whole record in buf; returns the types seen, in order.
  std::vector<record_type> parse() {
    std::vector<record_type> seen;
    std::size_t at = 0;
    while (buf.size() - at >= 12) {
      const unsigned char* h = buf.data() + at;
      if (get_u32(h) != record_magic) {
        fail("the child's report stream is garbled (bad record magic)");
        buf.clear();
        return seen;
      }
      const std::uint32_t len = get_u32(h + 8);
      if (buf.size() - at - 12 < len) break;
      const auto type = static_cast<record_type>(get_u32(h + 4));
      handle(type, h + 12, len);
      seen.push_back(type);
      at += 12 + len;
    }
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(at));
    return seen;
  }

  void handle(record_type type, const unsigned char* p, std::uint32_t len) {
    // Every record but a failure's starts with at least one u32.
    if (type != record_type::failure && len < (type == record_type::ready ? 8u : 4u)) {
      fail("record of type " + std::to_string(static_cast<std::uint32_t>(type)) + " too short");
      return;
    }
    switch (type) {
      case record_type::ready: {
        const std::uint32_t files = get_u32(p), pages = get_u32(p + 4);
        if (files != s.files || pages != s.pages || len != 8 + 4ull * files * pages) {
          fail("malformed ready record");
          return;
        }
        ready = true;
        ready_versions.assign(files, std::vector<std::uint32_t>(pages));
        for (std::uint32_t f = 0; f < files; ++f)
          for (std::uint32_t pg = 0; pg < pages; ++pg)
            ready_versions[f][pg] = get_u32(p + 8 + 4ull * (f * pages + pg));
        return;
      }
      case record_type::begin:
        ++begun;
        ++t.syncs_begun;
        open_syncs.insert(get_u32(p));
        return;
      case record_type::ack: {
        ack_head h;
        if (len < sizeof h) {
          fail("malformed ack record");
          return;
        }
        std::memcpy(&h, p, sizeof h);
        open_syncs.erase(h.sync_no);
        ++t.acks;
        ++(h.kind == 0 ? t.pool_acks : t.file_acks);
        std::size_t at = sizeof h;
        for (std::uint32_t c = 0; c < h.covered; ++c) {
          if (len < at + 8) return fail("malformed ack record");
          const std::uint32_t f = get_u32(p + at), pages = get_u32(p + at + 4);
          at += 8;
          if (f >= s.files || pages != s.pages || len < at + 4ull * pages)
            return fail("malformed ack record");
          for (std::uint32_t pg = 0; pg < pages; ++pg)
            floor[f][pg] = std::max(floor[f][pg], get_u32(p + at + 4ull * pg));
          at += 4ull * pages;
        }
        if (!any_ack || h.writes >= last_ack.writes) last_ack = h;
        any_ack = true;
        return;
      }
      case record_type::incomplete:
        open_syncs.erase(get_u32(p));
        ++t.incomplete;
        return;
      case record_type::trickle:
        ++t.trickles;
        return;
      case record_type::failure:
        fail("the child reports: " + std::string(reinterpret_cast<const char*>(p), len));
        return;
    }
    fail("unknown record type " + std::to_string(static_cast<std::uint32_t>(type)));
  }
};

/// A shape and a kill plan for iteration `it`, from its own random stream.
/// With `prev`, the shape may resume the previous child's files (same page
/// size, files and pages). (crash_plan.cpp)
std::pair<shape, kill_plan> pick(std::mt19937_64& rng, const parent_options& o, const shape* prev,
                                 const std::string& dir);

/// Reads what the pipe holds now into it.buf; false at end of file.
/// (crash_check.cpp)
bool read_some(int fd, iteration& it);

/// How a child ended, from its waitpid status. (crash_check.cpp)
std::string describe_status(int status);

/// pread of every page of every file against the floors; returns the
/// versions found (for the next iteration's floors and ready check).
/// (crash_check.cpp)
std::vector<std::vector<std::uint32_t>> check_files(iteration& it);

}  // namespace pagepool::stress::crash::parent_detail
