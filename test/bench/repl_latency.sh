#!/bin/sh
# repl_latency.sh — re-measures omni-jit's interactive latency.
#
#   start-up   process launch → REPL ready (JIT created), median of 15 runs
#   definition input text → echoed result for a small (define (f x) ...)
#   call       input text → echoed result for (f 20)
#   pipe       wall time of `echo '(+ 1 2)' | omni-jit` (whole process)
#
# The per-input numbers come from `omni-jit --bench-latency=N`, which feeds
# inputs through the same path as the REPL (REPL session, -O1, echo).
# Targets: under 10 ms median per input, under 100 ms start-up.
# usage: test/bench/repl_latency.sh [BUILD_DIR] [N]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${OMNI_BUILD_DIR:-$here/../../build}}
n=${2:-200}
jit=$build/omni-jit
[ -x "$jit" ] || { echo "repl_latency.sh: no omni-jit in $build" >&2; exit 1; }

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) printf "%.1f", a[int((NR + 1) / 2)] }'; }

start=$(for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
    OMNI_BENCH_T0=$(date +%s%N) "$jit" --bench-latency=1 2>&1 >/dev/null |
        awk '/exec -> ready/ { print $(NF - 1) }'
done | median)
echo "start-up (launch -> ready): median $start ms"

pipe=$(for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
    t0=$(date +%s%N)
    echo '(+ 1 2)' | "$jit" >/dev/null
    t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000 ))
done | median)
echo "echo '(+ 1 2)' | omni-jit (whole process): median $(awk "BEGIN { printf \"%.1f\", $pipe / 1000 }") ms"

"$jit" --bench-latency="$n" 2>&1 >/dev/null | grep -v '^start-up'
