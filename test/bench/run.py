#!/usr/bin/env python3
"""run.py — the OmniLisp benchmarks side by side with C and Chez Scheme.

Builds each test/bench/NAME.omni with `omni-llc -O2` and c/NAME.c with
`gcc -O2`, runs every version --runs times (Chez Scheme as
`scheme --optimize-level 3 --script chez/NAME.ss` when `scheme` is
installed) in interleaved rounds — each round runs every version once, so
the noise of a shared machine falls on all of them alike — and prints the median wall time and the peak resident memory
(ru_maxrss from wait4, read by the small launcher measure.c) of each, the
ratios OmniLisp/C and OmniLisp/Chez, and whether all versions printed the
same checksum.  Each run is limited to --mem-limit-gb of address space.

The extra row `binary_trees:arena` compares with c/binary_trees_arena.c, the
one-arena-per-tree C version that is the memory target of region placement.

Two sets: the original seven (CORE) and the public benchmark suite (SUITE,
programs after r7rs-benchmarks, the Gabriel suite and the Benchmarks Game,
with a Chez version and usually no C one).  By default both run; --suite
runs the suite only, --core the seven only, --only a list of names.  Below
the table: the geometric mean of omni/chez over each set.

Usage: test/bench/run.py [--runs N] [--omni-llc PATH] [--only fib,tak]
                         [--suite | --core]
                         [--no-chez] [--no-c] [--no-omni] [--timeout S]
Binaries go to test/bench/out/ (ignored by git).
"""
import argparse
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORE = ["fib", "tak", "nqueens", "binary_trees", "deriv", "sieve", "mandel"]
SUITE = ["spectral_norm", "nbody", "cpstak", "fannkuch", "matmul", "wordfreq", "primes",
         "takl", "strnum", "hofold"]
PROGRAMS = CORE + SUITE
# extra rows: (row name, program whose OmniLisp/Chez runs it reuses, C source)
EXTRA_C = [("binary_trees:arena", "binary_trees", "binary_trees_arena")]


class Measure:
    """Runs of one executable: wall times, peak RSS and the output."""

    def __init__(self):
        self.times, self.rss_kib = [], []
        self.output = None
        self.error = None

    def median(self):
        return statistics.median(self.times) if self.times else None

    def rss_mb(self):
        return max(self.rss_kib) / 1024.0 if self.rss_kib else None


def run_measured(cmd, timeout):
    """Runs cmd once under the measure launcher (measure.c: wait4 there, see
    its header for why not from here).  Returns (seconds, maxrss KiB,
    stdout, error text or None)."""
    out_path = os.path.join(SCRATCH, "stdout")
    err_path = os.path.join(SCRATCH, "stderr")
    res_path = os.path.join(SCRATCH, "result")
    if os.path.exists(res_path):
        os.unlink(res_path)
    with open(out_path, "wb") as fo, open(err_path, "wb") as fe:
        try:
            subprocess.run([MEASURE, res_path, str(timeout)] + cmd, stdin=subprocess.DEVNULL,
                           stdout=fo, stderr=fe, timeout=timeout + 30)
        except (OSError, subprocess.TimeoutExpired) as e:
            return None, None, "", "cannot run: %s" % e
    with open(out_path, "rb") as f:
        out = f.read().decode(errors="replace")
    with open(err_path, "rb") as f:
        err = f.read().decode(errors="replace")
    try:
        with open(res_path) as f:
            code, rss, secs, timed_out = f.read().split()
        code, rss, secs, timed_out = int(code), int(rss), float(secs), timed_out == "1"
    except (OSError, ValueError):
        return None, None, out, "no measurement: %s" % err.strip()[-200:]
    if timed_out:
        return secs, rss, out, "timed out after %d s" % timeout
    if code != 0:
        tail = err.strip().split("\n")[-3:]
        what = ("killed by signal %d" % -code) if code < 0 else "exit %d" % code
        return secs, rss, out, "%s: %s" % (what, " | ".join(tail))
    return secs, rss, out, None


def measure_interleaved(cmds, runs, timeout):
    """Runs every version once per round, round after round, so a slow
    stretch of a shared machine hits all of them alike and their ratios
    stay meaningful.  cmds: {key: argv}; returns {key: Measure}."""
    ms = {k: Measure() for k in cmds}
    for _ in range(runs):
        for k, cmd in cmds.items():
            m = ms[k]
            if m.error:
                continue
            secs, rss, out, err = run_measured(cmd, timeout)
            if err:
                m.error = err
                continue
            m.times.append(secs)
            m.rss_kib.append(rss)
            m.output = out.strip()
    return ms


def build(cmd, what):
    """Runs a compile command; returns None or an error text."""
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "%s: %s" % (what, e)
    if p.returncode != 0:
        return "%s failed: %s" % (what, p.stdout.decode(errors="replace").strip()[-300:])
    return None


def fmt_time(m):
    if m is None:
        return "-"
    if m.error:
        return "ERR"
    return "%.3f" % m.median()


def fmt_rss(m):
    if m is None or m.error or m.rss_mb() is None:
        return "-"
    return "%.1f" % m.rss_mb()


def ratio_value(a, b):
    if a is None or b is None or a.error or b.error or not b.median():
        return None
    return a.median() / b.median()


def ratio(a, b):
    r = ratio_value(a, b)
    return "-" if r is None else "%.2f" % r


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


OUT_DIR = os.path.join(HERE, "out")
MEASURE = os.path.join(OUT_DIR, "measure")
SCRATCH = None  # this invocation's own directory for captured output


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="runs of each version (default 5)")
    ap.add_argument("--omni-llc", default=os.path.join(ROOT, "build", "omni-llc"),
                    help="omni-llc to build the OmniLisp versions (default build/omni-llc)")
    ap.add_argument("--only", help="comma-separated program names")
    ap.add_argument("--suite", action="store_true", help="the public benchmark suite only")
    ap.add_argument("--core", action="store_true", help="the original seven only")
    ap.add_argument("--no-chez", action="store_true")
    ap.add_argument("--no-c", action="store_true")
    ap.add_argument("--no-omni", action="store_true")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per run (default 600)")
    ap.add_argument("--mem-limit-gb", type=float, default=16.0,
                    help="address-space limit per run, GiB (default 16; 0: none)")
    args = ap.parse_args()

    progs = PROGRAMS
    if args.suite and args.core:
        sys.exit("run.py: --suite and --core exclude each other")
    if args.suite:
        progs = SUITE
    elif args.core:
        progs = CORE
    if args.only:
        progs = [p for p in args.only.split(",") if p]
        unknown = [p for p in progs if p not in PROGRAMS]
        if unknown:
            sys.exit("run.py: unknown program(s): %s" % ", ".join(unknown))
    args.progs = progs
    os.makedirs(OUT_DIR, exist_ok=True)
    global SCRATCH
    SCRATCH = tempfile.mkdtemp(prefix="omni-bench-")
    try:
        return run_all(args)
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)


def run_all(args):
    progs = args.progs
    err = build(["gcc", "-O2", "-o", MEASURE, os.path.join(HERE, "measure.c")], "gcc measure.c")
    if err:
        sys.exit("run.py: " + err)
    mem_limit = int(args.mem_limit_gb * (1 << 30)) if args.mem_limit_gb > 0 else 0
    if mem_limit:
        # set on this process so every child inherits it
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            mem_limit = min(mem_limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (mem_limit, hard))
    chez = None if args.no_chez else shutil.which("scheme")
    use_omni = not args.no_omni
    if use_omni and not os.access(args.omni_llc, os.X_OK):
        print("note: %s not found: OmniLisp columns skipped (build it or pass --omni-llc)"
              % args.omni_llc)
        use_omni = False
    if not args.no_chez and not chez:
        print("note: Chez Scheme (`scheme`) not installed: scripts/setup.sh --bench installs it")

    results = {}
    problems = []
    for prog in progs:
        row, cmds = {}, {}
        if use_omni:
            exe = os.path.join(OUT_DIR, prog + ".omni.exe")
            err = build([args.omni_llc, "-O2", os.path.join(HERE, prog + ".omni"), "-o", exe],
                        "omni-llc " + prog)
            if err:
                problems.append(err)
                row["omni"] = Measure()
                row["omni"].error = "build"
            else:
                cmds["omni"] = [exe]
        c_sources = [(prog, prog)] + [(r, c) for r, p, c in EXTRA_C if p == prog]
        # the suite's programs have a C version only where one was written
        c_sources = [(r, c) for r, c in c_sources
                     if os.path.exists(os.path.join(HERE, "c", c + ".c"))]
        for rowname, csrc in ([] if args.no_c else c_sources):
            exe = os.path.join(OUT_DIR, csrc + ".c.exe")
            err = build(["gcc", "-O2", "-o", exe, os.path.join(HERE, "c", csrc + ".c")],
                        "gcc " + csrc)
            key = "c" if rowname == prog else "c:" + rowname
            if err:
                problems.append(err)
                row[key] = Measure()
                row[key].error = "build"
            else:
                cmds[key] = [exe]
        if chez:
            cmds["chez"] = [chez, "--optimize-level", "3", "--script",
                            os.path.join(HERE, "chez", prog + ".ss")]
        print("running %s (%s; %d rounds)..." % (prog, ", ".join(cmds), args.runs), flush=True)
        row.update(measure_interleaved(cmds, args.runs, args.timeout))
        results[prog] = row

    header = ("program", "omni s", "omni MB", "C s", "C MB", "chez s", "chez MB",
              "omni/C", "omni/chez", "checksum")
    lines = [header]
    for prog in progs:
        row = results[prog]
        rows = [(prog, row.get("c"))] + [(r, row.get("c:" + r)) for r, p, _ in EXTRA_C
                                         if p == prog and ("c:" + r) in row]
        for name, cm in rows:
            om, zm = row.get("omni"), row.get("chez")
            outs = [m.output for m in (om, cm, zm) if m is not None and not m.error]
            failed = [m for m in (om, cm, zm) if m is not None and m.error]
            if failed:
                check = "error"
            elif len(set(outs)) > 1:
                check = "MISMATCH"
            else:
                check = "same" if len(outs) > 1 else "-"
            lines.append((name, fmt_time(om), fmt_rss(om), fmt_time(cm), fmt_rss(cm),
                          fmt_time(zm), fmt_rss(zm), ratio(om, cm), ratio(om, zm), check))
            for label, m in (("OmniLisp", om), ("C", cm), ("Chez", zm)):
                if m is not None and m.error and m.error != "build":
                    problems.append("%s %s: %s" % (name, label, m.error))
            if check == "MISMATCH":
                for label, m in (("OmniLisp", om), ("C", cm), ("Chez", zm)):
                    if m is not None and not m.error:
                        problems.append("%s %s printed: %s" % (name, label,
                                                               m.output.replace("\n", " | ")))
    widths = [max(len(str(r[i])) for r in lines) for i in range(len(header))]
    print()
    print("median of %d run(s); MB = peak RSS" % args.runs)
    for i, r in enumerate(lines):
        print("  ".join(str(v).rjust(widths[j]) if j else str(v).ljust(widths[j])
                        for j, v in enumerate(r)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    for label, group in (("the seven", CORE), ("the suite", SUITE)):
        rs = [ratio_value(results[p].get("omni"), results[p].get("chez"))
              for p in progs if p in group]
        got = [r for r in rs if r is not None]
        if got:
            print("geometric mean omni/chez over %s: %.2f (%d of %d programs)"
                  % (label, geomean(got), len(got), len([p for p in group])))
    for p in problems:
        print("problem: " + p)
    bad = any(r[-1] in ("MISMATCH", "error") for r in lines[1:])
    return 1 if bad or problems else 0


if __name__ == "__main__":
    sys.exit(main())
