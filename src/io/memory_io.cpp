// src/io/memory_io.cpp: pagepool::make_memory_io(), files that live in memory.
//
// A backend holds a name table (path -> file) and a descriptor table (fd ->
// open description: the file and its access mode). A file is sparse: a size
// and the chunks written so far, each `chunk` bytes, found by chunk index in
// one of 32 stripes (index % 32). A stripe is a shared/exclusive latch and a hash map
// of its chunks:
//
//   pread    per chunk: stripe latch shared, find (no allocation), copy out,
//            or zeros for a chunk never written (a hole).
//   pwrite   per chunk: stripe latch exclusive, find or make the chunk
//            (zero-filled), copy in; the last chunk's piece also raises the
//            size, under that latch.
//   ftruncate  every stripe latch exclusive, in stripe order: chunks past the
//            new end are freed and the tail of the last one zeroed, so bytes
//            past the end read as zeros if the file grows again.
//
// Consecutive chunks fall in different stripes, so threads working on
// different pages of one file rarely meet on a latch, and a read never waits
// for the name table. Unlinked files live on while a descriptor has them open
// (the open description holds a reference), as POSIX files do.
//
// Descriptors index a fixed table of 65536 atomic pointers. The table's
// latch-free lookup relies on the rule every io_backend caller follows: a
// descriptor is not closed while another call uses it.
//
// Synchronization edges (papers/design/memory-ordering.md):
//   (M1) open stores the new open description's pointer in its slot
//        [release]; desc() loads it [acquire]: a call on another thread that
//        finds the description sees it built (its file and access mode).
//        close's exchange is relaxed: open's store and it are made under mu_.
#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "pagepool/io.hpp"
#include "port/br_latch.hpp"

namespace pagepool {

namespace {

constexpr std::size_t stripe_count =
    32;  // ftruncate holds them all (ThreadSanitizer allows 64 held)
constexpr int max_fds = 1 << 16;
constexpr std::uint64_t memory_dev = 0x6d656d;  // "mem": the device of every memory file

struct mem_file {
  mem_file(std::size_t chunk_bytes, std::uint64_t inode)
      : chunk(chunk_bytes),
        shift(static_cast<unsigned>(std::countr_zero(chunk_bytes))),
        ino(inode) {}

  struct alignas(64) stripe {
    // A big-reader latch (port/br_latch.hpp): a read takes and leaves it
    // writing only its own thread's line (issue 12; before, the pool's
    // one-word latch cost two atomic RMWs on the stripe's shared line per
    // read, and std::shared_mutex before that 15% of a trace replay's time).
    // A write pays for it: it looks at every reading thread's line.
    internal::br_latch mu;
    std::unordered_map<std::uint64_t, std::unique_ptr<std::byte[]>> chunks;
  };

  const std::size_t chunk;
  const unsigned shift;
  const std::uint64_t ino;
  // relaxed throughout: the size changes only under a stripe latch (that of
  // the last chunk a pwrite touches, after its data; every latch for
  // ftruncate), and the bytes are ordered by their own stripes' latches. A
  // pread that loads a raised size takes those latches after the writer let
  // go of them: had it taken one first, its load would happen-before the
  // raise and could not see it.
  std::atomic<std::uint64_t> size{0};
  stripe stripes[stripe_count];

  stripe& stripe_of(std::uint64_t ci) noexcept { return stripes[ci % stripe_count]; }

  std::int64_t read(void* buf, std::size_t len, std::uint64_t off) noexcept {
    const std::uint64_t sz = size.load(std::memory_order_relaxed);
    if (off >= sz) return 0;
    len = static_cast<std::size_t>(std::min<std::uint64_t>(len, sz - off));
    auto* out = static_cast<std::byte*>(buf);
    for (std::size_t done = 0; done < len;) {
      const std::uint64_t pos = off + done;
      const std::uint64_t ci = pos >> shift;
      const std::size_t in = static_cast<std::size_t>(pos & (chunk - 1));
      const std::size_t n = std::min(chunk - in, len - done);
      stripe& s = stripe_of(ci);
      {
        std::shared_lock lk(s.mu);
        const auto it = s.chunks.find(ci);
        if (it == s.chunks.end())
          std::memset(out + done, 0, n);  // a hole
        else
          std::memcpy(out + done, it->second.get() + in, n);
      }
      done += n;
    }
    return static_cast<std::int64_t>(len);
  }

  std::int64_t write(const void* buf, std::size_t len, std::uint64_t off) noexcept {
    if (len == 0) return 0;
    if (off + len < off) return -EFBIG;
    const auto* in_bytes = static_cast<const std::byte*>(buf);
    for (std::size_t done = 0; done < len;) {
      const std::uint64_t pos = off + done;
      const std::uint64_t ci = pos >> shift;
      const std::size_t in = static_cast<std::size_t>(pos & (chunk - 1));
      const std::size_t n = std::min(chunk - in, len - done);
      stripe& s = stripe_of(ci);
      std::unique_lock lk(s.mu);
      auto it = s.chunks.find(ci);
      if (it == s.chunks.end()) {
        try {
          std::unique_ptr<std::byte[]> c(new std::byte[chunk]());
          it = s.chunks.emplace(ci, std::move(c)).first;
        } catch (const std::bad_alloc&) {
          return done > 0 ? static_cast<std::int64_t>(done) : -ENOSPC;
        }
      }
      std::memcpy(it->second.get() + in, in_bytes + done, n);
      done += n;
      if (done == len) {
        // Under the last chunk's latch, so that an ftruncate (every latch)
        // orders wholly before or after this write's size change.
        std::uint64_t cur = size.load(std::memory_order_relaxed);
        while (cur < off + len &&
               !size.compare_exchange_weak(cur, off + len, std::memory_order_relaxed)) {
        }
      }
    }
    return static_cast<std::int64_t>(len);
  }

  int truncate(std::uint64_t len) noexcept {
    for (auto& s : stripes) s.mu.lock();
    const std::uint64_t first_gone = (len + chunk - 1) >> shift;  // chunks wholly past the end
    for (auto& s : stripes) {
      for (auto it = s.chunks.begin(); it != s.chunks.end();) {
        if (it->first >= first_gone)
          it = s.chunks.erase(it);
        else
          ++it;
      }
    }
    if ((len & (chunk - 1)) != 0) {  // zero the tail of the partial last chunk
      const std::uint64_t ci = len >> shift;
      auto& m = stripe_of(ci).chunks;
      if (auto it = m.find(ci); it != m.end()) {
        const std::size_t in = static_cast<std::size_t>(len & (chunk - 1));
        std::memset(it->second.get() + in, 0, chunk - in);
      }
    }
    size.store(len, std::memory_order_relaxed);
    for (auto it = std::rbegin(stripes); it != std::rend(stripes); ++it) it->mu.unlock();
    return 0;
  }
};

struct open_desc {
  std::shared_ptr<mem_file> file;
  bool readable = false;
  bool writable = false;
};

class memory_backend final : public io_backend {
 public:
  explicit memory_backend(std::size_t chunk)
      : chunk_(chunk), fds_(new std::atomic<open_desc*>[max_fds]()) {}
  ~memory_backend() override {
    // relaxed: the last reference is going; no call runs concurrently.
    for (int i = 0; i < max_fds; ++i) delete fds_[i].load(std::memory_order_relaxed);
  }

  int open(const std::string& path, int flags, int /*mode*/) noexcept override try {
    if (path.empty()) return -ENOENT;
    const int acc = flags & O_ACCMODE;
    if (acc != O_RDONLY && acc != O_WRONLY && acc != O_RDWR) return -EINVAL;
    if ((flags & O_DIRECTORY) != 0) return -ENOTDIR;  // no directories here
    std::lock_guard g(mu_);
    auto it = names_.find(path);
    if (it != names_.end() && (flags & O_CREAT) && (flags & O_EXCL)) return -EEXIST;
    if (it == names_.end() && !(flags & O_CREAT)) return -ENOENT;
    int fd = -1;
    if (!free_fds_.empty()) {
      fd = free_fds_.back();
    } else if (next_fd_ < max_fds) {
      fd = next_fd_;
    } else {
      return -EMFILE;
    }
    auto d = std::make_unique<open_desc>();
    if (it == names_.end()) {
      auto f = std::make_shared<mem_file>(chunk_, ++inodes_);
      it = names_.emplace(path, std::move(f)).first;
    }
    d->file = it->second;
    d->readable = acc != O_WRONLY;
    d->writable = acc != O_RDONLY;
    if ((flags & O_TRUNC) && d->writable) (void)d->file->truncate(0);
    if (!free_fds_.empty())
      free_fds_.pop_back();
    else
      ++next_fd_;
    // (M1) release: publishes the open description to latch-free lookups
    // (acquire in desc()).
    fds_[fd].store(d.release(), std::memory_order_release);
    return fd;
  } catch (const std::bad_alloc&) {
    return -ENOMEM;
  }

  int close(int fd) noexcept override {
    if (fd < 0 || fd >= max_fds) return -EBADF;
    open_desc* d = nullptr;
    {
      std::lock_guard g(mu_);
      // relaxed: open's store and this exchange are both made under mu_.
      d = fds_[fd].exchange(nullptr, std::memory_order_relaxed);
      if (d == nullptr) return -EBADF;
      try {
        free_fds_.push_back(fd);
      } catch (const std::bad_alloc&) {
        // The number is lost for reuse; the descriptor is closed all the same.
      }
    }
    delete d;
    return 0;
  }

  std::int64_t pread(int fd, void* buf, std::size_t len, std::uint64_t off) noexcept override {
    open_desc* d = desc(fd);
    if (d == nullptr || !d->readable) return -EBADF;
    return d->file->read(buf, len, off);
  }

  std::int64_t pwrite(int fd, const void* buf, std::size_t len,
                      std::uint64_t off) noexcept override {
    open_desc* d = desc(fd);
    if (d == nullptr || !d->writable) return -EBADF;
    return d->file->write(buf, len, off);
  }

  int fsync(int fd) noexcept override { return desc(fd) == nullptr ? -EBADF : 0; }
  int fsync_dir(const std::string& /*dir*/) noexcept override { return 0; }

  int fstat(int fd, io_file_info& out) noexcept override {
    open_desc* d = desc(fd);
    if (d == nullptr) return -EBADF;
    out.size = d->file->size.load(std::memory_order_relaxed);  // relaxed: a snapshot
    out.dev = memory_dev;
    out.ino = d->file->ino;
    out.directory = false;
    return 0;
  }

  int ftruncate(int fd, std::uint64_t len) noexcept override {
    open_desc* d = desc(fd);
    if (d == nullptr) return -EBADF;
    if (!d->writable) return -EINVAL;  // as ftruncate(2) on a descriptor not open for writing
    return d->file->truncate(len);
  }

  int unlink(const std::string& path) noexcept override {
    std::shared_ptr<mem_file> gone;  // freed outside the latch (if no descriptor holds it)
    std::lock_guard g(mu_);
    auto it = names_.find(path);
    if (it == names_.end()) return -ENOENT;
    gone = std::move(it->second);
    names_.erase(it);
    return 0;
  }

 private:
  open_desc* desc(int fd) noexcept {
    if (fd < 0 || fd >= max_fds) return nullptr;
    // (M1) acquire: pairs with open's release store of the description.
    return fds_[fd].load(std::memory_order_acquire);
  }

  const std::size_t chunk_;
  std::mutex mu_;  // names_, free_fds_, next_fd_, inodes_, and changes to fds_
  std::unordered_map<std::string, std::shared_ptr<mem_file>> names_;
  std::unique_ptr<std::atomic<open_desc*>[]> fds_;
  std::vector<int> free_fds_;
  int next_fd_ = 0;
  std::uint64_t inodes_ = 0;
};

}  // namespace

std::shared_ptr<io_backend> make_memory_io(std::size_t chunk_size) noexcept {
  if (chunk_size < 512 || chunk_size > (1u << 20) || !std::has_single_bit(chunk_size))
    chunk_size = 4096;
  try {
    return std::make_shared<memory_backend>(chunk_size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

}  // namespace pagepool
