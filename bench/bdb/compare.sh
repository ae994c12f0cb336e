#!/usr/bin/env bash
# compare.sh: run bench_mpool_pagepool and bench_mpool_bdb (the same C program,
# built against pagepool's db.h and Berkeley DB 5.3's) on the same workloads,
# interleaved, and print the medians side by side. See README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

build_dir=""
no_build=0
reps=3
seconds=2
pages=16384
workloads="all-hit zipf scan write"
threads_list="1 2"
data_dir=""
keep_data=0
out_file=""
seed=1
ncache=1

usage() {
  cat <<EOF
usage: bench/bdb/compare.sh [options]
  --build-dir DIR   use this build tree (configured with -DPAGEPOOL_BUILD_BENCH=ON);
                    default: configure and build $repo/build-bench-bdb (Release)
  --no-build        do not (re)build the two targets, just run them
  --reps N          repetitions of every (workload, threads, library) run (default $reps)
  --seconds S       timed part of each run, seconds (default $seconds)
  --pages N         resident pages in both caches, 4 KiB each (default $pages)
  --workloads "..." subset of: all-hit zipf scan write (default all four)
  --threads "..."   thread counts, 1 and/or 2 (default "1 2")
  --seed N          random seed passed to every run (default $seed)
  --ncache N        cache regions (set_cachesize's ncache) for both libraries (default $ncache)
  --data-dir DIR    where the data files go (default: a new directory under \${TMPDIR:-/tmp});
                    about 16.9 x pages x 4 KiB of files (1.1 GB at the default)
  --keep-data       leave the data files (default: removed at the end)
  --out FILE        also keep every raw result line in FILE
Time: about reps x workloads x threads x 2 x (seconds + ~0.5 s), plus building and
creating the data files once: ~2.5 minutes with the defaults.
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --no-build) no_build=1; shift ;;
    --reps) reps=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --pages) pages=$2; shift 2 ;;
    --workloads) workloads=$2; shift 2 ;;
    --threads) threads_list=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --ncache) ncache=$2; shift 2 ;;
    --data-dir) data_dir=$2; shift 2 ;;
    --keep-data) keep_data=1; shift ;;
    --out) out_file=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare.sh: unknown option $1" >&2; usage >&2; exit 1 ;;
  esac
done

# ------------------------------------------------------------------ build
if [ -z "$build_dir" ]; then
  build_dir=$repo/build-bench-bdb
  if [ "$no_build" = 0 ]; then
    cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DPAGEPOOL_BUILD_BENCH=ON \
      -DPAGEPOOL_BUILD_TESTS=OFF -DPAGEPOOL_BUILD_DEMO=OFF >/dev/null
  fi
fi
if [ "$no_build" = 0 ]; then
  targets=(bench_mpool_pagepool)
  known=$(cmake --build "$build_dir" --target help 2>/dev/null || true)
  if grep -qw bench_mpool_bdb <<<"$known"; then
    targets+=(bench_mpool_bdb)
  fi
  if ! grep -qw bench_mpool_pagepool <<<"$known"; then
    echo "compare.sh: $build_dir has no bench_mpool_pagepool target: configure with" \
         "-DPAGEPOOL_BUILD_BENCH=ON, and bench/CMakeLists.txt needs add_subdirectory(bdb)" >&2
    exit 1
  fi
  cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]}" >/dev/null
fi
pp_bin=$build_dir/bench/bdb/bench_mpool_pagepool
bdb_bin=$build_dir/bench/bdb/bench_mpool_bdb
[ -x "$pp_bin" ] || { echo "compare.sh: $pp_bin not built" >&2; exit 1; }
libs="pagepool bdb"
if [ ! -x "$bdb_bin" ]; then
  echo "compare.sh: $bdb_bin not built (Berkeley DB 5.3 not found): pagepool only" >&2
  libs="pagepool"
fi

# ------------------------------------------------------------------ data
made_data_dir=0
if [ -z "$data_dir" ]; then
  data_dir=$(mktemp -d "${TMPDIR:-/tmp}/pagepool-bdb-bench.XXXXXX")
  made_data_dir=1
fi
mkdir -p "$data_dir"
raw=$(mktemp "${TMPDIR:-/tmp}/pagepool-bdb-bench-raw.XXXXXX")
log=$(mktemp "${TMPDIR:-/tmp}/pagepool-bdb-bench-log.XXXXXX")
cleanup() {
  if [ "$keep_data" = 0 ]; then
    rm -f "$data_dir"/mpool_bench.*.db "$data_dir"/mpool_bench.*.tmp* "$data_dir"/mpool_bench_probe.*
    [ "$made_data_dir" = 1 ] && rmdir "$data_dir" 2>/dev/null || true
  fi
  rm -f "$log"
}
trap cleanup EXIT

nw=$(echo $workloads | wc -w); nt=$(echo $threads_list | wc -w); nl=$(echo $libs | wc -w)
total=$((reps * nw * nt * nl))
echo "# compare.sh: $total runs (reps=$reps seconds=$seconds pages=$pages ncache=$ncache seed=$seed) on $(nproc) cores," \
     "$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo" diff --quiet 2>/dev/null || echo '+dirty')," \
     "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
if [ "$libs" = pagepool ]; then echo "# binaries: $pp_bin"; else echo "# binaries: $pp_bin $bdb_bin"; fi
echo "# data: $data_dir"

run_one() { # lib workload threads
  local bin=$pp_bin
  [ "$1" = bdb ] && bin=$bdb_bin
  local line
  # a hung run (a deadlock, say) is killed after run_limit seconds and counts as failed
  if line=$(timeout "$run_limit" "$bin" --workload "$2" --threads "$3" --pages "$pages" --seconds "$seconds" \
              --seed "$seed" --ncache "$ncache" --dir "$data_dir" --reuse 2>>"$log" | tee -a "$log" | grep '^lib='); then
    echo "$line" >>"$raw"
    printf '.'
  else
    printf 'F'
    echo "# FAILED: $1 $2 threads=$3 (rep $rep)" >>"$raw"
  fi
}

run_limit=$(awk -v s="$seconds" 'BEGIN { printf "%d", s * 5 + 120 }')

# Interleaved: every (workload, threads) pair runs both libraries back to back;
# which one goes first alternates between repetitions (pagepool, bdb, then
# bdb, pagepool, ...) so that neither always follows the other.
start=$(date +%s)
printf '# running'
for rep in $(seq 1 "$reps"); do
  for wl in $workloads; do
    for th in $threads_list; do
      if [ $((rep % 2)) = 1 ]; then order=$libs; else order=$(echo $libs | awk '{for (i = NF; i > 0; i--) printf "%s ", $i}'); fi
      for lib in $order; do run_one "$lib" "$wl" "$th"; done
    done
  done
done
echo " done in $(( $(date +%s) - start ))s"
if grep -q '^# FAILED' "$raw"; then
  grep '^# FAILED' "$raw" >&2
  echo "compare.sh: some runs failed; their output:" >&2
  grep -v '^lib=' "$log" | grep -v '^# \(lib\|sizing\|file\)' | tail -20 >&2 || true
fi
if [ -n "$out_file" ]; then cp "$raw" "$out_file"; fi

# ------------------------------------------------------------------ table
awk -v workloads="$workloads" -v threads="$threads_list" -v libs="$libs" '
function kv(line, key,   n, i, f, a) {
  n = split(line, f, " ")
  for (i = 1; i <= n; i++) if (index(f[i], key "=") == 1) return substr(f[i], length(key) + 2)
  return ""
}
function median(list,   n, v, i, j, t) {
  n = split(list, v, " ")
  if (n == 0) return ""
  for (i = 2; i <= n; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
  return n % 2 ? v[(n + 1) / 2] + 0 : (v[n / 2] + v[n / 2 + 1]) / 2
}
function fmt(x) { return x == "" ? "n/a" : sprintf("%.0f", x) }
function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "n/a" : sprintf("%.2f", a / b) }
/^lib=/ {
  k = kv($0, "lib") SUBSEP kv($0, "workload") SUBSEP kv($0, "threads")
  ops[k] = ops[k] " " kv($0, "ops_per_s"); hit[k] = hit[k] " " kv($0, "hit_ratio")
  if (kv($0, "workload") == "write") { upd[kv($0, "lib")] += kv($0, "ops"); pers[kv($0, "lib")] += kv($0, "persisted") }
  l = kv($0, "lib")
  if (!(l in size)) size[l] = sprintf("%s: resident=%s pages (want %s), cache request %s bytes, effective %s bytes, %s sizing probe(s)", \
      l, kv($0, "resident"), kv($0, "want"), kv($0, "cache_request"), kv($0, "cache_effective"), kv($0, "size_tries"))
  nrun[k]++
}
END {
  nw = split(workloads, W, " "); nt = split(threads, T, " ")
  printf "\n%-8s %3s %14s %14s %8s %8s %8s %8s %9s %9s\n", "workload", "thr", "pagepool op/s", "BDB op/s", \
         "pp/BDB", "pp hit", "BDB hit", "runs", "pp 2t/1t", "BDB 2t/1t"
  for (i = 1; i <= nw; i++) for (j = 1; j <= nt; j++) {
    w = W[i]; t = T[j]
    p = median(ops["pagepool" SUBSEP w SUBSEP t]); b = median(ops["bdb" SUBSEP w SUBSEP t])
    ph = median(hit["pagepool" SUBSEP w SUBSEP t]); bh = median(hit["bdb" SUBSEP w SUBSEP t])
    s21p = s21b = "-"
    if (t == 2) {
      s21p = ratio(p, median(ops["pagepool" SUBSEP w SUBSEP 1]))
      s21b = ratio(b, median(ops["bdb" SUBSEP w SUBSEP 1]))
    }
    mark = (w == "write" && b != "") ? "*" : ""
    printf "%-8s %3s %14s %14s %8s %8s %8s %8s %9s %9s\n", w, t, fmt(p), fmt(b) mark, ratio(p, b), \
           ph == "" ? "n/a" : sprintf("%.3f", ph), bh == "" ? "n/a" : sprintf("%.3f", bh), \
           (nrun["pagepool" SUBSEP w SUBSEP t] + 0) "+" (nrun["bdb" SUBSEP w SUBSEP t] + 0), s21p, s21b
  }
  print ""
  print "op/s: median over the runs; pp/BDB: pagepool op/s / BDB op/s; hit: hit ratio from memp_stat;"
  print "2t/1t: 2-thread op/s / 1-thread op/s of the same library; runs: pagepool+BDB runs counted."
  if (("bdb" in upd) || ("pagepool" in upd)) {
    print "* Berkeley DB 5.3'"'"'s public DB_MPOOLFILE->get drops DB_MPOOL_DIRTY, so its write figures include"
    print "  no write-back at all: its pages never become dirty and memp_sync writes nothing. pagepool'"'"'s"
    print "  write figures include every write-back (evictions of dirty pages and the final memp_sync)."
    printf "  Updates found in the file after memp_sync, all write runs:"
    if ("pagepool" in upd) printf " pagepool %.0f of %.0f;", pers["pagepool"], upd["pagepool"]
    if ("bdb" in upd) printf " BDB %.0f of %.0f.", pers["bdb"], upd["bdb"]
    print ""
  }
  print "Cache sizes (equal resident pages):"
  for (l in size) print "  " size[l]
}' "$raw"
rm -f "$raw"
