// A seeded synthetic workload: a daily cycle, sudden bursts, heavy-tailed durations and a mix of
// sizes, budgets and priorities. The same seed and options always give the same trace.
//
//   1. Arrivals are a Poisson process with rate
//        base * (1 + daily_amplitude * sin(2*pi*(t/24h - 1/4)))   (trough at 00:00, peak at 12:00)
//      plus, during each burst (bursts_per_day of them at uniform times, burst_length long),
//      base * burst_rate_factor more. Drawn by thinning.
//   2. base is set so the mean cpu demand (arrival rate x E[cpu x duration], without bursts) is
//      target_utilization of pool_cpu_millis.
//   3. Durations: bounded Pareto (shape duration_pareto_alpha on [min_duration, max_duration]).
//   4. Sizes: 250m/512Mi 30%, 500m/1Gi 25%, 1000m/2Gi 25%, 2000m/4Gi 15%, 4000m/8Gi 5%.
//   5. Budgets: 60% none (the policy's default), 10% priority 600 and none (the policy's
//      high-priority default), 20% 5 min, 10% 30 min.
//   6. Hints: 70% of jobs give an expected duration = actual x lognormal(0, hint_sigma); the rest
//      none (the policy's default applies). Half the jobs are migratable.
#ifndef SPILLWAY_SIM_SYNTHETIC_H_
#define SPILLWAY_SIM_SYNTHETIC_H_

#include <cstdint>

#include "absl/time/time.h"
#include "sim/trace.h"

namespace spillway {
namespace sim {

struct SyntheticOptions {
  absl::Duration length = absl::Hours(24);
  int64_t pool_cpu_millis = 160000;  // The pool the load is scaled to.
  double target_utilization = 0.7;
  double daily_amplitude = 0.4;
  double bursts_per_day = 3;
  absl::Duration burst_length = absl::Minutes(10);
  double burst_rate_factor = 2.0;
  double duration_pareto_alpha = 1.2;
  absl::Duration min_duration = absl::Seconds(30);
  absl::Duration max_duration = absl::Hours(4);
  double hint_sigma = 0.5;
};

Trace GenerateSynthetic(uint64_t seed, const SyntheticOptions& options);

}  // namespace sim
}  // namespace spillway

#endif  // SPILLWAY_SIM_SYNTHETIC_H_
