/* object.c — constructors and helpers for strings, arrays, atoms and lists,
 * and the UTF-8 routines.
 *
 * Strings are immutable UTF-8 byte sequences, NUL-terminated for C's sake;
 * string-length and string-ref count code points.  An array's items buffer
 * lives in the array's own region and grows there (the global region for a
 * static array); every element store goes through omni_store.
 */
#include "rt_core.h"

#include <string.h>

/* ---- strings ------------------------------------------------------------ */

OString *omni_string_alloc(Region *r, int64_t len)
{
    OString *s = omni_region_alloc_inline(r, sizeof(OString) + (size_t)len + 1);
    omni_hdr_init(s, OT_STRING);
    s->len = len;
    s->data[len] = 0;
    return s;
}

OVal omni_make_string(Region *r, const char *bytes, int64_t len)
{
    OString *s = omni_string_alloc(r, len);
    if (len)
        memcpy(s->data, bytes, (size_t)len);
    return OMNI_VAL(s);
}

/* ---- arrays ---------------------------------------------------------------- */

OVal omni_array_new(Region *r, int64_t cap)
{
    OArray *a = omni_region_alloc_inline(r, sizeof(OArray));
    omni_hdr_init(a, OT_ARRAY);
    a->len = 0;
    a->cap = cap > 0 ? cap : 0;
    a->items = a->cap ? omni_region_alloc_inline(r, (size_t)a->cap * sizeof(OVal)) : NULL;
    return OMNI_VAL(a);
}

void omni_array_push(OVal av, OVal v)
{
    OArray *a = OMNI_PTR(OArray, av);
    if (a->len == a->cap) {
        Region *r = omni_region_of(av);
        if (!r)
            r = omni_region_global(); /* a static array grows in the global region */
        Region *ar = omni_region_for_alloc(r); /* another thread's array: in ours */
        int64_t cap = a->cap ? a->cap * 2 : 4;
        OVal *items = omni_region_alloc_inline(ar, (size_t)cap * sizeof(OVal));
        /* Moving the array's own elements makes no new edge: no barrier. */
        if (a->len)
            memcpy(items, a->items, (size_t)a->len * sizeof(OVal));
        if (ar == r && omni_load_relaxed_u64(&omni_rs_slots_live)) /* counted edges are keyed by slot */
            omni_rs_move(r, a->items, items, a->len);
        a->items = items;
        a->cap = cap;
    }
    omni_store(av, &a->items[a->len], v);
    a->len++;
}

void omni_array_set(OVal av, int64_t i, OVal v)
{
    omni_store(av, &OMNI_PTR(OArray, av)->items[i], v);
}

/* ---- atoms ------------------------------------------------------------------- */

OVal omni_atom_new(Region *r, OVal v)
{
    OAtom *a = omni_region_alloc_inline(r, sizeof(OAtom));
    omni_hdr_init(a, OT_ATOM);
    a->val = v;
    return OMNI_VAL(a);
}

void omni_atom_set(OVal atom, OVal v)
{
    omni_store(atom, &OMNI_PTR(OAtom, atom)->val, v);
}

/* ---- lists --------------------------------------------------------------------- */

OVal omni_cons_in(Region *r, OVal car, OVal cdr)
{
    return OMNI_PAIR_VAL(omni_pair_new_inline(r, car, cdr));
}

/* Pairs are immutable, so a list cannot be cyclic: a plain walk ends. */
int64_t omni_list_length(OVal v)
{
    int64_t n = 0;
    while (omni_is_type(v, OT_PAIR)) {
        n++;
        v = OMNI_PAIR(v)->cdr;
    }
    return v == OMNI_NIL ? n : -1;
}

OVal omni_list_from(Region *r, int64_t n, const OVal *items)
{
    OVal l = OMNI_NIL;
    for (int64_t i = n - 1; i >= 0; i--)
        l = omni_cons_in(r, items[i], l);
    return l;
}

/* ---- UTF-8 ------------------------------------------------------------------------ */

int64_t omni_utf8_length(const char *s, int64_t n)
{
    int64_t len = 0;
    for (int64_t i = 0; i < n;) {
        int k;
        omni_utf8_decode(s + i, n - i, &k);
        i += k;
        len++;
    }
    return len;
}

int64_t omni_utf8_offset(const char *s, int64_t n, int64_t idx)
{
    if (idx < 0)
        return -1;
    int64_t i = 0;
    for (int64_t c = 0; c < idx; c++) {
        if (i >= n)
            return -1;
        int k;
        omni_utf8_decode(s + i, n - i, &k);
        i += k;
    }
    return i < n ? i : -1;
}

/* Malformed input (bad lead byte, missing continuation, overlong form,
 * surrogate, > U+10FFFF) decodes as U+FFFD consuming one byte, so every
 * byte sequence has a length and nothing reads past n. */
uint32_t omni_utf8_decode(const char *s, int64_t n, int *len)
{
    const unsigned char *u = (const unsigned char *)s;
    *len = 1;
    if (n <= 0)
        return 0xFFFD;
    uint32_t c = u[0];
    if (c < 0x80)
        return c;
    int k;
    uint32_t min;
    if ((c & 0xE0) == 0xC0)
        k = 2, c &= 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0)
        k = 3, c &= 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0)
        k = 4, c &= 0x07, min = 0x10000;
    else
        return 0xFFFD;
    if (n < k)
        return 0xFFFD;
    for (int i = 1; i < k; i++) {
        if ((u[i] & 0xC0) != 0x80)
            return 0xFFFD;
        c = (c << 6) | (u[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0xFFFD;
    *len = k;
    return c;
}

int omni_utf8_encode(uint32_t cp, char out[4])
{
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}
