// The burst policy: documented defaults, validation (errors name the field), diffs for the audit
// log, and the derived values the core reads.
#ifndef SPILLWAY_SCHEDULER_MODEL_POLICY_H_
#define SPILLWAY_SCHEDULER_MODEL_POLICY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "proto/spillway/v1/admin.pb.h"
#include "proto/spillway/v1/jobs.pb.h"
#include "scheduler/model/money.h"

namespace spillway {

// Defaults (version 1):
//   placement BIN_PACK, affinity_weight 50, burst enabled;
//   default_max_wait 60s; priority >= 500 waits at most 15s; default_expected_duration 10m;
//   aci_start_latency 25s (ACI p90 for small images); aci_priority REGULAR;
//   ACI limits 100 cores, 100 groups, 4 vCPU / 16 GiB per group, 100 creates and deletes per
//   5 min and 300 per hour each (ACI's own limits); spend budget $5/hour;
//   prices East US Linux: $0.0405 per vCPU-hour, $0.00445 per GB-hour; VM node $0.096/hour
//   (D2s v5); drain_stable_window 2m, 6 drain moves per minute, burst_cooldown 1m;
//   retry back-off 10s doubling to 5m, default_max_restarts 3; burst_strategy COST_AWARE;
//   feedback after 5 samples; ACI circuit breaker at 50% failed of >= 5 creates in 10m, open 5m
//   (101% disables it); deadline_order_window 150s (earliest deadline first within a priority,
//   budgets counted up to 150s: sim/README.md has the sweep behind it).
spillway::v1::Policy DefaultPolicy();

// Fills unset (zero) fields of `policy` from DefaultPolicy(), except booleans and version.
void FillPolicyDefaults(spillway::v1::Policy& policy);

// Checks ranges; the error message starts with the offending field's name.
absl::Status ValidatePolicy(const spillway::v1::Policy& policy);

// Human-readable "field: old -> new" lines for every field that differs (version excluded).
std::vector<std::string> DiffPolicies(const spillway::v1::Policy& before,
                                      const spillway::v1::Policy& after);

// The wait budget of a job: its own max_wait, else the policy's for its priority, else default.
absl::Duration EffectiveMaxWait(const spillway::v1::JobSpec& spec,
                                const spillway::v1::Policy& policy);

// The job's expected run time: its hint, else the policy's default.
absl::Duration EffectiveExpectedDuration(const spillway::v1::JobSpec& spec,
                                         const spillway::v1::Policy& policy);

AciPrices PricesOf(const spillway::v1::Policy& policy);

absl::Duration ToAbslDuration(const google::protobuf::Duration& d);
google::protobuf::Duration ToProtoDuration(absl::Duration d);

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_MODEL_POLICY_H_
