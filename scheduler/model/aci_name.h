// Deterministic ACI container group names: the same job and attempt always give the same name,
// so a retried PUT is idempotent and the reconciler can map a group back to its job.
#ifndef SPILLWAY_SCHEDULER_MODEL_ACI_NAME_H_
#define SPILLWAY_SCHEDULER_MODEL_ACI_NAME_H_

#include <string>

#include "absl/strings/string_view.h"

namespace spillway {

// "sw-<cluster>-<job id>-a<attempt>": 1-63 chars of lowercase letters, digits and single
// hyphens, not starting or ending with a hyphen (ACI's rule). Overlong names keep their tail
// (the job id and attempt) and lose cluster characters.
std::string AciGroupName(absl::string_view cluster, absl::string_view job_id, int attempt);

// Lowercases and maps anything outside [a-z0-9] to single hyphens; trims hyphens at the ends.
std::string SanitizeAciName(absl::string_view raw);

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_MODEL_ACI_NAME_H_
