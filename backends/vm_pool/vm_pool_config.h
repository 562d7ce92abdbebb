// Configuration of the agent-backed VM pool (VmPoolBackend), read from spillwayd's YAML:
//
//   vm_pool:
//     agents:
//       heartbeat_interval: 5s     # agents heartbeat at least this often (sent to them)
//       heartbeat_timeout: 15s     # silence this long -> NodeDown (jobs rescheduled)
//       stop_grace_period: 10s     # SIGTERM .. SIGKILL for stops
//       max_message_bytes: 1048576 # larger agent messages end the stream
//       max_tasks_per_agent: 1024  # more tasks in one register/heartbeat end the stream
//       max_node_cpu_millis: 1024000
//       max_node_memory_mib: 67108864
//       inventory_delay: 10s       # after start: report what the agents run (recovery)
#ifndef SPILLWAY_BACKENDS_VM_POOL_VM_POOL_CONFIG_H_
#define SPILLWAY_BACKENDS_VM_POOL_VM_POOL_CONFIG_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "scheduler/model/resources.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace spillway {

struct VmPoolAgentsConfig {
  absl::Duration heartbeat_interval = absl::Seconds(5);
  absl::Duration heartbeat_timeout = absl::Seconds(15);
  absl::Duration stop_grace_period = absl::Seconds(10);
  int64_t max_message_bytes = 1 << 20;
  int max_tasks_per_agent = 1024;
  // How long after its first Poll the backend reports its BackendInventory (every task the agents
  // registered with by then) so a recovered core can fail lost attempts and stop stray ones.
  // Agents reconnect with back-off of at most 10s, so by default they all had a chance.
  absl::Duration inventory_delay = absl::Seconds(10);
  // Registrations declaring more than this (or <= 0) are rejected as impossible.
  Resources max_node_capacity{1024 * 1000, 64 * 1024 * 1024};
};

// OK, or INVALID_ARGUMENT naming the first bad field (e.g. timeout not above the interval).
absl::Status ValidateVmPoolAgentsConfig(const VmPoolAgentsConfig& config);

// Parses the value of `vm_pool.agents` (a map; null or absent = all defaults) and validates it.
// Unknown keys and malformed values are INVALID_ARGUMENT naming the key. yaml-cpp's exceptions
// are caught here and nowhere else.
absl::StatusOr<VmPoolAgentsConfig> ParseVmPoolConfig(const YAML::Node& agents);

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_VM_POOL_VM_POOL_CONFIG_H_
