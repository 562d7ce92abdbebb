#!/usr/bin/env bash
# End to end with the real Prometheus server (Debian's `prometheus`): it scrapes a running
# spillwayd on loopback while spillctl drives a burst and a drain-back; then Prometheus' HTTP query
# API must show the series with the values the scenario implies.
#
# Scenario (2 simulated VMs of 1 vCPU, simulated ACI starting in 1 s, drain window 2 s):
#   2 short jobs (3 s) fill the pool; 2 long migratable jobs (40 s, wait budget 1 s) burst to ACI;
#   the short ones end, room stays for the window, both long jobs move back to the VMs and their
#   ACI groups are deleted.
set -euo pipefail
spillwayd="$1"; spillctl="$2"
command -v prometheus >/dev/null || { echo "prometheus missing (Debian package prometheus)"; exit 1; }
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/e2e.XXXXXX")"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
grpc_port=$(free_port); metrics_port=$(free_port); prom_port=$(free_port)

# Wait for a condition with a deadline (real processes: there is no clock to inject).
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then echo "timed out waiting for: $what"; tail -20 "$work"/*.log; exit 1; fi
    sleep 0.2
  done
}

cat > "$work/spillwayd.yaml" <<YAML
cluster_name: e2e
vm_pool:
  start_delay: 0s
  nodes:
    - {id: vm-1, cpu_millis: 1000, memory_mib: 2048}
    - {id: vm-2, cpu_millis: 1000, memory_mib: 2048}
aci:
  simulated: {start_latency: 1s, start_latency_jitter: 0s}
policy:
  drain_stable_window: 2s
  burst_cooldown: 1s
  aci_start_latency: 1s
YAML
"$spillwayd" --config "$work/spillwayd.yaml" --grpc_address "127.0.0.1:$grpc_port" \
  --metrics_address "127.0.0.1:$metrics_port" > "$work/spillwayd.log" 2>&1 &
pids+=($!)
wait_for 30 "spillwayd serving" grep -q "metrics on" "$work/spillwayd.log"

cat > "$work/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: spillway
    static_configs: [{targets: ["127.0.0.1:$metrics_port"]}]
YAML
prometheus --config.file "$work/prometheus.yml" --storage.tsdb.path "$work/tsdb" \
  --web.listen-address "127.0.0.1:$prom_port" > "$work/prometheus.log" 2>&1 &
pids+=($!)

query() {  # prints the first sample's value of an instant query, or "none"
  curl -fsS "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")'
}
equals() { [ "$(query "$1")" = "$2" ]; }
wait_for 60 "Prometheus scraping spillwayd" equals 'up{job="spillway"}' 1

export SPILLWAY_SERVER="127.0.0.1:$grpc_port"
for i in 1 2; do
  "$spillctl" submit -q --name short --image busybox --cpu 1 --memory 1Gi --duration 3s \
    --label spillway.sim/duration=3s -- sleep 3 > /dev/null
done
for i in 1 2; do
  "$spillctl" submit -q --name long --image busybox --cpu 1 --memory 1Gi --duration 40s \
    --max-wait 1s --migratable --label spillway.sim/duration=40s -- sleep 40 > /dev/null
done

wait_for 60 "two drain-backs in Prometheus" equals 'spillway_drain_decisions_total{reason="drain_back"}' 2
wait_for 30 "no ACI groups left" equals 'sum(spillway_aci_groups)' 0

fail=0
expect() {  # expect QUERY VALUE
  local got; got=$(query "$1")
  if [ "$got" = "$2" ]; then echo "ok   $1 = $got"; else echo "FAIL $1 = $got, want $2"; fail=1; fi
}
expect 'spillway_jobs_submitted_total' 4
expect 'spillway_placements_total{backend="vm"}' 2
expect 'spillway_placements_total{backend="aci"}' 2
expect 'spillway_burst_decisions_total{reason="wait_budget"}' 2
expect 'spillway_drain_decisions_total{reason="drain_back"}' 2
expect 'spillway_jobs_finished_total{outcome="succeeded"}' 2
expect 'spillway_aci_provisioning_seconds_count' 2
expect 'spillway_vm_pool_cpu_cores{kind="allocated"}' 2
expect 'spillway_grpc_requests_total{method="spillway.v1.JobService/SubmitJob",code="OK"}' 4
expect 'max_over_time(spillway_aci_groups{state="running"}[5m])' 2
expect 'spillway_aci_spend_dollars_total > 0' "$(query 'spillway_aci_spend_dollars_total')"
expect 'spillway_aci_spend_dollars_total > 0 and spillway_aci_spend_dollars_total < 0.001' \
  "$(query 'spillway_aci_spend_dollars_total')"
"$spillctl" cluster | tail -12
[ $fail -eq 0 ] && echo "1 passed, 0 failed" || { echo "0 passed, 1 failed"; exit 1; }
