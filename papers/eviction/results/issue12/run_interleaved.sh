#!/bin/sh
# Interleaved before/after run for issue 12 (papers/eviction/README.md).
# bench-before: main at 07d20e2; bench-instr: b3d30d4 (counters only); bench-fix1, bench-fix2: the two fixes
# (each a Release build of pagepool-bench, copied here). Summarise with summ.py.
cd "${1:-/tmp/ev12}"
./bench-instr run --workload zipf --threads 1,2 --json instr-1.json > instr-1.txt 2>&1
for rep in 1 2 3; do
  case $rep in 1) order="before fix1 fix2";; 2) order="fix1 fix2 before";; 3) order="fix2 before fix1";; esac
  for b in $order; do
    ./bench-$b run --workload zipf --threads 1,2 --json il-$b-$rep.json > il-$b-$rep.txt 2>&1
  done
done
echo fin > il.done
