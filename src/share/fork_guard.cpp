// src/share/fork_guard.cpp: see fork_guard.hpp.
#include "share/fork_guard.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <new>
#include <vector>

namespace pagepool::internal::fork_guard {

namespace {

std::mutex& list_mutex() {
  static std::mutex m;
  return m;
}
std::vector<int>& fds() {
  static std::vector<int> v;
  return v;
}
struct mapping {
  void* addr;
  std::size_t len;
  int fd;
  long off;
};
std::vector<mapping>& mappings() {
  static std::vector<mapping> v;
  return v;
}
struct hook {
  void (*fn)(void*);
  void* arg;
};
std::vector<hook>& hooks() {
  static std::vector<hook> v;
  return v;
}
std::atomic<std::uint32_t> gen{0};

void prepare() noexcept { list_mutex().lock(); }
void parent() noexcept { list_mutex().unlock(); }
void child() noexcept {
  // The only thread of the child: close what the parent's pools hold, so
  // that their locks are the parent's alone.
  for (int fd : fds()) ::close(fd);
  fds().clear();
  // The parent's shared pool memory becomes the child's private copy (a
  // file mapping's unwritten pages still show the parent's later writes;
  // the child's writes reach no one). Failure leaves the range unmapped
  // rather than shared: the child faults instead of corrupting the parent.
  for (const mapping& m : mappings())
    if (::mmap(m.addr, m.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, m.fd, m.off) ==
        MAP_FAILED)
      (void)::munmap(m.addr, m.len);
  mappings().clear();
  gen.store(gen.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  for (const hook& h : hooks()) h.fn(h.arg);
  list_mutex().unlock();
}

// Appends x to list v under the lists' mutex; false if out of memory.
template <class T>
bool append(std::vector<T>& v, T x) noexcept {
  install();
  std::lock_guard g(list_mutex());
  try {
    v.push_back(x);
  } catch (const std::bad_alloc&) {
    return false;
  }
  return true;
}

// Removes the entries of list v that match under the lists' mutex.
template <class T, class Pred>
void erase_where(std::vector<T>& v, Pred match) noexcept {
  std::lock_guard g(list_mutex());
  std::erase_if(v, match);
}

}  // namespace

void install() noexcept {
  static const int installed = ::pthread_atfork(prepare, parent, child);  // once (a magic static)
  (void)installed;
}

bool add(int fd) noexcept {
  return append(fds(), fd);
}

void remove(int fd) noexcept {
  erase_where(fds(), [fd](int x) { return x == fd; });
}

bool add_mapping(void* addr, std::size_t len, int fd, long off) noexcept {
  return append(mappings(), mapping{addr, len, fd, off});
}

void remove_mapping(void* addr) noexcept {
  erase_where(mappings(), [addr](const mapping& m) { return m.addr == addr; });
}

bool add_child_hook(void (*fn)(void*), void* arg) noexcept {
  return append(hooks(), hook{fn, arg});
}

void remove_child_hook(void* arg) noexcept {
  erase_where(hooks(), [arg](const hook& h) { return h.arg == arg; });
}

void keep_forever(std::shared_ptr<void> p) noexcept {
  static auto* kept = new std::vector<std::shared_ptr<void>>;  // never destroyed, reachable
  std::lock_guard g(list_mutex());
  try {
    kept->push_back(std::move(p));
  } catch (const std::bad_alloc&) {
    // Out of memory: a lone reference, never freed, does the same.
    (void)new (std::nothrow) std::shared_ptr<void>(std::move(p));
  }
}

std::uint32_t generation() noexcept { return gen.load(std::memory_order_relaxed); }

}  // namespace pagepool::internal::fork_guard
