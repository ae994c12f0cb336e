#!/usr/bin/env python3
"""Summarises run_ceiling.sh's ce-<mode>-r<regions>-<policy>-<rep>.json (or
ce-all.jsonl: one line {"name": file, "data": its JSON} each). Per policy and
region count, medians over the repetitions of: each mode's 1-thread and
2-thread rates (M get+put per second), each mode's 2T/1T (both thread
counts of one run, back to back), and the share of the ceiling the shared
pool reaches: its 2T/1T over the private pools' 2T/1T of the same
repetition (the two modes back to back). The same ratios per CPU-second of
the process, and the shared pool's 2-thread rate of each repetition (a
run far below the others stands out). Usage: summ_ceiling.py DIR"""
import glob, json, os, statistics, sys

d = sys.argv[1] if len(sys.argv) > 1 else "."
found = [(os.path.basename(f), json.load(open(f))) for f in glob.glob(os.path.join(d, "ce-*-r*-*-*.json"))]
if not found and os.path.exists(os.path.join(d, "ce-all.jsonl")):
    found = [(e["name"], e["data"]) for e in map(json.loads, open(os.path.join(d, "ce-all.jsonl")))]
runs = {}  # (mode, regions, policy, rep) -> {threads: (wall, cpu, hit)}
for name, j in found:
    _, mode, r, p, rep = name[:-5].split("-")
    runs[(mode, int(r[1:]), p, int(rep))] = {
        x["threads"]: (x["requests_per_s"] / 1e6, x["requests_per_cpu_s"] / 1e6, x["hit_ratio"]) for x in j["results"]}
med = lambda v: statistics.median(v) if v else float("nan")
reps = sorted({k[3] for k in runs})
for r in (1, 2):
    print(f"\n### {r} region{'s' if r > 1 else ''}: medians of {len(reps)} repetitions, the two modes back to back\n")
    print("| policy | shared 1T | shared 2T | shared 2T/1T | private 1T | private 2T | private 2T/1T (ceiling) "
          "| shared / ceiling | per CPU-s: shared 2T/1T | private 2T/1T | shared / ceiling | shared 2T, each repetition |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for p in ["clock", "lru", "fifo", "sieve", "s3fifo", "arc"]:
        ks = [k for k in reps if ("shared", r, p, k) in runs and ("private", r, p, k) in runs]
        if not ks:
            continue
        S = lambda k: runs[("shared", r, p, k)]
        P = lambda k: runs[("private", r, p, k)]
        s1, s2 = med([S(k)[1][0] for k in ks]), med([S(k)[2][0] for k in ks])
        p1, p2 = med([P(k)[1][0] for k in ks]), med([P(k)[2][0] for k in ks])
        rs, rp = med([S(k)[2][0] / S(k)[1][0] for k in ks]), med([P(k)[2][0] / P(k)[1][0] for k in ks])
        share = med([(S(k)[2][0] / S(k)[1][0]) / (P(k)[2][0] / P(k)[1][0]) for k in ks])
        cs, cp = med([S(k)[2][1] / S(k)[1][1] for k in ks]), med([P(k)[2][1] / P(k)[1][1] for k in ks])
        cshare = med([(S(k)[2][1] / S(k)[1][1]) / (P(k)[2][1] / P(k)[1][1]) for k in ks])
        print(f"| {p} | {s1:.2f} | {s2:.2f} | {rs:.2f} | {p1:.2f} | {p2:.2f} | {rp:.2f} | {share:.2f} "
              f"| {cs:.2f} | {cp:.2f} | {cshare:.2f} | {' '.join(f'{S(k)[2][0]:.1f}' for k in ks)} |")
