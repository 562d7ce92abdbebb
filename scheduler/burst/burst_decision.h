// The overflow decision for one queued job that does not fit the VM pool now:
//
//   1. VM-only jobs never burst; nor does anything while bursting is disabled.
//   2. Burst-allowed jobs burst only when waiting would break their wait budget
//      (waited + predicted VM wait > max_wait) AND ACI would actually start them sooner
//      (ACI start latency < predicted VM wait) — or at ACI's last moment (the budget left is
//      within LastMomentLead but still covers ACI's start) when the prediction is only a lower
//      bound or leaves less than kLastMomentTrust of the budget left to spare: predictions slip
//      (running jobs overrun heavy-tailed estimates, higher priorities arrive), and after this
//      moment ACI cannot save the budget. ACI-only jobs skip this step. The baseline
//      strategies replace this step: WHEN_UNSCHEDULABLE bursts at once, AFTER_MAX_WAIT once
//      waited >= max_wait.
//   3. The ACI circuit breaker must be closed (too many recent creates failed: wait it out).
//   4. ACI's limits must allow it: per-group size, max groups, max cores, create rate
//      (per 5 min and per hour) and the spend budget (hourly spend rate after the burst).
//
// Pure: every input is a value, so the decision is replayable and table-testable.
#ifndef SPILLWAY_SCHEDULER_BURST_BURST_DECISION_H_
#define SPILLWAY_SCHEDULER_BURST_BURST_DECISION_H_

#include <string>

#include "absl/time/time.h"
#include "proto/spillway/v1/admin.pb.h"
#include "proto/spillway/v1/jobs.pb.h"
#include "scheduler/model/resources.h"

namespace spillway {

struct AciUsage {
  int64_t cpu_millis = 0;  // Requested by live groups.
  int groups = 0;
  int64_t spend_rate_micro_usd_per_hour = 0;
  int creates_last_5min = 0;
  int creates_last_hour = 0;
  std::string circuit_open_reason;  // Non-empty: the ACI circuit breaker is open (feedback.h).
};

struct BurstInput {
  Resources request;  // Already rounded to ACI's granularity.
  spillway::v1::BurstMode mode = spillway::v1::BURST_MODE_ALLOWED;
  absl::Duration waited;             // Time already spent queued.
  absl::Duration predicted_vm_wait;  // InfiniteDuration() if no VM node could ever hold it.
  // The prediction is only a lower bound (the job is past the reservation horizon): at the last
  // moment ACI can still start it within budget, burst rather than trust it.
  bool prediction_is_lower_bound = false;
  absl::Duration max_wait;           // The job's wait budget.
  absl::Duration aci_start_latency;  // Expected ACI start.
  absl::Duration expected_duration;  // For the cost estimate.
};

// Pending-reason classes (bounded: used as metric labels and in GetCluster).
inline constexpr char kPendingWaitingForVm[] = "waiting-for-vm";
inline constexpr char kPendingVmOnly[] = "vm-only";
inline constexpr char kPendingBurstDisabled[] = "burst-disabled";
inline constexpr char kPendingGroupTooLarge[] = "aci-group-too-large";
inline constexpr char kPendingMaxGroups[] = "aci-max-groups";
inline constexpr char kPendingMaxCores[] = "aci-max-cores";
inline constexpr char kPendingCreateRate[] = "aci-create-rate";
inline constexpr char kPendingSpendBudget[] = "spend-budget";
inline constexpr char kPendingRetryBackoff[] = "retry-backoff";
inline constexpr char kPendingInfeasible[] = "infeasible";
inline constexpr char kPendingCircuitOpen[] = "aci-circuit-open";

struct BurstDecision {
  bool burst = false;
  std::string pending_class;  // When not bursting: one of the kPending* classes.
  std::string message;        // Why, with the figures.
  int64_t estimated_cost_micro_usd = 0;
};

// How long before its budget runs out a job must burst for ACI (expected start
// `aci_start_latency`) to start it in time: the latency plus a margin for its spread.
absl::Duration LastMomentLead(absl::Duration aci_start_latency);

// At its last moment a job stays for the pool only if the predicted VM wait is at most this share
// of the budget it has left (spillsim, sim/results: with earliest-deadline-first order, 1/2 keeps
// violations under half of burst-when-unschedulable's on five seeds; 1 is trusting the prediction).
inline constexpr double kLastMomentTrust = 0.5;

// `explain` false: `message` is left empty (the decision itself is the same).
BurstDecision DecideBurst(const BurstInput& input, const AciUsage& usage,
                          const spillway::v1::Policy& policy, bool explain = true);

// True if ACI's limits (circuit, group size, groups, cores, create budget, spend budget) let a
// group of `request` (rounded) start now: DecideBurst's limit checks, without the strategy. When
// false DecideBurst cannot burst the job, whatever its wait.
bool AciLimitsAllow(const Resources& request, const AciUsage& usage,
                    const spillway::v1::Policy& policy);

// ACI sizes: cpu in steps of 0.01 vCPU (10 millicores), memory in steps of 0.1 GB; rounded up.
Resources RoundToAciGranularity(const Resources& request);

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_BURST_BURST_DECISION_H_
