#include "tools/aci-emulator/emulator_options.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace spillway {

absl::StatusOr<EmulatorFaults> ParseEmulatorFaults(const std::string& text) {
  EmulatorFaults faults;
  if (text.empty()) return faults;
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("faults: want a JSON object");
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    if (!it.value().is_number()) {
      return absl::InvalidArgumentError(absl::StrCat("faults.", key, ": want a number"));
    }
    const double v = it.value().get<double>();
    if (key == "throttle_burst_every") {
      faults.throttle_burst_every = static_cast<int>(v);
    } else if (key == "throttle_burst_length") {
      faults.throttle_burst_length = static_cast<int>(v);
    } else if (key == "throttle_retry_after_seconds") {
      faults.throttle_retry_after_seconds = static_cast<int>(v);
    } else if (key == "p_429") {
      faults.p_429 = v;
    } else if (key == "p_5xx") {
      faults.p_5xx = v;
    } else if (key == "p_409_transitioning") {
      faults.p_409_transitioning = v;
    } else if (key == "p_capacity_sync") {
      faults.p_capacity_sync = v;
    } else if (key == "p_capacity_async") {
      faults.p_capacity_async = v;
    } else if (key == "p_create_timeout") {
      faults.p_create_timeout = v;
    } else if (key == "timeout_delay_ms") {
      faults.timeout_delay = absl::Milliseconds(v);
    } else if (key == "p_create_503_after_success") {
      faults.p_create_503_after_success = v;
    } else if (key == "delete_latency_ms") {
      faults.delete_latency = absl::Milliseconds(v);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("faults: unknown key ", key));
    }
  }
  return faults;
}

}  // namespace spillway
