// Configuration of the ARM-backed ACI backend, parsed from the `aci: {arm: {...}}` section of
// spillwayd's YAML. Credentials may come from the standard AZURE_* environment variables instead.
//
//   arm:
//     base_url: https://management.azure.com     # or the emulator: http://127.0.0.1:PORT
//     subscription_id: 0000...                   # or AZURE_SUBSCRIPTION_ID
//     resource_group: spillway-burst
//     location: eastus
//     api_version: 2023-05-01                    # 2023-05-01 | 2025-09-01 | 2026-05-01
//     cluster_name: prod                         # tags every group; the reconciler's scope
//     auth: {mode: client_credentials, tenant_id: ..., client_id: ..., client_secret: ...,
//            login_base_url: https://login.microsoftonline.com, imds_base_url: http://169.254.169.254}
//     registries: [{server: myacr.azurecr.io, username: ..., password: ...}]
//     poll_interval: 5s    reconcile_interval: 60s    http_timeout: 30s    max_retries: 8
//     backoff_initial: 1s  backoff_max: 60s
//     creates_per_5min: 90 creates_per_hour: 270 deletes_per_5min: 90 deletes_per_hour: 270
//     arm_write_burst: 180 arm_writes_per_second: 9  arm_read_burst: 1000 arm_reads_per_second: 3
//     prices: {vcpu_hour_usd: 0.0405, gb_hour_usd: 0.00445}
#ifndef SPILLWAY_BACKENDS_ACI_ACI_CONFIG_H_
#define SPILLWAY_BACKENDS_ACI_ACI_CONFIG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "scheduler/model/money.h"

namespace spillway {

inline constexpr const char* kAciApiVersions[] = {"2023-05-01", "2025-09-01", "2026-05-01"};

struct AciAuthConfig {
  enum class Mode {
    kAuto,               // client credentials when a secret is known, else managed identity.
    kClientCredentials,  // tenant_id, client_id, client_secret.
    kManagedIdentity,    // IMDS; client_id optional (user-assigned identity).
    kNone,               // No Authorization header (an emulator started without auth).
  };
  Mode mode = Mode::kAuto;
  std::string tenant_id;
  std::string client_id;
  std::string client_secret;  // Never logged.
  std::string login_base_url = "https://login.microsoftonline.com";
  std::string imds_base_url = "http://169.254.169.254";
  std::string scope = "https://management.azure.com/.default";  // Client credentials.
  std::string resource = "https://management.azure.com/";       // Managed identity.
  absl::Duration refresh_before_expiry = absl::Minutes(5);
};

struct AciRegistryCredential {
  std::string server;
  std::string username;
  std::string password;  // Never logged; sent only in the PUT body.
};

struct AciBackendConfig {
  std::string arm_base_url = "https://management.azure.com";
  std::string subscription_id;
  std::string resource_group;
  std::string location;
  std::string api_version = "2023-05-01";
  std::string cluster_name;  // Tags every group; the reconciler only touches its own.
  AciAuthConfig auth;
  std::vector<AciRegistryCredential> registries;
  std::string container_name = "main";  // The one container of each group.

  absl::Duration poll_interval = absl::Seconds(5);
  absl::Duration reconcile_interval = absl::Seconds(60);
  // A tagged group nobody asked for is deleted only when it is this old in our eyes (so a
  // restarted spillwayd can re-issue its creates and adopt its groups first).
  absl::Duration orphan_grace = absl::Seconds(120);
  absl::Duration http_timeout = absl::Seconds(30);
  int max_retries = 8;
  absl::Duration backoff_initial = absl::Seconds(1);
  absl::Duration backoff_max = absl::Seconds(60);

  // ACI: 100 creates and 100 deletes per 5 minutes, 300 per hour; ARM: writes 200, 10/s refill.
  // Defaults keep 10% head-room.
  int creates_per_5min = 90;
  int creates_per_hour = 270;
  int deletes_per_5min = 90;
  int deletes_per_hour = 270;
  double arm_write_burst = 180;
  double arm_writes_per_second = 9;
  double arm_read_burst = 1000;
  double arm_reads_per_second = 3;

  int worker_threads = 4;
  uint64_t seed = 1;  // Back-off jitter (ignored when a BitGenRef is injected).
  AciPrices prices{40500, 4450};  // East US Linux; keep it configuration.
};

// Parses the `arm:` mapping. Unknown keys are errors (typos must not pass silently).
// Catches yaml-cpp's exceptions: this is the only place that touches them.
absl::StatusOr<AciBackendConfig> ParseAciConfig(const YAML::Node& arm);

// Fills empty credentials and ids from AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and
// AZURE_SUBSCRIPTION_ID (via `getenv`, injectable for tests), then resolves Mode::kAuto.
void ApplyAzureEnvironment(AciBackendConfig& config,
                           const std::function<const char*(const char*)>& getenv);

// Required fields, allow-listed api-version, valid budgets, credentials present for the mode.
absl::Status ValidateAciConfig(const AciBackendConfig& config);

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_ACI_ACI_CONFIG_H_
