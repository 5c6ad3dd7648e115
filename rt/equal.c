/* equal.c — structural equality (equal?) and the hash consistent with it.
 *
 * Choices (documented in docs/RUNTIME.md):
 *  - Like Scheme's equal?, numbers of different types are never equal:
 *    (equal? 1 1.0) is false; `=` is the numeric comparison.
 *  - Floats are equal when their bits are equal (Scheme's eqv?): NaN equals
 *    itself, 0.0 and -0.0 differ.  This keeps equal? an equivalence relation,
 *    so NaN works as a dict key.
 *  - Pairs, strings, arrays compare element-wise; dicts are equal when they
 *    have the same keys with equal values, in any order.
 *  - Symbols, functions, atoms and boxes compare by identity.
 * Hashes of identity-compared objects must not depend on the address
 * (transmigration moves objects while dicts cache hashes), so functions hash
 * their code pointers and atoms/boxes hash by type only.
 */
#include "rt_core.h"

#include <string.h>

static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static uint64_t hash_bytes(const char *s, int64_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (int64_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static bool dict_equal(const ODict *a, const ODict *b)
{
    if (a->count != b->count)
        return false;
    OVal bv = OMNI_VAL(b);
    for (int64_t i = 0; i < a->used; i++) {
        const ODictEntry *e = &a->entries[i];
        if (e->key == OMNI_UNBOUND)
            continue;
        if (!omni_dict_has(bv, e->key) || !omni_equal(e->val, omni_dict_get(bv, e->key, OMNI_NOTHING)))
            return false;
    }
    return true;
}

bool omni_equal(OVal a, OVal b)
{
    for (;;) { /* loops along list tails: long lists need no stack */
        if (a == b)
            return true;
        if (!omni_is_ref(a) || !omni_is_ref(b))
            return false;
        uint32_t t = omni_type_of_ref(a);
        if (t != omni_type_of_ref(b))
            return false;
        switch ((OmniType)t) {
        case OT_PAIR: {
            const OPair *p = OMNI_PAIR(a), *q = OMNI_PAIR(b);
            if (!omni_equal(p->car, q->car))
                return false;
            a = p->cdr;
            b = q->cdr;
            continue;
        }
        case OT_FLOAT: {
            double x = omni_float_val(a), y = omni_float_val(b);
            return memcmp(&x, &y, sizeof x) == 0;
        }
        case OT_STRING: {
            const OString *s = OMNI_PTR(OString, a), *u = OMNI_PTR(OString, b);
            return s->len == u->len && memcmp(s->data, u->data, (size_t)s->len) == 0;
        }
        case OT_ARRAY: {
            const OArray *x = OMNI_PTR(OArray, a), *y = OMNI_PTR(OArray, b);
            if (x->len != y->len)
                return false;
            for (int64_t i = 0; i < x->len; i++)
                if (!omni_equal(x->items[i], y->items[i]))
                    return false;
            return true;
        }
        case OT_DICT:
            return dict_equal(OMNI_PTR(ODict, a), OMNI_PTR(ODict, b));
        case OT_ERROR: { /* immutable: equal when message and irritants are */
            const OError *x = OMNI_PTR(OError, a), *y = OMNI_PTR(OError, b);
            if (!omni_equal(x->message, y->message))
                return false;
            a = x->irritants;
            b = y->irritants;
            continue;
        }
        case OT_SYMBOL:
        case OT_CLOSURE:
        case OT_ATOM:
        case OT_BOX:
        case OT_THREAD:
        case OT_CHAN:
        case OT__COUNT:
            return false; /* identity, and a != b */
        }
        return false;
    }
}

uint64_t omni_hash(OVal v)
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (;;) { /* list spines hashed in a loop */
        if (!omni_is_ref(v))
            return mix(h ^ mix(v));
        uint32_t t = omni_type_of_ref(v);
        switch ((OmniType)t) {
        case OT_PAIR:
            h = mix(h ^ omni_hash(OMNI_PAIR(v)->car)) + 0x51;
            v = OMNI_PAIR(v)->cdr;
            continue;
        case OT_FLOAT: {
            double d = omni_float_val(v);
            uint64_t bits;
            memcpy(&bits, &d, sizeof bits);
            return mix(h ^ bits ^ 0xF1);
        }
        case OT_STRING: {
            const OString *s = OMNI_PTR(OString, v);
            return mix(h ^ hash_bytes(s->data, s->len));
        }
        case OT_SYMBOL:
            return mix(h ^ OMNI_PTR(OSymbol, v)->hash ^ 0x5e);
        case OT_ARRAY: {
            const OArray *a = OMNI_PTR(OArray, v);
            uint64_t x = mix(h ^ 0xA1 ^ (uint64_t)a->len);
            for (int64_t i = 0; i < a->len; i++)
                x = mix(x ^ omni_hash(a->items[i]));
            return x;
        }
        case OT_DICT: { /* order-insensitive, like dict equality */
            const ODict *d = OMNI_PTR(ODict, v);
            uint64_t sum = 0;
            for (int64_t i = 0; i < d->used; i++)
                if (d->entries[i].key != OMNI_UNBOUND)
                    sum += mix(d->entries[i].hash ^ mix(omni_hash(d->entries[i].val)));
            return mix(h ^ 0xD1 ^ sum ^ (uint64_t)d->count);
        }
        case OT_CLOSURE: {
            const OClosure *c = OMNI_PTR(OClosure, v);
            return mix(h ^ mix((uint64_t)(uintptr_t)c->code ^ (uint64_t)(uintptr_t)c->generic) ^
                       (uint64_t)(uintptr_t)c->builtin ^ 0xC1);
        }
        case OT_ERROR: {
            const OError *e = OMNI_PTR(OError, v);
            h = mix(h ^ omni_hash(e->message) ^ 0xE1);
            v = e->irritants;
            continue;
        }
        case OT_ATOM:
        case OT_BOX:
        case OT_THREAD:
        case OT_CHAN:
        case OT__COUNT:
            return mix(h ^ t);
        }
        return mix(h ^ t);
    }
}
