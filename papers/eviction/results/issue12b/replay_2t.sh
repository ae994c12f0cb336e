#!/bin/sh
# Issue 12: 2-thread replays against the single-threaded miss ratio, every
# policy, the shipped traces at 1%, 5% and 10% (pagepool-bench replay
# --threads 2 replays once with one thread, then with two, and prints the
# relative difference). Usage: replay_2t.sh BENCH TRACES_DIR OUT_FILE [traces...]
bench=$1 traces=$2 out=$3
shift 3
[ $# -gt 0 ] || set -- lirs_sprite.txt arc_oltp.txt cloudphysicsio_4k.txt.gz
: > "$out"
for t in "$@"; do
  for s in 1% 5% 10%; do
    for p in clock lru fifo sieve s3fifo arc; do
      r=$("$bench" replay --policy "$p" --cache-pages "$s" --threads 2 "$traces/$t" 2>/dev/null |
          sed -n 's/^relative_difference=\([-+0-9.e]*\).*/\1/p')
      printf '%s %s %s %s\n' "$t" "$s" "$p" "$r" >> "$out"
    done
  done
done
