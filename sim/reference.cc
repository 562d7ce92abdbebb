#include "sim/reference.h"

#include <algorithm>
#include <vector>

#include "scheduler/burst/burst_decision.h"
#include "scheduler/model/money.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace sim {
namespace {

// Least overlap of [s, s + length) with [w0, w1) over s in [s_lo, s_hi]: the overlap is a
// trapezoid in s, so its minimum is at an end of the range.
int64_t MinOverlap(int64_t s_lo, int64_t s_hi, int64_t length, int64_t w0, int64_t w1) {
  auto overlap = [&](int64_t s) {
    return std::max<int64_t>(0, std::min(s + length, w1) - std::max(s, w0));
  };
  return std::min(overlap(s_lo), overlap(s_hi));
}

}  // namespace

Reference AciSpendLowerBound(const Trace& trace, const spillway::v1::Policy& policy,
                             const ReferenceInput& input) {
  Reference ref;
  const AciPrices prices = PricesOf(policy);
  const int64_t delta_ms = absl::ToInt64Milliseconds(input.vm_start_delay);
  const int64_t pool_cpu = input.node_capacity.cpu_millis * input.nodes;
  const int64_t pool_mem = input.node_capacity.memory_mib * input.nodes;
  // micro-USD per millicore-ms and per MiB-ms (ACI's GB is 1024 MiB).
  const double cpu_price = static_cast<double>(prices.vcpu_hour_micro_usd) / (1000.0 * 3.6e6);
  const double mem_price = static_cast<double>(prices.gb_hour_micro_usd) / (1024.0 * 3.6e6);

  struct Placed {
    int64_t s_lo, s_hi, length, cpu, mem;
  };
  std::vector<Placed> jobs;
  double must_burst_micro_usd = 0;
  int64_t horizon_ms = 0;
  for (const TraceJob& job : trace) {
    const Resources size{job.cpu_millis, job.memory_mib};
    if (!input.node_capacity.Fits(size) || input.nodes == 0) {
      ++ref.must_burst_jobs;
      must_burst_micro_usd += static_cast<double>(AciCostMicroUsd(
          RoundToAciGranularity(size), job.duration + input.aci_min_start_latency, prices));
      continue;
    }
    const int64_t a = absl::ToInt64Milliseconds(job.submit);
    const int64_t w = absl::ToInt64Milliseconds(EffectiveMaxWait(ToJobSpec(job), policy));
    const int64_t length = delta_ms + absl::ToInt64Milliseconds(job.duration);
    const int64_t s_hi = std::max(a, a + w - delta_ms);
    if (s_hi < a + length) ++ref.jobs_with_compulsory_part;
    jobs.push_back({a, s_hi, length, job.cpu_millis, job.memory_mib});
    horizon_ms = std::max(horizon_ms, s_hi + length);
  }

  // Energetic reasoning on a grid of windows of width T: in each window the VM jobs' least
  // energy fits the pool's, so ACI jobs hold at least the excess there; windows are disjoint,
  // so a job's billed time covers its overlaps with all of them. Each T gives a bound; keep the
  // best. (T -> 0 is the compulsory-part bound.)
  double best = 0;
  for (const absl::Duration width :
       {absl::Seconds(1), absl::Seconds(10), absl::Minutes(1), absl::Minutes(5), absl::Minutes(15),
        absl::Hours(1), absl::Hours(4)}) {
    const int64_t t = absl::ToInt64Milliseconds(width);
    const size_t windows = static_cast<size_t>(horizon_ms / t + 1);
    std::vector<__int128> cpu_energy(windows, 0);
    std::vector<__int128> mem_energy(windows, 0);
    for (const Placed& j : jobs) {
      // The windows the job can touch at all: [s_lo, s_hi + length).
      for (int64_t k = j.s_lo / t; k * t < j.s_hi + j.length && k < static_cast<int64_t>(windows);
           ++k) {
        const int64_t overlap = MinOverlap(j.s_lo, j.s_hi, j.length, k * t, (k + 1) * t);
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
      ref.best_window = width;
    }
  }
  // Rounded down: a lower bound stays one.
  ref.aci_spend_lower_bound_micro_usd = static_cast<int64_t>(best + must_burst_micro_usd);
  return ref;
}

}  // namespace sim
}  // namespace spillway
