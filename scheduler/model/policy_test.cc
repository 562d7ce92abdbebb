#include "scheduler/model/policy.h"

#include <cctype>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace spillway {
namespace {

using ::spillway::v1::JobSpec;
using ::spillway::v1::Policy;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

google::protobuf::Duration Proto(absl::Duration d) { return ToProtoDuration(d); }

void SetDur(google::protobuf::Duration* field, absl::Duration d) { *field = Proto(d); }

// True when `message` starts with `field` followed by a separator, so "default_max_wait" does not
// match a message about "default_max_wait_extra".
bool StartsWithField(const std::string& message, const std::string& field) {
  if (!absl::StartsWith(message, field) || message.size() == field.size()) return false;
  const char next = message[field.size()];
  return !std::isalnum(static_cast<unsigned char>(next)) && next != '_';
}

// ---------------------------------------------------------------------------------------------
// DefaultPolicy: the values documented in policy.h.

TEST(DefaultPolicyTest, Validates) { EXPECT_TRUE(ValidatePolicy(DefaultPolicy()).ok()); }

TEST(DefaultPolicyTest, HasDocumentedValues) {
  const Policy p = DefaultPolicy();
  EXPECT_EQ(p.placement_strategy(), spillway::v1::PLACEMENT_STRATEGY_BIN_PACK);
  EXPECT_EQ(p.affinity_weight(), 50);
  EXPECT_TRUE(p.burst_enabled());
  EXPECT_EQ(ToAbslDuration(p.default_max_wait()), absl::Seconds(60));
  ASSERT_THAT(p.priority_max_wait(), SizeIs(1));
  EXPECT_EQ(p.priority_max_wait(0).min_priority(), 500);
  EXPECT_EQ(ToAbslDuration(p.priority_max_wait(0).max_wait()), absl::Seconds(15));
  EXPECT_EQ(ToAbslDuration(p.default_expected_duration()), absl::Minutes(10));
  EXPECT_EQ(ToAbslDuration(p.aci_start_latency()), absl::Seconds(25));
  EXPECT_EQ(p.aci_priority(), spillway::v1::ACI_PRIORITY_REGULAR);
  EXPECT_EQ(p.aci_max_cores(), 100);
  EXPECT_EQ(p.aci_max_groups(), 100);
  EXPECT_EQ(p.aci_max_group_cpu_millis(), 4000);      // 4 vCPU
  EXPECT_EQ(p.aci_max_group_memory_mib(), 16 * 1024);  // 16 GiB
  EXPECT_EQ(p.aci_creates_per_5min(), 100);
  EXPECT_EQ(p.aci_creates_per_hour(), 300);
  EXPECT_EQ(p.aci_deletes_per_5min(), 100);
  EXPECT_EQ(p.aci_deletes_per_hour(), 300);
  EXPECT_EQ(p.spend_budget_micro_usd_per_hour(), 5 * 1000000);  // $5/hour
  EXPECT_EQ(p.aci_vcpu_hour_micro_usd(), 40500);                // $0.0405
  EXPECT_EQ(p.aci_gb_hour_micro_usd(), 4450);                   // $0.00445
  EXPECT_EQ(p.vm_node_hour_micro_usd(), 96000);                 // $0.096
  EXPECT_EQ(ToAbslDuration(p.drain_stable_window()), absl::Minutes(2));
  EXPECT_EQ(p.drain_moves_per_minute(), 6);
  EXPECT_EQ(ToAbslDuration(p.burst_cooldown()), absl::Minutes(1));
  EXPECT_EQ(ToAbslDuration(p.retry_backoff_initial()), absl::Seconds(10));
  EXPECT_EQ(ToAbslDuration(p.retry_backoff_max()), absl::Minutes(5));
  EXPECT_EQ(p.default_max_restarts(), 3);
  EXPECT_EQ(ToAbslDuration(p.deadline_order_window()), absl::Hours(1));
}

TEST(DefaultPolicyTest, PricesOfReturnsPolicyPrices) {
  const AciPrices prices = PricesOf(DefaultPolicy());
  EXPECT_EQ(prices.vcpu_hour_micro_usd, 40500);
  EXPECT_EQ(prices.gb_hour_micro_usd, 4450);
}

TEST(DurationConversionTest, RoundTrips) {
  for (absl::Duration d : {absl::ZeroDuration(), absl::Seconds(1), absl::Milliseconds(1500),
                           absl::Nanoseconds(1), absl::Hours(24 * 7) + absl::Nanoseconds(7)}) {
    SCOPED_TRACE(absl::FormatDuration(d));
    EXPECT_EQ(ToAbslDuration(ToProtoDuration(d)), d);
  }
  const google::protobuf::Duration p = ToProtoDuration(absl::Milliseconds(1500));
  EXPECT_EQ(p.seconds(), 1);
  EXPECT_EQ(p.nanos(), 500000000);
}

// ---------------------------------------------------------------------------------------------
// FillPolicyDefaults

TEST(FillPolicyDefaultsTest, EmptyPolicyGetsEveryDefaultExceptBooleansAndVersion) {
  Policy p;
  FillPolicyDefaults(p);

  Policy want = DefaultPolicy();
  want.set_version(0);             // version is never filled.
  want.set_burst_enabled(false);   // booleans are never filled: false is a choice.
  // priority_max_wait is a list; compare it separately (an empty list is a valid choice).
  want.clear_priority_max_wait();
  Policy got = p;
  got.clear_priority_max_wait();

  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(want, got)) << diff;
  EXPECT_EQ(p.version(), 0);
  EXPECT_FALSE(p.burst_enabled());
}

TEST(FillPolicyDefaultsTest, KeepsSetFields) {
  Policy p;
  p.set_version(7);
  p.set_placement_strategy(spillway::v1::PLACEMENT_STRATEGY_SPREAD);
  p.set_affinity_weight(7);
  p.set_aci_priority(spillway::v1::ACI_PRIORITY_SPOT);
  p.set_aci_max_groups(3);
  p.set_spend_budget_micro_usd_per_hour(123);
  SetDur(p.mutable_default_max_wait(), absl::Seconds(5));
  SetDur(p.mutable_aci_start_latency(), absl::Milliseconds(1500));
  auto* pw = p.add_priority_max_wait();
  pw->set_min_priority(900);
  SetDur(pw->mutable_max_wait(), absl::Seconds(1));

  FillPolicyDefaults(p);

  EXPECT_EQ(p.version(), 7);
  EXPECT_EQ(p.placement_strategy(), spillway::v1::PLACEMENT_STRATEGY_SPREAD);
  EXPECT_EQ(p.affinity_weight(), 7);
  EXPECT_EQ(p.aci_priority(), spillway::v1::ACI_PRIORITY_SPOT);
  EXPECT_EQ(p.aci_max_groups(), 3);
  EXPECT_EQ(p.spend_budget_micro_usd_per_hour(), 123);
  EXPECT_EQ(ToAbslDuration(p.default_max_wait()), absl::Seconds(5));
  EXPECT_EQ(ToAbslDuration(p.aci_start_latency()), absl::Milliseconds(1500));
  ASSERT_THAT(p.priority_max_wait(), SizeIs(1));
  EXPECT_EQ(p.priority_max_wait(0).min_priority(), 900);
  // Unset neighbours were filled.
  EXPECT_EQ(p.aci_max_cores(), 100);
  EXPECT_EQ(ToAbslDuration(p.default_expected_duration()), absl::Minutes(10));
}

TEST(FillPolicyDefaultsTest, ZeroDurationCountsAsUnset) {
  Policy p;
  SetDur(p.mutable_drain_stable_window(), absl::ZeroDuration());  // present but zero
  FillPolicyDefaults(p);
  EXPECT_EQ(ToAbslDuration(p.drain_stable_window()), absl::Minutes(2));
}

TEST(FillPolicyDefaultsTest, FilledPolicyValidates) {
  Policy p;
  p.set_burst_enabled(true);
  FillPolicyDefaults(p);
  EXPECT_TRUE(ValidatePolicy(p).ok()) << ValidatePolicy(p);
}

// ---------------------------------------------------------------------------------------------
// ValidatePolicy: one row per field range violation.

struct InvalidPolicyCase {
  std::string name;
  std::string field;  // The message must start with this field name.
  std::function<void(Policy&)> mutate;
};

// Parameterised test output names the row instead of dumping bytes.
void PrintTo(const InvalidPolicyCase& c, std::ostream* os) { *os << c.name; }

class ValidatePolicyRejectsTest : public ::testing::TestWithParam<InvalidPolicyCase> {};

TEST_P(ValidatePolicyRejectsTest, InvalidArgumentNamingTheField) {
  Policy p = DefaultPolicy();
  GetParam().mutate(p);
  const absl::Status s = ValidatePolicy(p);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(StartsWithField(std::string(s.message()), GetParam().field))
      << "message: " << s.message() << "\nwant field: " << GetParam().field;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ValidatePolicyRejectsTest,
    ::testing::Values(
        InvalidPolicyCase{"PlacementStrategyUnknown", "placement_strategy",
                          [](Policy& p) {
                            p.set_placement_strategy(
                                static_cast<spillway::v1::PlacementStrategy>(99));
                          }},
        InvalidPolicyCase{"AciPriorityUnknown", "aci_priority",
                          [](Policy& p) {
                            p.set_aci_priority(static_cast<spillway::v1::AciPriority>(99));
                          }},
        InvalidPolicyCase{"AffinityWeightNegative", "affinity_weight",
                          [](Policy& p) { p.set_affinity_weight(-1); }},
        InvalidPolicyCase{"AffinityWeightAbove100", "affinity_weight",
                          [](Policy& p) { p.set_affinity_weight(101); }},
        InvalidPolicyCase{"DefaultMaxWaitNegative", "default_max_wait",
                          [](Policy& p) {
                            SetDur(p.mutable_default_max_wait(), absl::Seconds(-1));
                          }},
        InvalidPolicyCase{"DefaultMaxWaitNegativeNanos", "default_max_wait",
                          [](Policy& p) {
                            p.mutable_default_max_wait()->set_seconds(0);
                            p.mutable_default_max_wait()->set_nanos(-5);
                          }},
        InvalidPolicyCase{"DefaultMaxWaitAYear", "default_max_wait",
                          [](Policy& p) {
                            SetDur(p.mutable_default_max_wait(), absl::Hours(24 * 365));
                          }},
        InvalidPolicyCase{"PriorityMinPriorityNegative", "priority_max_wait[0].min_priority",
                          [](Policy& p) { p.mutable_priority_max_wait(0)->set_min_priority(-1); }},
        InvalidPolicyCase{"PriorityMinPriorityAbove1000", "priority_max_wait[1].min_priority",
                          [](Policy& p) {
                            auto* pw = p.add_priority_max_wait();
                            pw->set_min_priority(1001);
                            SetDur(pw->mutable_max_wait(), absl::Seconds(1));
                          }},
        InvalidPolicyCase{"PriorityMaxWaitNegative", "priority_max_wait[0].max_wait",
                          [](Policy& p) {
                            SetDur(p.mutable_priority_max_wait(0)->mutable_max_wait(),
                                   absl::Seconds(-3));
                          }},
        InvalidPolicyCase{"DefaultExpectedDurationNegative", "default_expected_duration",
                          [](Policy& p) {
                            SetDur(p.mutable_default_expected_duration(), absl::Seconds(-1));
                          }},
        InvalidPolicyCase{"DefaultExpectedDurationZero", "default_expected_duration",
                          [](Policy& p) { p.clear_default_expected_duration(); }},
        InvalidPolicyCase{"AciStartLatencyNegative", "aci_start_latency",
                          [](Policy& p) {
                            SetDur(p.mutable_aci_start_latency(), absl::Seconds(-1));
                          }},
        InvalidPolicyCase{"AciStartLatencyADay", "aci_start_latency",
                          [](Policy& p) {
                            SetDur(p.mutable_aci_start_latency(), absl::Hours(24));
                          }},
        InvalidPolicyCase{"AciMaxCoresNegative", "aci_max_cores",
                          [](Policy& p) { p.set_aci_max_cores(-1); }},
        InvalidPolicyCase{"AciMaxGroupsNegative", "aci_max_groups",
                          [](Policy& p) { p.set_aci_max_groups(-1); }},
        InvalidPolicyCase{"AciMaxGroupCpuZero", "aci_max_group_cpu_millis",
                          [](Policy& p) { p.set_aci_max_group_cpu_millis(0); }},
        InvalidPolicyCase{"AciMaxGroupCpuAbove31Vcpu", "aci_max_group_cpu_millis",
                          [](Policy& p) { p.set_aci_max_group_cpu_millis(32000); }},
        InvalidPolicyCase{"AciMaxGroupMemoryZero", "aci_max_group_memory_mib",
                          [](Policy& p) { p.set_aci_max_group_memory_mib(0); }},
        InvalidPolicyCase{"AciMaxGroupMemoryAbove240Gb", "aci_max_group_memory_mib",
                          [](Policy& p) { p.set_aci_max_group_memory_mib(240 * 1024 + 1); }},
        InvalidPolicyCase{"AciCreatesPer5minNegative", "aci_creates_per_5min",
                          [](Policy& p) { p.set_aci_creates_per_5min(-1); }},
        InvalidPolicyCase{"AciCreatesPerHourNegative", "aci_creates_per_hour",
                          [](Policy& p) { p.set_aci_creates_per_hour(-1); }},
        InvalidPolicyCase{"AciDeletesPer5minNegative", "aci_deletes_per_5min",
                          [](Policy& p) { p.set_aci_deletes_per_5min(-1); }},
        InvalidPolicyCase{"AciDeletesPerHourNegative", "aci_deletes_per_hour",
                          [](Policy& p) { p.set_aci_deletes_per_hour(-1); }},
        InvalidPolicyCase{"SpendBudgetNegative", "spend_budget_micro_usd_per_hour",
                          [](Policy& p) { p.set_spend_budget_micro_usd_per_hour(-1); }},
        InvalidPolicyCase{"VcpuPriceNegative", "aci_vcpu_hour_micro_usd",
                          [](Policy& p) { p.set_aci_vcpu_hour_micro_usd(-1); }},
        InvalidPolicyCase{"GbPriceNegative", "aci_gb_hour_micro_usd",
                          [](Policy& p) { p.set_aci_gb_hour_micro_usd(-1); }},
        InvalidPolicyCase{"VmNodePriceNegative", "vm_node_hour_micro_usd",
                          [](Policy& p) { p.set_vm_node_hour_micro_usd(-1); }},
        InvalidPolicyCase{"DrainStableWindowNegative", "drain_stable_window",
                          [](Policy& p) {
                            SetDur(p.mutable_drain_stable_window(), absl::Seconds(-1));
                          }},
        InvalidPolicyCase{"DrainMovesNegative", "drain_moves_per_minute",
                          [](Policy& p) { p.set_drain_moves_per_minute(-1); }},
        InvalidPolicyCase{"BurstCooldownNegative", "burst_cooldown",
                          [](Policy& p) { SetDur(p.mutable_burst_cooldown(), absl::Seconds(-1)); }},
        InvalidPolicyCase{"RetryBackoffInitialNegative", "retry_backoff_initial",
                          [](Policy& p) {
                            SetDur(p.mutable_retry_backoff_initial(), absl::Seconds(-1));
                          }},
        InvalidPolicyCase{"RetryBackoffMaxNegative", "retry_backoff_max",
                          [](Policy& p) {
                            SetDur(p.mutable_retry_backoff_max(), absl::Seconds(-1));
                          }},
        InvalidPolicyCase{"RetryBackoffMaxBelowInitial", "retry_backoff_max",
                          [](Policy& p) {
                            SetDur(p.mutable_retry_backoff_initial(), absl::Minutes(1));
                            SetDur(p.mutable_retry_backoff_max(), absl::Seconds(30));
                          }},
        InvalidPolicyCase{"DefaultMaxRestartsNegative", "default_max_restarts",
                          [](Policy& p) { p.set_default_max_restarts(-1); }}),
    [](const ::testing::TestParamInfo<InvalidPolicyCase>& info) { return info.param.name; });

struct ValidPolicyCase {
  std::string name;
  std::function<void(Policy&)> mutate;
};

// Parameterised test output names the row instead of dumping bytes.
void PrintTo(const ValidPolicyCase& c, std::ostream* os) { *os << c.name; }

class ValidatePolicyAcceptsTest : public ::testing::TestWithParam<ValidPolicyCase> {};

TEST_P(ValidatePolicyAcceptsTest, Ok) {
  Policy p = DefaultPolicy();
  GetParam().mutate(p);
  EXPECT_TRUE(ValidatePolicy(p).ok()) << ValidatePolicy(p);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ValidatePolicyAcceptsTest,
    ::testing::Values(
        ValidPolicyCase{"AffinityWeightZero", [](Policy& p) { p.set_affinity_weight(0); }},
        ValidPolicyCase{"AffinityWeight100", [](Policy& p) { p.set_affinity_weight(100); }},
        ValidPolicyCase{"NoPriorityTiers", [](Policy& p) { p.clear_priority_max_wait(); }},
        ValidPolicyCase{"ZeroMaxWait",
                        [](Policy& p) { SetDur(p.mutable_default_max_wait(), absl::ZeroDuration()); }},
        ValidPolicyCase{"ZeroAciStartLatency",
                        [](Policy& p) {
                          SetDur(p.mutable_aci_start_latency(), absl::ZeroDuration());
                        }},
        ValidPolicyCase{"SpreadAndSpot",
                        [](Policy& p) {
                          p.set_placement_strategy(spillway::v1::PLACEMENT_STRATEGY_SPREAD);
                          p.set_aci_priority(spillway::v1::ACI_PRIORITY_SPOT);
                        }},
        ValidPolicyCase{"BurstDisabled", [](Policy& p) { p.set_burst_enabled(false); }},
        ValidPolicyCase{"ZeroSpendBudget",
                        [](Policy& p) { p.set_spend_budget_micro_usd_per_hour(0); }},
        ValidPolicyCase{"BackoffMaxEqualsInitial",
                        [](Policy& p) {
                          SetDur(p.mutable_retry_backoff_initial(), absl::Minutes(1));
                          SetDur(p.mutable_retry_backoff_max(), absl::Minutes(1));
                        }},
        ValidPolicyCase{"LargestRegionalGroup",
                        [](Policy& p) {
                          p.set_aci_max_group_cpu_millis(31000);
                          p.set_aci_max_group_memory_mib(240 * 1024);
                        }}),
    [](const ::testing::TestParamInfo<ValidPolicyCase>& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// DiffPolicies

TEST(DiffPoliciesTest, IdenticalPoliciesHaveNoDiff) {
  EXPECT_THAT(DiffPolicies(DefaultPolicy(), DefaultPolicy()), IsEmpty());
}

TEST(DiffPoliciesTest, VersionIsExcluded) {
  Policy after = DefaultPolicy();
  after.set_version(42);
  EXPECT_THAT(DiffPolicies(DefaultPolicy(), after), IsEmpty());
}

TEST(DiffPoliciesTest, DurationLine) {
  Policy after = DefaultPolicy();
  SetDur(after.mutable_default_max_wait(), absl::Minutes(2));
  EXPECT_THAT(DiffPolicies(DefaultPolicy(), after),
              ElementsAre("default_max_wait: 1m -> 2m"));
}

TEST(DiffPoliciesTest, EnumsByName) {
  Policy after = DefaultPolicy();
  after.set_placement_strategy(spillway::v1::PLACEMENT_STRATEGY_SPREAD);
  EXPECT_THAT(DiffPolicies(DefaultPolicy(), after),
              ElementsAre("placement_strategy: PLACEMENT_STRATEGY_BIN_PACK -> "
                          "PLACEMENT_STRATEGY_SPREAD"));
}

TEST(DiffPoliciesTest, IntegersAndBooleans) {
  Policy after = DefaultPolicy();
  after.set_affinity_weight(70);
  after.set_burst_enabled(false);
  after.set_spend_budget_micro_usd_per_hour(2500000);
  EXPECT_THAT(DiffPolicies(DefaultPolicy(), after),
              UnorderedElementsAre("affinity_weight: 50 -> 70", "burst_enabled: true -> false",
                                   "spend_budget_micro_usd_per_hour: 5000000 -> 2500000"));
}

TEST(DiffPoliciesTest, OneLinePerChangedFieldOnly) {
  Policy after = DefaultPolicy();
  after.set_aci_priority(spillway::v1::ACI_PRIORITY_SPOT);
  SetDur(after.mutable_burst_cooldown(), absl::Seconds(90));
  after.set_version(99);
  EXPECT_THAT(DiffPolicies(DefaultPolicy(), after),
              UnorderedElementsAre("aci_priority: ACI_PRIORITY_REGULAR -> ACI_PRIORITY_SPOT",
                                   "burst_cooldown: 1m -> 1m30s"));
}

TEST(DiffPoliciesTest, PriorityTableChangeIsOneLine) {
  Policy after = DefaultPolicy();
  SetDur(after.mutable_priority_max_wait(0)->mutable_max_wait(), absl::Seconds(5));
  const std::vector<std::string> diff = DiffPolicies(DefaultPolicy(), after);
  ASSERT_THAT(diff, SizeIs(1));
  EXPECT_THAT(diff[0], StartsWith("priority_max_wait: "));
  EXPECT_THAT(diff[0], ::testing::HasSubstr(" -> "));
}

// ---------------------------------------------------------------------------------------------
// EffectiveMaxWait: own max_wait > priority table > default.

struct MaxWaitCase {
  std::string name;
  int priority;
  bool has_own;
  absl::Duration own;
  absl::Duration want;
};

// Parameterised test output names the row instead of dumping bytes.
void PrintTo(const MaxWaitCase& c, std::ostream* os) { *os << c.name; }

class EffectiveMaxWaitTest : public ::testing::TestWithParam<MaxWaitCase> {};

TEST_P(EffectiveMaxWaitTest, DefaultPolicy) {
  // Default policy: 60s, priority >= 500 -> 15s.
  JobSpec spec;
  spec.set_priority(GetParam().priority);
  if (GetParam().has_own) SetDur(spec.mutable_max_wait(), GetParam().own);
  EXPECT_EQ(EffectiveMaxWait(spec, DefaultPolicy()), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Table, EffectiveMaxWaitTest,
    ::testing::Values(
        MaxWaitCase{"LowPriorityGetsDefault", 0, false, {}, absl::Seconds(60)},
        MaxWaitCase{"JustBelowTier", 499, false, {}, absl::Seconds(60)},
        MaxWaitCase{"AtTier", 500, false, {}, absl::Seconds(15)},
        MaxWaitCase{"AboveTier", 1000, false, {}, absl::Seconds(15)},
        MaxWaitCase{"OwnBeatsDefault", 0, true, absl::Seconds(300), absl::Seconds(300)},
        MaxWaitCase{"OwnBeatsTier", 900, true, absl::Seconds(300), absl::Seconds(300)},
        MaxWaitCase{"OwnZeroIsHonoured", 0, true, absl::ZeroDuration(), absl::ZeroDuration()}),
    [](const ::testing::TestParamInfo<MaxWaitCase>& info) { return info.param.name; });

TEST(EffectiveMaxWaitTest, HighestMatchingTierWinsWhateverTheOrder) {
  Policy p = DefaultPolicy();
  p.clear_priority_max_wait();
  // Deliberately unsorted.
  for (auto [min_priority, wait] : std::vector<std::pair<int, absl::Duration>>{
           {500, absl::Seconds(15)}, {800, absl::Seconds(5)}, {100, absl::Seconds(45)}}) {
    auto* pw = p.add_priority_max_wait();
    pw->set_min_priority(min_priority);
    SetDur(pw->mutable_max_wait(), wait);
  }
  struct Row {
    int priority;
    absl::Duration want;
  };
  for (const Row& row : {Row{0, absl::Seconds(60)}, Row{99, absl::Seconds(60)},
                         Row{100, absl::Seconds(45)}, Row{499, absl::Seconds(45)},
                         Row{500, absl::Seconds(15)}, Row{799, absl::Seconds(15)},
                         Row{800, absl::Seconds(5)}, Row{1000, absl::Seconds(5)}}) {
    SCOPED_TRACE(row.priority);
    JobSpec spec;
    spec.set_priority(row.priority);
    EXPECT_EQ(EffectiveMaxWait(spec, p), row.want);
  }
}

TEST(EffectiveMaxWaitTest, EmptyTableUsesDefault) {
  Policy p = DefaultPolicy();
  p.clear_priority_max_wait();
  SetDur(p.mutable_default_max_wait(), absl::Seconds(90));
  JobSpec spec;
  spec.set_priority(1000);
  EXPECT_EQ(EffectiveMaxWait(spec, p), absl::Seconds(90));
}

// ---------------------------------------------------------------------------------------------
// EffectiveExpectedDuration: the job's hint, else the policy's default.

TEST(EffectiveExpectedDurationTest, HintWins) {
  JobSpec spec;
  SetDur(spec.mutable_expected_duration(), absl::Minutes(3));
  EXPECT_EQ(EffectiveExpectedDuration(spec, DefaultPolicy()), absl::Minutes(3));
}

TEST(EffectiveExpectedDurationTest, NoHintUsesPolicyDefault) {
  JobSpec spec;
  EXPECT_EQ(EffectiveExpectedDuration(spec, DefaultPolicy()), absl::Minutes(10));
  Policy p = DefaultPolicy();
  SetDur(p.mutable_default_expected_duration(), absl::Hours(2));
  EXPECT_EQ(EffectiveExpectedDuration(spec, p), absl::Hours(2));
}

}  // namespace
}  // namespace spillway
