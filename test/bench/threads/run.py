#!/usr/bin/env python3
"""run.py — thread and channel benchmarks: OmniLisp against C peers.

Builds every NAME.omni with `omni-llc -O2` and NAME.c with `cc -O2 -pthread`
into test/bench/out/threads/, then runs the programs in interleaved rounds
(omni, C, omni, C, ...): --warmup rounds not counted, then --runs measured
ones.  Each run goes through ../measure.c (wall time and ru_maxrss from
wait4).  Prints per program the median and p95 wall time, and the ratios
of medians from the same invocation:

  pingpong  OmniLisp / C      (target <= 2)
  buffered  OmniLisp / C
  pmap      1 thread / 2 threads, from the times the program prints
            (time-ms), per run, then the median (target >= 1.7)

then peak RSS of the buffered stress at N and 10 N messages (OmniLisp and
C): memory must not grow with N.  Exit status 1 if a checksum is wrong or
a program fails.  See README.md in this directory.
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
OUT = os.path.join(ROOT, "test", "bench", "out", "threads")
MEASURE = os.path.join(OUT, "measure")


def build(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("build failed: %s\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))


def run_once(cmd, timeout):
    """(seconds, peak RSS KiB, stdout, CPU seconds) of one run under measure."""
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.NamedTemporaryFile("r", suffix=".res") as res:
        p = subprocess.run([MEASURE, res.name, str(timeout)] + cmd,
                           capture_output=True, text=True)
        fields = res.read().split()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    # measure waits for the program, so its user+system time reaches us
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    if len(fields) != 4:
        raise RuntimeError("no measurement for %s: %s" % (cmd, p.stderr[-300:]))
    code, rss, secs, timed_out = int(fields[0]), int(fields[1]), float(fields[2]), int(fields[3])
    if timed_out:
        raise RuntimeError("timed out after %d s: %s" % (timeout, " ".join(cmd)))
    if code != 0:
        raise RuntimeError("exit %d: %s\n%s" % (code, " ".join(cmd), p.stderr[-600:]))
    return secs, rss, p.stdout, cpu


def p95(xs):
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=11, help="measured rounds (default 11)")
    ap.add_argument("--warmup", type=int, default=3, help="rounds not counted (default 3)")
    ap.add_argument("--pingpong-n", type=int, default=100000, help="round trips (default 100000)")
    ap.add_argument("--buffered-n", type=int, default=1000000, help="messages (default 1000000)")
    ap.add_argument("--rss-n", default="100000,1000000", help="buffered sizes for peak RSS")
    ap.add_argument("--rss-runs", type=int, default=3, help="runs per RSS size (largest kept)")
    ap.add_argument("--pmap-k", type=int, default=35, help="fib argument (default 35)")
    ap.add_argument("--only", default="pingpong,buffered,pmap,rss")
    ap.add_argument("--omni-llc", default=os.path.join(ROOT, "build", "omni-llc"))
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()
    only = set(args.only.split(","))

    os.makedirs(OUT, exist_ok=True)
    build([args.cc, "-O2", "-o", MEASURE, os.path.join(HERE, "..", "measure.c")])
    bins = {}
    for name in ("pingpong", "buffered", "pmap"):
        o, c = os.path.join(OUT, name), os.path.join(OUT, name + "_c")
        build([args.omni_llc, "-O2", os.path.join(HERE, name + ".omni"), "-o", o])
        build([args.cc, "-O2", "-pthread", os.path.join(HERE, name + ".c"), "-o", c])
        bins[name] = (o, c)

    ok = True
    try:
        load = open("/proc/loadavg").read().split()[:3]
    except OSError:
        load = ["?"]
    print("load average before: %s; %d warm-up + %d measured rounds" %
          (" ".join(load), args.warmup, args.runs))

    progs = []  # (label, cmd, expected first line)
    npp, nb, k = args.pingpong_n, args.buffered_n, args.pmap_k
    if "pingpong" in only:
        exp = "%d %d" % (npp, npp * (npp - 1) // 2)
        progs += [("pingpong omni", [bins["pingpong"][0], str(npp)], exp),
                  ("pingpong C", [bins["pingpong"][1], str(npp)], exp)]
    if "buffered" in only:
        exp = "%d %d" % (nb, 3 * nb * (nb - 1) // 2 + nb)
        progs += [("buffered omni", [bins["buffered"][0], str(nb)], exp),
                  ("buffered C", [bins["buffered"][1], str(nb)], exp)]
    if "pmap" in only:
        progs += [("pmap omni", [bins["pmap"][0], str(k)], None),
                  ("pmap C", [bins["pmap"][1], str(k)], None)]

    times = {p[0]: [] for p in progs}
    rsss = {p[0]: [] for p in progs}
    cpus = {p[0]: [] for p in progs}
    inner = {p[0]: [] for p in progs}  # pmap: (seq ms, par ms)
    first = {}
    for rnd in range(args.warmup + args.runs):
        for label, cmd, exp in progs:
            try:
                secs, rss, out, cpu = run_once(cmd, args.timeout)
            except RuntimeError as e:
                print("FAIL %s: %s" % (label, e))
                ok = False
                continue
            lines = out.strip().split("\n")
            line1 = lines[0] if lines else ""
            if exp is not None and line1 != exp:
                print("MISMATCH %s: %r, expected %r" % (label, line1, exp))
                ok = False
            if label.startswith("pmap"):
                a, b = line1.split()
                if a != b:
                    print("MISMATCH %s: sequential %s, parallel %s" % (label, a, b))
                    ok = False
                first.setdefault("pmap", line1)
                if first["pmap"] != line1:
                    print("MISMATCH %s: %r vs %r" % (label, line1, first["pmap"]))
                    ok = False
            if rnd < args.warmup:
                continue
            times[label].append(secs)
            rsss[label].append(rss)
            cpus[label].append(cpu)
            if label.startswith("pmap") and len(lines) > 1:
                f = lines[1].split()
                inner[label].append((int(f[1]), int(f[2])))

    med = {l: statistics.median(t) for l, t in times.items() if t}
    print()
    print("%-16s %10s %10s %10s %9s" % ("program", "median s", "p95 s", "CPU s", "RSS MB"))
    for label, _, _ in progs:
        if label in med:
            print("%-16s %10.3f %10.3f %10.3f %9.1f" % (label, med[label], p95(times[label]),
                                                        statistics.median(cpus[label]),
                                                        max(rsss[label]) / 1024))
    print("(wall: median and p95; CPU: median user+system of the process, all threads)")
    print()
    if "pingpong omni" in med and "pingpong C" in med:
        r = med["pingpong omni"] / med["pingpong C"]
        rc = statistics.median(cpus["pingpong omni"]) / statistics.median(cpus["pingpong C"])
        print("pingpong omni/C CPU: %.2f" % rc)
        print("pingpong omni/C: %.2f  (%.1f vs %.1f us per round trip; target <= 2: %s)" %
              (r, med["pingpong omni"] / npp * 1e6, med["pingpong C"] / npp * 1e6,
               "met" if r <= 2 else "NOT met"))
    if "buffered omni" in med and "buffered C" in med:
        r = med["buffered omni"] / med["buffered C"]
        rc = statistics.median(cpus["buffered omni"]) / statistics.median(cpus["buffered C"])
        print("buffered omni/C CPU: %.2f" % rc)
        print("buffered omni/C: %.2f  (%.0f vs %.0f ns per message)" %
              (r, med["buffered omni"] / nb * 1e9, med["buffered C"] / nb * 1e9))
    for label in ("pmap omni", "pmap C"):
        if inner.get(label):
            seq = statistics.median(s for s, _ in inner[label])
            par = statistics.median(p for _, p in inner[label])
            sp = statistics.median(s / max(p, 1) for s, p in inner[label])
            line = ("%s: 1 thread %d ms, 2 threads %d ms (medians); 1/2 speed-up %.2f "
                    "(median of per-run ratios, min %.2f max %.2f)" %
                    (label, seq, par, sp, min(s / max(p, 1) for s, p in inner[label]),
                     max(s / max(p, 1) for s, p in inner[label])))
            if label == "pmap omni":
                line += "; target >= 1.7: %s" % ("met" if sp >= 1.7 else "NOT met")
            print(line)

    if "rss" in only:
        print()
        print("buffered peak RSS (largest of %d runs each):" % args.rss_runs)
        sizes = [int(x) for x in args.rss_n.split(",")]
        for which, b in (("omni", bins["buffered"][0]), ("C", bins["buffered"][1])):
            row = []
            for n in sizes:
                peak, tmed = 0, []
                exp = "%d %d" % (n, 3 * n * (n - 1) // 2 + n)
                for _ in range(args.rss_runs):
                    try:
                        secs, rss, out, _ = run_once([b, str(n)], args.timeout)
                    except RuntimeError as e:
                        print("FAIL buffered %s %d: %s" % (which, n, e))
                        ok = False
                        continue
                    if out.strip() != exp:
                        print("MISMATCH buffered %s %d: %r" % (which, n, out.strip()))
                        ok = False
                    peak = max(peak, rss)
                    tmed.append(secs)
                row.append("N=%d: %.1f MB (%.3f s)" % (n, peak / 1024,
                                                      statistics.median(tmed) if tmed else 0))
            print("  %-5s %s" % (which, ",  ".join(row)))
    try:
        print("\nload average after: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    except OSError:
        pass
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
