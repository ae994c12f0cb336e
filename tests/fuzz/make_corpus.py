#!/usr/bin/env python3
# tests/fuzz/make_corpus.py: writes the seed corpus of pagepool_api_fuzz
# (tests/fuzz/corpus/*.bin), one short scenario per file.
#
#   python3 tests/fuzz/make_corpus.py      # rewrites the seeds below in tests/fuzz/corpus/
#
# tests/fuzz/corpus/regress-*.bin are not written here: they are inputs on
# which fuzzing found bugs in the model (papers/results/fuzzing.md), kept as
# libFuzzer saved them: regress-lingering-state.bin (a failed open of a file
# whose state the pool may have dropped must not decide that it was kept),
# regress-plain-pin-stamp.bin (pins recorded with plain and write swapped),
# regress-clean-or-created.bin (a get that may have made the page or found it
# clean must not merge the two into one "maybe dirty" page) and
# regress-owed-sync.bin (a file the pool created keeps its state after its
# last close, with no page cached, while the directory fsync is owed).
#
# The byte encoding is the fuzzer's decoder (driver::run in driver.cpp, then
# each op_*.cpp): one byte for the pool's frame count (2 + b % 4), one for its
# eviction policy (c % 6), regions (1 + c // 6 % 8) and mmap_size (c // 48 % 3:
# off, 1 MiB, 8 KiB), then per call an op byte (b % 20), a handle byte (b % 4)
# and the op's own bytes, read in the order the decoder reads them. The helpers
# below name those bytes; PAGEPOOL_FUZZ_TRACE=1 pagepool_api_fuzz FILE prints
# the calls a file decodes to.
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

# get flag bytes (fb & 7 selects): none, create, last, new, dirty, edit,
# create|dirty, last|edit.
G_NONE, G_CREATE, G_LAST, G_NEW, G_DIRTY, G_EDIT, G_CREATE_DIRTY, G_LAST_EDIT = range(8)
# page selector bytes (sel % 12): 0..5 that page; 6 last; 7 npages; 8 npages+2;
# 9 0xFFFFFFFF; 10 page 9; 11 page 30.
# put flag bytes (b % 8): none, dirty, clean, discard, dirty|discard,
# clean|discard, clean|dirty (EINVAL), unknown bit (EINVAL).
P_NONE, P_DIRTY, P_CLEAN, P_DISCARD, P_DIRTY_DISC, P_CLEAN_DISC, P_BAD, P_UNKNOWN = range(8)


MMAP_OFF, MMAP_1M, MMAP_8K = range(3)


def frames(n, policy=0, regions=1, mmap=MMAP_OFF):
    """policy: 0 clock, 1 lru, 2 fifo, 3 sieve, 4 s3fifo, 5 arc. regions
    1..8; n frames (2..5), or with n < regions EINVAL first and then
    regions * (1 + (n - 2) // 4 % 4) frames. mmap: MMAP_OFF, MMAP_1M, MMAP_8K."""
    return bytes([n - 2, mmap * 48 + (regions - 1) * 6 + policy])


def per_region(regions, each, policy=0, mmap=MMAP_OFF):
    """A pool of `each` (1..4) frames in each of regions (3..8) regions: the
    frame byte asks for fewer frames than regions (pool::create EINVAL)."""
    return bytes([(each - 1) * 4, mmap * 48 + (regions - 1) * 6 + policy])


def _open_flags(create, rdonly, nommap):
    return (0 if create else 1) | (0x30 if rdonly else 0) | (0x02 if nommap else 0)


def open_(k, path, create=True, rdonly=False, ps=3, cfg=b"\x00", mode=0, nommap=False):
    """path: 0..2 disk files f0..f2 (page sizes 512, 2048, 4096), 3 a
    temporary file, 5 "", 6 the directory, 7 a missing parent. ps indexes
    {512, 1024, 2048, 4096, 0, 100, 3000, 8192}. cfg: configuration bytes
    (bit 0x10 nofile, 0x20 unlink, ... see driver::configure)."""
    return bytes([0, k]) + cfg + bytes([path, _open_flags(create, rdonly, nommap), mode, ps])


def reopen(k, path, create=True, rdonly=False, ps=3, mode=0, nommap=False):
    """open on a slot that holds a handle: a fresh handle (reuse byte 1)."""
    return bytes([0, k, 1, 0, path, _open_flags(create, rdonly, nommap), mode, ps])


def get(k, flags, sel):
    return bytes([2, k, flags, sel])


def put(k, mode=0, pick=0, prio=0, flags=P_NONE):
    """mode 0..3 own pin `pick`; 4 another handle's pin; 5 an address put
    before; 6 a stack buffer; 7 inside a pinned page."""
    return bytes([6, k, mode, pick, prio, flags])


def set_(k, mode=0, pick=0, flags=P_NONE):
    return bytes([8, k, mode, pick, flags])


def double_put(k, pick=0):
    return bytes([9, k, pick])


def stamp(k, pick=0):
    return bytes([10, k, pick])


def close(k):
    return bytes([11, k])


def file_sync(k):
    return bytes([12, k])


def pool_sync():
    return bytes([13, 0])


def trickle(pct_ix):
    return bytes([14, 0, pct_ix])


def setting(k, which, v):
    return bytes([15, k, which, v])


def destroy(k):
    return bytes([16, k])


def last_pgno(k):
    return bytes([17, k])


def pool_close():
    return bytes([18, 0, 0])


def pool_new():
    return bytes([19, 0])


def resize(sel, v=0):
    """sel % 8: 0 fewer frames than regions; 1 max_frames + 1; 2 max_frames;
    3 one more; 4 one fewer; 5..7 1 + v % max_frames (v read only then)."""
    return bytes([19, 2, sel]) + (bytes([v]) if sel % 8 >= 5 else b"")


def write_pages(k, n):
    """n new pages on handle k, each stamped and put dirty."""
    return b"".join(get(k, G_NEW, 0) + put(k, flags=P_DIRTY) for _ in range(n))


SEEDS = {
    # new pages stamped and put dirty, read back, synced, closed.
    "basic": frames(4) + open_(0, 2) + get(0, G_NEW, 0) + put(0, flags=P_DIRTY)
    + get(0, G_NEW, 0) + put(0) + get(0, G_NONE, 0) + get(0, G_DIRTY, 1) + put(0)
    + put(0) + pool_sync() + last_pgno(0) + close(0),
    # more pages than frames: eviction writes dirty pages, gets read them back.
    "evict": frames(2, 1) + open_(0, 3) + b"".join(get(0, G_NEW, 0) + put(0) for _ in range(5))
    + b"".join(get(0, G_DIRTY, i) + put(0) for i in range(5))
    + b"".join(get(0, G_NONE, i) + put(0) for i in range(5)) + close(0),
    # every frame pinned: ENOMEM; close with pins: EBUSY; then unpinned.
    "enomem": frames(2) + open_(0, 1) + get(0, G_NEW, 0) + get(0, G_NEW, 0) + get(0, G_NEW, 0)
    + get(0, G_CREATE, 4) + close(0) + put(0) + get(0, G_NEW, 0) + put(0) + put(0) + close(0),
    # foreign pointers: another handle's page, a stack buffer, a pointer into
    # a pinned page, a page put before, and a double put.
    "foreign": frames(5, 2) + open_(0, 0, ps=0) + open_(1, 3) + get(0, G_NEW, 0) + get(1, G_NEW, 0)
    + put(0, mode=4, pick=1) + put(0, mode=6) + put(0, mode=7, pick=0x10) + put(1)
    + put(0, mode=5) + get(0, G_NONE, 0) + double_put(0) + put(0) + double_put(0) + close(0)
    + close(1),
    # put with clean: the change may be lost; the page may vanish.
    "clean": frames(2, 3) + open_(0, 2) + get(0, G_NEW, 0) + put(0, flags=P_CLEAN)
    + get(0, G_NEW, 0) + put(0) + get(0, G_NEW, 0) + put(0) + get(0, G_NONE, 0) + put(0)
    + get(0, G_CREATE, 0) + set_(0, flags=P_CLEAN) + stamp(0) + put(0) + pool_sync() + close(0),
    # an in-memory file: kept after close, found by name; unlink drops it.
    "nofile": frames(3) + open_(0, 0, ps=3, cfg=b"\x10") + get(0, G_NEW, 0) + put(0)
    + get(0, G_CREATE, 3) + put(0) + close(0) + destroy(0) + open_(0, 0, create=False, ps=3, cfg=b"\x30\x00")
    + get(0, G_NONE, 1) + put(0) + get(0, G_NONE, 0) + put(0) + get(0, G_NEW, 0) + put(0)
    + close(0) + destroy(0) + open_(0, 0, create=False, ps=3, cfg=b"\x10"),
    # reopening a file no handle has open: the model forks worlds.
    "reopen": frames(3, 5) + open_(0, 0, ps=0) + get(0, G_NEW, 0) + put(0, flags=P_CLEAN)
    + get(0, G_NEW, 0) + put(0) + close(0) + reopen(0, 0, ps=0) + last_pgno(0)
    + get(0, G_LAST, 0) + put(0) + get(0, G_NONE, 0) + put(0) + close(0),
    # pool close with a handle open (EBUSY), then closed, a new pool, reopen.
    "poolnew": frames(3) + open_(0, 2) + get(0, G_NEW, 0) + put(0) + get(0, G_NEW, 0)
    + put(0) + pool_close() + close(0) + pool_close() + get(0, G_NONE, 0) + pool_new()
    + open_(0, 2, create=False) + get(0, G_NONE, 1) + put(0) + get(0, G_NONE, 0) + put(0)
    + close(0),
    # a read-only handle: EACCES for dirty, EINVAL for new and create.
    "rdonly": frames(3) + open_(0, 1, ps=2) + get(0, G_NEW, 0) + put(0) + close(0)
    + open_(1, 1, create=False, rdonly=True, ps=2) + get(1, G_DIRTY, 0) + get(1, G_NEW, 0)
    + get(1, G_CREATE, 5) + get(1, G_NONE, 0) + put(1, flags=P_DIRTY) + put(1, flags=P_CLEAN)
    + file_sync(1) + close(1),
    # sync and trickle with dirty pages pinned and unpinned.
    "sync": frames(4, 4) + open_(0, 2) + get(0, G_NEW, 0) + get(0, G_NEW, 0) + put(0)
    + pool_sync() + file_sync(0) + trickle(6) + trickle(0) + trickle(4) + put(0, flags=P_DIRTY)
    + trickle(6) + pool_sync() + close(0),
    # settings: maxsize (ENOSPC), clear_len, bad flags, priorities.
    "settings": frames(3) + open_(0, 2, cfg=bytes([0x08 | 0x01 | 0x40, 1, 3, 3]))
    + get(0, G_NEW, 0) + put(0, prio=6) + put(0, prio=5, flags=P_BAD) + put(0, prio=1)
    + get(0, G_NEW, 0) + get(0, G_CREATE, 8) + setting(0, 2, 4) + get(0, G_NEW, 0) + put(0)
    + setting(0, 0, 4) + setting(0, 0, 2) + setting(0, 4, 7) + close(0),
    # four regions of one frame each: pinned pages fill some regions (ENOMEM
    # there, while frames of other regions are free), pages move between
    # files and regions, resizes (fewer frames than regions: EINVAL; grow;
    # shrink with nothing pinned) split the frames again.
    "regions": frames(4, regions=4) + open_(0, 2) + open_(1, 0, ps=0) + get(0, G_NEW, 0)
    + get(0, G_NEW, 0) + get(0, G_NEW, 0) + get(1, G_NEW, 0) + get(1, G_CREATE, 3)
    + get(1, G_CREATE, 4) + put(0) + put(0) + put(0) + put(1) + put(1) + put(1)
    + b"".join(get(0, G_NONE, i) + get(1, G_DIRTY, i) + put(1) + put(0) for i in range(5))
    + resize(0) + resize(3) + resize(3) + b"".join(get(0, G_DIRTY, i) for i in range(3))
    + put(0) + put(0) + put(0) + resize(4) + resize(4) + resize(4) + resize(5, 1)
    + resize(2) + b"".join(get(1, G_NONE, i) + put(1) for i in range(5)) + pool_sync()
    + close(0) + close(1) + reopen(0, 2, create=False) + last_pgno(0) + get(0, G_LAST, 0)
    + put(0) + close(0),
    # eight regions, the frame byte asking for fewer (EINVAL, then 2 frames
    # each); in-memory pages hold their region's frames.
    "regions8": per_region(8, 2, policy=5) + open_(0, 1, ps=2, cfg=b"\x10") + open_(1, 3)
    + write_pages(0, 6) + write_pages(1, 10) + b"".join(get(1, G_NONE, i) + put(1) for i in range(10))
    + b"".join(get(0, G_NONE, i) + put(0) for i in range(6)) + get(0, G_NEW, 0) + get(0, G_NEW, 0)
    + resize(0) + resize(3) + trickle(6) + pool_sync() + close(0) + close(1),
    # mmap: a file written and synced, a new pool, then a read-only handle
    # served by the mapping (contents checked, dirty EACCES, new_page and
    # create EINVAL, last, past the end, puts, close EBUSY with a mapped pin);
    # a second read-only handle with nommap reads through the cache; a
    # writer joins and the mapped handle falls back to the cache.
    "mmap": frames(3, regions=2, mmap=MMAP_1M) + open_(0, 1, ps=2) + write_pages(0, 3)
    + get(0, G_CREATE, 5) + put(0, flags=P_DIRTY) + pool_sync() + close(0) + pool_close()
    + pool_new() + open_(1, 1, create=False, rdonly=True, ps=2) + get(1, G_NONE, 0)
    + get(1, G_NONE, 2) + get(1, G_NONE, 4) + get(1, G_LAST, 0) + get(1, G_DIRTY, 1)
    + get(1, G_NEW, 0) + get(1, G_CREATE, 8) + get(1, G_NONE, 7) + get(1, G_NONE, 1)
    + get(1, G_NONE, 3) + put(1, flags=P_DIRTY) + put(1, flags=P_CLEAN) + put(1, mode=7, pick=0x10)
    + close(1) + put(1) + put(1) + put(1) + put(1, mode=5)
    + open_(2, 1, create=False, rdonly=True, ps=2, nommap=True) + get(2, G_NONE, 0) + put(1, mode=4)
    + put(1) + get(2, G_NONE, 1) + put(2) + put(2) + open_(3, 1, create=False, ps=2) + get(1, G_NONE, 0)
    + get(3, G_DIRTY, 0) + stamp(3) + put(3) + get(1, G_NONE, 0) + put(1) + put(1) + close(2)
    + close(3) + close(1),
    # mmap_size 8 KiB: f0 (512-byte pages, 4 pages) is mapped, f2 (4096, 3
    # pages) is too large; a page cached keeps a read-only file unmapped.
    "mmap-small": frames(2, mmap=MMAP_8K) + open_(0, 0, ps=0) + write_pages(0, 4) + open_(1, 2)
    + write_pages(1, 3) + pool_sync() + close(0) + close(1) + pool_close() + pool_new()
    + open_(0, 0, create=False, rdonly=True, ps=0) + open_(1, 2, create=False, rdonly=True)
    + get(0, G_NONE, 3) + get(1, G_NONE, 2) + get(0, G_LAST, 0) + put(0) + put(0) + put(1)
    + close(0) + close(1) + open_(2, 1, ps=2) + write_pages(2, 1) + put(2, flags=P_DIRTY)
    + close(2) + open_(2, 1, create=False, rdonly=True, ps=2) + get(2, G_NONE, 0) + put(2)
    + close(2),
}


def main():
    # Only the seeds named here are rewritten; regress-*.bin are inputs the
    # fuzzer found (kept as they were saved, replayed by ctest -L fuzz).
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
