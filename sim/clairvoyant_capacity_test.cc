#include "sim/clairvoyant_capacity.h"

#include "gtest/gtest.h"
#include "scheduler/model/money.h"
#include "scheduler/model/policy.h"
#include "sim/roomy_policy.h"

namespace spillway {
namespace sim {
namespace {

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;

TEST(CapacityTimelineTest, EarliestFitSkipsPastTheBlockingStep) {
  CapacityTimeline t(Load{1000, 4096, 0});
  t.Take(10, 50, Load{600, 100, 0});
  EXPECT_EQ(t.EarliestFit(0, 100, 5, Load{500, 100, 0}), 0);
  EXPECT_EQ(t.EarliestFit(0, 100, 20, Load{500, 100, 0}), 50);
  EXPECT_EQ(t.EarliestFit(0, 49, 20, Load{500, 100, 0}), -1);
  EXPECT_EQ(t.EarliestFit(0, 100, 20, Load{400, 100, 0}), 0);
  t.Give(10, 50, Load{600, 100, 0});
  EXPECT_EQ(t.EarliestFit(0, 100, 20, Load{1000, 4096, 0}), 0);
  EXPECT_TRUE(t.ChangesIn(INT64_MIN, INT64_MAX).empty());  // Give undid Take exactly.
}

const Resources kOneCpu{1000, 1024};

TEST(AciLimitLedgerTest, GroupLimitHoldsUntilAGroupEnds) {
  spillway::v1::Policy p = RoomyPolicy();
  p.set_aci_max_groups(2);
  AciLimitLedger l(p);
  l.Add(0, 100 * kSecond, kOneCpu);
  l.Add(10 * kSecond, 30 * kSecond, kOneCpu);
  EXPECT_EQ(l.EarliestCreate(20 * kSecond, kMinute, kSecond, kOneCpu), 40 * kSecond);
  EXPECT_EQ(l.EarliestCreate(20 * kSecond, 39 * kSecond, kSecond, kOneCpu), -1);
  // A group created earlier must not push a later create over the limit either.
  EXPECT_EQ(l.EarliestCreate(0, kMinute, 200 * kSecond, kOneCpu), 40 * kSecond);
}

TEST(AciLimitLedgerTest, CoresAndSpendRateAreLimitsOnLiveGroups) {
  spillway::v1::Policy p = RoomyPolicy();
  p.set_aci_max_cores(3);
  AciLimitLedger cores(p);
  cores.Add(0, kMinute, Resources{2000, 1024});
  EXPECT_EQ(cores.EarliestCreate(0, 2 * kMinute, kSecond, kOneCpu), 0);
  EXPECT_EQ(cores.EarliestCreate(0, 2 * kMinute, kSecond, Resources{2000, 1024}), kMinute);

  p = RoomyPolicy();
  const int64_t rate = AciHourlyRateMicroUsd(kOneCpu, PricesOf(p));
  p.set_spend_budget_micro_usd_per_hour(2 * rate - 1);
  AciLimitLedger spend(p);
  spend.Add(0, kMinute, kOneCpu);
  EXPECT_EQ(spend.EarliestCreate(0, 2 * kMinute, kSecond, kOneCpu), kMinute);
}

TEST(AciLimitLedgerTest, CreateQuotasSlideOverFiveMinutesAndAnHour) {
  spillway::v1::Policy p = RoomyPolicy();
  p.set_aci_creates_per_5min(2);
  AciLimitLedger l(p);
  l.Add(0, kSecond, kOneCpu);
  l.Add(kMinute, kSecond, kOneCpu);
  // (t - 5 min, t] holds both until t = 5 min, when the first leaves.
  EXPECT_EQ(l.EarliestCreate(2 * kMinute, 10 * kMinute, kSecond, kOneCpu), 5 * kMinute);
  // Before both, a create must stay out of the window ending at the second: (-4 min, 1 min].
  EXPECT_EQ(l.EarliestCreate(-4 * kMinute, -kSecond, kSecond, kOneCpu), -4 * kMinute);
  EXPECT_EQ(l.EarliestCreate(-4 * kMinute + 1, -kSecond, kSecond, kOneCpu), -1);

  p = RoomyPolicy();
  p.set_aci_creates_per_hour(1);
  AciLimitLedger hour(p);
  hour.Add(0, kSecond, kOneCpu);
  EXPECT_EQ(hour.EarliestCreate(kSecond, 2 * 60 * kMinute, kSecond, kOneCpu), 60 * kMinute);
}

TEST(AciLimitLedgerTest, PerGroupSizeAndPeakCreatesPerMinute) {
  AciLimitLedger l(DefaultPolicy());
  EXPECT_FALSE(l.SizeAllowed(Resources{4010, 1024}));
  EXPECT_EQ(l.EarliestCreate(0, kMinute, kSecond, Resources{4010, 1024}), -1);
  l.Add(0, kSecond, kOneCpu);
  l.Add(30 * kSecond, kSecond, kOneCpu);
  l.Add(59 * kSecond, kSecond, kOneCpu);
  l.Add(90 * kSecond, kSecond, kOneCpu);
  EXPECT_EQ(l.PeakCreatesPerMinute(), 3);
  l.Remove(30 * kSecond, kSecond, kOneCpu);
  EXPECT_EQ(l.PeakCreatesPerMinute(), 2);
}

}  // namespace
}  // namespace sim
}  // namespace spillway
