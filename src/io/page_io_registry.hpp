// src/io/page_io_registry.hpp: the page-in/out functions of each file type,
// with their optional checksum, and the log-flush function of the
// write-ahead rule.
//
// Both may be replaced at any time while I/O runs. Readers never take a
// lock: they load the current object inside a guard of the registry's epoch
// domain; a replacement publishes the new object and retires the old one,
// which is freed once every guard that might have loaded it has ended.
//
// Synchronization edges:
//   (X1) a new page-in/out entry or log-flush function is published by an
//        exchange [acq_rel: release publishes the new object's construction;
//        acquire orders the old one's loads before its retirement]; pairs
//        with (X2).
//   (X2) a reader loads it [acquire] inside an epoch guard; the epoch domain
//        (epoch/epoch_domain.hpp) frees a retired one only after every guard
//        that could have loaded it has ended.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <system_error>

#include "epoch/epoch_domain.hpp"
#include "pagepool/checksum.hpp"
#include "pagepool/types.hpp"

namespace pagepool::internal {

class page_io_registry {
 public:
  page_io_registry() = default;
  page_io_registry(const page_io_registry&) = delete;
  page_io_registry& operator=(const page_io_registry&) = delete;
  ~page_io_registry();

  /// The page-in/out pair of file type `ftype` (1..127; EINVAL otherwise).
  /// With `sum`, the entry also stamps and verifies a CRC32C around them
  /// (io/checksum.hpp; pagepool/checksum.hpp says how they compose).
  std::error_code set(int ftype, page_io_fn pgin, page_io_fn pgout,
                      const checksum_options* sum = nullptr) noexcept;
  /// The write-ahead rule's log flush (empty: none). Out of memory keeps the
  /// previous one.
  void set_log_flush(log_flush_fn fn) noexcept;

  /// True if pages of type `ftype` have something to run at page-in (a
  /// function, or a checksum to verify).
  bool has_pgin(int ftype) noexcept;

  /// Runs type `ftype`'s page-in (in) or page-out on `page` of `page_size`
  /// bytes. A page-in of a page read from the file (from_disk) first
  /// verifies its checksum, if the type has one: errc::page_corrupt when it
  /// fails. A page-out stamps the checksum after the application's pgout.
  std::error_code run(int ftype, std::size_t page_size, std::span<const std::byte> cookie, bool in,
                      pgno_t pgno, void* page, bool from_disk) noexcept;

  /// The write-ahead rule: if a log flush is set, flushes the log up to the
  /// LSN stored at `lsn_offset` in `page`.
  std::error_code flush_log_for(const std::byte* page, std::size_t lsn_offset) noexcept;

 private:
  struct entry {
    page_io_fn pgin, pgout;
    bool checksum = false;  // register_checksum's entry: `sum` says where
    checksum_options sum;
  };
  static constexpr int ntypes = 128;
  std::mutex mu_;  // serialises replacements
  std::atomic<const entry*> types_[ntypes] = {};
  std::atomic<const log_flush_fn*> log_flush_{nullptr};
  epoch_domain epoch_;
};

}  // namespace pagepool::internal
