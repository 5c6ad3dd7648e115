/* b_common.h — small helpers shared by the built-in function files
 * (rt/b_*.c): building a list front to back without recursion, walking a
 * list-or-array sequence uniformly, and scratch arrays that cannot leak when
 * an error unwinds through the built-in.  Private to the built-ins.
 */
#ifndef OMNI_B_COMMON_H
#define OMNI_B_COMMON_H

#include "rt_internal.h"
#include "region.h"   /* omni_pair_new_inline */

/* ---- building a list front to back ----
 * Lists may have millions of elements, so they are built iteratively: the
 * last pair's cdr is patched in place.  This is sound without the store
 * barrier because both pairs are fresh and live in the same region `r`,
 * and nobody else has seen the list yet. */
typedef struct OmniListBuild { OVal head, tail; } OmniListBuild;

static inline void omni_lbuild_init(OmniListBuild *b) { b->head = OMNI_NIL; b->tail = 0; }

static inline void omni_lbuild_push(Region *r, OmniListBuild *b, OVal v)
{
    OVal cell = OMNI_PAIR_VAL(omni_pair_new_inline(r, v, OMNI_NIL));
    if (b->tail)
        OMNI_PAIR(b->tail)->cdr = cell;
    else
        b->head = cell;
    b->tail = cell;
}

/* ---- walking a list or an array ----
 * Arrays are re-read on every step (length and items) because a function
 * called by map/for-each may push! onto the array being walked. */
typedef struct OmniSeq {
    OVal orig;    /* for the message when a list turns out improper */
    OVal cur;     /* list: the remaining list; array: the array */
    int64_t i;    /* array: next index */
    bool is_array;
} OmniSeq;

static inline bool omni_is_list_head(OVal v) { return v == OMNI_NIL || omni_is_type(v, OT_PAIR); }

/* False if v is neither a list nor an array. */
static inline bool omni_seq_init(OmniSeq *s, OVal v)
{
    s->orig = v;
    s->cur = v;
    s->i = 0;
    s->is_array = omni_is_type(v, OT_ARRAY);
    return s->is_array || omni_is_list_head(v);
}

/* Next element into *out; false at the end.  An improper list is a type
 * error naming `who`. */
static inline bool omni_seq_next(const OmniLoc *loc, const char *who, OmniSeq *s, OVal *out)
{
    if (s->is_array) {
        OArray *a = OMNI_PTR(OArray, s->cur);
        if (s->i >= a->len)
            return false;
        *out = a->items[s->i++];
        omni_rs_note_load(*out);
        return true;
    }
    if (s->cur == OMNI_NIL)
        return false;
    if (!omni_is_type(s->cur, OT_PAIR))
        omni_err_type(loc, who, "List", s->orig);
    OPair *p = OMNI_PAIR(s->cur);
    *out = p->car;
    s->cur = p->cdr;
    return true;
}

/* Scratch space for n values: on the stack buffer when small, else in the
 * region (region memory cannot leak when an error longjmps out). */
static inline OVal *omni_scratch(Region *r, OVal *stackbuf, int64_t stackn, int64_t n)
{
    if (n <= stackn)
        return stackbuf;
    return (OVal *)omni_alloc(r, (size_t)n * sizeof(OVal));
}

/* ---- text built in a malloc'd OmniBuf (rt/print.c) ----
 * Copies the buffer into a fresh region string and frees it.  Callers
 * raise no error while the buffer is live, so it cannot leak. */
static inline OVal omni_buf_to_string(Region *r, OmniBuf *b)
{
    OVal s = omni_make_string(r, b->p ? b->p : "", (int64_t)b->n);
    omni_buf_free(b);
    return s;
}

#endif
