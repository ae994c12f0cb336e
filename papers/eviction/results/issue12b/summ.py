#!/usr/bin/env python3
"""Summarises run_interleaved.sh's il-<bin>-r<regions>-<policy>-<rep>.json.
Per policy and region count: the median over the repetitions of each
binary's 1-thread and 2-thread rates (M get+put per second), the median of
the per-repetition ratios 2T/1T (each ratio from one run: the two thread
counts back to back), the same ratio per CPU-second of the process, and the
median of the paired after/base 1-thread ratios (the two binaries back to
back). With a second argument and gnuplot installed, draws the 2T/1T ratios
as a figure. Usage: summ.py DIR [FIGURE.svg]"""
import glob, json, os, shutil, statistics, subprocess, sys

d = sys.argv[1] if len(sys.argv) > 1 else "."
runs = {}  # (bin, regions, policy, rep) -> {threads: (wall, cpu, hit)}
# Either the run's files, or il-all.jsonl: one line {"name": file, "data": its JSON} each.
found = [(os.path.basename(f), json.load(open(f))) for f in glob.glob(os.path.join(d, "il-*-r*-*-*.json"))]
if not found and os.path.exists(os.path.join(d, "il-all.jsonl")):
    found = [(e["name"], e["data"]) for e in map(json.loads, open(os.path.join(d, "il-all.jsonl")))]
for name, j in found:
    _, b, r, p, rep = name[:-5].split("-")
    runs[(b, int(r[1:]), p, int(rep))] = {
        x["threads"]: (x["requests_per_s"] / 1e6, x.get("requests_per_cpu_s", 0) / 1e6, x["hit_ratio"])
        for x in j["results"]}
med = lambda v: statistics.median(v) if v else float("nan")
pols = ["clock", "lru", "fifo", "sieve", "s3fifo", "arc"]
reps = sorted({k[3] for k in runs})
fig = {}
for r in (1, 2):
    print(f"\n### {r} region{'s' if r > 1 else ''}: medians of {len(reps)} interleaved repetitions\n")
    print("| policy | base 1T | base 2T | base 2T/1T | after 1T | after 2T | after 2T/1T | after/base 1T "
          "| base 2T/1T per CPU-s | after 2T/1T per CPU-s | after/base 1T per CPU-s | hit ratio 1T/2T (after) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for p in pols:
        def col(b, fn):
            return med([fn(runs[(b, r, p, k)]) for k in reps if (b, r, p, k) in runs])
        def paired(fn):
            return med([fn(runs[("after", r, p, k)], runs[("base", r, p, k)]) for k in reps
                        if ("after", r, p, k) in runs and ("base", r, p, k) in runs])
        b1, b2 = col("base", lambda x: x[1][0]), col("base", lambda x: x[2][0])
        a1, a2 = col("after", lambda x: x[1][0]), col("after", lambda x: x[2][0])
        rb, ra = col("base", lambda x: x[2][0] / x[1][0]), col("after", lambda x: x[2][0] / x[1][0])
        cb, ca = col("base", lambda x: x[2][1] / x[1][1]), col("after", lambda x: x[2][1] / x[1][1])
        ab = paired(lambda a, b: a[1][0] / b[1][0])
        abc = paired(lambda a, b: a[1][1] / b[1][1])
        h1, h2 = col("after", lambda x: x[1][2]), col("after", lambda x: x[2][2])
        fig[(r, p)] = (rb, ra, cb, ca)
        print(f"| {p} | {b1:.2f} | {b2:.2f} | {rb:.2f} | {a1:.2f} | {a2:.2f} | {ra:.2f} | {ab:.2f} | "
              f"{cb:.2f} | {ca:.2f} | {abc:.2f} | {h1:.4f}/{h2:.4f} |")

if len(sys.argv) > 2 and shutil.which("gnuplot"):
    dat = os.path.join(d, "scaling.dat")
    with open(dat, "w") as fh:
        fh.write("policy base_r1 after_r1 base_cpu_r1 after_cpu_r1 base_r2 after_r2 base_cpu_r2 after_cpu_r2\n")
        for p in pols:
            fh.write(p + " " + " ".join("%.3f" % v for r in (1, 2) for v in fig[(r, p)]) + "\n")
    script = f'''set terminal svg size 960,440 dynamic font "sans,11"
set output "{sys.argv[2]}"
set title "zipf 0.99, 65,536 pages, 6,553 frames, memory backing, one shared handle:\\n2 threads / 1 thread, median of {len(reps)} interleaved repetitions (2 shared vCPUs)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:2.2]
set ylabel "throughput 2T / 1T"
set key outside right
set grid ytics
set arrow from graph 0, first 1.8 to graph 1, first 1.8 nohead dt 2
set arrow from graph 0, first 1.5 to graph 1, first 1.5 nohead dt 3
plot "{dat}" using 2:xtic(1) title "before, 1 region", "" using 3 title "after, 1 region", \\
     "" using 6 title "before, 2 regions", "" using 7 title "after, 2 regions", \\
     "" using 5 title "after, 1 region, per CPU-s", "" using 9 title "after, 2 regions, per CPU-s"
'''
    subprocess.run(["gnuplot"], input=script, text=True, check=False)
