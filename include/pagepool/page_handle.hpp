// pagepool/page_handle.hpp: a pinned page, owned.
//
// file::get(pgno, flags, page_handle&) pins a page and hands the pin to a
// page_handle. The handle is move-only; it puts the page (priority unchanged,
// no flags) when destroyed, unless release() did so first. A page_handle must
// not outlive the file it came from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

#include "pagepool/types.hpp"

namespace pagepool {

class file;

class page_handle {
 public:
  page_handle() noexcept = default;
  page_handle(page_handle&& other) noexcept { swap(other); }
  /// Puts the page this handle held, if any, then takes other's.
  page_handle& operator=(page_handle&& other) noexcept {
    if (this != &other) {
      if (data_ != nullptr) (void)release();
      swap(other);
    }
    return *this;
  }
  page_handle(const page_handle&) = delete;
  page_handle& operator=(const page_handle&) = delete;
  ~page_handle() {
    if (data_ != nullptr) (void)release();
  }

  /// True while the handle holds a pin.
  explicit operator bool() const noexcept { return data_ != nullptr; }
  /// The page's memory (page size bytes, size_t-aligned).
  [[nodiscard]] void* data() const noexcept { return data_; }
  [[nodiscard]] std::span<std::byte> bytes() const noexcept {
    return {static_cast<std::byte*>(data_), size_};
  }
  [[nodiscard]] pgno_t pgno() const noexcept { return pgno_; }

  /// Changes the page's flags without unpinning it. BDB: DB_MPOOLFILE->set.
  [[nodiscard]] std::error_code set(put_flags flags) noexcept;
  /// Unpins now. EINVAL if the handle is empty. BDB: DB_MPOOLFILE->put.
  [[nodiscard]] std::error_code release(priority prio = priority::unchanged,
                                        put_flags flags = put_flags::none) noexcept;

 private:
  friend class file;
  void swap(page_handle& o) noexcept {
    std::swap(file_, o.file_);
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(pgno_, o.pgno_);
    std::swap(frame_, o.frame_);
    std::swap(write_, o.write_);
  }
  file* file_ = nullptr;
  void* data_ = nullptr;
  std::size_t size_ = 0;
  pgno_t pgno_ = 0;
  std::uint64_t frame_ = 0;  // region << 32 | frame index, or ~0 for a mapped page
  bool write_ = false;       // pinned to write (dirty, edit or new_page)
};

}  // namespace pagepool
