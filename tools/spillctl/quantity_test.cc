#include "tools/spillctl/quantity.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spillway::spillctl {
namespace {

using ::testing::HasSubstr;

struct QuantityCase {
  std::string text;
  int64_t want;
};

void PrintTo(const QuantityCase& c, std::ostream* os) {
  *os << '"' << c.text << '"';
}

class CpuTest : public ::testing::TestWithParam<QuantityCase> {};

TEST_P(CpuTest, ParsesToMillicores) {
  absl::StatusOr<int64_t> millis = ParseCpuMillis("cpu", GetParam().text);
  ASSERT_TRUE(millis.ok()) << millis.status();
  EXPECT_EQ(*millis, GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CpuTest,
    ::testing::Values(QuantityCase{"500m", 500}, QuantityCase{"1m", 1},
                      QuantityCase{"2", 2000}, QuantityCase{"1.5", 1500},
                      QuantityCase{"0.1", 100}, QuantityCase{"0.125", 125},
                      QuantityCase{"1.000", 1000}, QuantityCase{"2.", 2000},
                      QuantityCase{".5", 500}, QuantityCase{"1500m", 1500},
                      QuantityCase{"64", 64000}));

struct BadQuantityCase {
  std::string text;
  std::string error;
};

void PrintTo(const BadQuantityCase& c, std::ostream* os) {
  *os << '"' << c.text << '"';
}

class BadCpuTest : public ::testing::TestWithParam<BadQuantityCase> {};

TEST_P(BadCpuTest, ErrorNamesTheFlag) {
  absl::StatusOr<int64_t> millis = ParseCpuMillis("cpu", GetParam().text);
  ASSERT_FALSE(millis.ok()) << *millis;
  EXPECT_EQ(millis.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(millis.status().message(), HasSubstr("--cpu: "));
  EXPECT_THAT(millis.status().message(), HasSubstr(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadCpuTest,
    ::testing::Values(BadQuantityCase{"", "cannot parse"},
                      BadQuantityCase{"m", "cannot parse"},
                      BadQuantityCase{"two", "cannot parse"},
                      BadQuantityCase{"-1", "cannot parse"},
                      BadQuantityCase{"1.2.3", "cannot parse"},
                      BadQuantityCase{"500 m", "cannot parse"},
                      BadQuantityCase{"1Gi", "cannot parse"},
                      BadQuantityCase{"1.0005", "finer than one millicore"},
                      BadQuantityCase{"1.5m", "finer than one millicore"},
                      BadQuantityCase{"0", "more than 0"},
                      BadQuantityCase{"0m", "more than 0"},
                      BadQuantityCase{"9999999999999999", "cannot parse"}));

class MemoryTest : public ::testing::TestWithParam<QuantityCase> {};

TEST_P(MemoryTest, ParsesToMibRoundedUp) {
  absl::StatusOr<int64_t> mib = ParseMemoryMib("memory", GetParam().text);
  ASSERT_TRUE(mib.ok()) << mib.status();
  EXPECT_EQ(*mib, GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MemoryTest,
    ::testing::Values(QuantityCase{"512Mi", 512}, QuantityCase{"1Gi", 1024},
                      QuantityCase{"2Gi", 2048}, QuantityCase{"1.5Gi", 1536},
                      QuantityCase{"1Ti", 1024 * 1024},
                      QuantityCase{"1024Ki", 1},
                      QuantityCase{"1Ki", 1},     // Rounded up.
                      QuantityCase{"1025Ki", 2},  // Rounded up.
                      QuantityCase{"1G", 954},    // 1e9 B = 953.67 MiB.
                      QuantityCase{"1M", 1},      // 1e6 B = 0.95 MiB.
                      QuantityCase{"500M", 477},  // 476.84 MiB.
                      QuantityCase{"100k", 1}, QuantityCase{"2000K", 2},
                      QuantityCase{"1T", 953675},  // 953674.3 MiB.
                      QuantityCase{"0.5Mi", 1}));

class BadMemoryTest : public ::testing::TestWithParam<BadQuantityCase> {};

TEST_P(BadMemoryTest, ErrorNamesTheFlag) {
  absl::StatusOr<int64_t> mib = ParseMemoryMib("memory", GetParam().text);
  ASSERT_FALSE(mib.ok()) << *mib;
  EXPECT_EQ(mib.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mib.status().message(), HasSubstr("--memory: "));
  EXPECT_THAT(mib.status().message(), HasSubstr(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadMemoryTest,
    ::testing::Values(BadQuantityCase{"512", "needs a unit"},
                      BadQuantityCase{"", "cannot parse"},
                      BadQuantityCase{"Gi", "cannot parse"},
                      BadQuantityCase{"1GB", "cannot parse"},
                      BadQuantityCase{"1gi", "cannot parse"},
                      BadQuantityCase{"-1Gi", "cannot parse"},
                      BadQuantityCase{"0Mi", "more than 0"},
                      BadQuantityCase{"0.0Gi", "more than 0"}));

TEST(FormatTest, CpuAndMemory) {
  EXPECT_EQ(FormatCpuMillis(2000), "2");
  EXPECT_EQ(FormatCpuMillis(500), "500m");
  EXPECT_EQ(FormatCpuMillis(1500), "1500m");
  EXPECT_EQ(FormatCpuMillis(0), "0");
  EXPECT_EQ(FormatMemoryMib(2048), "2Gi");
  EXPECT_EQ(FormatMemoryMib(512), "512Mi");
  EXPECT_EQ(FormatMemoryMib(1536), "1536Mi");
  EXPECT_EQ(FormatMemoryMib(0), "0Mi");
}

TEST(FormatTest, RoundTripsThroughParse) {
  for (int64_t millis : {1, 250, 1000, 1500, 64000}) {
    EXPECT_EQ(ParseCpuMillis("cpu", FormatCpuMillis(millis)).value_or(-1),
              millis);
  }
  for (int64_t mib : {1, 512, 1024, 1536, 16384}) {
    EXPECT_EQ(ParseMemoryMib("memory", FormatMemoryMib(mib)).value_or(-1), mib);
  }
}

}  // namespace
}  // namespace spillway::spillctl
