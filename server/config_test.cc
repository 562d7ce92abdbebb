#include "server/config.h"

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/model/policy.h"

namespace spillway {
namespace {

using ::testing::HasSubstr;

absl::Status ErrorOf(absl::string_view yaml) { return ParseConfig(yaml).status(); }

TEST(ConfigTest, EmbeddedDefaultParses) {
  absl::StatusOr<Config> config = ParseConfig(kDefaultConfigYaml, "<embedded default>");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cluster_name, "local");
  ASSERT_EQ(config->vm_pool.nodes.size(), 3u);
  const char* zones[] = {"a", "b", "c"};
  for (int i = 0; i < 3; ++i) {
    const NodeConfig& node = config->vm_pool.nodes[i];
    EXPECT_EQ(node.id, "vm-" + std::to_string(i + 1));
    EXPECT_EQ(node.capacity, (Resources{2000, 4096}));
    EXPECT_EQ(node.labels, (std::map<std::string, std::string>{{"zone", zones[i]}}));
  }
  EXPECT_EQ(config->aci.simulated.start_latency, absl::Seconds(20));
  EXPECT_EQ(config->aci.simulated.start_latency_jitter, absl::Seconds(5));
  EXPECT_EQ(config->policy.SerializeAsString(), DefaultPolicy().SerializeAsString());
  EXPECT_EQ(config->grpc_address, "");
  // DefaultConfig() is the same parse.
  EXPECT_EQ(DefaultConfig().vm_pool.nodes.size(), 3u);
}

TEST(ConfigTest, ExampleFileIsTheEmbeddedDefault) {
  std::ifstream in("server/spillwayd.example.yaml");
  ASSERT_TRUE(in) << "runfile server/spillwayd.example.yaml missing";
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), kDefaultConfigYaml);
  absl::StatusOr<Config> loaded = LoadConfigFile("server/spillwayd.example.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->vm_pool.nodes.size(), 3u);
}

TEST(ConfigTest, EmptyDocumentGivesDefaults) {
  absl::StatusOr<Config> config = ParseConfig("");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cluster_name, "local");
  EXPECT_TRUE(config->vm_pool.nodes.empty());
  EXPECT_FALSE(config->aci.simulated.start_latency.has_value());
  EXPECT_EQ(config->policy.SerializeAsString(), DefaultPolicy().SerializeAsString());
}

TEST(ConfigTest, AllKeysApplied) {
  absl::StatusOr<Config> config = ParseConfig(R"(
cluster_name: prod-east
grpc_address: 0.0.0.0:7000
data_dir: /tmp/spill
vm_pool:
  start_delay: 3s
  nodes:
    - id: big-1
      cpu_millis: 16000
      memory_mib: 65536
      labels: {gpu: "true", zone: x}
aci:
  simulated:
    start_latency: 45s
    start_latency_jitter: 500ms
    create_failure_rate: 0.25
    delete_latency: 2s
    seed: 99
)");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cluster_name, "prod-east");
  EXPECT_EQ(config->grpc_address, "0.0.0.0:7000");
  EXPECT_EQ(config->data_dir, "/tmp/spill");
  EXPECT_EQ(config->vm_pool.start_delay, absl::Seconds(3));
  ASSERT_EQ(config->vm_pool.nodes.size(), 1u);
  EXPECT_EQ(config->vm_pool.nodes[0].id, "big-1");
  EXPECT_EQ(config->vm_pool.nodes[0].capacity, (Resources{16000, 65536}));
  EXPECT_EQ(config->vm_pool.nodes[0].labels.at("gpu"), "true");
  EXPECT_EQ(config->aci.simulated.start_latency, absl::Seconds(45));
  EXPECT_EQ(config->aci.simulated.start_latency_jitter, absl::Milliseconds(500));
  EXPECT_EQ(config->aci.simulated.create_failure_rate, 0.25);
  EXPECT_EQ(config->aci.simulated.delete_latency, absl::Seconds(2));
  EXPECT_EQ(config->aci.simulated.seed, 99u);
}

TEST(ConfigTest, AciArmSectionSelectsTheRealBackend) {
  absl::StatusOr<Config> config = ParseConfig(R"(
aci:
  arm:
    base_url: http://127.0.0.1:8080
    subscription_id: 00000000-0000-0000-0000-000000000000
    resource_group: rg
    location: eastus
    auth: {mode: none}
)");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(config->aci.arm.has_value());
  EXPECT_EQ(config->aci.arm->arm_base_url, "http://127.0.0.1:8080");
  EXPECT_EQ(config->aci.arm->resource_group, "rg");
  EXPECT_FALSE(ParseConfig("{}")->aci.arm.has_value());
  const absl::Status bad = ErrorOf("aci: {arm: {base_urll: x}}");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("aci.arm."));
  EXPECT_THAT(bad.message(), HasSubstr("base_urll"));
}

TEST(ConfigTest, VmPoolAgentsSectionSelectsTheRealPool) {
  absl::StatusOr<Config> config =
      ParseConfig("vm_pool: {agents: {heartbeat_interval: 2s, heartbeat_timeout: 7s}}");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(config->vm_pool.agents.has_value());
  EXPECT_EQ(config->vm_pool.agents->heartbeat_timeout, absl::Seconds(7));
  const absl::Status bad = ErrorOf("vm_pool: {agents: {heartbeat_timeout: 1s}}");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("heartbeat"));
}

TEST(ConfigTest, PolicyFieldsApplied) {
  absl::StatusOr<Config> config = ParseConfig(R"(
policy:
  default_max_wait: 90s
  placement_strategy: PLACEMENT_STRATEGY_SPREAD
  aci_priority: SPOT
  burst_enabled: false
  aci_max_groups: 7
  spend_budget_micro_usd_per_hour: 2500000
  priority_max_wait:
    - {min_priority: 100, max_wait: 2m}
    - {min_priority: 900, max_wait: 5s}
)");
  ASSERT_TRUE(config.ok()) << config.status();
  const spillway::v1::Policy& p = config->policy;
  EXPECT_EQ(ToAbslDuration(p.default_max_wait()), absl::Seconds(90));
  EXPECT_EQ(p.placement_strategy(), spillway::v1::PLACEMENT_STRATEGY_SPREAD);
  EXPECT_EQ(p.aci_priority(), spillway::v1::ACI_PRIORITY_SPOT);
  EXPECT_FALSE(p.burst_enabled());
  EXPECT_EQ(p.aci_max_groups(), 7);
  EXPECT_EQ(p.spend_budget_micro_usd_per_hour(), 2500000);
  ASSERT_EQ(p.priority_max_wait_size(), 2);  // Replaces the default list.
  EXPECT_EQ(p.priority_max_wait(0).min_priority(), 100);
  EXPECT_EQ(ToAbslDuration(p.priority_max_wait(0).max_wait()), absl::Minutes(2));
  EXPECT_EQ(p.priority_max_wait(1).min_priority(), 900);
  // Fields the file does not name keep their defaults.
  EXPECT_EQ(p.aci_vcpu_hour_micro_usd(), DefaultPolicy().aci_vcpu_hour_micro_usd());
  EXPECT_EQ(p.default_expected_duration().seconds(),
            DefaultPolicy().default_expected_duration().seconds());
}

TEST(ConfigTest, UnknownKeysAreNamed) {
  absl::Status s = ErrorOf("clustr_name: x\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("clustr_name: unknown key"));

  s = ErrorOf(R"(
vm_pool:
  nodes:
    - {id: a, cpu_millis: 1000, memory_mib: 1024}
    - {id: b, cpu: 1000, memory_mib: 1024}
)");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("vm_pool.nodes[1].cpu"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("line 5"));

  s = ErrorOf("aci: {simulated: {start_latncy: 1s}}\n");
  EXPECT_THAT(std::string(s.message()), HasSubstr("aci.simulated.start_latncy: unknown key"));

  s = ErrorOf("policy: {max_wait_default: 10s}\n");
  EXPECT_THAT(std::string(s.message()), HasSubstr("policy.max_wait_default: unknown key"));

  s = ErrorOf("policy: {priority_max_wait: [{min_priority: 1, wait: 1s}]}\n");
  EXPECT_THAT(std::string(s.message()), HasSubstr("policy.priority_max_wait[0].wait: unknown key"));
}

TEST(ConfigTest, BadValuesAreNamed) {
  struct Case {
    const char* yaml;
    const char* expected;
  };
  const Case cases[] = {
      {"vm_pool: {nodes: [{id: a, cpu_millis: lots, memory_mib: 1}]}",
       "vm_pool.nodes[0].cpu_millis"},
      {"vm_pool: {nodes: [{id: a, cpu_millis: 0, memory_mib: 1}]}", "vm_pool.nodes[0].cpu_millis"},
      {"vm_pool: {nodes: [{id: a, memory_mib: 1}]}", "cpu_millis is required"},
      {"vm_pool: {nodes: [{id: 'bad id', cpu_millis: 1, memory_mib: 1}]}", "vm_pool.nodes[0].id"},
      {"vm_pool: {nodes: [{id: a, cpu_millis: 1, memory_mib: 1}, {id: a, cpu_millis: 1, "
       "memory_mib: 1}]}",
       "duplicate node id a"},
      {"vm_pool: {start_delay: soon}", "vm_pool.start_delay"},
      {"vm_pool: {start_delay: -1s}", "vm_pool.start_delay: must not be negative"},
      {"aci: {simulated: {create_failure_rate: 1.5}}", "aci.simulated.create_failure_rate"},
      {"policy: {default_max_wait: 60}", "policy.default_max_wait"},
      {"policy: {placement_strategy: RANDOM}", "policy.placement_strategy"},
      {"policy: {aci_max_groups: many}", "policy.aci_max_groups"},
      {"policy: {aci_max_groups: 3000000000}", "policy.aci_max_groups"},
      {"policy: {affinity_weight: 500}", "policy.affinity_weight"},  // ValidatePolicy's range.
      {"policy: {version: 3}", "policy.version"},
      {"policy: {burst_enabled: maybe}", "policy.burst_enabled"},
      {"vm_pool: [1, 2]", "vm_pool"},
      {"cluster_name: [a]", "cluster_name"},
      {"cluster_name: x\ncluster_name: y\n", "cluster_name: duplicate key"},
  };
  for (const Case& c : cases) {
    const absl::Status s = ErrorOf(c.yaml);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.expected)) << c.yaml;
  }
}

TEST(ConfigTest, SyntaxErrorIsAStatusNotAnException) {
  const absl::Status s = ErrorOf("vm_pool: {nodes: [\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("line"));
}

TEST(ConfigTest, MissingFileIsNotFound) {
  EXPECT_EQ(LoadConfigFile("/nonexistent/spillwayd.yaml").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace spillway
