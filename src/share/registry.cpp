// src/share/registry.cpp: see registry.hpp (the file, its locks, the life of
// a slot).
#include "share/registry.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <type_traits>

#include "pagepool/error.hpp"
#include "pagepool/testing.hpp"
#include "share/fork_guard.hpp"

namespace pagepool::internal {

namespace {

using testing::kill_point;
using testing::reach_kill_point;

constexpr char registry_magic[8] = {'P', 'G', 'P', 'O', 'O', 'L', 'R', '1'};
constexpr std::uint32_t registry_version = 2;  // 2: statistics blocks
constexpr std::uint32_t header_size = 4096;
constexpr std::uint32_t ready_mark = 0x52454459;  // "REDY"
constexpr std::uint32_t slot_attached = 1;

// The file's header and slot records: fixed-width fields, read and written
// whole with pread/pwrite under the registry latch.
struct file_header {
  char magic[8];
  std::uint32_t version;
  std::uint32_t header_bytes;
  std::uint32_t slots;
  std::uint32_t slot_bytes;
  std::uint64_t generation;  // a new value at every creation
  std::uint32_t ready;       // ready_mark once the rest is written
  std::uint32_t stats_bytes; // sizeof(pool_stats): the blocks' layout
  // Attaches so far (owner ids, registry.hpp); 0 in a file that predates
  // them, which counts from there alike.
  std::uint64_t attach_serial;
};
struct slot_record {
  std::uint32_t pid;
  std::uint32_t state;  // 0 free, slot_attached
  std::uint64_t generation;
  std::int64_t attach_ns;  // CLOCK_REALTIME at attach
  std::uint64_t serial;    // the attach's serial (file_header::attach_serial)
};
static_assert(sizeof(file_header) == 48 && sizeof(slot_record) == 32);
constexpr std::uint32_t slot_bytes = sizeof(slot_record);
constexpr off_t blocks_at = off_t{header_size} + off_t{process_registry::slot_count} * slot_bytes;

// A statistics block: [seq][published_ns][pool_stats], 1 KiB.
static_assert(std::is_trivially_copyable_v<pool_stats>);
constexpr std::uint32_t block_bytes = 1024;
constexpr off_t block_payload = 8;  // after seq
struct published_payload {
  std::int64_t taken_ns;
  pool_stats stats;
};
static_assert(16 + sizeof(pool_stats) <= block_bytes);
constexpr off_t file_bytes = blocks_at + off_t{process_registry::slot_count} * block_bytes;
off_t block_at(std::uint32_t i) { return blocks_at + off_t{i} * block_bytes; }

using slot_array = std::array<slot_record, process_registry::slot_count>;

std::error_code sys(int e) { return {e, std::generic_category()}; }

// ------------------------------------------------------------------ locks

int ofd_lock(int fd, short type, off_t at) {
  struct flock fl{};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = at;
  fl.l_len = 1;
  return ::fcntl(fd, F_OFD_SETLK, &fl) == 0 ? 0 : errno;
}

// Whether another open file description holds a lock on byte `at`.
bool locked_elsewhere(int fd, off_t at) {
  struct flock fl{};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = at;
  fl.l_len = 1;
  if (::fcntl(fd, F_OFD_GETLK, &fl) != 0) return true;  // unknown: assume alive
  return fl.l_type != F_UNLCK;
}

off_t slot_lock_byte(std::uint32_t i) { return off_t{1} + i; }

// Owner ids (registry.hpp): the serial's low 23 bits above the slot's 8.
constexpr std::uint64_t owner_serial_mask = (1u << 23) - 1;
static_assert(process_registry::slot_count <= 256, "a slot fits the id's low 8 bits");
std::uint32_t owner_id_of(std::uint32_t slot, std::uint64_t serial) {
  return static_cast<std::uint32_t>((serial & owner_serial_mask) << 8) | slot;
}

// The registry latch (byte 0), polled with a deadline: a dead holder's lock
// is gone at once; a live one holds it for a few reads and writes.
int take_latch(int fd, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto nap = std::chrono::microseconds(50);
  for (;;) {
    const int rc = ofd_lock(fd, F_WRLCK, 0);
    if (rc == 0) return 0;
    if (rc != EAGAIN && rc != EACCES) return rc;
    if (std::chrono::steady_clock::now() >= deadline) return EAGAIN;
    std::this_thread::sleep_for(nap);
    nap = std::min(nap * 2, std::chrono::microseconds(10000));
  }
}

void drop_latch(int fd) { (void)ofd_lock(fd, F_UNLCK, 0); }

// ------------------------------------------------------------ file contents

bool read_all(int fd, void* buf, std::size_t len, off_t at) {
  return ::pread(fd, buf, len, at) == static_cast<ssize_t>(len);
}
bool write_all(int fd, const void* buf, std::size_t len, off_t at) {
  return ::pwrite(fd, buf, len, at) == static_cast<ssize_t>(len);
}

bool read_slots(int fd, slot_array& s) { return read_all(fd, s.data(), sizeof s, header_size); }
bool write_slot(int fd, std::uint32_t i, const slot_record& r) {
  return write_all(fd, &r, sizeof r, off_t{header_size} + off_t{i} * slot_bytes);
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

enum class header_state { whole, unfinished, foreign };

// Reads the header of the file at fd (latch held). unfinished: empty, or a
// creator died before marking it ready; foreign: another version or layout.
header_state read_header(int fd, file_header& h) {
  struct stat st;
  if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(sizeof h)) return header_state::unfinished;
  if (!read_all(fd, &h, sizeof h, 0)) return header_state::unfinished;
  static constexpr char zero[8] = {};
  if (std::memcmp(h.magic, zero, sizeof zero) == 0) return header_state::unfinished;
  if (std::memcmp(h.magic, registry_magic, sizeof registry_magic) != 0 ||
      h.version != registry_version || h.header_bytes != header_size ||
      h.slots != process_registry::slot_count || h.slot_bytes != slot_bytes ||
      h.stats_bytes != sizeof(pool_stats))
    return header_state::foreign;
  if (h.ready != ready_mark) return header_state::unfinished;
  if (st.st_size < file_bytes) return header_state::foreign;
  return header_state::whole;
}

// Writes a new registry (latch held): every slot free, `ready` last.
int create_file(int fd) {
  if (::ftruncate(fd, 0) != 0 || ::ftruncate(fd, file_bytes) != 0) return errno;
  file_header h{};
  std::memcpy(h.magic, registry_magic, sizeof registry_magic);
  h.version = registry_version;
  h.header_bytes = header_size;
  h.slots = process_registry::slot_count;
  h.slot_bytes = slot_bytes;
  h.stats_bytes = sizeof(pool_stats);
  h.generation = static_cast<std::uint64_t>(now_ns());
  if (!write_all(fd, &h, sizeof h, 0)) return errno ? errno : EIO;
  reach_kill_point(kill_point::registry_create);
  h.ready = ready_mark;
  if (!write_all(fd, &h.ready, sizeof h.ready, offsetof(file_header, ready))) return errno ? errno : EIO;
  return 0;
}

// What a scan of the slots found (latch held).
struct scan_result {
  std::uint32_t live = 0;  // slots locked by another description
  pid_t some_pid = 0;
  std::uint32_t reaped = 0;
};

// Counts the live slots (skipping `own`) and frees the records of dead ones.
scan_result scan_and_reap(int fd, slot_array& slots, std::uint32_t own) {
  scan_result r;
  for (std::uint32_t i = 0; i < process_registry::slot_count; ++i) {
    if (i == own) continue;
    if (locked_elsewhere(fd, slot_lock_byte(i))) {
      ++r.live;
      if (r.some_pid == 0) r.some_pid = static_cast<pid_t>(slots[i].pid);
    } else if (slots[i].state != 0) {
      slots[i] = slot_record{};
      if (write_slot(fd, i, slots[i])) ++r.reaped;
    }
  }
  return r;
}

std::string registry_path(const std::string& dir) { return process_registry::path_of(dir); }

// Opens the registry (O_NOFOLLOW, close-on-exec; created with O_EXCL) and
// takes its latch, making sure the path still names the file opened (a
// remove may have unlinked it in between). -errno on failure.
int open_latched(const std::string& path, bool create, int mode, int timeout_ms) {
  constexpr int base = O_RDWR | O_CLOEXEC | O_NOFOLLOW;
  for (int attempt = 0; attempt < 16; ++attempt) {
    // Create exclusively (a file made by someone else is only ever joined,
    // never taken for ours), else join what is there; a remove in between
    // sends us round again.
    int fd = create ? ::open(path.c_str(), base | O_CREAT | O_EXCL, mode) : -1;
    if (fd < 0 && create && errno != EEXIST) return -errno;
    if (fd < 0) fd = ::open(path.c_str(), base);
    if (fd < 0 && create && errno == ENOENT) continue;
    if (fd < 0) return -errno;
    struct stat mine;
    if (::fstat(fd, &mine) != 0 || !S_ISREG(mine.st_mode)) {
      ::close(fd);
      return -EINVAL;
    }
    if (const int rc = take_latch(fd, timeout_ms); rc != 0) {
      ::close(fd);
      return -rc;
    }
    struct stat now;
    if (::stat(path.c_str(), &now) == 0 && now.st_ino == mine.st_ino && now.st_dev == mine.st_dev)
      return fd;
    ::close(fd);  // removed (and perhaps made again) meanwhile: open again
  }
  return -EAGAIN;
}

}  // namespace

std::error_code process_registry::attach(const std::string& dir, int mode, bool create,
                                         bool alone, std::unique_ptr<process_registry>& out,
                                         attach_info& info, int latch_timeout_ms) noexcept {
  info = attach_info{};
  std::unique_ptr<process_registry> r(new (std::nothrow) process_registry());
  if (!r) return sys(ENOMEM);
  try {
    r->path_ = registry_path(dir);
  } catch (...) {
    return sys(ENOMEM);
  }
  const int fd = open_latched(r->path_, create, mode == 0 ? 0660 : mode, latch_timeout_ms);
  if (fd < 0) return sys(-fd);
  if (!fork_guard::add(fd)) {
    ::close(fd);
    return sys(ENOMEM);
  }
  auto fail = [&](std::error_code ec) {
    fork_guard::remove(fd);
    ::close(fd);  // drops the latch and any slot lock
    return ec;
  };
  file_header h{};
  slot_array slots{};
  switch (read_header(fd, h)) {
    case header_state::foreign: return fail(errc::version_mismatch);
    case header_state::unfinished:
      if (const int rc = create_file(fd)) return fail(sys(rc));
      if (read_header(fd, h) != header_state::whole) return fail(sys(EIO));  // the new generation
      info.created = true;
      break;
    case header_state::whole: break;
  }
  if (!read_slots(fd, slots)) return fail(sys(EIO));
  const scan_result seen = scan_and_reap(fd, slots, slot_count);
  info.others = seen.live;
  info.other_pid = seen.some_pid;
  info.reaped = seen.reaped;
  if (alone && seen.live > 0) return fail(sys(EAGAIN));
  std::uint32_t slot = slot_count;
  for (std::uint32_t i = 0; i < slot_count && slot == slot_count; ++i) {
    if (slots[i].state != 0 || locked_elsewhere(fd, slot_lock_byte(i))) continue;
    // The block first: a reader that sees the slot alive reads no
    // previous owner's numbers.
    static constexpr std::uint64_t zero[2] = {0, 0};
    if (!write_all(fd, zero, sizeof zero, block_at(i))) return fail(sys(errno ? errno : EIO));
    if (ofd_lock(fd, F_WRLCK, slot_lock_byte(i)) == 0) slot = i;
  }
  if (slot == slot_count) return fail(sys(EAGAIN));
  // A new serial for the owner id; one whose low bits are 0 is skipped, so
  // that no id is 0 (a free latch).
  std::uint64_t serial = h.attach_serial + 1;
  if ((serial & owner_serial_mask) == 0) ++serial;
  if (!write_all(fd, &serial, sizeof serial, offsetof(file_header, attach_serial)))
    return fail(sys(errno ? errno : EIO));
  slot_record rec{};
  rec.serial = serial;
  rec.pid = static_cast<std::uint32_t>(::getpid());
  rec.state = slot_attached;
  rec.generation = h.generation;
  rec.attach_ns = now_ns();
  if (!write_slot(fd, slot, rec)) return fail(sys(errno ? errno : EIO));
  reach_kill_point(kill_point::registry_attach);
  drop_latch(fd);
  r->fd_ = fd;
  r->slot_ = slot;
  r->owner_id_ = owner_id_of(slot, serial);
  r->fork_gen_ = fork_guard::generation();
  out = std::move(r);
  return {};
}

process_registry::~process_registry() { leave(nullptr, nullptr); }

void process_registry::leave(void (*if_last)(void* ctx) noexcept, void* ctx) noexcept {
  if (fd_ < 0 || forked()) return;  // the child's copy was closed at fork
  fork_guard::remove(fd_);
  // Best effort: a latch that stays held leaves the record for failchk,
  // since closing drops the slot's lock either way.
  if (take_latch(fd_, 1000) == 0) {
    if (if_last != nullptr) {
      slot_array slots{};
      if (read_slots(fd_, slots) && scan_and_reap(fd_, slots, slot_).live == 0) if_last(ctx);
    }
    (void)write_slot(fd_, slot_, slot_record{});
  }
  ::close(fd_);  // drops the latch and the slot's lock
  fd_ = -1;
}

bool process_registry::forked() const noexcept { return fork_guard::generation() != fork_gen_; }

namespace {
// Opens the registry of `dir` to read it, never through a symbolic link: the
// descriptor, or -1 with `ec` set (the open's errno; ENOMEM).
int open_to_read(const std::string& dir, std::error_code& ec) noexcept {
  try {
    const int fd = ::open(registry_path(dir).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) ec = sys(errno);
    return fd;
  } catch (...) {
    ec = sys(ENOMEM);
    return -1;
  }
}

// owner_alive's question, on a descriptor of the registry.
bool id_alive(int fd, std::uint32_t id) noexcept {
  const std::uint32_t slot = id & 0xFFu;
  // Without the latch: a live holder's record was written before it had its
  // id (attach returns after the write) and does not change while it lives,
  // and its slot stays locked, so this never finds a live holder dead. A
  // record being freed or rewritten meanwhile belongs to a dead holder (or a
  // newcomer in its slot), whose answer is "dead" either way.
  slot_record rec{};
  if (!read_all(fd, &rec, sizeof rec, off_t{header_size} + off_t{slot} * slot_bytes))
    return true;  // unknown: alive (asked again later)
  if (rec.state != slot_attached || owner_id_of(slot, rec.serial) != id) return false;
  return locked_elsewhere(fd, slot_lock_byte(slot));
}
}  // namespace

std::string process_registry::path_of(const std::string& dir) {
  return (dir.empty() ? std::string(".") : dir) + "/" + file_name;
}

bool process_registry::owner_alive(std::uint32_t id) const noexcept {
  if (id == owner_id_ || forked()) return true;  // ourselves; a child cannot tell
  return id_alive(fd_, id);
}

std::error_code process_registry::alive(const std::string& dir, std::uint32_t id,
                                        bool& out) noexcept {
  out = false;
  std::error_code open_ec;
  const int fd = open_to_read(dir, open_ec);
  if (fd < 0) return open_ec;
  file_header h{};
  const header_state hs = read_header(fd, h);
  std::error_code ec;
  if (hs == header_state::foreign)
    ec = errc::version_mismatch;
  else
    out = hs == header_state::whole && id_alive(fd, id);
  ::close(fd);
  return ec;
}

owner_oracle process_registry::oracle() const noexcept {
  return owner_oracle{[](const void* ctx, std::uint32_t id) {
                        return static_cast<const process_registry*>(ctx)->owner_alive(id);
                      },
                      this};
}

std::error_code process_registry::failchk(std::uint32_t* reaped, std::uint32_t* live) noexcept {
  if (forked()) return sys(EINVAL);
  if (const int rc = take_latch(fd_, 10000)) return sys(rc);
  slot_array slots{};
  std::error_code ec;
  if (read_slots(fd_, slots)) {
    const scan_result s = scan_and_reap(fd_, slots, slot_);
    if (reaped) *reaped = s.reaped;
    if (live) *live = s.live + 1;
  } else {
    ec = sys(EIO);
  }
  drop_latch(fd_);
  return ec;
}

std::error_code process_registry::publish(const pool_stats& st, std::int64_t taken_ns) noexcept {
  if (forked()) return sys(EINVAL);
  // Sequence odd, payload, sequence even: three writes, in this order.
  const published_payload payload{taken_ns, st};
  const off_t at = block_at(slot_);
  std::uint64_t seq = publish_seq_ + 1;
  if (!write_all(fd_, &seq, sizeof seq, at)) return sys(errno ? errno : EIO);
  if (!write_all(fd_, &payload, sizeof payload, at + block_payload)) return sys(errno ? errno : EIO);
  ++seq;
  if (!write_all(fd_, &seq, sizeof seq, at)) return sys(errno ? errno : EIO);
  publish_seq_ = seq;
  return {};
}

std::error_code process_registry::read_published(const std::string& dir,
                                                 std::vector<published>& out) noexcept {
  out.clear();
  std::error_code open_ec;
  const int fd = open_to_read(dir, open_ec);
  if (fd < 0) return open_ec;
  file_header h{};
  slot_array slots{};
  std::error_code ec;
  const header_state hs = read_header(fd, h);
  if (hs == header_state::foreign) {
    ec = errc::version_mismatch;
  } else if (hs == header_state::whole && read_slots(fd, slots)) {
    try {
      for (std::uint32_t i = 0; i < slot_count; ++i) {
        if (!locked_elsewhere(fd, slot_lock_byte(i))) continue;
        published p;
        p.pid = static_cast<pid_t>(slots[i].pid);
        p.attached_ns = slots[i].attach_ns;
        // A whole copy: the same even sequence number before and after.
        for (int attempt = 0; attempt < 1000; ++attempt) {
          std::uint64_t before = 0, after = 0;
          published_payload payload{};
          if (!read_all(fd, &before, sizeof before, block_at(i))) break;
          if (before & 1) continue;
          if (!read_all(fd, &payload, sizeof payload, block_at(i) + block_payload)) break;
          if (!read_all(fd, &after, sizeof after, block_at(i))) break;
          if (before != after) continue;
          if (before != 0) {
            p.published_ns = payload.taken_ns;
            p.stats = payload.stats;
          }
          break;
        }
        out.push_back(p);
      }
    } catch (...) {
      ec = sys(ENOMEM);
    }
  }
  ::close(fd);
  return ec;
}

std::error_code process_registry::remove(const std::string& dir, bool force,
                                         std::uint32_t* live) noexcept {
  if (live) *live = 0;
  std::string path;
  try {
    path = registry_path(dir);
  } catch (...) {
    return sys(ENOMEM);
  }
  const int fd = open_latched(path, false, 0, 10000);
  if (fd == -ENOENT) return {};
  if (fd < 0) return sys(-fd);
  std::uint32_t n = 0;
  for (std::uint32_t i = 0; i < slot_count; ++i) n += locked_elsewhere(fd, slot_lock_byte(i));
  if (live) *live = n;
  std::error_code ec;
  if (n > 0 && !force)
    ec = sys(EBUSY);
  else if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    ec = sys(errno);
  ::close(fd);  // drops the latch
  return ec;
}

}  // namespace pagepool::internal
