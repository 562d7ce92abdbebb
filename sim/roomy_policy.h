// For the simulator's tests: the default policy with ACI's limits (groups, cores, create quotas,
// spend rate) raised out of the way, so a test lowers only the one it exercises.
#ifndef SPILLWAY_SIM_ROOMY_POLICY_H_
#define SPILLWAY_SIM_ROOMY_POLICY_H_

#include "proto/spillway/v1/admin.pb.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace sim {

inline spillway::v1::Policy RoomyPolicy() {
  spillway::v1::Policy p = DefaultPolicy();
  p.set_aci_max_groups(10000);
  p.set_aci_max_cores(10000);
  p.set_aci_creates_per_5min(10000);
  p.set_aci_creates_per_hour(10000);
  p.set_spend_budget_micro_usd_per_hour(1000000000);
  return p;
}

}  // namespace sim
}  // namespace spillway

#endif  // SPILLWAY_SIM_ROOMY_POLICY_H_
