#!/usr/bin/env bash
# `make run`: spillwayd with the real code paths on one machine —
#   - the VM pool is three local spillway-agents ("VMs" of 2 vCPU / 4 GiB, declared) that run jobs
#     as real processes;
#   - ACI is the real ARM backend talking to the bundled ARM emulator (tools/aci-emulator), which
#     runs each container group's command as a local process.
# State is kept in $DATA_DIR (default .spillway-data); Ctrl-C stops everything.
set -euo pipefail
bin="$1"; shift
data="${DATA_DIR:-$PWD/.spillway-data}"
mkdir -p "$data"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # Jobs on the local "VMs" outlive their agent (as on real VMs); this is a demo: stop them too.
  for f in "$data"/agents/*/tasks/*/pid; do
    [ -f "$f" ] && [ ! -f "$(dirname "$f")/exit" ] && kill -TERM -- "-$(cat "$f")" 2>/dev/null || true
  done
}
trap cleanup EXIT INT TERM

"$bin/tools/aci-emulator/aci-emulator" --port=0 --provisioning_min=15s --provisioning_max=25s \
  > "$data/aci-emulator.log" 2>&1 &
pids+=($!)
port=""
for _ in $(seq 1 100); do  # The emulator prints its port once it listens (at most ~10 s).
  port=$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$data/aci-emulator.log" | grep -oE '[0-9]+$' || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "aci-emulator did not start:"; cat "$data/aci-emulator.log"; exit 1; }
echo "aci-emulator: http://127.0.0.1:$port (container output under the path in $data/aci-emulator.log)"

config="$data/spillwayd.yaml"
cat > "$config" <<YAML
# Written by scripts/run-local.sh: local agents as the VM pool, ACI through the local ARM emulator.
cluster_name: local
vm_pool:
  agents: {heartbeat_interval: 1s, heartbeat_timeout: 5s, stop_grace_period: 5s}
aci:
  arm:
    base_url: http://127.0.0.1:$port
    subscription_id: 00000000-0000-0000-0000-000000000000
    resource_group: spillway-local
    location: eastus
    auth: {mode: none}
    poll_interval: 2s
    reconcile_interval: 30s
policy: {}
YAML
"$bin/server/spillwayd" --config "$config" --data_dir "$data" "$@" &
pids+=($!)
daemon=$!
SPILLWAY_AGENT="$bin/agent/spillway-agent" SPILLWAY_AGENT_ROOT="$data/agents" \
  sh agent/local_agents.sh 127.0.0.1:50051 3 > "$data/agents.log" 2>&1 &
pids+=($!)
echo "spillway-agents: vm-1..vm-3 (work dirs and job logs under $data/agents, log in $data/agents.log)"
wait "$daemon"
