#include "backends/vm_pool/vm_pool_config.h"

#include <yaml-cpp/yaml.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace spillway {
namespace {

using ::testing::HasSubstr;

TEST(VmPoolConfigTest, DefaultsWhenAbsent) {
  auto config = ParseVmPoolConfig(YAML::Node());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->heartbeat_timeout, absl::Seconds(15));
}

TEST(VmPoolConfigTest, ParsesEveryKey) {
  auto config = ParseVmPoolConfig(YAML::Load(R"(
heartbeat_interval: 500ms
heartbeat_timeout: 2s
stop_grace_period: 3s
max_message_bytes: 65536
max_tasks_per_agent: 10
max_node_cpu_millis: 64000
max_node_memory_mib: 262144
inventory_delay: 0s
)"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->heartbeat_interval, absl::Milliseconds(500));
  EXPECT_EQ(config->heartbeat_timeout, absl::Seconds(2));
  EXPECT_EQ(config->stop_grace_period, absl::Seconds(3));
  EXPECT_EQ(config->max_message_bytes, 65536);
  EXPECT_EQ(config->max_tasks_per_agent, 10);
  EXPECT_EQ(config->max_node_capacity.cpu_millis, 64000);
  EXPECT_EQ(config->max_node_capacity.memory_mib, 262144);
  EXPECT_EQ(config->inventory_delay, absl::ZeroDuration());
}

TEST(VmPoolConfigTest, RejectsBadInputNamingTheKey) {
  struct Case {
    std::string yaml;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"heartbeat_timeout: soon", "vm_pool.agents.heartbeat_timeout"},
           {"heartbeat_interval: -1s", "vm_pool.agents.heartbeat_interval"},
           {"heartbeat_interval: 10s\nheartbeat_timeout: 5s", "heartbeat_timeout"},
           {"max_tasks_per_agent: lots", "max_tasks_per_agent"},
           {"surprise: 1", "unknown key"},
           {"[1, 2]", "must be a map"},
           {"heartbeat_timeout: {a: 1}", "heartbeat_timeout"},
       }) {
    auto config = ParseVmPoolConfig(YAML::Load(c.yaml));
    EXPECT_FALSE(config.ok()) << c.yaml;
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(c.message)) << c.yaml;
  }
}

}  // namespace
}  // namespace spillway
