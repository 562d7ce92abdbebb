// Reads a burst policy from YAML: spillway.v1.Policy fields by name over DefaultPolicy(), in the
// style of spillwayd's `policy:` section (durations as strings "90s", enums by full name or
// suffix, repeated fields as lists). A whole spillwayd config also works: its `policy:` section
// is used and the other sections are ignored.
//
//   burst_strategy: COST_AWARE
//   default_max_wait: 60s
//   priority_max_wait: [{min_priority: 500, max_wait: 15s}]
#ifndef SPILLWAY_SIM_POLICY_FILE_H_
#define SPILLWAY_SIM_POLICY_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/spillway/v1/admin.pb.h"

namespace spillway {
namespace sim {

// Errors are INVALID_ARGUMENT naming the field; the result is validated (ValidatePolicy).
absl::StatusOr<spillway::v1::Policy> ParsePolicyYaml(absl::string_view yaml);
absl::StatusOr<spillway::v1::Policy> LoadPolicyFile(const std::string& path);

// Sets one field from a YAML scalar/flow value, e.g. ("default_max_wait", "30s"); used by sweeps.
absl::Status SetPolicyField(spillway::v1::Policy& policy, const std::string& field,
                            const std::string& value);

}  // namespace sim
}  // namespace spillway

#endif  // SPILLWAY_SIM_POLICY_FILE_H_
