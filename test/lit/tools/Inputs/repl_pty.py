#!/usr/bin/env python3
"""repl_pty.py — drive omni-jit's interactive REPL through a pseudo-terminal.

usage: repl_pty.py OMNI_JIT STEP...
Each STEP is one of
  send:TEXT    type TEXT (Python escapes: \\r is Enter, \\x03 is Ctrl-C)
  expect:TEXT  wait (at most 10 s) until TEXT has appeared in the output
               after the previous expect's match
  sleep:SECS   wait
The REPL runs with the pty as its controlling terminal, so Ctrl-C typed
there sends SIGINT as at a real terminal.  All output is written to stdout
at the end (for FileCheck); a missed expect ends with status 1.
"""
import os
import pty
import select
import signal
import sys
import time


def main():
    jit, steps = sys.argv[1], sys.argv[2:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(jit, [jit])
    out = b""
    seen = 0      # output before this offset was matched already
    status = 0

    def read_until(deadline, want=None):
        nonlocal out
        while want is None or want not in out[seen:]:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                continue
            try:
                data = os.read(fd, 4096)
            except OSError:
                return False
            if not data:
                return False
            out += data
        return True

    for step in steps:
        kind, _, arg = step.partition(":")
        text = arg.encode().decode("unicode_escape").encode("latin-1")
        if kind == "send":
            os.write(fd, text)
        elif kind == "sleep":
            read_until(time.monotonic() + float(arg))
        elif kind == "expect":
            if not read_until(time.monotonic() + 10.0, text):
                sys.stderr.write("repl_pty: did not see %r\n" % text)
                status = 1
                break
            seen = out.index(text, seen) + len(text)
        else:
            sys.exit("repl_pty: bad step %r" % step)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))
    sys.exit(status)


main()
