#include "sim/policy_file.h"

#include "gtest/gtest.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace sim {
namespace {

TEST(PolicyFileTest, FieldsOverTheDefaults) {
  absl::StatusOr<spillway::v1::Policy> p = ParsePolicyYaml(
      "burst_strategy: AFTER_MAX_WAIT\n"
      "default_max_wait: 90s\n"
      "burst_enabled: false\n"
      "aci_max_groups: 7\n"
      "priority_max_wait: [{min_priority: 100, max_wait: 5s}]\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->burst_strategy(), spillway::v1::BURST_STRATEGY_AFTER_MAX_WAIT);
  EXPECT_EQ(ToAbslDuration(p->default_max_wait()), absl::Seconds(90));
  EXPECT_FALSE(p->burst_enabled());
  EXPECT_EQ(p->aci_max_groups(), 7);
  ASSERT_EQ(p->priority_max_wait_size(), 1);
  EXPECT_EQ(p->priority_max_wait(0).min_priority(), 100);
  EXPECT_EQ(p->aci_vcpu_hour_micro_usd(), DefaultPolicy().aci_vcpu_hour_micro_usd());
}

TEST(PolicyFileTest, AcceptsAWholeSpillwaydConfig) {
  absl::StatusOr<spillway::v1::Policy> p = ParsePolicyYaml(
      "cluster_name: x\nvm_pool: {nodes: []}\npolicy:\n  burst_strategy: "
      "BURST_STRATEGY_WHEN_UNSCHEDULABLE\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->burst_strategy(), spillway::v1::BURST_STRATEGY_WHEN_UNSCHEDULABLE);
}

TEST(PolicyFileTest, ErrorsNameTheField) {
  EXPECT_EQ(ParsePolicyYaml("bogus: 1\n").status().message(), "bogus: unknown field");
  EXPECT_EQ(ParsePolicyYaml("default_max_wait: soon\n").status().message(),
            "default_max_wait: expected a duration such as \"90s\"");
  EXPECT_EQ(ParsePolicyYaml("burst_strategy: NEVER\n").status().message(),
            "burst_strategy: unknown value \"NEVER\"");
  EXPECT_EQ(ParsePolicyYaml("version: 3\n").status().message(), "version: is output only");
  EXPECT_FALSE(ParsePolicyYaml("a: [unclosed\n").ok());
  EXPECT_FALSE(ParsePolicyYaml("aci_max_groups: -5\n").ok());  // ValidatePolicy.
}

TEST(PolicyFileTest, SetPolicyFieldForSweeps) {
  spillway::v1::Policy p = DefaultPolicy();
  ASSERT_TRUE(SetPolicyField(p, "default_max_wait", "300s").ok());
  EXPECT_EQ(ToAbslDuration(p.default_max_wait()), absl::Seconds(300));
  EXPECT_FALSE(SetPolicyField(p, "no_such_knob", "1").ok());
}

}  // namespace
}  // namespace sim
}  // namespace spillway
