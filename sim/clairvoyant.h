// The clairvoyant reference: the cheapest schedule we can compute offline knowing every arrival
// and exact run time, under the policy's ACI limits. It is an ACHIEVABLE schedule (every job gets
// a node slot or an ACI group, and every limit holds), so when it has no violations its ACI spend
// is an UPPER bound on the optimum, as AciSpendLowerBound (reference.h) is a lower one:
// LB <= optimum <= this. It is not the optimum (that problem is NP-hard: it contains bin packing).
//
// Derivation:
//   1. Greedy. Jobs are taken in this order: those whose budget is under the mean ACI start
//      latency L first (only a node can meet their budget), then by deadline (arrival + budget),
//      then in trace order. (Arrival order, as this reference first did, lets a job with a
//      30-minute budget take the slot a later 60-second job needed; on the seed-1 day it costs
//      $6.54 and 1,094 violations against $5.19 and none.) A job (arrival a, run d, budget w)
//      takes the earliest start s on any node (ties: the lowest node) with its size free during
//      [s, s + delta + d), s <= a + max(w, L) - delta (delta = VM start delay; a job whose budget
//      is under L stays on VMs when they start it no later than ACI would, as the core does).
//      Otherwise it bursts at the earliest t in [a, a + w - L] (t = a when w < L) that ACI's
//      limits allow (AciLimitLedger: groups, cores, spend rate and create quotas, each checked at
//      every create, as the core does), billed L + d. If a limit forbids every such t, it waits
//      on the VM pool for its earliest start past its budget (a violation, counted in `limited`);
//      a job no node holds then bursts as soon as the limits allow.
//   2. Improvement, in rounds of two local moves; each is kept only if the total ACI spend
//      strictly drops and violations do not rise, and is otherwise undone exactly.
//      - Eject: each burst job, dearest first, is offered a VM slot within its window: free, if
//        one has opened; else at the node and start where evicting VM jobs in its way costs least
//        (per short piece of time, the cheapest job holding it; at most 32 starts per node, the
//        3 cheapest evictions tried). The victims are re-placed: a VM slot within their budget,
//        else a burst within it and within the limits.
//      - Land: each VM job in the way of some burst job bursts (within its budget and the
//        limits) if that lets burst jobs worth more than it land on its node, dearest first.
//      Rounds stop when one keeps nothing (spend only drops, so this ends) or after
//      `max_rounds`. Deterministic: fixed orders, integer times (ms) and costs, no randomness.
// It is not the optimum: the moves are local, and the greedy's order and earliest-start rule are
// choices. When ACI's limits bind it is no reference for violations either: it minimises spend
// and only keeps violations from rising, so an online policy can have fewer.
// What it does not model: ACI's start-latency jitter (every group starts after the mean), the
// delete quotas, failed creates, and migration back to VMs.
#ifndef SPILLWAY_SIM_CLAIRVOYANT_H_
#define SPILLWAY_SIM_CLAIRVOYANT_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "proto/spillway/v1/admin.pb.h"
#include "sim/reference.h"
#include "sim/trace.h"

namespace spillway {
namespace sim {

struct ClairvoyantOptions {
  // What each burst waits and is billed before its run (the simulated ACI's mean start).
  absl::Duration aci_mean_start_latency = absl::Seconds(20);
  bool improve = true;  // Run the ejection rounds after the greedy.
  int max_rounds = 6;   // Improvement rounds at most.
};

// Where one job runs: on a node from `start` (the start delay, then the run), or in an ACI group
// created at `start` (the start latency, then the run). Times are from the trace start.
struct ClairvoyantPlacement {
  bool ran = false;
  bool on_aci = false;
  int node = -1;
  absl::Duration start;
};

struct ClairvoyantSchedule {
  int64_t aci_spend_micro_usd = 0;
  int64_t greedy_aci_spend_micro_usd = 0;  // Before the improvement rounds.
  int64_t bursts = 0;
  int64_t jobs = 0;
  // Wait = arrival -> running (VM: start + delta; ACI: create + L). A violation: wait > budget, or
  // never ran (only if neither a node nor ACI's per-group limit can hold it).
  int64_t violations = 0;
  int64_t violations_on_aci = 0;        // Of which ran on ACI (budget under L).
  int64_t violations_short_budget = 0;  // Of which the budget is under ACI's least start latency.
  int64_t limited = 0;                  // Jobs an ACI limit kept from bursting within budget.
  int64_t never_ran = 0;
  absl::Duration wait_p50, wait_p95, wait_p99;  // Over the jobs that ran (as report.h).
  int peak_creates_per_minute = 0;
  int64_t moves = 0;                             // Improvements kept.
  int rounds = 0;                                // Improvement rounds run.
  std::vector<ClairvoyantPlacement> placements;  // In trace order.
};

// Budgets are EffectiveMaxWait(job, policy); prices and ACI limits are the policy's.
ClairvoyantSchedule ScheduleClairvoyant(const Trace& trace, const spillway::v1::Policy& policy,
                                        const ReferenceInput& input,
                                        const ClairvoyantOptions& options);

}  // namespace sim
}  // namespace spillway

#endif  // SPILLWAY_SIM_CLAIRVOYANT_H_
