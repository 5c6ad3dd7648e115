#!/usr/bin/env python3
r"""run_check.py — run an OmniLisp program through omni-jit and omni-llc and
compare both runs with the expectations written in the program itself.

Expectations are comments, Wren style, anywhere on a line:
    (println (+ 1 2))        ; expect: 3
        the next line of stdout, in file order (exact; trailing spaces ignored)
    ; expect-error: TEXT     stderr contains TEXT (any number of these)
    ; expect-at: LINE:COL    stderr contains FILE:LINE:COL (FILE as passed here)
    ; expect-exit: N         exit status (default 0; 1 when an expect-error is given)
stdout must hold exactly the expected lines, no more.

What the program is given, the same in both runs:
    ; args: WORDS            command-line arguments after the program (split
                             like a shell does: "a b" is one word; several
                             lines add up); %S in a word is the directory
                             of the program's file (for input files kept
                             next to the test, e.g. %S/Inputs/words.txt)
    ; stdin: TEXT            one line of standard input: TEXT and a newline.
                             Several lines are joined in file order.  TEXT may
                             use \r \t \n \\ escapes, and a final \c means
                             no newline after it.  Without the directive stdin
                             is empty (/dev/null).
    ; env: NAME=VALUE        an environment variable set for the program
    ; flags: OPTIONS         options given to both compilers (e.g. --backtrace)
Each run starts in a fresh empty working directory of its own, removed
afterwards, so a program may create files under relative names.

The program runs as `omni-jit FILE ARGS` and as the executable built by
`omni-llc -O2 FILE -o TMP` run as `TMP ARGS` (when omni-llc itself fails,
e.g. on a compile error, its own output is what is compared).  Each step has
a timeout.  Exit status 0 when both runs match, 1 otherwise, with a diff
naming the tool.
Usage: run_check.py --jit OMNI_JIT --llc OMNI_LLC [--only jit|llc] FILE
"""
import argparse
import difflib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile

EXPECT_RE = re.compile(r";\s*expect(-error|-exit|-at)?:(.*)$")
INPUT_RE = re.compile(r";\s*(args|stdin|env|flags):(.*)$")
STDIN_ESCAPES = {"r": "\r", "t": "\t", "n": "\n", "\\": "\\"}


class Expect:
    def __init__(self):
        self.stdout = []      # expected stdout lines
        self.errors = []      # substrings of stderr
        self.at = []          # "LINE:COL"
        self.exit = None      # explicit exit status
        self.args = []        # command-line arguments of the program
        self.flags = []       # options for both compilers (; flags:)
        self.stdin = None     # bytes, or None: /dev/null
        self.env = {}         # added environment variables


def decode_stdin(text, where):
    """TEXT of a `; stdin:` line -> the input it stands for."""
    out, i, newline = [], 0, True
    while i < len(text):
        c = text[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = text[i + 1:i + 2]
        if e == "c" and i + 2 == len(text):
            newline = False
        elif e in STDIN_ESCAPES:
            out.append(STDIN_ESCAPES[e])
        else:
            sys.exit("%s: bad escape in stdin: %r" % (where, text))
        i += 2
    return "".join(out) + ("\n" if newline else "")


def parse_expectations(path):
    exp = Expect()
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            m = INPUT_RE.search(line)
            if m and not EXPECT_RE.search(line):
                parse_input(exp, m.group(1), m.group(2), "%s:%d" % (path, lineno), path)
                continue
            m = EXPECT_RE.search(line)
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


def parse_input(exp, kind, text, where, path):
    if text.startswith(" "):
        text = text[1:]
    if kind == "flags":
        exp.flags += shlex.split(text)
    elif kind == "args":
        try:
            here = os.path.dirname(os.path.abspath(path))
            exp.args += [w.replace("%S", here) for w in shlex.split(text)]
        except ValueError as e:
            sys.exit("%s: bad args: %s" % (where, e))
    elif kind == "stdin":
        data = decode_stdin(text, where).encode("utf-8")
        exp.stdin = (exp.stdin or b"") + data
    else:
        name, eq, value = text.strip().partition("=")
        if not eq or not name:
            sys.exit("%s: bad env (want NAME=VALUE): %r" % (where, text))
        exp.env[name] = value


class Result:
    def __init__(self, what, code, out, err, timed_out=False):
        self.what, self.code, self.out, self.err = what, code, out, err
        self.timed_out = timed_out


def run(what, cmd, timeout, exp=None):
    """Runs cmd; with exp, as the program: its stdin, environment, and a
    fresh working directory."""
    stdin, env, cwd = None, None, None
    if exp is not None:
        stdin = exp.stdin
        env = dict(os.environ)
        env.update(exp.env)
        cwd = tempfile.mkdtemp(prefix="omni-cwd-")
    try:
        p = subprocess.run(cmd, input=stdin,
                           stdin=subprocess.DEVNULL if stdin is None else None,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                           env=env, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        return Result(what, None, e.stdout or b"", e.stderr or b"", timed_out=True)
    except OSError as e:
        return Result(what, None, b"", ("cannot run %s: %s\n" % (cmd[0], e)).encode())
    finally:
        if cwd is not None:
            shutil.rmtree(cwd, ignore_errors=True)
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
    # the programs run in directories of their own
    args.jit, args.llc = os.path.abspath(args.jit), os.path.abspath(args.llc)

    exp = parse_expectations(args.file)
    results = []
    if args.only in (None, "jit"):
        # absolute: the program runs elsewhere (locations still end in FILE)
        results.append(run("jit", [args.jit] + exp.flags + [os.path.abspath(args.file)] + exp.args,
                           args.timeout, exp))
    if args.only in (None, "llc"):
        tmp = tempfile.mkdtemp(prefix="omni-run-")
        try:
            exe = os.path.join(tmp, "prog")
            comp = run("llc", [args.llc, "-O2"] + exp.flags + [args.file, "-o", exe], args.timeout)
            if comp.code == 0 and not comp.timed_out:
                if not os.path.exists(exe):
                    comp.code = None
                    comp.err += b"omni-llc exited 0 but wrote no executable\n"
                    results.append(comp)
                else:
                    res = run("llc", [exe] + exp.args, args.timeout, exp)
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
