// Job → ACI container group body (the PUT payload), and the tags that tie a group back to its
// cluster, job and attempt.
//
//   1. location, tags {spillway-cluster, spillway-job, spillway-attempt}.
//   2. properties: osType Linux, sku Standard, priority Regular | Spot, restartPolicy from the job
//      (NEVER and ON_FAILURE → "Never": the core owns retries, so every attempt is a new, costed
//      group; ALWAYS → "Always" for services), registry credentials from the config.
//   3. One container: image, command = spec.command + spec.args (omitted when empty: the image's
//      entrypoint), environment (secrets only as secureValue), requests cpu / memoryInGB rounded
//      up to ACI's steps (0.01 vCPU, 0.1 GB) from integer millicores / MiB.
#ifndef SPILLWAY_BACKENDS_ACI_GROUP_SPEC_H_
#define SPILLWAY_BACKENDS_ACI_GROUP_SPEC_H_

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "backends/aci/aci_config.h"
#include "scheduler/core/actions.h"
#include "scheduler/model/resources.h"

namespace spillway {

inline constexpr char kTagCluster[] = "spillway-cluster";
inline constexpr char kTagJob[] = "spillway-job";
inline constexpr char kTagAttempt[] = "spillway-attempt";

// ACI's units: hundredths of a vCPU and tenths of a GB (1 GB = 1024 MiB), rounded up.
int64_t CpuHundredths(int64_t cpu_millis);
int64_t MemoryTenthsGb(int64_t memory_mib);

// The size ACI bills for a request of `requested`: rounded up to its steps, back in millicores and
// MiB (a tenth of a GB = 102.4 MiB, rounded up).
Resources AciBilledSize(const Resources& requested);
// The same from ACI's decimal units (what the emulator reads from a PUT body).
Resources AciSizeFromUnits(int64_t cpu_hundredths, int64_t memory_tenths_gb);

// The PUT body for `create`. Contains secrets (secureValue, registry passwords): never log it.
nlohmann::json BuildContainerGroupBody(const AciBackendConfig& config,
                                       const CreateAciGroup& create);

}  // namespace spillway

#endif  // SPILLWAY_BACKENDS_ACI_GROUP_SPEC_H_
