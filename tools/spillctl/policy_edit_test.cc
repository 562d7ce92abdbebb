#include "tools/spillctl/policy_edit.h"

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tools/spillctl/proto_matchers.h"

namespace spillway::spillctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

v1::Policy BasePolicy() {
  v1::Policy policy;
  const bool parsed = google::protobuf::TextFormat::ParseFromString(
      R"pb(
        version: 7
        placement_strategy: PLACEMENT_STRATEGY_BIN_PACK
        affinity_weight: 30
        burst_enabled: true
        default_max_wait { seconds: 120 }
        priority_max_wait {
          min_priority: 900
          max_wait { seconds: 10 }
        }
        aci_priority: ACI_PRIORITY_REGULAR
        aci_max_cores: 64
        aci_vcpu_hour_micro_usd: 40500
      )pb",
      &policy);
  EXPECT_TRUE(parsed);
  return policy;
}

// Parses `assignments` and applies them to BasePolicy().
absl::StatusOr<v1::Policy> Edit(const std::vector<std::string>& assignments) {
  absl::StatusOr<PolicyPatch> patch = ParsePolicyAssignments(assignments);
  if (!patch.ok()) return patch.status();
  v1::Policy policy = BasePolicy();
  ApplyPolicyPatch(*patch, &policy);
  return policy;
}

TEST(PolicyEditTest, EveryKindOfField) {
  absl::StatusOr<v1::Policy> policy = Edit({
      "placement_strategy=spread",       // enum, short name
      "aci_priority=ACI_PRIORITY_SPOT",  // enum, full name
      "affinity_weight=55",              // int32
      "aci_max_cores=128",               // int64
      "burst_enabled=false",             // bool
      "default_max_wait=5m",             // Duration
      "burst_cooldown=90s",              // Duration, previously unset
      "aci_gb_hour_micro_usd=$0.00445",  // money in dollars
      "vm_node_hour_micro_usd=150000",   // money in micro-USD
      "priority_max_wait=500:2m,800:30s",
  });
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_THAT(*policy, EqualsProto(std::string(R"pb(
    version: 7
    placement_strategy: PLACEMENT_STRATEGY_SPREAD
    affinity_weight: 55
    burst_enabled: false
    default_max_wait { seconds: 300 }
    priority_max_wait {
      min_priority: 500
      max_wait { seconds: 120 }
    }
    priority_max_wait {
      min_priority: 800
      max_wait { seconds: 30 }
    }
    aci_priority: ACI_PRIORITY_SPOT
    aci_max_cores: 128
    aci_vcpu_hour_micro_usd: 40500
    aci_gb_hour_micro_usd: 4450
    vm_node_hour_micro_usd: 150000
    burst_cooldown { seconds: 90 }
  )pb")));
}

TEST(PolicyEditTest, LeavesOtherFieldsAlone) {
  absl::StatusOr<v1::Policy> policy =
      Edit({"affinity-weight=0"});  // '-' works as '_'.
  ASSERT_TRUE(policy.ok()) << policy.status();
  v1::Policy want = BasePolicy();
  want.set_affinity_weight(0);
  EXPECT_THAT(*policy, EqualsProto(want.DebugString()));
}

TEST(PolicyEditTest, ClearsPriorityWaits) {
  absl::StatusOr<v1::Policy> policy = Edit({"priority_max_wait=none"});
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_THAT(policy->priority_max_wait(), IsEmpty());
  EXPECT_EQ(policy->aci_max_cores(), 64);
}

struct BadAssignmentCase {
  std::vector<std::string> assignments;
  std::string error;
};

void PrintTo(const BadAssignmentCase& c, std::ostream* os) {
  *os << absl::StrJoin(c.assignments, " ");
}

class BadAssignmentTest : public ::testing::TestWithParam<BadAssignmentCase> {};

TEST_P(BadAssignmentTest, ErrorNamesTheField) {
  absl::StatusOr<PolicyPatch> patch =
      ParsePolicyAssignments(GetParam().assignments);
  ASSERT_FALSE(patch.ok());
  EXPECT_EQ(patch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(patch.status().message(), HasSubstr(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadAssignmentTest,
    ::testing::Values(
        BadAssignmentCase{{}, "want at least one field=value"},
        BadAssignmentCase{{"burst_enabled"},
                          "want field=value, got \"burst_enabled\""},
        BadAssignmentCase{{"=1"}, "want field=value"},
        BadAssignmentCase{{"no_such_field=1"},
                          "unknown policy field \"no_such_field\""},
        BadAssignmentCase{{"version=9"}, "version: is output only"},
        BadAssignmentCase{{"affinity_weight=1", "affinity_weight=2"},
                          "affinity_weight: given twice"},
        BadAssignmentCase{{"affinity_weight=lots"},
                          "affinity_weight: want an integer"},
        BadAssignmentCase{{"affinity_weight=3000000000"},
                          "affinity_weight: 3000000000 does not fit"},
        BadAssignmentCase{{"aci_max_cores=1.5"},
                          "aci_max_cores: want an integer"},
        BadAssignmentCase{{"burst_enabled=maybe"},
                          "burst_enabled: want true or false"},
        BadAssignmentCase{{"placement_strategy=random"},
                          "placement_strategy: unknown value \"random\"; want "
                          "one of bin-pack, "
                          "spread"},
        BadAssignmentCase{{"default_max_wait=60"},
                          "default_max_wait: cannot parse \"60\""},
        BadAssignmentCase{{"retry_backoff_max=-5s"},
                          "retry_backoff_max: must not be negative"},
        BadAssignmentCase{
            {"aci_vcpu_hour_micro_usd=$0.0000001"},
            "aci_vcpu_hour_micro_usd: \"$0.0000001\" is finer than"},
        BadAssignmentCase{{"priority_max_wait=500"},
                          "priority_max_wait: want MIN_PRIORITY:DURATION"},
        BadAssignmentCase{{"priority_max_wait=high:2m"},
                          "priority_max_wait: want MIN_PRIORITY:DURATION"},
        BadAssignmentCase{{"priority_max_wait=500:soon"},
                          "priority_max_wait: cannot parse \"soon\""}));

TEST(PolicyDiffTest, ListsChangedFieldsInFieldOrder) {
  v1::Policy after = BasePolicy();
  after.set_version(8);  // Not part of the diff.
  after.set_burst_enabled(false);
  after.set_placement_strategy(v1::PLACEMENT_STRATEGY_SPREAD);
  after.mutable_default_max_wait()->set_seconds(90);
  after.set_aci_vcpu_hour_micro_usd(50000);
  after.mutable_burst_cooldown()->set_seconds(30);
  after.clear_priority_max_wait();
  EXPECT_THAT(
      PolicyDiff(BasePolicy(), after),
      ElementsAre("placement_strategy: bin-pack -> spread",
                  "burst_enabled: true -> false",
                  "default_max_wait: 2m -> 1m30s",
                  "priority_max_wait: 900:10s -> none",
                  "aci_vcpu_hour_micro_usd: 40500 ($0.0405) -> 50000 ($0.05)",
                  "burst_cooldown: unset -> 30s"));
  EXPECT_THAT(PolicyDiff(BasePolicy(), BasePolicy()), IsEmpty());
}

TEST(FormatPolicyFieldTest, Kinds) {
  const v1::Policy policy = BasePolicy();
  auto format = [&policy](const std::string& name) {
    return FormatPolicyField(policy,
                             *v1::Policy::descriptor()->FindFieldByName(name));
  };
  EXPECT_EQ(format("version"), "7");
  EXPECT_EQ(format("placement_strategy"), "bin-pack");
  EXPECT_EQ(format("burst_enabled"), "true");
  EXPECT_EQ(format("default_max_wait"), "2m");
  EXPECT_EQ(format("default_expected_duration"), "unset");
  EXPECT_EQ(format("priority_max_wait"), "900:10s");
  EXPECT_EQ(format("aci_vcpu_hour_micro_usd"), "40500 ($0.0405)");
  EXPECT_EQ(format("spend_budget_micro_usd_per_hour"), "0 ($0.00)");
  EXPECT_EQ(format("aci_priority"), "regular");
}

}  // namespace
}  // namespace spillway::spillctl
