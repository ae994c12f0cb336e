#!/bin/sh
# Issue 12 part 5: the machine's core-to-core cost next to the shared pool's
# two-thread rate, sampled alternately, so that the two can be compared
# moment by moment. Each line: UTC time, ns per cache-line round trip between
# CPUs 0 and 1 (bench_core_pingpong), then the 2-thread rate in M get+put/s
# of `pagepool-bench run --workload zipf --threads 2 --policies sieve
# --regions 2` (one shared handle, 0.4 s timed).
# Usage: pingpong_vs_shared.sh BUILD_DIR [SAMPLES] [PAUSE_SECONDS]
b=$1
n=${2:-60}
pause=${3:-2}
i=0
while [ $i -lt "$n" ]; do
  p=$("$b/bench/bench_core_pingpong" | awk '{print $1}')
  r=$("$b/bench/pagepool-bench/pagepool-bench" run --workload zipf --threads 2 --policies sieve --regions 2 \
      --seconds 0.4 --warmup 0.1 2>&1 | awk -F'|' '/^\| sieve \| 2/ {gsub(/ /, "", $4); print $4}')
  echo "$(date -u +%T) $p $r"
  sleep "$pause"
  i=$((i + 1))
done
