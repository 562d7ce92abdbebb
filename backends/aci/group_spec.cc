#include "backends/aci/group_spec.h"

#include "absl/strings/str_cat.h"

namespace spillway {

int64_t CpuHundredths(int64_t cpu_millis) {
  return cpu_millis <= 0 ? 0 : (cpu_millis + 9) / 10;
}

int64_t MemoryTenthsGb(int64_t memory_mib) {
  return memory_mib <= 0 ? 0 : (memory_mib * 10 + 1023) / 1024;
}

Resources AciSizeFromUnits(int64_t cpu_hundredths, int64_t memory_tenths_gb) {
  return Resources{cpu_hundredths * 10, (memory_tenths_gb * 1024 + 9) / 10};
}

Resources AciBilledSize(const Resources& requested) {
  return AciSizeFromUnits(CpuHundredths(requested.cpu_millis),
                          MemoryTenthsGb(requested.memory_mib));
}

namespace {

std::string RestartPolicyOf(spillway::v1::RestartPolicy policy) {
  return policy == spillway::v1::RESTART_POLICY_ALWAYS ? "Always" : "Never";
}

}  // namespace

nlohmann::json BuildContainerGroupBody(const AciBackendConfig& config,
                                       const CreateAciGroup& create) {
  using nlohmann::json;
  const spillway::v1::JobSpec& spec = create.spec;
  // Size: the core's rounded resources; the spec's request if the core sent none.
  Resources size = create.resources;
  if (size.IsZero()) size = Resources{spec.cpu_millis(), spec.memory_mib()};

  json container_props = json::object();
  container_props["image"] = spec.image();
  json command = json::array();
  for (const std::string& arg : spec.command()) command.push_back(arg);
  for (const std::string& arg : spec.args()) command.push_back(arg);
  if (!command.empty()) container_props["command"] = command;
  json env = json::array();
  for (const spillway::v1::EnvVar& var : spec.env()) {
    json entry = {{"name", var.name()}};
    entry[var.secret() ? "secureValue" : "value"] = var.value();
    env.push_back(std::move(entry));
  }
  container_props["environmentVariables"] = env;
  container_props["resources"] = {
      {"requests",
       {{"cpu", static_cast<double>(CpuHundredths(size.cpu_millis)) / 100.0},
        {"memoryInGB", static_cast<double>(MemoryTenthsGb(size.memory_mib)) / 10.0}}}};

  json props = json::object();
  props["osType"] = "Linux";
  props["sku"] = "Standard";
  props["priority"] = create.spot ? "Spot" : "Regular";
  props["restartPolicy"] = RestartPolicyOf(spec.restart_policy());
  props["containers"] = json::array({{{"name", config.container_name},
                                      {"properties", std::move(container_props)}}});
  if (!config.registries.empty()) {
    json creds = json::array();
    for (const AciRegistryCredential& r : config.registries) {
      creds.push_back({{"server", r.server}, {"username", r.username}, {"password", r.password}});
    }
    props["imageRegistryCredentials"] = std::move(creds);
  }
  return json{{"location", config.location},
              {"tags",
               {{kTagCluster, config.cluster_name},
                {kTagJob, create.job_id},
                {kTagAttempt, absl::StrCat(create.attempt)}}},
              {"properties", std::move(props)}};
}

}  // namespace spillway
