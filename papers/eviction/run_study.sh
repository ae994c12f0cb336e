#!/usr/bin/env bash
# papers/eviction/run_study.sh: regenerates everything in papers/eviction/results/
# with one command: builds pagepool-bench if needed, then
#   1. compare: every trace in shared/traces at 1%, 5% and 10% of its unique
#      pages, every policy through the real pool (one thread, one region, the
#      in-memory backing) and OPT offline: compare_<trace>.{json,md,svg};
#   2. replay with 2 threads against 1 thread, every policy, at 10% on
#      lirs_sprite and arc_oltp: replay_threads.{json,md} (miss ratio drift,
#      and the single-threaded CLOCK replay speed);
#   3. throughput on zipf 0.99 at 1 and 2 threads, every policy:
#      throughput_zipf.{json,md,svg};
#   4. summary.md: the tables the study (README.md) quotes.
#
#   papers/eviction/run_study.sh [-b BUILD_DIR] [-t TRACES_DIR] [-s SECONDS] [-n] [-q] [-x]
#
#   -b  build directory (default ${TMPDIR:-/tmp}/pagepool-study-build); configured
#       (Release, tests, stress and demo off) if it has no CMakeCache.txt
#   -t  traces (default: shared/traces beside the source tree)
#   -s  timed seconds per (policy, threads) of the throughput runs (default 3)
#   -n  do not build; use the binary already in BUILD_DIR
#   -q  quick: only the two smallest traces (lirs_sprite, arc_oltp)
#   -x  skip step 1 (keep the compare results already in results/)
#
# Needs: cmake, a C++20 compiler, libcli11-dev, nlohmann-json3-dev,
# zlib1g-dev, libjemalloc-dev (the library's own default), python3 (the
# summary: standard library only), and for the figures gnuplot-nox or
# python3-matplotlib (without either the figures are skipped, with a note).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${TMPDIR:-/tmp}/pagepool-study-build
traces=$root/../shared/traces
seconds=3
build_it=1
quick=0
skip_compare=0
while getopts "b:t:s:nqxh" opt; do
  case $opt in
    b) build=$OPTARG ;;
    t) traces=$OPTARG ;;
    s) seconds=$OPTARG ;;
    n) build_it=0 ;;
    q) quick=1 ;;
    x) skip_compare=1 ;;
    h) sed -n '2,28p' "$0"; exit 0 ;;
    *) sed -n '2,28p' "$0" >&2; exit 2 ;;
  esac
done
out=$here/results
[[ -d $traces ]] && traces=$(cd "$traces" && pwd)
mkdir -p "$out"

if [[ $build_it == 1 ]]; then
  if [[ ! -f $build/CMakeCache.txt ]]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DPAGEPOOL_BUILD_TESTS=OFF \
      -DPAGEPOOL_BUILD_STRESS=OFF -DPAGEPOOL_BUILD_DEMO=OFF -DPAGEPOOL_BUILD_TOOLS=ON >&2
  fi
  cmake --build "$build" --target pagepool-bench -j"$(nproc)" >&2
fi
bench=$build/bench/pagepool-bench/pagepool-bench
[[ -x $bench ]] || { echo "run_study.sh: $bench not built" >&2; exit 1; }
[[ -d $traces ]] || { echo "run_study.sh: no traces at $traces (use -t)" >&2; exit 1; }

# The machine and the build, recorded next to the results.
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "build: $(grep -m1 CMAKE_BUILD_TYPE: "$build/CMakeCache.txt" | cut -d= -f2)"
} > "$out/environment.txt"

# 1. compare, smallest trace first.
mapfile -t files < <(cd "$traces" && ls -S -r *.txt *.txt.gz 2>/dev/null)
for f in "${files[@]}"; do
  [[ $skip_compare == 1 ]] && break
  name=${f%.gz}; name=${name%.txt}
  if [[ $quick == 1 && $name != lirs_sprite && $name != arc_oltp ]]; then continue; fi
  echo "== compare $f" >&2
  "$bench" compare "$traces/$f" --sizes 1%,5%,10% --json "$out/compare_$name.json" \
    --plot "$out/compare_$name.svg" > "$out/compare_$name.md"
done

# 2. two threads against one, at 10%.
: > "$out/replay_threads.jsonl"
for t in lirs_sprite.txt arc_oltp.txt; do
  [[ -f $traces/$t ]] || continue
  for p in clock lru fifo sieve s3fifo arc 2q lirs wtinylfu lru2 clockpro; do
    echo "== replay $t $p, 2 threads" >&2
    "$bench" replay --policy "$p" --cache-pages 10% --threads 2 --json "$out/replay.tmp.json" "$traces/$t" >/dev/null
    cat "$out/replay.tmp.json" | tr -d '\n' >> "$out/replay_threads.jsonl"
    echo >> "$out/replay_threads.jsonl"
  done
done
rm -f "$out/replay.tmp.json"

# 3. throughput on zipf 0.99.
echo "== run zipf 0.99" >&2
"$bench" run --workload zipf --theta 0.99 --threads 1,2 --seconds "$seconds" --warmup 1 \
  --json "$out/throughput_zipf.json" --plot "$out/throughput_zipf.svg" > "$out/throughput_zipf.md"

# 4. the summary tables.
python3 "$here/summarize.py" "$out" "$traces/REFERENCE.md" > "$out/summary.md"
echo "results in $out" >&2
