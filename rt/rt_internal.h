/* rt_internal.h — what the runtime's core (regions, objects, numbers,
 * strings, dicts, printing) offers the rest of rt/ (the built-ins).
 * Not part of the ABI seen by compiled code: that is omni.h.
 */
#ifndef OMNI_RT_INTERNAL_H
#define OMNI_RT_INTERNAL_H

#include "omni.h"
#include <stdarg.h>

/* ---- object access (no checks) ---- */
#define OMNI_PTR(T, v) ((T *)(uintptr_t)(v))
#define OMNI_VAL(p)    ((OVal)(uintptr_t)(p))

/* ---- checked access: raise "who: expected <T>, got <v>" at loc ---- */
int64_t  omni_want_fix(const OmniLoc *loc, const char *who, OVal v);
double   omni_want_double(const OmniLoc *loc, const char *who, OVal v); /* Int or Float */
OString *omni_want_string(const OmniLoc *loc, const char *who, OVal v);
OPair   *omni_want_pair(const OmniLoc *loc, const char *who, OVal v);
OArray  *omni_want_array(const OmniLoc *loc, const char *who, OVal v);
ODict   *omni_want_dict(const OmniLoc *loc, const char *who, OVal v);
OAtom   *omni_want_atom(const OmniLoc *loc, const char *who, OVal v);
OSymbol *omni_want_symbol(const OmniLoc *loc, const char *who, OVal v);
void     omni_want_fn(const OmniLoc *loc, const char *who, OVal v);
/* Name of v's type for messages: "Int", "Float", "String", "Pair", "()", ... */
const char *omni_type_name(OVal v);

/* ---- numbers (the numeric tower: Int, Float; overflow is an error) ---- */
bool omni_is_number(OVal v);
bool omni_is_float(OVal v);
static inline double omni_float_val(OVal v) { return ((OFloat *)(uintptr_t)v)->d; }
/* Generic binary operations on any two numbers (Int/Float mixing,
 * overflow → omni_err_overflow, / on Ints exact → Int else Float). */
OVal omni_num_add(Region *r, const OmniLoc *loc, OVal a, OVal b);
OVal omni_num_sub(Region *r, const OmniLoc *loc, OVal a, OVal b);
OVal omni_num_mul(Region *r, const OmniLoc *loc, OVal a, OVal b);
OVal omni_num_div(Region *r, const OmniLoc *loc, OVal a, OVal b);
/* -1, 0, 1; `who` names the operation in a type error. */
int  omni_num_cmp(const OmniLoc *loc, const char *who, OVal a, OVal b);
/* Int from an int64 that may be out of fixnum range (→ overflow error). */
OVal omni_int_checked(const OmniLoc *loc, const char *who, int64_t n);
/* IEEE-correct numeric relation: false whenever a NaN is involved (which
 * omni_num_cmp cannot express: it returns 2 for unordered operands).
 * Int/Float comparisons are exact. */
enum { OMNI_REL_EQ, OMNI_REL_LT, OMNI_REL_GT, OMNI_REL_LE, OMNI_REL_GE };
bool omni_num_rel(const OmniLoc *loc, const char *who, int rel, OVal a, OVal b);
/* quot / rem / mod on any two numbers (Int pair → Int, else Float; a zero
 * divisor is a division-by-zero error).  Slow paths of the hot built-ins. */
OVal omni_num_quot(Region *r, const OmniLoc *loc, OVal a, OVal b);
OVal omni_num_rem(Region *r, const OmniLoc *loc, OVal a, OVal b);
OVal omni_num_mod(Region *r, const OmniLoc *loc, OVal a, OVal b);

/* ---- allocation helpers ---- */
OVal     omni_cons_in(Region *r, OVal car, OVal cdr);
OString *omni_string_alloc(Region *r, int64_t len);   /* data[len] = 0, rest uninitialised */
OVal     omni_make_string(Region *r, const char *bytes, int64_t len);
OVal     omni_array_new(Region *r, int64_t cap);
/* Grows in the array's own region (region_of(array)); stores go through the barrier. */
void     omni_array_push(OVal array, OVal v);
void     omni_array_set(OVal array, int64_t i, OVal v);
OVal     omni_atom_new(Region *r, OVal v);
void     omni_atom_set(OVal atom, OVal v);           /* through the barrier */

/* ---- dicts (insertion ordered; keys compared with equal?) ---- */
OVal omni_dict_new(Region *r, int64_t cap);
OVal omni_dict_get(OVal d, OVal key, OVal dflt);
bool omni_dict_has(OVal d, OVal key);
void omni_dict_put(OVal d, OVal key, OVal val);      /* grows in the dict's region */
/* The same for a dict being constructed: fields initialised, no barrier
 * (the compiler admitted the values; docs/CTRR.md, "The invariant"). */
void omni_dict_init_put(OVal d, OVal key, OVal val);
bool omni_dict_remove(OVal d, OVal key);

/* Largest list or array a single built-in call creates (range, make-array):
 * past it the request is a located error, not hours of allocation. */
#define OMNI_MAX_ELEMENTS ((int64_t)1 << 28)

/* ---- lists ---- */
/* Length of a proper list, or -1 if v is not a proper list. */
int64_t omni_list_length(OVal v);
/* List of n values, allocated in r. */
OVal omni_list_from(Region *r, int64_t n, const OVal *items);
/* map over any sequences with any function value (rt/b_list.c). */
OVal omni_map_general(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv);
/* get and put! on anything but an array with an Int index in range (the
 * hot built-ins of rt/hot.c take that case inline): rt/b_coll.c. */
OVal omni_get_general(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv);
OVal omni_put_general(Region *r, const OmniLoc *loc, OVal c, OVal k, OVal v);

/* ---- growable byte buffer (malloc'd) for building strings and output ---- */
typedef struct OmniBuf { char *p; size_t n, cap; } OmniBuf;
void omni_buf_putc(OmniBuf *b, char c);
void omni_buf_puts(OmniBuf *b, const char *s, size_t n);
void omni_buf_printf(OmniBuf *b, const char *fmt, ...);
/* Appends the display (write_form = false) or write form of v. */
void omni_buf_value(OmniBuf *b, OVal v, bool write_form);
void omni_buf_free(OmniBuf *b);
/* Shortest round-trip text of a double, Python repr style ("1.0", "1e+16"). */
void omni_format_double(char out[32], double d);

/* ---- UTF-8 (strings are bytes; string-length/string-ref count code points) ---- */
int64_t omni_utf8_length(const char *s, int64_t n);
/* Byte offset of the i-th code point, or -1 if out of range. */
int64_t omni_utf8_offset(const char *s, int64_t n, int64_t i);
/* Decodes one code point at s (n bytes left); stores its byte length. */
uint32_t omni_utf8_decode(const char *s, int64_t n, int *len);
int omni_utf8_encode(uint32_t cp, char out[4]);

/* ---- output (buffered stdout; flushed at exit and before errors) ---- */
void omni_out_write(const char *s, size_t n);
void omni_out_flush(void);

/* ---- errors caught by `try` (rt/error.c; rt/b_error.c makes the value) ---- */
typedef struct OmniCaught {
    Region *r;         /* the try's result region */
    OVal message;      /* an `error` call's message, living in r or older; 0: use text */
    OVal irritants;    /* an `error` call's irritants, a list living in r; () otherwise */
    char text[1024];   /* the message as it would have been printed */
    const OmniLoc *loc; /* where it was raised (NULL: unknown) */
} OmniCaught;
/* Runs fn(arg) in a catching frame: returns 0 when it returned, 1 when an
 * error was raised inside (recorded in *out, not printed; the regions made
 * since the start exited). */
int omni_try_catch(Region *r, void (*fn)(void *), void *arg, OmniCaught *out);
/* Raises the error of an `error` call: text is the printed message,
 * argv[0] the message value, argv[1..argc-1] the irritants. */
_Noreturn void omni_raise_irritants(const OmniLoc *loc, const char *text, int64_t argc, const OVal *argv);
/* A new error value in r (rt/b_error.c); the fields must already live as
 * long as r (it is made by the runtime, not through admission). */
OVal omni_error_new(Region *r, OVal message, OVal irritants);

/* ---- threads (rt/thread.c, rt/stack.c) ---- */
/* A thread with the program's execution environment (big stack, guard,
 * stack-overflow errors) running fn(arg); joined once. */
typedef struct OmniBigThread OmniBigThread;
OmniBigThread *omni_big_thread_start(int (*fn)(void *), void *arg);
int omni_big_thread_join(OmniBigThread *t);
/* h (a Thread or Chan handle) is a new handle in r on its core: counted,
 * and uncounted when r dies (types.c's clone, thread.c's constructors). */
void omni_core_handle(OVal h, Region *r);
/* The number `thread` gave a thread handle (printing). */
int64_t omni_thread_id(OVal t);
/* True once when the embedder has an interrupt pending for the program
 * thread (Ctrl-C in the REPL): the caller raises "interrupted". */
bool omni_take_interrupt(void);

/* ---- built-in function values (rt/builtins.c) ---- */
/* Installs one global function value per non-hidden built-in. */
void omni_builtins_install(void);

#endif
