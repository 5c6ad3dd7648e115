/* lb_const.c — constants, names, source locations and the module initialiser.
 *
 * Everything a compiled module needs besides code: C strings for names,
 * one constant OmniLoc per distinct span (what runtime errors print), static
 * float and string objects laid out exactly like OFloat / OString with the
 * OHF_STATIC flag, and the module-private globals the initialiser fills
 * once: interned symbols, quoted data (built with omni_static_*), and — for
 * object files, which cannot know addresses at compile time — global slot
 * pointers.  Also the small map/vector helpers the backend uses.
 */
#include "lb_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ utilities */

char *lb_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (!p) abort();
    return memcpy(p, s, n);
}

char *lb_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) abort();
    va_end(ap);
    return s;
}

void lb_fail(LbGen *g, const char *fmt, ...)
{
    if (g->err) return;
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) abort();
    va_end(ap);
    g->err = lb_fmt("internal error: llvm backend: %s", s);
    free(s);
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

void *lb_map_get(const LbMap *m, const char *key)
{
    if (!m->cap) return NULL;
    for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->ents[i].key) return NULL;
        if (strcmp(m->ents[i].key, key) == 0) return m->ents[i].val;
    }
}

static void map_insert(LbMapEnt *ents, size_t cap, char *key, void *val)
{
    size_t i = hash_str(key) & (cap - 1);
    while (ents[i].key) i = (i + 1) & (cap - 1);
    ents[i].key = key;
    ents[i].val = val;
}

void lb_map_put(LbMap *m, const char *key, void *val)
{
    if (m->cap) {
        for (size_t i = hash_str(key) & (m->cap - 1); m->ents[i].key; i = (i + 1) & (m->cap - 1))
            if (strcmp(m->ents[i].key, key) == 0) { m->ents[i].val = val; return; }
    }
    if ((m->count + 1) * 2 > m->cap) { /* keep the load under one half */
        size_t ncap = m->cap ? m->cap * 2 : 16;
        LbMapEnt *ne = calloc(ncap, sizeof *ne);
        if (!ne) abort();
        for (size_t i = 0; i < m->cap; i++)
            if (m->ents[i].key) map_insert(ne, ncap, m->ents[i].key, m->ents[i].val);
        free(m->ents);
        m->ents = ne;
        m->cap = ncap;
    }
    map_insert(m->ents, m->cap, lb_strdup(key), val);
    m->count++;
}

void lb_map_free(LbMap *m)
{
    for (size_t i = 0; i < m->cap; i++) free(m->ents[i].key);
    free(m->ents);
    memset(m, 0, sizeof *m);
}

void lb_vec_push(LbVec *v, void *p)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 8;
        v->items = realloc(v->items, v->cap * sizeof *v->items);
        if (!v->items) abort();
    }
    v->items[v->n++] = p;
}

void lb_vec_free(LbVec *v)
{
    free(v->items);
    memset(v, 0, sizeof *v);
}

/* ------------------------------------------------------------ constants */

LLVMValueRef lb_i64(LbGen *g, uint64_t v) { return LLVMConstInt(g->t_i64, v, false); }
LLVMValueRef lb_i32(LbGen *g, int32_t v) { return LLVMConstInt(g->t_i32, (uint64_t)(int64_t)v, true); }

static LLVMValueRef private_const(LbGen *g, LLVMValueRef init, const char *name, unsigned align)
{
    LLVMValueRef gv = LLVMAddGlobal(g->mod, LLVMTypeOf(init), name);
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, true);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    if (align) LLVMSetAlignment(gv, align);
    return gv;
}

/* A NUL-terminated string constant (for names and file names); the key
 * includes the length so embedded NULs cannot alias. */
LLVMValueRef lb_cstring(LbGen *g, const char *s, size_t len)
{
    char *key = malloc(len + 24);
    if (!key) abort();
    int k = snprintf(key, 24, "%zu:", len);
    memcpy(key + k, s, len);
    key[k + len] = 0;
    LLVMValueRef gv = strlen(key) == k + len ? lb_map_get(&g->cstrings, key) : NULL;
    if (!gv) {
        gv = private_const(g, LLVMConstStringInContext(g->ctx, s, (unsigned)len, false), ".str", 1);
        LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
        if (strlen(key) == k + len) lb_map_put(&g->cstrings, key, gv);
    }
    free(key);
    return gv;
}

/* One private OmniLoc { ptr file, i32 line, i32 col, ptr fn, i32 framed }
 * per distinct span and function it is in (backtraces name the function). */
LLVMValueRef lb_loc(LbGen *g, Span sp)
{
    const char *file = sp.file ? sp.file : "<unknown>";
    char *key = lb_fmt("%s\x1f%d\x1f%d\x1f%s\x1f%d", file, (int)sp.line, (int)sp.col,
                       g->loc_fn ? g->loc_fn : "", (int)g->loc_framed);
    LLVMValueRef gv = lb_map_get(&g->locs, key);
    if (!gv) {
        LLVMValueRef f[5] = { lb_cstring(g, file, strlen(file)), lb_i32(g, sp.line), lb_i32(g, sp.col),
                              g->loc_fn ? lb_cstring(g, g->loc_fn, strlen(g->loc_fn)) : LLVMConstNull(g->t_ptr),
                              lb_i32(g, g->loc_framed) };
        gv = private_const(g, LLVMConstNamedStruct(g->t_loc, f, 5), ".loc", 8);
        lb_map_put(&g->locs, key, gv);
    }
    free(key);
    return gv;
}

/* Static OFloat { i32 OT_FLOAT, i32 OHF_STATIC, double }: never freed,
 * never written, region_of() is NULL for it (OHF_STATIC). */
LLVMValueRef lb_const_float(LbGen *g, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    char key[24];
    snprintf(key, sizeof key, "%016llx", (unsigned long long)bits);
    LLVMValueRef gv = lb_map_get(&g->floats, key);
    if (!gv) {
        LLVMValueRef f[3] = { lb_i32(g, OT_FLOAT), lb_i32(g, OHF_STATIC), LLVMConstReal(g->t_f64, d) };
        gv = private_const(g, LLVMConstStructInContext(g->ctx, f, 3, false), ".flo", 8);
        lb_map_put(&g->floats, key, gv);
    }
    return LLVMConstPtrToInt(gv, g->t_i64);
}

/* Static OString { i32 OT_STRING, i32 OHF_STATIC, i64 len, [len+1 x i8] }. */
LLVMValueRef lb_const_string(LbGen *g, const char *s, int64_t len)
{
    LLVMValueRef f[4] = {
        lb_i32(g, OT_STRING), lb_i32(g, OHF_STATIC), lb_i64(g, (uint64_t)len),
        LLVMConstStringInContext(g->ctx, s, (unsigned)len, false), /* adds the NUL */
    };
    LLVMValueRef gv = private_const(g, LLVMConstStructInContext(g->ctx, f, 4, false), ".ostr", 8);
    return LLVMConstPtrToInt(gv, g->t_i64);
}

/* An interned symbol: a module-private i64 set by the initialiser. */
LLVMValueRef lb_symbol(LbGen *g, const char *name)
{
    LLVMValueRef gv = lb_map_get(&g->syms, name);
    if (!gv) {
        gv = LLVMAddGlobal(g->mod, g->t_i64, ".sym");
        LLVMSetInitializer(gv, lb_i64(g, 0));
        LLVMSetLinkage(gv, LLVMPrivateLinkage);
        lb_map_put(&g->syms, name, gv);
        lb_vec_push(&g->sym_list, lb_strdup(name));
    }
    return LLVMBuildLoad2(g->b, g->t_i64, gv, "");
}

/* The slot of a global.  JIT: the slot's address in this very process, a
 * constant (slots never move).  AOT: a private pointer set by the init. */
LLVMValueRef lb_global_slot(LbGen *g, const char *name)
{
    if (g->target == LB_FOR_JIT) {
        OVal *slot = omni_global_slot(name);
        return LLVMConstIntToPtr(lb_i64(g, (uint64_t)(uintptr_t)slot), g->t_ptr);
    }
    LLVMValueRef gv = lb_map_get(&g->slots, name);
    if (!gv) {
        gv = LLVMAddGlobal(g->mod, g->t_ptr, ".slot");
        LLVMSetInitializer(gv, LLVMConstNull(g->t_ptr));
        LLVMSetLinkage(gv, LLVMPrivateLinkage);
        lb_map_put(&g->slots, name, gv);
        lb_vec_push(&g->slot_list, lb_strdup(name));
    }
    return LLVMBuildLoad2(g->b, g->t_ptr, gv, "");
}

/* Immediate encodings of the leaf datums; false if d needs an object. */
static bool datum_immediate(const Datum *d, OVal *out)
{
    switch (d->kind) {
    case D_INT: *out = omni_fix(d->u.i); return true;
    case D_CHAR: *out = omni_char((uint32_t)d->u.i); return true;
    case D_BOOL: *out = d->u.i ? OMNI_TRUE : OMNI_FALSE; return true;
    case D_NOTHING: *out = OMNI_NOTHING; return true;
    case D_LIST:
        if (d->u.list.n == 0 && !d->u.list.tail) { *out = OMNI_NIL; return true; }
        return false;
    default: return false;
    }
}

static bool datum_ints_ok(LbGen *g, const Datum *d)
{
    if (d->kind == D_INT && (d->u.i < OMNI_FIX_MIN || d->u.i > OMNI_FIX_MAX)) {
        lb_fail(g, "quoted integer %lld out of fixnum range", (long long)d->u.i);
        return false;
    }
    if (d->kind == D_LIST || d->kind == D_ARRAY || d->kind == D_DICT) {
        for (int i = 0; i < d->u.list.n; i++)
            if (!datum_ints_ok(g, d->u.list.items[i])) return false;
        if (d->kind == D_LIST && d->u.list.tail && !datum_ints_ok(g, d->u.list.tail)) return false;
    }
    return true;
}

/* CONST_STR / CONST_DATUM operand: immediates and leaf objects become
 * constants; pairs, arrays and dicts become a global the init fills. */
LLVMValueRef lb_const_index(LbGen *g, int64_t idx)
{
    if (idx < 0 || idx >= g->rm->nconsts) {
        lb_fail(g, "constant index %lld out of range", (long long)idx);
        return lb_i64(g, OMNI_NOTHING);
    }
    const Datum *d = g->rm->consts[idx];
    OVal imm;
    if (!datum_ints_ok(g, d)) return lb_i64(g, OMNI_NOTHING);
    if (datum_immediate(d, &imm)) return lb_i64(g, imm);
    switch (d->kind) {
    case D_FLOAT: return lb_const_float(g, d->u.f);
    case D_STRING:
        if (!g->const_vals[idx]) g->const_vals[idx] = lb_const_string(g, d->u.str.s, d->u.str.len);
        return g->const_vals[idx];
    case D_SYMBOL: case D_TYPE: case D_META: {
        char *name = strndup(d->u.str.s, (size_t)d->u.str.len);
        LLVMValueRef v = lb_symbol(g, name);
        free(name);
        return v;
    }
    default:
        if (!g->const_vals[idx]) {
            LLVMValueRef gv = LLVMAddGlobal(g->mod, g->t_i64, ".datum");
            LLVMSetInitializer(gv, lb_i64(g, 0));
            LLVMSetLinkage(gv, LLVMPrivateLinkage);
            g->const_vals[idx] = gv;
            lb_vec_push(&g->datum_list, (void *)(intptr_t)idx);
        }
        return LLVMBuildLoad2(g->b, g->t_i64, g->const_vals[idx], "");
    }
}

/* ------------------------------------------------------ the initialiser */

void lb_init_begin(LbGen *g)
{
    const char *mname = g->rm->name;
    char *name = lb_fmt("%s.init", mname);
    g->init_fn = LLVMAddFunction(g->mod, name, LLVMFunctionType(g->t_void, NULL, 0, false));
    LLVMSetLinkage(g->init_fn, LLVMPrivateLinkage);
    free(name);
    /* cold and out of line: it runs once per module and only bloats the entry */
    LLVMAddAttributeAtIndex(g->init_fn, LLVMAttributeFunctionIndex,
        LLVMCreateEnumAttribute(g->ctx, LLVMGetEnumAttributeKindForName("noinline", 8), 0));
    LLVMAddAttributeAtIndex(g->init_fn, LLVMAttributeFunctionIndex,
        LLVMCreateEnumAttribute(g->ctx, LLVMGetEnumAttributeKindForName("cold", 4), 0));
    g->init_guard = LLVMAddGlobal(g->mod, g->t_i8, ".inited");
    LLVMSetInitializer(g->init_guard, LLVMConstInt(g->t_i8, 0, false));
    LLVMSetLinkage(g->init_guard, LLVMPrivateLinkage);
}

static LLVMValueRef build_datum(LbGen *g, const Datum *d);

static LLVMValueRef build_seq(LbGen *g, const char *fn, Datum **items, int n, int64_t count)
{
    LLVMValueRef buf = LLVMBuildArrayAlloca(g->b, g->t_i64, lb_i64(g, n ? (uint64_t)n : 1), "");
    for (int i = 0; i < n; i++) {
        LLVMValueRef idx = lb_i64(g, (uint64_t)i);
        LLVMValueRef p = LLVMBuildGEP2(g->b, g->t_i64, buf, &idx, 1, "");
        LLVMBuildStore(g->b, build_datum(g, items[i]), p);
    }
    LLVMValueRef a[2] = { lb_i64(g, (uint64_t)count), buf };
    return lb_rt_call(g, fn, a, 2);
}

/* Emits code (into the init) that returns the static object for d. */
static LLVMValueRef build_datum(LbGen *g, const Datum *d)
{
    OVal imm;
    if (datum_immediate(d, &imm)) return lb_i64(g, imm);
    switch (d->kind) {
    case D_FLOAT: return lb_const_float(g, d->u.f);
    case D_STRING: return lb_const_string(g, d->u.str.s, d->u.str.len);
    case D_SYMBOL: case D_TYPE: case D_META: {
        LLVMValueRef a[2] = { lb_cstring(g, d->u.str.s, (size_t)d->u.str.len),
                              lb_i64(g, (uint64_t)d->u.str.len) };
        return lb_rt_call(g, "omni_intern", a, 2);
    }
    case D_LIST: {
        LLVMValueRef acc = d->u.list.tail ? build_datum(g, d->u.list.tail) : lb_i64(g, OMNI_NIL);
        for (int i = d->u.list.n - 1; i >= 0; i--) {
            LLVMValueRef a[2] = { build_datum(g, d->u.list.items[i]), acc };
            acc = lb_rt_call(g, "omni_static_cons", a, 2);
        }
        return acc;
    }
    case D_ARRAY:
        return build_seq(g, "omni_static_array", d->u.list.items, d->u.list.n, d->u.list.n);
    case D_DICT:
        return build_seq(g, "omni_static_dict", d->u.list.items, d->u.list.n, d->u.list.n / 2);
    default:
        lb_fail(g, "unexpected datum kind %d in a constant", (int)d->kind);
        return lb_i64(g, OMNI_NOTHING);
    }
}

/* Fills the init's body now that every function has been emitted and the
 * lists of symbols, slots and data are complete.  The guard makes a second
 * run of the entry (a script loaded twice in one process) harmless. */
void lb_init_finish(LbGen *g)
{
    if (!g->slot_list.n && !g->sym_list.n && !g->datum_list.n) {
        /* nothing to initialise (the common REPL input): no init at all */
        if (g->init_call) LLVMInstructionEraseFromParent(g->init_call);
        LLVMDeleteFunction(g->init_fn);
        LLVMDeleteGlobal(g->init_guard);
        g->init_fn = g->init_guard = g->init_call = NULL;
        return;
    }
    LLVMBasicBlockRef first = LLVMAppendBasicBlockInContext(g->ctx, g->init_fn, "");
    LLVMBasicBlockRef work = LLVMAppendBasicBlockInContext(g->ctx, g->init_fn, "");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->ctx, g->init_fn, "");
    LLVMPositionBuilderAtEnd(g->b, first);
    LLVMValueRef ran = LLVMBuildLoad2(g->b, g->t_i8, g->init_guard, "");
    LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, ran, LLVMConstInt(g->t_i8, 0, false), ""),
                    done, work);
    LLVMPositionBuilderAtEnd(g->b, done);
    LLVMBuildRetVoid(g->b);
    LLVMPositionBuilderAtEnd(g->b, work);
    LLVMBuildStore(g->b, LLVMConstInt(g->t_i8, 1, false), g->init_guard);

    for (size_t i = 0; i < g->slot_list.n; i++) {
        const char *name = g->slot_list.items[i];
        LLVMValueRef a[1] = { lb_cstring(g, name, strlen(name)) };
        LLVMBuildStore(g->b, lb_rt_call(g, "omni_global_slot", a, 1), lb_map_get(&g->slots, name));
    }
    for (size_t i = 0; i < g->sym_list.n; i++) {
        const char *name = g->sym_list.items[i];
        LLVMValueRef a[2] = { lb_cstring(g, name, strlen(name)), lb_i64(g, strlen(name)) };
        LLVMBuildStore(g->b, lb_rt_call(g, "omni_intern", a, 2), lb_map_get(&g->syms, name));
    }
    for (size_t i = 0; i < g->datum_list.n; i++) {
        intptr_t idx = (intptr_t)g->datum_list.items[i];
        LLVMBuildStore(g->b, build_datum(g, g->rm->consts[idx]), g->const_vals[idx]);
    }
    LLVMBuildRetVoid(g->b);
}

void lb_gen_free_consts(LbGen *g)
{
    lb_map_free(&g->cstrings);
    lb_map_free(&g->locs);
    lb_map_free(&g->floats);
    lb_map_free(&g->syms);
    lb_map_free(&g->slots);
    for (size_t i = 0; i < g->sym_list.n; i++) free(g->sym_list.items[i]);
    lb_vec_free(&g->sym_list);
    for (size_t i = 0; i < g->slot_list.n; i++) free(g->slot_list.items[i]);
    lb_vec_free(&g->slot_list);
    lb_vec_free(&g->datum_list);
    free(g->const_vals);
    g->const_vals = NULL;
}
