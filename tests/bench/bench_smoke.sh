#!/usr/bin/env bash
# Runs a benchmark binary for a moment and checks it printed figures.
set -euo pipefail
out=$("$1" --benchmark_min_time=0.01 --benchmark_filter='/1000$' 2>&1)
echo "$out"
grep -q 'items_per_second' <<<"$out"
