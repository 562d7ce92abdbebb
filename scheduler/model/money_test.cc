#include "scheduler/model/money.h"

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spillway {
namespace {

// East US Linux, as in design.md §5: $0.0405 per vCPU-hour, $0.00445 per GB-hour.
constexpr AciPrices kEastUs{40500, 4450};

// ---------------------------------------------------------------------------------------------
// AciHourlyRateMicroUsd: cpu_millis/1000 * vcpu price + memory_mib/1024 * GB price, rounded up.

struct RateCase {
  std::string name;
  Resources size;
  int64_t want_micro_usd_per_hour;
};

// Parameterised test output names the row instead of dumping bytes.
void PrintTo(const RateCase& c, std::ostream* os) { *os << c.name; }

class AciHourlyRateTest : public ::testing::TestWithParam<RateCase> {};

TEST_P(AciHourlyRateTest, MatchesHandComputedRate) {
  EXPECT_EQ(AciHourlyRateMicroUsd(GetParam().size, kEastUs), GetParam().want_micro_usd_per_hour);
}

INSTANTIATE_TEST_SUITE_P(
    Table, AciHourlyRateTest,
    ::testing::Values(
        // 1 vCPU + 1 GB: 40500 + 4450.
        RateCase{"OneVcpuOneGb", {1000, 1024}, 44950},
        // Half of that: 20250 + 2225, exact.
        RateCase{"HalfVcpuHalfGb", {500, 512}, 22475},
        // The default per-group maximum, 4 vCPU + 16 GB: 162000 + 71200.
        RateCase{"FourVcpuSixteenGb", {4000, 16384}, 233200},
        RateCase{"Nothing", {0, 0}, 0},
        // 1 millicore: 40.5 micro-USD/h, rounded up to 41.
        RateCase{"OneMillicoreRoundsUp", {1, 0}, 41},
        // 1 MiB: 4450/1024 = 4.35 micro-USD/h, rounded up to 5.
        RateCase{"OneMibRoundsUp", {0, 1}, 5},
        // 1 millicore + 1 MiB: 40.5 + 4.35 = 44.85, rounded up once to 45 (rounding each part
        // separately would give 46).
        RateCase{"SumRoundedOnce", {1, 1}, 45},
        // 0.01 vCPU + 0.1 GB-ish (ACI's smallest steps): 405 + 103*4450/1024 = 405 + 447.6.
        RateCase{"SmallestAciStep", {10, 103}, 853}),
    [](const ::testing::TestParamInfo<RateCase>& info) { return info.param.name; });

TEST(AciHourlyRateTest, ZeroPricesCostNothing) {
  EXPECT_EQ(AciHourlyRateMicroUsd({4000, 16384}, AciPrices{}), 0);
}

// ---------------------------------------------------------------------------------------------
// AciCostMicroUsd: billed per second (partial seconds count as whole ones), rounded up.

struct CostCase {
  std::string name;
  Resources size;
  absl::Duration duration;
  int64_t want_micro_usd;
};

// Parameterised test output names the row instead of dumping bytes.
void PrintTo(const CostCase& c, std::ostream* os) { *os << c.name; }

class AciCostTest : public ::testing::TestWithParam<CostCase> {};

TEST_P(AciCostTest, MatchesHandComputedCost) {
  EXPECT_EQ(AciCostMicroUsd(GetParam().size, GetParam().duration, kEastUs),
            GetParam().want_micro_usd);
}

INSTANTIATE_TEST_SUITE_P(
    Table, AciCostTest,
    ::testing::Values(
        // The brief's example: 1 vCPU + 1024 MiB for an hour = 40500 + 4450.
        CostCase{"OneVcpuOneGbOneHour", {1000, 1024}, absl::Hours(1), 44950},
        CostCase{"OneVcpuOneGbHalfHour", {1000, 1024}, absl::Minutes(30), 22475},
        CostCase{"OneVcpuOneGbTwoHours", {1000, 1024}, absl::Hours(2), 89900},
        CostCase{"ZeroDuration", {1000, 1024}, absl::ZeroDuration(), 0},
        CostCase{"ZeroSize", {0, 0}, absl::Hours(5), 0},
        // One second: 44950 / 3600 = 12.49, rounded up to 13.
        CostCase{"OneSecond", {1000, 1024}, absl::Seconds(1), 13},
        // A millisecond is billed as a whole second.
        CostCase{"OneMillisecondBilledAsSecond", {1000, 1024}, absl::Milliseconds(1), 13},
        // 1.001 s is billed as 2 s: 89900 / 3600 = 24.97, rounded up to 25.
        CostCase{"PartialSecondRoundsUp", {1000, 1024}, absl::Milliseconds(1001), 25},
        // Sub-millisecond remainders are partial seconds too: 1 s + 500 us is billed as 2 s.
        CostCase{"SubMillisecondRemainderRoundsUp", {1000, 1024},
                 absl::Seconds(1) + absl::Microseconds(500), 25},
        // A single microsecond of running is still one billed second.
        CostCase{"OneMicrosecondBilledAsSecond", {1000, 1024}, absl::Microseconds(1), 13},
        // 30 days of the largest group (31 vCPU, 240 GB): (31*40500 + 240*4450) * 720
        // = 2323500 * 720; exact, no overflow.
        CostCase{"ThirtyDaysLargestGroup", {31000, 240 * 1024}, absl::Hours(24 * 30),
                 int64_t{2323500} * 720},
        // 0.5 vCPU for 90 s: 20250 * 90 / 3600 = 506.25, rounded up to 507.
        CostCase{"HalfVcpuNinetySeconds", {500, 0}, absl::Seconds(90), 507}),
    [](const ::testing::TestParamInfo<CostCase>& info) { return info.param.name; });

TEST(AciCostTest, OneHourCostEqualsHourlyRateWhenExact) {
  for (const Resources size : {Resources{1000, 1024}, Resources{2000, 4096},
                               Resources{4000, 16384}, Resources{500, 512}}) {
    SCOPED_TRACE(size.ToString());
    EXPECT_EQ(AciCostMicroUsd(size, absl::Hours(1), kEastUs),
              AciHourlyRateMicroUsd(size, kEastUs));
  }
}

TEST(AciCostTest, NeverDecreasesWithDuration) {
  const Resources size{1230, 3000};
  int64_t previous = 0;
  for (int ms = 0; ms <= 10000; ms += 250) {
    const int64_t cost = AciCostMicroUsd(size, absl::Milliseconds(ms), kEastUs);
    EXPECT_GE(cost, previous) << ms << " ms";
    previous = cost;
  }
}

// ---------------------------------------------------------------------------------------------
// FormatMicroUsd

// Parses "$D.FFFF" (optionally with a leading '-') back to micro-USD; -1 on a malformed string.
int64_t ParseDollars(std::string text) {
  bool negative = false;
  if (absl::StartsWith(text, "-")) {
    negative = true;
    text = text.substr(1);
  }
  if (!absl::StartsWith(text, "$")) return -1;
  const std::vector<std::string> parts = absl::StrSplit(text.substr(1), '.');
  if (parts.size() != 2 || parts[1].empty() || parts[1].size() > 6) return -1;
  int64_t dollars = 0;
  int64_t fraction = 0;
  if (!absl::SimpleAtoi(parts[0], &dollars)) return -1;
  if (!absl::SimpleAtoi(parts[1] + std::string(6 - parts[1].size(), '0'), &fraction)) return -1;
  const int64_t v = dollars * 1000000 + fraction;
  return negative ? -v : v;
}

TEST(FormatMicroUsdTest, RoundTripsExactly) {
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{9}, int64_t{12300}, int64_t{40500},
                    int64_t{44950}, int64_t{999999}, int64_t{1000000}, int64_t{5000000},
                    int64_t{1234567}, int64_t{98765432101}}) {
    const std::string text = FormatMicroUsd(v);
    SCOPED_TRACE(text);
    EXPECT_TRUE(absl::StartsWith(text, "$"));
    EXPECT_EQ(ParseDollars(text), v);
  }
}

TEST(FormatMicroUsdTest, SmallAmountsAreNotRoundedAway) {
  // "enough digits to be useful for small amounts": one micro-USD must not print as $0.00.
  EXPECT_EQ(ParseDollars(FormatMicroUsd(1)), 1);
  EXPECT_EQ(ParseDollars(FormatMicroUsd(13)), 13);
}

TEST(FormatMicroUsdTest, NegativeAmountsKeepTheirSign) {
  const std::string text = FormatMicroUsd(-1200000);
  EXPECT_TRUE(absl::StartsWith(text, "-")) << text;
  EXPECT_EQ(ParseDollars(text), -1200000);
}

TEST(FormatMicroUsdTest, MatchesDocumentedExample) {
  // money.h documents the shape as "$0.0123" (12300 micro-USD).
  EXPECT_EQ(FormatMicroUsd(12300), "$0.0123");
}

}  // namespace
}  // namespace spillway
