#!/usr/bin/env python3
"""compare.py — A/B timing of two omni-llc builds on the benchmark programs.

    python3 test/bench/compare.py --a /work/base/build/omni-llc --b build/omni-llc
    python3 test/bench/compare.py --a OLD --b NEW --runs 7 --only deriv,nqueens

Builds every program with both compilers (-O2), then runs them interleaved
(a, b, a, b, ...) so that the machine's noise hits both alike, and prints
per program the median wall time of each, the ratio b/a and whether both
printed the same output.  Peak RSS comes from test/bench/measure.c as in
run.py.  Exit status 1 if an output differs.
"""
import argparse
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = ["fib", "tak", "nqueens", "binary_trees", "deriv", "sieve", "mandel"]


def build_measure(out):
    exe = os.path.join(out, "measure")
    src = os.path.join(HERE, "measure.c")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        subprocess.run(["gcc", "-O2", "-o", exe, src], check=True)
    return exe


def run(measure, exe, timeout, out):
    res = os.path.join(out, "result.txt")
    p = subprocess.run([measure, res, str(timeout), exe], capture_output=True, text=True)
    # measure writes "<exit code> <maxrss KiB> <seconds> <timed out>"
    with open(res) as f:
        code, kb, secs, _ = f.read().split()
    return float(secs), int(kb) / 1024.0, p.stdout + ("" if code == "0" else " exit %s" % code)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", required=True, help="omni-llc of the baseline")
    ap.add_argument("--b", required=True, help="omni-llc of the change")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default="")
    ap.add_argument("--timeout", type=int, default=600)
    args = ap.parse_args()
    progs = [p for p in PROGRAMS if not args.only or p in args.only.split(",")]
    out = os.path.join(HERE, "out", "compare")
    os.makedirs(out, exist_ok=True)
    measure = build_measure(out)
    exes = {}
    for p in progs:
        for tag, llc in (("a", args.a), ("b", args.b)):
            exe = os.path.join(out, "%s.%s" % (p, tag))
            subprocess.run([llc, "-O2", os.path.join(HERE, p + ".omni"), "-o", exe], check=True)
            exes[p, tag] = exe
    bad = 0
    print("%-14s %9s %9s %7s %8s %8s  %s" % ("program", "a (s)", "b (s)", "b/a", "a MB", "b MB", "output"))
    for p in progs:
        times = {"a": [], "b": []}
        rss = {"a": 0.0, "b": 0.0}
        outs = {}
        for _ in range(args.runs):
            for tag in ("a", "b"):
                t, m, o = run(measure, exes[p, tag], args.timeout, out)
                times[tag].append(t)
                rss[tag] = max(rss[tag], m)
                outs[tag] = o
        ma, mb = statistics.median(times["a"]), statistics.median(times["b"])
        same = outs["a"] == outs["b"]
        bad += not same
        print("%-14s %9.3f %9.3f %7.3f %8.1f %8.1f  %s" % (p, ma, mb, mb / ma if ma else 0, rss["a"], rss["b"],
                                                        "same" if same else "DIFFERENT"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
