#!/bin/sh
# Issue 12 (parts 2-4): before/after, interleaved finely. bench-base: main at
# 23c9c69 plus the two pagepool-bench commits of this branch (one shared
# handle by default, the per-CPU-second rate), i.e. the library unchanged;
# bench-after: this branch. Both Release builds of pagepool-bench, copied
# into DIR. For each repetition, region count and policy, the two binaries
# run one after the other (which goes first alternates), each at 1 then 2
# threads, so that the pairs compared share the machine's load of the
# moment. Summarise with summ.py DIR [FIGURE.svg].
# Usage: run_interleaved.sh DIR [REPS]
cd "${1:-/tmp/ev12b}" || exit 1
reps=${2:-5}
rep=1
while [ $rep -le $reps ]; do
  for r in 1 2; do
    for p in clock lru fifo sieve s3fifo arc; do
      if [ $((rep % 2)) = 1 ]; then order="base after"; else order="after base"; fi
      for b in $order; do
        ./bench-$b run --workload zipf --policies $p --threads 1,2 --regions $r --seconds 1 --warmup 0.3 \
          --json il-$b-r$r-$p-$rep.json > il-$b-r$r-$p-$rep.txt 2>&1
      done
    done
  done
  rep=$((rep + 1))
done
echo fin > il.done
