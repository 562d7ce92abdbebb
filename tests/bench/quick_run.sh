#!/usr/bin/env bash
# Runs a benchmark binary in its quick mode (further arguments go to it): it must exit 0 (its own
# invariants held) and print its SUMMARY lines. Speed is not checked.
set -euo pipefail
out=$("$1" --quick "${@:2}" 2>&1)
echo "$out"
grep -q '^SUMMARY|' <<<"$out"
