#!/bin/sh
# Issue 12, the machine's ceiling: the same pagepool-bench binary, the same
# work (zipf 0.99, 65,536 pages, 6,553 frames, memory backing), with the
# threads sharing one pool through one handle (--handles shared) and with a
# pool of its own per thread (--handles private: nothing shared, so its
# 2-thread/1-thread ratio is what the two CPUs allow for this work). For
# each repetition, region count and policy the two modes run back to back
# (which goes first alternates), each at 1 then 2 threads. Summarise with
# summ_ceiling.py DIR. Arguments after REPS go to every run (for instance
# --cache-pages 65536: every page cached, hits only, the same zipf stream).
# Usage: run_ceiling.sh PAGEPOOL_BENCH DIR [REPS [RUN ARGS...]]
bench=$(realpath "$1")
mkdir -p "$2" && cd "$2" || exit 1
reps=${3:-3}
shift 3 2>/dev/null || shift $#
rep=1
while [ $rep -le $reps ]; do
  for r in 1 2; do
    for p in clock lru fifo sieve s3fifo arc; do
      if [ $((rep % 2)) = 1 ]; then order="shared private"; else order="private shared"; fi
      for h in $order; do
        "$bench" run --workload zipf --policies $p --threads 1,2 --regions $r --seconds 1 --warmup 0.3 \
          --handles $h "$@" --json ce-$h-r$r-$p-$rep.json > ce-$h-r$r-$p-$rep.txt 2>&1
      done
    done
  done
  rep=$((rep + 1))
done
echo fin > ce.done
