// src/bdb/cxx_mpool_files.hpp: the files a DbMpool (Berkeley DB 2.x, in
// db_cxx_mpool.h) opened and that are not yet closed. DbMpool::close closes
// those still open; DbMpoolFile::close takes itself out. A data structure
// both sides use, so that neither file calls into the other for it.
#pragma once

#include <mutex>
#include <unordered_set>
#include <vector>

class DbMpoolFile;

namespace pagepool::bdb_detail {

struct mpool_files {
  std::mutex mu;
  std::unordered_set<DbMpoolFile*> open;

  /// Records f; false if memory ran out (f is then not recorded).
  bool add(DbMpoolFile* f) noexcept {
    try {
      std::lock_guard lock(mu);
      open.insert(f);
      return true;
    } catch (...) {
      return false;
    }
  }
  void forget(DbMpoolFile* f) noexcept {
    std::lock_guard lock(mu);
    open.erase(f);
  }
  /// Every file still recorded, leaving none.
  std::vector<DbMpoolFile*> take_all() {
    std::lock_guard lock(mu);
    std::vector<DbMpoolFile*> all(open.begin(), open.end());
    open.clear();
    return all;
  }
};

}  // namespace pagepool::bdb_detail
