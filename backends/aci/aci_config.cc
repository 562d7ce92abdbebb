#include "backends/aci/aci_config.h"

#include <cmath>
#include <exception>

#include "absl/strings/str_cat.h"

namespace spillway {
namespace {

absl::Status ParseDurationField(const YAML::Node& node, const std::string& key,
                                absl::Duration* out) {
  const std::string text = node.as<std::string>();
  if (!absl::ParseDuration(text, out) || *out < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("aci.arm.", key, ": not a duration like \"5s\": ", text));
  }
  return absl::OkStatus();
}

absl::Status ParseAuth(const YAML::Node& node, AciAuthConfig* auth) {
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    const YAML::Node& value = item.second;
    if (key == "mode") {
      const std::string mode = value.as<std::string>();
      if (mode == "auto") {
        auth->mode = AciAuthConfig::Mode::kAuto;
      } else if (mode == "client_credentials") {
        auth->mode = AciAuthConfig::Mode::kClientCredentials;
      } else if (mode == "managed_identity") {
        auth->mode = AciAuthConfig::Mode::kManagedIdentity;
      } else if (mode == "none") {
        auth->mode = AciAuthConfig::Mode::kNone;
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "aci.arm.auth.mode: ", mode, " (want auto|client_credentials|managed_identity|none)"));
      }
    } else if (key == "tenant_id") {
      auth->tenant_id = value.as<std::string>();
    } else if (key == "client_id") {
      auth->client_id = value.as<std::string>();
    } else if (key == "client_secret") {
      auth->client_secret = value.as<std::string>();
    } else if (key == "login_base_url") {
      auth->login_base_url = value.as<std::string>();
    } else if (key == "imds_base_url") {
      auth->imds_base_url = value.as<std::string>();
    } else if (key == "scope") {
      auth->scope = value.as<std::string>();
    } else if (key == "resource") {
      auth->resource = value.as<std::string>();
    } else if (key == "refresh_before_expiry") {
      absl::Status s = ParseDurationField(value, "auth.refresh_before_expiry",
                                          &auth->refresh_before_expiry);
      if (!s.ok()) return s;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("aci.arm.auth: unknown key ", key));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseFields(const YAML::Node& arm, AciBackendConfig* c) {
  if (!arm.IsMap()) return absl::InvalidArgumentError("aci.arm: want a mapping");
  for (const auto& item : arm) {
    const std::string key = item.first.as<std::string>();
    const YAML::Node& value = item.second;
    absl::Status s;
    if (key == "base_url") {
      c->arm_base_url = value.as<std::string>();
    } else if (key == "subscription_id") {
      c->subscription_id = value.as<std::string>();
    } else if (key == "resource_group") {
      c->resource_group = value.as<std::string>();
    } else if (key == "location") {
      c->location = value.as<std::string>();
    } else if (key == "api_version") {
      c->api_version = value.as<std::string>();
    } else if (key == "cluster_name") {
      c->cluster_name = value.as<std::string>();
    } else if (key == "container_name") {
      c->container_name = value.as<std::string>();
    } else if (key == "auth") {
      s = ParseAuth(value, &c->auth);
    } else if (key == "registries") {
      for (const auto& r : value) {
        AciRegistryCredential cred;
        cred.server = r["server"].as<std::string>("");
        cred.username = r["username"].as<std::string>("");
        cred.password = r["password"].as<std::string>("");
        c->registries.push_back(std::move(cred));
      }
    } else if (key == "poll_interval") {
      s = ParseDurationField(value, key, &c->poll_interval);
    } else if (key == "reconcile_interval") {
      s = ParseDurationField(value, key, &c->reconcile_interval);
    } else if (key == "orphan_grace") {
      s = ParseDurationField(value, key, &c->orphan_grace);
    } else if (key == "http_timeout") {
      s = ParseDurationField(value, key, &c->http_timeout);
    } else if (key == "backoff_initial") {
      s = ParseDurationField(value, key, &c->backoff_initial);
    } else if (key == "backoff_max") {
      s = ParseDurationField(value, key, &c->backoff_max);
    } else if (key == "max_retries") {
      c->max_retries = value.as<int>();
    } else if (key == "creates_per_5min") {
      c->creates_per_5min = value.as<int>();
    } else if (key == "creates_per_hour") {
      c->creates_per_hour = value.as<int>();
    } else if (key == "deletes_per_5min") {
      c->deletes_per_5min = value.as<int>();
    } else if (key == "deletes_per_hour") {
      c->deletes_per_hour = value.as<int>();
    } else if (key == "arm_write_burst") {
      c->arm_write_burst = value.as<double>();
    } else if (key == "arm_writes_per_second") {
      c->arm_writes_per_second = value.as<double>();
    } else if (key == "arm_read_burst") {
      c->arm_read_burst = value.as<double>();
    } else if (key == "arm_reads_per_second") {
      c->arm_reads_per_second = value.as<double>();
    } else if (key == "worker_threads") {
      c->worker_threads = value.as<int>();
    } else if (key == "prices") {
      c->prices.vcpu_hour_micro_usd =
          std::llround(value["vcpu_hour_usd"].as<double>(0.0405) * 1e6);
      c->prices.gb_hour_micro_usd = std::llround(value["gb_hour_usd"].as<double>(0.00445) * 1e6);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("aci.arm: unknown key ", key));
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AciBackendConfig> ParseAciConfig(const YAML::Node& arm) {
  AciBackendConfig config;
  try {
    absl::Status s = ParseFields(arm, &config);
    if (!s.ok()) return s;
  } catch (const std::exception& e) {  // yaml-cpp reports bad types by throwing.
    return absl::InvalidArgumentError(absl::StrCat("aci.arm: ", e.what()));
  }
  return config;
}

void ApplyAzureEnvironment(AciBackendConfig& config,
                           const std::function<const char*(const char*)>& getenv) {
  auto fill = [&](std::string& field, const char* name) {
    if (!field.empty()) return;
    if (const char* value = getenv(name); value != nullptr) field = value;
  };
  fill(config.auth.tenant_id, "AZURE_TENANT_ID");
  fill(config.auth.client_id, "AZURE_CLIENT_ID");
  fill(config.auth.client_secret, "AZURE_CLIENT_SECRET");
  fill(config.subscription_id, "AZURE_SUBSCRIPTION_ID");
  if (config.auth.mode == AciAuthConfig::Mode::kAuto) {
    config.auth.mode = config.auth.client_secret.empty()
                           ? AciAuthConfig::Mode::kManagedIdentity
                           : AciAuthConfig::Mode::kClientCredentials;
  }
}

absl::Status ValidateAciConfig(const AciBackendConfig& c) {
  auto missing = [](const char* field) {
    return absl::InvalidArgumentError(absl::StrCat("aci.arm.", field, " is required"));
  };
  if (c.arm_base_url.empty()) return missing("base_url");
  if (c.subscription_id.empty()) return missing("subscription_id (or AZURE_SUBSCRIPTION_ID)");
  if (c.resource_group.empty()) return missing("resource_group");
  if (c.location.empty()) return missing("location");
  if (c.cluster_name.empty()) return missing("cluster_name");
  bool known_version = false;
  for (const char* v : kAciApiVersions) known_version |= c.api_version == v;
  if (!known_version) {
    return absl::InvalidArgumentError(absl::StrCat(
        "aci.arm.api_version: ", c.api_version, " (want 2023-05-01, 2025-09-01 or 2026-05-01)"));
  }
  if (c.auth.mode == AciAuthConfig::Mode::kClientCredentials &&
      (c.auth.tenant_id.empty() || c.auth.client_id.empty() || c.auth.client_secret.empty())) {
    return absl::InvalidArgumentError(
        "aci.arm.auth: client credentials need tenant_id, client_id and client_secret (or "
        "AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)");
  }
  if (c.creates_per_5min <= 0 || c.creates_per_hour <= 0 || c.deletes_per_5min <= 0 ||
      c.deletes_per_hour <= 0 || c.arm_write_burst < 1 || c.arm_writes_per_second <= 0 ||
      c.arm_read_burst < 1 || c.arm_reads_per_second <= 0) {
    return absl::InvalidArgumentError("aci.arm: rate budgets must be positive");
  }
  if (c.worker_threads < 1 || c.max_retries < 0) {
    return absl::InvalidArgumentError("aci.arm: worker_threads >= 1 and max_retries >= 0");
  }
  if (c.poll_interval <= absl::ZeroDuration() || c.http_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("aci.arm: poll_interval and http_timeout must be > 0");
  }
  return absl::OkStatus();
}

}  // namespace spillway
