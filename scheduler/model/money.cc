#include "scheduler/model/money.h"

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
  const int64_t seconds = CeilDiv(absl::ToInt64Milliseconds(duration), 1000);
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
  const int64_t v = micro_usd < 0 ? -micro_usd : micro_usd;
  return absl::StrFormat("%s$%d.%06d", sign, v / 1000000, v % 1000000);
}

}  // namespace spillway
