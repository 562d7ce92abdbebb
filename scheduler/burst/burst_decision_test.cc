#include "scheduler/burst/burst_decision.h"

#include <algorithm>
#include <functional>
#include <ostream>
#include <random>
#include <string>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace {

using ::spillway::v1::BURST_MODE_ACI_ONLY;
using ::spillway::v1::BURST_MODE_ALLOWED;
using ::spillway::v1::BURST_MODE_VM_ONLY;
using ::spillway::v1::Policy;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// A burst-allowed job of 1 vCPU / 1 GB that has waited 30s, expects to wait 5 more minutes for the
// pool, with a 60s budget and a 25s ACI start: over budget, and ACI is sooner.
BurstInput OverBudget() {
  BurstInput in;
  in.request = {1000, 1024};
  in.mode = BURST_MODE_ALLOWED;
  in.waited = absl::Seconds(30);
  in.predicted_vm_wait = absl::Minutes(5);
  in.max_wait = absl::Seconds(60);
  in.aci_start_latency = absl::Seconds(25);
  in.expected_duration = absl::Hours(1);
  return in;
}

struct DecisionCase {
  std::string name;
  std::function<void(BurstInput&, AciUsage&, Policy&)> setup;
  bool want_burst;
  std::string want_pending_class;  // empty when bursting
  std::vector<std::string> want_in_message = {};
};

// Parameterised test output names the row instead of dumping bytes.
void PrintTo(const DecisionCase& c, std::ostream* os) { *os << c.name; }

class DecideBurstTest : public ::testing::TestWithParam<DecisionCase> {};

TEST_P(DecideBurstTest, Table) {
  BurstInput in = OverBudget();
  AciUsage usage;
  Policy policy = DefaultPolicy();
  GetParam().setup(in, usage, policy);
  const BurstDecision d = DecideBurst(in, usage, policy);
  EXPECT_EQ(d.burst, GetParam().want_burst) << d.message;
  EXPECT_EQ(d.pending_class, GetParam().want_pending_class) << d.message;
  EXPECT_THAT(d.message, Not(IsEmpty()));
  for (const std::string& part : GetParam().want_in_message) {
    EXPECT_THAT(d.message, HasSubstr(part));
  }
  if (!d.burst) {
    EXPECT_EQ(d.estimated_cost_micro_usd, 0);
  }
}

void NoChange(BurstInput&, AciUsage&, Policy&) {}

INSTANTIATE_TEST_SUITE_P(
    Table, DecideBurstTest,
    ::testing::Values(
        // --- Bursting ---
        DecisionCase{"OverBudgetBursts",
                     NoChange,
                     true,
                     "",
                     // 1 vCPU + 1 GB for an hour = $0.04495.
                     {"predicted VM wait", "est. cost"}},
        DecisionCase{"UnspecifiedModeIsAllowed",
                     [](BurstInput& in, AciUsage&, Policy&) {
                       in.mode = spillway::v1::BURST_MODE_UNSPECIFIED;
                     },
                     true, ""},
        DecisionCase{"WaitedPlusPredictedBreaksBudget",
                     [](BurstInput& in, AciUsage&, Policy&) {
                       // 50s waited + 40s predicted = 90s > 60s budget; 40s > 25s ACI start.
                       in.waited = absl::Seconds(50);
                       in.predicted_vm_wait = absl::Seconds(40);
                     },
                     true,
                     "",
                     {"predicted VM wait", "est. cost"}},
        DecisionCase{"NoVmNodeCanEverHoldIt",
                     [](BurstInput& in, AciUsage&, Policy&) {
                       in.predicted_vm_wait = absl::InfiniteDuration();
                     },
                     true,
                     "",
                     {"no VM node can hold it", "est. cost"}},
        DecisionCase{"AciOnlyBurstsWithoutWaiting",
                     [](BurstInput& in, AciUsage&, Policy&) {
                       in.mode = BURST_MODE_ACI_ONLY;
                       in.waited = absl::ZeroDuration();
                       in.predicted_vm_wait = absl::ZeroDuration();
                     },
                     true,
                     "",
                     {"est. cost"}},
        DecisionCase{"ExactlyAtEveryLimitStillBursts",
                     [](BurstInput&, AciUsage& u, Policy&) {
                       // After this burst: 100 groups, 100 cores, 100 creates in 5 min,
                       // 300 in the hour, $5.00/h -- all equal to the limits, none above.
                       u.groups = 99;
                       u.cpu_millis = 99000;
                       u.creates_last_5min = 99;
                       u.creates_last_hour = 299;
                       u.spend_rate_micro_usd_per_hour = 5000000 - 44950;
                     },
                     true, ""},
        DecisionCase{"LargestGroupExactlyAllowed",
                     [](BurstInput& in, AciUsage&, Policy&) {
                       in.request = {4000, 16384};
                     },
                     true, ""},
        // --- Staying: mode and policy ---
        DecisionCase{"VmOnlyNeverBursts",
                     [](BurstInput& in, AciUsage&, Policy&) { in.mode = BURST_MODE_VM_ONLY; },
                     false, kPendingVmOnly},
        DecisionCase{"VmOnlyNeverBurstsEvenWhenNoNodeFits",
                     [](BurstInput& in, AciUsage&, Policy&) {
                       in.mode = BURST_MODE_VM_ONLY;
                       in.predicted_vm_wait = absl::InfiniteDuration();
                     },
                     false, kPendingVmOnly},
        DecisionCase{"BurstDisabled",
                     [](BurstInput&, AciUsage&, Policy& p) { p.set_burst_enabled(false); }, false,
                     kPendingBurstDisabled},
        DecisionCase{"BurstDisabledAciOnly",
                     [](BurstInput& in, AciUsage&, Policy& p) {
                       in.mode = BURST_MODE_ACI_ONLY;
                       p.set_burst_enabled(false);
                     },
                     false, kPendingBurstDisabled},
        // --- Staying: the wait budget ---
        DecisionCase{"WithinBudgetStays",
                     [](BurstInput& in, AciUsage&, Policy&) {
                       in.waited = absl::Seconds(10);
                       in.predicted_vm_wait = absl::Seconds(40);  // 50s <= 60s
                     },
                     false,
                     kPendingWaitingForVm,
                     {"predicted VM wait"}},
        DecisionCase{"ExactlyAtBudgetStays",
                     [](BurstInput& in, AciUsage&, Policy&) {
                       in.waited = absl::Seconds(20);
                       in.predicted_vm_wait = absl::Seconds(40);  // 60s == 60s: not broken
                     },
                     false, kPendingWaitingForVm},
        DecisionCase{"VmSoonerThanAciStays",
                     [](BurstInput& in, AciUsage&, Policy&) {
                       // Budget broken (55s + 20s > 60s) but the pool frees up in 20s and ACI
                       // would take 25s: bursting does not help.
                       in.waited = absl::Seconds(55);
                       in.predicted_vm_wait = absl::Seconds(20);
                     },
                     false,
                     kPendingWaitingForVm,
                     {"ACI start"}},
        DecisionCase{"VmAsSoonAsAciStays",
                     [](BurstInput& in, AciUsage&, Policy&) {
                       in.waited = absl::Seconds(55);
                       in.predicted_vm_wait = absl::Seconds(25);  // not *longer* than ACI start
                     },
                     false, kPendingWaitingForVm},
        // --- ACI's last moment: 25s start, lead 31.25s ---
        DecisionCase{"LastMomentSlimMarginBursts",
                     [](BurstInput& in, AciUsage&, Policy&) {
                       // 30s left; the pool is predicted in 20s: within budget, but with 10s
                       // (under half) to spare. ACI, though later than the prediction, is sure.
                       in.waited = absl::Seconds(30);
                       in.predicted_vm_wait = absl::Seconds(20);
                     },
                     true, "", {"leaves under half", "last moment", "est. cost"}},
        DecisionCase{"LastMomentHalfMarginStays",
                     [](BurstInput& in, AciUsage&, Policy&) {
                       in.waited = absl::Seconds(30);
                       in.predicted_vm_wait = absl::Seconds(15);  // Exactly half of 30s left.
                     },
                     false, kPendingWaitingForVm, {"within budget"}},
        DecisionCase{"BeforeTheLastMomentSlimMarginStays",
                     [](BurstInput& in, AciUsage&, Policy&) {
                       // 32s left > the 31.25s lead: a later pass decides.
                       in.waited = absl::Seconds(28);
                       in.predicted_vm_wait = absl::Seconds(30);
                     },
                     false, kPendingWaitingForVm},
        DecisionCase{"PastAcisLastMomentStays",
                     [](BurstInput& in, AciUsage&, Policy&) {
                       // 20s left < ACI's 25s start: only the pool can still meet the budget.
                       in.waited = absl::Seconds(40);
                       in.predicted_vm_wait = absl::Seconds(15);
                     },
                     false, kPendingWaitingForVm},
        // --- Staying: ACI's limits, each alone ---
        DecisionCase{"GroupTooLargeCpu",
                     [](BurstInput& in, AciUsage&, Policy&) {
                       in.request = {4010, 1024};
                     },
                     false, kPendingGroupTooLarge},
        DecisionCase{"GroupTooLargeMemory",
                     [](BurstInput& in, AciUsage&, Policy&) {
                       in.request = {1000, 16487};
                     },
                     false, kPendingGroupTooLarge},
        DecisionCase{"MaxGroups", [](BurstInput&, AciUsage& u, Policy&) { u.groups = 100; }, false,
                     kPendingMaxGroups},
        DecisionCase{"MaxGroupsZero",
                     [](BurstInput&, AciUsage&, Policy& p) { p.set_aci_max_groups(0); }, false,
                     kPendingMaxGroups},
        DecisionCase{"MaxCores", [](BurstInput&, AciUsage& u, Policy&) { u.cpu_millis = 99010; },
                     false, kPendingMaxCores},
        DecisionCase{"MaxCoresPolicyLowered",
                     [](BurstInput& in, AciUsage& u, Policy& p) {
                       p.set_aci_max_cores(2);
                       u.cpu_millis = 1500;
                       in.request = {600, 1024};  // 2.1 cores > 2
                     },
                     false, kPendingMaxCores},
        DecisionCase{"CreateRateFiveMinutes",
                     [](BurstInput&, AciUsage& u, Policy&) { u.creates_last_5min = 100; }, false,
                     kPendingCreateRate},
        DecisionCase{"CreateRateHour",
                     [](BurstInput&, AciUsage& u, Policy&) {
                       u.creates_last_5min = 0;
                       u.creates_last_hour = 300;
                     },
                     false, kPendingCreateRate},
        DecisionCase{"SpendBudget",
                     [](BurstInput&, AciUsage& u, Policy&) {
                       u.spend_rate_micro_usd_per_hour = 5000000 - 44950 + 1;
                     },
                     false, kPendingSpendBudget},
        DecisionCase{
            "SpendBudgetZero",
            [](BurstInput&, AciUsage&, Policy& p) { p.set_spend_budget_micro_usd_per_hour(0); },
            false, kPendingSpendBudget},
        DecisionCase{"AciOnlyStillBoundByLimits",
                     [](BurstInput& in, AciUsage& u, Policy&) {
                       in.mode = BURST_MODE_ACI_ONLY;
                       u.groups = 100;
                     },
                     false, kPendingMaxGroups}),
    [](const ::testing::TestParamInfo<DecisionCase>& info) { return info.param.name; });

TEST(DecideBurstTest, BaselineStrategies) {
  Policy policy = DefaultPolicy();
  // A job that would wait 10 s with a 60 s budget: cost-aware keeps it queued.
  BurstInput in = OverBudget();
  in.waited = absl::Seconds(0);
  in.predicted_vm_wait = absl::Seconds(10);
  EXPECT_FALSE(DecideBurst(in, {}, policy).burst);

  policy.set_burst_strategy(spillway::v1::BURST_STRATEGY_WHEN_UNSCHEDULABLE);
  BurstDecision d = DecideBurst(in, {}, policy);
  EXPECT_TRUE(d.burst);
  EXPECT_THAT(d.message, HasSubstr("bursts when unschedulable"));

  policy.set_burst_strategy(spillway::v1::BURST_STRATEGY_AFTER_MAX_WAIT);
  d = DecideBurst(in, {}, policy);
  EXPECT_FALSE(d.burst);
  EXPECT_EQ(d.pending_class, kPendingWaitingForVm);
  in.waited = absl::Seconds(60);
  d = DecideBurst(in, {}, policy);
  EXPECT_TRUE(d.burst);
  EXPECT_THAT(d.message, HasSubstr("fixed-wait"));
  // Limits still apply to the baselines.
  AciUsage full;
  full.groups = policy.aci_max_groups();
  d = DecideBurst(in, full, policy);
  EXPECT_FALSE(d.burst);
  EXPECT_EQ(d.pending_class, kPendingMaxGroups);
}

TEST(DecideBurstTest, BurstEstimatesCostOfExpectedDuration) {
  // 1 vCPU + 1 GB for an hour at East US prices: 40500 + 4450 micro-USD.
  const BurstDecision d = DecideBurst(OverBudget(), AciUsage{}, DefaultPolicy());
  ASSERT_TRUE(d.burst) << d.message;
  EXPECT_EQ(d.estimated_cost_micro_usd, 44950);
  EXPECT_TRUE(d.pending_class.empty());

  BurstInput half = OverBudget();
  half.expected_duration = absl::Minutes(30);
  EXPECT_EQ(DecideBurst(half, AciUsage{}, DefaultPolicy()).estimated_cost_micro_usd, 22475);
}

TEST(DecideBurstTest, CostFollowsPolicyPrices) {
  Policy p = DefaultPolicy();
  p.set_aci_vcpu_hour_micro_usd(100000);
  p.set_aci_gb_hour_micro_usd(0);
  BurstInput in = OverBudget();
  in.request = {2000, 1024};
  in.expected_duration = absl::Minutes(90);
  // 2 vCPU * $0.10 * 1.5 h = $0.30.
  EXPECT_EQ(DecideBurst(in, AciUsage{}, p).estimated_cost_micro_usd, 300000);
}

TEST(DecideBurstTest, StepOrderFirstFailingLimitNamesTheClass) {
  // With every limit broken at once, the documented order decides: group size first.
  AciUsage all_broken;
  all_broken.groups = 100;
  all_broken.cpu_millis = 100000;
  all_broken.creates_last_5min = 100;
  all_broken.creates_last_hour = 300;
  all_broken.spend_rate_micro_usd_per_hour = 5000000;
  BurstInput in = OverBudget();
  in.request = {8000, 1024};
  EXPECT_EQ(DecideBurst(in, all_broken, DefaultPolicy()).pending_class, kPendingGroupTooLarge);
  in.request = {1000, 1024};
  EXPECT_EQ(DecideBurst(in, all_broken, DefaultPolicy()).pending_class, kPendingMaxGroups);
  all_broken.groups = 0;
  EXPECT_EQ(DecideBurst(in, all_broken, DefaultPolicy()).pending_class, kPendingMaxCores);
  all_broken.cpu_millis = 0;
  EXPECT_EQ(DecideBurst(in, all_broken, DefaultPolicy()).pending_class, kPendingCreateRate);
  all_broken.creates_last_5min = 0;
  all_broken.creates_last_hour = 0;
  EXPECT_EQ(DecideBurst(in, all_broken, DefaultPolicy()).pending_class, kPendingSpendBudget);
  all_broken.spend_rate_micro_usd_per_hour = 0;
  EXPECT_TRUE(DecideBurst(in, all_broken, DefaultPolicy()).burst);
}

TEST(DecideBurstTest, InfiniteWaitMessageHasNoBogusNumber) {
  BurstInput in = OverBudget();
  in.predicted_vm_wait = absl::InfiniteDuration();
  const BurstDecision d = DecideBurst(in, AciUsage{}, DefaultPolicy());
  ASSERT_TRUE(d.burst);
  // An infinite wait must not be printed as a huge or negative number of seconds.
  EXPECT_THAT(d.message, Not(HasSubstr("922337203685")));
  EXPECT_THAT(d.message, Not(HasSubstr("-9")));
  EXPECT_THAT(d.message, HasSubstr("est. cost"));
}

// ---------------------------------------------------------------------------------------------
// RoundToAciGranularity: cpu up to 10 millicores, memory up to 0.1 GB (102.4 MiB), both up.

struct RoundCase {
  std::string name;
  Resources in;
  Resources want;
};

// Parameterised test output names the row instead of dumping bytes.
void PrintTo(const RoundCase& c, std::ostream* os) { *os << c.name; }

class RoundToAciGranularityTest : public ::testing::TestWithParam<RoundCase> {};

TEST_P(RoundToAciGranularityTest, Table) {
  EXPECT_EQ(RoundToAciGranularity(GetParam().in), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Table, RoundToAciGranularityTest,
    ::testing::Values(RoundCase{"OneMillicoreToTen", {1, 1024}, {10, 1024}},
                      RoundCase{"ElevenMillicoresToTwenty", {11, 1024}, {20, 1024}},
                      RoundCase{"CpuMultipleUnchanged", {1230, 1024}, {1230, 1024}},
                      // 1 MiB -> 0.1 GB = 102.4 MiB, rounded up to whole MiB: 103.
                      RoundCase{"OneMibToTenthGb", {1000, 1}, {1000, 103}},
                      // 103 MiB is just over 0.1 GB (102.4 MiB) -> 0.2 GB = 204.8 -> 205 MiB.
                      RoundCase{"JustOverTenthGb", {1000, 103}, {1000, 205}},
                      // Exact multiples of 0.1 GB that are whole MiB: 0.5 GB = 512, 1 GB, 16 GB.
                      RoundCase{"HalfGbUnchanged", {1000, 512}, {1000, 512}},
                      RoundCase{"OneGbUnchanged", {1000, 1024}, {1000, 1024}},
                      RoundCase{"SixteenGbUnchanged", {4000, 16384}, {4000, 16384}},
                      // 1000 MiB = 0.977 GB -> 1.0 GB = 1024 MiB.
                      RoundCase{"ThousandMibToOneGb", {1000, 1000}, {1000, 1024}},
                      // 1025 MiB -> 1.1 GB = 1126.4 -> 1127 MiB.
                      RoundCase{"JustOverOneGb", {1000, 1025}, {1000, 1127}},
                      RoundCase{"ZeroStaysZero", {0, 0}, {0, 0}}),
    [](const ::testing::TestParamInfo<RoundCase>& info) { return info.param.name; });

// AciLimitsAllow is DecideBurst's limit checks on their own: for a job that is due to burst
// (ACI-only), DecideBurst bursts exactly when AciLimitsAllow says the limits allow it.
TEST(AciLimitsAllowTest, AgreesWithDecideBurstForAJobDueToBurst) {
  spillway::v1::Policy policy = DefaultPolicy();
  policy.set_aci_max_groups(10);
  policy.set_aci_max_cores(12);
  policy.set_aci_creates_per_5min(20);
  policy.set_aci_creates_per_hour(50);
  policy.set_spend_budget_micro_usd_per_hour(900000);
  std::mt19937 rng(7);  // Each limit binds alone in some draws, several together in others.
  auto near = [&](int64_t limit) {  // Mostly just under the limit, sometimes at or over it.
    return std::max<int64_t>(0, limit - std::uniform_int_distribution<int64_t>(-1, 4)(rng));
  };
  int allowed = 0, refused = 0;
  for (int i = 0; i < 4000; ++i) {
    AciUsage usage;
    usage.groups = static_cast<int>(near(policy.aci_max_groups() - 1));
    usage.cpu_millis =
        near(policy.aci_max_cores() * 1000 - std::uniform_int_distribution<int64_t>(0, 6000)(rng));
    usage.creates_last_5min = static_cast<int>(near(policy.aci_creates_per_5min() - 1));
    usage.creates_last_hour = static_cast<int>(near(policy.aci_creates_per_hour() - 1));
    usage.spend_rate_micro_usd_per_hour =
        std::uniform_int_distribution<int64_t>(0, policy.spend_budget_micro_usd_per_hour())(rng);
    if (i % 97 == 0) usage.circuit_open_reason = "open";
    BurstInput in;
    in.mode = spillway::v1::BURST_MODE_ACI_ONLY;
    in.request = RoundToAciGranularity({std::uniform_int_distribution<int64_t>(10, 4500)(rng),
                                        std::uniform_int_distribution<int64_t>(100, 20000)(rng)});
    in.predicted_vm_wait = absl::InfiniteDuration();
    in.aci_start_latency = absl::Seconds(20);
    in.expected_duration = absl::Minutes(5);
    const bool allows = AciLimitsAllow(in.request, usage, policy);
    EXPECT_EQ(DecideBurst(in, usage, policy, /*explain=*/false).burst, allows) << i;
    (allows ? allowed : refused) += 1;
  }
  // Both answers occur often enough for the comparison to mean something.
  EXPECT_GT(allowed, 200);
  EXPECT_GT(refused, 200);
}

TEST(RoundToAciGranularityTest, NeverRoundsDownAndStaysWithinOneStep) {
  for (int64_t cpu = 1; cpu <= 5000; cpu += 7) {
    const int64_t mem = cpu * 3 + 1;
    const Resources r = RoundToAciGranularity({cpu, mem});
    SCOPED_TRACE(cpu);
    EXPECT_GE(r.cpu_millis, cpu);
    EXPECT_LT(r.cpu_millis, cpu + 10);
    EXPECT_EQ(r.cpu_millis % 10, 0);
    EXPECT_GE(r.memory_mib, mem);
    // One step is 102.4 MiB; rounding the step up to whole MiB can add at most one more.
    EXPECT_LE(r.memory_mib, mem + 103);
    // The result is a whole number of 0.1 GB steps, up to the final MiB round-up:
    // ceil(k * 102.4) for some k.
    const int64_t k = (r.memory_mib * 10) / 1024;
    EXPECT_EQ(r.memory_mib, (k * 1024 + 9) / 10) << "memory " << mem << " -> " << r.memory_mib;
  }
}

}  // namespace
}  // namespace spillway
