#include "sim/reference.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "scheduler/burst/burst_decision.h"
#include "scheduler/model/money.h"
#include "scheduler/model/policy.h"
#include "sim/reference_dual.h"

namespace spillway {
namespace sim {
namespace {

// Step 5: ACI's prices on a grid of disjoint windows of one width; the best width.
double PartitionBound(const std::vector<BoundJob>& jobs, const ReferenceInput& input,
                      const AciPrices& prices, absl::Duration* best_window) {
  const int64_t pool_cpu = input.node_capacity.cpu_millis * input.nodes;
  const int64_t pool_mem = input.node_capacity.memory_mib * input.nodes;
  // micro-USD per millicore-ms and per MiB-ms (ACI's GB is 1024 MiB).
  const double cpu_price = static_cast<double>(prices.vcpu_hour_micro_usd) / (1000.0 * 3.6e6);
  const double mem_price = static_cast<double>(prices.gb_hour_micro_usd) / (1024.0 * 3.6e6);
  int64_t horizon_ms = 0;
  for (const BoundJob& j : jobs) horizon_ms = std::max(horizon_ms, j.s_hi + j.hold);
  double best = 0;
  for (const absl::Duration width :
       {absl::Seconds(1), absl::Seconds(10), absl::Minutes(1), absl::Minutes(5), absl::Minutes(15),
        absl::Hours(1), absl::Hours(4)}) {
    const int64_t t = absl::ToInt64Milliseconds(width);
    const size_t windows = static_cast<size_t>(horizon_ms / t + 1);
    std::vector<__int128> cpu_energy(windows, 0);
    std::vector<__int128> mem_energy(windows, 0);
    for (const BoundJob& j : jobs) {
      // The windows the job can touch at all: [s_lo, s_hi + hold).
      for (int64_t k = j.s_lo / t; k * t < j.s_hi + j.hold && k < static_cast<int64_t>(windows);
           ++k) {
        const int64_t overlap = MinOverlap(j, k * t, (k + 1) * t);
        cpu_energy[k] += static_cast<__int128>(j.cpu) * overlap;
        mem_energy[k] += static_cast<__int128>(j.mem) * overlap;
      }
    }
    double bound = 0;
    for (size_t k = 0; k < windows; ++k) {
      const __int128 cpu_excess = cpu_energy[k] - static_cast<__int128>(pool_cpu) * t;
      const __int128 mem_excess = mem_energy[k] - static_cast<__int128>(pool_mem) * t;
      if (cpu_excess > 0) bound += cpu_price * static_cast<double>(cpu_excess);
      if (mem_excess > 0) bound += mem_price * static_cast<double>(mem_excess);
    }
    if (bound > best) {
      best = bound;
      *best_window = width;
    }
  }
  return best;
}

// Rounded down, a lower bound stays one; `margin` (relative) absorbs floating-point error in
// long sums.
int64_t RoundDown(double micro_usd, double margin) {
  return std::max<int64_t>(0, static_cast<int64_t>(std::floor(micro_usd * (1 - margin))));
}

}  // namespace

Reference AciSpendLowerBound(const Trace& trace, const spillway::v1::Policy& policy,
                             const ReferenceInput& input) {
  Reference ref;
  const AciPrices prices = PricesOf(policy);
  const int64_t delta_ms = absl::ToInt64Milliseconds(input.vm_start_delay);
  const int64_t min_latency_ms = absl::ToInt64Milliseconds(input.aci_min_start_latency);
  std::vector<BoundJob> jobs;
  double must_burst_micro_usd = 0;
  for (const TraceJob& job : trace) {
    const Resources size{job.cpu_millis, job.memory_mib};
    const Resources aci_size = RoundToAciGranularity(size);
    // The exact rate (AciHourlyRateMicroUsd rounds it up; the bill rounds only its total up).
    const double rate_per_hour = (static_cast<double>(aci_size.cpu_millis) *
                                      static_cast<double>(prices.vcpu_hour_micro_usd) * 1024 +
                                  static_cast<double>(aci_size.memory_mib) *
                                      static_cast<double>(prices.gb_hour_micro_usd) * 1000) /
                                 (1000.0 * 1024);
    const double aci_cost =
        rate_per_hour * absl::ToDoubleHours(job.duration + input.aci_min_start_latency);
    if (!input.node_capacity.Fits(size) || input.nodes == 0) {
      ++ref.must_burst_jobs;
      must_burst_micro_usd += static_cast<double>(
          AciCostMicroUsd(aci_size, job.duration + input.aci_min_start_latency, prices));
      continue;
    }
    const int64_t a = absl::ToInt64Milliseconds(job.submit);
    const int64_t w = absl::ToInt64Milliseconds(EffectiveMaxWait(ToJobSpec(job), policy));
    const int64_t hold = delta_ms + absl::ToInt64Milliseconds(job.duration);
    const int64_t s_hi = std::max(a, a + w - delta_ms);
    if (s_hi < a + hold) ++ref.jobs_with_compulsory_part;
    const bool may_burst = w >= min_latency_ms &&
                           aci_size.cpu_millis <= policy.aci_max_group_cpu_millis() &&
                           aci_size.memory_mib <= policy.aci_max_group_memory_mib();
    if (!may_burst) ++ref.vm_bound_jobs;
    jobs.push_back({a, s_hi, hold, job.cpu_millis, job.memory_mib, may_burst, aci_cost});
  }
  const double partition = PartitionBound(jobs, input, prices, &ref.best_window);
  const DualBound dual = PriceWindows(jobs, input.node_capacity, input.nodes);
  ref.no_schedule_meets_every_budget = dual.uncoverable;
  ref.partition_bound_micro_usd = RoundDown(partition + must_burst_micro_usd, 0);
  ref.dual_bound_micro_usd = RoundDown(dual.micro_usd + must_burst_micro_usd, 1e-9);
  ref.aci_spend_lower_bound_micro_usd =
      std::max(ref.partition_bound_micro_usd, ref.dual_bound_micro_usd);
  return ref;
}

}  // namespace sim
}  // namespace spillway
