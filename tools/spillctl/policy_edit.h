// `spillctl policy set field=value...`: edits a Policy by its proto field names
// through protobuf reflection, and describes policies field by field.
//
// Settable kinds: int32/int64 (fields named *micro_usd* also take dollars,
// "$0.0405"), bool (true/false), enums (full name or short name: bin-pack,
// spread, regular, spot), google.protobuf.Duration ("60s", "5m"), and
// priority_max_wait as "MIN_PRIORITY:DURATION,..." (e.g. "500:2m,900:30s";
// "none" clears it).
#ifndef SPILLWAY_TOOLS_SPILLCTL_POLICY_EDIT_H_
#define SPILLWAY_TOOLS_SPILLCTL_POLICY_EDIT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "proto/spillway/v1/admin.pb.h"

namespace spillway::spillctl {

// New values for some of a Policy's fields.
struct PolicyPatch {
  v1::Policy values;  // Holds the new value of every field in `fields`.
  std::vector<const google::protobuf::FieldDescriptor*>
      fields;  // In argument order.
};

// Parses "field=value" arguments (field names may use '-' for '_'). Errors name
// the field; unknown fields, `version` (output only) and a field given twice
// are errors.
absl::StatusOr<PolicyPatch> ParsePolicyAssignments(
    const std::vector<std::string>& assignments);

// Overwrites the patched fields of `policy`; leaves the others alone.
void ApplyPolicyPatch(const PolicyPatch& patch, v1::Policy* policy);

// "field: old -> new" for every field whose shown value differs (version
// excluded), in field-number order: the same form as PolicyChange.diff.
std::vector<std::string> PolicyDiff(const v1::Policy& before,
                                    const v1::Policy& after);

// A field's value as `policy get` shows it: "true", "bin-pack", "1m30s",
// "unset", "40500 ($0.0405)", "500:2m,900:30s", "none".
std::string FormatPolicyField(const v1::Policy& policy,
                              const google::protobuf::FieldDescriptor& field);

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_POLICY_EDIT_H_
