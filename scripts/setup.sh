#!/usr/bin/env bash
# setup.sh — install the Debian 12 packages OmniLisp needs, only those missing.
#
# Usage: scripts/setup.sh [--bench]
#   --bench   kept for compatibility: Chez Scheme (test/bench/run.py and the
#             fuzz test, test/fuzz) is now always installed
# Quiet and fast when everything is present (one dpkg-query); otherwise runs
# `apt-get update` once and installs the missing packages non-interactively,
# as root or through sudo.
set -euo pipefail

want=(llvm-19-dev clang-19 llvm-19-tools liburcu-dev check libedit-dev
      cmake ninja-build gcc g++ make pkg-config python3 chezscheme)
for arg in "$@"; do
    case "$arg" in
        --bench) ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "setup.sh: unknown option: $arg" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${want[@]}"; do
    # "install ok installed" is the only state in which the package is usable
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup.sh: missing packages (${missing[*]}) and no apt-get: install them by hand" >&2
    exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        # ask for a password only when someone is there to type it
        if [ -t 0 ]; then sudo=(sudo); else sudo=(sudo -n); fi
    else
        echo "setup.sh: need root (or sudo) to install: ${missing[*]}" >&2
        exit 1
    fi
fi

echo "setup.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
       "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
           --no-install-recommends "${missing[@]}"; } >"$log" 2>&1 </dev/null; then
    cat "$log" >&2
    echo "setup.sh: apt-get failed" >&2
    exit 1
fi
