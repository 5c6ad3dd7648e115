/* ops.h — the Region IR op table, defined once.
 *
 *   RIR_OP(ID, "printed name", flags)
 *
 * From this table come the RirOp enum, the op names used by the printer and
 * (later) the parser, and the property bits the verifier and the passes read.
 * The operand conventions of each op are documented beside it and, in full,
 * in docs/REGION_IR.md.  Fields of RirInstr not named for an op are unused.
 */
#ifndef RIR_OP
#error "define RIR_OP(id, name, flags) before including ops.h"
#endif

/* constants */
RIR_OP(CONST,        "const",        RF_PURE)            /* %d = const <imm: raw OVal of an immediate> */
RIR_OP(CONST_FLOAT,  "const.float",  RF_PURE)            /* %d = const.float <fimm> (static box) */
RIR_OP(CONST_STR,    "const.str",    RF_PURE)            /* %d = const.str <imm: module const index of a D_STRING> */
RIR_OP(CONST_SYM,    "const.sym",    RF_PURE)            /* %d = const.sym <name> */
RIR_OP(CONST_DATUM,  "const.datum",  RF_PURE)            /* %d = const.datum <imm: module const index> (quoted data, static) */
/* data movement */
RIR_OP(MOV,          "mov",          RF_PURE)            /* %d = mov %a */
RIR_OP(PARAM,        "param",        RF_PURE)            /* %d = param <imm: index>; the rest list is param nparams */
RIR_OP(SELF,         "self",         RF_PURE)            /* %d = self   (the closure being run) */
RIR_OP(ENV_REF,      "env.ref",      RF_PURE)            /* %d = env.ref <imm: free slot> */
RIR_OP(GLOBAL_GET,   "global.get",   RF_MAYFAIL)         /* %d = global.get @<name>  (error if unbound) */
RIR_OP(GLOBAL_SET,   "global.set",   RF_MAYFAIL | RF_BARRIER) /* global.set @<name>, %v (error if unbound) */
RIR_OP(GLOBAL_DEF,   "global.def",   RF_BARRIER)         /* global.def @<name>, %v */
RIR_OP(BOX_NEW,      "box.new",      RF_ALLOC)           /* %d = box.new %v in %r */
RIR_OP(BOX_GET,      "box.get",      0)                  /* %d = box.get %b */
RIR_OP(BOX_SET,      "box.set",      RF_BARRIER)         /* box.set %b, %v */
RIR_OP(CLOSURE_NEW,  "closure.new",  RF_ALLOC)           /* %d = closure.new @<func imm>(%free...) in %r */
/* calls */
RIR_OP(CALL,         "call",         RF_CALL | RF_MAYFAIL) /* %d = call %f(%a...)        [flags: RIF_TAIL] */
RIR_OP(CALL_KNOWN,   "call.known",   RF_CALL | RF_MAYFAIL) /* %d = call.known @<func imm> %clo(%a...): args[0] = closure, args[1..] = arguments; arity known to match */
RIR_OP(PRIM,         "prim",         RF_MAYFAIL)         /* %d = prim <builtin imm>(%a...) [in %r if the builtin allocates] */
RIR_OP(CHECK_PARAM,  "check.param",  RF_MAYFAIL)         /* check.param %v, <ann imm>, "<param name>" */
/* regions */
RIR_OP(REGION_NEW,   "region.new",   0)                  /* %r = region.new %parent */
RIR_OP(REGION_EXIT,  "region.exit",  0)                  /* region.exit %r */
RIR_OP(ADMIT,        "admit",        RF_ALLOC)           /* %d = admit %v in %r: v, or its repair, made safe to be held by an object of %r (ir/pass_admit.c) */
RIR_OP(TRANSMIGRATE, "transmigrate", RF_ALLOC)           /* %d = transmigrate %v from %r1 to %r  (region2 = from, region = to) */
RIR_OP(RETAIN,       "retain",       0)                  /* retain %r */
RIR_OP(RELEASE,      "release",      0)                  /* release %r */
RIR_OP(TETHER,       "tether",       0)                  /* tether %r */
RIR_OP(UNTETHER,     "untether",     0)                  /* untether %r */
RIR_OP(REGION_GLOBAL, "region.global", RF_PURE)          /* %g = region.global   (the program's outermost region, never reclaimed) */
RIR_OP(REGION_CARRY, "region.carry", 0)                  /* %k = region.carry %k to %p (%a...): dst = region = %k, region2 = parent; may move what %a... reach in %k into a new child of %p (args rewritten) */
RIR_OP(REGION_LEAVE, "region.leave", 0)                  /* region.leave %k to %r (%a...): moves what %a... reach in %k into %r (args rewritten), then exits %k */
/* terminators */
RIR_OP(JMP,          "jmp",          RF_TERM)            /* jmp bbT */
RIR_OP(BR,           "br",           RF_TERM)            /* br %c, bbT, bbF   (truthiness: not false, not nothing) */
RIR_OP(RET,          "ret",          RF_TERM)            /* ret %v */
/* lexical scope markers of a non-tail let / letrec (ir/lower.c); ir/pass_let_regions.c turns
 * them into region.new / region.exit of the let's region or deletes them: never seen by a backend */
RIR_OP(SCOPE_BEGIN,  "scope.begin",  0)                  /* scope.begin <imm: let id>   (the let's first instruction follows) */
RIR_OP(SCOPE_END,    "scope.end",    0)                  /* scope.end <imm: let id>     (after the let's last instruction) */
