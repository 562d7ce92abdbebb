#include "tools/spillctl/enum_names.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/spillway/v1/admin.pb.h"
#include "proto/spillway/v1/jobs.pb.h"

namespace spillway::spillctl {
namespace {

using ::testing::HasSubstr;

TEST(ParseEnumTest, ShortNames) {
  EXPECT_EQ(
      ParseEnum<v1::BurstMode>("vm-only").value_or(v1::BURST_MODE_UNSPECIFIED),
      v1::BURST_MODE_VM_ONLY);
  EXPECT_EQ(
      ParseEnum<v1::BurstMode>("aci_only").value_or(v1::BURST_MODE_UNSPECIFIED),
      v1::BURST_MODE_ACI_ONLY);
  EXPECT_EQ(ParseEnum<v1::RestartPolicy>("on-failure")
                .value_or(v1::RESTART_POLICY_UNSPECIFIED),
            v1::RESTART_POLICY_ON_FAILURE);
  EXPECT_EQ(ParseEnum<v1::PlacementStrategy>("bin-pack")
                .value_or(v1::PLACEMENT_STRATEGY_UNSPECIFIED),
            v1::PLACEMENT_STRATEGY_BIN_PACK);
  EXPECT_EQ(
      ParseEnum<v1::AciPriority>("Spot").value_or(v1::ACI_PRIORITY_UNSPECIFIED),
      v1::ACI_PRIORITY_SPOT);
  EXPECT_EQ(
      ParseEnum<v1::JobState>("cancelled").value_or(v1::JOB_STATE_UNSPECIFIED),
      v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(ParseEnum<v1::Backend>("aci").value_or(v1::BACKEND_UNSPECIFIED),
            v1::BACKEND_ACI);
}

TEST(ParseEnumTest, FullNames) {
  EXPECT_EQ(ParseEnum<v1::PlacementStrategy>("PLACEMENT_STRATEGY_SPREAD")
                .value_or(v1::PLACEMENT_STRATEGY_UNSPECIFIED),
            v1::PLACEMENT_STRATEGY_SPREAD);
  EXPECT_EQ(ParseEnum<v1::JobState>("job_state_running")
                .value_or(v1::JOB_STATE_UNSPECIFIED),
            v1::JOB_STATE_RUNNING);
}

TEST(ParseEnumTest, UnknownListsTheChoices) {
  absl::StatusOr<v1::BurstMode> mode = ParseEnum<v1::BurstMode>("sometimes");
  ASSERT_FALSE(mode.ok());
  EXPECT_EQ(
      mode.status().message(),
      "unknown value \"sometimes\"; want one of allowed, vm-only, aci-only");
  EXPECT_FALSE(ParseEnum<v1::BurstMode>("").ok());
  EXPECT_FALSE(ParseEnum<v1::BurstMode>("mode-vm-only").ok());
}

TEST(ShortNameTest, StripsPrefixAndLowercases) {
  EXPECT_EQ(ShortName(v1::BURST_MODE_VM_ONLY), "vm-only");
  EXPECT_EQ(ShortName(v1::PLACEMENT_STRATEGY_BIN_PACK), "bin-pack");
  EXPECT_EQ(ShortName(v1::NODE_STATE_CORDONED), "cordoned");
  EXPECT_EQ(ShortName(v1::JOB_STATE_UNSPECIFIED), "unspecified");
  EXPECT_EQ(ShortName(static_cast<v1::JobState>(42)), "42");
}

TEST(ShortNameTest, RoundTripsEveryValue) {
  const google::protobuf::EnumDescriptor& type = *v1::JobState_descriptor();
  for (int i = 0; i < type.value_count(); ++i) {
    const int number = type.value(i)->number();
    EXPECT_EQ(ParseEnumNumber(type, ShortEnumName(type, number)).value_or(-1),
              number);
  }
}

TEST(ShortEnumNamesTest, SkipsZero) {
  EXPECT_EQ(ShortEnumNames(*v1::Backend_descriptor()), "vm, aci");
  EXPECT_EQ(ShortEnumNames(*v1::AciPriority_descriptor()), "regular, spot");
}

}  // namespace
}  // namespace spillway::spillctl
