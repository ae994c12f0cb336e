// tests/support/fault_io.hpp: an io_backend for tests that wraps another one
// (make_memory_io() or posix_io()) and injects faults, counts calls, tracks
// open descriptors and logs every call in order.
//
// Rules are set at run time from the test's thread while pool threads do I/O;
// a mutex guards rules, counts, the descriptor table and the log. A rule
// names an operation, which call of it to hit (the nth from now, 1 = the
// next), whether to hit every call from then on, and optionally a path (a
// file's path for calls on its descriptors; the directory for fsync_dir). It
// either fails the call with an errno, the inner backend never seeing it, or
// shortens a pread/pwrite to at most `bytes` bytes (0: a pread that reads
// nothing, as at end of file; a pwrite that writes nothing, which the pool
// turns into EIO).
//
// The write hook runs for every pwrite that reaches the inner backend, just
// before it, with the bytes about to be written: tests check ordering rules
// (the write-ahead rule) at the moment of the write. It runs without the
// wrapper's mutex held and must be thread-safe.
//
// The fstat hook runs after every fstat that reached the inner backend, with
// the file's path, without the mutex held: a test stops a thread there to
// make a race with what the pool does after reading a file's size
// deterministic.
//
// Not a mappable() backend: every read goes through pread, where faults land.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "pagepool/io.hpp"

namespace pagepool::test {

enum class io_op : unsigned {
  open,
  close,
  pread,
  pwrite,
  fsync,
  fsync_dir,
  fstat,
  ftruncate,
  unlink
};
inline constexpr std::size_t io_op_count = 9;

class fault_io final : public io_backend {
 public:
  /// One call, as logged: what was asked and what it returned (a descriptor,
  /// a byte count, 0, or -errno).
  struct event {
    io_op op;
    std::string path;  // the file (open, unlink, calls on a descriptor) or directory (fsync_dir)
    int fd = -1;
    std::uint64_t off = 0;
    std::size_t len = 0;
    std::int64_t result = 0;
  };
  using write_hook = std::function<void(const std::string& path, std::uint64_t off,
                                        const void* data, std::size_t len)>;

  explicit fault_io(std::shared_ptr<io_backend> inner) : inner_(std::move(inner)) {}

  // --- rules
  /// Fails the nth call of `op` from now (1 = the next) with errno `e`; with
  /// `every`, that call and every later one. With `path`, only calls on it count.
  void fail(io_op op, int e, std::uint64_t nth = 1, bool every = false, std::string path = {}) {
    std::lock_guard g(mu_);
    rules_.push_back({op, e, no_short, nth - 1, every, std::move(path)});
  }
  /// Makes the nth pread or pwrite from now transfer at most `bytes` bytes.
  void short_transfer(io_op op, std::size_t bytes, std::uint64_t nth = 1, bool every = false,
                      std::string path = {}) {
    std::lock_guard g(mu_);
    rules_.push_back({op, 0, bytes, nth - 1, every, std::move(path)});
  }
  /// Removes every rule.
  void clear_rules() {
    std::lock_guard g(mu_);
    rules_.clear();
  }
  void set_write_hook(write_hook h) {
    std::lock_guard g(mu_);
    hook_ = std::make_shared<write_hook>(std::move(h));
  }
  using fstat_hook = std::function<void(const std::string& path)>;
  void set_fstat_hook(fstat_hook h) {
    std::lock_guard g(mu_);
    fstat_hook_ = std::make_shared<fstat_hook>(std::move(h));
  }

  // --- observation
  /// Calls of `op` made so far (faulted ones included).
  std::uint64_t calls(io_op op) const {
    std::lock_guard g(mu_);
    return calls_[static_cast<unsigned>(op)];
  }
  /// Calls a rule hit so far.
  std::uint64_t injected() const {
    std::lock_guard g(mu_);
    return injected_;
  }
  /// Descriptors open through this backend now.
  std::size_t open_fds() const {
    std::lock_guard g(mu_);
    return fds_.size();
  }
  /// Every call so far, in the order they returned.
  std::vector<event> log() const {
    std::lock_guard g(mu_);
    return log_;
  }
  void clear_log() {
    std::lock_guard g(mu_);
    log_.clear();
  }
  /// Turns the log off (a long concurrent run) or on again.
  void set_logging(bool on) {
    std::lock_guard g(mu_);
    logging_ = on;
  }

  // --- io_backend
  int open(const std::string& path, int flags, int mode) noexcept override {
    const decision d = decide(io_op::open, path);
    const int r = d.fail ? -d.err : inner_->open(path, flags, mode);
    std::lock_guard g(mu_);
    if (r >= 0) fds_[r] = path;
    record({io_op::open, path, r, 0, 0, r});
    return r;
  }
  int close(int fd) noexcept override {
    const std::string path = path_of(fd);
    const decision d = decide(io_op::close, path);
    // A failed close(2) still closes the descriptor (Linux): pass it on.
    int r = inner_->close(fd);
    if (d.fail) r = -d.err;
    std::lock_guard g(mu_);
    fds_.erase(fd);
    record({io_op::close, path, fd, 0, 0, r});
    return r;
  }
  std::int64_t pread(int fd, void* buf, std::size_t len, std::uint64_t off) noexcept override {
    const std::string path = path_of(fd);
    const decision d = decide(io_op::pread, path);
    std::int64_t r;
    if (d.fail)
      r = -d.err;
    else if (d.cap == 0)
      r = 0;
    else
      r = inner_->pread(fd, buf, std::min(len, d.cap), off);
    std::lock_guard g(mu_);
    record({io_op::pread, path, fd, off, len, r});
    return r;
  }
  std::int64_t pwrite(int fd, const void* buf, std::size_t len,
                      std::uint64_t off) noexcept override {
    const std::string path = path_of(fd);
    const decision d = decide(io_op::pwrite, path);
    std::int64_t r;
    if (d.fail) {
      r = -d.err;
    } else if (d.cap == 0) {
      r = 0;
    } else {
      const std::size_t n = std::min(len, d.cap);
      if (d.hook) (*d.hook)(path, off, buf, n);
      r = inner_->pwrite(fd, buf, n, off);
    }
    std::lock_guard g(mu_);
    record({io_op::pwrite, path, fd, off, len, r});
    return r;
  }
  int fsync(int fd) noexcept override {
    const std::string path = path_of(fd);
    const decision d = decide(io_op::fsync, path);
    const int r = d.fail ? -d.err : inner_->fsync(fd);
    std::lock_guard g(mu_);
    record({io_op::fsync, path, fd, 0, 0, r});
    return r;
  }
  int fsync_dir(const std::string& dir) noexcept override {
    const decision d = decide(io_op::fsync_dir, dir);
    const int r = d.fail ? -d.err : inner_->fsync_dir(dir);
    std::lock_guard g(mu_);
    record({io_op::fsync_dir, dir, -1, 0, 0, r});
    return r;
  }
  int fstat(int fd, io_file_info& out) noexcept override {
    const std::string path = path_of(fd);
    const decision d = decide(io_op::fstat, path);
    const int r = d.fail ? -d.err : inner_->fstat(fd, out);
    std::shared_ptr<fstat_hook> hook;
    {
      std::lock_guard g(mu_);
      record({io_op::fstat, path, fd, 0, 0, r});
      hook = fstat_hook_;
    }
    if (hook && !d.fail) (*hook)(path);
    return r;
  }
  int ftruncate(int fd, std::uint64_t len) noexcept override {
    const std::string path = path_of(fd);
    const decision d = decide(io_op::ftruncate, path);
    const int r = d.fail ? -d.err : inner_->ftruncate(fd, len);
    std::lock_guard g(mu_);
    record({io_op::ftruncate, path, fd, len, 0, r});
    return r;
  }
  int unlink(const std::string& path) noexcept override {
    const decision d = decide(io_op::unlink, path);
    const int r = d.fail ? -d.err : inner_->unlink(path);
    std::lock_guard g(mu_);
    record({io_op::unlink, path, -1, 0, 0, r});
    return r;
  }

  /// The path a descriptor was opened with ("" if unknown).
  std::string path_of(int fd) const {
    std::lock_guard g(mu_);
    auto it = fds_.find(fd);
    return it == fds_.end() ? std::string() : it->second;
  }

 private:
  static constexpr std::size_t no_short = ~std::size_t{0};
  struct rule {
    io_op op;
    int err;             // the errno to fail with, or 0 for a short transfer
    std::size_t cap;     // short transfer: at most this many bytes
    std::uint64_t skip;  // matching calls still to let through
    bool every;
    std::string path;
  };
  struct decision {
    bool fail = false;
    int err = 0;
    std::size_t cap = no_short;
    std::shared_ptr<write_hook> hook;
  };

  decision decide(io_op op, const std::string& path) {
    std::lock_guard g(mu_);
    ++calls_[static_cast<unsigned>(op)];
    decision d;
    d.hook = hook_;
    for (auto it = rules_.begin(); it != rules_.end(); ++it) {
      if (it->op != op || (!it->path.empty() && it->path != path)) continue;
      if (it->skip > 0) {
        --it->skip;
        continue;
      }
      ++injected_;
      if (it->err != 0) {
        d.fail = true;
        d.err = it->err;
      } else {
        d.cap = it->cap;
      }
      if (!it->every) rules_.erase(it);
      break;
    }
    return d;
  }

  void record(event e) {  // caller holds mu_
    if (logging_) log_.push_back(std::move(e));
  }

  std::shared_ptr<io_backend> inner_;
  mutable std::mutex mu_;
  std::vector<rule> rules_;
  std::uint64_t calls_[io_op_count] = {};
  std::uint64_t injected_ = 0;
  std::map<int, std::string> fds_;
  std::vector<event> log_;
  bool logging_ = true;
  std::shared_ptr<write_hook> hook_;
  std::shared_ptr<fstat_hook> fstat_hook_;
};

}  // namespace pagepool::test
