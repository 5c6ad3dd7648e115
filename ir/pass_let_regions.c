/* pass_let_regions.c — a region of its own for what a let drops.
 *
 * Lowering frames every let / letrec that is not in tail position with
 * `scope.begin N` ... `scope.end N` (ir/lower.c).  After region-place has
 * put every local value (escape none / arg) in the function's scope region
 * %s, this pass moves the ones that provably die when a let ends into a
 * region made for that let, `%L = region.new <parent>` where the let
 * begins and `region.exit %L` where it ends, so a let that builds a big
 * temporary gives its memory back before the code after it runs instead
 * of holding it until the function returns.  Then it removes every marker.
 *
 * The rule (docs/CTRR.md, "Let regions").  Take the alias classes of
 * ir_alias_classes; for a class C let Up(C) be C and every class whose
 * objects may hold a C value, directly or not (following elem and link
 * backwards).  A value of class C is reachable after the let ends only
 * through a register of a class in Up(C): a register of C itself, or one
 * holding an object that holds it.  So when every instruction that reads or
 * writes a register of a class in Up(C) lies inside the let's code, nothing
 * made from the value is used after the let: its site may allocate in the
 * let's region.  Each site goes to the innermost let where that holds (its
 * "home"); the holders of a value (Up) have homes at least as deep, so a
 * holder never outlives what it holds.  The let's own result is a register
 * read after the let, so a value it carries out stays in %s.  Stores by
 * code the analysis cannot see (a callee storing an argument somewhere)
 * go through the store barrier, which repairs an edge into the let region
 * because the let region does not outlive the older object: %L is a child
 * of the enclosing let's region or of %s, so pointers from %L outward need
 * nothing.
 *
 * A region is made only for a let that gets a site that is not cheap (a
 * Float box at most, as for %s); a let holding only cheap sites gives them
 * to the nearest enclosing let that has a region.  The backend makes the
 * region lazily, at its first use (llvm_backend/lb_emit.c, making the
 * parent first when that is lazy too).  Since the let's region names %s
 * as parent, `%s = region.new %0` must come before it: when scope-regions
 * placed it later (all of %s's users were inside this let), it is moved up
 * to the let's region.new; the let is single-entry and single-exit, so the
 * exits of %s stay where they are.  If %s keeps no user of its own, it is
 * removed and the let regions become children of %0.
 */
#include <stdlib.h>
#include <string.h>

#include "ir_internal.h"

enum { NO_LET = -1, UNSEEN = -2 };   /* an occurrence outside every let; no occurrence yet */

typedef struct Let {
    int bb, bi;        /* scope.begin: block, position */
    int eb, ei;        /* scope.end */
    int nbegin, nend;  /* markers seen with this id (exactly one each, or the let is not ok) */
    bool ok;
    int size;          /* instructions of the body */
    int parent;        /* the innermost let whose body holds this one, or NO_LET */
    int depth;
    bool wanted;       /* a site that is not cheap has this let as home */
    int made;          /* nearest let, this one or an enclosing one, that gets a region, or NO_LET */
    int reg;           /* its region register, once made */
} Let;

typedef struct LetCtx {
    RirFunc *f;
    int n;             /* instructions in the function */
    int *base;         /* first global index of each block */
    Let *lets;
    int nlets;
    int *inner;        /* per instruction: innermost let whose body holds it, or NO_LET */
} LetCtx;

static bool is_marker(const RirInstr *in)
{
    return in->op == RIR_SCOPE_BEGIN || in->op == RIR_SCOPE_END;
}

/* Walks the body of let x from its scope.begin to its scope.end and
 * collects its instructions (global indices).  A let that is not in tail
 * position never returns, tail-calls or jumps back inside: finding one of
 * these (or a path that leaves without the end) marks it not ok. */
static int let_body(LetCtx *c, int x, int *out, bool *seen, int *stack)
{
    Let *l = &c->lets[x];
    RirFunc *f = c->f;
    int cnt = 0, sp = 0;
    memset(seen, 0, (size_t)f->nblocks);
    int startb = l->bb, starti = l->bi + 1;
    for (;;) {
        RirBlock *b = f->blocks[startb];
        bool stopped = false;
        for (int i = starti; i < b->n && l->ok; i++) {
            RirInstr *in = &b->instrs[i];
            if (in->op == RIR_SCOPE_END && in->imm == x) {
                stopped = true;
                break;
            }
            if (in->op == RIR_RET || (in->flags & (RIF_TAIL | RIF_BACKEDGE)))
                l->ok = false;
            out[cnt++] = c->base[startb] + i;
            if (in->op == RIR_JMP || in->op == RIR_BR) {
                for (int k = 0; k < (in->op == RIR_BR ? 2 : 1); k++) {
                    int t = in->target[k];
                    if (t <= 0 || t >= f->nblocks || t == l->bb) {
                        l->ok = false;
                        continue;
                    }
                    if (!seen[t]) {
                        seen[t] = true;
                        stack[sp++] = t;
                    }
                }
            }
        }
        if (!l->ok)
            return 0;
        if (!stopped && (b->n == 0 || !(ir_op_flags[b->instrs[b->n - 1].op] & RF_TERM))) {
            l->ok = false;
            return 0;
        }
        if (sp == 0)
            return cnt;
        startb = stack[--sp];
        starti = 0;
    }
}

/* The innermost let holding both a and b (NO_LET: none; UNSEEN: the other). */
static int join(const LetCtx *c, int a, int b)
{
    if (a == UNSEEN)
        return b;
    if (b == UNSEEN)
        return a;
    while (a != b) {
        if (a == NO_LET || b == NO_LET)
            return NO_LET;
        if (c->lets[a].depth >= c->lets[b].depth)
            a = c->lets[a].parent;
        else
            b = c->lets[b].parent;
    }
    return a;
}

/* Finds the markers and the body of every let; false if there is none. */
static bool find_lets(LetCtx *c)
{
    RirFunc *f = c->f;
    c->base = ir_xcalloc((size_t)f->nblocks + 1, sizeof *c->base, "let regions");
    int maxid = -1;
    for (int bi = 0; bi < f->nblocks; bi++) {
        c->base[bi] = c->n;
        c->n += f->blocks[bi]->n;
        for (int i = 0; i < f->blocks[bi]->n; i++) {
            const RirInstr *in = &f->blocks[bi]->instrs[i];
            if (is_marker(in) && in->imm > maxid && in->imm < (1 << 24))
                maxid = (int)in->imm;
        }
    }
    c->base[f->nblocks] = c->n;
    if (maxid < 0)
        return false;
    c->nlets = maxid + 1;
    c->lets = ir_xcalloc((size_t)c->nlets, sizeof *c->lets, "let regions");
    for (int bi = 0; bi < f->nblocks; bi++)
        for (int i = 0; i < f->blocks[bi]->n; i++) {
            const RirInstr *in = &f->blocks[bi]->instrs[i];
            if (!is_marker(in) || in->imm < 0 || in->imm >= c->nlets)
                continue;
            Let *l = &c->lets[in->imm];
            if (in->op == RIR_SCOPE_BEGIN) {
                l->nbegin++;
                l->bb = bi, l->bi = i;
            } else {
                l->nend++;
                l->eb = bi, l->ei = i;
            }
        }
    for (int x = 0; x < c->nlets; x++)
        c->lets[x].ok = c->lets[x].nbegin == 1 && c->lets[x].nend == 1;

    c->inner = ir_xcalloc((size_t)c->n + 1, sizeof *c->inner, "let regions");
    for (int g = 0; g < c->n; g++)
        c->inner[g] = NO_LET;
    int *body = ir_xcalloc((size_t)c->n + 1, sizeof *body, "let regions");
    int *stack = ir_xcalloc((size_t)f->nblocks + 1, sizeof *stack, "let regions");
    bool *seen = ir_xcalloc((size_t)f->nblocks + 1, 1, "let regions");
    /* bodies nest: an enclosing body is strictly bigger (it holds the
     * inner markers), so the innermost let of an instruction is the
     * smallest body holding it */
    for (int x = 0; x < c->nlets; x++) {
        Let *l = &c->lets[x];
        if (!l->ok)
            continue;
        l->size = let_body(c, x, body, seen, stack);
        if (!l->ok)
            continue;
        for (int k = 0; k < l->size; k++) {
            int g = body[k];
            if (c->inner[g] == NO_LET || c->lets[c->inner[g]].size > l->size)
                c->inner[g] = x;
        }
    }
    free(body);
    free(stack);
    free(seen);
    for (int x = 0; x < c->nlets; x++) {
        Let *l = &c->lets[x];
        l->parent = l->ok ? c->inner[c->base[l->bb] + l->bi] : NO_LET;
        l->made = NO_LET;
    }
    for (int x = 0; x < c->nlets; x++) {
        int d = 0;
        for (int p = c->lets[x].parent; p != NO_LET && d <= c->nlets; p = c->lets[p].parent)
            d++;
        c->lets[x].depth = d;
    }
    return true;
}

/* home[C]: the innermost let holding every read and write of a register
 * whose class is in Up(C) (see the file comment), NO_LET if there is none. */
static int *class_homes(const LetCtx *c, const IrAliasClasses *ac)
{
    const RirFunc *f = c->f;
    int nc = ac->nclasses;
    int *home = ir_xcalloc((size_t)nc + 1, sizeof *home, "let regions");
    for (int k = 0; k < nc; k++)
        home[k] = UNSEEN;
    for (int bi = 0; bi < f->nblocks; bi++)
        for (int i = 0; i < f->blocks[bi]->n; i++) {
            const RirInstr *in = &f->blocks[bi]->instrs[i];
            int where = c->inner[c->base[bi] + i];
            for (int a = -1; a < in->nargs; a++) {
                int r = a < 0 ? in->dst : in->args[a];
                if (r < 0 || r >= ac->nregs || ac->cls[r] < 0)
                    continue;
                home[ac->cls[r]] = join(c, home[ac->cls[r]], where);
            }
        }
    /* what holds a value must be dead after the let too: push each
     * holder's home down to what it holds, to a fixpoint (homes only move
     * outward, so this ends) */
    for (bool changed = true; changed;) {
        changed = false;
        for (int k = 0; k < nc; k++) {
            int held[2] = { ac->elem[k], ac->link[k] };
            for (int j = 0; j < 2; j++) {
                int h = held[j];
                if (h < 0 || h >= nc || home[k] == UNSEEN)
                    continue;
                int nh = join(c, home[h], home[k]);
                if (nh != home[h]) {
                    home[h] = nh;
                    changed = true;
                }
            }
        }
    }
    return home;
}

/* An allocation site or a call that currently allocates in (or passes on)
 * the function's scope region s. */
static bool in_scope(const RirInstr *in, int s)
{
    if (in->region != s || in->dst < 0)
        return false;
    if (in->op == RIR_CALL || in->op == RIR_CALL_KNOWN)
        return !(in->flags & RIF_TAIL);
    return ir_instr_allocates(in) && in->op != RIR_TRANSMIGRATE;
}

/* Whether anything but its own region.new / region.exit and the let
 * regions' region.new (as parent) uses region register s. */
static bool scope_has_users(const RirFunc *f, int s, const uint8_t *let_reg)
{
    for (int bi = 0; bi < f->nblocks; bi++)
        for (int i = 0; i < f->blocks[bi]->n; i++) {
            const RirInstr *in = &f->blocks[bi]->instrs[i];
            if (in->op == RIR_REGION_NEW && (in->dst == s || (in->dst > 0 && let_reg[in->dst])))
                continue;
            if (in->op == RIR_REGION_EXIT && in->region == s)
                continue;
            if (in->region == s || in->region2 == s)
                return true;
        }
    return false;
}

/* Position of the instruction `region.new` making register r. */
static bool find_new(const RirFunc *f, int r, int *bb, int *pos)
{
    for (int bi = 0; bi < f->nblocks; bi++)
        for (int i = 0; i < f->blocks[bi]->n; i++)
            if (f->blocks[bi]->instrs[i].op == RIR_REGION_NEW && f->blocks[bi]->instrs[i].dst == r) {
                *bb = bi, *pos = i;
                return true;
            }
    return false;
}

/* Whether block `to` can be reached from bb0 without passing through block
 * `avoid` (back edges end a path, as for scope-regions). */
static bool reaches_avoiding(const RirFunc *f, int to, int avoid)
{
    if (avoid == 0)
        return false;
    bool *seen = ir_xcalloc((size_t)f->nblocks, 1, "let regions");
    int *stack = ir_xcalloc((size_t)f->nblocks + 1, sizeof *stack, "let regions"), sp = 0;
    bool found = false;
    seen[0] = true;
    stack[sp++] = 0;
    while (sp > 0 && !found) {
        int b = stack[--sp];
        if (b == to) {
            found = true;
            break;
        }
        const RirBlock *blk = f->blocks[b];
        if (blk->n == 0)
            continue;
        const RirInstr *t = &blk->instrs[blk->n - 1];
        if (t->op == RIR_JMP && (t->flags & RIF_BACKEDGE))
            continue;
        int k = t->op == RIR_JMP ? 1 : t->op == RIR_BR ? 2 : 0;
        for (int j = 0; j < k; j++) {
            int s = t->target[j];
            if (s >= 0 && s < f->nblocks && s != avoid && !seen[s]) {
                seen[s] = true;
                stack[sp++] = s;
            }
        }
    }
    free(seen);
    free(stack);
    return found;
}

/* Makes `%s = region.new %0` run before the let region's region.new at
 * (bb, pos) when it does not already (see the file comment). */
static void scope_before(RirFunc *f, int s, int bb, int pos)
{
    int sb, sp;
    if (!find_new(f, s, &sb, &sp))
        return;
    if (sb == bb ? sp < pos : !reaches_avoiding(f, bb, sb))
        return;
    RirBlock *from = f->blocks[sb];
    RirInstr rn = from->instrs[sp];
    memmove(&from->instrs[sp], &from->instrs[sp + 1], (size_t)(from->n - sp - 1) * sizeof *from->instrs);
    from->n--;
    if (sb == bb && sp < pos)
        pos--;
    ir_insert_at(f, f->blocks[bb], pos, &rn);
}

/* Deletes the markers left (and, with drop_s, %s's own region ops). */
static void sweep(RirFunc *f, int drop_s)
{
    for (int bi = 0; bi < f->nblocks; bi++) {
        RirBlock *b = f->blocks[bi];
        int k = 0;
        for (int i = 0; i < b->n; i++) {
            const RirInstr *in = &b->instrs[i];
            if (is_marker(in))
                continue;
            if (drop_s > 0 && ((in->op == RIR_REGION_NEW && in->dst == drop_s) ||
                               (in->op == RIR_REGION_EXIT && in->region == drop_s)))
                continue;
            b->instrs[k++] = *in;
        }
        b->n = k;
    }
}

void ir_pass_let_regions(RirFunc *f)
{
    LetCtx c = { .f = f };
    int s = f->scope_region;
    if (f->nblocks == 0 || !find_lets(&c) || s <= 0) {
        /* no let, or nothing local worth a region in the whole function */
        sweep(f, 0);
        free(c.base);
        free(c.lets);
        free(c.inner);
        return;
    }
    IrAliasClasses ac;
    ir_alias_classes(f, &ac);
    int *home = class_homes(&c, &ac);

    /* which lets get a region: those that are home to a site that is not cheap */
    int *site_let = ir_xcalloc((size_t)c.n + 1, sizeof *site_let, "let regions");
    for (int bi = 0; bi < f->nblocks; bi++)
        for (int i = 0; i < f->blocks[bi]->n; i++) {
            const RirInstr *in = &f->blocks[bi]->instrs[i];
            int g = c.base[bi] + i;
            site_let[g] = NO_LET;
            if (!in_scope(in, s) || in->dst >= ac.nregs || ac.cls[in->dst] < 0)
                continue;
            int h = home[ac.cls[in->dst]];
            if (h < 0 || !c.lets[h].ok)
                continue;
            site_let[g] = h;
            if (!(in->escape & IR_ESC_CHEAP))
                c.lets[h].wanted = true;
        }
    /* outer lets first: depth order */
    int maxdepth = 0;
    for (int x = 0; x < c.nlets; x++)
        if (c.lets[x].depth > maxdepth)
            maxdepth = c.lets[x].depth;
    uint8_t *let_reg = NULL;
    int nmade = 0;
    for (int d = 0; d <= maxdepth; d++)
        for (int x = 0; x < c.nlets; x++) {
            Let *l = &c.lets[x];
            if (l->depth != d || !l->ok)
                continue;
            int up = l->parent != NO_LET ? c.lets[l->parent].made : NO_LET;
            if (l->wanted) {
                l->reg = ir_new_reg(f, RK_REGION);
                l->made = x;
                nmade++;
            } else {
                l->made = up;
            }
        }
    if (nmade > 0) {
        let_reg = ir_xcalloc((size_t)f->nregs + 1, 1, "let regions");
        for (int x = 0; x < c.nlets; x++)
            if (c.lets[x].ok && c.lets[x].made == x)
                let_reg[c.lets[x].reg] = 1;
        /* the sites */
        for (int bi = 0; bi < f->nblocks; bi++)
            for (int i = 0; i < f->blocks[bi]->n; i++) {
                int h = site_let[c.base[bi] + i];
                if (h >= 0 && c.lets[h].made != NO_LET)
                    f->blocks[bi]->instrs[i].region = c.lets[c.lets[h].made].reg;
            }
        /* the markers of the lets with a region become its region.new /
         * region.exit, in place */
        for (int x = 0; x < c.nlets; x++) {
            Let *l = &c.lets[x];
            if (!l->ok || l->made != x)
                continue;
            int p = l->parent != NO_LET ? c.lets[l->parent].made : NO_LET;
            RirInstr *bg = &f->blocks[l->bb]->instrs[l->bi];
            bg->op = RIR_REGION_NEW;
            bg->dst = l->reg;
            bg->region = p != NO_LET ? c.lets[p].reg : s;
            bg->imm = 0;
            RirInstr *en = &f->blocks[l->eb]->instrs[l->ei];
            en->op = RIR_REGION_EXIT;
            en->region = l->reg;
            en->imm = 0;
        }
    }
    bool drop = nmade > 0 && !scope_has_users(f, s, let_reg);
    sweep(f, drop ? s : 0);
    if (drop) {
        /* %s had no user left: the let regions hang from %0 */
        f->scope_region = 0;
        for (int bi = 0; bi < f->nblocks; bi++)
            for (int i = 0; i < f->blocks[bi]->n; i++) {
                RirInstr *in = &f->blocks[bi]->instrs[i];
                if (in->op == RIR_REGION_NEW && in->region == s)
                    in->region = 0;
            }
    } else if (nmade > 0) {
        for (int x = 0; x < c.nlets; x++) {
            Let *l = &c.lets[x];
            if (!l->ok || l->made != x || (l->parent != NO_LET && c.lets[l->parent].made != NO_LET))
                continue;
            int bb, pos;
            if (find_new(f, l->reg, &bb, &pos))
                scope_before(f, s, bb, pos);
        }
    }
    free(let_reg);
    free(site_let);
    free(home);
    ir_alias_classes_free(&ac);
    free(c.base);
    free(c.lets);
    free(c.inner);
}
