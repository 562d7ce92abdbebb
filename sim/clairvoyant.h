// A clairvoyant schedule: an offline scheduler that knows every arrival and exact run time places
// jobs in arrival order on the real nodes (per-node capacity over time), each at its earliest
// start within its wait budget; a job that cannot start on any node within its budget goes to ACI
// at once (billed for the mean ACI start latency plus its run). Every job meets its budget (when
// the budget exceeds ACI's latency), so its ACI spend is an UPPER bound on the optimum, as
// AciSpendLowerBound (reference.h) is a lower one: LB <= optimum <= this.
// It is a greedy heuristic, not the optimum: it never bursts a short job to make room for a
// long one.
#ifndef SPILLWAY_SIM_CLAIRVOYANT_H_
#define SPILLWAY_SIM_CLAIRVOYANT_H_

#include <cstdint>

#include "proto/spillway/v1/admin.pb.h"
#include "sim/reference.h"
#include "sim/trace.h"

namespace spillway {
namespace sim {

struct ClairvoyantSchedule {
  int64_t aci_spend_micro_usd = 0;
  int64_t bursts = 0;
};

// Budgets are EffectiveMaxWait(job, policy); prices are the policy's. `aci_mean_start_latency`
// is what each burst is billed before its run.
ClairvoyantSchedule GreedyClairvoyant(const Trace& trace, const spillway::v1::Policy& policy,
                                      const ReferenceInput& input,
                                      absl::Duration aci_mean_start_latency);

}  // namespace sim
}  // namespace spillway

#endif  // SPILLWAY_SIM_CLAIRVOYANT_H_
