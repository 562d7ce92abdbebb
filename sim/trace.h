// A workload trace: the jobs to replay, in submit order, and its CSV form.
//
// CSV (one header line naming the columns, in any order; lines starting with '#' are comments):
//   submit_s            seconds from the trace start (decimal), required
//   duration_s          actual run time in seconds (decimal), required
//   cpu_millis          requested cpu, required (> 0)
//   memory_mib          requested memory, required (> 0)
//   priority            0..1000, default 0
//   max_wait_s          the job's wait budget; empty = the policy's default for its priority
//   expected_duration_s the duration hint the job gives the cost model; empty = none
//   migratable          0/1, default 0
//   labels              k=v pairs separated by ';' (e.g. team=a;kind=batch), default none
// Rows may come in any order: ParseTraceCsv sorts them by submit time (stable).
#ifndef SPILLWAY_SIM_TRACE_H_
#define SPILLWAY_SIM_TRACE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/spillway/v1/jobs.pb.h"

namespace spillway {
namespace sim {

struct TraceJob {
  absl::Duration submit;    // From the trace start.
  absl::Duration duration;  // Actual run time (what the simulated backends run).
  int64_t cpu_millis = 0;
  int64_t memory_mib = 0;
  int priority = 0;
  std::optional<absl::Duration> max_wait;           // Unset: the policy's default.
  std::optional<absl::Duration> expected_duration;  // The hint the core sees; unset: none.
  bool migratable = false;
  std::map<std::string, std::string> labels;
};

using Trace = std::vector<TraceJob>;

inline constexpr char kTraceHeader[] =
    "submit_s,duration_s,cpu_millis,memory_mib,priority,max_wait_s,expected_duration_s,"
    "migratable,labels";

// Parses CSV text; errors name the line and column ("line 7: cpu_millis: ...").
absl::StatusOr<Trace> ParseTraceCsv(absl::string_view csv);
absl::StatusOr<Trace> LoadTraceFile(const std::string& path);

// The CSV form (kTraceHeader column order, millisecond precision). Parse(Write(t)) == t for
// traces whose times are whole milliseconds.
std::string WriteTraceCsv(const Trace& trace);

// The JobSpec the simulator submits: name "sim", the resources, priority, budget, hint,
// migratability, the labels, and the "spillway.sim/duration" label for the simulated backends.
spillway::v1::JobSpec ToJobSpec(const TraceJob& job);

}  // namespace sim
}  // namespace spillway

#endif  // SPILLWAY_SIM_TRACE_H_
