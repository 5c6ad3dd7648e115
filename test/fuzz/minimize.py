#!/usr/bin/env python3
"""minimize.py -- reduce a failing fuzz program while its failure persists.

    minimize.py --seed N            [--out PREFIX] [--build DIR] [--tools jit]
    minimize.py FILE.json           (the AST run.py keeps next to a failure)
    minimize.py FILE.omni FILE.ss   (top-level forms only)

The failure kept is the first one the program shows (tool and kind: e.g.
`jit asan:heap-use-after-free`, `llc mismatch`); a candidate counts only when
Chez Scheme still runs its Scheme twin cleanly and the same tool fails the
same way.  With an AST (seed or .json), after delta debugging over top-level
forms it reduces inside them: an expression becomes a trivial one of its
type, a body statement is dropped, an `if` becomes one branch, a call
becomes its argument of the same type, a `let` its body; then it repeats
until nothing more goes.  Writes PREFIX.omni, PREFIX.ss (and PREFIX.json)
-- default /tmp/omni-fuzz-min/<name> -- and prints the reduced OmniLisp.
"""
import argparse
import copy
import json
import os
import re
import sys
import tempfile
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import gen  # noqa: E402
import run  # noqa: E402


class Oracle:
    def __init__(self, a, scheme):
        self.a, self.scheme = a, scheme
        self.target = None
        self.tests = 0
        self.tmp = tempfile.mkdtemp(prefix="omni-min-")

    def failures(self, omni_src, ss_src, tools):
        op, sp = os.path.join(self.tmp, "m.omni"), os.path.join(self.tmp, "m.ss")
        with open(op, "w") as f:
            f.write(omni_src)
        with open(sp, "w") as f:
            f.write(ss_src)
        self.tests += 1
        ok, fails = run.check_program(op, sp, tools, self.a.build, self.a.timeout, self.scheme,
                                      self.tmp, None, self.a.llc_opt, self.a.jit_opt)
        return ok, fails

    def interesting(self, omni_src, ss_src):
        ok, fails = self.failures(omni_src, ss_src, [self.target[0].replace("llc-compile", "llc")])
        if not ok:
            return False
        return any((t, s) == self.target for t, s, _, _ in fails)


def ddmin(items, test):
    """Classic delta debugging: a 1-minimal sublist of items for which
    test(sublist) holds (test(items) must hold)."""
    n = 2
    while len(items) >= 2:
        chunk = max(1, len(items) // n)
        subsets = [items[i:i + chunk] for i in range(0, len(items), chunk)]
        reduced = False
        for i in range(len(subsets)):
            complement = [x for j, s in enumerate(subsets) if j != i for x in s]
            if complement and test(complement):
                items = complement
                n = max(n - 1, 2)
                reduced = True
                break
        if not reduced:
            if n >= len(items):
                break
            n = min(len(items), n * 2)
    return items


def tuplify(t):
    return gen.from_json_type(t) if isinstance(t, list) else t


class AstReducer:
    def __init__(self, prog, oracle, prelude, verbose):
        self.prog = prog
        self.oracle = oracle
        self.prelude = prelude
        self.verbose = verbose
        self.g = gen.Gen(0)
        self.g.n = 900000      # fresh names for replacement closures

    def srcs(self, forms):
        p = {"seed": self.prog["seed"], "forms": forms}
        return gen.emit_omni(p), gen.emit_scheme(p, self.prelude)

    def test(self, forms):
        return self.oracle.interesting(*self.srcs(forms))

    def log(self, msg):
        if self.verbose:
            print(msg, file=sys.stderr, flush=True)

    def top_level(self):
        forms = self.prog["forms"]
        before = len(forms)
        forms = ddmin(forms, self.test)
        self.prog["forms"] = forms
        self.log("top level: %d -> %d forms (%d tests)" % (before, len(forms), self.oracle.tests))

    # every (container, index) slot holding an expression node, pre-order
    def slots(self, forms):
        out = []

        def walk(node, holder, key):
            if not isinstance(node, list) or not node or not isinstance(node[0], str):
                return
            k = node[0]
            if k not in gen.SIMPLE_KINDS + ("call", "app", "if", "when", "do", "let", "nlet",
                                            "fn", "set", "arr", "dict", "and", "or"):
                return
            out.append((holder, key))
            for child_holder, child_key in children(node):
                walk(child_holder[child_key], child_holder, child_key)

        def children(node):
            k = node[0]
            res = []
            if k in ("call",):
                res += [(node[3], i) for i in range(len(node[3]))]
            elif k == "app":
                res.append((node, 2))
                res += [(node[3], i) for i in range(len(node[3]))]
            elif k == "if":
                res += [(node, 2), (node, 3), (node, 4)]
            elif k == "when":
                res.append((node, 2))
                res += [(node[3], i) for i in range(len(node[3]))]
            elif k == "do":
                res += [(node[2], i) for i in range(len(node[2]))]
            elif k == "let":
                res += [(b, 1) for b in node[2]]
                res += [(node[3], i) for i in range(len(node[3]))]
            elif k == "nlet":
                res += [(b, 1) for b in node[3]]
                res += [(node[4], i) for i in range(len(node[4]))]
            elif k == "fn":
                res += [(node[3], i) for i in range(len(node[3]))]
            elif k == "set":
                res.append((node, 3))
            elif k in ("arr", "dict", "and", "or"):
                res += [(node[2], i) for i in range(len(node[2]))]
            return res

        for f in forms:
            if f[0] == "define":
                walk(f[2], f, 2)
            elif f[0] == "defn":
                for i in range(len(f[3])):
                    walk(f[3][i], f[3], i)
            else:
                walk(f[1], f, 1)
        return out

    def candidates(self, node):
        """Smaller replacements for node (same type), best first."""
        k, t = node[0], tuplify(node[1])
        out = []
        # a loop's step (+ iN 1) and the branch that recurs must stay, or
        # the candidate loops forever
        if k == "call" and node[2] == "+" and len(node[3]) == 2 and node[3][0][0] == "var" \
                and re.match(r"i\d+$", node[3][0][2]) and node[3][1][:1] == ["int"]:
            return []
        if k == "if" and re.search(r"'(lp\d+)'", str(node[3])):
            return [] if t == gen.UNIT else [self.g.simple(t), node[4]]
        if t != gen.UNIT and t != ("Char",) and t != ("Key",) and k not in gen.SIMPLE_KINDS:
            try:
                out.append(self.g.simple(t))
            except (ValueError, TypeError, AttributeError):
                pass
        if k == "if":
            out += [node[3], node[4]]
        if k == "let":
            out.append(node[3][-1])
        if k == "do":
            out.append(node[2][-1])
        if k in ("call", "app"):
            for a in node[3]:
                if tuplify(a[1]) == t:
                    out.append(a)
        return out

    def body_lists(self, forms):
        """Lists of body forms whose non-last elements may be dropped."""
        out = []

        def walk(x):
            if isinstance(x, list):
                if x and x[0] in ("do", "fn") and isinstance(x[-1], list):
                    out.append(x[2] if x[0] == "do" else x[3])
                elif x and x[0] == "let":
                    out.append(x[3])
                elif x and x[0] == "when":
                    out.append(x[3])
                elif x and x[0] == "nlet":
                    out.append(x[4])
                for y in x:
                    walk(y)
        for f in forms:
            if f[0] == "defn":
                out.append(f[3])
            walk(f)
        return out

    def inner(self):
        changed = True
        rounds = 0
        while changed and rounds < 6:
            changed = False
            rounds += 1
            # drop body statements
            i = 0
            while True:
                bls = self.body_lists(self.prog["forms"])
                if i >= len(bls):
                    break
                bl = bls[i]
                j = 0
                while j < len(bl) - 1:
                    saved = bl[j]
                    del bl[j]
                    if self.test(self.prog["forms"]):
                        changed = True
                        self.log("dropped a statement (%d tests)" % self.oracle.tests)
                    else:
                        bl.insert(j, saved)
                        j += 1
                i += 1
            # replace expressions
            idx = 0
            while True:
                sl = self.slots(self.prog["forms"])
                if idx >= len(sl):
                    break
                holder, key = sl[idx]
                node = holder[key]
                for cand in self.candidates(node):
                    if cand == node:
                        continue
                    holder[key] = copy.deepcopy(cand)
                    if self.test(self.prog["forms"]):
                        changed = True
                        self.log("replaced a %s (%d tests)" % (node[0], self.oracle.tests))
                        break
                    holder[key] = node
                idx += 1
            before = len(self.prog["forms"])
            self.prog["forms"] = ddmin(self.prog["forms"], self.test)
            if len(self.prog["forms"]) < before:
                changed = True


# ---- text mode: top-level forms of an .omni and an .ss file
def split_forms(text):
    """Top-level s-expressions of text (comments dropped)."""
    forms, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c == ";":
            while i < n and text[i] != "\n":
                i += 1
            continue
        start, depth = i, 0
        while i < n:
            c = text[i]
            if c == '"':
                i += 1
                while i < n and text[i] != '"':
                    i += 2 if text[i] == "\\" else 1
            elif c == ";":
                while i < n and text[i] != "\n":
                    i += 1
                continue
            elif c == "#" and i + 1 < n and text[i + 1] == "\\":
                i += 3
                continue
            elif c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
                if depth == 0:
                    i += 1
                    break
            elif depth == 0 and c.isspace():
                break
            i += 1
        forms.append(text[start:i])
    return forms


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*", help="FILE.json, or FILE.omni FILE.ss")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--out", help="output prefix (default /tmp/omni-fuzz-min/<name>)")
    ap.add_argument("--build", default=os.path.join(REPO, "build-asan"))
    ap.add_argument("--tools", default="jit,llc", help="tools tried for the first failure")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--llc-opt", default="-O2")
    ap.add_argument("--jit-opt", default="-O2")
    ap.add_argument("--target", help="failure to keep, TOOL:KIND (e.g. jit:mismatch); default: the first")
    ap.add_argument("--avoid", default="", help="as run.py --avoid (with --seed)")
    ap.add_argument("--small", action="store_true", help="as run.py --small (with --seed)")
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args()

    scheme = run.find_scheme()
    if not scheme:
        sys.exit("minimize.py: Chez Scheme is not installed")
    with open(os.path.join(HERE, "prelude.ss")) as fh:
        prelude = fh.read()
    oracle = Oracle(a, scheme)
    prog = None
    gen.AVOID.update(x for x in a.avoid.split(",") if x)
    if a.small:
        gen.SMALL = True
    if a.seed is not None:
        prog = gen.generate(a.seed)
        name = "seed%d" % a.seed
    elif len(a.files) == 1 and a.files[0].endswith(".json"):
        with open(a.files[0]) as f:
            prog = json.load(f)
        name = os.path.splitext(os.path.basename(a.files[0]))[0]
    elif len(a.files) == 2:
        name = os.path.splitext(os.path.basename(a.files[0]))[0]
    else:
        ap.error("give --seed N, a .json file, or an .omni and an .ss file")
    out = a.out or os.path.join("/tmp/omni-fuzz-min", name)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)

    if prog is not None:
        omni_src, ss_src = gen.emit_omni(prog), gen.emit_scheme(prog, prelude)
    else:
        with open(a.files[0]) as f:
            omni_src = f.read()
        with open(a.files[1]) as f:
            ss_src = f.read()

    tools = [t for t in a.tools.split(",") if t]
    ok, fails = oracle.failures(omni_src, ss_src, tools)
    if not ok:
        sys.exit("minimize.py: Chez fails on this program (a generator bug): " + fails[0][2])
    if not fails:
        sys.exit("minimize.py: the program does not fail")
    if a.target:
        tool, kind = a.target.split(":", 1)
        if not any((t, s) == (tool, kind) for t, s, _, _ in fails):
            sys.exit("minimize.py: no failure %s; it shows: %s" % (
                a.target, ", ".join("%s:%s" % (t, s) for t, s, _, _ in fails)))
        oracle.target = (tool, kind)
    else:
        oracle.target = (fails[0][0], fails[0][1])
    if not a.quiet:
        print("keeping failure: %s %s (%s)" % (oracle.target[0], oracle.target[1],
                                              [d for t, s, d, _ in fails if (t, s) == oracle.target][0]),
              file=sys.stderr)

    if prog is not None:
        red = AstReducer(prog, oracle, prelude, not a.quiet)
        red.top_level()
        red.inner()
        omni_src, ss_src = red.srcs(red.prog["forms"])
        with open(out + ".json", "w") as f:
            json.dump(red.prog, f)
    else:
        oforms = split_forms(omni_src)
        marker = gen.PRELUDE_END
        if marker not in ss_src:
            sys.exit("minimize.py: %s lacks the line %r" % (a.files[1], marker))
        pre, body = ss_src.split(marker, 1)
        sforms = split_forms(body)
        tail = [f for f in sforms if f.startswith("(flush-output-port")]
        sforms = [f for f in sforms if not f.startswith("(flush-output-port")]
        if len(oforms) != len(sforms):
            sys.exit("minimize.py: %d OmniLisp forms but %d Scheme forms" % (len(oforms), len(sforms)))
        header = "; reduced by test/fuzz/minimize.py\n"

        def mk(idx):
            return (header + "\n".join(oforms[i] for i in idx) + "\n",
                    pre + marker + "\n" + "\n".join([sforms[i] for i in idx] + tail) + "\n")

        idx = ddmin(list(range(len(oforms))), lambda ix: oracle.interesting(*mk(ix)))
        omni_src, ss_src = mk(idx)
    with open(out + ".omni", "w") as f:
        f.write(omni_src)
    with open(out + ".ss", "w") as f:
        f.write(ss_src)
    shutil.rmtree(oracle.tmp, ignore_errors=True)
    if not a.quiet:
        print("%d tests; wrote %s.omni and %s.ss" % (oracle.tests, out, out), file=sys.stderr)
    sys.stdout.write(omni_src)
    return 0


if __name__ == "__main__":
    sys.exit(main())
