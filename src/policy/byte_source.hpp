// src/policy/byte_source.hpp: a file's bytes in blocks, decompressed when
// the file is gzip or zstd (recognised by their magic numbers, whatever the
// name), as they are when it is neither.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace pagepool::policy {

class byte_source {
 public:
  enum class kind { plain, gzip, zstd };
  byte_source();
  ~byte_source();
  byte_source(const byte_source&) = delete;
  byte_source& operator=(const byte_source&) = delete;

  /// Opens `path`; false with a message in err.
  [[nodiscard]] bool open(const std::string& path, std::string& err);
  [[nodiscard]] kind compression() const noexcept;
  /// The next block: n = 0 at the end. False on a read or decompression
  /// error (message in err).
  [[nodiscard]] bool next(const char*& data, std::size_t& n, std::string& err);

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

}  // namespace pagepool::policy
