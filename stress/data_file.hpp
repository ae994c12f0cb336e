// stress/data_file.hpp: a data file of a workload and the oracle of each of
// its pages. The pages are stamped (testkit/page_stamp.hpp: every word names
// its file, page and version); the oracle of a page is the test kit's seqlock
// oracle (testkit/page_oracle.hpp, which explains the protocol and why its
// check of a pinned page is exact). The stress driver's part of the protocol,
// the writer, is write_page in page_ops.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "pagepool/types.hpp"
#include "testkit/page_oracle.hpp"

namespace pagepool::stress {

using testkit::page_oracle;

/// A data file of a workload and the oracle of each of its pages.
class data_file {
 public:
  /// `initial` is the version every page starts at (0: the file starts empty).
  data_file(std::string path, std::uint16_t file_no, std::size_t pages, std::uint64_t initial)
      : path_(std::move(path)), file_no_(file_no), pages_(pages), oracle_(new page_oracle[pages]) {
    for (std::size_t p = 0; p < pages; ++p) oracle_[p].reset(initial);
  }

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] std::uint16_t file_no() const noexcept { return file_no_; }
  [[nodiscard]] std::size_t pages() const noexcept { return pages_; }
  [[nodiscard]] page_oracle& page(pgno_t pgno) const noexcept { return oracle_[pgno]; }

 private:
  std::string path_;
  std::uint16_t file_no_;
  std::size_t pages_;
  std::unique_ptr<page_oracle[]> oracle_;
};

}  // namespace pagepool::stress
