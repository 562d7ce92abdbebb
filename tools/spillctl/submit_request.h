// `spillctl submit` flags -> SubmitJobRequest.
#ifndef SPILLWAY_TOOLS_SPILLCTL_SUBMIT_REQUEST_H_
#define SPILLWAY_TOOLS_SPILLCTL_SUBMIT_REQUEST_H_

#include <vector>

#include "absl/status/statusor.h"
#include "proto/spillway/v1/jobs.pb.h"
#include "tools/spillctl/args.h"

namespace spillway::spillctl {

// The flags of `submit` (besides the global ones).
std::vector<FlagSpec> SubmitFlagSpecs();

// Builds the request from args parsed with SubmitFlagSpecs(). --name, --cpu and
// --memory are required; the command (optional, the image's entrypoint
// otherwise) follows `--`: its first word goes to spec.command, the rest to
// spec.args.
absl::StatusOr<v1::SubmitJobRequest> BuildSubmitRequest(const ParsedArgs& args);

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_SUBMIT_REQUEST_H_
