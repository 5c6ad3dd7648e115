#!/usr/bin/env python3
"""repl_latency.py — omni-jit's interactive latency, measured through a pty.

omni-jit runs on the slave side of a pseudo-terminal, so it is the real
REPL (libedit, echo, prompt), exactly what a user at a terminal gets.  For
each input the clock starts when the line is written to the master side and
stops when the REPL's next prompt ("omni> ") has arrived after the result:
the time from pressing Enter to seeing the answer and a fresh prompt.
Next to that wall time it reports the CPU time omni-jit spent on the input
(from /proc/PID/task/*/schedstat): on a busy machine the wall time includes
waiting for a CPU, the CPU time does not.

Kinds of input (N of each, interleaved, after one warm-up of each):
  definition  (define (fI x) (if (< x 1) I (+ x (* 2 I))))
  call        (fI 20)
  expression  (+ (* 6 7) I)
  big         a definition whose body is (do s1 ... s300): small calls and
              prints, one statement per line (as pasted); timed from the
              last line, the one that completes the input (default 5 runs)

usage: test/bench/repl_latency.py [--jit build/omni-jit] [-n 100]
       [--big-runs 5] [--check] [-- extra omni-jit options]
With --check the exit status is 1 when a target is missed:
  definition, call, expression: median < 10 ms and p90 < 15 ms;
  big: median < 200 ms.
"""
import argparse
import os
import pty
import select
import subprocess
import sys
import tempfile
import time

PROMPT = b"omni> "
CONT = b"  ... "
TARGETS = {  # kind: (median ms, p90 ms or None)
    "definition": (10.0, 15.0),
    "call": (10.0, 15.0),
    "expression": (10.0, 15.0),
    "big": (200.0, None),
}


class Repl:
    def __init__(self, argv, env):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                     env=env, close_fds=True, start_new_session=True)
        os.close(slave)
        self.buf = b""
        self.expect(PROMPT, 30.0)

    def read_some(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("omni-jit gave no prompt; output so far:\n"
                               + self.buf[-2000:].decode(errors="replace"))
        r, _, _ = select.select([self.master], [], [], left)
        if r:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                data = b""
            if not data:
                raise EOFError("omni-jit exited; output:\n" + self.buf[-2000:].decode(errors="replace"))
            self.buf += data

    def expect(self, marker, timeout, count=1):
        """Reads until `marker` has appeared `count` times; drops what was read."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            i = self.buf.find(marker)
            while i >= 0 and seen < count:
                seen += 1
                self.buf = self.buf[i + len(marker):]
                i = self.buf.find(marker) if seen < count else -1
            if seen >= count:
                return
            self.read_some(deadline)

    def send(self, line):
        os.write(self.master, line.encode() + b"\n")

    def cpu(self):
        """CPU seconds omni-jit's threads have run (schedstat: ns, exact)."""
        total = 0
        base = f"/proc/{self.proc.pid}/task"
        try:
            for tid in os.listdir(base):
                with open(f"{base}/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
        except OSError:
            return 0.0
        return total * 1e-9

    def timed(self, line, timeout=60.0):
        """(wall seconds from writing `line` to the next main prompt, CPU
        seconds omni-jit spent meanwhile, the output between)."""
        c0 = self.cpu()
        t0 = time.perf_counter()
        self.send(line)
        deadline = time.monotonic() + timeout
        while PROMPT not in self.buf:
            self.read_some(deadline)
        t = time.perf_counter() - t0
        c = self.cpu() - c0
        out, _, self.buf = self.buf.partition(PROMPT)
        self.last_cpu = c
        return t, out.decode(errors="replace")

    def close(self):
        try:
            self.send(":quit")
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def big_lines(i, nstmt=300):
    """A definition of nstmt statements, one per line; its last line completes it."""
    lines = [f"(define (big{i} x)", "  (do"]
    for k in range(nstmt):
        if k % 3 == 0:
            lines.append(f"    (println \"step\" {k} x)")
        elif k % 3 == 1:
            lines.append(f"    (+ x {k} (* x {k}))")
        else:
            lines.append(f"    (list x {k} (car (list {k})))")
    lines.append("    x))")
    return lines


def check_output(kind, i, out):
    want = {"definition": None, "call": str(20 + 2 * i), "expression": str(42 + i), "big": None}[kind]
    if "error" in out:
        raise RuntimeError(f"{kind} {i}: omni-jit reported an error:\n{out}")
    if want is not None and want not in out.split():
        raise RuntimeError(f"{kind} {i}: expected {want} in the output, got:\n{out}")


def run_big(repl, i):
    lines = big_lines(i)
    for ln in lines[:-1]:
        repl.send(ln)
    repl.expect(CONT, 60.0, count=len(lines) - 1)
    t, out = repl.timed(lines[-1])
    check_output("big", i, out)
    return t, repl.last_cpu


def pct(xs, p):
    s = sorted(xs)
    return s[min(len(s) - 1, int(len(s) * p))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--jit", default=os.path.join(here, "..", "..", "build", "omni-jit"))
    ap.add_argument("-n", type=int, default=100, help="inputs of each small kind (default 100)")
    ap.add_argument("--big-runs", type=int, default=5, help="300-statement definitions (default 5)")
    ap.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    ap.add_argument("extra", nargs="*", help="options passed to omni-jit (after --)")
    a = ap.parse_args()

    env = dict(os.environ)
    hist = tempfile.NamedTemporaryFile(prefix="omni-hist-", delete=False)
    hist.close()
    env["OMNI_HISTORY"] = hist.name  # keep the user's history clean
    env["TERM"] = "dumb"
    env.pop("OMNI_LB_TIMES", None)
    t0 = time.perf_counter()
    repl = Repl([a.jit] + a.extra, env)
    startup = time.perf_counter() - t0
    times = {k: [] for k in TARGETS}
    cpus = {k: [] for k in TARGETS}
    try:
        for i in range(a.n + 1):
            inputs = [("definition", f"(define (f{i} x) (if (< x 1) {i} (+ x (* 2 {i}))))"),
                      ("call", f"(f{i} 20)"), ("expression", f"(+ (* 6 7) {i})")]
            for kind, text in inputs:
                t, out = repl.timed(text)
                check_output(kind, i, out)
                if i > 0:  # the first of each pays for lazy initialisation
                    times[kind].append(t)
                    cpus[kind].append(repl.last_cpu)
        for i in range(a.big_runs + (1 if a.big_runs else 0)):
            t, c = run_big(repl, i)
            if i > 0:
                times["big"].append(t)
                cpus["big"].append(c)
    finally:
        repl.close()
        os.unlink(hist.name)

    print(f"omni-jit {' '.join(a.extra) or '(defaults)'}: start-up to first prompt {startup * 1e3:.1f} ms")
    print(f"{'kind':<12} {'n':>4} {'median ms':>10} {'p90 ms':>8} {'min ms':>8} {'max ms':>8}"
          f" {'cpu median':>11} {'cpu p90':>8}  target (wall)")
    missed = []
    for k, xs in times.items():
        if not xs:
            continue
        med, p90 = pct(xs, 0.5) * 1e3, pct(xs, 0.9) * 1e3
        tmed, tp90 = TARGETS[k]
        ok = med < tmed and (tp90 is None or p90 < tp90)
        tgt = f"median<{tmed:g}" + (f", p90<{tp90:g}" if tp90 else "")
        print(f"{k:<12} {len(xs):>4} {med:>10.2f} {p90:>8.2f} {min(xs) * 1e3:>8.2f} "
              f"{max(xs) * 1e3:>8.2f} {pct(cpus[k], 0.5) * 1e3:>11.2f} {pct(cpus[k], 0.9) * 1e3:>8.2f}"
              f"  {tgt}{'' if ok else '  MISSED'}")
        if not ok:
            missed.append(k)
    if a.check and missed:
        print("missed: " + ", ".join(missed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
