// Checks on everything an agent sends, before it reaches the backend's state or the core.
// Pure functions: no state, no I/O. Each returns INVALID_ARGUMENT naming the offending field.
#ifndef SPILLWAY_BACKENDS_VM_POOL_AGENT_MESSAGE_VALIDATION_H_
#define SPILLWAY_BACKENDS_VM_POOL_AGENT_MESSAGE_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "backends/vm_pool/vm_pool_config.h"
#include "proto/spillway/v1/agent.pb.h"

namespace spillway {

inline constexpr int kMaxAgentLabels = 64;
inline constexpr int kMaxAgentLabelBytes = 253;
inline constexpr int kMaxAgentReasonBytes = 4096;
inline constexpr int kMaxAgentJobIdBytes = 128;

// [a-z0-9][a-z0-9.-]{0,62}
bool IsValidNodeId(absl::string_view node_id);

// One task report: job id 1..128 printable non-space chars, attempt >= 1, a known state, reason
// at most 4 KiB, non-negative usage.
absl::Status ValidateTaskReport(const spillway::v1::TaskReport& task, absl::string_view field);

// A registration: valid node id, 0 < capacity <= config.max_node_capacity, bounded labels, at most
// config.max_tasks_per_agent valid task reports without duplicates.
absl::Status ValidateRegister(const spillway::v1::RegisterRequest& request,
                              const VmPoolAgentsConfig& config);

// A heartbeat: at most config.max_tasks_per_agent valid task reports.
absl::Status ValidateHeartbeat(const spillway::v1::Heartbeat& heartbeat,
                               const VmPoolAgentsConfig& config);

// Any message: a body is set and the encoded size is at most config.max_message_bytes.
absl::Status ValidateEnvelope(const spillway::v1::AgentMessage& message,
                              const VmPoolAgentsConfig& config);

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_VM_POOL_AGENT_MESSAGE_VALIDATION_H_
