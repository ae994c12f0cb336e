#!/usr/bin/env bash
# bench/instructions.sh: instructions per get+put of a resident page, counted by
# callgrind (valgrind), for pagepool's raw and handle APIs beside the pin floor
# and the bare page touch. Deterministic, unlike time on a shared machine.
#
#   bench/instructions.sh [-b BUILD_DIR] [-n OPS]
#
#   -b  build directory with bench_get_put_hit built (default build-bench)
#   -n  get+put per variant (default 200000)
#
# Each variant's loop (count_loop_VARIANT in get_put_hit_bench.cpp, 16 Ki
# pages, uniform keys) runs under callgrind with collection on only inside it;
# the loop's inclusive instruction count divided by the ops is printed.
set -euo pipefail
build=build-bench
ops=200000
while getopts "b:n:h" opt; do
  case $opt in
    b) build=$OPTARG ;;
    n) ops=$OPTARG ;;
    *) sed -n '2,13p' "$0"; exit 2 ;;
  esac
done
bin=$build/bench/bench_get_put_hit
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind not installed (apt-get install valgrind)" >&2; exit 2; }
[ -x "$bin" ] || { echo "instructions.sh: $bin not built" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-18s %14s\n' variant "instr/get+put"
for v in pagepool_raw pagepool_handle pin_floor touch_only; do
  valgrind --tool=callgrind --collect-atstart=no --toggle-collect="*count_loop_$v*" \
    --callgrind-out-file="$tmp/$v.out" "$bin" --count-loop="$v:$ops" >/dev/null 2>"$tmp/$v.err" ||
    { cat "$tmp/$v.err" >&2; exit 1; }
  total=$(grep -E '^(summary|totals):' "$tmp/$v.out" | head -1 | awk '{print $2}')
  awk -v t="$total" -v n="$ops" -v v="$v" 'BEGIN { printf "%-18s %14.1f\n", v, t / n }'
done
