#!/usr/bin/env bash
# Runs the store benchmark in a quick mode and checks it printed its figures.
set -euo pipefail
out=$("$1" --submits=400 --clients=4 --restart_jobs=1000 --dir="${TEST_TMPDIR:-/tmp}/store-bench")
echo "$out"
grep -q 'group commit speed-up' <<<"$out"
grep -q 'restart (open + replay) with 1000 jobs (4020 events)' <<<"$out"
grep -q 'restart from a snapshot holding 1000 jobs' <<<"$out"
