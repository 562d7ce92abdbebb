#include "tools/spillctl/proto_time.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spillway::spillctl {
namespace {

using ::testing::HasSubstr;

google::protobuf::Timestamp At(int64_t seconds) {
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(seconds);
  return timestamp;
}

TEST(ParseNonNegativeDurationTest, Accepts) {
  EXPECT_EQ(ParseNonNegativeDuration("--max-wait", "60s")
                .value_or(absl::ZeroDuration()),
            absl::Seconds(60));
  EXPECT_EQ(ParseNonNegativeDuration("--max-wait", "1h30m")
                .value_or(absl::ZeroDuration()),
            absl::Minutes(90));
  EXPECT_EQ(
      ParseNonNegativeDuration("--max-wait", "0").value_or(absl::Seconds(1)),
      absl::ZeroDuration());
}

TEST(ParseNonNegativeDurationTest, RejectsWithTheName) {
  for (const char* bad : {"60", "soon", "", "inf", "5 m"}) {
    absl::StatusOr<absl::Duration> duration =
        ParseNonNegativeDuration("--max-wait", bad);
    ASSERT_FALSE(duration.ok()) << bad;
    EXPECT_THAT(duration.status().message(),
                HasSubstr("--max-wait: cannot parse"))
        << bad;
  }
  EXPECT_THAT(ParseNonNegativeDuration("--duration", "-5s").status().message(),
              HasSubstr("--duration: must not be negative"));
}

TEST(ProtoDurationTest, RoundTrips) {
  const google::protobuf::Duration proto =
      ToProtoDuration(absl::Milliseconds(90500));
  EXPECT_EQ(proto.seconds(), 90);
  EXPECT_EQ(proto.nanos(), 500000000);
  EXPECT_EQ(FromProtoDuration(proto), absl::Milliseconds(90500));
  EXPECT_EQ(FormatDuration(proto), "1m30.5s");
  EXPECT_EQ(FormatDuration(google::protobuf::Duration()), "0");
}

TEST(FormatTimestampTest, UtcOrDash) {
  EXPECT_EQ(FormatTimestamp(At(1714564803)), "2024-05-01T12:00:03Z");
  EXPECT_EQ(FormatTimestamp(google::protobuf::Timestamp()), "-");
}

TEST(FormatAgeTest, CoarseUnits) {
  const absl::Time now = absl::FromUnixSeconds(1000000);
  EXPECT_EQ(FormatAge(At(1000000 - 42), now), "42s");
  EXPECT_EQ(FormatAge(At(1000000 - 119), now), "119s");
  EXPECT_EQ(FormatAge(At(1000000 - 5 * 60), now), "5m");
  EXPECT_EQ(FormatAge(At(1000000 - 3 * 3600), now), "3h");
  EXPECT_EQ(FormatAge(At(1000000 - 50 * 3600), now), "2d");
  EXPECT_EQ(FormatAge(At(1000000 + 30), now),
            "0s");  // Clock skew: never negative.
  EXPECT_EQ(FormatAge(google::protobuf::Timestamp(), now), "-");
}

}  // namespace
}  // namespace spillway::spillctl
