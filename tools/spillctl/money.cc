#include "tools/spillctl/money.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace spillway::spillctl {
namespace {

constexpr int64_t kMicroPerDollar = 1000000;

}  // namespace

std::string FormatMicroUsd(int64_t micro_usd) {
  // Work in unsigned so INT64_MIN has a magnitude.
  const bool negative = micro_usd < 0;
  const uint64_t magnitude =
      negative ? uint64_t{0} - static_cast<uint64_t>(micro_usd)
               : static_cast<uint64_t>(micro_usd);
  std::string fraction = absl::StrFormat("%06d", magnitude % kMicroPerDollar);
  while (fraction.size() > 2 && fraction.back() == '0') fraction.pop_back();
  return absl::StrCat(negative ? "-$" : "$", magnitude / kMicroPerDollar, ".",
                      fraction);
}

std::string FormatMicroUsdPerHour(int64_t micro_usd_per_hour) {
  return absl::StrCat(FormatMicroUsd(micro_usd_per_hour), "/h");
}

absl::StatusOr<int64_t> ParseMicroUsd(absl::string_view text) {
  absl::string_view number = text;
  if (!absl::ConsumePrefix(&number, "$")) {
    int64_t micro_usd = 0;
    if (!absl::SimpleAtoi(number, &micro_usd)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot parse \"", text,
          "\"; want micro-USD like 40500 or dollars like $0.0405"));
    }
    return micro_usd;
  }
  const size_t point = number.find('.');
  const absl::string_view whole = number.substr(0, point);
  const absl::string_view fraction = point == absl::string_view::npos
                                         ? absl::string_view()
                                         : number.substr(point + 1);
  int64_t dollars = 0;
  const bool digits_only =
      std::all_of(fraction.begin(), fraction.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      });
  if (whole.empty() || !digits_only || !absl::SimpleAtoi(whole, &dollars) ||
      dollars < 0 || dollars > 1000000000) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot parse \"", text, "\"; want dollars like $0.0405"));
  }
  if (fraction.size() > 6) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is finer than one micro-USD ($0.000001)"));
  }
  int64_t fraction_micro = 0;
  for (size_t i = 0; i < 6; ++i) {
    fraction_micro =
        fraction_micro * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  return dollars * kMicroPerDollar + fraction_micro;
}

}  // namespace spillway::spillctl
