#include "sim/synthetic.h"

#include "gtest/gtest.h"

namespace spillway {
namespace sim {
namespace {

SyntheticOptions Small() {
  SyntheticOptions o;
  o.length = absl::Hours(2);
  o.pool_cpu_millis = 16000;
  return o;
}

TEST(SyntheticTest, SameSeedSameTraceOtherSeedOtherTrace) {
  const std::string a = WriteTraceCsv(GenerateSynthetic(7, Small()));
  EXPECT_EQ(a, WriteTraceCsv(GenerateSynthetic(7, Small())));
  EXPECT_NE(a, WriteTraceCsv(GenerateSynthetic(8, Small())));
}

TEST(SyntheticTest, JobsAreOrderedBoundedAndScaledToThePool) {
  const SyntheticOptions o = Small();
  const Trace t = GenerateSynthetic(1, o);
  ASSERT_GT(t.size(), 50u);
  double cpu_seconds = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (i > 0) {
      EXPECT_LE(t[i - 1].submit, t[i].submit);
    }
    EXPECT_LT(t[i].submit, o.length);
    EXPECT_GE(t[i].duration, o.min_duration - absl::Milliseconds(1));
    EXPECT_LE(t[i].duration, o.max_duration + absl::Milliseconds(1));
    EXPECT_GE(t[i].cpu_millis, 250);
    EXPECT_LE(t[i].cpu_millis, 4000);
    cpu_seconds += static_cast<double>(t[i].cpu_millis) * absl::ToDoubleSeconds(t[i].duration);
  }
  // Mean demand over the window is of the order of target_utilization (the first two hours are
  // the daily trough, and heavy tails are noisy): between a tenth and twice the pool.
  const double mean = cpu_seconds / absl::ToDoubleSeconds(o.length) / o.pool_cpu_millis;
  EXPECT_GT(mean, 0.1);
  EXPECT_LT(mean, 2.0);
}

}  // namespace
}  // namespace sim
}  // namespace spillway
