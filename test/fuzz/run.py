#!/usr/bin/env python3
"""run.py -- differential fuzzing of OmniLisp against Chez Scheme.

For each seed: gen.py makes a program (.omni and .ss), Chez Scheme runs the
.ss for the expected output, then omni-jit runs the .omni and/or omni-llc -O2
builds an executable that runs.  A run fails on: stdout different from
Chez's, a non-zero exit, any sanitizer report on stderr (AddressSanitizer,
UBSan "runtime error:", LeakSanitizer), a crash, or a timeout.

    run.py --seeds 0-199 -j2 [--build DIR] [--tools jit,llc] [--timeout S]
           [--keep DIR] [--stop-after N] [--quiet] [--jit-opt -O0] [--llc-opt -O2]

Prints one line per failure and `N programs, M failures` (plus seconds per
program for each step); exits 1 on any failure, 0 otherwise, 77 when Chez
Scheme is missing (ctest treats it as skipped).  Failing programs are kept
in --keep DIR (default /tmp/omni-fuzz-failures) as SEED.omni, SEED.ss,
SEED.json (the AST, for minimize.py) and SEED.txt (what went wrong).
Nothing is written into the repository.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import gen  # noqa: E402

SAN_RE = re.compile(r"ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer|"
                    r"AddressSanitizer:DEADLYSIGNAL|UndefinedBehaviorSanitizer")
ASAN_KIND_RE = re.compile(r"ERROR: AddressSanitizer: ([\w-]+)")


def find_scheme():
    for name in ("scheme", "chezscheme", "chez"):
        p = shutil.which(name)
        if p:
            return p
    return None


def parse_seeds(spec):
    out = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part[1:]:
            a, b = part.split("-", 1)
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def sanitizer_env():
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    return env


class Run:
    def __init__(self, code, out, err, secs, timed_out):
        self.code, self.out, self.err, self.secs, self.timed_out = code, out, err, secs, timed_out


def run_cmd(cmd, timeout, env=None, cwd=None):
    t0 = time.monotonic()
    try:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env, cwd=cwd, start_new_session=True)
    except OSError as e:
        return Run(None, b"", ("cannot run %s: %s" % (cmd[0], e)).encode(), 0.0, False)
    try:
        out, err = p.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        out, err = p.communicate()
        timed_out = True
    return Run(p.returncode, out, err, time.monotonic() - t0, timed_out)


def status_text(r):
    if r.timed_out:
        return "timeout"
    if r.code is None:
        return "did not run"
    if r.code < 0:
        try:
            return "killed by " + signal.Signals(-r.code).name
        except ValueError:
            return "killed by signal %d" % -r.code
    return "exit %d" % r.code


def classify(r, expected):
    """None if the run is good, else (signature, one-line description)."""
    err = r.err.decode("utf-8", "replace")
    if r.timed_out:
        return "timeout", "timeout"
    m = ASAN_KIND_RE.search(err)
    if m:
        line = next((ln for ln in err.splitlines() if "#0 " in ln), "")
        where = line.split(" in ", 1)[1].strip() if " in " in line else ""
        return "asan:" + m.group(1), "AddressSanitizer: %s %s" % (m.group(1), where)
    if "ERROR: LeakSanitizer" in err:
        return "leak", "LeakSanitizer: memory leak"
    if "runtime error:" in err:
        ln = next(ln for ln in err.splitlines() if "runtime error:" in ln)
        return "ubsan", "UBSan " + ln.strip()[:160]
    if SAN_RE.search(err):
        return "sanitizer", "sanitizer report"
    if r.code != 0:
        first = next((ln for ln in err.splitlines() if ln.strip()), "")
        sig = "crash" if (r.code is None or r.code < 0) else "exit"
        return sig, "%s: %s" % (status_text(r), first[:160])
    if r.out != expected:
        exp_l = expected.decode("utf-8", "replace").split("\n")
        got_l = r.out.decode("utf-8", "replace").split("\n")
        for i, (a, b) in enumerate(zip(exp_l, got_l)):
            if a != b:
                return "mismatch", "stdout line %d: expected %r, got %r" % (i + 1, a[:80], b[:80])
        return "mismatch", "stdout has %d lines, expected %d" % (len(got_l), len(exp_l))
    return None


def check_program(omni_path, ss_path, tools, build, timeout, scheme, tmpdir, times=None,
                  llc_opt="-O2", jit_opt="-O2"):
    """Runs one program pair.  Returns (expected_ok, [(tool, sig, desc, Run)])."""
    env = sanitizer_env()
    ch = run_cmd([scheme, "--script", ss_path], timeout)
    if times is not None:
        times["chez"] += ch.secs
    if ch.code != 0 or ch.timed_out:
        return False, [("chez", "chez", "Chez failed (%s): %s" % (
            status_text(ch), ch.err.decode("utf-8", "replace").strip().splitlines()[:1]), ch)]
    fails = []
    for tool in tools:
        if tool == "jit":
            r = run_cmd([os.path.join(build, "omni-jit"), jit_opt, omni_path], timeout, env)
            if times is not None:
                times["jit"] += r.secs
        else:
            exe = os.path.join(tmpdir, "prog")
            c = run_cmd([os.path.join(build, "omni-llc"), llc_opt, omni_path, "-o", exe], timeout, env)
            if times is not None:
                times["llc-compile"] += c.secs
            if c.code != 0 or c.timed_out or not os.path.exists(exe):
                res = classify(c, b"") or ("compile", "omni-llc wrote no executable")
                fails.append(("llc-compile", res[0], res[1], c))
                continue
            r = run_cmd([exe], timeout, env)
            if times is not None:
                times["llc-run"] += r.secs
            try:
                os.unlink(exe)
            except OSError:
                pass
        res = classify(r, ch.out)
        if res:
            fails.append((tool, res[0], res[1], r))
    return True, fails


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="0-199", help="e.g. 0-199 or 5,7,100-120")
    ap.add_argument("-j", type=int, default=2, help="programs run in parallel (default 2)")
    ap.add_argument("--build", default=os.path.join(REPO, "build-asan"),
                    help="build directory holding omni-jit and omni-llc (default <repo>/build-asan)")
    ap.add_argument("--tools", default="jit,llc", help="jit, llc or jit,llc")
    ap.add_argument("--timeout", type=float, default=60, help="seconds per step (default 60)")
    ap.add_argument("--keep", default="/tmp/omni-fuzz-failures", help="where failing programs are kept")
    ap.add_argument("--llc-opt", default="-O2", help="omni-llc optimisation flag (default -O2)")
    ap.add_argument("--jit-opt", default="-O2", help="omni-jit optimisation flag (default -O2)")
    ap.add_argument("--stop-after", type=int, default=0, help="stop after N failures (0: never)")
    ap.add_argument("--quiet", action="store_true", help="no progress line")
    ap.add_argument("--small", action="store_true", help="smaller programs (gen.py SMALL; ctest's budget)")
    ap.add_argument("--avoid", default="", help="leave out shapes of known bugs (gen.py AVOID), e.g. wrap-param")
    a = ap.parse_args()

    scheme = find_scheme()
    if not scheme:
        print("SKIP: Chez Scheme (scheme/chezscheme) is not installed; "
              "run scripts/setup.sh to install it")
        return 77
    tools = [t for t in a.tools.split(",") if t]
    for t in tools:
        if t not in ("jit", "llc"):
            ap.error("unknown tool %r" % t)
        exe = os.path.join(a.build, "omni-jit" if t == "jit" else "omni-llc")
        if not os.path.exists(exe):
            print("error: %s not found (build first, or pass --build)" % exe)
            return 2
    seeds = parse_seeds(a.seeds)
    gen.AVOID.update(x for x in a.avoid.split(",") if x)
    if a.small:
        gen.SMALL = True
    os.makedirs(a.keep, exist_ok=True)
    with open(os.path.join(HERE, "prelude.ss")) as fh:
        prelude = fh.read()

    lock = threading.Lock()
    times = {"gen": 0.0, "chez": 0.0, "jit": 0.0, "llc-compile": 0.0, "llc-run": 0.0}
    state = {"done": 0, "failed": 0, "gen_bugs": 0, "stop": False}
    failures = []
    t_start = time.monotonic()

    def one(seed):
        if state["stop"]:
            return
        my = dict.fromkeys(times, 0.0)
        tmp = tempfile.mkdtemp(prefix="omni-fuzz-")
        try:
            t0 = time.monotonic()
            prog = gen.generate(seed)
            omni_src = gen.emit_omni(prog)
            ss_src = gen.emit_scheme(prog, prelude)
            my["gen"] += time.monotonic() - t0
            op, sp = os.path.join(tmp, "%d.omni" % seed), os.path.join(tmp, "%d.ss" % seed)
            with open(op, "w") as f:
                f.write(omni_src)
            with open(sp, "w") as f:
                f.write(ss_src)
            ok, fails = check_program(op, sp, tools, a.build, a.timeout, scheme, tmp, my,
                                      a.llc_opt, a.jit_opt)
            with lock:
                for k in times:
                    times[k] += my[k]
                state["done"] += 1
                if fails:
                    state["failed"] += 1
                    if not ok:
                        state["gen_bugs"] += 1
                    base = os.path.join(a.keep, str(seed))
                    for ext, src in ((".omni", omni_src), (".ss", ss_src)):
                        with open(base + ext, "w") as f:
                            f.write(src)
                    import json
                    with open(base + ".json", "w") as f:
                        json.dump(prog, f)
                    with open(base + ".txt", "w") as f:
                        for tool, sig, desc, r in fails:
                            f.write("[%s] %s: %s\n" % (tool, sig, desc))
                            f.write(r.err.decode("utf-8", "replace")[-6000:] + "\n")
                    for tool, sig, desc, r in fails:
                        line = "FAIL seed %d [%s] %s: %s" % (seed, tool, sig, desc)
                        failures.append(line)
                        print(line, flush=True)
                    if a.stop_after and state["failed"] >= a.stop_after:
                        state["stop"] = True
                if not a.quiet and sys.stderr.isatty():
                    sys.stderr.write("\r%d/%d done, %d failed " % (state["done"], len(seeds), state["failed"]))
                    sys.stderr.flush()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    with ThreadPoolExecutor(max_workers=max(1, a.j)) as ex:
        list(ex.map(one, seeds))
    if not a.quiet and sys.stderr.isatty():
        sys.stderr.write("\n")
    wall = time.monotonic() - t_start
    n = max(1, state["done"])
    per = ", ".join("%s %.2f" % (k, v / n) for k, v in times.items() if v > 0)
    print("seconds per program: %s (wall %.1f s for %d programs, -j%d)" % (per, wall, state["done"], a.j))
    if state["failed"]:
        print("failing programs kept in %s" % a.keep)
    if state["gen_bugs"]:
        print("%d programs failed under Chez: generator/prelude bugs" % state["gen_bugs"])
    print("%d programs, %d failures" % (state["done"], state["failed"]))
    return 1 if state["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
