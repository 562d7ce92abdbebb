// Human-readable views of jobs and job events (the default output format).
#ifndef SPILLWAY_TOOLS_SPILLCTL_RENDER_JOBS_H_
#define SPILLWAY_TOOLS_SPILLCTL_RENDER_JOBS_H_

#include <string>

#include "absl/time/time.h"
#include "proto/spillway/v1/jobs.pb.h"
#include "tools/spillctl/table.h"

namespace spillway::spillctl {

// A table with the job columns: ID NAME STATE BACKEND WHERE CPU MEMORY PRIORITY
// ATTEMPTS AGE REASON. `now` is for AGE.
Table NewJobTable();
void AddJobRow(const v1::Job& job, absl::Time now, Table* table);

// Everything `get` shows: spec, placement, attempts, history and the last
// decision.
std::string RenderJobDetails(const v1::Job& job, absl::Time now);

// One line per event with fixed-width columns, so a stream lines up without
// buffering.
std::string JobEventHeader();
std::string RenderJobEvent(const v1::JobEvent& event);

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_RENDER_JOBS_H_
