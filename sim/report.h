// Summaries of simulation runs and the markdown table that compares them.
//
// Definitions: wait = submit -> first TaskRunning; a violation is a job whose wait exceeded its
// budget or that never ran; percentiles are over the jobs that ran. VM pool cost = nodes x
// vm_node_hour price x the horizon (the longest makespan among the compared runs, so every
// policy pays for the same pool time). Total = VM pool + ACI.
#ifndef SPILLWAY_SIM_REPORT_H_
#define SPILLWAY_SIM_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "sim/simulation.h"

namespace spillway {
namespace sim {

struct RunSummary {
  std::string name;
  int64_t jobs = 0;
  int64_t unfinished = 0;
  int64_t vm_pool_cost_micro_usd = 0;
  int64_t aci_spend_micro_usd = 0;
  int64_t total_cost_micro_usd = 0;
  absl::Duration wait_p50, wait_p95, wait_p99;
  int64_t violations = 0;
  int64_t violations_on_aci = 0;        // Of which the job ran on ACI (burst too late).
  int64_t violations_short_budget = 0;  // Of which the budget was under ACI's start latency.
  int64_t bursts = 0;
  int64_t migrations = 0;
  int64_t flaps = 0;
  int peak_creates_per_minute = 0;
  absl::Duration makespan;
  double wall_seconds = 0;      // Filled by the caller (the simulator reads no clock).
  bool is_reference = false;    // Only costs are known (and bursts for an upper bound).
  bool is_upper_bound = false;  // An achievable schedule (else a lower bound).
};

// `vm_node_hour_micro_usd` x `nodes` x `horizon` is the pool's cost.
// `aci_start_latency`: budgets below it count as short (no burst could have met them).
RunSummary Summarize(const std::string& name, const SimResult& result, int nodes,
                     int64_t vm_node_hour_micro_usd, absl::Duration horizon,
                     absl::Duration aci_start_latency = absl::Seconds(20));

// A reference row: only costs are known.
RunSummary ReferenceRow(const std::string& name, int64_t aci_spend_micro_usd, int nodes,
                        int64_t vm_node_hour_micro_usd, absl::Duration horizon);

std::string MarkdownTable(const std::vector<RunSummary>& rows);

}  // namespace sim
}  // namespace spillway

#endif  // SPILLWAY_SIM_REPORT_H_
