// stress/crash/power_io.cpp: the power-loss backend and its images
// (power_io.hpp says what is modelled and why).
#include "power_io.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace pagepool::stress::power {

std::string dir_of(const std::string& path) {
  std::string d = std::filesystem::path(path).parent_path().string();
  return d.empty() ? std::string(".") : d;
}

namespace {

/// Sets the length of `f`: bytes past it are gone, a longer file reads zeros.
void resize_to(file_bytes& f, std::uint64_t len) { f.resize(static_cast<std::size_t>(len)); }

/// Copies bytes [from, to) of a write (offsets relative to its start).
void apply_write(file_bytes& f, const volatile_op& w, std::size_t from, std::size_t to,
                 std::size_t extend_to) {
  const auto off = static_cast<std::size_t>(w.off);
  if (f.size() < off + extend_to) f.resize(off + extend_to);
  std::memcpy(f.data() + off + from, w.bytes.data() + from, to - from);
}

/// The 512-byte boundaries strictly inside write w, as offsets in w.
std::vector<std::size_t> boundaries(const volatile_op& w) {
  std::vector<std::size_t> b;
  const std::uint64_t end = w.off + w.bytes.size();
  for (std::uint64_t x = (w.off / sector + 1) * sector; x < end; x += sector)
    b.push_back(static_cast<std::size_t>(x - w.off));
  return b;
}

}  // namespace

// --- image ---------------------------------------------------------------

unsigned image::choices(std::size_t i) const noexcept {
  const volatile_op& op = pending[i];
  if (op.kind != volatile_op::write) return 2;
  return 2 + 2 * static_cast<unsigned>(boundaries(op).size());
}

std::uint64_t image::survivor_count(std::uint64_t cap) const noexcept {
  std::uint64_t n = 1;
  for (std::size_t i = 0; i < pending.size(); ++i) {
    n *= choices(i);
    if (n >= cap) return cap;
  }
  return n;
}

disk_state image::survivor(const std::vector<unsigned>& choice) const {
  disk_state d = durable;
  for (std::size_t i = 0; i < pending.size(); ++i) {
    const unsigned c = i < choice.size() ? choice[i] : 1;
    if (c == 0) continue;  // lost
    const volatile_op& op = pending[i];
    switch (op.kind) {
      case volatile_op::link:
        d.names[op.path] = op.ino;
        break;
      case volatile_op::unlink:
        d.names.erase(op.path);
        break;
      case volatile_op::truncate:
        resize_to(d.files[op.ino], op.off);
        break;
      case volatile_op::write: {
        file_bytes& f = d.files[op.ino];
        const std::size_t n = op.bytes.size();
        if (c == 1) {
          apply_write(f, op, 0, n, n);
        } else {
          const std::size_t at = boundaries(op)[(c - 2) / 2];
          if ((c - 2) % 2 == 0)
            apply_write(f, op, 0, at, n);  // the sectors before the boundary
          else
            apply_write(f, op, at, n, n);  // the sectors after it
        }
        break;
      }
    }
  }
  // An inode no name reaches is gone (its data died with the cut).
  for (auto it = d.files.begin(); it != d.files.end();) {
    const bool named = std::any_of(d.names.begin(), d.names.end(),
                                   [&](const auto& e) { return e.second == it->first; });
    it = named ? std::next(it) : d.files.erase(it);
  }
  for (const auto& [path, ino] : d.names) d.files.try_emplace(ino);
  return d;
}

std::vector<unsigned> image::random_choice(std::mt19937_64& rng) const {
  std::vector<unsigned> c(pending.size());
  for (std::size_t i = 0; i < pending.size(); ++i) {
    const unsigned n = choices(i);
    if (n == 2 || rng() % 3 != 2)
      c[i] = static_cast<unsigned>(rng() % 2);
    else
      c[i] = 2 + static_cast<unsigned>(rng() % (n - 2));
  }
  return c;
}

unsigned image::torn_writes(const std::vector<unsigned>& choice) const noexcept {
  unsigned n = 0;
  for (unsigned c : choice) n += c >= 2 ? 1 : 0;
  return n;
}

// --- the backend ---------------------------------------------------------

power_io::power_io(disk_state start) : cur_(start), durable_(std::move(start)) {}

void power_io::cut_at(std::uint64_t n) {
  std::lock_guard lk(mu_);
  ops_ = 0;
  image_.reset();
  cut_at_ = n;
  if (n == 0) image_ = snapshot_locked();
}

bool power_io::cut() const {
  std::lock_guard lk(mu_);
  return image_.has_value();
}

std::optional<image> power_io::taken() const {
  std::lock_guard lk(mu_);
  return image_;
}

image power_io::cut_now() {
  std::lock_guard lk(mu_);
  if (!image_) image_ = snapshot_locked();
  return *image_;
}

std::uint64_t power_io::ops() const {
  std::lock_guard lk(mu_);
  return ops_;
}

std::optional<std::uint64_t> power_io::size_of(const std::string& path) const {
  std::lock_guard lk(mu_);
  const auto it = cur_.names.find(path);
  if (it == cur_.names.end()) return std::nullopt;
  return cur_.files.at(it->second).size();
}

void power_io::tick_locked() {
  ++ops_;
  if (cut_at_ != 0 && ops_ == cut_at_ && !image_) image_ = snapshot_locked();
}

image power_io::snapshot_locked() const {
  image im;
  im.durable = durable_;
  im.pending = pending_;
  return im;
}

int power_io::open(const std::string& path, int flags, int /*mode*/) noexcept try {
  std::lock_guard lk(mu_);
  auto it = cur_.names.find(path);
  if (it != cur_.names.end() && (flags & O_CREAT) && (flags & O_EXCL)) return -EEXIST;
  if (it == cur_.names.end()) {
    if (!(flags & O_CREAT)) return -ENOENT;
    tick_locked();
    const std::uint64_t ino = cur_.next_ino++;
    durable_.next_ino = cur_.next_ino;  // inode numbers are never reused
    cur_.files[ino];
    it = cur_.names.emplace(path, ino).first;
    pending_.push_back({volatile_op::link, ino, 0, {}, path});
  }
  const bool writable = (flags & O_ACCMODE) != O_RDONLY;
  if ((flags & O_TRUNC) && writable) {
    tick_locked();
    cur_.files[it->second].clear();
    pending_.push_back({volatile_op::truncate, it->second, 0, {}, {}});
  }
  const int fd = next_fd_++;
  fds_[fd] = {it->second, writable};
  return fd;
} catch (...) {
  return -ENOMEM;
}

int power_io::close(int fd) noexcept {
  std::lock_guard lk(mu_);
  return fds_.erase(fd) == 1 ? 0 : -EBADF;
}

std::int64_t power_io::pread(int fd, void* buf, std::size_t len, std::uint64_t off) noexcept {
  std::lock_guard lk(mu_);
  const auto it = fds_.find(fd);
  if (it == fds_.end()) return -EBADF;
  const file_bytes& f = cur_.files[it->second.ino];
  if (off >= f.size()) return 0;
  const std::size_t n = std::min<std::size_t>(len, f.size() - static_cast<std::size_t>(off));
  std::memcpy(buf, f.data() + off, n);
  return static_cast<std::int64_t>(n);
}

std::int64_t power_io::pwrite(int fd, const void* buf, std::size_t len,
                              std::uint64_t off) noexcept try {
  std::lock_guard lk(mu_);
  const auto it = fds_.find(fd);
  if (it == fds_.end()) return -EBADF;
  if (!it->second.writable) return -EBADF;
  if (len == 0) return 0;
  tick_locked();
  const std::uint64_t ino = it->second.ino;
  file_bytes& f = cur_.files[ino];
  if (f.size() < off + len) f.resize(static_cast<std::size_t>(off + len));
  std::memcpy(f.data() + off, buf, len);
  volatile_op w{volatile_op::write, ino, off, {}, {}};
  w.bytes.assign(static_cast<const std::byte*>(buf), static_cast<const std::byte*>(buf) + len);
  pending_.push_back(std::move(w));
  return static_cast<std::int64_t>(len);
} catch (...) {
  return -ENOMEM;
}

int power_io::fsync(int fd) noexcept try {
  std::lock_guard lk(mu_);
  const auto it = fds_.find(fd);
  if (it == fds_.end()) return -EBADF;
  tick_locked();
  const std::uint64_t ino = it->second.ino;
  durable_.files[ino] = cur_.files[ino];
  std::erase_if(pending_, [&](const volatile_op& op) {
    return op.ino == ino && (op.kind == volatile_op::write || op.kind == volatile_op::truncate);
  });
  return 0;
} catch (...) {
  return -ENOMEM;
}

int power_io::fsync_dir(const std::string& dir) noexcept try {
  std::lock_guard lk(mu_);
  tick_locked();
  std::erase_if(durable_.names, [&](const auto& e) { return dir_of(e.first) == dir; });
  for (const auto& [path, ino] : cur_.names)
    if (dir_of(path) == dir) durable_.names[path] = ino;
  std::erase_if(pending_, [&](const volatile_op& op) {
    return (op.kind == volatile_op::link || op.kind == volatile_op::unlink) &&
           dir_of(op.path) == dir;
  });
  return 0;
} catch (...) {
  return -ENOMEM;
}

int power_io::fstat(int fd, io_file_info& out) noexcept {
  std::lock_guard lk(mu_);
  const auto it = fds_.find(fd);
  if (it == fds_.end()) return -EBADF;
  out.size = cur_.files[it->second.ino].size();
  out.dev = 0x706c;  // "pl"
  out.ino = it->second.ino;
  out.directory = false;
  return 0;
}

int power_io::ftruncate(int fd, std::uint64_t len) noexcept try {
  std::lock_guard lk(mu_);
  const auto it = fds_.find(fd);
  if (it == fds_.end()) return -EBADF;
  if (!it->second.writable) return -EINVAL;
  tick_locked();
  resize_to(cur_.files[it->second.ino], len);
  pending_.push_back({volatile_op::truncate, it->second.ino, len, {}, {}});
  return 0;
} catch (...) {
  return -ENOMEM;
}

int power_io::unlink(const std::string& path) noexcept try {
  std::lock_guard lk(mu_);
  const auto it = cur_.names.find(path);
  if (it == cur_.names.end()) return -ENOENT;
  tick_locked();
  pending_.push_back({volatile_op::unlink, it->second, 0, {}, path});
  cur_.names.erase(it);
  return 0;
} catch (...) {
  return -ENOMEM;
}

}  // namespace pagepool::stress::power
