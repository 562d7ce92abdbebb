#include "backends/vm_pool/agent_message_validation.h"

#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace spillway {
namespace {

using spillway::v1::TaskReport;

absl::Status Bad(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

bool IsPrintableToken(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isgraph(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

bool IsValidNodeId(absl::string_view node_id) {
  if (node_id.empty() || node_id.size() > 63) return false;
  for (size_t i = 0; i < node_id.size(); ++i) {
    const char c = node_id[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '-'))) return false;
  }
  return true;
}

absl::Status ValidateTaskReport(const TaskReport& task, absl::string_view field) {
  if (task.job_id().empty() || task.job_id().size() > kMaxAgentJobIdBytes ||
      !IsPrintableToken(task.job_id())) {
    return Bad(absl::StrCat(field, ".job_id"), "must be 1-128 printable characters");
  }
  if (task.attempt() < 1) return Bad(absl::StrCat(field, ".attempt"), "must be >= 1");
  if (task.state() == TaskReport::STATE_UNSPECIFIED || !TaskReport::State_IsValid(task.state())) {
    return Bad(absl::StrCat(field, ".state"), "unknown state");
  }
  if (task.reason().size() > kMaxAgentReasonBytes) {
    return Bad(absl::StrCat(field, ".reason"), "longer than 4 KiB");
  }
  if (task.usage().cpu_millis() < 0 || task.usage().memory_mib() < 0) {
    return Bad(absl::StrCat(field, ".usage"), "must not be negative");
  }
  return absl::OkStatus();
}

absl::Status ValidateRegister(const spillway::v1::RegisterRequest& request,
                              const VmPoolAgentsConfig& config) {
  if (!IsValidNodeId(request.node_id())) {
    return Bad("register.node_id", "must match [a-z0-9][a-z0-9.-]{0,62}");
  }
  const auto& capacity = request.capacity();
  if (capacity.cpu_millis() <= 0 ||
      capacity.cpu_millis() > config.max_node_capacity.cpu_millis) {
    return Bad("register.capacity.cpu_millis",
               absl::StrCat("must be in 1..", config.max_node_capacity.cpu_millis));
  }
  if (capacity.memory_mib() <= 0 ||
      capacity.memory_mib() > config.max_node_capacity.memory_mib) {
    return Bad("register.capacity.memory_mib",
               absl::StrCat("must be in 1..", config.max_node_capacity.memory_mib));
  }
  if (request.labels_size() > kMaxAgentLabels) {
    return Bad("register.labels", absl::StrCat("more than ", kMaxAgentLabels));
  }
  for (const auto& [key, value] : request.labels()) {
    if (key.empty() || key.size() > kMaxAgentLabelBytes || !IsPrintableToken(key) ||
        value.size() > kMaxAgentLabelBytes || !IsPrintableToken(value)) {
      return Bad("register.labels", "keys and values must be printable, at most 253 bytes");
    }
  }
  if (request.tasks_size() > config.max_tasks_per_agent) {
    return Bad("register.tasks", absl::StrCat("more than ", config.max_tasks_per_agent));
  }
  std::set<std::pair<std::string, int>> seen;
  for (int i = 0; i < request.tasks_size(); ++i) {
    const TaskReport& task = request.tasks(i);
    const std::string field = absl::StrCat("register.tasks[", i, "]");
    if (absl::Status s = ValidateTaskReport(task, field); !s.ok()) return s;
    if (!seen.emplace(task.job_id(), task.attempt()).second) {
      return Bad(field, "duplicate task");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateHeartbeat(const spillway::v1::Heartbeat& heartbeat,
                               const VmPoolAgentsConfig& config) {
  if (heartbeat.tasks_size() > config.max_tasks_per_agent) {
    return Bad("heartbeat.tasks", absl::StrCat("more than ", config.max_tasks_per_agent));
  }
  for (int i = 0; i < heartbeat.tasks_size(); ++i) {
    if (absl::Status s = ValidateTaskReport(heartbeat.tasks(i),
                                            absl::StrCat("heartbeat.tasks[", i, "]"));
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateEnvelope(const spillway::v1::AgentMessage& message,
                              const VmPoolAgentsConfig& config) {
  if (message.body_case() == spillway::v1::AgentMessage::BODY_NOT_SET) {
    return Bad("message", "no body");
  }
  if (static_cast<int64_t>(message.ByteSizeLong()) > config.max_message_bytes) {
    return Bad("message", absl::StrCat("larger than ", config.max_message_bytes, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace spillway
