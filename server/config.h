// spillwayd's YAML configuration. Parsing never throws: yaml-cpp's exceptions are caught in
// config.cc (the only try/catch outside metrics/) and every error is INVALID_ARGUMENT naming the
// key path ("vm_pool.nodes[1].cpu_millis: ...") and its line.
//
// Keys (all optional; see spillwayd.example.yaml, which is also the built-in default):
//   cluster_name: local
//   grpc_address: 127.0.0.1:50051     # --grpc_address, when given, wins
//   data_dir: /var/lib/spillway       # --data_dir, when given, wins
//   vm_pool:
//     start_delay: 1s                 # simulated agents: StartVmTask -> TaskRunning
//     nodes: [{id: vm-1, cpu_millis: 2000, memory_mib: 4096, labels: {zone: a}}]
//   aci:
//     simulated: {start_latency: 20s, start_latency_jitter: 5s, create_failure_rate: 0.0,
//                 delete_latency: 2s, seed: 1}
//   policy:                           # spillway.v1.Policy fields by name, over DefaultPolicy()
//     default_max_wait: 60s           # durations as strings
//     placement_strategy: PLACEMENT_STRATEGY_SPREAD   # enums by name (or the suffix: SPREAD)
//     priority_max_wait: [{min_priority: 500, max_wait: 15s}]
// Unknown keys are errors.
#ifndef SPILLWAY_SERVER_CONFIG_H_
#define SPILLWAY_SERVER_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "backends/aci/aci_config.h"
#include "backends/vm_pool/vm_pool_config.h"
#include "proto/spillway/v1/admin.pb.h"
#include "scheduler/model/resources.h"

namespace spillway {

// The built-in configuration (the text of server/spillwayd.example.yaml): cluster "local", nodes
// vm-1..vm-3 of 2000m / 4096Mi in zones a/b/c, simulated ACI starting in 20s +- 5s, the default
// policy.
extern const char kDefaultConfigYaml[];

struct NodeConfig {
  std::string id;
  Resources capacity;
  std::map<std::string, std::string> labels;
};

struct VmPoolConfig {
  // Real agents (spillway-agent) register over AgentService; the declared nodes are then unused.
  std::optional<VmPoolAgentsConfig> agents;
  std::vector<NodeConfig> nodes;
  // Simulated agents: from StartVmTask to TaskRunning. Unset = the backend's default.
  std::optional<absl::Duration> start_delay;
};

// The simulated ACI backend. Unset fields take the backend's defaults.
struct SimulatedAciConfig {
  std::optional<absl::Duration> start_latency;
  std::optional<absl::Duration> start_latency_jitter;
  std::optional<double> create_failure_rate;  // [0, 1]
  std::optional<absl::Duration> delete_latency;
  std::optional<uint64_t> seed;
};

struct AciConfig {
  SimulatedAciConfig simulated;
  // The real backend (ARM REST), used instead of the simulated one when present.
  std::optional<AciBackendConfig> arm;
};

struct Config {
  std::string cluster_name = "local";
  std::string grpc_address;  // Empty: the --grpc_address flag's value.
  std::string data_dir;      // Empty: the --data_dir flag's value.
  VmPoolConfig vm_pool;
  AciConfig aci;
  spillway::v1::Policy policy;  // Complete: DefaultPolicy() with the file's fields over it.
};

// Parses YAML text. `source` names it in error messages (a path, or "<embedded default>").
absl::StatusOr<Config> ParseConfig(absl::string_view yaml,
                                   absl::string_view source = "<config>");

// Reads and parses a file; NOT_FOUND / PERMISSION_DENIED etc. when it cannot be read.
absl::StatusOr<Config> LoadConfigFile(const std::string& path);

// kDefaultConfigYaml, parsed.
Config DefaultConfig();

}  // namespace spillway

#endif  // SPILLWAY_SERVER_CONFIG_H_
