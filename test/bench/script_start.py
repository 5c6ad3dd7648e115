#!/usr/bin/env python3
"""script_start.py — how fast `omni-jit FILE` starts, and what each
optimisation level costs at run time.

1. Start-up: runs `omni-jit -O<L> script_200.omni` (a generated 200-line
   script that does almost no work, see gen_script.py) R times per level
   and reports the median wall time of the whole process and its median
   CPU time (user+sys, from wait4: steady on a loaded machine).
2. With --bench: runs the benchmark programs (NAME.omni here) through
   omni-jit at each level, once per round, and reports the same figures:
   the trade-off between compiling fast and running fast.

usage: test/bench/script_start.py [--jit build/omni-jit] [--levels 0,1,2]
       [--runs 7] [--bench] [--only fib,tak] [--check]
--check: exit 1 if the default level (no -O) takes 150 ms or more of wall
time (median) to run the script.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = ["fib", "tak", "nqueens", "binary_trees", "deriv", "sieve", "mandel"]


def run_once(argv, timeout):
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = b"", b""
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        return None
    wall = time.perf_counter() - t0
    # communicate() reaped the child: its CPU time is in RUSAGE_CHILDREN
    return wall, p.returncode, out, err


def measure(argv, runs, timeout):
    import resource
    walls, cpus = [], []
    out = b""
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = run_once(argv, timeout)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if r is None:
            return None, None, b"timeout"
        wall, rc, out, err = r
        if rc != 0:
            return None, None, err[-500:]
        walls.append(wall)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return statistics.median(walls), statistics.median(cpus), out


def level_args(lv):
    return [] if lv == "default" else ["-O" + lv]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jit", default=os.path.join(HERE, "..", "..", "build", "omni-jit"))
    ap.add_argument("--levels", default="default,0,1,2", help="comma list: default, 0..3")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--script", default=os.path.join(HERE, "script_200.omni"))
    ap.add_argument("--bench", action="store_true", help="also the benchmark programs")
    ap.add_argument("--bench-runs", type=int, default=3)
    ap.add_argument("--only", help="comma list of benchmarks")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    levels = a.levels.split(",")
    nlines = sum(1 for _ in open(a.script))

    print(f"start-up: omni-jit LEVEL {os.path.relpath(a.script)} ({nlines} lines), median of {a.runs}")
    print(f"{'level':<8} {'wall ms':>9} {'cpu ms':>9}")
    missed = False
    for lv in levels:
        wall, cpu, out = measure([a.jit] + level_args(lv) + [a.script], a.runs, a.timeout)
        if wall is None:
            print(f"{lv:<8} failed: {out.decode(errors='replace')}")
            missed = True
            continue
        print(f"{lv:<8} {wall * 1e3:>9.1f} {cpu * 1e3:>9.1f}")
        if lv == "default" and wall >= 0.150:
            missed = True

    if a.bench:
        names = a.only.split(",") if a.only else BENCH
        print(f"\nbenchmarks through omni-jit, median of {a.bench_runs} (seconds)")
        print(f"{'program':<14}" + "".join(f"{'-O' + lv if lv != 'default' else 'default':>16}" for lv in levels))
        print(f"{'':<14}" + "".join(f"{'wall':>8}{'cpu':>8}" for _ in levels))
        for n in names:
            row = f"{n:<14}"
            ref = None
            for lv in levels:
                wall, cpu, out = measure([a.jit] + level_args(lv) + [os.path.join(HERE, n + ".omni")],
                                         a.bench_runs, a.timeout)
                if wall is None:
                    row += f"{'error':>16}"
                    continue
                if ref is None:
                    ref = out
                elif out != ref:
                    row += f"{'MISMATCH':>16}"
                    continue
                row += f"{wall:>8.2f}{cpu:>8.2f}"
            print(row, flush=True)
    if a.check and missed:
        print("missed: the default level takes 150 ms or more", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
