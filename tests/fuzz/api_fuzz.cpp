// tests/fuzz/api_fuzz.cpp: libFuzzer target that drives the pagepool API and
// checks every result against a single-mutex reference model.
//
// Each input is decoded into a sequence of calls on one small pool (2 to 5
// frames, or 1 to 4 a region, so that eviction and ENOMEM happen; 1 to 8
// regions; any eviction policy, and set_policy on the way; mmap off, or
// read-only files up to 8 KiB or 1 MiB served by a mapping): file opens with random flags,
// page sizes and settings (valid and not), gets with random flags and page
// numbers, puts and sets with random flags and priorities, puts of foreign
// pointers (another handle's page, a stack buffer, a pointer into the middle
// of a pinned page, a page already put), syncs, trickles, closes with pages
// pinned, handle destruction, pool close and a new pool on the same files,
// and resizes of the live pool (op_resize says which are exact). Whether an
// open mapped the file is read back (is_mapped) and checked; gets on a mapped
// handle must return the file's bytes.
// Every page got to write is stamped (its bytes filled from a serial number,
// the file and the page number), and every get compares the page it returns
// with the model's (the content oracle). A result the model did not allow
// prints the calls of the input and aborts, so libFuzzer keeps the input.
//
// PAGEPOOL_FUZZ_TRACE=1 prints every input's calls. The totals (API calls,
// inputs, results by kind) are printed every million calls and at exit.
//
// Reference: include/pagepool/{pool,file,types,error}.hpp and README.md
// ("Where pagepool differs from Berkeley DB 5.3"): where the BDB manual and
// the headers disagree, the model follows the headers.
//
// This file holds the libFuzzer entry points (the scratch directory, its
// O_DIRECT alignment, one driver per input). The rest, one concept a file:
//
//   fuzz_common.hpp  names, fixed sizes and the error codes the model predicts
//   run_stats.*      run-wide state, results counted by kind, the totals
//   trace.*          the calls of the current input; diverge()
//   content.hpp      a page's predicted bytes (the content oracle)
//   model.hpp        the reference model: one possible world, shared rules
//   input.hpp        the input's bytes and the tables they index
//   driver.*         the driver: the decoder (run) and the set of worlds
//   op_*.cpp         each call made and its result checked against the worlds:
//                    open, get (and stamps), put, close, sync, setting, pool
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "driver.hpp"
#include "run_stats.hpp"
#include "trace.hpp"

namespace pagepool_fuzz {
namespace {

void empty_dir() {
  std::error_code e;
  for (const auto& ent : std::filesystem::directory_iterator(g_dir, e))
    std::filesystem::remove_all(ent.path(), e);
}

/// What the file system of g_dir says about O_DIRECT (the kernel's own
/// statement, STATX_DIOALIGN, else st_blksize up to 4 KiB).
std::size_t probe_direct_alignment() {
  const std::string p = g_dir + "/dio-probe";
  const int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_DIRECT | O_CLOEXEC, 0600);
  if (fd < 0) {
    ::unlink(p.c_str());
    return 0;
  }
  std::size_t a = 0;
#if defined(STATX_DIOALIGN)
  struct statx sx {};
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 && (sx.stx_mask & STATX_DIOALIGN) &&
      sx.stx_dio_offset_align != 0)
    a = sx.stx_dio_offset_align;
#endif
  struct stat st {};
  if (a == 0 && ::fstat(fd, &st) == 0 && st.st_blksize > 0)
    a = std::min<std::size_t>(static_cast<std::size_t>(st.st_blksize), 4096);
  ::close(fd);
  ::unlink(p.c_str());
  return a == 0 ? 4096 : a;
}

}  // namespace

// The libFuzzer entry points: C linkage, so these are the global symbols
// libFuzzer calls, though declared in this namespace.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "pagepool-fuzz-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  g_dir = tmpl;
  g_start = std::chrono::steady_clock::now();
  g_dio_align = probe_direct_alignment();
  std::fprintf(stderr, "pagepool_api_fuzz: scratch directory %s, O_DIRECT alignment %zu\n",
               g_dir.c_str(), g_dio_align);
  const char* t = std::getenv("PAGEPOOL_FUZZ_TRACE");
  g_print_trace = t != nullptr && *t == '1';
  std::atexit([] {
    report();
    std::error_code e;
    std::filesystem::remove_all(g_dir, e);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  empty_dir();
  g_trace.clear();
  {
    driver d(data, size);
    d.run();
  }
  if (g_print_trace) {
    std::fprintf(stderr, "---- input %llu: %zu calls\n", static_cast<unsigned long long>(g_inputs),
                 g_trace.size());
    print_trace();
  }
  ++g_inputs;
  if (g_calls >= g_next_report) {
    report();
    g_next_report += 1'000'000;
  }
  return 0;
}

}  // namespace pagepool_fuzz
