# lib.sh — shared by scripts/omni and scripts/test.sh (sourced, not run).
#
# omni_build DIR [CMAKE-ARGS...]: configure DIR with Ninja the first time and
# build it with `ninja -j2`; prints nothing unless something fails, then the
# whole log and a non-zero status.  OMNI_ROOT is the repository root.

OMNI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OMNI_JOBS=${OMNI_JOBS:-2}

omni_build() {
    local dir=$1; shift
    local log
    log=$(mktemp)
    # configure only once: later builds let ninja re-run cmake when a
    # CMakeLists.txt or a globbed folder changes (CONFIGURE_DEPENDS)
    if [ ! -f "$dir/build.ninja" ]; then
        if ! cmake -S "$OMNI_ROOT" -B "$dir" -G Ninja "$@" >"$log" 2>&1; then
            cat "$log" >&2
            echo "error: cmake configuration of $dir failed (log above)" >&2
            rm -f "$log"
            return 1
        fi
    fi
    if ! ninja -C "$dir" -j "$OMNI_JOBS" >"$log" 2>&1; then
        cat "$log" >&2
        echo "error: build of $dir failed (log above)" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}
