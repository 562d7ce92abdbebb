// Copies of jobs with secret environment values blanked. Every Job (and JobSpec) that leaves the
// process — gRPC responses, log lines — goes through here first; the core keeps the real values
// because backends need them.
#ifndef SPILLWAY_SERVER_REDACTION_H_
#define SPILLWAY_SERVER_REDACTION_H_

#include "proto/spillway/v1/jobs.pb.h"

namespace spillway {

// A copy of `job` whose env entries with secret = true have value "" (name and secret kept).
spillway::v1::Job RedactJob(const spillway::v1::Job& job);

// Copies `job` into `out` (which may be on an arena: the copy lands there) with those values blank.
void RedactJobInto(const spillway::v1::Job& job, spillway::v1::Job& out);

// The same for a bare spec.
spillway::v1::JobSpec RedactSpec(const spillway::v1::JobSpec& spec);

// Blanks the secret values of `spec` in place.
void RedactSpecInPlace(spillway::v1::JobSpec& spec);

}  // namespace spillway

#endif  // SPILLWAY_SERVER_REDACTION_H_
