#!/usr/bin/env bash
# `promtool check metrics` on the real exposition (from metrics_sample): names, types, help, units.
set -euo pipefail
sample="$1"
out="${TEST_TMPDIR:-/tmp}/metrics.txt"
"$sample" > "$out"
grep -q '^spillway_jobs_submitted_total 2$' "$out" || { echo "sample did not run the scenario"; exit 1; }
if ! command -v promtool >/dev/null; then echo "promtool missing (Debian package prometheus)"; exit 1; fi
problems=$(promtool check metrics < "$out" 2>&1) || true
# prometheus-cpp's own exposer_* metrics are not ours; judge only spillway_* lines.
ours=$(grep -E '^spillway_' <<<"$problems" || true)
if [ -n "$ours" ]; then echo "$ours"; exit 1; fi
echo "promtool: spillway_* metrics OK ($(grep -c '^spillway_' "$out") samples)"
