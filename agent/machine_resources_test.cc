#include "agent/machine_resources.h"

#include "gtest/gtest.h"

namespace spillway {
namespace {

TEST(MachineResourcesTest, DetectsSomething) {
  EXPECT_GE(DetectCpuMillis(), 1000);
  absl::StatusOr<int64_t> memory = DetectMemoryMib();
  ASSERT_TRUE(memory.ok()) << memory.status();
  EXPECT_GT(*memory, 0);
  EXPECT_FALSE(DetectMemoryMib("/nonexistent/meminfo").ok());
}

TEST(MachineResourcesTest, ParsesLabels) {
  auto labels = ParseLabels("zone=a, gpu = none");
  ASSERT_TRUE(labels.ok());
  EXPECT_EQ(labels->at("zone"), "a");
  EXPECT_EQ(labels->at("gpu"), "none");
  EXPECT_TRUE(ParseLabels("")->empty());
  EXPECT_FALSE(ParseLabels("novalue").ok());
  EXPECT_FALSE(ParseLabels("=x").ok());
  EXPECT_FALSE(ParseLabels("a=1,a=2").ok());
}

}  // namespace
}  // namespace spillway
