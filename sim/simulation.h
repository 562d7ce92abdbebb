// One replay of a trace through the real core (scheduler/core, the code spillwayd runs) with the
// simulated backends, in simulated time. A discrete-event loop, no threads and no sleeping:
//
//   1. now = the earliest of: the next submit, either backend's NextEventTime(), the next Tick
//      (tick_interval after the last event the core saw, only while jobs are queued or ACI groups
//      live), the next sample.
//   2. Backend reports due by now (VM pool first, then ACI) go to Core::Apply; then the submits
//      due; then the Tick if due. Every action goes to the backend that Handles() it at once.
//   3. Samples (queue depth, VM utilisation, ACI groups, cumulative ACI spend) are taken on the
//      sample grid.
// It ends when every job has ended, no ACI group is live and no backend event is pending, or at
// `give_up_after` past the last submit (jobs still open are then counted as unfinished).
// Deterministic: the same trace, policy and options give the same result.
#ifndef SPILLWAY_SIM_SIMULATION_H_
#define SPILLWAY_SIM_SIMULATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "backends/simulated/simulated_aci.h"
#include "backends/simulated/simulated_vm_pool.h"
#include "proto/spillway/v1/admin.pb.h"
#include "scheduler/model/resources.h"
#include "sim/trace.h"

namespace spillway {
namespace sim {

struct PoolSpec {
  int nodes = 20;
  Resources node_capacity{8000, 32768};
};

struct SimOptions {
  PoolSpec pool;
  SimulatedVmPoolOptions vm;
  SimulatedAciOptions aci;  // Prices are replaced by the policy's.
  absl::Duration tick_interval = absl::Seconds(1);
  absl::Duration sample_interval = absl::Minutes(1);
  // Finished jobs leave the core this long after their last update (Core::ForgetFinished):
  // memory bounded by the jobs of that window instead of the whole trace, at a price in speed
  // (1M jobs: 0.75 GB instead of 3.6 GB, ~40% more time). Infinite: the core keeps every job.
  absl::Duration forget_finished_after = absl::InfiniteDuration();
  // A drain-back (ACI -> VM move) within this long of the job's burst counts as a flap.
  absl::Duration flap_window = absl::Minutes(10);
  absl::Duration give_up_after = absl::Hours(48);
  absl::Time start = absl::FromUnixSeconds(1767225600);  // 2026-01-01, the trace's zero.
  // Waits are judged against this policy's budgets (e.g. the operator's real one while a sweep
  // tells the core another default_max_wait); unset = the run's own policy.
  std::optional<spillway::v1::Policy> budget_policy;
};

struct Sample {
  absl::Duration at;  // From the trace start.
  int queue_depth = 0;
  double vm_cpu_utilization = 0;  // Allocated / capacity, 0..1.
  int aci_groups = 0;
  int64_t aci_spend_micro_usd = 0;  // Cumulative.
};

struct JobOutcome {
  absl::Duration wait = absl::InfiniteDuration();  // Submit -> first TaskRunning; Infinite: never.
  absl::Duration budget;                           // EffectiveMaxWait under the run's policy.
  bool ended = false;                              // SUCCEEDED, FAILED or CANCELLED.
  bool burst = false;                              // Ran (an attempt) on ACI.
};

struct SimResult {
  std::vector<JobOutcome> jobs;  // In trace order.
  std::vector<Sample> samples;
  int64_t aci_spend_micro_usd = 0;       // Billed by the simulated ACI.
  int64_t core_aci_spend_micro_usd = 0;  // The core's own account (must agree).
  int64_t bursts = 0;                    // CreateAciGroup actions.
  int64_t migrations = 0;                // ACI -> VM moves (drain-back).
  int64_t flaps = 0;                     // Migrations within flap_window of the burst.
  int64_t aci_deletes = 0;
  int peak_creates_per_minute = 0;
  int live_groups_at_end = 0;
  absl::Duration makespan;                       // Trace start -> the simulation's end.
  int64_t core_events = 0;                       // Core::Apply calls.
  int64_t full_passes = 0;                       // Of those, with a full queue pass.
  std::vector<std::string> unfinished_examples;  // Up to 5 "job-id STATE: reason".
};

// `policy` is complete (DefaultPolicy() with changes). Fails only on a bad trace or pool.
absl::StatusOr<SimResult> Simulate(const Trace& trace, const spillway::v1::Policy& policy,
                                   const SimOptions& options);

}  // namespace sim
}  // namespace spillway

#endif  // SPILLWAY_SIM_SIMULATION_H_
