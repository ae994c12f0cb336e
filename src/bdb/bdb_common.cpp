// src/bdb/bdb_common.cpp: the helpers every file of the C shim shares: the
// error numbers a C caller sees (to_int, db_strerror), reporting and messages
// the way BDB delivers them (report, message), the environment's allocator,
// and the byte and frame sizes. It calls nothing else in src/bdb.
#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bdb/bdb_internal.hpp"

namespace pagepool::bdb {

// ----------------------------------------------------------- error numbers

int error_to_int(std::error_code ec) noexcept {
  if (ec.category() == pagepool::category()) {
    switch (static_cast<pagepool::errc>(ec.value())) {
      case pagepool::errc::page_not_found: return DB_PAGE_NOTFOUND;
      case pagepool::errc::incomplete: return DB_PP_INCOMPLETE;
      // Berkeley DB's page-in returns DB_RUNRECOVERY for a checksum error
      // (and panics the environment; pagepool does not: see checksum.hpp).
      case pagepool::errc::page_corrupt: return DB_RUNRECOVERY;
      case pagepool::errc::version_mismatch: return DB_VERSION_MISMATCH;
    }
    return EINVAL;
  }
  return ec.value();
}

// ------------------------------------------------------ reports, messages

void vreport(const dbenv_state* env, int error, const char* fmt, std::va_list ap) noexcept {
  char msg[1024];
  std::vsnprintf(msg, sizeof msg, fmt, ap);
  char full[1200];
  if (error != 0)
    std::snprintf(full, sizeof full, "%s: %s", msg, db_strerror(error));
  else
    std::snprintf(full, sizeof full, "%s", msg);
  // BDB: the callback, if set, is called; the file, if set, is written; and
  // with neither, the message goes to stderr. Both set means both happen.
  if (env != nullptr && env->errcall != nullptr)
    env->errcall(&env->api, env->errpfx_set ? env->errpfx.c_str() : nullptr, full);
  if (env != nullptr && env->errcall != nullptr && env->errfile == nullptr) return;
  FILE* out = env != nullptr && env->errfile != nullptr ? env->errfile : stderr;
  if (env != nullptr && env->errpfx_set)
    std::fprintf(out, "%s: %s\n", env->errpfx.c_str(), full);
  else
    std::fprintf(out, "%s\n", full);
  std::fflush(out);
}

void report(const dbenv_state* env, int error, const char* fmt, ...) noexcept {
  std::va_list ap;
  va_start(ap, fmt);
  vreport(env, error, fmt, ap);
  va_end(ap);
}

void message(const dbenv_state* env, const char* fmt, ...) noexcept {
  char msg[1024];
  std::va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (env->msgcall != nullptr) {
    env->msgcall(&env->api, msg);
    return;
  }
  FILE* out = env->msgfile != nullptr ? env->msgfile : stdout;
  std::fprintf(out, "%s\n", msg);
}

// ------------------------------------------------------- memory and sizes

void* env_malloc(const dbenv_state* env, std::size_t n) noexcept {
  return env->db_malloc ? env->db_malloc(n) : std::malloc(n);
}

void split_bytes(std::uint64_t total, u_int32_t* gbytesp, u_int32_t* bytesp) noexcept {
  if (gbytesp) *gbytesp = static_cast<u_int32_t>(total / gigabyte);
  if (bytesp) *bytesp = static_cast<u_int32_t>(total % gigabyte);
}

std::uint32_t dbenv_state::frame_size() const noexcept {
  const std::uint32_t want = std::max<std::uint32_t>(mp_pagesize, 4096);
  return std::bit_ceil(want);
}

}  // namespace pagepool::bdb

extern "C" char* db_strerror(int error) {
  switch (error) {
    case DB_BUFFER_SMALL:
      return const_cast<char*>("DB_BUFFER_SMALL: User memory too small for return value");
    case DB_LOCK_DEADLOCK:
      return const_cast<char*>("DB_LOCK_DEADLOCK: Locker killed to resolve a deadlock");
    case DB_NOTFOUND: return const_cast<char*>("DB_NOTFOUND: No matching key/data pair found");
    case DB_PAGE_NOTFOUND: return const_cast<char*>("DB_PAGE_NOTFOUND: Requested page not found");
    case DB_RUNRECOVERY: return const_cast<char*>("DB_RUNRECOVERY: Fatal error, run database recovery");
    case DB_VERSION_MISMATCH:
      return const_cast<char*>("DB_VERSION_MISMATCH: Database environment version mismatch");
    case DB_PP_INCOMPLETE:
      return const_cast<char*>(
          "DB_PP_INCOMPLETE: modified pages stayed pinned during sync and were not written");
    default: break;
  }
  // The codes of subsystems pagepool does not have: never returned here, but
  // a program may print them.
  struct code_text {
    int code;
    const char* text;
  };
  static constexpr code_text others[] = {
      {DB_DONOTINDEX, "DB_DONOTINDEX: secondary index callback asked not to index"},
      {DB_FOREIGN_CONFLICT, "DB_FOREIGN_CONFLICT: a foreign key constraint was violated"},
      {DB_HEAP_FULL, "DB_HEAP_FULL: the heap database has no free space"},
      {DB_KEYEMPTY, "DB_KEYEMPTY: the key or data item is empty (deleted or never created)"},
      {DB_KEYEXIST, "DB_KEYEXIST: the key/data pair exists already"},
      {DB_LOCK_NOTGRANTED, "DB_LOCK_NOTGRANTED: the lock could not be granted"},
      {DB_LOG_BUFFER_FULL, "DB_LOG_BUFFER_FULL: the in-memory log buffer is full"},
      {DB_LOG_VERIFY_BAD, "DB_LOG_VERIFY_BAD: the log failed verification"},
      {DB_NOSERVER, "DB_NOSERVER: no server"},
      {DB_OLD_VERSION, "DB_OLD_VERSION: the database's version is out of date"},
      {DB_REP_DUPMASTER, "DB_REP_DUPMASTER: replication: two masters"},
      {DB_REP_HANDLE_DEAD, "DB_REP_HANDLE_DEAD: replication: the handle was invalidated"},
      {DB_REP_HOLDELECTION, "DB_REP_HOLDELECTION: replication: an election is needed"},
      {DB_REP_IGNORE, "DB_REP_IGNORE: replication: message to be ignored"},
      {DB_REP_ISPERM, "DB_REP_ISPERM: replication: permanent record written"},
      {DB_REP_JOIN_FAILURE, "DB_REP_JOIN_FAILURE: replication: could not join the group"},
      {DB_REP_LEASE_EXPIRED, "DB_REP_LEASE_EXPIRED: replication: the master lease expired"},
      {DB_REP_LOCKOUT, "DB_REP_LOCKOUT: replication: the API is locked out"},
      {DB_REP_NEWSITE, "DB_REP_NEWSITE: replication: a new site joined"},
      {DB_REP_NOTPERM, "DB_REP_NOTPERM: replication: permanent record not written"},
      {DB_REP_UNAVAIL, "DB_REP_UNAVAIL: replication: the site cannot be reached"},
      {DB_REP_WOULDROLLBACK, "DB_REP_WOULDROLLBACK: replication: a rollback was refused"},
      {DB_SECONDARY_BAD, "DB_SECONDARY_BAD: the secondary index is corrupt"},
      {DB_TIMEOUT, "DB_TIMEOUT: the operation timed out"},
      {DB_VERIFY_BAD, "DB_VERIFY_BAD: the database failed verification"},
      {DB_CHKSUM_FAIL, "DB_CHKSUM_FAIL: checksum mismatch"},
      {DB_DELETED, "DB_DELETED: the file was deleted"},
      {DB_EVENT_NOT_HANDLED, "DB_EVENT_NOT_HANDLED: the event was not handled"},
      {DB_NEEDSPLIT, "DB_NEEDSPLIT: the page needs a split"},
      {DB_REP_BULKOVF, "DB_REP_BULKOVF: replication: bulk buffer overflow"},
      {DB_REP_LOGREADY, "DB_REP_LOGREADY: replication: log ready for recovery"},
      {DB_REP_NEWMASTER, "DB_REP_NEWMASTER: replication: a new master"},
      {DB_REP_PAGEDONE, "DB_REP_PAGEDONE: replication: the page was already done"},
      {DB_SURPRISE_KID, "DB_SURPRISE_KID: a child committed after its parent aborted"},
      {DB_SWAPBYTES, "DB_SWAPBYTES: the database needs its bytes swapped"},
      {DB_TXN_CKP, "DB_TXN_CKP: a checkpoint record was found in the log"},
      {DB_VERIFY_FATAL, "DB_VERIFY_FATAL: verification cannot go on"},
  };
  for (const code_text& c : others)
    if (c.code == error) return const_cast<char*>(c.text);
  // The manual: "If the error number error is greater than or equal to 0,
  // then the string returned by the system function strerror(3) is returned."
  if (error >= 0) return std::strerror(error);
  thread_local char buf[64];
  std::snprintf(buf, sizeof buf, "Unknown error: %d", error);
  return buf;
}
