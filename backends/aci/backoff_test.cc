#include "backends/aci/backoff.h"

#include <random>

#include "gtest/gtest.h"

namespace spillway {
namespace {

TEST(BackoffTest, ExponentialWithEqualJitterAndCap) {
  std::mt19937_64 gen(7);
  const BackoffPolicy policy{absl::Seconds(1), absl::Seconds(30)};
  for (int retry = 0; retry < 12; ++retry) {
    absl::Duration cap = absl::Seconds(1);
    for (int i = 0; i < retry; ++i) cap = std::min(cap * 2, absl::Seconds(30));
    for (int draw = 0; draw < 50; ++draw) {
      const absl::Duration d = BackoffDelay(policy, retry, absl::ZeroDuration(), gen);
      EXPECT_GE(d, cap / 2) << retry;
      EXPECT_LE(d, cap) << retry;
    }
  }
}

TEST(BackoffTest, RetryAfterComesFirst) {
  std::mt19937_64 gen(7);
  const BackoffPolicy policy{absl::Seconds(1), absl::Seconds(30)};
  for (int draw = 0; draw < 50; ++draw) {
    const absl::Duration d = BackoffDelay(policy, 0, absl::Seconds(20), gen);
    EXPECT_GE(d, absl::Seconds(20));
    EXPECT_LE(d, absl::Seconds(22));
  }
}

TEST(BackoffTest, SpreadsABurst) {
  std::mt19937_64 gen(1);
  const BackoffPolicy policy{absl::Seconds(1), absl::Seconds(60)};
  absl::Duration lo = absl::InfiniteDuration(), hi = absl::ZeroDuration();
  for (int i = 0; i < 100; ++i) {
    const absl::Duration d = BackoffDelay(policy, 4, absl::ZeroDuration(), gen);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_GT(hi - lo, absl::Seconds(4));  // Not everyone retries at once.
}

}  // namespace
}  // namespace spillway
