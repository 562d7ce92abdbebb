#include "backends/aci/group_spec.h"

#include "gtest/gtest.h"

namespace spillway {
namespace {

AciBackendConfig TestConfig() {
  AciBackendConfig config;
  config.location = "eastus";
  config.cluster_name = "prod";
  return config;
}

CreateAciGroup TestCreate() {
  CreateAciGroup create;
  create.job_id = "job-00000007";
  create.attempt = 2;
  create.group_name = "sw-prod-job-00000007-a2";
  create.spec.set_image("busybox");
  create.spec.add_command("sh");
  create.spec.add_command("-c");
  create.spec.add_args("echo hi");
  create.resources = Resources{1500, 2048};
  return create;
}

TEST(GroupSpecTest, RoundsUpToAciSteps) {
  EXPECT_EQ(CpuHundredths(0), 0);
  EXPECT_EQ(CpuHundredths(1), 1);      // 1m → 0.01 vCPU
  EXPECT_EQ(CpuHundredths(10), 1);
  EXPECT_EQ(CpuHundredths(1001), 101);  // 1.001 → 1.01
  EXPECT_EQ(MemoryTenthsGb(1024), 10);
  EXPECT_EQ(MemoryTenthsGb(1000), 10);  // 0.977 GB → 1.0
  EXPECT_EQ(MemoryTenthsGb(1025), 11);  // just over 1 GB → 1.1
  EXPECT_EQ(MemoryTenthsGb(1), 1);
  EXPECT_EQ(AciBilledSize(Resources{1001, 1025}), (Resources{1010, 1127}));
}

TEST(GroupSpecTest, BuildsTheBody) {
  const nlohmann::json body = BuildContainerGroupBody(TestConfig(), TestCreate());
  EXPECT_EQ(body["location"], "eastus");
  EXPECT_EQ(body["tags"][kTagCluster], "prod");
  EXPECT_EQ(body["tags"][kTagJob], "job-00000007");
  EXPECT_EQ(body["tags"][kTagAttempt], "2");
  const nlohmann::json& props = body["properties"];
  EXPECT_EQ(props["osType"], "Linux");
  EXPECT_EQ(props["sku"], "Standard");
  EXPECT_EQ(props["priority"], "Regular");
  EXPECT_EQ(props["restartPolicy"], "Never");
  EXPECT_FALSE(props.contains("imageRegistryCredentials"));
  const nlohmann::json& c = props["containers"][0];
  EXPECT_EQ(c["name"], "main");
  EXPECT_EQ(c["properties"]["image"], "busybox");
  EXPECT_EQ(c["properties"]["command"], nlohmann::json({"sh", "-c", "echo hi"}));
  EXPECT_EQ(c["properties"]["resources"]["requests"]["cpu"].get<double>(), 1.5);
  EXPECT_EQ(c["properties"]["resources"]["requests"]["memoryInGB"].get<double>(), 2.0);
  EXPECT_EQ(c["properties"]["resources"]["requests"]["cpu"].dump(), "1.5");
}

TEST(GroupSpecTest, DecimalsPrintExactly) {
  CreateAciGroup create = TestCreate();
  create.resources = Resources{70, 103};  // 0.07 vCPU, 0.2 GB (0.1006 GB rounded up)
  const nlohmann::json body = BuildContainerGroupBody(TestConfig(), create);
  const nlohmann::json& requests = body["properties"]["containers"][0]["properties"]["resources"]["requests"];
  EXPECT_EQ(requests["cpu"].dump(), "0.07");
  EXPECT_EQ(requests["memoryInGB"].dump(), "0.2");
}

TEST(GroupSpecTest, SecretsOnlyAsSecureValue) {
  CreateAciGroup create = TestCreate();
  auto* plain = create.spec.add_env();
  plain->set_name("MODE");
  plain->set_value("fast");
  auto* secret = create.spec.add_env();
  secret->set_name("TOKEN");
  secret->set_value("hunter2");
  secret->set_secret(true);
  const nlohmann::json body = BuildContainerGroupBody(TestConfig(), create);
  const nlohmann::json& env = body["properties"]["containers"][0]["properties"]["environmentVariables"];
  ASSERT_EQ(env.size(), 2u);
  EXPECT_EQ(env[0], nlohmann::json({{"name", "MODE"}, {"value", "fast"}}));
  EXPECT_EQ(env[1], nlohmann::json({{"name", "TOKEN"}, {"secureValue", "hunter2"}}));
  EXPECT_FALSE(env[1].contains("value"));
}

TEST(GroupSpecTest, SpotRestartAndRegistries) {
  AciBackendConfig config = TestConfig();
  config.registries.push_back({"myacr.azurecr.io", "user", "pw"});
  CreateAciGroup create = TestCreate();
  create.spot = true;
  create.spec.set_restart_policy(spillway::v1::RESTART_POLICY_ALWAYS);
  create.spec.clear_command();
  create.spec.clear_args();
  const nlohmann::json body = BuildContainerGroupBody(config, create);
  EXPECT_EQ(body["properties"]["priority"], "Spot");
  EXPECT_EQ(body["properties"]["restartPolicy"], "Always");
  EXPECT_FALSE(body["properties"]["containers"][0]["properties"].contains("command"));
  EXPECT_EQ(body["properties"]["imageRegistryCredentials"][0]["server"], "myacr.azurecr.io");
  create.spec.set_restart_policy(spillway::v1::RESTART_POLICY_ON_FAILURE);
  EXPECT_EQ(BuildContainerGroupBody(config, create)["properties"]["restartPolicy"], "Never");
}

}  // namespace
}  // namespace spillway
