#!/bin/sh
# Starts N local spillway-agents ("VMs" of 2 vCPU / 4 GiB, declared) against a spillwayd on this
# machine, for demos and `make run`-style setups; Ctrl-C stops the agents (their jobs keep running
# until stopped by spillwayd or killed).
#   agent/local_agents.sh [SERVER] [N]      e.g. agent/local_agents.sh 127.0.0.1:50051 3
set -eu
server="${1:-127.0.0.1:50051}"
count="${2:-3}"
agent="${SPILLWAY_AGENT:-$(bazel info bazel-bin 2>/dev/null)/agent/spillway-agent}"
root="${SPILLWAY_AGENT_ROOT:-/tmp/spillway-agents}"
zones="a b c"
pids=""
trap 'kill $pids 2>/dev/null; wait' INT TERM EXIT
i=1
while [ "$i" -le "$count" ]; do
  zone=$(echo $zones | cut -d' ' -f$(( (i - 1) % 3 + 1 )))
  mkdir -p "$root/vm-$i"
  "$agent" --server="$server" --node_id="vm-$i" --cpu_millis=2000 --memory_mib=4096 \
      --labels="zone=$zone" --work_dir="$root/vm-$i" --heartbeat_interval=1s &
  pids="$pids $!"
  i=$((i + 1))
done
wait
