#include "backends/vm_pool/vm_pool_config.h"

#include <yaml-cpp/yaml.h>

#include <exception>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace spillway {
namespace {

absl::Status Bad(const std::string& key, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("vm_pool.agents.", key, ": ", why));
}

absl::StatusOr<absl::Duration> ParsePositiveDuration(const std::string& key,
                                                     const YAML::Node& value) {
  absl::Duration d;
  if (!value.IsScalar() || !absl::ParseDuration(value.Scalar(), &d)) {
    return Bad(key, "not a duration (e.g. 5s, 500ms)");
  }
  if (d <= absl::ZeroDuration()) return Bad(key, "must be positive");
  return d;
}

absl::StatusOr<int64_t> ParsePositiveInt(const std::string& key, const YAML::Node& value) {
  int64_t n = 0;
  if (!value.IsScalar() || !absl::SimpleAtoi(value.Scalar(), &n)) {
    return Bad(key, "not an integer");
  }
  if (n <= 0) return Bad(key, "must be positive");
  return n;
}

absl::Status ParseInto(const YAML::Node& agents, VmPoolAgentsConfig& config) {
  if (!agents || agents.IsNull()) return absl::OkStatus();
  if (!agents.IsMap()) {
    return absl::InvalidArgumentError("vm_pool.agents: must be a map");
  }
  for (const auto& entry : agents) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    if (key == "inventory_delay") {
      absl::Duration d;
      if (!value.IsScalar() || !absl::ParseDuration(value.Scalar(), &d)) {
        return Bad(key, "not a duration (e.g. 5s, 500ms)");
      }
      if (d < absl::ZeroDuration()) return Bad(key, "must not be negative");
      config.inventory_delay = d;
    } else if (key == "heartbeat_interval" || key == "heartbeat_timeout" ||
               key == "stop_grace_period") {
      absl::StatusOr<absl::Duration> d = ParsePositiveDuration(key, value);
      if (!d.ok()) return d.status();
      if (key == "heartbeat_interval") config.heartbeat_interval = *d;
      if (key == "heartbeat_timeout") config.heartbeat_timeout = *d;
      if (key == "stop_grace_period") config.stop_grace_period = *d;
    } else if (key == "max_message_bytes" || key == "max_tasks_per_agent" ||
               key == "max_node_cpu_millis" || key == "max_node_memory_mib") {
      absl::StatusOr<int64_t> n = ParsePositiveInt(key, value);
      if (!n.ok()) return n.status();
      if (key == "max_message_bytes") config.max_message_bytes = *n;
      if (key == "max_tasks_per_agent") {
        if (*n > 1000000) return Bad(key, "at most 1000000");
        config.max_tasks_per_agent = static_cast<int>(*n);
      }
      if (key == "max_node_cpu_millis") config.max_node_capacity.cpu_millis = *n;
      if (key == "max_node_memory_mib") config.max_node_capacity.memory_mib = *n;
    } else {
      return Bad(key, "unknown key");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateVmPoolAgentsConfig(const VmPoolAgentsConfig& config) {
  if (config.heartbeat_interval <= absl::ZeroDuration()) {
    return Bad("heartbeat_interval", "must be positive");
  }
  if (config.heartbeat_timeout <= config.heartbeat_interval) {
    return Bad("heartbeat_timeout", "must be longer than heartbeat_interval");
  }
  if (config.stop_grace_period < absl::ZeroDuration()) {
    return Bad("stop_grace_period", "must not be negative");
  }
  if (config.inventory_delay < absl::ZeroDuration()) {
    return Bad("inventory_delay", "must not be negative");
  }
  if (config.max_message_bytes < 8192) return Bad("max_message_bytes", "must be at least 8192");
  if (config.max_tasks_per_agent <= 0) return Bad("max_tasks_per_agent", "must be positive");
  if (config.max_node_capacity.cpu_millis <= 0 || config.max_node_capacity.memory_mib <= 0) {
    return Bad("max_node_cpu_millis", "limits must be positive");
  }
  return absl::OkStatus();
}

absl::StatusOr<VmPoolAgentsConfig> ParseVmPoolConfig(const YAML::Node& agents) {
  VmPoolAgentsConfig config;
  try {
    if (absl::Status s = ParseInto(agents, config); !s.ok()) return s;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("vm_pool.agents: ", e.what()));
  }
  if (absl::Status s = ValidateVmPoolAgentsConfig(config); !s.ok()) return s;
  return config;
}

}  // namespace spillway
