// src/core/error.cpp: pagepool's error category.
#include <string>

#include "pagepool/error.hpp"

namespace pagepool {

namespace {
class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "pagepool"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::page_not_found: return "page not found (DB_PAGE_NOTFOUND)";
      case errc::incomplete: return "pinned modified pages were not written (DB_INCOMPLETE)";
      case errc::page_corrupt: return "page checksum mismatch: the page on disk is corrupt";
      case errc::version_mismatch:
        return "the pool's registry was made by another version (DB_VERSION_MISMATCH)";
    }
    return "unknown pagepool error";
  }
};
}  // namespace

const std::error_category& category() noexcept {
  static const category_impl c;
  return c;
}

}  // namespace pagepool
