// ACI prices and spend in exact integers: micro-USD (1 USD = 1,000,000 micro-USD).
#ifndef SPILLWAY_SCHEDULER_MODEL_MONEY_H_
#define SPILLWAY_SCHEDULER_MODEL_MONEY_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "scheduler/model/resources.h"

namespace spillway {

struct AciPrices {
  int64_t vcpu_hour_micro_usd = 0;  // per vCPU-hour
  int64_t gb_hour_micro_usd = 0;    // per GB-hour (1 GB = 1024 MiB as ACI bills memoryInGB)
};

// Hourly cost of a container group of `size`, in micro-USD per hour (rounded up).
int64_t AciHourlyRateMicroUsd(const Resources& size, const AciPrices& prices);

// Cost of running `size` for `duration` (billed per second on the requested size), rounded up.
int64_t AciCostMicroUsd(const Resources& size, absl::Duration duration, const AciPrices& prices);

// "$0.0123": up to six decimals (exact micro-USD), trailing zeros trimmed to at least two.
std::string FormatMicroUsd(int64_t micro_usd);

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_MODEL_MONEY_H_
