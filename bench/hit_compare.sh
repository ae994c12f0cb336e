#!/usr/bin/env bash
# bench/hit_compare.sh: runs bench_get_put_hit once, every variant's repetitions
# interleaved at random, and prints the medians side by side: ops/s per
# variant, pagepool's ratio to RocksDB's HyperClockCache and LRUCache and to
# the mutex-per-bucket table, and each variant's scaling over its 1-thread run.
#
#   bench/hit_compare.sh [-b BUILD_DIR] [-r REPS] [-t MIN_TIME] [-o OUT.json] [-n]
#                        [-w MAXLOAD] [-c] [-- more benchmark flags]
#
#   -b  build directory (default build-bench). Configured (Release, benchmarks
#       on, tests off) if it has no CMakeCache.txt; bench_get_put_hit is then
#       built in it unless -n.
#   -r  repetitions per benchmark (default 10); the table shows medians
#   -t  --benchmark_min_time per repetition, seconds (default 0.2)
#   -o  keep the JSON with every repetition here (default: a temporary file)
#   -n  do not build; use the binary already in BUILD_DIR
#   -w  wait (up to 10 minutes) until the 1-minute load average is below this
#       before starting, e.g. -w 0.5 on a shared machine
#   -c  medians over "clean" repetitions only: those that kept at least 0.9 x T
#       cores busy (cpu_time / real_time), i.e. that other load on the machine
#       did not take a core from; the count kept is shown. The JSON has all.
#
# The benchmark's environment variables pass through (PAGEPOOL_BENCH_PAGES,
# PAGEPOOL_BENCH_PAGE_SIZE, PAGEPOOL_BENCH_MAX_THREADS,
# PAGEPOOL_BENCH_ROCKSDB_SHARD_BITS, PAGEPOOL_BENCH_FIXTURE_MB); see the top of
# bench/get_put_hit_bench.cpp. Example, 16 Ki pages only, 20 repetitions:
#
#   PAGEPOOL_BENCH_PAGES=16384 bench/hit_compare.sh -b build-bench -r 20
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build=build-bench
reps=10
min_time=0.2
out=
build_it=1
clean=0
wait_load=
while getopts "b:r:t:o:nw:ch" opt; do
  case $opt in
    b) build=$OPTARG ;;
    r) reps=$OPTARG ;;
    t) min_time=$OPTARG ;;
    o) out=$OPTARG ;;
    n) build_it=0 ;;
    c) clean=1 ;;
    w) wait_load=$OPTARG ;;
    h) sed -n '2,29p' "$0"; exit 0 ;;
    *) sed -n '2,29p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[[ ${1:-} == -- ]] && shift

if [[ $build_it == 1 ]]; then
  if [[ ! -f $build/CMakeCache.txt ]]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DPAGEPOOL_BUILD_BENCH=ON \
      -DPAGEPOOL_BUILD_TESTS=OFF >&2
  fi
  cmake --build "$build" --target bench_get_put_hit -j"$(nproc)" >&2
fi
bin=$build/bench/bench_get_put_hit
[[ -x $bin ]] || { echo "hit_compare.sh: no $bin (build it, or drop -n)" >&2; exit 1; }

if [[ -z $out ]]; then
  out=$(mktemp --suffix=.json)
  trap 'rm -f "$out"' EXIT
fi

if [[ -n $wait_load ]]; then
  for _ in $(seq 120); do
    read -r load _ < /proc/loadavg
    python3 -c "import sys; sys.exit(0 if $load < $wait_load else 1)" && break
    echo "hit_compare.sh: load average $load, waiting for < $wait_load" >&2
    sleep 5
  done
fi

echo "+ $bin --benchmark_repetitions=$reps --benchmark_min_time=$min_time" \
     "--benchmark_enable_random_interleaving=true $*" >&2
"$bin" --benchmark_repetitions="$reps" --benchmark_min_time="$min_time" \
  --benchmark_enable_random_interleaving=true --benchmark_display_aggregates_only=true \
  --benchmark_out="$out" --benchmark_out_format=json "$@" >&2

python3 - "$out" "$clean" <<'EOF'
import json, re, sys
from collections import defaultdict

doc = json.load(open(sys.argv[1]))
ctx = doc.get("context", {})
med, cv, reps = {}, {}, defaultdict(int)
cpu_med = {}                 # median cpu_time per op: CPU of all threads / ops of all threads
cores = defaultdict(list)    # per repetition: cpu_time / real_time = cores kept busy
runs = defaultdict(list)     # per repetition: (items_per_second, cpu_time, cores)
clean = len(sys.argv) > 2 and sys.argv[2] == "1"
name_re = re.compile(r"^BM_(\w+?)/(\d+)/.*threads:(\d+)$")
for b in doc["benchmarks"]:
    m = name_re.match(b.get("run_name", b["name"]))
    if not m:
        continue
    key = (int(m.group(2)), m.group(1), int(m.group(3)))  # pages, variant, threads
    if b.get("run_type") == "aggregate":
        if b.get("aggregate_name") == "median":
            med[key] = b["items_per_second"]
            cpu_med[key] = b["cpu_time"]
        elif b.get("aggregate_name") == "cv":
            cv[key] = b["items_per_second"]
    else:
        reps[key] += 1
        if b.get("real_time"):
            cores[key].append(b["cpu_time"] / b["real_time"])
            runs[key].append((b["items_per_second"], b["cpu_time"], cores[key][-1]))
        if key not in med and b.get("repetitions", 1) == 1:  # no aggregates: one run
            med[key] = b["items_per_second"]

def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return (xs[n // 2] + xs[(n - 1) // 2]) / 2 if n else None

kept = {}
if clean:  # medians over the repetitions that had their T cores
    med, cv, cpu_med = {}, {}, {}
    for key, rs in runs.items():
        ok = [r for r in rs if r[2] >= 0.9 * key[2]]
        kept[key] = len(ok)
        if ok:
            med[key] = median([r[0] for r in ok])
            cpu_med[key] = median([r[1] for r in ok])
            cores[key] = [r[2] for r in ok]

order = ["pagepool_raw", "pagepool_handle", "pin_floor", "mutex_table", "tbb_table", "rocksdb_hcc",
         "rocksdb_lru", "touch_only"]
variants = [v for v in order if any(k[1] == v for k in med)]
variants += sorted({k[1] for k in med} - set(variants))
sizes = sorted({k[0] for k in med})
threads = sorted({k[2] for k in med})
pp = [v for v in ("pagepool_raw", "pagepool_handle") if v in variants]
short = {"pagepool_raw": "raw", "pagepool_handle": "handle", "mutex_table": "mutex",
         "tbb_table": "tbb", "rocksdb_hcc": "HCC", "rocksdb_lru": "LRU", "touch_only": "touch", "pin_floor": "floor"}

def pages(n):
    return f"{n >> 20} Mi" if n % (1 << 20) == 0 else f"{n >> 10} Ki" if n % 1024 == 0 else str(n)

def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"

print()
print(f"{ctx.get('date', '')}  {ctx.get('host_name', '')}  {ctx.get('num_cpus', '?')} CPUs  "
      f"page size {ctx.get('page_size', '?')} B  rocksdb: {ctx.get('rocksdb', '?')}  "
      f"repetitions: {max(reps.values()) if reps else '?'} (medians)  "
      f"load avg at start: {' '.join(f'{x:.2f}' for x in ctx.get('load_avg', []))}")
print()
if clean:
    print("ops/s, median of the clean repetitions (M/s; in brackets: repetitions kept)")
else:
    print("ops/s, median (M/s; cv % in brackets)")
print()
print("| pages | threads | " + " | ".join(variants) + " |")
print("|---|---|" + "---|" * len(variants))
for s in sizes:
    for t in threads:
        cells = []
        for v in variants:
            k = (s, v, t)
            if k not in med:
                cells.append(f"- ({kept[k]})" if clean and k in kept else "-")
            else:
                c = f" ({kept[k]})" if clean else f" ({100 * cv[k]:.0f}%)" if k in cv else ""
                cells.append(f"{med[k] / 1e6:.2f}{c}")
        print(f"| {pages(s)} | {t} | " + " | ".join(cells) + " |")

others = [(o, short[o]) for o in ("pin_floor", "rocksdb_hcc", "rocksdb_lru", "mutex_table") if o in variants]
if pp and others:
    print()
    print("pagepool / baseline, ratio of medians")
    print()
    heads = [f"{short[p]}/{n}" for p in pp for _, n in others]
    print("| pages | threads | " + " | ".join(heads) + " |")
    print("|---|---|" + "---|" * len(heads))
    for s in sizes:
        for t in threads:
            cells = [ratio(med.get((s, p, t)), med.get((s, o, t))) for p in pp for o, _ in others]
            print(f"| {pages(s)} | {t} | " + " | ".join(cells) + " |")

multi = [t for t in threads if t > 1]
if 1 in threads and multi:
    print()
    print("scaling: ops/s at T threads / ops/s at 1 thread (medians)")
    print()
    print("| pages | T | " + " | ".join(variants) + " |")
    print("|---|---|" + "---|" * len(variants))
    for s in sizes:
        for t in multi:
            cells = [ratio(med.get((s, v, t)), med.get((s, v, 1))) for v in variants]
            print(f"| {pages(s)} | {t} | " + " | ".join(cells) + " |")

if 1 in threads and multi and cpu_med:
    print()
    print("the same on CPU time: T x 1e9 / cpu_time, the ops/s the threads would reach with a core")
    print("each all the time (less sensitive to other load on a shared machine; time a thread")
    print("sleeps in the kernel, e.g. on a futex, is not counted). In brackets: cores the run kept")
    print("busy (cpu_time / real_time, median); below T, the threads did not have T cores.")
    print()
    print("| pages | T | " + " | ".join(variants) + " |")
    print("|---|---|" + "---|" * len(variants))
    for s in sizes:
        for t in multi:
            cells = []
            for v in variants:
                a, b = cpu_med.get((s, v, t)), cpu_med.get((s, v, 1))
                c = median(cores.get((s, v, t), []))
                cells.append((f"{t * b / a:.2f}" if a and b else "-") + (f" [{c:.1f}]" if c else ""))
            print(f"| {pages(s)} | {t} | " + " | ".join(cells) + " |")

if pp and "rocksdb_hcc" in variants:
    print()
    print("targets: time per get+put <= 1.5x the pin floor's at 1 thread; >= 1.5x HyperClockCache at 1")
    print("and 2 threads; >= the mutex table at 1 thread and 1.5x it at 2; 2T/1T >= 1.9")
    for s in sizes:
        for p in pp:
            parts = []
            a, b = med.get((s, "pin_floor", 1)), med.get((s, p, 1))
            if a and b:
                parts.append(f"floor {a / b:.2f}x {'ok' if a / b <= 1.5 else 'MISS'}")
            for t, need in ((1, 1.0), (2, 1.5)):
                a, b = med.get((s, p, t)), med.get((s, "mutex_table", t))
                if a and b:
                    parts.append(f"mutex {t}T {a / b:.2f}x {'ok' if a / b >= need else 'MISS'}")
            for t in (1, 2):
                a, b = med.get((s, p, t)), med.get((s, "rocksdb_hcc", t))
                if a and b:
                    parts.append(f"{t}T {a / b:.2f}x {'ok' if a / b >= 1.5 else 'MISS'}")
            a, b = med.get((s, p, 2)), med.get((s, p, 1))
            if a and b:
                parts.append(f"2T/1T {a / b:.2f} {'ok' if a / b >= 1.9 else 'MISS'}")
            a, b = cpu_med.get((s, p, 2)), cpu_med.get((s, p, 1))
            if a and b:
                parts.append(f"(on CPU time {2 * b / a:.2f})")
            print(f"  {pages(s):>6} {p:<16} " + ", ".join(parts))
EOF
