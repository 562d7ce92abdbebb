#include "tools/spillctl/money.h"

#include <cstdint>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spillway::spillctl {
namespace {

using ::testing::HasSubstr;

struct MoneyCase {
  int64_t micro_usd;
  std::string text;
};

void PrintTo(const MoneyCase& c, std::ostream* os) { *os << c.micro_usd; }

class FormatMicroUsdTest : public ::testing::TestWithParam<MoneyCase> {};

TEST_P(FormatMicroUsdTest, Formats) {
  EXPECT_EQ(FormatMicroUsd(GetParam().micro_usd), GetParam().text);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FormatMicroUsdTest,
    ::testing::Values(MoneyCase{0, "$0.00"}, MoneyCase{1, "$0.000001"},
                      MoneyCase{40500, "$0.0405"}, MoneyCase{4450, "$0.00445"},
                      MoneyCase{10000, "$0.01"}, MoneyCase{1000000, "$1.00"},
                      MoneyCase{12500000, "$12.50"},
                      MoneyCase{1234567, "$1.234567"},
                      MoneyCase{-1200000, "-$1.20"},
                      MoneyCase{-5, "-$0.000005"},
                      MoneyCase{std::numeric_limits<int64_t>::min(),
                                "-$9223372036854.775808"},
                      MoneyCase{std::numeric_limits<int64_t>::max(),
                                "$9223372036854.775807"}));

TEST(FormatMicroUsdPerHourTest, AppendsPerHour) {
  EXPECT_EQ(FormatMicroUsdPerHour(1200000), "$1.20/h");
  EXPECT_EQ(FormatMicroUsdPerHour(40500), "$0.0405/h");
}

TEST(ParseMicroUsdTest, DollarsAndMicros) {
  EXPECT_EQ(ParseMicroUsd("$0.0405").value_or(-1), 40500);
  EXPECT_EQ(ParseMicroUsd("$12.5").value_or(-1), 12500000);
  EXPECT_EQ(ParseMicroUsd("$3").value_or(-1), 3000000);
  EXPECT_EQ(ParseMicroUsd("$0.000001").value_or(-1), 1);
  EXPECT_EQ(ParseMicroUsd("40500").value_or(-1), 40500);
  EXPECT_EQ(ParseMicroUsd("0").value_or(-1), 0);
}

TEST(ParseMicroUsdTest, RoundTripsFormat) {
  for (int64_t micro_usd : {0, 1, 4450, 40500, 1000000, 1234567}) {
    EXPECT_EQ(ParseMicroUsd(FormatMicroUsd(micro_usd)).value_or(-1), micro_usd);
  }
}

TEST(ParseMicroUsdTest, Errors) {
  EXPECT_THAT(ParseMicroUsd("$0.0000001").status().message(),
              HasSubstr("finer than"));
  for (const char* bad :
       {"$", "$.5", "$1.2x", "$-1", "1.5", "abc", "$1.2.3", ""}) {
    absl::StatusOr<int64_t> value = ParseMicroUsd(bad);
    ASSERT_FALSE(value.ok()) << bad << " -> " << *value;
    EXPECT_THAT(value.status().message(), HasSubstr("cannot parse")) << bad;
  }
}

}  // namespace
}  // namespace spillway::spillctl
