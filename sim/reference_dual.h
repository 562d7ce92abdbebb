// Step 4 of the lower bound (reference.h): prices on windows by LP duality. Internal to
// reference.cc; times are milliseconds, money micro-USD.
#ifndef SPILLWAY_SIM_REFERENCE_DUAL_H_
#define SPILLWAY_SIM_REFERENCE_DUAL_H_

#include <cstdint>
#include <vector>

#include "scheduler/model/resources.h"

namespace spillway {
namespace sim {

// A job some node can hold, as the bound sees it.
struct BoundJob {
  int64_t s_lo, s_hi;  // Its VM start lies in [s_lo, s_hi].
  int64_t hold;        // Start delay + run.
  int64_t cpu, mem;
  bool may_burst;   // It can run on ACI within its budget...
  double aci_cost;  // ...and would be billed at least this there.
};

// Least overlap of [s, s + hold) with [w0, w1) over s in [s_lo, s_hi].
int64_t MinOverlap(const BoundJob& j, int64_t w0, int64_t w1);

struct DualBound {
  double micro_usd = 0;      // Valid for any prices; not yet rounded down.
  bool uncoverable = false;  // Some X_rW exceeds what every burst-able job could cover.
  int64_t windows = 0;       // Windows priced (with some X_rW > 0).
};

DualBound PriceWindows(const std::vector<BoundJob>& jobs, const Resources& node_capacity,
                       int nodes);

}  // namespace sim
}  // namespace spillway

#endif  // SPILLWAY_SIM_REFERENCE_DUAL_H_
