// Money is carried in micro-USD (1 USD = 1,000,000) so it stays exact; these
// convert it to and from dollars for people.
#ifndef SPILLWAY_TOOLS_SPILLCTL_MONEY_H_
#define SPILLWAY_TOOLS_SPILLCTL_MONEY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace spillway::spillctl {

// 40500 -> "$0.0405", 12500000 -> "$12.50", 0 -> "$0.00", -1200000 -> "-$1.20".
// At least two decimals, at most six, never rounded.
std::string FormatMicroUsd(int64_t micro_usd);

// 1200000 -> "$1.20/h".
std::string FormatMicroUsdPerHour(int64_t micro_usd_per_hour);

// "$0.0405" -> 40500 (dollars, up to six decimals); "40500" -> 40500
// (micro-USD).
absl::StatusOr<int64_t> ParseMicroUsd(absl::string_view text);

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_MONEY_H_
