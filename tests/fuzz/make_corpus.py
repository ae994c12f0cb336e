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
# regress-plain-pin-stamp.bin (pins recorded with plain and write swapped) and
# regress-clean-or-created.bin (a get that may have made the page or found it
# clean must not merge the two into one "maybe dirty" page).
#
# The byte encoding is the fuzzer's decoder (driver::run in driver.cpp, then
# each op_*.cpp): one byte for the pool's frame count (2 + b % 4), one for its
# eviction policy (b % 6), then per call an op byte (b % 20), a handle byte (b % 4)
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


def frames(n, policy=0):
    """policy: 0 clock, 1 lru, 2 fifo, 3 sieve, 4 s3fifo, 5 arc."""
    return bytes([n - 2, policy])


def open_(k, path, create=True, rdonly=False, ps=3, cfg=b"\x00", mode=0):
    """path: 0..2 disk files f0..f2 (page sizes 512, 2048, 4096), 3 a
    temporary file, 5 "", 6 the directory, 7 a missing parent. ps indexes
    {512, 1024, 2048, 4096, 0, 100, 3000, 8192}. cfg: configuration bytes
    (bit 0x10 nofile, 0x20 unlink, ... see driver::configure)."""
    fb = (0 if create else 1) | (0x30 if rdonly else 0)
    return bytes([0, k]) + cfg + bytes([path, fb, mode, ps])


def reopen(k, path, create=True, rdonly=False, ps=3, mode=0):
    """open on a slot that holds a handle: a fresh handle (reuse byte 1)."""
    fb = (0 if create else 1) | (0x30 if rdonly else 0)
    return bytes([0, k, 1, 0, path, fb, mode, ps])


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
