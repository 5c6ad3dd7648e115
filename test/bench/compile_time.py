#!/usr/bin/env python3
"""compile_time.py — how omni-llc's compile time grows with program size.

Generates OmniLisp programs of growing size N in four shapes and compiles
each with omni-llc:

  funcs  N small functions (5-line bodies, each calls the previous one)
  cond   one function with one `cond` of N clauses
  seq    one function whose body is one `let ^:seq` of N bindings
  nest   one function with N nested `let`+`if` levels

Per shape, size and level it runs three compilations in fresh processes:
  -c -O0 / -c -O2  the whole compiler, to an object file
  --emit-rir       the front end and the Region IR (CTRR) passes alone,
                   without LLVM (the level does not change the IR passes)
and prints CPU ms (user+system of the compiler, from getrusage
RUSAGE_CHILDREN deltas), ms per unit (function / clause / binding / level),
the peak RSS (MB) and, per shape and mode, the growth exponent k of
time ~ N^k fitted by least squares on log(time) against log(N).

The peak RSS is ru_maxrss from wait4 in the small launcher measure.c (as
run.py does): a child spawned straight from Python would count the
interpreter's own pages.  The launcher's CPU time is negligible.

Sizes double from --start until --max; once one compilation of a shape and
mode takes more than --budget seconds of CPU, larger sizes of that shape and
mode are skipped.  --check exits 1 if any exponent exceeds --limit (1.1,
the target of issue 12).

    python3 test/bench/compile_time.py [--omni-llc build/omni-llc]
        [--shapes funcs,cond,seq,nest] [--start 100] [--max 800]
        [--budget 10] [--modes O0,O2,rir] [--check] [--keep]
"""
import argparse
import math
import os
import resource
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT_DIR = os.path.join(HERE, "out")
MEASURE = os.path.join(OUT_DIR, "measure")


# ---------------------------------------------------------------- generators

def gen_funcs(n):
    """N functions of five lines; f<i> calls f<i-1> once, so nothing is dead."""
    out = ["; compile_time.py: %d small functions" % n,
           "(define (f0 x) (+ x 1))"]
    for i in range(1, n):
        out.append(
            "(define (f%d x)\n"
            "  (let ^:seq [a (+ x %d)]\n"
            "             [b (* a 2)]\n"
            "    (if (> b %d) (- b (f%d a))\n"
            "        (+ a b 1))))" % (i, i, 1000 + i, i - 1))
    out.append("(println (f%d 3))" % (n - 1))
    return "\n".join(out) + "\n"


def gen_cond(n):
    """One function with one cond of N clauses (plus else)."""
    out = ["; compile_time.py: one cond of %d clauses" % n, "(define (g x)", "  (cond"]
    for i in range(n):
        out.append("    [(= x %d) (+ x %d)]" % (i, 3 * i + 1))
    out.append("    [else 0]))")
    out.append("(println (g %d))" % (n // 2))
    return "\n".join(out) + "\n"


def gen_seq(n):
    """One function whose body is a let ^:seq of N bindings, each using the
    previous one and the parameter (a long straight-line body)."""
    out = ["; compile_time.py: a body of %d sequential lets" % n, "(define (h x)",
           "  (let ^:seq [a0 x]"]
    for i in range(1, n):
        op = "+" if i % 2 else "-"
        out.append("             [a%d (%s a%d x %d)]" % (i, op, i - 1, i % 7))
    out.append("    a%d))" % (n - 1))
    out.append("(println (h 5))")
    return "\n".join(out) + "\n"


def gen_nest(n):
    """One function with N nested levels of let + if."""
    head, tail = [], []
    for i in range(n):
        prev = "x" if i == 0 else "a%d" % (i - 1)
        head.append("(let [a%d (+ %s %d)] (if (< a%d %d) " % (i, prev, i % 5, i, 10 * n + i))
        tail.append(" a%d))" % i)
    body = "".join(head) + "0" + "".join(reversed(tail))
    return ("; compile_time.py: %d nested let/if levels\n(define (k x)\n  %s)\n"
            "(println (k 1))\n" % (n, body))


# The reader refuses more than 1000 nested lists; a `nest` level is two.
NEST_MAX = 490

SHAPES = {
    "funcs": (gen_funcs, "function"),
    "cond": (gen_cond, "clause"),
    "seq": (gen_seq, "binding"),
    "nest": (gen_nest, "level"),
}

MODES = {
    "O0": ["-O0", "-c"],
    "O2": ["-O2", "-c"],
    "rir": ["--emit-rir"],
}


# ------------------------------------------------------------------- running

def ensure_measure():
    if os.path.exists(MEASURE) and \
            os.path.getmtime(MEASURE) >= os.path.getmtime(os.path.join(HERE, "measure.c")):
        return
    os.makedirs(OUT_DIR, exist_ok=True)
    subprocess.run(["cc", "-O2", "-o", MEASURE, os.path.join(HERE, "measure.c")], check=True)


def compile_once(llc, src, mode, outfile, timeout):
    """Compiles src once in a fresh process; returns (cpu_seconds, rss_mb, error)."""
    fd, res = tempfile.mkstemp(prefix="ctime-", suffix=".res")
    os.close(fd)
    try:
        cmd = [MEASURE, res, str(int(timeout)), llc] + MODES[mode] + ["-o", outfile, src]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        with open(res) as f:
            fields = f.read().split()
        status, rss_kib, _wall, timed_out = int(fields[0]), int(fields[1]), fields[2], int(fields[3])
        if timed_out:
            return cpu, rss_kib / 1024.0, "timed out after %d s" % timeout
        if status != 0 or p.returncode != 0:
            first = (p.stderr.strip().splitlines() or [""])[0]
            return cpu, rss_kib / 1024.0, "exit %d: %s" % (status, first[:200])
        return cpu, rss_kib / 1024.0, None
    finally:
        os.unlink(res)


def fit_exponent(points):
    """Least-squares slope of log(cpu) against log(n); None below 2 points."""
    pts = [(math.log(n), math.log(max(t, 1e-4))) for n, t in points]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    sxy = sum((x - mx) * (y - my) for x, y in pts)
    return sxy / sxx if sxx else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--omni-llc", default=os.path.join(ROOT, "build", "omni-llc"))
    ap.add_argument("--shapes", default="funcs,cond,seq,nest")
    ap.add_argument("--modes", default="O0,O2,rir")
    ap.add_argument("--start", type=int, default=100)
    ap.add_argument("--max", type=int, default=800)
    ap.add_argument("--sizes", help="comma-separated sizes (overrides --start/--max)")
    ap.add_argument("--budget", type=float, default=10.0,
                    help="CPU seconds; a slower compilation stops that shape/mode's growth")
    ap.add_argument("--timeout", type=int, default=120, help="hard limit per compilation (s)")
    ap.add_argument("--limit", type=float, default=1.1)
    ap.add_argument("--check", action="store_true", help="exit 1 if an exponent > --limit")
    ap.add_argument("--keep", action="store_true", help="keep the generated programs")
    args = ap.parse_args()

    ensure_measure()
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    else:
        sizes, n = [], args.start
        while n <= args.max:
            sizes.append(n)
            n *= 2
    shapes = args.shapes.split(",")
    modes = args.modes.split(",")
    for s in shapes:
        if s not in SHAPES:
            sys.exit("unknown shape %s (known: %s)" % (s, ",".join(SHAPES)))
    for m in modes:
        if m not in MODES:
            sys.exit("unknown mode %s (known: %s)" % (m, ",".join(MODES)))

    work = tempfile.mkdtemp(prefix="omni-ctime-")
    print("%-6s %6s %4s %10s %9s %8s" % ("shape", "N", "mode", "CPU ms", "ms/unit", "RSS MB"))
    failed = False
    exponents = []
    for shape in shapes:
        gen, unit = SHAPES[shape]
        stopped = set()
        points = {m: [] for m in modes}
        base = {}
        src = os.path.join(work, "%s_1.omni" % shape)
        with open(src, "w") as f:
            f.write(gen(1))
        for mode in modes:
            out = os.path.join(work, "%s_1_%s.out" % (shape, mode))
            cpu, _rss, err = compile_once(args.omni_llc, src, mode, out, args.timeout)
            base[mode] = 0.0 if err else cpu
            if os.path.exists(out):
                os.unlink(out)
        os.unlink(src)
        for n in sizes:
            if shape == "nest" and n > NEST_MAX:
                print("%-6s %6d       skipped: the reader's nesting limit (N <= %d)" % (shape, n, NEST_MAX))
                continue
            src = os.path.join(work, "%s_%d.omni" % (shape, n))
            with open(src, "w") as f:
                f.write(gen(n))
            for mode in modes:
                if mode in stopped:
                    continue
                out = os.path.join(work, "%s_%d_%s.out" % (shape, n, mode))
                cpu, rss, err = compile_once(args.omni_llc, src, mode, out, args.timeout)
                if os.path.exists(out):
                    os.unlink(out)
                if err:
                    print("%-6s %6d %4s  error: %s" % (shape, n, mode, err))
                    failed = True
                    stopped.add(mode)
                    continue
                points[mode].append((n, cpu))
                print("%-6s %6d %4s %10.0f %9.3f %8.1f" %
                      (shape, n, mode, cpu * 1000, cpu * 1000 / n, rss), flush=True)
                if cpu > args.budget:
                    stopped.add(mode)
            if not args.keep:
                os.unlink(src)
        for mode in modes:
            k = fit_exponent(points[mode])
            # with the cost of compiling the N=1 program (start-up, the
            # runtime's bitcode) taken out: the growth of the part that grows
            marg = [(n, t - base[mode]) for n, t in points[mode] if t - base[mode] > 0.005]
            km = fit_exponent(marg) if len(marg) == len(points[mode]) else None
            exponents.append((shape, mode, k, km, len(points[mode])))
    if not args.keep:
        os.rmdir(work)
    else:
        print("programs kept in", work)

    print()
    print("growth exponent k (CPU time ~ N^k, least squares on log/log);")
    print("k-base: the same fit after subtracting the N=1 program's time")
    print("%-6s %4s %6s %7s %7s" % ("shape", "mode", "k", "k-base", "points"))
    over = False
    for shape, mode, k, km, npts in exponents:
        flag = ""
        if k is not None and k > args.limit:
            flag = "  > %.2f" % args.limit
            over = True
        fmt = lambda x: "-" if x is None else "%.2f" % x
        print("%-6s %4s %6s %7s %7d%s" % (shape, mode, fmt(k), fmt(km), npts, flag))
    if args.check and (over or failed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
