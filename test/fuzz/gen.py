#!/usr/bin/env python3
"""gen.py -- random differential-test programs for OmniLisp.

Given a seed, deterministically builds one random, well-typed program as a
small neutral AST and prints it both as OmniLisp (.omni) and as R6RS Scheme
for Chez (.ss, after prelude.ss), so that both print the same output.

    gen.py SEED                  # the OmniLisp program on stdout
    gen.py SEED --scheme         # the Scheme program (prelude included)
    gen.py SEED --out DIR        # writes DIR/SEED.omni, DIR/SEED.ss, DIR/SEED.json

The .json file holds the AST (with types), which minimize.py reduces.

Programs stress CTRR region placement: values flow through 1-3 call levels,
closures are returned and stored, parameters are stored (as is, consed,
closed over) into globals / arrays / dicts / atoms, named lets carry lists
and arrays, mutable objects are aliased, and every store is separated from
its read by allocation churn so that a dangling pointer reads overwritten
memory.  Everything is well-typed by construction (a small type system:
Int Float Str Bool List[T] Arr[T] Dict[T] Atom[T] Fn[T] = Int -> T) and
bounded (ints stored anywhere are reduced with rem, strings are capped, loops
have small literal bounds, closures stored anywhere never call closures), so
no program raises an error or runs long.
"""
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- types
INT, FLT, STR, BOOL, UNIT = ("Int",), ("Float",), ("Str",), ("Bool",), ("Unit",)


def List(t): return ("List", t)
def Arr(t): return ("Arr", t)
def Dict(t): return ("Dict", t)
def Atom(t): return ("Atom", t)
def Fn(t): return ("Fn", t)


def tstr(t):
    return t[0] if len(t) == 1 else "%s[%s]" % (t[0], tstr(t[1]))


def has_fn(t):
    return t[0] == "Fn" or (len(t) == 2 and has_fn(t[1]))


def is_mutable(t):
    return t[0] in ("Arr", "Dict", "Atom")


def is_plain(t):
    """equal? is the same in both languages on these."""
    return t in (INT, STR) or (t[0] == "List" and is_plain(t[1]))


def to_json_type(t):
    return [t[0]] + ([to_json_type(t[1])] if len(t) == 2 else [])


def from_json_type(j):
    return (j[0],) + ((from_json_type(j[1]),) if len(j) == 2 else ())

# ---------------------------------------------------------------- AST
# A node is a list [kind, type, ...]:
#   ["int", T, n] ["flt", T, x] ["str", T, s] ["bool", T, b] ["nil", T]
#   ["key", T, name]            a symbol (dict key) :name / 'name
#   ["var", T, name]
#   ["call", T, fname, [args]]  built-in (OmniLisp name) or user function
#   ["app", T, fexpr, [args]]   call of a closure value
#   ["if", T, c, a, b]  ["when", T, c, [body]]  ["do", T, [body]]
#   ["let", T, [[name, e]...], [body]]     parallel let (unique names)
#   ["nlet", T, loop, [[name, e]...], [body]]
#   ["fn", T, [params], [body]]
#   ["set", T, name, e]
#   ["arr", T, [elems], literal?]   ["dict", T, [k, v, ...], literal?]
#   ["and"/"or", T, [args]]
# Top-level forms: ["define", name, e]  ["defn", name, [params], [body]]
#   ["expr", e]

SIMPLE_KINDS = ("int", "flt", "str", "bool", "nil", "key", "var")

KEYS = [("int", 0), ("int", 1), ("int", 2), ("int", 3), ("key", "a"), ("key", "b"),
        ("key", "c"), ("str", "k1"), ("str", "k2")]

STRS = ["", "a", "bc", "xyz", "hello", "q r", "omni", "Z9"]

# OmniLisp built-in -> Scheme (prelude or R6RS) name; absent: same name
SCHEME_NAMES = {
    "rem": "remainder", "mod": "modulo", "quot": "quotient",
    "length": "o-length", "get": "o-get", "put!": "o-put!", "push!": "o-push!",
    "pop!": "o-pop!", "remove!": "o-remove!", "has?": "o-has?", "keys": "o-keys",
    "values": "o-values", "map": "o-map", "filter": "o-filter", "foldl": "o-foldl",
    "for-each": "o-for-each", "range": "o-range", "make-array": "o-make-array",
    "array": "o-array", "dict": "o-dict", "atom": "o-atom", "deref": "o-deref",
    "reset!": "o-reset!", "swap!": "o-swap!", "compare-and-set!": "o-compare-and-set!",
    "str": "o-str", "println": "o-println", "number->string": "o-number->string",
    "float": "inexact", "int": "o-int", "sqrt": "o-sqrt", "ceil": "ceiling",
    "array->list": "o-array->list", "list->array": "o-list->array",
    "string-join": "o-string-join",
    "+": "o-+", "-": "o--", "*": "o-*", "/": "o-/", "round": "o-round",
}

MOD = 10007   # ints stored anywhere are reduced modulo this

# Shapes of known, not yet fixed bugs that a campaign can leave out to find
# other ones (run.py --avoid, or env OMNI_FUZZ_AVOID=a,b):
#   wrap-param  a function's parameter captured by a closure, or consed /
#               listed / put in an atom, in a value stored into a global
#               place (test/fuzz/found/param_wrapped_store.omni)
AVOID = set(x for x in os.environ.get("OMNI_FUZZ_AVOID", "").split(",") if x)
# SMALL (run.py --small, env OMNI_FUZZ_SMALL=1): 10-24 statements of shallow
# expressions, about 60% of the compile time (ctest's budget)
SMALL = os.environ.get("OMNI_FUZZ_SMALL", "") not in ("", "0")


def N(kind, t, *rest):
    return [kind, t] + list(rest)


def lit_int(n): return N("int", INT, n)
def lit_str(s): return N("str", STR, s)


def call(t, f, *args): return N("call", t, f, list(args))

# ---------------------------------------------------------------- emitters


def fmt_float(x):
    r = repr(float(x))
    return r


def omni_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Emitter:
    """Renders the AST as OmniLisp (scheme=False) or Scheme (scheme=True)."""

    def __init__(self, scheme):
        self.scheme = scheme
        self.tmp = 0

    def body(self, forms, ind):
        out = []
        for i, f in enumerate(forms):
            out.append(self.expr(f, ind, first_in_body=(i == 0)))
        return out

    def join_body(self, head, forms, ind):
        parts = self.body(forms, ind + 1)
        one = head + " " + " ".join(parts) + ")"
        if len(one) < 100 and "\n" not in one:
            return one
        pad = "\n" + " " * (ind + 1)
        return head + pad + pad.join(parts) + ")"

    def expr(self, n, ind=0, first_in_body=False):
        k = n[0]
        sc = self.scheme
        if k == "int":
            return str(n[2])
        if k == "flt":
            return fmt_float(n[2])
        if k == "str":
            return omni_str(n[2])
        if k == "bool":
            return ("#t" if n[2] else "#f") if sc else ("true" if n[2] else "false")
        if k == "nil":
            return "'()" if sc else "()"
        if k == "key":
            return ("'" if sc else ":") + n[2]
        if k == "var":
            return n[2]
        if k in ("call", "app", "arr", "dict"):
            if k == "call":
                head = SCHEME_NAMES.get(n[2], n[2]) if sc else n[2]
                args = n[3]
            elif k == "app":
                head, args = None, [n[2]] + n[3]
            elif k == "arr":
                head, args = ("o-array" if sc or not n[3] or first_in_body else None), n[2]
                if head is None:
                    return "[" + " ".join(self.expr(a, ind + 1) for a in args) + "]"
                if not sc:
                    head = "array"
            else:
                head, args = ("o-dict" if sc else (None if n[3] else "dict")), n[2]
                if head is None:
                    return "#{" + " ".join(self.expr(a, ind + 1) for a in args) + "}"
            return self.application(head, args, ind)
        if k == "if":
            return self.join_body("(if " + self.expr(n[2], ind + 4), [n[3], n[4]], ind)
        if k == "when":
            return self.join_body("(when " + self.expr(n[2], ind + 6), n[3], ind)
        if k == "do":
            return self.join_body("(begin" if sc else "(do", n[2], ind)
        if k in ("and", "or"):
            return "(" + k + " " + " ".join(self.expr(a, ind + 4) for a in n[2]) + ")"
        if k == "set":
            return "(set! %s %s)" % (n[2], self.expr(n[3], ind + 6))
        if k == "let":
            if sc:
                b = " ".join("(%s %s)" % (nm, self.expr(e, ind + 8)) for nm, e in n[2])
                return self.join_body("(let* (" + b + ")", n[3], ind)
            b = " ".join("[%s %s]" % (nm, self.expr(e, ind + 6)) for nm, e in n[2])
            return self.join_body("(let " + b, n[3], ind)
        if k == "nlet":
            loop, binds, body = n[2], n[3], n[4]
            if sc:
                # Scheme evaluates named-let inits in any order: fix it.  A
                # variable read stays in place only when no init is complex:
                # a complex init may set! that variable (seed 7959), so then
                # every non-literal init is bound in order.
                names = []
                pre = []
                lits = SIMPLE_KINDS[:6]
                any_complex = any(e[0] not in SIMPLE_KINDS for nm, e in binds)
                for nm, e in binds:
                    if e[0] in lits or (e[0] == "var" and not any_complex):
                        names.append((nm, self.expr(e, ind)))
                    else:
                        self.tmp += 1
                        t = "tmp%d" % self.tmp
                        pre.append("(%s %s)" % (t, self.expr(e, ind + 8)))
                        names.append((nm, t))
                b = " ".join("(%s %s)" % (nm, v) for nm, v in names)
                inner = self.join_body("(let %s (%s)" % (loop, b), body, ind)
                if pre:
                    return "(let* (%s)\n%s%s)" % (" ".join(pre), " " * (ind + 1), inner)
                return inner
            b = " ".join("[%s %s]" % (nm, self.expr(e, ind + 6)) for nm, e in binds)
            return self.join_body("(let %s %s" % (loop, b), body, ind)
        if k == "fn":
            ps = " ".join(n[2])
            if sc:
                return self.join_body("(lambda (%s)" % ps, n[3], ind)
            return self.join_body("(fn [%s]" % ps, n[3], ind)
        raise ValueError("unknown node " + k)

    def application(self, head, args, ind):
        """(head args...), or for an app node (args[0] args[1:]...).  Scheme
        evaluates operands in an unspecified order; OmniLisp left to right:
        when that could matter, bind them in order with let*."""
        sc = self.scheme
        parts = [self.expr(a, ind + 2) for a in args]
        if sc:
            nonlit = [i for i, a in enumerate(args) if a[0] not in SIMPLE_KINDS[:6] and a[0] != "fn"]
            complex_ = [i for i in nonlit if args[i][0] != "var"]
            if complex_ and len(nonlit) >= 2:
                pre = []
                for i in nonlit:
                    self.tmp += 1
                    t = "tmp%d" % self.tmp
                    pre.append("(%s %s)" % (t, parts[i]))
                    parts[i] = t
                inner = "(" + " ".join(([head] if head else []) + parts) + ")"
                return "(let* (" + " ".join(pre) + ") " + inner + ")"
        return "(" + " ".join(([head] if head else []) + parts) + ")"

    def top(self, f):
        k = f[0]
        if k == "define":
            return "(define %s %s)" % (f[1], self.expr(f[2], 2))
        if k == "defn":
            return self.join_body("(define (%s)" % " ".join([f[1]] + f[2]), f[3], 0)
        if k == "expr":
            return self.expr(f[1], 0)
        raise ValueError(k)


def emit_omni(prog):
    e = Emitter(False)
    lines = ["; OmniLisp fuzz program, seed %s (test/fuzz/gen.py)" % prog["seed"]]
    for f in prog["forms"]:
        lines.append(e.top(f))
    return "\n".join(lines) + "\n"


PRELUDE_END = ";;; ---- program ----"


def emit_scheme(prog, prelude=None):
    if prelude is None:
        with open(os.path.join(HERE, "prelude.ss")) as fh:
            prelude = fh.read()
    e = Emitter(True)
    lines = [prelude.rstrip("\n"), PRELUDE_END]
    for f in prog["forms"]:
        lines.append(e.top(f))
    lines.append("(flush-output-port (current-output-port))")
    return "\n".join(lines) + "\n"

# ---------------------------------------------------------------- generator


class Ctx:
    def __init__(self, env=(), can_call=True, loop=False, fnlit=False, depth=3,
                 captured=()):
        self.env = list(env)          # [(name, type, settable)]
        self.can_call = can_call      # may call closure values / dynamic functions
        self.loop = loop              # inside a loop, lambda or closure: no churn
        self.fnlit = fnlit            # inside a stored closure's body
        self.depth = depth
        self.captured = list(captured)

    def sub(self, **kw):
        c = Ctx(self.env, self.can_call, self.loop, self.fnlit, self.depth, self.captured)
        for k, v in kw.items():
            setattr(c, k, v)
        return c

    def down(self):
        return self.sub(depth=self.depth - 1)

    def bind(self, name, t, settable=True):
        c = self.sub()
        c.env = self.env + [(name, t, settable)]
        return c


class Func:
    def __init__(self, name, ptypes, rtype, dynamic, heavy):
        self.name, self.ptypes, self.rtype = name, ptypes, rtype
        self.dynamic, self.heavy = dynamic, heavy


class Gen:
    def __init__(self, seed):
        self.seed = seed
        self.r = random.Random(seed)
        self.n = 0
        self.globals = []       # [(name, type)]
        self.funcs = []         # [Func]
        self.forms = []
        # size knob: most programs use shallow expressions (compiling is
        # the expensive part of a run), some deeper ones
        self.D = 1 if self.r.random() < 0.6 else 2
        if SMALL:
            self.D = 1

    # ------------------------------------------------ helpers
    def name(self, p):
        self.n += 1
        return "%s%d" % (p, self.n)

    def chance(self, p):
        return self.r.random() < p

    def pick(self, xs):
        return self.r.choice(xs)

    def wpick(self, pairs):
        tot = sum(w for w, _ in pairs)
        x = self.r.random() * tot
        for w, v in pairs:
            x -= w
            if x < 0:
                return v
        return pairs[-1][1]

    def rand_type(self, depth=2, allow_fn=True):
        base = [(6, INT), (2, FLT), (3, STR)]
        if depth <= 0:
            return self.wpick(base)
        ctor = [(5, "List"), (4, "Arr"), (2, "Dict"), (2, "Atom")]
        if allow_fn:
            ctor.append((3, "Fn"))
        c = self.wpick(base + [(w, c) for w, c in ctor])
        if isinstance(c, tuple):
            return c
        inner = self.rand_type(depth - 1, allow_fn)
        return (c, inner)

    def rand_mut_type(self):
        return (self.pick(["Arr", "Arr", "Dict", "Atom"]), self.rand_type(1))

    def vars_of(self, ctx, t, settable=False):
        vs = [(n, tt) for n, tt, s in ctx.env if tt == t and (s or not settable)]
        vs += [(n, tt) for n, tt in self.globals if tt == t]
        return [n for n, _ in vs]

    def key(self):
        k, v = self.pick(KEYS)
        return N(k, STR if k == "str" else (INT if k == "int" else ("Key",)), v)

    # ------------------------------------------------ leaves
    def lit(self, t):
        r = self.r
        if t == INT:
            return lit_int(self.pick([0, 1, 2, 3, 5, 7, 8, 9, 10, 42, -1, -3, 100, 255]))
        if t == FLT:
            return N("flt", FLT, self.pick([0.5, 1.5, 2.0, -0.25, 3.75, 0.1, 10.0, -2.5,
                                            1e-05, 123.125, 1e16, 0.2]))
        if t == STR:
            return lit_str(self.pick(STRS))
        if t == BOOL:
            return N("bool", BOOL, r.random() < 0.5)
        return self.simple(t)

    def simple(self, t):
        """A small constant-like expression of type t (also the minimizer's
        replacement for any expression of type t)."""
        if t in (INT, FLT, STR, BOOL):
            return {INT: lit_int(0), FLT: N("flt", FLT, 0.5), STR: lit_str("s"),
                    BOOL: N("bool", BOOL, False)}[t]
        c, u = t
        if c == "List":
            return N("nil", t)
        if c == "Arr":
            return N("arr", t, [], False)
        if c == "Dict":
            return N("dict", t, [], False)
        if c == "Atom":
            return call(t, "atom", self.simple(u))
        if c == "Fn":
            return N("fn", t, [self.name("x")], [self.simple(u)])
        if t == UNIT:
            return lit_int(0)
        raise ValueError(t)

    # ------------------------------------------------ bounded stores
    def cap(self, e, t, ctx):
        """Keeps a value that is stored (and may feed back into itself) small."""
        if t == INT:
            return call(INT, "rem", e, lit_int(MOD))
        if t == FLT:
            v = self.name("c")
            return N("let", FLT, [[v, e]], [N("if", FLT, call(BOOL, "<", call(FLT, "abs", N("var", FLT, v)), N("flt", FLT, 1e6)),
                                               N("var", FLT, v), N("flt", FLT, 0.5))])
        return e

    def cap_str(self, e):
        v = self.name("s")
        ve = N("var", STR, v)
        return N("let", STR, [[v, e]],
                 [N("if", STR, call(BOOL, ">", call(INT, "length", ve), lit_int(24)),
                    call(STR, "substring", ve, lit_int(0), lit_int(24)), ve)])

    # ------------------------------------------------ expressions
    def expr(self, t, ctx, fresh=False):
        """An expression of type t.  fresh: prefer building a new object."""
        if ctx.depth <= 0:
            vs = self.vars_of(ctx, t)
            if vs and not fresh and self.chance(0.7):
                return N("var", t, self.pick(vs))
            return self.lit(t) if t in (INT, FLT, STR, BOOL) else self.ctor(t, ctx)
        opts = []
        vs = self.vars_of(ctx, t)
        if vs:
            opts.append((1 if fresh else 8, "var"))
        opts.append((3 if t in (INT, FLT, STR, BOOL) else 0, "lit"))
        opts.append((6 if fresh else 3, "ctor"))
        opts.append((2, "if"))
        opts.append((2, "let"))
        opts.append((1, "do"))
        opts.append((2, "fetch"))
        if self.callable_funcs(ctx, t):
            opts.append((4, "callf"))
        if ctx.can_call and self.fn_sources(ctx, t):
            opts.append((3, "app"))
        opts.append((1 if t[0] not in ("List", "Arr", INT[0]) else 2, "loop"))
        if t[0] == "Arr" or t[0] == "List":
            opts.append((1, "pop"))
        kind = self.wpick(opts)
        d = ctx.down()
        if kind == "var":
            return N("var", t, self.pick(vs))
        if kind == "lit":
            return self.lit(t)
        if kind == "ctor":
            return self.ctor(t, d)
        if kind == "if":
            return N("if", t, self.cond(d), self.expr(t, d, fresh), self.expr(t, d, fresh))
        if kind == "let":
            return self.let_expr(t, d, fresh)
        if kind == "do":
            stmts = [self.stmt(d) for _ in range(self.r.randint(1, 2))]
            return N("do", t, stmts + [self.expr(t, d, fresh)])
        if kind == "fetch":
            return self.fetch(t, d)
        if kind == "callf":
            return self.callf(self.pick(self.callable_funcs(ctx, t)), d)
        if kind == "app":
            f = self.pick(self.fn_sources(ctx, t))(d)
            return N("app", t, f, [self.expr(INT, d)])
        if kind == "loop":
            return self.loop_expr(t, d)
        if kind == "pop":
            return self.pop_expr(t, d)
        raise AssertionError(kind)

    def callable_funcs(self, ctx, t):
        return [f for f in self.funcs if f.rtype == t and (ctx.can_call or not f.dynamic)
                and not (ctx.loop and f.heavy)]

    def callf(self, f, ctx):
        return call(f.rtype, f.name, *[self.expr(pt, ctx, fresh=self.chance(0.5)) for pt in f.ptypes])

    def fn_sources(self, ctx, t):
        """Ways of getting a closure of type Fn[t] (each a function of ctx)."""
        ft = Fn(t)
        out = []
        if self.vars_of(ctx, ft):
            out.append(lambda c: N("var", ft, self.pick(self.vars_of(c, ft))))
        for ct in (Arr(ft), Dict(ft), Atom(ft), List(ft)):
            if self.vars_of(ctx, ct):
                out.append(lambda c, ct=ct: self.fetch_from(N("var", ct, self.pick(self.vars_of(c, ct))), ft, c))
        if ft in [f.rtype for f in self.funcs]:
            out.append(lambda c: self.callf(self.pick(self.callable_funcs(c, ft)), c)
                       if self.callable_funcs(c, ft) else self.ctor(ft, c))
        out.append(lambda c: self.ctor(ft, c))
        return out

    def fetch(self, t, ctx):
        """Read a t out of some container (existing if possible)."""
        ct = self.pick([Arr(t), Dict(t), Atom(t), List(t)])
        src = self.expr(ct, ctx)
        return self.fetch_from(src, t, ctx)

    def fetch_from(self, src, t, ctx):
        ct = src[1]
        if ct[0] == "Arr":
            return call(t, "get", src, self.index(ctx), self.expr(t, ctx.down()))
        if ct[0] == "Dict":
            return call(t, "get", src, self.key(), self.expr(t, ctx.down()))
        if ct[0] == "Atom":
            return call(t, "deref", src)
        # list: first element or a default
        v = self.name("l")
        ve = N("var", ct, v)
        return N("let", t, [[v, src]], [N("if", t, call(BOOL, "null?", ve), self.expr(t, ctx.down()),
                                          call(t, "car", ve))])

    def index(self, ctx):
        if self.chance(0.6):
            return lit_int(self.pick([0, 0, 1, 2, 3]))
        return call(INT, "mod", self.expr(INT, ctx.down()), lit_int(self.pick([2, 3, 5])))

    def seq_arg(self, e):
        """map/filter/foldl over an array that the called function could
        mutate: iterate over a snapshot (array->list), as the prelude does."""
        if e[1][0] == "Arr" and e[0] != "arr" and not (e[0] == "call" and e[2] == "make-array"):
            return call(List(e[1][1]), "array->list", e)
        return e

    def pop_expr(self, t, ctx):
        v = self.name("a")
        at = Arr(t)
        ve = N("var", at, v)
        return N("let", t, [[v, self.expr(at, ctx)]],
                 [N("if", t, call(BOOL, ">", call(INT, "length", ve), lit_int(0)),
                    call(t, "pop!", ve), self.expr(t, ctx.down()))])

    def let_expr(self, t, ctx, fresh):
        binds = []
        c = ctx
        for _ in range(self.r.randint(1, 2)):
            bt = self.rand_type(1)
            nm = self.name("v")
            binds.append([nm, self.expr(bt, ctx, fresh=self.chance(0.5))])
            c = c.bind(nm, bt)
        body = []
        if self.chance(0.4):
            body.append(self.stmt(c))
        if not ctx.loop and self.chance(0.15):
            body.append(self.churn())
        body.append(self.expr(t, c, fresh))
        return N("let", t, binds, body)

    def ctor(self, t, ctx):
        """A new object of type t built from sub-expressions."""
        r = self.r
        if t == INT:
            return self.int_op(ctx)
        if t == FLT:
            return self.float_op(ctx)
        if t == STR:
            return self.str_op(ctx)
        if t == BOOL:
            return self.cond(ctx)
        c, u = t
        d = ctx.down() if ctx.depth > 0 else ctx
        leaf = ctx.depth <= 0
        if c == "List":
            ch = self.wpick([(4, "list"), (3, "cons"), (1, "nil"), (1 if leaf else 2, "map"),
                             (0 if leaf else 1, "filter"), (1, "rev"), (1, "append"),
                             (1, "a2l"), (1 if u == INT else 0, "range"),
                             (1 if not leaf else 0, "values"), (1 if not leaf else 0, "cdr")])
            if ch == "list" or leaf and ch in ("map", "filter", "rev", "append", "a2l", "values", "cdr"):
                return call(t, "list", *[self.expr(u, d, fresh=True) for _ in range(r.randint(1, 3))])
            if ch == "cons":
                return call(t, "cons", self.expr(u, d, fresh=True), self.expr(t, d))
            if ch == "nil":
                return N("nil", t)
            if ch == "map":
                st = self.rand_type(1)
                x = self.name("x")
                seq = self.seq_arg(self.expr(self.pick([List(st), Arr(st)]), d))
                lam = N("fn", Fn(u), [x], [self.expr(u, d.bind(x, st).sub(loop=True), fresh=True)])
                return call(t, "map", lam, seq)
            if ch == "filter":
                x = self.name("x")
                lam = N("fn", Fn(BOOL), [x], [self.cond(d.bind(x, u).sub(loop=True))])
                return call(t, "filter", lam, self.seq_arg(self.expr(self.pick([t, Arr(u)]), d)))
            if ch == "rev":
                return call(t, "reverse", self.expr(t, d))
            if ch == "append":
                return call(t, "append", call(t, "list", self.expr(u, d, fresh=True)), self.expr(t, d))
            if ch == "a2l":
                return call(t, "array->list", self.expr(Arr(u), d))
            if ch == "range":
                return call(t, "range", call(INT, "mod", self.expr(INT, d), lit_int(self.pick([4, 7, 12]))))
            if ch == "values":
                return call(t, "values", self.expr(Dict(u), d))
            # cdr, guarded
            v = self.name("l")
            ve = N("var", t, v)
            return N("let", t, [[v, self.expr(t, d)]], [N("if", t, call(BOOL, "null?", ve), N("nil", t), call(t, "cdr", ve))])
        if c == "Arr":
            ch = self.wpick([(4, "lit"), (2, "make"), (1 if not leaf else 0, "l2a")])
            if ch == "lit":
                return N("arr", t, [self.expr(u, d, fresh=True) for _ in range(r.randint(0, 3))], self.chance(0.6))
            if ch == "make":
                return call(t, "make-array", lit_int(r.randint(0, 3)), self.expr(u, d, fresh=True))
            return call(t, "list->array", self.expr(List(u), d))
        if c == "Dict":
            ks = r.sample(KEYS, r.randint(0, 3))
            items = []
            for k, v in ks:
                items.append(N(k, STR if k == "str" else (INT if k == "int" else ("Key",)), v))
                items.append(self.expr(u, d, fresh=True))
            return N("dict", t, items, self.chance(0.6))
        if c == "Atom":
            return call(t, "atom", self.expr(u, d, fresh=True))
        if c == "Fn":
            return self.closure(u, ctx)
        raise AssertionError(t)

    def closure(self, u, ctx, use=None):
        """(fn [x] body): the body may set! captured variables, never calls a
        closure (so stored closures cannot recurse), and allocates nothing big."""
        x = self.name("x")
        if "wrap-param" in AVOID:
            ctx = self.no_params(ctx)
        inner = ctx.bind(x, INT).sub(can_call=False, loop=True, fnlit=True,
                                     captured=[n for n, tt, s in ctx.env if s],
                                     depth=max(1, min(ctx.depth, 2)))
        body = []
        if self.chance(0.4):
            cap = [(n, tt) for n, tt, s in ctx.env if s]
            if cap and self.chance(0.7):
                n, tt = self.pick(cap)
                body.append(N("set", UNIT, n, self.cap(self.expr(tt, inner.bind(n, tt)), tt, inner)))
            else:
                body.append(self.stmt(inner))
        body.append(self.expr(u, inner, fresh=self.chance(0.5)))
        if use is not None and u == INT:
            body[-1] = call(INT, "+", body[-1], use)
        return N("fn", Fn(u), [x], body)

    def no_params(self, ctx):
        """ctx without the enclosing function's parameters (AVOID wrap-param)."""
        c = ctx.sub()
        c.env = [e for e in ctx.env if not (e[0][0] == "p" and e[0][1:].isdigit())]
        return c

    def int_op(self, ctx):
        d = ctx.down() if ctx.depth > 0 else ctx
        ch = self.wpick([(3, "+"), (2, "-"), (1, "*"), (3, "len"), (1, "fold"), (1, "quot"),
                         (1, "strlen"), (1, "has"), (1, "max"), (1, "intf")])
        if ch == "+":
            return call(INT, "+", self.expr(INT, d), self.expr(INT, d))
        if ch == "-":
            return call(INT, "-", self.expr(INT, d), self.expr(INT, d))
        if ch == "*":
            return call(INT, "rem", call(INT, "*", self.expr(INT, d), self.expr(INT, d)), lit_int(997))
        if ch == "len":
            st = self.pick([List(self.rand_type(1)), Arr(self.rand_type(1)), Dict(self.rand_type(1)), STR])
            return call(INT, "length", self.expr(st, d))
        if ch == "fold":
            a, x = self.name("acc"), self.name("x")
            seq = self.seq_arg(self.expr(self.pick([List(INT), Arr(INT)]), d))
            c2 = d.bind(a, INT, False).bind(x, INT, False).sub(loop=True)
            return call(INT, "foldl", N("fn", Fn(INT), [a, x],
                                        [call(INT, "rem", call(INT, "+", N("var", INT, a), self.expr(INT, c2)), lit_int(MOD))]),
                        lit_int(0), seq)
        if ch == "quot":
            return call(INT, self.pick(["quot", "rem", "mod"]), self.expr(INT, d), lit_int(self.pick([2, 3, -4, 7])))
        if ch == "strlen":
            return call(INT, "length", self.expr(STR, d))
        if ch == "has":
            return N("if", INT, call(BOOL, "has?", self.expr(Dict(self.rand_type(1)), d), self.key()),
                     self.expr(INT, d), self.expr(INT, d))
        if ch == "max":
            return call(INT, self.pick(["max", "min"]), self.expr(INT, d), self.expr(INT, d))
        # int of a bounded float
        return call(INT, "int", self.cap(self.expr(FLT, d), FLT, d))

    def float_op(self, ctx):
        d = ctx.down() if ctx.depth > 0 else ctx
        ch = self.wpick([(3, "+"), (2, "-"), (2, "*k"), (1, "/k"), (2, "float"), (1, "sqrt"),
                         (1, "round"), (1, "max")])
        if ch in ("+", "-"):
            return call(FLT, ch, self.expr(FLT, d), self.expr(FLT, d))
        if ch == "*k":
            return call(FLT, "*", self.expr(FLT, d), N("flt", FLT, self.pick([0.5, 1.5, -2.0, 0.1, 3.0])))
        if ch == "/k":
            return call(FLT, "/", self.expr(FLT, d), N("flt", FLT, self.pick([4.0, 3.0, 0.5, 10.0])))
        if ch == "float":
            return call(FLT, "float", self.expr(INT, d))
        if ch == "sqrt":
            return call(FLT, "sqrt", call(FLT, "abs", self.expr(FLT, d)))
        if ch == "round":
            return call(FLT, self.pick(["floor", "round", "ceil"]), self.expr(FLT, d))
        return call(FLT, self.pick(["max", "min"]), self.expr(FLT, d), self.expr(FLT, d))

    def str_op(self, ctx):
        d = ctx.down() if ctx.depth > 0 else ctx
        ch = self.wpick([(3, "append"), (3, "str"), (1, "numstr"), (1, "sub"), (1, "join"), (1, "ref")])
        if ch == "append":
            return self.cap_str(call(STR, "string-append", self.expr(STR, d), self.expr(STR, d)))
        if ch == "str":
            ts = [self.rand_type(1, allow_fn=False) for _ in range(self.r.randint(1, 3))]
            return self.cap_str(call(STR, "str", *[self.expr(tt, d) for tt in ts]))
        if ch == "numstr":
            return call(STR, "number->string", self.expr(self.pick([INT, FLT]), d))
        if ch == "sub":
            v = self.name("s")
            ve = N("var", STR, v)
            return N("let", STR, [[v, self.expr(STR, d)]],
                     [call(STR, "substring", ve, lit_int(0),
                           call(INT, "min", lit_int(self.pick([1, 2, 3])), call(INT, "length", ve)))])
        if ch == "join":
            return self.cap_str(call(STR, "string-join", self.expr(self.pick([List(INT), List(STR), Arr(INT)]), d),
                                     lit_str(self.pick([",", " ", ""]))))
        v = self.name("s")
        ve = N("var", STR, v)
        return N("let", STR, [[v, self.expr(STR, d)]],
                 [N("if", STR, call(BOOL, ">", call(INT, "length", ve), lit_int(0)),
                    call(STR, "str", call(("Char",), "get", ve, call(INT, "mod", self.expr(INT, d), call(INT, "length", ve)))),
                    lit_str("e"))])

    def cond(self, ctx):
        d = ctx.down() if ctx.depth > 0 else ctx
        opts = [(3, "cmp"), (1, "null"), (1, "not"), (1, "has"), (1, "str="), (1, "andor"),
                (1, "fcmp"), (1, "lit")]
        muts = [v for v in self.globals if is_mutable(v[1])] + [(n, t) for n, t, s in ctx.env if is_mutable(t)]
        if muts:
            opts.append((2, "eq"))
        opts.append((1, "equal"))
        ch = self.wpick(opts)
        if ch == "cmp":
            return call(BOOL, self.pick(["<", ">", "=", "<=", ">="]), self.expr(INT, d), self.expr(INT, d))
        if ch == "null":
            return call(BOOL, "null?", self.expr(List(self.rand_type(1)), d))
        if ch == "not":
            return call(BOOL, "not", self.cond(d))
        if ch == "has":
            return call(BOOL, "has?", self.expr(Dict(self.rand_type(1)), d), self.key())
        if ch == "str=":
            return call(BOOL, self.pick(["string=?", "string<?"]), self.expr(STR, d), self.expr(STR, d))
        if ch == "andor":
            return N(self.pick(["and", "or"]), BOOL, [self.cond(d), self.cond(d)])
        if ch == "fcmp":
            return call(BOOL, self.pick(["<", ">"]), self.expr(FLT, d), self.expr(FLT, d))
        if ch == "lit":
            return N("bool", BOOL, self.chance(0.5))
        if ch == "eq":
            n, t = self.pick(muts)
            return call(BOOL, "eq?", N("var", t, n), self.expr(t, d))
        t = self.pick([INT, STR, List(INT), List(STR), List(List(INT))])
        return call(BOOL, "equal?", self.expr(t, d), self.expr(t, d))

    def loop_expr(self, t, ctx):
        """Named let with a small literal bound; carries lists and arrays."""
        lp, i = self.name("lp"), self.name("i")
        n = lit_int(self.r.randint(0, 8))
        ivar = N("var", INT, i)
        c = ctx.sub(loop=True)
        if t[0] in ("List", "Arr") and self.chance(0.6):
            # carries a list and an array, returns one of them (or their mix)
            u = t[1]
            acc, arr = self.name("acc"), self.name("arr")
            lt, at = List(u), Arr(u)
            cb = c.bind(i, INT, False).bind(acc, lt).bind(arr, at)
            push = call(UNIT, "push!", N("var", at, arr), self.expr(u, cb, fresh=True))
            step = N("call", UNIT, lp, [call(INT, "+", ivar, lit_int(1)),
                                        call(lt, "cons", self.expr(u, cb, fresh=True), N("var", lt, acc)),
                                        N("var", at, arr)])
            res = N("var", t, acc if t[0] == "List" else arr)
            if self.chance(0.3):
                res = N("do", t, [self.stmt(cb), res])
            return N("nlet", t, lp, [[i, lit_int(0)], [acc, self.expr(lt, ctx)], [arr, self.expr(at, ctx, fresh=True)]],
                     [N("if", t, call(BOOL, "<", ivar, n), N("do", t, [push, step]), res)])
        if t == INT and self.chance(0.5):
            # walk a list
            u = self.rand_type(1)
            xs, s = self.name("xs"), self.name("s")
            cb = c.bind(xs, List(u), False).bind(s, INT)
            xv = N("var", List(u), xs)
            elem = call(u, "car", xv)
            ev = self.name("e")
            cb2 = cb.bind(ev, u)
            step = N("call", INT, lp, [call(List(u), "cdr", xv),
                                       N("let", INT, [[ev, elem]],
                                         [call(INT, "rem", call(INT, "+", N("var", INT, s), self.expr(INT, cb2)), lit_int(MOD))])])
            return N("nlet", INT, lp, [[xs, self.expr(List(u), ctx)], [s, lit_int(0)]],
                     [N("if", INT, call(BOOL, "null?", xv), N("var", INT, s), step)])
        # generic accumulator of type t
        v = self.name("v")
        cb = c.bind(i, INT, False).bind(v, t)
        nxt = self.cap(self.expr(t, cb, fresh=self.chance(0.5)), t, cb)
        return N("nlet", t, lp, [[i, lit_int(0)], [v, self.expr(t, ctx)]],
                 [N("if", t, call(BOOL, "<", ivar, n),
                    N("call", t, lp, [call(INT, "+", ivar, lit_int(1)), nxt]),
                    N("var", t, v))])

    # ------------------------------------------------ statements
    def churn(self):
        ch = self.r.randint(0, 6)
        if ch == 0:
            return call(UNIT, "length", call(Arr(INT), "make-array", lit_int(100000), lit_int(0)))
        if ch == 1:
            return call(UNIT, "length", call(List(INT), "range", lit_int(50000)))
        if ch == 2:
            lp, i, s = self.name("lp"), self.name("i"), self.name("s")
            iv, sv = N("var", INT, i), N("var", STR, s)
            return N("nlet", INT, lp, [[i, lit_int(0)], [s, lit_str("")]],
                     [N("if", INT, call(BOOL, "<", iv, lit_int(400)),
                        N("call", INT, lp, [call(INT, "+", iv, lit_int(1)), call(STR, "string-append", sv, lit_str("ab"))]),
                        call(INT, "length", sv))])
        if ch == 3:
            x = self.name("x")
            return call(UNIT, "length", call(List(INT), "map", N("fn", Fn(INT), [x], [call(List(INT), "list", N("var", INT, x), N("var", INT, x))]),
                                             call(List(INT), "range", lit_int(20000))))
        if ch == 4:
            lp, i, acc = self.name("lp"), self.name("i"), self.name("acc")
            iv = N("var", INT, i)
            return N("nlet", INT, lp, [[i, lit_int(0)], [acc, N("nil", List(INT))]],
                     [N("if", INT, call(BOOL, "<", iv, lit_int(20000)),
                        N("call", INT, lp, [call(INT, "+", iv, lit_int(1)), call(List(List(INT)), "cons", call(List(INT), "list", iv, iv), N("var", List(INT), acc))]),
                        call(INT, "length", N("var", List(INT), acc)))])
        if ch == 5:
            return call(UNIT, "length", call(STR, "str", call(List(INT), "range", lit_int(3000))))
        lp, i, a = self.name("lp"), self.name("i"), self.name("a")
        iv = N("var", INT, i)
        return N("nlet", INT, lp, [[i, lit_int(0)], [a, N("arr", Arr(INT), [], False)]],
                 [N("if", INT, call(BOOL, "<", iv, lit_int(30000)),
                    N("do", INT, [call(UNIT, "push!", N("var", Arr(INT), a), call(List(INT), "list", iv)),
                                  N("call", INT, lp, [call(INT, "+", iv, lit_int(1)), N("var", Arr(INT), a)])]),
                    call(INT, "length", N("var", Arr(INT), a)))])

    def stmt(self, ctx):
        """An expression evaluated for its effect."""
        opts = [(3, "set"), (5, "mutate"), (1, "call")]
        if not ctx.loop:
            opts.append((2, "churn"))
        if ctx.can_call and not ctx.fnlit:
            opts.append((1, "print"))
        ch = self.wpick(opts)
        d = ctx.down() if ctx.depth > 0 else ctx
        if ch == "set":
            cands = [(n, t) for n, t, s in ctx.env if s] + list(self.globals)
            if cands:
                n, t = self.pick(cands)
                if "wrap-param" in AVOID and (n, t) in self.globals:
                    d = self.no_params(d)
                return N("set", UNIT, n, self.cap(self.expr(t, d, fresh=self.chance(0.6)), t, d))
            ch = "mutate"
        if ch == "churn":
            return self.churn()
        if ch == "print":
            t = self.rand_type(2)
            return self.println(self.expr(t, d), t)
        if ch == "call":
            fs = [f for f in self.funcs if (ctx.can_call or not f.dynamic) and not (ctx.loop and f.heavy)]
            if fs:
                return self.callf(self.pick(fs), d)
        return self.mutate(ctx, d)

    def mutate(self, ctx, d, target=None, value=None):
        """put!/push!/pop!/remove!/reset!/swap!/compare-and-set! on an
        existing container (or a new one when none is in scope)."""
        if target is None:
            muts = [(n, t) for n, t, s in ctx.env if is_mutable(t)] + [v for v in self.globals if is_mutable(v[1])]
            if muts and self.chance(0.85):
                n, t = self.pick(muts)
                target = N("var", t, n)
            else:
                t = self.rand_mut_type()
                target = self.expr(t, d)
        t = target[1]
        c, u = t
        if "wrap-param" in AVOID:
            d = self.no_params(d)
        val = value if value is not None else self.cap(self.expr(u, d, fresh=self.chance(0.7)), u, d)
        if c == "Arr":
            ch = self.wpick([(3, "push"), (3, "put"), (1, "pop")])
            if ch == "push":
                return call(UNIT, "push!", target, val)
            v = self.name("a")
            ve = N("var", t, v)
            if ch == "put":
                # value and index first: they may pop the very array
                vv, kv = self.name("v"), self.name("k")
                return N("let", UNIT, [[vv, val], [kv, self.expr(INT, d)], [v, target]],
                         [N("when", UNIT, call(BOOL, ">", call(INT, "length", ve), lit_int(0)),
                            [call(UNIT, "put!", ve, call(INT, "mod", N("var", INT, kv), call(INT, "length", ve)),
                                  N("var", u, vv))])])
            return N("let", UNIT, [[v, target]],
                     [N("when", UNIT, call(BOOL, ">", call(INT, "length", ve), lit_int(0)), [call(u, "pop!", ve)])])
        if c == "Dict":
            if value is None and self.chance(0.25):
                return call(BOOL, "remove!", target, self.key())
            return call(UNIT, "put!", target, self.key(), val)
        ch = self.wpick([(3, "reset"), (3, "swap"), (2, "cas")])
        if ch == "reset" or value is not None:
            return call(u, "reset!", target, val)
        if ch == "swap":
            old = self.name("old")
            c2 = d.bind(old, u).sub(can_call=False, loop=True, fnlit=True)
            return call(u, "swap!", target, N("fn", Fn(u), [old], [self.cap(self.expr(u, c2, fresh=True), u, c2)]))
        # compare-and-set!: with the current value (succeeds) or another one
        v = self.name("at")
        ve = N("var", t, v)
        # another value only where eq? cannot depend on sharing of constants
        # or boxes (Ints by value; fresh mutable objects are never eq?)
        other_ok = u == INT or is_mutable(u)
        old = call(u, "deref", ve) if self.chance(0.6) or not other_ok else self.expr(u, d)
        return N("let", BOOL, [[v, target]], [call(BOOL, "compare-and-set!", ve, old, val)])

    # ------------------------------------------------ printing
    def show(self, e, t, ctx_depth=0):
        """An expression whose display form shows e (closures are called)."""
        if not has_fn(t):
            return e
        c = t[0]
        if c == "Fn":
            return self.show(N("app", t[1], e, [lit_int(self.r.randint(0, 9))]), t[1])
        if c == "Atom":
            return self.show(call(t[1], "deref", e), t[1])
        x = self.name("y")
        inner = self.show(N("var", t[1], x), t[1])
        if c == "Dict":
            # over a snapshot of the values: a closure called here may
            # remove! entries of this very dict (seed 7397)
            return call(List(INT), "map", N("fn", Fn(INT), [x], [inner]), call(List(t[1]), "values", e))
        return call(List(INT), "map", N("fn", Fn(INT), [x], [inner]), self.seq_arg(e))

    def println(self, e, t, label=None):
        args = []
        if label is None:
            label = "p%d" % self.n
            self.n += 1
        args.append(lit_str(label))
        args.append(self.show(e, t))
        return call(UNIT, "println", *args)

    # ------------------------------------------------ top-level scenarios
    def top(self, f):
        self.forms.append(f)

    def new_global(self, t, e=None, prefix="g"):
        nm = self.name(prefix)
        if e is None:
            e = self.expr(t, Ctx(depth=self.D), fresh=True)
        self.top(["define", nm, e])
        self.globals.append((nm, t))
        return nm

    def new_func(self, ptypes, rtype, make_body, dynamic=None, heavy=None, prefix="f"):
        """make_body(ctx, params) -> list of body forms."""
        nm = self.name(prefix)
        ps = [self.name("p") for _ in ptypes]
        if dynamic is None:
            dynamic = self.chance(0.5)
        if heavy is None:
            heavy = self.chance(0.3)
        ctx = Ctx(env=[(p, t, True) for p, t in zip(ps, ptypes)], can_call=dynamic,
                  loop=not heavy, depth=self.r.randint(1, self.D + 1))
        body = make_body(ctx, ps)
        self.top(["defn", nm, ps, body])
        f = Func(nm, list(ptypes), rtype, dynamic, heavy)
        self.funcs.append(f)
        return f

    def maybe_churn(self, p=0.8):
        if self.chance(p):
            self.top(["expr", self.churn()])

    def s_global(self):
        self.new_global(self.rand_type(2))

    def s_func(self):
        ptypes = [self.rand_type(1) for _ in range(self.r.randint(1, 3))]
        rt = self.rand_type(2)

        def body(ctx, ps):
            out = [self.stmt(ctx) for _ in range(self.r.randint(0, 2))]
            if not ctx.loop and self.chance(0.4):
                out.append(self.churn())
            out.append(self.expr(rt, ctx, fresh=self.chance(0.6)))
            return out
        self.new_func(ptypes, rt, body)

    def s_store_param(self):
        """The callee stores its argument (as is, consed, closed over, in an
        array / atom) into a global, a global array, dict or atom."""
        pt = self.rand_type(1)
        wrap = self.pick(["id", "cons", "fn", "arr", "atom", "list2"]
                         if "wrap-param" not in AVOID else ["id", "arr"])
        if wrap == "id":
            vt = pt
        elif wrap in ("cons", "list2"):
            vt = List(pt)
        elif wrap == "fn":
            vt = Fn(self.pick([pt, INT]))
        elif wrap == "arr":
            vt = Arr(pt)
        else:
            vt = Atom(pt)
        where = self.pick(["global", "arr", "dict", "atom"])
        tt = {"global": vt, "arr": Arr(vt), "dict": Dict(vt), "atom": Atom(vt)}[where]
        target = self.new_global(tt, self.simple(tt) if self.chance(0.5) else None)
        k = self.key()
        rt = self.rand_type(1)

        def body(ctx, ps):
            p = N("var", pt, ps[0])
            if wrap == "id":
                v = p
            elif wrap == "cons":
                v = call(vt, "cons", p, self.expr(vt, ctx) if self.chance(0.5) else N("nil", vt))
            elif wrap == "list2":
                v = call(vt, "list", p, p)
            elif wrap == "fn":
                x = self.name("x")
                u = vt[1]
                if u == pt:
                    b = [p] if self.chance(0.5) else [self.expr(u, ctx.bind(x, INT).sub(can_call=False, loop=True, fnlit=True))]
                    if self.chance(0.5) and u != INT:
                        b = [N("if", u, call(BOOL, ">", N("var", INT, x), lit_int(100)), b[0], p)]
                else:
                    b = [call(INT, "+", N("var", INT, x), self.len_or_val(p, pt))]
                v = N("fn", vt, [x], b)
            elif wrap == "arr":
                v = N("arr", vt, [p] * self.r.randint(1, 2), self.chance(0.5))
            else:
                v = call(vt, "atom", p)
            if pt == INT and wrap == "id":
                v = self.cap(v, INT, ctx)
            g = N("var", tt, target)
            if where == "global":
                st = N("set", UNIT, target, v)
            elif where == "arr":
                st = call(UNIT, "push!", g, v) if self.chance(0.7) else self.mutate(ctx, ctx, g, v)
            elif where == "dict":
                st = call(UNIT, "put!", g, k, v)
            else:
                st = call(vt, "reset!", g, v) if self.chance(0.6) else \
                    call(vt, "swap!", g, N("fn", Fn(vt), [self.name("old")], [v]))
            out = [st]
            if not ctx.loop and self.chance(0.5):
                out.append(self.churn())
            out.append(self.expr(rt, ctx, fresh=True))
            return out
        f = self.new_func([pt] + [self.rand_type(1) for _ in range(self.r.randint(0, 1))], rt, body)
        ctx = Ctx(depth=self.D)
        for _ in range(self.r.randint(1, 2)):
            self.top(["expr", self.println(self.callf(f, ctx), rt)])
            self.maybe_churn()
        self.top(["expr", self.println(N("var", tt, target), tt)])

    def len_or_val(self, p, pt):
        if pt == INT:
            return p
        if pt in (FLT,):
            return call(INT, "int", self.cap(p, FLT, None))
        if pt[0] in ("List", "Arr", "Dict") or pt == STR:
            return call(INT, "length", p)
        return lit_int(1)

    def s_chain(self):
        """Values returned through 1-3 call levels."""
        t = self.rand_type(2)
        levels = self.r.randint(1, 3)
        f1 = self.new_func([self.rand_type(1) for _ in range(self.r.randint(1, 2))], t,
                           lambda ctx, ps: [self.expr(t, ctx, fresh=True)])
        f = f1
        cur_t = t
        for _ in range(levels - 1):
            prev, pt = f, cur_t
            wrap = self.pick(["same", "same", "cons", "arr", "dictv"])
            nt = {"same": pt, "cons": List(pt), "arr": Arr(pt), "dictv": Dict(pt)}[wrap]
            cur_t = nt

            def body(ctx, ps, prev=prev, pt=pt, nt=nt, wrap=wrap):
                r = self.name("r")
                c2 = ctx.bind(r, pt)
                rv = N("var", pt, r)
                if wrap == "same":
                    res = rv
                elif wrap == "cons":
                    res = call(nt, "cons", rv, self.expr(nt, c2))
                elif wrap == "arr":
                    res = N("arr", nt, [rv, self.expr(pt, c2, fresh=True)], self.chance(0.5))
                else:
                    res = N("dict", nt, [self.key(), rv], self.chance(0.5))
                inner = []
                if not ctx.loop and self.chance(0.6):
                    inner.append(self.churn())
                if self.chance(0.4):
                    inner.append(self.stmt(c2))
                return [N("let", nt, [[r, self.callf(prev, ctx)]], inner + [res])]
            f = self.new_func([self.rand_type(1) for _ in range(self.r.randint(0, 2))], nt, body,
                              dynamic=True if prev.dynamic else None, heavy=True if prev.heavy else None)
        ctx = Ctx(depth=self.D)
        if self.chance(0.6):
            g = self.new_global(cur_t, self.callf(f, ctx))
            self.maybe_churn(0.9)
            self.top(["expr", self.println(N("var", cur_t, g), cur_t)])
        else:
            self.top(["expr", self.println(self.callf(f, ctx), cur_t)])

    def s_closure(self):
        """Closures made by a function over fresh data, stored in a global, an
        array, a dict or an atom, called after churn."""
        u = self.rand_type(1)
        pt = self.rand_type(1)

        def body(ctx, ps):
            binds = []
            c = ctx
            for _ in range(self.r.randint(1, 2)):
                bt = self.rand_type(1, allow_fn=False)
                nm = self.name("d")
                binds.append([nm, self.expr(bt, ctx, fresh=True)])
                c = c.bind(nm, bt)
            lam = self.closure(u, c)
            return [N("let", Fn(u), binds, [lam])]
        mk = self.new_func([pt], Fn(u), body)
        ctx = Ctx(depth=self.D)
        where = self.pick(["global", "arr", "dict", "atom", "list"])
        ft = Fn(u)
        if where == "global":
            g = self.new_global(ft, self.callf(mk, ctx))
            tt = ft
        else:
            tt = {"arr": Arr(ft), "dict": Dict(ft), "atom": Atom(ft), "list": List(ft)}[where]
            g = self.new_global(tt, self.simple(tt) if where != "atom" else call(tt, "atom", self.callf(mk, ctx)))
            gv = N("var", tt, g)
            for _ in range(self.r.randint(1, 3)):
                if where == "arr":
                    st = call(UNIT, "push!", gv, self.callf(mk, ctx))
                elif where == "dict":
                    st = call(UNIT, "put!", gv, self.key(), self.callf(mk, ctx))
                elif where == "atom":
                    st = call(ft, "reset!", gv, self.callf(mk, ctx))
                else:
                    st = N("set", UNIT, g, call(tt, "cons", self.callf(mk, ctx), gv))
                self.top(["expr", st])
                self.maybe_churn(0.5)
        self.maybe_churn(0.9)
        for _ in range(self.r.randint(1, 2)):
            self.top(["expr", self.println(N("var", tt, g), tt)])

    def s_alias(self):
        """One mutable object in two places; mutate through one, read the
        other, print eq?."""
        mt = self.rand_mut_type()
        src = self.new_global(mt, self.expr(mt, Ctx(depth=self.D), fresh=True) if self.chance(0.5)
                              else (self.callf(self.pick(self.callable_funcs(Ctx(), mt)), Ctx(depth=self.D))
                                    if self.callable_funcs(Ctx(), mt) else None))
        sv = N("var", mt, src)
        how = self.pick(["define", "arr", "dict", "atom", "fn"])
        if how == "define":
            other = self.new_global(mt, sv)
            read = N("var", mt, other)
        elif how == "fn":
            # a function stores its parameter in a container and returns it
            ct = self.pick([Arr(mt), Dict(mt), Atom(mt)])
            holder = self.new_global(ct, self.simple(ct) if ct[0] != "Atom" else call(ct, "atom", self.simple(mt)))
            hv = N("var", ct, holder)
            k = self.key()

            def body(ctx, ps):
                p = N("var", mt, ps[0])
                if ct[0] == "Arr":
                    st = call(UNIT, "push!", hv, p)
                elif ct[0] == "Dict":
                    st = call(UNIT, "put!", hv, k, p)
                else:
                    st = call(mt, "reset!", hv, p)
                out = [st]
                if not ctx.loop and self.chance(0.5):
                    out.append(self.churn())
                out.append(p)
                return out
            f = self.new_func([mt], mt, body)
            self.top(["expr", call(mt, f.name, sv)])
            if ct[0] == "Arr":
                read = call(mt, "get", hv, call(INT, "-", call(INT, "length", hv), lit_int(1)), self.simple(mt))
            elif ct[0] == "Dict":
                read = call(mt, "get", hv, k, self.simple(mt))
            else:
                read = call(mt, "deref", hv)
        else:
            ct = {"arr": Arr(mt), "dict": Dict(mt), "atom": Atom(mt)}[how]
            k = self.key()
            init = {"arr": N("arr", ct, [sv], True), "dict": N("dict", ct, [k, sv], True),
                    "atom": call(ct, "atom", sv)}[how]
            holder = self.new_global(ct, init)
            hv = N("var", ct, holder)
            read = {"arr": call(mt, "get", hv, lit_int(0), self.simple(mt)),
                    "dict": call(mt, "get", hv, k, self.simple(mt)),
                    "atom": call(mt, "deref", hv)}[how]
        self.maybe_churn()
        ctx = Ctx(depth=self.D)
        if self.chance(0.5):
            self.top(["expr", self.mutate(ctx, ctx, sv)])
        else:
            self.top(["expr", self.mutate(ctx, ctx, read)])
        self.maybe_churn()
        self.top(["expr", self.println(read, mt)])
        self.top(["expr", self.println(sv, mt)])
        self.top(["expr", call(UNIT, "println", lit_str("eq"), call(BOOL, "eq?", sv, read))])

    def s_counter(self):
        """set! of captured variables, through closures called later."""
        t = self.pick([INT, List(INT), STR, Arr(INT), FLT])
        u = self.pick([INT, t])

        def body(ctx, ps):
            n = self.name("n")
            c = ctx.bind(n, t)
            x = self.name("x")
            inner = c.bind(x, INT).sub(can_call=False, loop=True, fnlit=True, depth=2)
            nv = N("var", t, n)
            upd = self.cap(self.expr(t, inner, fresh=True), t, inner)
            lam = N("fn", Fn(u), [x], [N("set", UNIT, n, upd), nv if u == t else self.len_or_val(nv, t)])
            return [N("let", Fn(u), [[n, N("var", t, ps[0])]], [lam])]
        mk = self.new_func([t], Fn(u), body)
        g = self.new_global(Fn(u), self.callf(mk, Ctx(depth=self.D)))
        for _ in range(self.r.randint(2, 3)):
            self.top(["expr", self.println(N("app", u, N("var", Fn(u), g), [lit_int(self.r.randint(0, 9))]), u)])
            self.maybe_churn(0.5)

    def s_nested(self):
        t = self.rand_type(2)
        ctx = Ctx(depth=2, loop=False)

        def nest(c, lv):
            if lv == 0:
                return self.expr(t, c, fresh=True)
            bt = self.rand_type(1)
            nm = self.name("v")
            e = self.expr(bt, c, fresh=True)
            c2 = c.bind(nm, bt)
            body = []
            if self.chance(0.5):
                body.append(self.stmt(c2))
            if self.chance(0.3):
                body.append(self.churn())
            body.append(nest(c2, lv - 1))
            return N("let", t, [[nm, e]], body)
        e = nest(ctx, self.r.randint(2, 4))
        if self.chance(0.5):
            g = self.new_global(t, e)
            self.maybe_churn()
            self.top(["expr", self.println(N("var", t, g), t)])
        else:
            self.top(["expr", self.println(e, t)])

    def s_loop(self):
        t = self.pick([List(INT), Arr(INT), List(STR), Arr(List(INT)), List(Arr(INT)), INT])

        def body(ctx, ps):
            return [self.loop_expr(t, ctx.sub(depth=3))]
        f = self.new_func([self.rand_type(1)], t, body)
        g = self.new_global(t, self.callf(f, Ctx(depth=self.D)))
        self.maybe_churn()
        self.top(["expr", self.println(N("var", t, g), t)])

    def s_stmt(self):
        ctx = Ctx(depth=self.r.randint(1, self.D + 1))
        self.top(["expr", self.stmt(ctx)])

    def s_print(self):
        t = self.rand_type(2)
        self.top(["expr", self.println(self.expr(t, Ctx(depth=self.r.randint(1, self.D + 1))), t)])

    def s_floatstr(self):
        ctx = Ctx(depth=self.D)
        t = self.pick([FLT, STR, FLT])
        self.top(["expr", self.println(self.expr(t, ctx, fresh=True), t)])

    def program(self):
        for _ in range(self.r.randint(2, 5)):
            self.pick([self.s_global, self.s_global, self.s_func])()
        target = self.r.randint(10, 24 if SMALL else 40)
        scen = [(4, self.s_store_param), (4, self.s_chain), (3, self.s_closure), (3, self.s_alias),
                (2, self.s_counter), (2, self.s_nested), (2, self.s_loop), (5, self.s_stmt),
                (3, self.s_print), (2, self.s_floatstr), (2, self.s_global), (2, self.s_func),
                (2, lambda: self.top(["expr", self.churn()]))]
        while sum(1 for f in self.forms if f[0] == "expr") < target:
            self.wpick(scen)()
        # everything global is printed at the end, after one more churn
        self.top(["expr", self.churn()])
        for nm, t in self.globals:
            if self.chance(0.5):
                self.top(["expr", self.println(N("var", t, nm), t)])
        return {"seed": self.seed, "forms": self.forms}


def generate(seed):
    return Gen(seed).program()


def main():
    import argparse
    ap = argparse.ArgumentParser(description="generate one random OmniLisp/Scheme program")
    ap.add_argument("seed", type=int)
    ap.add_argument("--scheme", action="store_true", help="print the Scheme version")
    ap.add_argument("--out", help="write SEED.omni, SEED.ss and SEED.json into this directory")
    a = ap.parse_args()
    prog = generate(a.seed)
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        base = os.path.join(a.out, str(a.seed))
        with open(base + ".omni", "w") as f:
            f.write(emit_omni(prog))
        with open(base + ".ss", "w") as f:
            f.write(emit_scheme(prog))
        with open(base + ".json", "w") as f:
            json.dump(prog, f)
        return
    sys.stdout.write(emit_scheme(prog) if a.scheme else emit_omni(prog))


if __name__ == "__main__":
    main()
