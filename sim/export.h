// spillwayd's job history as a trace: `spillsim export --server HOST:PORT` pages through
// JobService.ListJobs and turns each job into a trace row.
//
//   submit_s   create_time minus the earliest create_time of the rows written
//   (jobs cancelled before any attempt ran are skipped: no load to replay)
//   duration_s the last attempt's finish_time - start_time when it finished; else the job's
//              expected_duration; jobs with neither are skipped (counted)
//   the rest   the spec's cpu, memory, priority, max_wait, expected_duration, migratable, labels
//              (the simulator's own "spillway.sim/..." labels are dropped)
#ifndef SPILLWAY_SIM_EXPORT_H_
#define SPILLWAY_SIM_EXPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/spillway/v1/jobs.pb.h"
#include "sim/trace.h"

namespace spillway {
namespace sim {

struct ExportStats {
  int64_t jobs = 0;
  int64_t skipped = 0;  // No run time known, or cancelled before running.
};

Trace TraceFromJobs(const std::vector<spillway::v1::Job>& jobs, ExportStats* stats);

// Every job spillwayd still holds, via ListJobs (pages of 1000), with a deadline per call.
absl::StatusOr<std::vector<spillway::v1::Job>> ListAllJobs(const std::string& address);

}  // namespace sim
}  // namespace spillway

#endif  // SPILLWAY_SIM_EXPORT_H_
