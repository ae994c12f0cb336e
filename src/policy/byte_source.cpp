// src/policy/byte_source.cpp: plain, gzip (zlib) and zstd (libzstd)
// streaming reads (policy/byte_source.hpp).
#include "policy/byte_source.hpp"

#include <zlib.h>
#if defined(PAGEPOOL_HAVE_ZSTD)
#include <zstd.h>
#endif

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace pagepool::policy {

struct byte_source::impl {
  static constexpr std::size_t block = 1u << 20;
  kind k = kind::plain;
  std::string path;
  std::FILE* file = nullptr;  // plain and zstd
  gzFile gz = nullptr;
  std::vector<char> in, out;
#if defined(PAGEPOOL_HAVE_ZSTD)
  ZSTD_DStream* zs = nullptr;
  ZSTD_inBuffer zin{nullptr, 0, 0};
  bool frame_done = true;  // the last call finished a frame (nothing pending)
#endif
  bool zeof = false;
  ~impl() {
    if (file != nullptr) std::fclose(file);
    if (gz != nullptr) gzclose(gz);
#if defined(PAGEPOOL_HAVE_ZSTD)
    if (zs != nullptr) ZSTD_freeDStream(zs);
#endif
  }
};

byte_source::byte_source() : p_(std::make_unique<impl>()) {}
byte_source::~byte_source() = default;

byte_source::kind byte_source::compression() const noexcept { return p_->k; }

bool byte_source::open(const std::string& path, std::string& err) {
  impl& s = *p_;
  s.path = path;
  errno = 0;
  s.file = std::fopen(path.c_str(), "rb");
  if (s.file == nullptr) {
    err = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  unsigned char magic[4] = {};
  const std::size_t m = std::fread(magic, 1, 4, s.file);
  std::rewind(s.file);
  if (m >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    s.k = kind::gzip;
    std::fclose(s.file);
    s.file = nullptr;
    s.gz = gzopen(path.c_str(), "rb");
    if (s.gz == nullptr) {
      err = path + ": cannot open";
      return false;
    }
    gzbuffer(s.gz, impl::block);
  } else if (m == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) {
    s.k = kind::zstd;
#if !defined(PAGEPOOL_HAVE_ZSTD)
    err = path + ": zstd-compressed, and pagepool was built without libzstd (Debian: libzstd-dev)";
    return false;
#else
    s.zs = ZSTD_createDStream();
    if (s.zs == nullptr) {
      err = path + ": out of memory";
      return false;
    }
    (void)ZSTD_initDStream(s.zs);
    s.in.resize(ZSTD_DStreamInSize());
#endif
  }
  s.out.resize(impl::block);
  return true;
}

bool byte_source::next(const char*& data, std::size_t& n, std::string& err) {
  impl& s = *p_;
  data = s.out.data();
  n = 0;
  switch (s.k) {
    case kind::plain:
      n = std::fread(s.out.data(), 1, s.out.size(), s.file);
      if (n == 0 && std::ferror(s.file)) {
        err = s.path + ": read error";
        return false;
      }
      return true;
    case kind::gzip: {
      const int got = gzread(s.gz, s.out.data(), static_cast<unsigned>(s.out.size()));
      if (got < 0) {
        int code = Z_OK;
        err = s.path + ": read error: " + gzerror(s.gz, &code);
        return false;
      }
      n = static_cast<std::size_t>(got);
      return true;
    }
    case kind::zstd:
#if defined(PAGEPOOL_HAVE_ZSTD)
      for (;;) {
        if (s.zin.pos == s.zin.size && !s.zeof) {
          const std::size_t got = std::fread(s.in.data(), 1, s.in.size(), s.file);
          if (got == 0) {
            if (std::ferror(s.file)) {
              err = s.path + ": read error";
              return false;
            }
            s.zeof = true;
          }
          s.zin = {s.in.data(), got, 0};
        }
        ZSTD_outBuffer zout{s.out.data(), s.out.size(), 0};
        const std::size_t before = s.zin.pos;
        const std::size_t rc = ZSTD_decompressStream(s.zs, &zout, &s.zin);
        if (ZSTD_isError(rc)) {
          err = s.path + ": zstd: " + ZSTD_getErrorName(rc);
          return false;
        }
        // A call that moved data tells where the frame stands (0: it ended);
        // one that moved nothing, at a frame boundary, says nothing.
        if (zout.pos > 0 || s.zin.pos != before) s.frame_done = rc == 0;
        n = zout.pos;
        if (n > 0) return true;
        if (s.zeof && s.zin.pos == s.zin.size) {
          if (!s.frame_done) {
            err = s.path + ": zstd: truncated data";
            return false;
          }
          return true;  // the end
        }
      }
#else
      return true;
#endif
  }
  return true;
}

}  // namespace pagepool::policy
