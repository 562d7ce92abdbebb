#!/usr/bin/env bash
# `make bench`: runs every benchmark (built with -c opt) and prints one summary table.
#   tests/bench/run_bench.sh BAZEL_BIN [sim_jobs]
# Figures vary with the machine and its load; targets are from issue #7 and the root README.
set -euo pipefail
bin="$1/tests/bench"
sim_jobs="${2:-1000000}"
log=$(mktemp -d)

# Google Benchmark CSV -> "name items_per_second real_time time_unit".
gbench() {
  "$bin/$1" --benchmark_format=csv --benchmark_filter="$2" 2>/dev/null |
    awk -F, '/^"BM_/ { gsub(/"/, "", $1); print $1, $7, $3, $5 }'
}

echo "running placement_bench ..." >&2
gbench placement_bench '(BM_Place|BM_CoreSubmit)/5000$' >"$log/placement"
echo "running core_apply_bench ..." >&2
# Separate runs: the CSV reporter wants the same counters in every row.
gbench core_apply_bench 'BM_CoreLifecycle/1000$' >"$log/core"
gbench core_apply_bench 'BM_CoreTickWithQueue/queued:(100|1000|3000)/' >>"$log/core"
# Its counters (columns 11 and 12 of the CSV): the longest single submit, and how many took > 1 ms.
"$bin/core_apply_bench" --benchmark_format=csv --benchmark_filter='BM_CoreLongestSubmit' 2>/dev/null |
  awk -F, '/^"BM_CoreLongestSubmit/ { print $11, $12 }' >"$log/longest"
# The simulator's own speed (nothing queues), then 70% load with bursts, where queues of
# thousands form at peaks and the core's queue pass dominates (see sim/README.md). Both replay
# sim_jobs jobs (default 1M, the issue's "a million jobs in under a minute"; `make bench
# SIM_JOBS=100000` for a quicker table).
echo "running sim_speed_bench --jobs=$sim_jobs at 30% load, then at 70% load with bursts ..." >&2
"$bin/sim_speed_bench" --jobs="$sim_jobs" --utilization=0.3 --bursts_per_day=0 >"$log/sim" 2>&1 || true
"$bin/sim_speed_bench" --jobs="$sim_jobs" >>"$log/sim" 2>&1 || true
echo "running grpc_load_bench ..." >&2
"$bin/grpc_load_bench" >"$log/grpc" 2>&1 || true
# The open loop again with the servers under SCHED_BATCH, as for a CPU of spillwayd's own
# (server/README.md, "A CPU of its own"); the rows above are with the default policy.
echo "running grpc_load_bench --servers_policy=batch (open loop only) ..." >&2
"$bin/grpc_load_bench" --servers_policy=batch --stall_ms=0 --flood_connections=0 >"$log/grpc_batch" 2>&1 || true

{
  echo "| benchmark | result | target |"
  echo "|---|---|---|"
  awk '$1 == "BM_Place/5000" { printf "| placement decisions, 5,000 nodes | %.2f M/s | >= 0.1 M/s |\n", $2 / 1e6 }
       $1 == "BM_CoreSubmit/5000" { printf "| JobSubmitted through the core, 5,000 nodes | %.0f k/s | - |\n", $2 / 1e3 }' \
    "$log/placement"
  awk '$1 == "BM_CoreLifecycle/1000" { printf "| Core::Apply, job lifecycle mix, 1,000 nodes | %.0f k events/s | - |\n", $2 / 1e3 }
       $1 ~ /^BM_CoreTickWithQueue/ { split($1, a, "/"); sub(/queued:/, "", a[2]);
         what = a[3] == "gap_ms:1" ? "between full passes" : "full queue pass";
         printf "| Core::Apply (Tick), %s jobs queued on a full 100-node pool, %s | %.1f µs per event | - |\n", a[2], what, ($4 == "ns" ? $3 / 1000 : $3) }' \
    "$log/core"
  awk '{ printf "| longest single JobSubmitted, 200,000 jobs accumulating (submits over 1 ms) | %.0f µs (%d) | - |\n", $1, $2 }' \
    "$log/longest"
  grep -h '^SUMMARY|' "$log/sim" "$log/grpc" | grep -v 'core events/s' | awk -F'|' '{ printf "| %s | %s | %s |\n", $2, $3, $4 }'
  grep -E '^SUMMARY\|(spillwayd p99 at|no-op server p99)' "$log/grpc_batch" |
    awk -F'|' '{ printf "| servers under SCHED_BATCH: %s | %s | %s |\n", $2, $3, $4 }'
} | tee "$log/table"
grep -q 'SUMMARY|spillsim' "$log/sim" || { echo "sim_speed_bench failed:"; cat "$log/sim"; }
grep -q 'SUMMARY|spillwayd p99' "$log/grpc" || { echo "grpc_load_bench failed:"; cat "$log/grpc"; }
rm -rf "$log"
