#!/usr/bin/env python3
"""test_summary.py — turn a ctest JUnit report into per-suite result lines.

Counts at the finest grain the suites report: a Check unit test contributes
its "Checks: N, Failures: F, Errors: E" line, the lit suite its
"Passed: N / Failed: N ..." summary; a test that died before printing one
counts as one failure.  Prints one line per suite (and the output of failed
suites, capped), then writes "PASSED FAILED" to the --counts file.
Usage: test_summary.py --label build --counts FILE --log FILE junit.xml
"""
import argparse
import re
import sys
import xml.etree.ElementTree as ET

CHECK_RE = re.compile(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)")
LIT_RE = re.compile(r"^\s*(Passed With Retry|Passed|Failed|Unsupported|Expectedly Failed|Unexpectedly Passed|"
                    r"Unresolved|Timed Out|Excluded|Skipped)\s*:\s*(\d+)", re.M)
LIT_GOOD = {"Passed", "Passed With Retry", "Expectedly Failed"}
LIT_BAD = {"Failed", "Unexpectedly Passed", "Unresolved", "Timed Out"}
MAX_LINES = 400


def suite_counts(name, status, out):
    """(passed, failed, skipped, note) for one ctest test."""
    # lit's summary follows its last "Total Discovered Tests" line; test
    # output above it could contain look-alike lines
    mark = out.rfind("Total Discovered Tests")
    lit = LIT_RE.findall(out[mark:]) if mark >= 0 else []
    if lit:
        p = sum(int(n) for k, n in lit if k in LIT_GOOD)
        f = sum(int(n) for k, n in lit if k in LIT_BAD)
        s = sum(int(n) for k, n in lit if k not in LIT_GOOD | LIT_BAD)
        if status != "run" and f == 0:
            f = 1   # lit itself failed (e.g. a configuration error)
        return p, f, s, ""
    checks = CHECK_RE.findall(out)
    if checks:
        n = sum(int(c[0]) for c in checks)
        f = sum(int(c[1]) + int(c[2]) for c in checks)
        if status != "run" and f == 0:
            f = 1   # the runner passed its checks but exited non-zero (e.g. a leak report)
        return n - f, f, 0, ""
    if status == "run":
        return 1, 0, 0, ""
    if status in ("disabled", "notrun"):
        return 0, 0, 1, " (not run)"
    return 0, 1, 0, " (no summary: crashed or timed out)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", default="build")
    ap.add_argument("--counts", required=True)
    ap.add_argument("--log", help="file receiving every test's full output")
    ap.add_argument("junit")
    args = ap.parse_args()

    total_p = total_f = 0
    try:
        cases = ET.parse(args.junit).getroot().iter("testcase")
        cases = list(cases)
    except (OSError, ET.ParseError) as e:
        print("[%s] no test report (%s)" % (args.label, e))
        cases = []
        total_f = 1
    log = open(args.log, "w") if args.log else None
    failed_outputs = []
    for tc in cases:
        name, status = tc.get("name"), tc.get("status", "fail")
        out = "".join(so.text or "" for so in tc.iter("system-out"))
        p, f, s, note = suite_counts(name, status, out)
        total_p += p
        total_f += f
        extra = (", %d skipped" % s) if s else ""
        verdict = "ok" if f == 0 else "FAIL"
        print("[%s] %-28s %4s  %d passed, %d failed%s%s"
              % (args.label, name, verdict, p, f, extra, note))
        if log:
            log.write("===== %s (%s)\n%s\n" % (name, status, out))
        if f:
            failed_outputs.append((name, out))
    if log:
        log.close()
    with open(args.counts, "w") as f:
        f.write("%d %d\n" % (total_p, total_f))
    for name, out in failed_outputs:
        # lit: the list of failed tests first, then their details
        m = re.search(r"^(Failed Tests \(\d+\):\n(?:  .*\n)+)", out, re.M)
        if m:
            print("----- [%s] %s" % (args.label, m.group(1).rstrip("\n")))
        lines = out.rstrip("\n").split("\n")
        if len(lines) > MAX_LINES:
            lines = lines[:MAX_LINES] + ["... (%d more lines in %s)"
                                         % (len(lines) - MAX_LINES, args.log or "the log")]
        print("----- [%s] output of %s -----" % (args.label, name))
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
