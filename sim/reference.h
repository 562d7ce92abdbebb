// The offline reference: a provable LOWER BOUND on the ACI spend of any schedule, even a
// clairvoyant one, that starts every job within its wait budget on this pool.
//
// Derivation (a fluid relaxation of the pool and energetic reasoning):
//   1. A job j (arrival a, run time d, budget w) that runs on the VM pool is placed at some
//      s in [a, a + w - delta] (delta = the agents' start delay; running by a + w) and holds its
//      node during [s, s + delta + d).
//   2. Cut time into disjoint windows of width T. Within window k, job j holds the pool for at
//      least e_jk = min over s of |[s, s + delta + d) ∩ window k| (a trapezoid in s: the minimum
//      is at s = a or s = a + w - delta). The VM jobs' energy in the window fits the pool
//      (a relaxation: it forgets how the pool is split into nodes and allows nothing else):
//        sum over VM jobs of c_j e_jk <= C T   (and the same for memory with M).
//      So the ACI jobs carry at least X_k = sum over all jobs of c_j e_jk - C T of that energy.
//   3. An ACI job is billed its rate (p_cpu c_j + p_mem m_j) for at least d + ACI start latency,
//      which covers its overlaps with all the (disjoint) windows. Summing over windows:
//        ACI spend >= sum_k p_cpu max(0, X_k) + p_mem max(0, Y_k)       (Y_k: memory).
//      Every T gives a valid bound; the best of T in {1 s, 10 s, 1 min, 5 min, 15 min, 1 h, 4 h} is
//      reported (T -> 0 is the classic compulsory-part bound).
//   4. Jobs no node can hold must run on ACI: each adds its full least cost, rate x (d + min
//      start latency); they are left out of the energies.
// Loose where packing into nodes, non-preemption or the window grid bind; it never exceeds the
// true optimum. It assumes zero violations, so a policy that breaks budgets can spend less.
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
  int64_t aci_spend_lower_bound_micro_usd = 0;
  int64_t must_burst_jobs = 0;  // Jobs no node can hold.
  int64_t jobs_with_compulsory_part = 0;
  absl::Duration best_window;  // The window width that gave the bound.
};

// Budgets are EffectiveMaxWait(job, policy); prices are the policy's.
Reference AciSpendLowerBound(const Trace& trace, const spillway::v1::Policy& policy,
                             const ReferenceInput& input);

}  // namespace sim
}  // namespace spillway

#endif  // SPILLWAY_SIM_REFERENCE_H_
