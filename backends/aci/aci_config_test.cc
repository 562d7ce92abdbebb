#include "backends/aci/aci_config.h"

#include <map>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace spillway {
namespace {

TEST(AciConfigTest, ParsesTheArmSection) {
  const YAML::Node node = YAML::Load(R"(
base_url: http://127.0.0.1:8080
subscription_id: sub-1
resource_group: rg-1
location: westeurope
api_version: 2025-09-01
cluster_name: prod
auth: {mode: client_credentials, tenant_id: t, client_id: c, client_secret: s,
       login_base_url: http://127.0.0.1:8080}
registries: [{server: myacr.azurecr.io, username: u, password: p}]
poll_interval: 2s
creates_per_5min: 50
prices: {vcpu_hour_usd: 0.05, gb_hour_usd: 0.005}
)");
  absl::StatusOr<AciBackendConfig> config = ParseAciConfig(node);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->arm_base_url, "http://127.0.0.1:8080");
  EXPECT_EQ(config->api_version, "2025-09-01");
  EXPECT_EQ(config->auth.mode, AciAuthConfig::Mode::kClientCredentials);
  EXPECT_EQ(config->auth.login_base_url, "http://127.0.0.1:8080");
  EXPECT_EQ(config->registries.at(0).password, "p");
  EXPECT_EQ(config->poll_interval, absl::Seconds(2));
  EXPECT_EQ(config->creates_per_5min, 50);
  EXPECT_EQ(config->prices.vcpu_hour_micro_usd, 50000);
  EXPECT_TRUE(ValidateAciConfig(*config).ok());
}

TEST(AciConfigTest, RejectsTyposBadTypesAndVersions) {
  EXPECT_FALSE(ParseAciConfig(YAML::Load("subscripton_id: x")).ok());
  EXPECT_FALSE(ParseAciConfig(YAML::Load("max_retries: lots")).ok());
  EXPECT_FALSE(ParseAciConfig(YAML::Load("poll_interval: soon")).ok());
  EXPECT_FALSE(ParseAciConfig(YAML::Load("auth: {mode: magic}")).ok());
  AciBackendConfig config;
  config.subscription_id = "s";
  config.resource_group = "rg";
  config.location = "eastus";
  config.cluster_name = "c";
  config.auth.mode = AciAuthConfig::Mode::kManagedIdentity;
  EXPECT_TRUE(ValidateAciConfig(config).ok());
  config.api_version = "2021-09-01";
  EXPECT_TRUE(absl::StrContains(ValidateAciConfig(config).message(), "api_version"));
}

TEST(AciConfigTest, EnvironmentFillsCredentials) {
  const std::map<std::string, std::string> env = {{"AZURE_TENANT_ID", "t"},
                                                  {"AZURE_CLIENT_ID", "c"},
                                                  {"AZURE_CLIENT_SECRET", "s"},
                                                  {"AZURE_SUBSCRIPTION_ID", "sub"}};
  auto getenv = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  AciBackendConfig config;
  config.auth.client_id = "from-config";
  ApplyAzureEnvironment(config, getenv);
  EXPECT_EQ(config.auth.client_id, "from-config");  // Config wins.
  EXPECT_EQ(config.auth.client_secret, "s");
  EXPECT_EQ(config.subscription_id, "sub");
  EXPECT_EQ(config.auth.mode, AciAuthConfig::Mode::kClientCredentials);

  AciBackendConfig bare;
  ApplyAzureEnvironment(bare, [](const char*) -> const char* { return nullptr; });
  EXPECT_EQ(bare.auth.mode, AciAuthConfig::Mode::kManagedIdentity);
}

}  // namespace
}  // namespace spillway
