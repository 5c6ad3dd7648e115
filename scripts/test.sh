#!/usr/bin/env bash
# test.sh — install what is missing, build OmniLisp three times and run the
# tests in each build:
#   build/        the normal build (RelWithDebInfo): every test
#   build-asan/   -DOMNI_SANITIZE=ON (AddressSanitizer + UndefinedBehaviorSanitizer):
#                 every test
#   build-tsan/   -DOMNI_SANITIZE=thread (ThreadSanitizer): the tests that run
#                 threads (unit test_threads, test_smr, test_regions; lit threads/)
# Each build runs ctest: one Check executable per test/unit/test_*.c and the
# lit suite (test/lit: diag/ rir/ llvm/ run/ threads/ ...).  Prints one line
# per suite and ends with "N passed, N failed" (summed over the builds);
# exits non-zero when anything fails.
#
# Options: --no-asan   only the normal build
#          --asan-only only the AddressSanitizer build
#          --no-tsan   the normal and AddressSanitizer builds
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

configs=(normal asan tsan)
for arg in "$@"; do
    case "$arg" in
        --no-asan) configs=(normal) ;;
        --asan-only) configs=(asan) ;;
        --no-tsan) configs=(normal asan) ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "test.sh: unknown option: $arg" >&2; exit 2 ;;
    esac
done

"$OMNI_ROOT/scripts/setup.sh" || exit 1

total_pass=0
total_fail=0
start=$(date +%s)

run_config() {
    local label=$1 dir=$2; shift 2
    echo "== $label: building $dir"
    if ! omni_build "$dir" "$@"; then
        echo "[$label] build                         FAIL  0 passed, 1 failed"
        total_fail=$((total_fail + 1))
        return
    fi
    echo "== $label: testing"
    local junit="$dir/test-report.xml" counts="$dir/test-counts.txt"
    rm -f "$junit" "$counts"
    # the lit suite runs its tests two at a time itself; unit tests are quick
    ctest --test-dir "$dir" -j2 --output-junit "$junit" \
          --test-output-size-passed 65536 --test-output-size-failed 4194304 \
          >"$dir/ctest.log" 2>&1 </dev/null
    python3 "$OMNI_ROOT/scripts/test_summary.py" --label "$label" \
        --counts "$counts" --log "$dir/test-output.log" "$junit"
    local p=0 f=1
    if [ -f "$counts" ]; then
        read -r p f <"$counts"
    fi
    if ! grep -q '<testcase' "$junit" 2>/dev/null; then
        echo "[$label] ctest ran no test:"; tail -20 "$dir/ctest.log"
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
}

for c in "${configs[@]}"; do
    case "$c" in
        normal) run_config build "$OMNI_ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo ;;
        asan)   run_config asan "$OMNI_ROOT/build-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOMNI_SANITIZE=ON ;;
        tsan)   run_config tsan "$OMNI_ROOT/build-tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOMNI_SANITIZE=thread ;;
    esac
done

echo "== done in $(( $(date +%s) - start )) s"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
