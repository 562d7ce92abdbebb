#include "backends/aci/rate_limits.h"

#include "gtest/gtest.h"

namespace spillway {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1767225600);

TEST(TokenBucketTest, BurstThenRefill) {
  TokenBucket bucket(3, 1, kT0);
  EXPECT_TRUE(bucket.TryTake(kT0));
  EXPECT_TRUE(bucket.TryTake(kT0));
  EXPECT_TRUE(bucket.TryTake(kT0));
  EXPECT_FALSE(bucket.TryTake(kT0));
  EXPECT_EQ(bucket.WaitFor(kT0), absl::Seconds(1));
  EXPECT_EQ(bucket.Remaining(kT0), 0);
  EXPECT_TRUE(bucket.TryTake(kT0 + absl::Seconds(1)));
  EXPECT_EQ(bucket.Remaining(kT0 + absl::Seconds(100)), 3);  // Capped at capacity.
}

TEST(SlidingWindowLimitTest, NeverMoreThanMaxInAnyWindow) {
  SlidingWindowLimit limit(3, absl::Minutes(5));
  EXPECT_TRUE(limit.TryTake(kT0));
  EXPECT_TRUE(limit.TryTake(kT0 + absl::Minutes(1)));
  EXPECT_TRUE(limit.TryTake(kT0 + absl::Minutes(2)));
  EXPECT_FALSE(limit.TryTake(kT0 + absl::Minutes(4)));
  EXPECT_EQ(limit.WaitFor(kT0 + absl::Minutes(4)), absl::Minutes(1));
  EXPECT_TRUE(limit.TryTake(kT0 + absl::Minutes(5)));   // The first one left the window.
  EXPECT_FALSE(limit.TryTake(kT0 + absl::Minutes(5)));
}

TEST(MultiWindowLimitTest, AllWindowsMustAdmit) {
  MultiWindowLimit limit;
  limit.Add(2, absl::Minutes(5));
  limit.Add(3, absl::Hours(1));
  absl::Time t = kT0;
  int taken = 0;
  for (int i = 0; i < 60; ++i, t += absl::Minutes(1)) taken += limit.TryTake(t) ? 1 : 0;
  EXPECT_EQ(taken, 3);  // The hourly window binds.
  EXPECT_TRUE(limit.TryTake(kT0 + absl::Hours(1)));
}

}  // namespace
}  // namespace spillway
