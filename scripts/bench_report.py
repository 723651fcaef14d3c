#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reports a `make bench` guest run.

Usage: bench_report.py RUNDIR
Reads RUNDIR/out/bench.json (written by bench/vi915_bench), the guest facts
and gem_userptr_benchmark's output; prints the ratio table (Markdown, as the
README shows it) and writes RUNDIR/bench.csv and RUNDIR/bench.png (the scaling
curves of figures 1 and 6).
"""

import csv
import json
import os
import re
import sys


def guest_facts(run):
    """'N vCPUs, TCG|KVM, kernel' from the guest's log and the accelerator guest.sh chose."""
    accel = "unknown"
    path = os.path.join(run, "accel")
    if os.path.exists(path):
        accel = open(path).read().strip().upper()
    kernel, vcpus = "?", "?"
    with open(os.path.join(run, "out", "cmd.log")) as f:
        for line in f:
            m = re.match(r"guest: (\S+), (\d+) vCPUs", line)
            if m:
                kernel, vcpus = m.group(1), m.group(2)
                break
    return f"{vcpus} vCPUs, {accel}, kernel {kernel}"


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    # The curves of the first round (the ratios carry every round).
    f1 = [r for r in results if r.get("figure") == 1 and "mib" in r and r.get("round") == 0]
    x = [r["mib"] for r in f1]
    a.loglog(x, [r["execbuf_us"] for r in f1], "o-", label="vi915 execbuf, fresh userptr")
    a.loglog(x, [r["gup_pin_fast_us"] for r in f1], "s--", label="gup_test PIN_FAST, long-term")
    a.set_xlabel("userptr size (MiB)")
    a.set_ylabel("time (us)")
    a.set_title("1: first-use pin")
    a.legend()
    f6 = [r for r in results if r.get("figure") == 6 and "n" in r and r.get("round") == 0]
    n = [r["n"] for r in f6]
    b.loglog(n, [r["munmap_us"] for r in f6], "o-", label="munmap of the covered range")
    b.loglog(n, [r["unrelated_munmap_us"] for r in f6], "s--", label="munmap of an uncovered page")
    b.loglog(n, [r["munmap_us"] / r["n"] for r in f6], "^:", label="covered, per userptr")
    b.set_xlabel("userptrs (N)")
    b.set_ylabel("time (us)")
    b.set_title("6: invalidation")
    b.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main():
    run = sys.argv[1]
    with open(os.path.join(run, "out", "bench.json")) as f:
        results = json.load(f)["results"]
    ratios = [r for r in results if "ratio" in r]
    print(f"Guest: {guest_facts(run)}")
    print()
    print("| Figure | Ratio of | Median | Spread | Target | Verdict |")
    print("|---|---|---|---|---|---|")
    for r in ratios:
        target = (">= " if r["at_least"] else "<= ") + f"{r['target']:g}"
        verdict = r["verdict"] if r["verdict"] == "met" else f"**{r['verdict']}**"
        spread = f"{r['min']:.2f}-{r['max']:.2f} ({r['rounds']} rounds)"
        print(f"| {r['figure']} | {r['ratio_of']} | {r['ratio']:.2f} | {spread} | {target} "
              f"| {verdict} |")
    with open(os.path.join(run, "bench.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["figure", "ratio_of", "median", "min", "max", "rounds", "target",
                    "at_least", "verdict"])
        for r in ratios:
            w.writerow([r["figure"], r["ratio_of"], f"{r['ratio']:.4f}", f"{r['min']:.4f}",
                        f"{r['max']:.4f}", r["rounds"], r["target"], r["at_least"],
                        r["verdict"]])
    plot(results, os.path.join(run, "bench.png"))
    igt = os.path.join(run, "out", "gem_userptr_benchmark.txt")
    if os.path.exists(igt):
        print()
        print("IGT gem_userptr_benchmark:")
        with open(igt) as f:
            for line in f:
                if line.strip():
                    print("    " + line.rstrip())


if __name__ == "__main__":
    main()
