// Entra ID auth against the emulator's token and IMDS endpoints, through MakeAciBackend.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "backends/aci/aci_backend.h"
#include "gtest/gtest.h"
#include "tests/aci/core_driver.h"
#include "tests/aci/emulator_process.h"

namespace spillway {
namespace {

AciBackendConfig AuthConfig(const std::string& base_url) {
  AciBackendConfig config;
  config.arm_base_url = base_url;
  config.subscription_id = "00000000-0000-0000-0000-000000000002";
  config.resource_group = "spillway-auth";
  config.location = "eastus";
  config.cluster_name = "auth";
  config.poll_interval = absl::Milliseconds(100);
  config.http_timeout = absl::Seconds(2);
  config.backoff_initial = absl::Milliseconds(50);
  config.backoff_max = absl::Milliseconds(500);
  config.auth.login_base_url = base_url;
  config.auth.imds_base_url = base_url;
  return config;
}

spillway::v1::JobSpec Job() {
  spillway::v1::JobSpec spec;
  spec.set_image("busybox");
  spec.add_command("true");
  spec.set_cpu_millis(500);
  spec.set_memory_mib(512);
  return spec;
}

void RunOneJob(AciBackend* backend, CoreDriver* driver, const std::string& id) {
  driver->Submit(id, Job());
  ASSERT_TRUE(driver->RunUntil([&] { return driver->AllFinal() && driver->AllDeleted(); },
                               absl::Seconds(30)));
  EXPECT_TRUE(driver->jobs().at(id).exited) << id;
  EXPECT_EQ(driver->jobs().at(id).exit_code, 0);
  (void)backend;
}

TEST(AciAuthTest, ClientCredentialsCachedAndRefreshedOnceAfter401) {
  auto emulator = EmulatorProcess::Start({"--provisioning_min=50ms", "--provisioning_max=100ms",
                                          "--require_auth", "--client_id=app-1",
                                          "--client_secret=s3cret"});
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  AciBackendConfig config = AuthConfig((*emulator)->base_url());
  config.auth.mode = AciAuthConfig::Mode::kClientCredentials;
  config.auth.tenant_id = "tenant-1";
  config.auth.client_id = "app-1";
  config.auth.client_secret = "s3cret";
  absl::StatusOr<std::unique_ptr<AciBackend>> backend = MakeAciBackend(config);
  ASSERT_TRUE(backend.ok()) << backend.status();
  CoreDriver driver(backend->get(), "auth", 1);
  RunOneJob(backend->get(), &driver, "job-a");
  EXPECT_EQ((*emulator)->Counter("tokens_issued"), 1);  // Cached across every call.
  EXPECT_EQ((*emulator)->Counter("unauthorized"), 0);
  ASSERT_EQ((*emulator)->Send("POST", "/emulator/revoke-tokens", ""), 200);
  RunOneJob(backend->get(), &driver, "job-b");
  EXPECT_EQ((*emulator)->Counter("tokens_issued"), 2);  // One refresh for all 401s.
  EXPECT_GE((*emulator)->Counter("unauthorized"), 1);
}

TEST(AciAuthTest, WrongSecretFailsTheAttemptWithoutLeakingIt) {
  auto emulator = EmulatorProcess::Start({"--provisioning_min=50ms", "--provisioning_max=100ms",
                                          "--require_auth", "--client_secret=right"});
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  AciBackendConfig config = AuthConfig((*emulator)->base_url());
  config.auth.mode = AciAuthConfig::Mode::kClientCredentials;
  config.auth.tenant_id = "tenant-1";
  config.auth.client_id = "app-1";
  config.auth.client_secret = "wrong-secret-value";
  config.max_retries = 1;
  absl::StatusOr<std::unique_ptr<AciBackend>> backend = MakeAciBackend(config);
  ASSERT_TRUE(backend.ok()) << backend.status();
  CoreDriver driver(backend->get(), "auth", 1);
  driver.Submit("job-x", Job());
  ASSERT_TRUE(driver.RunUntil([&] { return driver.AllFinal(); }, absl::Seconds(30)));
  const auto& failures = driver.jobs().at("job-x").failures;
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].rfind("AuthenticationFailed: ", 0), 0u) << failures[0];
  EXPECT_NE(failures[0].find("invalid_client"), std::string::npos) << failures[0];
  EXPECT_EQ(failures[0].find("wrong-secret-value"), std::string::npos);
  EXPECT_TRUE((*emulator)->Stats()["live_groups"].empty());
}

TEST(AciAuthTest, ManagedIdentityThroughImds) {
  auto emulator = EmulatorProcess::Start(
      {"--provisioning_min=50ms", "--provisioning_max=100ms", "--require_auth"});
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  AciBackendConfig config = AuthConfig((*emulator)->base_url());
  config.auth.mode = AciAuthConfig::Mode::kManagedIdentity;
  absl::StatusOr<std::unique_ptr<AciBackend>> backend = MakeAciBackend(config);
  ASSERT_TRUE(backend.ok()) << backend.status();
  CoreDriver driver(backend->get(), "auth", 1);
  RunOneJob(backend->get(), &driver, "job-mi");
  EXPECT_EQ((*emulator)->Counter("tokens_issued"), 1);
}

TEST(AciAuthTest, FactoryValidates) {
  AciBackendConfig config = AuthConfig("http://127.0.0.1:1");
  config.api_version = "2019-12-01";
  config.auth.mode = AciAuthConfig::Mode::kNone;
  EXPECT_FALSE(MakeAciBackend(config).ok());
}

}  // namespace
}  // namespace spillway
