// Policies side by side on one trace: the three baselines, Spillway's cost-aware policy, and the
// offline reference (reference.h), summarised with a common VM-pool horizon.
#ifndef SPILLWAY_SIM_COMPARISON_H_
#define SPILLWAY_SIM_COMPARISON_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "proto/spillway/v1/admin.pb.h"
#include "sim/report.h"
#include "sim/simulation.h"
#include "sim/trace.h"

namespace spillway {
namespace sim {

struct NamedPolicy {
  std::string name;
  spillway::v1::Policy policy;
};

// From `base`: "vm-only" (burst_enabled false), "when-unschedulable", "after-max-wait" and
// "cost-aware" (burst_enabled true with that burst_strategy; everything else as in `base`).
std::vector<NamedPolicy> StrategyPolicies(const spillway::v1::Policy& base);

struct Comparison {
  std::vector<RunSummary> rows;    // One per policy, then the reference (when asked).
  std::vector<SimResult> results;  // One per policy, same order.
  std::vector<std::string> names;  // Of `results`.
};

// Runs each policy on `trace`. `wall_clock` only times the runs (may be null). The reference row
// is appended when `with_reference`; its budgets come from options.budget_policy or else the
// first policy.
absl::StatusOr<Comparison> Compare(const Trace& trace, const std::vector<NamedPolicy>& policies,
                                   const SimOptions& options, bool with_reference,
                                   Clock* wall_clock);

}  // namespace sim
}  // namespace spillway

#endif  // SPILLWAY_SIM_COMPARISON_H_
