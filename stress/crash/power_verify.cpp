// stress/crash/power_verify.cpp: the check after a power cut (power.hpp): a
// fresh pool on the surviving disk, every page read through it, compared with
// what the successful syncs acknowledged.
#include <algorithm>
#include <cstring>
#include <memory>

#include "pagepool/checksum.hpp"
#include "pagepool/pagepool.hpp"
#include "power.hpp"
#include "testkit/page_stamp.hpp"

namespace pagepool::stress::power {

void acks::raise(unsigned fi, std::uint32_t pg, std::uint32_t v) {
  if (files.size() <= fi) files.resize(fi + 1);
  auto& ver = files[fi].version;
  if (ver.size() <= pg) ver.resize(pg + 1, 0);
  ver[pg] = std::max(ver[pg], v);
}

void acks::exists(unsigned fi) {
  if (files.size() <= fi) files.resize(fi + 1);
  files[fi].exists = true;
}

std::string layout::path(unsigned fi) const { return dir + "/data" + std::to_string(fi) + ".db"; }

void stamp(void* page, const layout& l, unsigned fi, std::uint32_t pg, std::uint32_t v) {
  testkit::stamp_page(page, l.page_size - 8, pg, v, static_cast<std::uint16_t>(fi));
}

namespace {

std::string where(unsigned fi, std::uint32_t pg) {
  return "file " + std::to_string(fi) + " page " + std::to_string(pg);
}

void note(verdict& v, std::string s) {
  if (v.why.size() < 8) v.why.push_back(std::move(s));
}

}  // namespace

torn_map torn_pages(const image& im, const std::vector<unsigned>& choice, const disk_state& disk,
                    const layout& l) {
  torn_map out;
  for (std::size_t i = 0; i < im.pending.size() && i < choice.size(); ++i) {
    const volatile_op& op = im.pending[i];
    if (choice[i] < 2 || op.kind != volatile_op::write) continue;
    const auto named = std::find_if(disk.names.begin(), disk.names.end(),
                                    [&](const auto& e) { return e.second == op.ino; });
    if (named == disk.names.end()) continue;
    // The pool writes whole pages at page offsets; word 0 of a stamp holds
    // the version in its high half.
    for (std::uint64_t at = op.off; at + 8 <= op.off + op.bytes.size(); at += l.page_size) {
      std::uint64_t w0 = 0;
      std::memcpy(&w0, op.bytes.data() + (at - op.off), 8);
      const auto key = std::make_pair(named->first, static_cast<std::uint32_t>(at / l.page_size));
      const auto v = static_cast<std::uint32_t>(w0 >> 32);
      const auto [it, fresh] = out.emplace(key, v);
      if (!fresh) it->second = std::min(it->second, v);
    }
  }
  return out;
}

verdict verify(const disk_state& disk, const layout& l, const acks& a, const torn_map& torn) {
  verdict out;
  auto io = std::make_shared<power_io>(disk);
  pool_options o;
  o.cache_frames = 32;
  o.frame_size = l.page_size;
  o.max_files = 8;
  o.io = io;
  std::unique_ptr<pool> p;
  if (auto ec = pool::create(o, p)) {
    ++out.lost;
    note(out, "pool::create on the survivor: " + ec.message());
    return out;
  }
  if (auto ec = register_checksum(*p, checksum_ftype, {})) {
    ++out.lost;
    note(out, "register_checksum: " + ec.message());
    return out;
  }
  const std::size_t stamped = l.page_size - 8;
  for (unsigned fi = 0; fi < l.max_files; ++fi) {
    const acks::file_ack none;
    const acks::file_ack& fa = fi < a.files.size() ? a.files[fi] : none;
    std::uint32_t need_pages = 0;  // the file must be at least this long
    for (std::uint32_t pg = 0; pg < fa.version.size(); ++pg)
      if (fa.version[pg] > 0) need_pages = pg + 1;
    const bool must_exist = fa.exists || need_pages > 0;
    const auto size = io->size_of(l.path(fi));
    if (!size) {
      if (must_exist) {
        ++out.lost;
        note(out, "file " + std::to_string(fi) + " was created and synced; it is gone");
      }
      continue;
    }
    if (*size < std::uint64_t{need_pages} * l.page_size) {
      ++out.lost;
      note(out, "file " + std::to_string(fi) + " is " + std::to_string(*size) +
                    " bytes; acknowledged pages need " +
                    std::to_string(std::uint64_t{need_pages} * l.page_size));
    }
    std::unique_ptr<file> f = p->file_create();
    if (!f || f->set_ftype(checksum_ftype)) {
      ++out.lost;
      note(out, "file_create / set_ftype failed");
      continue;
    }
    if (auto ec = f->open(l.path(fi), open_flags::none, 0, l.page_size)) {
      ++out.lost;
      note(out, "open " + l.path(fi) + " on the survivor: " + ec.message());
      continue;
    }
    for (std::uint32_t pg = 0; pg < l.pages; ++pg) {
      const std::uint32_t want = pg < fa.version.size() ? fa.version[pg] : 0;
      pgno_t n = pg;
      void* page = nullptr;
      const std::error_code ec = f->get(&n, get_flags::none, &page);
      std::uint64_t have = 0;
      if (ec == errc::page_not_found) {
        have = 0;
      } else if (ec == errc::page_corrupt) {
        ++out.torn_detected;
        const auto t = torn.find({l.path(fi), pg});
        if (want > 0 && t != torn.end() && t->second > want) {
          ++out.torn_rewrite;  // a later version, never acknowledged, torn
        } else if (want > 0) {
          ++out.lost;
          note(out, where(fi, pg) + ": acknowledged version " + std::to_string(want) +
                        ", found a torn page (page_corrupt)");
        }
        continue;
      } else if (ec) {
        ++out.lost;
        note(out, where(fi, pg) + ": get: " + ec.message());
        continue;
      } else {
        const auto v = testkit::stamp_version(page, stamped, pg, static_cast<std::uint16_t>(fi));
        (void)f->put(page);
        if (!v) {
          ++out.torn_undetected;
          note(out, where(fi, pg) + ": torn, yet the pool returned it as valid");
          continue;
        }
        have = *v;
      }
      if (have < want) {
        ++out.lost;
        note(out, where(fi, pg) + ": acknowledged version " + std::to_string(want) + ", found " +
                      std::to_string(have));
      }
    }
    (void)f->close();
  }
  return out;
}

}  // namespace pagepool::stress::power
