#!/usr/bin/env python3
"""run_check.py — run an OmniLisp program through omni-jit and omni-llc and
compare both runs with the expectations written in the program itself.

Expectations are comments, Wren style, anywhere on a line:
    (println (+ 1 2))        ; expect: 3
        the next line of stdout, in file order (exact; trailing spaces ignored)
    ; expect-error: TEXT     stderr contains TEXT (any number of these)
    ; expect-at: LINE:COL    stderr contains FILE:LINE:COL (FILE as passed here)
    ; expect-exit: N         exit status (default 0; 1 when an expect-error is given)
stdout must hold exactly the expected lines, no more.

The program runs as `omni-jit FILE` and as the executable built by
`omni-llc -O2 FILE -o TMP` (when omni-llc itself fails, e.g. on a compile
error, its own output is what is compared).  Each step has a timeout.
Exit status 0 when both runs match, 1 otherwise, with a diff naming the tool.
Usage: run_check.py --jit OMNI_JIT --llc OMNI_LLC [--only jit|llc] FILE
"""
import argparse
import difflib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

EXPECT_RE = re.compile(r";\s*expect(-error|-exit|-at)?:(.*)$")


class Expect:
    def __init__(self):
        self.stdout = []      # expected stdout lines
        self.errors = []      # substrings of stderr
        self.at = []          # "LINE:COL"
        self.exit = None      # explicit exit status


def parse_expectations(path):
    exp = Expect()
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            m = EXPECT_RE.search(line.rstrip("\n"))
            if not m:
                continue
            kind, text = m.group(1), m.group(2)
            # one space after the colon separates; the rest is the text
            if text.startswith(" "):
                text = text[1:]
            text = text.rstrip()
            if kind is None:
                exp.stdout.append(text)
            elif kind == "-error":
                exp.errors.append(text)
            elif kind == "-at":
                exp.at.append(text.strip())
            else:
                try:
                    exp.exit = int(text)
                except ValueError:
                    sys.exit("%s:%d: bad expect-exit: %r" % (path, lineno, text))
    if exp.exit is None:
        exp.exit = 1 if (exp.errors or exp.at) else 0
    return exp


class Result:
    def __init__(self, what, code, out, err, timed_out=False):
        self.what, self.code, self.out, self.err = what, code, out, err
        self.timed_out = timed_out


def run(what, cmd, timeout):
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return Result(what, None, e.stdout or b"", e.stderr or b"", timed_out=True)
    except OSError as e:
        return Result(what, None, b"", ("cannot run %s: %s\n" % (cmd[0], e)).encode())
    return Result(what, p.returncode, p.stdout, p.stderr)


def describe_status(code):
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            return "killed by %s" % signal.Signals(-code).name
        except ValueError:
            return "killed by signal %d" % -code
    return "exit %d" % code


def stdout_lines(data):
    text = data.decode("utf-8", errors="replace")
    if text.endswith("\n"):
        text = text[:-1]
    if text == "":
        return []
    return [ln.rstrip() for ln in text.split("\n")]


def check(res, exp, file_arg, timeout):
    """Returns a list of problem descriptions (empty when res matches exp)."""
    problems = []
    err_text = res.err.decode("utf-8", errors="replace")
    if res.timed_out:
        problems.append("timed out after %d s" % timeout)
    got = stdout_lines(res.out)
    if got != exp.stdout:
        diff = difflib.unified_diff(exp.stdout, got, "expected stdout",
                                    "%s stdout" % res.what, lineterm="", n=2)
        problems.append("stdout differs:\n" + "\n".join(diff))
    for e in exp.errors:
        if e not in err_text:
            problems.append("stderr does not contain: %s" % e)
    for at in exp.at:
        want = "%s:%s" % (file_arg, at)
        if want not in err_text:
            problems.append("stderr does not contain the location: %s" % want)
    if not res.timed_out and res.code != exp.exit:
        problems.append("expected exit %d, got %s" % (exp.exit, describe_status(res.code)))
    return problems


def report(res, problems):
    print("FAIL [%s]: %s" % (res.what, "; ".join(p.split("\n")[0] for p in problems)))
    for p in problems:
        print("  - " + p.replace("\n", "\n    "))
    err = res.err.decode("utf-8", errors="replace").rstrip()
    if err:
        lines = err.split("\n")
        if len(lines) > 40:
            lines = ["..."] + lines[-40:]
        print("  %s stderr:\n    %s" % (res.what, "\n    ".join(lines)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jit", required=True, help="path of omni-jit")
    ap.add_argument("--llc", required=True, help="path of omni-llc")
    ap.add_argument("--only", choices=["jit", "llc"], help="run through one tool only")
    ap.add_argument("--timeout", type=int,
                    default=int(os.environ.get("OMNI_TEST_TIMEOUT", "60")),
                    help="seconds per step (default 60, env OMNI_TEST_TIMEOUT)")
    ap.add_argument("file")
    args = ap.parse_args()

    exp = parse_expectations(args.file)
    results = []
    if args.only in (None, "jit"):
        results.append(run("jit", [args.jit, args.file], args.timeout))
    if args.only in (None, "llc"):
        tmp = tempfile.mkdtemp(prefix="omni-run-")
        try:
            exe = os.path.join(tmp, "prog")
            comp = run("llc", [args.llc, "-O2", args.file, "-o", exe], args.timeout)
            if comp.code == 0 and not comp.timed_out:
                if not os.path.exists(exe):
                    comp.code = None
                    comp.err += b"omni-llc exited 0 but wrote no executable\n"
                    results.append(comp)
                else:
                    res = run("llc", [exe], args.timeout)
                    # compiler warnings belong to the report too
                    res.err = comp.err + res.err
                    results.append(res)
            else:
                comp.what = "llc (compile)"
                results.append(comp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    failed = False
    for res in results:
        problems = check(res, exp, args.file, args.timeout)
        if problems:
            failed = True
            report(res, problems)
        else:
            print("ok [%s]" % res.what)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
