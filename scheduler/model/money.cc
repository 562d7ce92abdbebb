#include "scheduler/model/money.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace spillway {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return a <= 0 ? 0 : (a + b - 1) / b; }

}  // namespace

int64_t AciHourlyRateMicroUsd(const Resources& size, const AciPrices& prices) {
  // cpu_millis * price / 1000 + memory_mib * price / 1024, summed before rounding.
  const int64_t cpu = size.cpu_millis * prices.vcpu_hour_micro_usd * 1024;
  const int64_t mem = size.memory_mib * prices.gb_hour_micro_usd * 1000;
  return CeilDiv(cpu + mem, 1000 * 1024);
}

int64_t AciCostMicroUsd(const Resources& size, absl::Duration duration,
                        const AciPrices& prices) {
  // Billed per second, rounded up to whole seconds.
  if (duration <= absl::ZeroDuration()) return 0;
  // Whole seconds, rounded up (absl::Ceil keeps sub-millisecond remainders); capped at 100 years.
  const int64_t seconds = absl::ToInt64Seconds(
      absl::Ceil(std::min(duration, absl::Hours(24 * 365 * 100)), absl::Seconds(1)));
  const int64_t cpu = size.cpu_millis * prices.vcpu_hour_micro_usd * 1024;
  const int64_t mem = size.memory_mib * prices.gb_hour_micro_usd * 1000;
  // (cpu + mem) / (1000 * 1024) is micro-USD per hour; times seconds / 3600.
  // Use 128-bit to stay exact for long runs.
  const __int128 numerator = static_cast<__int128>(cpu + mem) * seconds;
  const __int128 denominator = static_cast<__int128>(1000) * 1024 * 3600;
  if (numerator <= 0) return 0;
  return static_cast<int64_t>((numerator + denominator - 1) / denominator);
}

std::string FormatMicroUsd(int64_t micro_usd) {
  const char* sign = micro_usd < 0 ? "-" : "";
  const uint64_t v = micro_usd < 0 ? 0 - static_cast<uint64_t>(micro_usd)
                                   : static_cast<uint64_t>(micro_usd);
  std::string fraction = absl::StrFormat("%06d", v % 1000000);
  // Trailing zeros go, but at least two decimals stay: $0.0123, $1.50, $0.000001.
  while (fraction.size() > 2 && fraction.back() == '0') fraction.pop_back();
  return absl::StrFormat("%s$%d.%s", sign, v / 1000000, fraction);
}

}  // namespace spillway
