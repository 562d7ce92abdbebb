// The offline reference: a provable LOWER BOUND on the ACI spend of any schedule, even a
// clairvoyant one, that starts every job within its wait budget on this pool.
//
// Derivation (energetic reasoning on a relaxation of the pool, priced by LP duality):
//   1. A job j (arrival a, run d, budget w) that runs on the VM pool is placed at some
//      s in [a, a + w - delta] (delta = the agents' start delay; running by a + w) and holds its
//      node during [s, s + delta + d). In any time window W it holds the pool for at least
//      e_jW = min over s of |[s, s + delta + d) ∩ W| (a trapezoid in s: the minimum is at
//      s = a or s = a + w - delta).
//   2. Resources r, each with a per-job weight and a pool capacity that no instant can exceed:
//      cpu (c_j, N C), memory (m_j, N M), and, for q = 1, 2, 3, the jobs over 1/(q+1) of a node's
//      cpu (weight 1, capacity q N: q + 1 of them overflow a node, so a node holds at most q at
//      once), and the same for memory. The VM jobs' least usage in W fits:
//        sum over VM jobs of w_jr e_jW <= cap_r |W|,
//      so the ACI jobs must cover X_rW = sum over all jobs of w_jr e_jW - cap_r |W|.
//   3. Some jobs cannot be on ACI in a schedule meeting every budget: a budget under ACI's least
//      start latency L, or a size over ACI's per-group limit. They are on nodes (still in every
//      X_rW, never covering it). Any other job on ACI is billed at least
//      cost_j = rate_j (d + L) (rate at ACI's rounded size).
//   4. With x_j = 1 for the jobs on ACI: spend >= sum_j cost_j x_j, and
//      sum_j w_jr e_jW x_j >= X_rW for every (r, W) — any windows, overlapping or not. By weak
//      LP duality, for ANY prices y_rW >= 0:
//        spend >= sum_rW X_rW y_rW - sum_j max(0, load_j - cost_j),
//        load_j = sum_rW w_jr e_jW y_rW.
//      (spend >= sum_j x_j cost_j >= sum_j x_j load_j - sum_j (load_j - cost_j)^+, and
//      sum_j x_j load_j >= sum_rW y_rW X_rW since x covers every X_rW.) Prices come from
//      coordinate ascent from zero (each set to its best given the others: a weighted median of
//      where the jobs in W become "paid for"), over windows of 18 widths from 5 s to 4 h at
//      half-width steps, where some X_rW > 0. Any prices give a valid bound, so the search need
//      not converge (on the seed-1 day it reaches this LP's optimum, checked with glpsol).
//   5. The original bound is one such point: the ACI prices p_cpu, p_mem on disjoint windows of
//      one width (T in {1 s, 10 s, 1 min, 5 min, 15 min, 1 h, 4 h}): there no load exceeds its
//      cost (d + L >= d + delta), so spend >= sum over windows of p_cpu X_cpu + p_mem X_mem. The
//      reported bound is the better of the two.
//   6. Jobs no node can hold must run on ACI: each adds its full least cost, rate x (d + L); they
//      are left out of the energies.
// What it still ignores: non-preemption beyond each window's least overlap, how the windows'
// placements must agree, packing across time, and ACI's limits (they only remove schedules, so
// the bound stays valid under them). It assumes zero violations, so a policy that breaks
// budgets can spend less; if even bursting every job that may burst leaves some X_rW uncovered,
// no schedule meets every budget (`no_schedule_meets_every_budget`).
#ifndef SPILLWAY_SIM_REFERENCE_H_
#define SPILLWAY_SIM_REFERENCE_H_

#include <cstdint>

#include "absl/time/time.h"
#include "proto/spillway/v1/admin.pb.h"
#include "scheduler/model/resources.h"
#include "sim/trace.h"

namespace spillway {
namespace sim {

struct ReferenceInput {
  int nodes = 0;
  Resources node_capacity;
  absl::Duration vm_start_delay = absl::Seconds(1);
  absl::Duration aci_min_start_latency = absl::Seconds(20);
};

struct Reference {
  int64_t aci_spend_lower_bound_micro_usd = 0;  // The better of the two below.
  int64_t partition_bound_micro_usd = 0;        // Step 5 (plus step 6).
  int64_t dual_bound_micro_usd = 0;             // Step 4 (plus step 6).
  int64_t must_burst_jobs = 0;                  // Jobs no node can hold.
  int64_t vm_bound_jobs = 0;                    // Jobs that cannot burst within their budget.
  int64_t jobs_with_compulsory_part = 0;
  absl::Duration best_window;  // The width that gave the partition bound.
  bool no_schedule_meets_every_budget = false;
};

// Budgets are EffectiveMaxWait(job, policy); prices and ACI's per-group limit are the policy's.
Reference AciSpendLowerBound(const Trace& trace, const spillway::v1::Policy& policy,
                             const ReferenceInput& input);

}  // namespace sim
}  // namespace spillway

#endif  // SPILLWAY_SIM_REFERENCE_H_
