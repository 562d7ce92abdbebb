// Validation of a submitted job at the edge: every error is INVALID_ARGUMENT and its message
// starts with the offending field ("spec.cpu_millis: ..."), so nothing absurd reaches the core.
#ifndef SPILLWAY_SCHEDULER_MODEL_JOB_VALIDATION_H_
#define SPILLWAY_SCHEDULER_MODEL_JOB_VALIDATION_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/spillway/v1/jobs.pb.h"
#include "scheduler/model/resources.h"

namespace spillway {

// What the cluster could ever hold, for the "more than any node or group can hold" checks.
struct CapacityLimits {
  std::vector<Resources> vm_node_sizes;  // Capacities of the nodes that are up; a VM job must
                                        // fit one of them. Empty: checked against vm_fallback.
  Resources vm_fallback{256000, 4 * 1024 * 1024};  // Upper bound when no node is known yet.
  Resources max_aci_group;    // Policy's per-group maximum.
  bool burst_enabled = true;
};

absl::Status ValidateJobSpec(const spillway::v1::JobSpec& spec, const CapacityLimits& limits);

// Replaces UNSPECIFIED enums with the defaults they stand for (burst ALLOWED, restart NEVER), so
// stored jobs say what they mean.
void NormalizeJobSpec(spillway::v1::JobSpec& spec);
absl::Status ValidateIdempotencyKey(absl::string_view key);
// A job id as the server generates them ("job-" + digits) — or at least one that could be.
absl::Status ValidateJobId(absl::string_view field, absl::string_view id);
absl::Status ValidateNodeId(absl::string_view field, absl::string_view id);
// Label keys/values and affinity keys: 1-63 chars of [A-Za-z0-9._/-] (values may be empty).
bool IsValidLabelKey(absl::string_view key);
bool IsValidLabelValue(absl::string_view value);

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_MODEL_JOB_VALIDATION_H_
