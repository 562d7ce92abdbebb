#include "scheduler/feedback/feedback.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace {

using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1767225600);

TEST(SampleWindowTest, NearestRankQuantilesOverTheLastN) {
  SampleWindow w(4);
  EXPECT_EQ(w.Quantile(500), absl::ZeroDuration());
  for (int s : {10, 20, 30, 40, 50}) w.Add(absl::Seconds(s));  // 10 falls out.
  EXPECT_EQ(w.size(), 4u);
  EXPECT_EQ(w.Quantile(0), absl::Seconds(20));
  EXPECT_EQ(w.Quantile(500), absl::Seconds(30));  // rank ceil(0.5*4)=2
  EXPECT_EQ(w.Quantile(900), absl::Seconds(50));  // rank ceil(3.6)=4
  EXPECT_EQ(w.Quantile(1000), absl::Seconds(50));
}

TEST(FeedbackTest, AciStartLatencyReplacesThePolicyAfterEnoughSamples) {
  const spillway::v1::Policy policy = DefaultPolicy();  // 25 s, 5 samples.
  Feedback f;
  for (int i = 0; i < 4; ++i) f.ObserveAciStart(absl::Seconds(60 + i));
  EXPECT_EQ(f.AciStartLatency(policy), absl::Seconds(25));
  f.ObserveAciStart(absl::Seconds(90));
  EXPECT_EQ(f.AciStartLatency(policy), absl::Seconds(90));  // p90 of 60,61,62,63,90
}

TEST(FeedbackTest, RunTimePerClassReplacesTheDefaultButNotAHint) {
  const spillway::v1::Policy policy = DefaultPolicy();  // default 10 min.
  spillway::v1::JobSpec spec;
  spec.set_image("render:1");
  Feedback f;
  for (int i = 0; i < 5; ++i) f.ObserveRunTime(spec, absl::Minutes(2));
  EXPECT_EQ(f.ExpectedDuration(spec, policy), absl::Minutes(2));
  spillway::v1::JobSpec other = spec;
  (*other.mutable_labels())["spillway.io/class"] = "nightly";
  EXPECT_EQ(f.ExpectedDuration(other, policy), absl::Minutes(10));
  *spec.mutable_expected_duration() = ToProtoDuration(absl::Seconds(30));
  EXPECT_EQ(f.ExpectedDuration(spec, policy), absl::Seconds(30));
}

// The run-time version moves exactly when ExpectedDuration could answer differently: whenever the
// sample count or a class's median changes, never otherwise (callers cache by it).
TEST(FeedbackTest, RunTimeVersionMovesWhenTheExpectationCanChange) {
  const spillway::v1::Policy policy = DefaultPolicy();
  spillway::v1::JobSpec spec;
  spec.set_image("render:1");
  Feedback f;
  int64_t version = f.run_time_version();
  absl::Duration expected = f.ExpectedDuration(spec, policy);
  int unchanged = 0;
  for (int i = 0; i < 400; ++i) {
    // A window of 50 that fills, then keeps sliding over a few repeated values.
    f.ObserveRunTime(spec, absl::Seconds(60 + 10 * ((i * 7) % 5)));
    const absl::Duration now_expected = f.ExpectedDuration(spec, policy);
    if (f.run_time_version() == version) {
      EXPECT_EQ(now_expected, expected) << i;  // Same version: same answer, always.
      ++unchanged;
    }
    version = f.run_time_version();
    expected = now_expected;
  }
  EXPECT_GT(unchanged, 100);  // And most samples of a steady class change nothing.
}

TEST(FeedbackTest, ReleaseRateCountsTheLastTenMinutes) {
  Feedback f;
  f.ObserveVmRelease(kT0, 6000);
  f.ObserveVmRelease(kT0 + absl::Minutes(5), 4000);
  EXPECT_EQ(f.VmReleaseMillicoresPerMinute(kT0 + absl::Minutes(5)), 1000);
  EXPECT_EQ(f.VmReleaseMillicoresPerMinute(kT0 + absl::Minutes(11)), 400);
}

TEST(FeedbackTest, CircuitOpensOnFailuresAndClosesAfterCooldown) {
  const spillway::v1::Policy policy = DefaultPolicy();  // 50% of >= 5 in 10m, 5m open.
  Feedback f;
  absl::Time t = kT0;
  f.ObserveAciCreateOutcome(t, false, "", policy);
  f.ObserveAciCreateOutcome(t, false, "", policy);
  f.ObserveAciCreateOutcome(t, true, "InsufficientCapacity: east us", policy);
  f.ObserveAciCreateOutcome(t, true, "InsufficientCapacity: east us", policy);
  EXPECT_FALSE(f.CircuitOpen(t));                                               // Only 4 ended.
  f.ObserveAciCreateOutcome(t, true, "InsufficientCapacity: east us", policy);  // 3 of 5 = 60%.
  EXPECT_TRUE(f.CircuitOpen(t));
  EXPECT_THAT(f.CircuitReason(t), HasSubstr("60% of the last 5 ACI creates failed"));
  EXPECT_THAT(f.CircuitReason(t), HasSubstr("InsufficientCapacity"));
  EXPECT_TRUE(f.CircuitOpen(t + absl::Minutes(5) - absl::Seconds(1)));
  EXPECT_FALSE(f.CircuitOpen(t + absl::Minutes(5)));
  EXPECT_EQ(f.CircuitReason(t + absl::Minutes(5)), "");
  spillway::v1::Beliefs beliefs;
  f.Describe(t, policy, &beliefs);
  EXPECT_TRUE(beliefs.aci_circuit_open());
  EXPECT_EQ(beliefs.aci_failure_percent(), 60);
}

TEST(FeedbackTest, AQuotaErrorOpensTheCircuitAtOnce) {
  const spillway::v1::Policy policy = DefaultPolicy();
  Feedback f;
  f.ObserveAciCreateOutcome(kT0, true, "ContainerGroupQuotaReached: 100 of 100 groups", policy);
  EXPECT_TRUE(f.CircuitOpen(kT0));
  EXPECT_THAT(f.CircuitReason(kT0), HasSubstr("ACI quota reached"));
}

}  // namespace
}  // namespace spillway
